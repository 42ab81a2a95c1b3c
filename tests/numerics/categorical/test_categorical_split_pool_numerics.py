"""The ``split`` pool of categorical ecosystems in numbers: the compiled recursion against the sympy map, and Monte
Carlo of the process (the pool's tokens in a random order, slices counted by segment sums) against the exact
moments, K = 3 on a sparse, non-uniform W with smoothing.

Tolerance: E p (K m = 9) and the centred products (upper triangle, 45) at rounds 1..2: 108 comparisons; Z_FAMILY
(~4.3) gives a false failure with probability <= 1e-3 at a fixed seed.
"""

import numpy as np
import scipy.stats
from monte_carlo_checks import assert_mean_agrees
from sympy import Rational as Q

import interplay.numerics as numerics
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory

W3 = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, Q(7, 10)]]
ROUNDS = 2
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 108)))


def three(regime="reuse"):
    private = [["1/2", "1/4", "1/4"], ["1/10", "3/10", "3/5"], ["1/3", "1/3", "1/3"]]
    spec = dict(alpha=Q(3, 5), beta=Q(1, 2), n=10, mixing=W3, regime=regime, pool="split", smoothing=1)
    return categorical_ecosystem(private, ["1/5", "2/5", "2/5"], **spec)


def test_the_compiled_recursion_equals_the_sympy_map():
    eco = three("fresh")
    exact = numerics.iterate_moments(eco, ROUNDS)
    for t, (mean, cov) in enumerate(moment_trajectory(eco, ROUNDS)):
        np.testing.assert_allclose(exact.mean[t].ravel(), np.array(mean, dtype=float).ravel(), rtol=1e-13)
        np.testing.assert_allclose(exact.cov[t].reshape(9, 9), np.array(cov, dtype=float), rtol=1e-12, atol=1e-15)


def test_monte_carlo_of_a_split_pool_matches_the_exact_moments():
    eco = three()
    exact = numerics.iterate_moments(eco, ROUNDS)
    replicates = 4000
    mc = numerics.simulate(eco, ROUNDS, key=9, replicates=replicates)
    rows, cols = np.triu_indices(9)
    for t in range(1, ROUNDS + 1):
        probs = mc.probs[:, t].reshape(replicates, 9)
        assert_mean_agrees(probs, exact.mean[t].ravel(), f"E p at t={t}", z_limit=Z_FAMILY)
        centred = probs - exact.mean[t].ravel()
        products = (centred[:, :, None] * centred[:, None, :])[:, rows, cols]
        cov = exact.cov[t].reshape(9, 9)[rows, cols]
        assert_mean_agrees(products, cov, f"Cov p at t={t}", z_limit=Z_FAMILY)
