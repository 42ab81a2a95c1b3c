"""One bounded cache for every jitted function numerics builds per ecosystem, and the call that empties it.

Each ecosystem's values are compiled into its functions as constants, so every ecosystem (and every number of
rounds, method, ...) gets its own XLA executable. On the CPU each executable holds its kernels in their own
memory mappings, about three per kernel: a Gaussian simulator alone takes some 550 of the kernel's at most
``vm.max_map_count`` (65,530 by default) mappings per process, and a process that runs out of them dies in a
segmentation fault inside XLA. An executable is released when its jitted function is no longer referenced, so
numerics keeps at most :data:`MAX_COMPILED` of them alive, shared by every builder (least recently used first
out), and :func:`clear_compiled` releases them all.
"""

from __future__ import annotations

import functools
import gc
import threading
from collections import OrderedDict
from collections.abc import Callable

import jax

MAX_COMPILED = 16
"""Most jitted functions kept alive at once. A whole test suite in one process then peaks at ~11,000 mappings (a
sixth of the default limit; it held over 65,000 and crashed with a cache of 64 per builder)."""

_compiled: OrderedDict[tuple, Callable] = OrderedDict()
_lock = threading.Lock()


def compiled_cache(build: Callable) -> Callable:
    """Decorator for ``build(*arguments) -> jitted function``: equal (hashable) arguments share one result, kept
    in the shared cache of at most :data:`MAX_COMPILED` results."""

    @functools.wraps(build)
    def cached(*args, **kwargs):
        key = (build, args, tuple(sorted(kwargs.items())))
        with _lock:
            if key in _compiled:
                _compiled.move_to_end(key)
                return _compiled[key]
        function = build(*args, **kwargs)
        with _lock:
            _compiled[key] = function
            while len(_compiled) > MAX_COMPILED:
                _compiled.popitem(last=False)
        return function

    return cached


def compiled_count() -> int:
    """How many jitted functions the cache holds."""
    return len(_compiled)


def clear_compiled() -> None:
    """Release every compiled function numerics and jax hold (their executables and memory mappings with them)."""
    with _lock:
        _compiled.clear()
    jax.clear_caches()
    gc.collect()
