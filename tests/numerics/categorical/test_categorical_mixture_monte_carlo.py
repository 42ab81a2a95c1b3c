"""The categorical numerics under ``composition="mixture"``: Monte Carlo (model k's synthetic counts one
Multinomial(N_syn, sum_j W[k, j] p_j)) against the exact moment recursion (numerics.categorical.iterate_moments,
itself checked against the sympy maps in test_categorical_vectorised.py and those against a brute-force law of
total covariance in tests/theory/categorical/test_categorical_mixture.py).

Tolerance: every entry of E p and Cov p at every round, a Monte Carlo mean of R iid replicates within z standard
errors, z Bonferroni's over the comparisons (family-wise false alarm 1e-3 per test at a fixed seed).
"""

import numpy as np
import scipy.stats
import sympy
from monte_carlo_checks import assert_mean_agrees

import interplay.numerics.categorical as nc
from interplay.numerics.categorical import tokens
from interplay.numerics.driver.sizes import static_sizes
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory

R = sympy.Rational
PROBS = [[0.5, 0.3, 0.2, 0.0], [0.1, 0.1, 0.4, 0.4], [0.0, 0.0, 0.5, 0.5]]

REPLICATES = 4000
CONSTANT = 1e-12  # SE of an entry constant across replicates (float64 round-off)


def assert_moments_agree(probs, mean, cov):
    """probs (R, T + 1, K, m) against exact E p (T + 1, Km) and Cov p (T + 1, Km, Km) at every round."""
    R, T1, K, m = probs.shape
    z_family = float(scipy.stats.norm.isf(1e-3 / (2 * T1 * (K * m + (K * m) ** 2))))
    np.testing.assert_allclose(probs.sum(-1), 1, atol=1e-12)
    for t in range(T1):
        p = probs[:, t].reshape(R, K * m)
        assert_mean_agrees(p, mean[t], f"E p at t={t}", constant_below=CONSTANT, z_limit=z_family)
        centred = p - mean[t]
        products = centred[:, :, None] * centred[:, None, :]
        assert_mean_agrees(products, cov[t], f"Cov p at t={t}", constant_below=CONSTANT, z_limit=z_family)


def test_mixture_monte_carlo_matches_the_exact_moments_with_a_sparse_w():
    """K = 3, W = [[0.6, 0.4, 0], [0, 0.5, 0.5], [0.3, 0, 0.7]], reuse, smoothing, n = 6 (at most 1.5 m tokens:
    the fixed composition would take token lists, a mixture takes the counts route): E p and Cov p over 3 rounds."""
    mixing = [[0.6, 0.4, 0], [0, 0.5, 0.5], [0.3, 0, 0.7]]
    eco = categorical_ecosystem(PROBS, [0.25] * 4, alpha=0.8, beta=0.5, n=6, mixing=mixing, smoothing=1,
                                composition="mixture")  # fmt: skip
    fixed = eco.with_options(composition="fixed")
    assert tokens.applies(fixed, static_sizes(fixed, 3)) and not tokens.applies(eco, static_sizes(eco, 3))
    exact = nc.iterate_moments(eco, 3)
    mc = nc.simulate(eco, 3, key=5, replicates=REPLICATES)
    assert_moments_agree(mc.probs, exact.mean.reshape(4, 12), exact.cov.reshape(4, 12, 12))


def test_a_mixture_of_two_point_masses_draws_binomial_counts():
    """K = 2, alpha = 1, W = 1/2 everywhere, n = 4, from p_0 = (e_1, e_4): the fixed composition draws 2 tokens
    from each model, p_k = (1/2, 0, 0, 1/2) for sure; the mixture draws Binomial(4, 1/2) / 4 of category 1, so
    Var p_k1 = 1/16 = -Cov(p_k1, p_k4), and the two models independently. Round 2 against the exact recursion;
    Monte Carlo agrees with the mixture, not with the fixed composition (whose covariance is 0)."""
    start = [[1, 0, 0, 0], [0, 0, 0, 1]]
    options = dict(alpha=1, beta=1, n=4, mixing=[[R(1, 2)] * 2] * 2, regime="fresh", composition="mixture")
    eco = categorical_ecosystem(PROBS[:2], [0.25] * 4, **options)
    trajectory = moment_trajectory(eco, 2, start=start)
    assert trajectory[1][0].T == sympy.Matrix([[R(1, 2), 0, 0, R(1, 2)] * 2])
    one = sympy.Matrix([[1, 0, 0, -1], [0] * 4, [0] * 4, [-1, 0, 0, 1]]) / 16
    assert trajectory[1][1] == sympy.diag(one, one)
    assert moment_trajectory(eco.with_options(composition="fixed"), 1, start=start)[1][1] == sympy.zeros(8, 8)
    mean = np.array([np.array(mu, dtype=float).ravel() for mu, _ in trajectory])
    cov = np.array([np.array(c, dtype=float) for _, c in trajectory])
    mc = nc.simulate(eco, 2, key=7, replicates=REPLICATES, start=start)
    assert_moments_agree(mc.probs, mean, cov)
    first = mc.probs[:, 1, :, 0]
    assert first.std() > 0.2 and set(np.unique(first * 4)) == {0, 1, 2, 3, 4}
