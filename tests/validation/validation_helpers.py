"""Shared helpers for the validation tests: exact iteration of the library's symbolic maps, Monte Carlo errors.

Nothing here encodes a published result. The helpers only move values between the library's own objects: the
initial fit (``theory.gaussian.maps.moment_step`` with the t = 0 plan), the flat state of a ``moment_map`` and the
``Moments`` tuple that ``theory.gaussian.maps.fitted_covariance`` reads.
"""

from __future__ import annotations

import numpy as np
import sympy

from interplay.theory.gaussian import maps as gaussian
from interplay.theory.gaussian.maps import Moments
from interplay.theory.maps import SymbolicMap, t_symbol
from interplay.theory.rounds import plan_at


def initial_moments(eco) -> Moments:
    """The exact moments of the initial fit (round t = 0), from the library's own moment step."""
    return gaussian.moment_step(eco, gaussian.zero_moments(eco), plan_at(eco, 0), 0)


def state_of(fmap: SymbolicMap, moments: Moments) -> list:
    """The flat state vector of ``fmap`` (a moment map) holding ``moments``."""
    return [sympy.sympify(v) for v in fmap.pack(**moments._asdict())]


def moments_of(fmap: SymbolicMap, values) -> Moments:
    """The ``Moments`` tuple held by the flat state ``values`` of ``fmap``."""
    return Moments(**fmap.unpack(values))


def iterate_symbolic(fmap: SymbolicMap, rounds: int, simplify=sympy.expand) -> list[Moments]:
    """Exact moments of rounds 0..rounds: the initial fit, then ``rounds`` applications of the symbolic map.

    Round t >= 1 applies the map with its round symbol ``t`` (present under ``accumulate``) set to t.
    """
    eco = fmap.ecosystem
    values = state_of(fmap, initial_moments(eco))
    trajectory = [moments_of(fmap, values)]
    for t in range(1, rounds + 1):
        values = [simplify(sympy.sympify(v).xreplace({t_symbol: t})) for v in fmap(values)]
        trajectory.append(moments_of(fmap, values))
    return trajectory


def fitted_cov(fmap: SymbolicMap, moments: Moments) -> sympy.Matrix:
    """E[S] of every model (stacked Kd x d), by the library's ``fitted_covariance``."""
    return gaussian.fitted_covariance(fmap.ecosystem, moments)


def mean_and_se(samples, axis=0):
    """Sample mean over independent replicates and its standard error std / sqrt(R)."""
    samples = np.asarray(samples, dtype=float)
    count = samples.shape[axis]
    return samples.mean(axis), samples.std(axis, ddof=1) / np.sqrt(count)


def ols_slope(ts, values):
    """Least-squares slope of values (..., len(ts)) against ts, for each leading index."""
    ts = np.asarray(ts, dtype=float)
    centred = ts - ts.mean()
    return np.asarray(values) @ centred / (centred @ centred)
