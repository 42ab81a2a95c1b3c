"""Timing shared by the benchmarks: a call's wall time after compilation, the median of a few repeats."""

from __future__ import annotations

import time

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
