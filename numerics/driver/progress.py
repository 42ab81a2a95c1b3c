"""Progress bars (tqdm, on stderr) for computations that take more than a few seconds.

Off unless a caller turns them on for a block with :func:`progress_bars` (the command line does, unless
``--quiet``), so library calls, notebooks and tests print nothing; the bars never reach a result file.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys

from tqdm import tqdm

_ENABLED = contextvars.ContextVar("interplay_progress_bars", default=False)


@contextlib.contextmanager
def progress_bars(enabled: bool = True):
    """Show (or, ``enabled=False``, hide) progress bars inside the block, in this thread."""
    token = _ENABLED.set(enabled)
    try:
        yield
    finally:
        _ENABLED.reset(token)


def bar(total: int, desc: str, unit: str, *, steps: int | None = None) -> tqdm:
    """A bar of ``total`` units on stderr, shown when bars are on and the work has at least two ``steps``
    (default: ``total``) -- one step has nothing to report between its start and its end."""
    shown = _ENABLED.get() and (total if steps is None else steps) >= 2
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not shown, dynamic_ncols=True)
