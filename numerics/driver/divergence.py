"""Where a computed quantity stops being a number: the first non-finite round of a trajectory, the diverged
points of a grid, and a plain-JSON copy of a result in which every non-finite float is ``null``.

A long or unstable run can overflow float64 (about 1.8e308): once one entry is inf, the next rounds give NaN.
Every trajectory and Monte Carlo result of :mod:`numerics` carries a ``divergence`` (None, or the first
non-finite round and which quantity), every :class:`~numerics.sweeps.Grid` a per-point mask, and the command
line prints them in one line instead of writing NaN silently.
"""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Divergence:
    """The first round at which ``quantity`` has an entry that is inf or NaN (and every later round may too).

    ``replicates``: for Monte Carlo results, how many of the replicates are non-finite at some round (else None).
    """

    quantity: str
    round: int
    replicates: int | None = None

    def __str__(self) -> str:
        where = "" if self.replicates is None else f" in {self.replicates} replicate(s)"
        return f"{self.quantity} is not finite from round {self.round} on{where} (float64 overflow)"


def first_divergence(quantities: dict[str, np.ndarray], round_axis: int = 0, rounds=None) -> Divergence | None:
    """The earliest non-finite round over ``quantities`` (arrays whose axis ``round_axis`` is the round; with a
    replicate axis 0 before it when ``round_axis`` is 1), None if every entry is finite. ``rounds`` labels the
    positions along the round axis (default 0, 1, 2, ...), e.g. a result that keeps the final round only."""
    found = None
    for name, values in quantities.items():
        values = np.asarray(values)
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        per_round = bad.reshape(values.shape[: round_axis + 1] + (-1,)).any(-1)  # (R?, T)
        at_round = per_round.any(0) if round_axis == 1 else per_round
        first = int(np.argmax(at_round))
        label = first if rounds is None else int(np.asarray(rounds)[first])
        if found is None or label < found.round:
            replicates = int(per_round.any(1).sum()) if round_axis == 1 else None
            found = Divergence(name, label, replicates)
    return found


def diverged_points(values: dict[str, np.ndarray], grid_shape: tuple[int, ...]) -> np.ndarray:
    """A boolean array of the grid's shape: True where any quantity has a non-finite entry at that point."""
    mask = np.zeros(grid_shape, dtype=bool)
    lead = len(grid_shape)
    for value in values.values():
        bad = ~np.isfinite(np.asarray(value, dtype=np.float64))
        mask |= bad.reshape(grid_shape + (-1,)).any(-1) if bad.ndim > lead else bad
    return mask


def finite_or_null(value):
    """A copy of a JSON-like value (dicts, lists, tuples, numbers, numpy scalars and arrays) in which every
    non-finite float is None, so ``json.dumps(..., allow_nan=False)`` writes strict JSON."""
    if isinstance(value, dict):
        return {k: finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_null(v) for v in value]
    if isinstance(value, np.ndarray):
        return finite_or_null(value.tolist())
    if isinstance(value, np.generic):
        return finite_or_null(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def warn_divergence(divergence: dict) -> None:
    """One line on stderr naming each diverged result ({name: description or None}); the run goes on, its
    finite part is written and the rest is null in result.json (the exit status stays 0)."""
    found = [f"{name}: {why}" for name, why in divergence.items() if why is not None]
    if found:
        print(f"interplay: warning: {'; '.join(found)}; non-finite values are null in result.json", file=sys.stderr)


class quiet_overflow(contextlib.ContextDecorator):
    """A job whose non-finite values are reported by :func:`warn_divergence`: numpy's floating-point warnings
    (and the RuntimeWarnings of the figures drawn from such values) would only repeat it, as tracebacks."""

    def __enter__(self):
        self._states = [np.errstate(all="ignore"), warnings.catch_warnings()]
        for state in self._states:
            state.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        return self

    def __exit__(self, *exception):
        for state in reversed(self._states):
            state.__exit__(*exception)
        return False
