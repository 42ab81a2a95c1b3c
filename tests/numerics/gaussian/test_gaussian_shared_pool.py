"""The ``shared`` pool of Gaussian ecosystems (the models that scrape model j take prefixes of one sample of it,
:mod:`theory.pools`): the exact map against a round worked by hand, against the own pool (the same means, fitted
covariances and round-1 variances, correlated models), Monte Carlo of the process (one sample of n draws per model,
prefix sums) against the exact recursion, and the sweep's sampler against simulate. The vectorised step against the
sympy map: tests/numerics/gaussian/test_gaussian_vectorised.py.

Tolerance: a Monte Carlo mean of R iid replicates against its exact value in standard errors: E m (K d),
E S (K d^2) and the centred products of m (all (K d)^2 pairs) at rounds 0..3 with K = 3, d = 2: 4 x 54 = 216
comparisons: the Bonferroni limit Z_FAMILY (~4.6) gives a false failure with probability <= 1e-3 at a fixed seed.
"""

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats
import sympy
from monte_carlo_checks import assert_gaussian_trajectory_agrees, assert_mean_agrees
from sympy import Rational as Q

import interplay.numerics as numerics
from interplay.numerics.driver.sizes import device, per_round, run_sizes
from interplay.numerics.gaussian import sweep
from interplay.theory import Ecosystem
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.rounds import plan_at

W3 = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), Q(1, 5), Q(1, 2)]]  # sizes differ per scraper
ROUNDS = 3
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 216)))


def three(d=1, regime="reuse", **options):
    """K = 3 on W3, alpha 3/5, beta 1/2, n = 10: model k draws N_kj = [[4, 2, 0], [0, 3, 3], [2, 1, 3]] of model j."""
    means = [[Q(-1, 2) + Q(3, 10) * i for i in range(d)], [Q(1) - Q(1, 5) * i for i in range(d)], [Q(5, 2)] * d]
    covs = [
        sympy.eye(d) * (1 + Q(2, 5) * k) + (Q(3, 10) if d > 1 else 0) * (sympy.ones(d) - sympy.eye(d)) for k in range(3)
    ]
    spec = dict(alpha=Q(3, 5), beta=Q(1, 2), n=10, mixing=W3, regime=regime, pool="shared")
    return Ecosystem.gaussian(means=means, public_mean=[Q(1, 4)] * d, covs=covs, **(spec | options))


START = {"mean": [[0], [1], [3]], "cov": [[[1]], [[2]], [[4]]]}  # S_0, S_1, S_2 = 1, 2, 4


def _round_one(eco):
    """Moments after round 1 from START (the sympy map)."""
    start = gaussian.moments_of_fit(eco, gaussian.start_state(eco, START))
    return gaussian.moment_step(eco, start, plan_at(eco, 1), sympy.Integer(1))


def test_round_one_from_a_given_start_adds_the_shared_noise_worked_by_hand():
    """From a deterministic start (Cov m = 0, E S_j = S_j) round 1's Cov(m_k, m_l) under the shared pool is the own
    pool's plus sum_j w_kj w_lj S_j / max(N_kj, N_lj), w = alpha W3, exactly; the variances are the own pool's."""
    shared, own = three(), three(pool="own")
    assert plan_at(shared, 1).n_synthetic == sympy.Matrix([[4, 2, 0], [0, 3, 3], [2, 1, 3]])
    S0, S1, S2 = 1, 2, 4
    by_hand = sympy.zeros(3, 3)
    by_hand[0, 1] = Q(6, 25) * Q(3, 10) / 3 * S1  # j = 1: N_01 = 2, N_11 = 3
    by_hand[0, 2] = Q(9, 25) * Q(9, 50) / 4 * S0 + Q(6, 25) * Q(3, 25) / 2 * S1  # j = 0: 4, 2; j = 1: 2, 1
    by_hand[1, 2] = Q(3, 10) * Q(3, 25) / 3 * S1 + Q(3, 10) * Q(3, 10) / 3 * S2  # j = 1: 3, 1; j = 2: 3, 3
    by_hand = by_hand + by_hand.T
    assert by_hand[0, 2] == Q(9, 200) and by_hand[1, 2] == Q(18, 125)  # the sums, by hand
    got, own_got = _round_one(shared), _round_one(own)
    assert got.cov - own_got.cov == by_hand
    assert (got.mean, got.scatter, got.nu, got.cross) == (own_got.mean, own_got.scatter, own_got.nu, own_got.cross)


def test_the_shared_pool_keeps_means_and_round_one_moments_and_correlates_the_models():
    """Against the own pool (compiled recursion, K = 3, d = 2): E m equal at every round; E S and Cov(m_k) equal
    after round 1, the covariances between the models larger then (each coordinate's); from round 2 E S and Cov(m_k)
    differ (a model's scatter about its fit and its next mean see Cov(m_j, m_l) of the models it draws from)."""
    shared, own = numerics.iterate_moments(three(2), ROUNDS), numerics.iterate_moments(three(2, pool="own"), ROUNDS)
    np.testing.assert_allclose(shared.mean, own.mean, rtol=1e-13)
    np.testing.assert_allclose(shared.fitted_cov[:2], own.fitted_cov[:2], rtol=1e-13)
    models = np.arange(3)
    np.testing.assert_allclose(shared.mean_cov[1][models, :, models], own.mean_cov[1][models, :, models], rtol=1e-13)
    k, l = np.triu_indices(3, 1)
    for a in range(2):
        assert np.all(shared.mean_cov[1][k, a, l, a] > own.mean_cov[1][k, a, l, a] + 1e-3)
    assert not np.allclose(shared.fitted_cov[2], own.fitted_cov[2], rtol=1e-6)
    assert not np.allclose(shared.mean_cov[2][models, :, models], own.mean_cov[2][models, :, models], rtol=1e-6)


def test_monte_carlo_of_a_shared_pool_matches_the_exact_moments():
    """Reuse, sufficient statistics (the shared samples drawn raw): E m, E S and Cov m (every pair of coordinates of
    every pair of models) at rounds 0..3; the own pool's exact Cov m is rejected by the same Monte Carlo at round 1
    (the check sees the correlation)."""
    eco, K, d, replicates = three(2), 3, 2, 4000
    exact = numerics.iterate_moments(eco, ROUNDS)
    mc = numerics.simulate(eco, ROUNDS, key=5, replicates=replicates)
    assert_gaussian_trajectory_agrees(mc, exact, z_limit=Z_FAMILY)
    own = numerics.iterate_moments(three(2, pool="own"), ROUNDS).mean_cov[1].reshape(K * d, K * d)
    centred = mc.means[:, 1].reshape(replicates, K * d) - exact.mean[1].ravel()
    with pytest.raises(AssertionError):
        assert_mean_agrees(centred[:, :, None] * centred[:, None, :], own, "own Cov m at t=1", z_limit=Z_FAMILY)


def test_sweep_point_is_simulate_under_the_shared_pool():
    """The sweep's sampler at (alpha, beta) = (0.3, 0.4) draws exactly what simulate draws for the ecosystem at that
    point with the sweep's seed: the shared samples sized n in both."""
    eco = three(2)
    at = eco.with_options(alpha=Q(3, 10), beta=Q(2, 5))
    sizes = device(run_sizes(eco, 0.3, 0.4, constant=True))
    alphas, betas = jnp.full(ROUNDS, 0.3), jnp.full(ROUNDS, 0.4)
    sampler = sweep.monte_carlo_sampler(eco, ROUNDS, 50, seed=7)
    samples = sampler(sweep.sweep_values(at), alphas, betas, per_round(sizes, ROUNDS))
    mc = numerics.simulate(at, ROUNDS, key=7, replicates=50)
    np.testing.assert_array_equal(np.asarray(samples["mc_mean"]), mc.means[:, -1])
    np.testing.assert_array_equal(np.asarray(samples["mc_fitted_cov"]), mc.covs[:, -1])
