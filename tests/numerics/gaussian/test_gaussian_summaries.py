"""The exact recursion's per-round summaries (``iterate_moments(..., summaries=True)``, for ecosystems whose full
trajectory does not fit): the same numbers as the full trajectory, computed inside the recursion, and a memory
estimate that lets a run through where the full trajectory is refused."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from linear_cases import general

from interplay import numerics
from interplay.numerics.driver.limits import summary_bytes, trajectory_bytes
from interplay.theory.spec import Ecosystem, SpecError

R = sympy.Rational
SPARSE = [  # a non-uniform sparse W: model 3 trains on itself alone, the others on two or three models
    [R(1, 2), R(1, 3), 0, R(1, 6)],
    [0, R(1, 4), R(3, 4), 0],
    [R(2, 5), 0, R(3, 5), 0],
    [0, 0, 0, 1],
]


def _ecosystem(regime, estimator, alpha, composition="fixed"):
    return Ecosystem.gaussian(
        means=[[0.0, 1.0], [2.0, -1.0], [1.0, 3.0], [-2.0, 0.5]],
        covs=[np.eye(2), [[2.0, 0.3], [0.3, 1.0]], np.eye(2) * 0.5, [[1.0, -0.2], [-0.2, 0.7]]],
        public_mean=[0.5, 0.5],
        alpha=alpha,
        beta=R(1, 3),
        mixing=SPARSE,
        n=12,
        estimator=estimator,
        regime=regime,
        composition=composition,
    )


@pytest.mark.parametrize(
    ("regime", "estimator", "alpha", "composition"),
    [
        ("reuse", "mle", R(1, 2), "fixed"),
        ("fresh", "unbiased", [R(1, 4), R(1, 2), R(3, 4), R(1, 2), 1, R(1, 3)], "fixed"),
        ("accumulate", "mle", R(2, 3), "fixed"),
        ("reuse", "unbiased", R(1, 2), "mixture"),
    ],
)
def test_summaries_are_the_full_trajectorys_numbers(regime, estimator, alpha, composition):
    """Every kept quantity equals the full trajectory's (means, E S_k, the blocks Cov(m_k), the last round's
    Cov(m_k, m_l)), and the mean pairwise distance equals the homogenisation measure of the full trajectory (a
    second computation: numpy on the stored trajectory, not inside the recursion)."""
    eco = _ecosystem(regime, estimator, alpha, composition)
    full = numerics.iterate_moments(eco, 6)
    kept = numerics.iterate_moments(eco, 6, summaries=True)
    close = dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(kept.mean, full.mean, **close)
    np.testing.assert_allclose(kept.fitted_cov, full.fitted_cov, **close)
    np.testing.assert_allclose(kept.model_cov, np.einsum("tkakb->tkab", full.mean_cov), **close)
    np.testing.assert_allclose(kept.final_mean_cov, full.mean_cov[-1], **close)
    measures, summarised = full.homogenisation(), kept.homogenisation()
    for name in ("mean_squared_distance", "squared_frobenius"):
        np.testing.assert_allclose(summarised[name].values, measures[name].values, **close)
    assert kept.mean_squared_distance[0] > kept.mean_squared_distance[-1] > 0  # they drift together, not to one
    assert "per-pair distances are not kept" in summarised.attrs["not_computed"]


def test_summaries_from_a_given_start_and_labelled():
    eco = _ecosystem("fresh", "mle", R(1, 2))
    start = {"mean": [[0, 0], [1, 1], [2, 2], [3, 3]], "cov": [np.eye(2)] * 4}
    full = numerics.iterate_moments(eco, 3, start=start)
    kept = numerics.iterate_moments(eco, 3, start=start, summaries=True)
    np.testing.assert_allclose(kept.mean, full.mean, rtol=1e-12, atol=1e-14)
    assert kept.mean_squared_distance[0] == pytest.approx(
        np.mean([2 * (k - l) ** 2 for k in range(4) for l in range(4) if k != l])
    )
    labelled = kept.to_xarray()
    assert labelled["model_cov"].dims == ("round", "model", "component", "component2")
    assert labelled["final_mean_cov"].dims == ("model", "component", "model2", "component2")
    assert kept.divergence is None


def test_a_budget_that_refuses_the_full_trajectory_lets_the_summaries_through():
    """The memory check before the run: the full trajectory grows with K^2 per round, the summaries with K."""
    eco = Ecosystem.gaussian(means=[[float(k)] for k in range(30)], public_mean=[0.0], n=10)
    rounds = 1000
    assert summary_bytes(eco, rounds) < trajectory_bytes(eco, rounds) / 10
    budget = (summary_bytes(eco, rounds) + trajectory_bytes(eco, rounds)) // 2
    with pytest.raises(SpecError, match=r"^rounds: an exact trajectory of 1000 rounds \(summaries=True keeps"):
        numerics.iterate_moments(eco, rounds, memory=budget)
    kept = numerics.iterate_moments(eco, rounds, memory=budget, summaries=True)
    assert kept.mean.shape == (rounds + 1, 30, 1)
    with pytest.raises(SpecError, match="^rounds: keeping the summaries of 1000 rounds needs about"):
        numerics.iterate_moments(eco, rounds, memory=summary_bytes(eco, rounds) - 1, summaries=True)


def test_a_family_without_summaries_says_so():
    with pytest.raises(SpecError, match="^summaries: the linear-gaussian family keeps full trajectories only"):
        numerics.iterate_moments(general(2, 1, n=10), 3, summaries=True)
