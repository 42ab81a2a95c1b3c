"""Timing shared by the benchmarks: a call's wall time after compilation, the median of a few repeats; a process's
peak resident memory (Linux: /proc/self)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def median_time(function, repeats: int = 3):
    """(median seconds of ``repeats`` calls of ``function()`` after one untimed call that compiles, the last
    call's result)."""
    function()  # compile
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def rss_kib(field: str) -> int:
    """A memory field of /proc/self/status in KiB: ``"VmRSS"`` (resident now) or ``"VmHWM"`` (its peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> None:
    """Reset the resident-set peak (VmHWM) to the memory resident now."""
    Path("/proc/self/clear_refs").write_text("5")
