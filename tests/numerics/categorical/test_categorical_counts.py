"""The two exact routes to multinomial counts (numerics/counts.py) and the categorical simulation's methods.

Tolerances: chi-square goodness of fit against the exact Multinomial pmf at p-value 1e-4 (fixed seeds); means
and variances within 4 standard errors; two-sample Kolmogorov-Smirnov at p-value 1e-4, which with 3,000 runs per
method detects a shift of the distribution function of 0.05 or more.
"""

import itertools
import math

import jax
import numpy as np
import pytest
import scipy.stats
import sympy

import interplay.numerics.categorical as nc
from interplay.numerics.categorical.tokens import applies as token_lists_apply
from interplay.numerics.samplers import counts
from interplay.theory.categorical.maps import categorical_ecosystem

P_VALUE = 1e-4


def draw(route, probs, sizes, capacity, replicates, seed):
    keys = jax.random.split(jax.random.PRNGKey(seed), replicates)
    distributions, rows = counts.prepare(probs, route), jax.numpy.arange(probs.shape[0])
    f = jax.jit(jax.vmap(lambda k: counts.draw_counts(k, distributions, rows, sizes, capacity)))
    return np.asarray(f(keys))


def exactly_normalised(probs):
    """Floats that sum to 1 only up to rounding, as rationals that sum to exactly 1 (the spec takes floats at their
    exact value, so it refuses the floats themselves)."""
    exact = [sympy.Rational(repr(float(p))) for p in probs]
    return [p / sum(exact) for p in exact]


def test_cumulative_sums_add_exactly_nothing_for_absent_categories():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(1000, 0.3), size=8) * (rng.random((8, 1000)) < 0.6)
    c = np.asarray(counts.cumulative(jax.numpy.asarray(probs)))
    np.testing.assert_allclose(c, np.cumsum(probs, -1), rtol=0, atol=1e-14)
    zero = probs[:, 1:] == 0
    assert zero.sum() > 3000
    assert np.all(c[:, 1:][zero] == c[:, :-1][zero])
    assert np.all(np.diff(c, axis=-1) >= 0)


@pytest.mark.parametrize("route", counts.ROUTES)
def test_counts_follow_the_exact_multinomial_law(route):
    """N = 4 tokens over (0.5, 0, 0.3, 0.2): every one of the 15 possible count vectors at its exact frequency."""
    p = np.array([0.5, 0.0, 0.3, 0.2])
    samples = draw(route, jax.numpy.asarray([p]), jax.numpy.asarray([4.0]), 4, 20000, seed=3)[:, 0]
    assert np.all(samples[:, 1] == 0)
    outcomes = [c for c in itertools.product(range(5), repeat=3) if sum(c) == 4]
    observed = np.array([np.sum(np.all(samples[:, [0, 2, 3]] == c, axis=1)) for c in outcomes])
    assert observed.sum() == len(samples)
    pmf = np.array(
        [math.factorial(4) / np.prod([math.factorial(k) for k in c]) * np.prod(p[[0, 2, 3]] ** c) for c in outcomes]
    )
    _, p_value = scipy.stats.chisquare(observed, pmf / pmf.sum() * len(samples))
    assert p_value > P_VALUE


@pytest.mark.parametrize("route", counts.ROUTES)
def test_counts_of_several_blocks_sizes_below_capacity_and_point_masses(route):
    """Capacity 1,300 (three token blocks), sizes 1, 700 and 1,300, a point mass and zeros at both ends:
    counts sum to the sizes, absent categories stay empty, and each count has mean N p and variance N p (1-p)."""
    probs = np.array([[0.0, 0.2, 0.0, 0.5, 0.3, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.1, 0.1, 0.1, 0.1, 0.1, 0.5]])
    sizes = np.array([700.0, 1300.0, 1.0])
    samples = draw(route, jax.numpy.asarray(probs), jax.numpy.asarray(sizes), 1300, 4000, seed=5)
    np.testing.assert_array_equal(samples.sum(-1), np.broadcast_to(sizes, (4000, 3)))
    assert np.all(samples[:, probs == 0] == 0)
    mean, var = sizes[:, None] * probs, sizes[:, None] * probs * (1 - probs)
    moving = var > 0
    se_mean = np.sqrt(var / len(samples))
    assert np.all(np.abs(samples.mean(0) - mean)[moving] < 4 * se_mean[moving])
    # SE of a sample variance: sqrt((mu4 - var^2) / R) with the binomial's fourth central moment (rows with
    # N > 1: one Bernoulli(1/2) token has mu4 = var^2, a variance known to second order only)
    mu4 = var * (1 + 3 * (sizes[:, None] - 2) * probs * (1 - probs))
    se_var = np.sqrt((mu4 - var**2) / len(samples))
    checked = moving & (sizes[:, None] > 1)
    assert np.all(np.abs(samples.var(0, ddof=1) - var)[checked] < 4 * se_var[checked])


def test_the_default_route_switches_from_tokens_to_counts_at_four_tokens_per_category():
    assert counts.cheaper_route(4000, 1000) == "tokens"
    assert counts.cheaper_route(4001, 1000) == "multinomial"


def test_simulation_methods_agree_in_distribution():
    """K = 2, m = 16, n = 20, 8 rounds: model 1's final diversity and the models' squared distance have the same
    distribution whether every sample is materialised (raw), drawn as counts (multinomial) or by the default
    (here token lists: n <= 1.5 m)."""
    rng = np.random.default_rng(1)
    private = [exactly_normalised(rng.dirichlet(np.full(16, 0.5))) for _ in range(2)]
    public = exactly_normalised(rng.dirichlet(np.ones(16)))
    eco = categorical_ecosystem(private, public, alpha=0.7, beta=0.6, n=20, regime="fresh")
    assert token_lists_apply(eco, {"private": 20, "public": 20, "synthetic": 20})
    runs = {m: nc.simulate(eco, 8, key=i, replicates=3000, method=m) for i, m in enumerate(nc.METHODS)}
    for method in ("sufficient", "multinomial"):
        for stat in (lambda mc: mc.diversity()[:, -1, 0], lambda mc: mc.total_variation(0, 1)[:, -1]):
            assert scipy.stats.ks_2samp(stat(runs["raw"]), stat(runs[method])).pvalue > P_VALUE


def test_final_round_only_equals_the_last_round_of_the_trajectory():
    eco = categorical_ecosystem([[0.5, 0.3, 0.2]], [0.5, 0.3, 0.2], alpha=0.8, beta=1, n=20, regime="fresh")
    whole = nc.simulate(eco, 12, key=4, replicates=50)
    last = nc.simulate(eco, 12, key=4, replicates=50, trajectory=False)
    assert last.probs.shape == (50, 1, 1, 3) and last.rounds == whole.rounds == 12
    np.testing.assert_array_equal(last.probs[:, 0], whole.probs[:, -1])


def test_unknown_method_is_a_spec_error():
    eco = categorical_ecosystem([[0.5, 0.5]], [0.5, 0.5], alpha=0.5, beta=1, n=10)
    with pytest.raises(Exception, match="method"):
        nc.simulate(eco, 2, key=0, method="tokens")


def test_alias_tables_draw_the_exact_distribution_and_never_an_absent_category():
    """Walker's alias tables of rows with zeros (ends and middle), a point mass and a uniform: the implied law
    keep/m + (mass aliased in)/m equals p to rounding, and 200,000 tokens pass a chi-square test against p."""
    probs = np.array([[0.0, 0.5, 0.0, 0.3, 0.2, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [1 / 6] * 6])
    keep, alias = counts.alias_tables(probs)
    m = probs.shape[1]
    for row in range(3):
        implied = keep[row] / m + np.bincount(alias[row], weights=(1 - keep[row]) / m, minlength=m)
        np.testing.assert_allclose(implied, probs[row], atol=1e-15)
        assert np.all(keep[row][probs[row] == 0] == 0) and np.all(probs[row][alias[row]] > 0)
    tokens = np.asarray(
        counts.alias_tokens(jax.random.PRNGKey(2), jax.numpy.asarray(keep), jax.numpy.asarray(alias), (200000,))
    )
    for row in range(3):
        observed = np.bincount(tokens[row], minlength=m)
        assert np.all(observed[probs[row] == 0] == 0)
        positive = probs[row] > 0
        if positive.sum() > 1:
            assert scipy.stats.chisquare(observed[positive], probs[row][positive] * 200000).pvalue > P_VALUE
