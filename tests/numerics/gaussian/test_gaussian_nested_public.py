"""Public sizes per model under ``fresh`` and ``accumulate``, Gaussian: model k takes the first N_k draws of the
round's one public sample (nested prefixes, :mod:`theory.rounds`), so Cov of two models' public means is
Sigma_public / max(N_k, N_l), and each model's own public piece is a sample of N_k draws (its scatter (1 - 1/N_k)
Sigma_public). Three models, alpha per model (1/5, 1/2, 4/5), beta 1/2, n 12 (public sizes 5, 3, 1 from round 1),
and n per model (6, 12, 18: public sizes 2, 3, 5): the compiled recursion against the sympy map; the Monte Carlo
(sufficient statistics of the increments merged by the parallel-axis rule, and raw draws) against the exact
moments; a mutant of the public term (V / min(N_k, N_l)) rejected by the same Monte Carlo.

Tolerance: E m (3), E S (3) and Cov m (9) at rounds 0..2 for four runs, 180 comparisons; Z_FAMILY (~4.1) gives a
false failure with probability <= 1e-3 at fixed seeds.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.stats
import sympy
from monte_carlo_checks import assert_gaussian_trajectory_agrees
from sympy import Rational as Q

from interplay import numerics
from interplay.numerics.driver.sizes import public_levels, spec_sizes
from interplay.numerics.gaussian import monte_carlo
from interplay.theory import Ecosystem
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.rounds import plan_at

W = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, Q(7, 10)]]
ROUNDS = 2
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 180)))
SPECS = {
    "alpha-fresh": dict(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(4, 5)]}, regime="fresh"),
    "alpha-accumulate": dict(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(4, 5)]}, regime="accumulate"),
    "n-fresh": dict(n={"per_model": [6, 12, 18]}, regime="fresh", estimator="unbiased"),
}


def three(name):
    spec = dict(alpha=Q(1, 2), beta=Q(1, 2), n=12, mixing=W) | SPECS[name]
    return Ecosystem.gaussian(means=[[0], [2], [5]], public_mean=[1], covs=[[[1]], [[2]], [[Q(1, 2)]]],
                              public_cov=[[4]], **spec)  # fmt: skip


def exact_moments(eco):
    """The sympy recursion's E m (T+1, K), Cov m (T+1, K, K) and E S (T+1, K) as floats."""
    moments = gaussian.moment_step(eco, gaussian.zero_moments(eco), plan_at(eco, 0), 0)
    trajectory = [moments]
    for t in range(1, ROUNDS + 1):
        moments = gaussian.moment_step(eco, moments, plan_at(eco, t), t)
        trajectory.append(moments)
    return SimpleNamespace(
        mean=np.array([np.asarray(m.mean, float)[:, 0] for m in trajectory]),
        cov=np.array([np.asarray(m.cov, float) for m in trajectory]),
        fitted=np.array([np.asarray(gaussian.fitted_covariance(eco, m), float)[:, 0] for m in trajectory]),
    )


def test_the_public_sizes_differ_and_nest():
    assert [list(plan_at(three(name), 1).n_public) for name in SPECS] == [[5, 3, 1], [5, 3, 1], [2, 3, 5]]


@pytest.mark.parametrize("name", SPECS)
def test_compiled_recursion_equals_the_sympy_map(name):
    eco = three(name)
    exact, compiled = exact_moments(eco), numerics.iterate_moments(eco, ROUNDS)
    np.testing.assert_allclose(np.asarray(compiled.mean).reshape(ROUNDS + 1, 3), exact.mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(compiled.mean_cov).reshape(ROUNDS + 1, 3, 3), exact.cov, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(compiled.fitted_cov).reshape(ROUNDS + 1, 3), exact.fitted, rtol=1e-12)
    off = ~np.eye(3, dtype=bool)  # the prefixes correlate the models in round 1
    assert np.all(np.abs(exact.cov[1][off]) > 0.01)


@pytest.mark.parametrize(
    ("name", "method", "seed"),
    [("alpha-fresh", "sufficient", 31), ("alpha-fresh", "raw", 32), ("alpha-accumulate", "sufficient", 33)]
    + [("n-fresh", "sufficient", 34)],
)
def test_monte_carlo_of_nested_public_prefixes_matches_the_exact_moments(name, method, seed):
    eco = three(name)
    mc = numerics.simulate(eco, ROUNDS, key=seed, replicates=4000, method=method)
    assert_gaussian_trajectory_agrees(mc, numerics.iterate_moments(eco, ROUNDS), z_limit=Z_FAMILY)


def test_the_monte_carlo_rejects_v_over_the_smaller_prefix(monkeypatch):
    """The Monte Carlo of alpha per model, fresh, seed 31 against the exact moments with the public term
    Sigma / min(N_k, N_l): rejected at round 1."""
    eco = three("alpha-fresh")
    mc = numerics.simulate(eco, ROUNDS, key=31, replicates=4000)

    def wrong(plan, ops):
        w, N = plan.w_public, plan.n_public
        return sympy.Matrix(3, 3, lambda k, l: w[k] * w[l] / sympy.Min(N[k], N[l]))

    monkeypatch.setattr(gaussian, "public_rates", wrong)
    exact = exact_moments(eco)
    mutant = SimpleNamespace(mean=exact.mean[..., None], mean_cov=exact.cov, fitted_cov=exact.fitted[..., None, None])
    with pytest.raises(AssertionError, match="Cov m at t=1"):
        assert_gaussian_trajectory_agrees(mc, mutant, z_limit=Z_FAMILY)


W4 = [[Q(1, 2), Q(1, 2), 0, 0], [0, Q(1, 2), Q(1, 2), 0], [0, 0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, 0, Q(7, 10)]]
Z_FOUR = float(scipy.stats.norm.isf(1e-3 / (2 * 3 * (4 + 4 + 16))))  # E m, E S, Cov m at rounds 0..2


def four_alike_in_pairs(**options):
    """Four models, alpha per model (1/5, 1/2, 1/5, 1/2), beta 1/2, n 12: public sizes 5, 3, 5, 3 from round 1, two
    distinct values shared by two models each (the prefix of 5 draws is common to models 0 and 2)."""
    spec = dict(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(1, 5), Q(1, 2)]}, beta=Q(1, 2), n=12, mixing=W4) | options
    return Ecosystem.gaussian(means=[[0], [2], [5], [-1]], public_mean=[1], covs=[[[1]], [[2]], [[Q(1, 2)]], [[1]]],
                              public_cov=[[4]], **spec)  # fmt: skip


def test_models_of_equal_public_size_share_one_prefix_in_law():
    """Two distinct public sizes among four models: the simulator draws two increments (public_levels = 2), and the
    models of equal size share their prefix: its Monte Carlo (seed 35, 4,000 replicates) agrees with the exact
    moments, whose Cov m between models 0 and 2 at round 1 holds the common term w_q^2 V / 5; 72 comparisons,
    Bonferroni Z_FOUR (~3.9)."""
    eco = four_alike_in_pairs(regime="fresh")
    assert [list(plan_at(eco, t).n_public) for t in (0, 1)] == [[6, 6, 6, 6], [5, 3, 5, 3]]
    assert public_levels(spec_sizes(eco, ROUNDS)) == 2
    mc = numerics.simulate(eco, ROUNDS, key=35, replicates=4000)
    assert_gaussian_trajectory_agrees(mc, numerics.iterate_moments(eco, ROUNDS), z_limit=Z_FOUR)


@pytest.mark.parametrize("regime", ["fresh", "accumulate"])
def test_a_bound_on_the_public_levels_does_not_change_the_draws(regime, monkeypatch):
    """simulate compiles two public increments for the four models; compiled for the bound K = 4 (a sweep's: any
    point's public sizes) it draws the same numbers from the same key: the increments are drawn one by one, each
    from its index."""
    eco = four_alike_in_pairs(regime=regime)
    assert public_levels(spec_sizes(eco, ROUNDS)) == 2
    mc = numerics.simulate(eco, ROUNDS, key=36, replicates=6)
    monkeypatch.setattr(monte_carlo, "public_levels", lambda sizes: eco.K)
    bounded = numerics.simulate(eco, ROUNDS, key=36, replicates=6)
    np.testing.assert_array_equal(bounded.means, mc.means)
    np.testing.assert_array_equal(bounded.covs, mc.covs)
