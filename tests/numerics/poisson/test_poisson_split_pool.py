"""The ``split`` pool of Poisson ecosystems (the pooled outputs of all models cut at random into one slice per model,
:mod:`theory.pools`): the compiled recursion against the sympy map, and Monte Carlo of the process (a random order
of the pool, slices by prefix sums) against the exact moments, for K = 2 (W = J / 2, reuse) and K = 3 (a sparse,
non-uniform W, fresh).

Tolerance: E lambda and the centred products (upper triangle) at rounds 0..2: K = 2: (2 + 3) x 3, K = 3:
(3 + 6) x 3, 42 comparisons; Z_FAMILY (~3.8) gives a false failure with probability <= 1e-3 at fixed seeds.
"""

import numpy as np
import pytest
import scipy.stats
from monte_carlo_checks import assert_poisson_trajectory_agrees
from sympy import Rational as Q

import interplay.numerics as numerics
import interplay.numerics.poisson as npo
from interplay.theory.poisson import maps as poisson
from interplay.theory.poisson import poisson_ecosystem

W3 = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, Q(7, 10)]]
ROUNDS = 2
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 42)))


def two():
    return poisson_ecosystem([2, 6], 4, alpha=Q(1, 2), beta=Q(1, 2), n=16, pool="split")


def three():
    return poisson_ecosystem([1, 4, 9], 3, alpha=Q(3, 5), beta=Q(1, 2), n=10, mixing=W3, regime="fresh", pool="split")


def test_the_compiled_recursion_equals_the_sympy_map():
    eco = three()
    exact = npo.iterate_moments(eco, ROUNDS)
    for t, moments in enumerate(poisson.moment_trajectory(eco, ROUNDS)):
        np.testing.assert_allclose(exact.mean[t], np.array(moments.mean, dtype=float)[:, 0], rtol=1e-13)
        np.testing.assert_allclose(exact.cov[t], np.array(moments.cov, dtype=float), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("build", "seed"), [(two, 5), (three, 7)])
def test_monte_carlo_of_a_split_pool_matches_the_exact_moments(build, seed):
    eco = build()
    exact = npo.iterate_moments(eco, ROUNDS)
    mc = npo.simulate(eco, ROUNDS, key=seed, replicates=4000)
    assert_poisson_trajectory_agrees(mc, exact, z_limit=Z_FAMILY)


def test_a_sweep_point_equals_the_recursion_at_it():
    """The sweep's exact spread at alpha = 0.8 (its sizes, pool shares and slices) is iterate_moments' at that spec."""
    eco = two()
    swept = numerics.sweep(eco, {"alpha": [0.2, 0.8]}, rounds=ROUNDS, quantities=["spread"])
    at = npo.iterate_moments(eco.with_options(alpha=Q(4, 5)), ROUNDS).spread()[-1]
    np.testing.assert_allclose(swept["spread"][1], at, rtol=1e-12, atol=1e-15)
