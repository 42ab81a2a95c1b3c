"""Public sizes per model under ``fresh`` and ``accumulate``: model k takes the first N_k draws of the round's one
public sample (nested prefixes, :mod:`theory.rounds`), so Cov of two models' public means is r_0 / max(N_k, N_l).
Three models with alpha per model (1/5, 1/2, 4/5), beta 1/2, n 12 (public sizes 5, 3, 1 from round 1), and with n
per model (6, 12, 18: public sizes 2, 3, 5): the compiled recursion against the sympy map; the Monte Carlo (both
methods) against the exact moments; mutants of the public term (V / min(N_k, N_l), and independent public samples,
no covariance between models) rejected by the same Monte Carlo. The second derivation (cumulant generating
functions of the prefixes' increments) is in test_poisson.py.

Tolerance: E lambda (3) and the centred products (6) at rounds 0..2 for four runs, 108 comparisons; Z_FAMILY
(~4.0) gives a false failure with probability <= 1e-3 at fixed seeds.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.stats
import sympy
from monte_carlo_checks import assert_poisson_trajectory_agrees
from sympy import Rational as Q

import interplay.numerics.poisson as npo
from interplay.numerics.driver.sizes import public_levels, spec_sizes
from interplay.numerics.poisson import monte_carlo as poisson_monte_carlo
from interplay.theory.poisson import maps as poisson
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.rounds import plan_at

W = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, Q(7, 10)]]
ROUNDS = 2
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 108)))
SPECS = {
    "alpha-fresh": dict(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(4, 5)]}, regime="fresh"),
    "alpha-accumulate": dict(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(4, 5)]}, regime="accumulate"),
    "n-fresh": dict(n={"per_model": [6, 12, 18]}, regime="fresh"),
}


def three(name):
    return poisson_ecosystem([1, 4, 9], 6, **(dict(alpha=Q(1, 2), beta=Q(1, 2), n=12, mixing=W) | SPECS[name]))


def exact_moments(eco):
    """The sympy recursion's E lambda_t (T+1, K) and Cov lambda_t (T+1, K, K) as floats."""
    trajectory = poisson.moment_trajectory(eco, ROUNDS)
    return SimpleNamespace(
        mean=np.array([np.asarray(m.mean, float)[:, 0] for m in trajectory]),
        cov=np.array([np.asarray(m.cov, float) for m in trajectory]),
    )


def test_the_public_sizes_differ_and_nest():
    assert [list(plan_at(three(name), 1).n_public) for name in SPECS] == [[5, 3, 1], [5, 3, 1], [2, 3, 5]]
    assert list(plan_at(three("alpha-fresh"), 0).n_public) == [6, 6, 6]  # the initial fit: alpha = 0, one size


@pytest.mark.parametrize("name", SPECS)
def test_compiled_recursion_equals_the_sympy_map(name):
    eco = three(name)
    exact, compiled = exact_moments(eco), npo.iterate_moments(eco, ROUNDS)
    np.testing.assert_allclose(compiled.mean, exact.mean, rtol=1e-13)
    np.testing.assert_allclose(compiled.cov, exact.cov, rtol=1e-12, atol=1e-15)
    off = ~np.eye(3, dtype=bool)  # the prefixes correlate the models in round 1 (no synthetic data before it)
    assert np.all(exact.cov[1][off] > 0.01)


@pytest.mark.parametrize(
    ("name", "method", "seed"),
    [("alpha-fresh", "sufficient", 21), ("alpha-fresh", "raw", 22), ("alpha-accumulate", "sufficient", 23)]
    + [("n-fresh", "sufficient", 24)],
)
def test_monte_carlo_of_nested_public_prefixes_matches_the_exact_moments(name, method, seed):
    eco = three(name)
    mc = npo.simulate(eco, ROUNDS, key=seed, replicates=4000, method=method)
    assert_poisson_trajectory_agrees(mc, npo.iterate_moments(eco, ROUNDS), z_limit=Z_FAMILY)


MUTANTS = {  # the public prefixes' factor w_k w_l / max(N_k, N_l) replaced
    "min": lambda w, N: sympy.Matrix(3, 3, lambda k, l: w[k] * w[l] / sympy.Min(N[k], N[l])),
    "independent": lambda w, N: sympy.diag(*[w[k] ** 2 / N[k] for k in range(3)]),
}


@pytest.mark.parametrize("mutant", MUTANTS)
def test_the_monte_carlo_rejects_a_wrong_public_covariance(mutant, monkeypatch):
    """The Monte Carlo of test_monte_carlo_of_nested_public_prefixes_matches_the_exact_moments (alpha per model,
    fresh, seed 21) against the exact moments with the public term V / min(N_k, N_l), or without covariance between
    the models' public means: rejected at round 1."""
    eco = three("alpha-fresh")
    mc = npo.simulate(eco, ROUNDS, key=21, replicates=4000)
    wrong = MUTANTS[mutant]
    monkeypatch.setattr(poisson, "public_rates", lambda plan, ops: wrong(plan.w_public, plan.n_public))
    with pytest.raises(AssertionError, match="Cov lambda at t=[01]"):
        assert_poisson_trajectory_agrees(mc, exact_moments(eco), z_limit=Z_FAMILY)


W4 = [[Q(1, 2), Q(1, 2), 0, 0], [0, Q(1, 2), Q(1, 2), 0], [0, 0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, 0, Q(7, 10)]]
Z_FOUR = float(scipy.stats.norm.isf(1e-3 / (2 * 3 * (4 + 10))))  # E lambda, Cov lambda (k <= l) at rounds 0..2


def four_alike_in_pairs(regime):
    """Four models, alpha per model (1/5, 1/2, 1/5, 1/2), beta 1/2, n 12: public sizes 5, 3, 5, 3 from round 1, two
    distinct values shared by two models each; the public increments hold 3 and 2 draws at rate 6 (N rate >= 10:
    jax's Poisson sampler takes its rejection branch, whose draws depend on the array's length)."""
    alpha = {"per_model": [Q(1, 5), Q(1, 2), Q(1, 5), Q(1, 2)]}
    return poisson_ecosystem([1, 4, 9, 2], 6, alpha=alpha, beta=Q(1, 2), n=12, mixing=W4, regime=regime)


def test_models_of_equal_public_size_share_one_prefix_in_law():
    """Two distinct public sizes among four models: the simulator draws two increments (public_levels = 2) and the
    models of equal size share their prefix: the Monte Carlo (seed 37, 4,000 replicates) agrees with the exact
    moments, whose Cov lambda between models 0 and 2 at round 1 holds the common term w_q^2 r_0 / 5; 42 comparisons,
    Bonferroni Z_FOUR (~3.8)."""
    eco = four_alike_in_pairs("fresh")
    assert [list(plan_at(eco, t).n_public) for t in (0, 1)] == [[6, 6, 6, 6], [5, 3, 5, 3]]
    assert public_levels(spec_sizes(eco, ROUNDS)) == 2
    mc = npo.simulate(eco, ROUNDS, key=37, replicates=4000)
    assert_poisson_trajectory_agrees(mc, npo.iterate_moments(eco, ROUNDS), z_limit=Z_FOUR)


@pytest.mark.parametrize(("regime", "method"), [("fresh", "sufficient"), ("accumulate", "raw")])
def test_a_bound_on_the_public_levels_does_not_change_the_draws(regime, method, monkeypatch):
    """simulate compiles two public increments for the four models; compiled for the bound K = 4 (a sweep's: any
    point's public sizes) it draws the same numbers from the same key: each increment from its own key."""
    eco = four_alike_in_pairs(regime)
    mc = npo.simulate(eco, ROUNDS, key=38, replicates=6, method=method)
    monkeypatch.setattr(poisson_monte_carlo, "public_levels", lambda sizes: eco.K)
    bounded = npo.simulate(eco, ROUNDS, key=38, replicates=6, method=method)
    np.testing.assert_array_equal(bounded.rates, mc.rates)
    assert np.ptp(mc.rates[:, 1], axis=0).min() > 0  # the replicates differ: a real draw, not a constant
