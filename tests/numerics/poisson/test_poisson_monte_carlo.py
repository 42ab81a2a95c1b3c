"""Monte Carlo of Poisson ecosystems against the exact moment recursion, the two methods against each other, the
single model's collapse against the Galton-Watson extinction probabilities, and the sweep's part against simulate.

Tolerance: a Monte Carlo mean of R iid replicates against its exact value in standard errors (SE = sample std /
sqrt(R)); E lambda and Cov lambda (through the centred products with the exact mean) at every round make 6
comparisons per round, 30 per setting, 120 over the four settings: the Bonferroni limit Z_FAMILY (~4.3) gives a
false failure with probability <= 1e-3 at a fixed seed. Proportions use SE = sqrt(p (1 - p) / R) with the exact p.
"""

import doctest

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
from monte_carlo_checks import assert_mean_agrees
from sympy import Rational as Q

import interplay.numerics.poisson as npo
from interplay.numerics.driver.sizes import device, per_round, run_sizes
from interplay.numerics.poisson import figures, monte_carlo, sweep
from interplay.theory.poisson import poisson_ecosystem

REPLICATES = 3000
ROUNDS = 4
SETTINGS = [("reuse", "sufficient"), ("fresh", "sufficient"), ("accumulate", "sufficient"), ("reuse", "raw")]
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 30 * len(SETTINGS))))


def small(regime, **options):
    spec = dict(alpha=Q(1, 2), beta=Q(2, 3), n=9, mixing=[[Q(7, 10), Q(3, 10)], [Q(1, 5), Q(4, 5)]], regime=regime)
    return poisson_ecosystem([2, 5], 3, **(spec | options))


@pytest.mark.parametrize(("regime", "method"), SETTINGS)
def test_monte_carlo_matches_exact_moments(regime, method):
    eco = small(regime)
    exact = npo.iterate_moments(eco, ROUNDS)
    mc = npo.simulate(eco, ROUNDS, key=sum(map(ord, regime + method)), replicates=REPLICATES, method=method)
    assert mc.rates.shape == (REPLICATES, ROUNDS + 1, 2)
    for t in range(ROUNDS + 1):
        rates = mc.rates[:, t]
        assert_mean_agrees(rates, exact.mean[t], f"E lambda at t={t}", z_limit=Z_FAMILY)
        centred = rates - exact.mean[t]
        products = centred[:, :, None] * centred[:, None, :]
        assert_mean_agrees(products, exact.cov[t], f"Cov lambda at t={t}", z_limit=Z_FAMILY)


def test_raw_and_sufficient_draw_the_same_law():
    """A two-sample chi-square test of homogeneity on the law of lambda_1 after two rounds (bins of the lattice
    of values, pooled in the tails to expected counts >= 5): p > 1e-3."""
    eco = small("reuse")
    draws = [npo.simulate(eco, ROUNDS, key=11, replicates=REPLICATES, method=m).rates[:, 2, 0] for m in npo.METHODS]
    edges = np.quantile(np.concatenate(draws), np.linspace(0, 1, 21))
    edges = np.unique(edges)
    table = np.array([np.histogram(d, bins=edges)[0] for d in draws])
    assert table.shape[1] >= 8 and table.min() >= 5
    assert scipy.stats.chi2_contingency(table).pvalue > 1e-3


def galton_watson_extinction(rounds: int, initial_mean: float) -> float:
    """P(Z_t = 0) of a Galton-Watson process with Poisson(1) offspring and Z_0 ~ Poisson(m): exp(m (f_t(0) - 1)),
    f_t the t-fold composition of the offspring generating function f(s) = exp(s - 1)."""
    s = 0.0
    for _ in range(rounds):
        s = np.exp(s - 1)
    return float(np.exp(initial_mean * (s - 1)))


def test_one_model_on_its_own_outputs_collapses_like_a_galton_watson_process():
    """alpha = 1, W = I, fresh, rate 1, n = 2: the counts C_t = n lambda_t have C_t ~ Poisson(C_{t-1}), a critical
    Galton-Watson process from C_0 ~ Poisson(2), so P(lambda_t = 0) = exp(2 (f_t(0) - 1)) -> 1 (collapse) while
    E lambda_t = 1 for every t (a martingale)."""
    eco = poisson_ecosystem([1], 1, alpha=1, beta=1, mixing=[[1]], n=2, regime="fresh")
    replicates = 400  # the collapse example of numerics.poisson.monte_carlo: one compilation for both
    mc = npo.simulate(eco, 200, key=0, replicates=replicates)
    for t in (1, 10, 50, 200):
        p = galton_watson_extinction(t, 2.0)
        se = np.sqrt(p * (1 - p) / replicates)
        assert abs((mc.rates[:, t, 0] == 0).mean() - p) < 4 * se, t
    assert galton_watson_extinction(200, 2.0) > 0.97
    exact = npo.iterate_moments(eco, 200)
    np.testing.assert_allclose(exact.mean[:, 0], 1.0, rtol=1e-14)
    np.testing.assert_allclose(exact.variance()[:, 0], 0.5 + np.arange(201) / 2, rtol=1e-13)
    result = doctest.testmod(monte_carlo, verbose=False)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("options", [{}, {"composition": "mixture"}, {"pool": "shared"}])
def test_sweep_point_is_simulate_and_the_exact_recursion_at_that_point(options):
    """The sweep's sampler at (alpha, beta) = (0.3, 0.4) draws exactly what simulate draws for the ecosystem at
    that point with the sweep's seed (under each composition and pool: their draws sized n in both); its exact point
    is iterate_moments' final round there."""
    eco = small("reuse", **options)
    at = eco.with_options(alpha=Q(3, 10), beta=Q(2, 5))
    sizes = device(run_sizes(eco, 0.3, 0.4, constant=True))
    alphas, betas = jnp.full(ROUNDS, 0.3), jnp.full(ROUNDS, 0.4)
    values = sweep.sweep_values(at)
    samples = sweep.monte_carlo_sampler(eco, ROUNDS, 50, seed=7)(values, alphas, betas, per_round(sizes, ROUNDS))
    mc = npo.simulate(at, ROUNDS, key=7, replicates=50, trajectory=False)
    np.testing.assert_array_equal(np.asarray(samples["mc_mean"]), mc.rates[:, -1])
    np.testing.assert_array_equal(np.asarray(samples["mc_spread"]), mc.squared_distance()[:, -1])
    exact_point = sweep.exact_point(eco, ROUNDS, population=False, tolerance=0.0)
    point = exact_point(values, 0.3, 0.4, sizes, sweep.EXACT_QUANTITIES)
    exact = npo.iterate_moments(at, ROUNDS)
    np.testing.assert_allclose(point["mean"], exact.mean[-1], rtol=1e-13)
    np.testing.assert_allclose(point["variance"], exact.variance()[-1], rtol=1e-13)
    np.testing.assert_allclose(point["spread"], exact.spread()[-1], rtol=1e-12, atol=1e-15)


def test_figure_draws_the_exact_moments():
    eco = small("fresh")
    exact = npo.iterate_moments(eco, ROUNDS)
    mc = npo.simulate(eco, ROUNDS, key=3, replicates=REPLICATES)
    figure = figures.trajectory_figure(exact, mc, "fresh")
    mean_axis, variance_axis, spread_axis = figure.axes  # the third: homogenisation E(lambda_1 - lambda_2)^2
    np.testing.assert_array_equal(mean_axis.lines[1].get_ydata(), exact.mean[:, 1])
    np.testing.assert_array_equal(variance_axis.lines[0].get_ydata(), exact.variance()[:, 0])
    # the homogenisation measure (numerics.homogenisation_measures), a second computation of the same E(l_1 - l_2)^2
    np.testing.assert_allclose(spread_axis.lines[0].get_ydata(), exact.spread()[:, 0, 1], rtol=1e-12, atol=1e-15)


def test_new_values_and_seeds_reuse_the_compiled_simulator():
    """Other rates, W, alpha, beta, n and seeds of the same structure (K, regime, method, and the number of W's
    edges, which shapes the arrays of the edge path) run the one compiled simulator, and its draws follow the new
    values (E lambda_0 is the new initial fit's)."""
    eco = small("reuse")
    npo.simulate(eco, ROUNDS, key=1, replicates=REPLICATES)
    run = monte_carlo.compiled_simulation(eco, ROUNDS)[0]
    traced = run._cache_size()
    mixing = [[Q(1, 10), Q(9, 10)], [Q(19, 20), Q(1, 20)]]  # 4 edges, as small's W
    other = poisson_ecosystem([40, 0.5], 9, alpha=0.9, beta=0.2, n=30, mixing=mixing, regime="reuse")
    mc = npo.simulate(other, ROUNDS, key=2, replicates=REPLICATES)
    assert monte_carlo.compiled_simulation(other, ROUNDS)[0] is run and run._cache_size() == traced
    assert_mean_agrees(mc.rates[:, 0], npo.iterate_moments(other, 0).mean[0], "E lambda_0 of the new values")
