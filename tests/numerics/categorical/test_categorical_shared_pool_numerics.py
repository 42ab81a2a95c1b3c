"""The categorical numerics under ``pool="shared"`` (model k counts the first N_kj tokens of one sample of model j):
the compiled recursion against the sympy maps (themselves checked against a brute-force law of token sequences in
tests/theory/categorical/test_categorical_shared_pool.py), against the own pool, and Monte Carlo of the process
(prefix counts from blocks between the sorted sizes) against it.

Ecosystem: K = 3, W = [[3/5, 2/5, 0], [0, 1/2, 1/2], [3/10, 1/5, 1/2]], alpha 3/5, beta 1/2, n = 10, so
N_syn = [[4, 2, 0], [0, 3, 3], [2, 1, 3]]: every model is scraped by two or three models of different sizes; m = 7
(n <= 1.5 m: the own pool would take token lists, which draw a sample per scraper; the shared pool takes the counts
route).

Tolerance: every entry of E p (Km = 21) and of the centred products (upper triangle, 231) at rounds 0..3 of a Monte
Carlo mean of R iid replicates within z standard errors, z Bonferroni's over the 1008 comparisons (family-wise false
alarm 1e-3 at a fixed seed); entries constant across replicates (categories no source holds) must be exact.
"""

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
import sympy
from monte_carlo_checks import assert_categorical_trajectory_agrees

import interplay.numerics.categorical as nc
from interplay.numerics.categorical import tokens
from interplay.numerics.categorical.monte_carlo import prefix_blocks, prefix_counts
from interplay.numerics.driver.sizes import static_sizes
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory
from interplay.theory.rounds import plan_at

Q = sympy.Rational
W3 = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), Q(1, 5), Q(1, 2)]]
PRIVATE = [
    [Q(1, 2), Q(3, 10), Q(1, 5), 0, 0, 0, 0],
    [0, Q(1, 10), Q(1, 2), Q(2, 5), 0, 0, 0],
    [0, 0, 0, Q(1, 4), Q(1, 4), Q(1, 4), Q(1, 4)],
]
PUBLIC = [Q(1, 7)] * 7
ROUNDS = 3
REPLICATES = 4000


def three(regime="reuse", **options):
    spec = dict(alpha=Q(3, 5), beta=Q(1, 2), n=10, mixing=W3, regime=regime, pool="shared")
    return categorical_ecosystem(PRIVATE, PUBLIC, **(spec | options))


def flat(result):
    """(E p (T + 1, Km), Cov p (T + 1, Km, Km)) of a categorical trajectory."""
    T1, K, m = result.mean.shape
    return result.mean.reshape(T1, K * m), result.cov.reshape(T1, K * m, K * m)


def test_the_sizes_differ_per_scraper_and_token_lists_are_left_to_the_own_pool():
    eco = three()
    assert plan_at(eco, 1).n_synthetic == sympy.Matrix([[4, 2, 0], [0, 3, 3], [2, 1, 3]])
    own = eco.with_options(pool="own")
    assert tokens.applies(own, static_sizes(own, ROUNDS)) and not tokens.applies(eco, static_sizes(eco, ROUNDS))


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_the_compiled_recursion_equals_the_sympy_map(regime):
    eco = three(regime)
    mean, cov = flat(nc.iterate_moments(eco, ROUNDS))
    for t, (mean_t, cov_t) in enumerate(moment_trajectory(eco, ROUNDS)):
        np.testing.assert_allclose(mean[t], np.array(mean_t, dtype=float)[:, 0], rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(cov[t], np.array(cov_t, dtype=float), rtol=1e-12, atol=1e-16)


def test_the_shared_pool_keeps_means_and_variances_of_a_round_and_correlates_the_models():
    """Against the own pool: E p equal at every round; after round 1 each model's covariance block equal and the
    covariance of two models' probabilities of each category larger (every pair scrapes a common model here)."""
    shared, own = nc.iterate_moments(three(), ROUNDS), nc.iterate_moments(three(pool="own"), ROUNDS)
    np.testing.assert_allclose(shared.mean, own.mean, rtol=1e-13, atol=1e-16)
    K = 3
    for k in range(K):
        np.testing.assert_allclose(shared.cov[1][k, :, k], own.cov[1][k, :, k], rtol=1e-12, atol=1e-16)
    for k, l in [(0, 1), (0, 2), (1, 2)]:
        held = np.flatnonzero(np.einsum("aa->a", shared.cov[1][k, :, l]) != 0)
        assert held.size >= 3
        gap = np.einsum("aa->a", shared.cov[1][k, :, l] - own.cov[1][k, :, l])[held]
        assert np.all(gap > 1e-6), (k, l, gap)


def test_monte_carlo_of_a_shared_pool_matches_the_exact_moments():
    eco = three()
    mc = nc.simulate(eco, ROUNDS, key=11, replicates=REPLICATES)
    K, m = eco.K, eco.dim  # Bonferroni over E p (Km) and the centred products' upper triangle at rounds 0..T
    z_family = float(scipy.stats.norm.isf(1e-3 / (2 * (ROUNDS + 1) * (K * m + K * m * (K * m + 1) // 2))))
    assert_categorical_trajectory_agrees(mc.probs, *flat(nc.iterate_moments(eco, ROUNDS)), z_limit=z_family)


def test_prefix_counts_are_the_counts_of_the_first_tokens_of_one_sample():
    """The blocks between the sorted sizes (ties and zeros included), counted and summed up to each scraper's place,
    give the counts of the first N_kj tokens of one token sequence per model j: checked on random sequences."""
    rng = np.random.default_rng(0)
    K, m, length = 4, 3, 9
    sizes = np.array([[2, 0, 9, 4], [5, 0, 9, 4], [2, 7, 0, 1], [0, 7, 3, 9]], dtype=float)
    sequences = rng.integers(0, m, size=(K, length))  # model j's one sample
    blocks, rank = prefix_blocks(jnp.asarray(sizes))
    assert np.all(np.asarray(blocks) >= 0) and np.array_equal(np.asarray(blocks).sum(0), sizes.max(0))
    starts = np.cumsum(np.asarray(blocks), axis=0) - np.asarray(blocks)
    block_counts = np.zeros((K, K, m))
    for i, j in np.ndindex(K, K):
        tokens = sequences[j, int(starts[i, j]) : int(starts[i, j] + blocks[i, j])]
        block_counts[i, j] = np.bincount(tokens, minlength=m)
    expected = np.zeros((K, K, m))
    for k, j in np.ndindex(K, K):
        expected[k, j] = np.bincount(sequences[j, : int(sizes[k, j])], minlength=m)
    np.testing.assert_array_equal(np.asarray(prefix_counts(jnp.asarray(block_counts), rank)), expected)
