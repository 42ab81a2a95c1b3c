"""Poisson per-round summaries (``iterate_moments(..., summaries=True)``): the full trajectory's numbers, computed
inside the recursion, for both compositions; a memory estimate that lets them through where the full trajectory
is refused."""

from __future__ import annotations

import numpy as np
import pytest
from sympy import Rational as R

from interplay import numerics
from interplay.numerics.driver.limits import summary_bytes, trajectory_bytes
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.spec import SpecError

SPARSE = [[R(1, 2), R(1, 3), 0, R(1, 6)], [0, R(1, 4), R(3, 4), 0], [R(2, 5), 0, R(3, 5), 0], [0, 0, 0, 1]]


@pytest.mark.parametrize(
    ("regime", "composition", "alpha"),
    [
        ("reuse", "fixed", R(1, 2)),
        ("fresh", "mixture", [R(1, 4), R(1, 2), R(3, 4), 1, R(1, 3)]),
        ("accumulate", "mixture", R(2, 3)),
    ],
)
def test_summaries_are_the_full_trajectorys_numbers(regime, composition, alpha):
    """E lambda, Var lambda and the last round's Cov lambda equal the full trajectory's; the mean pairwise distance
    equals the homogenisation measure computed by numpy on the stored full trajectory."""
    eco = poisson_ecosystem(
        [1, 4, 9, 2], 3, alpha=alpha, beta=R(1, 3), n=12, mixing=SPARSE, regime=regime, composition=composition
    )
    full = numerics.iterate_moments(eco, 5)
    kept = numerics.iterate_moments(eco, 5, summaries=True)
    close = dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(kept.mean, full.mean, **close)
    np.testing.assert_allclose(kept.variance, full.variance(), **close)
    np.testing.assert_allclose(kept.final_cov, full.cov[-1], **close)
    measures, summarised = full.homogenisation(), kept.homogenisation()
    for name in ("mean_squared_distance", "squared_frobenius"):
        np.testing.assert_allclose(summarised[name].values, measures[name].values, **close)
    assert kept.to_xarray()["final_cov"].dims == ("model", "model2") and kept.divergence is None


def test_a_budget_that_refuses_the_full_trajectory_lets_the_summaries_through():
    eco = poisson_ecosystem([1 + k % 5 for k in range(30)], 2, n=10, composition="mixture")
    rounds = 1000
    budget = (summary_bytes(eco, rounds) + trajectory_bytes(eco, rounds)) // 2
    with pytest.raises(SpecError, match=r"^rounds: an exact trajectory of 1000 rounds \(summaries=True keeps"):
        numerics.iterate_moments(eco, rounds, memory=budget)
    kept = numerics.iterate_moments(eco, rounds, memory=budget, summaries=True)
    assert kept.mean.shape == (rounds + 1, 30) and kept.final_cov.shape == (30, 30)
