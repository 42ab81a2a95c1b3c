"""The ``shared`` pool of Poisson ecosystems (the models that scrape model j take prefixes of one sample of it): the
exact recursion against a second derivation (the cumulant generating function of the prefix sums, differentiated),
against the own pool (the same means and variances after one round, correlated models), the compiled recursion and
Monte Carlo of the process against it, and the option's refusals.

The CGF: one sample of model j of max_k N_kj draws is a sum of disjoint blocks between the sorted sizes, block B a
Poisson(|B| lambda_j) count; model k's mean of its first N_kj draws is the sum of the blocks inside that prefix over
N_kj. So given lambda the synthetic part of u . lambda' has log E exp = sum_j lambda_j phi_j(u), phi_j(u) = sum_B |B|
(exp(sum_k u_k w_kj / N_kj [B inside model k's prefix]) - 1): linear in lambda, so Lambda_t(u) = kappa_b(R^T u) +
Lambda_{t-1}(phi(u)) (fresh) chains exactly, and its gradient and Hessian at 0 are E lambda_t and Cov lambda_t.

Tolerance: E lambda and the centred products (upper triangle) at rounds 0..3, K = 3: (3 + 6) x 4 = 36 comparisons;
Z_FAMILY (~3.9) gives a false failure with probability <= 1e-3 at a fixed seed.
"""

import numpy as np
import pytest
import scipy.stats
import sympy
from linear_cases import general
from monte_carlo_checks import assert_poisson_trajectory_agrees
from sympy import Rational as Q

import interplay.numerics.poisson as npo
from interplay.theory import SpecError
from interplay.theory.poisson import maps as poisson
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.rounds import plan_at

W3 = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), Q(1, 5), Q(1, 2)]]  # sizes differ per scraper
ROUNDS = 3
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 36)))


def three(regime="fresh", **options):
    spec = dict(alpha=Q(3, 5), beta=Q(1, 2), n=10, mixing=W3, regime=regime, pool="shared")
    return poisson_ecosystem([1, 4, 9], 3, **(spec | options))


def _phi(plan, u, K):
    """phi_j(u) of the module doc: the blocks of model j's one sample between the sorted sizes N_kj."""
    out = []
    for j in range(K):
        sizes = sorted({plan.n_synthetic[k, j] for k in range(K)} - {0})
        edges = [0, *sizes]
        total = 0
        for lower, upper in zip(edges, edges[1:]):
            exponent = sum(
                u[k] * plan.w_synthetic[k, j] / plan.n_synthetic[k, j]
                for k in range(K)
                if plan.n_synthetic[k, j] >= upper
            )
            total += (upper - lower) * (sympy.exp(exponent) - 1)
        out.append(total)
    return out


def test_the_recursion_equals_the_cumulant_generating_function_of_prefix_sums():
    """Fresh, two rounds, exact rational equality of E lambda_t and Cov lambda_t (t = 0, 1, 2)."""
    eco = three()
    K = 3
    u = sympy.symbols("u0:3")
    rates = [s.rate for s in (*eco.private, eco.public)]

    def real(plan, argument):
        sizes = [plan.n_private[k, 0] for k in range(K)] + [plan.n_public[0, 0]]
        weights = sympy.Matrix.hstack(sympy.diag(*plan.w_private), plan.w_public).T @ sympy.Matrix(argument)
        return sum(N * r * (sympy.exp(a / N) - 1) for N, r, a in zip(sizes, rates, weights))

    plans = [plan_at(eco, t) for t in range(3)]
    cgfs = [lambda x: real(plans[0], x)]
    for t in (1, 2):
        cgfs.append(lambda x, p=plans[t], f=cgfs[-1]: real(p, x) + f(_phi(p, x, K)))
    recursion = poisson.moment_trajectory(eco, 2)
    zero = dict.fromkeys(u, 0)
    for t, cgf in enumerate(cgfs):
        expression = cgf(list(u))
        mean = sympy.Matrix([sympy.diff(expression, x).subs(zero) for x in u])
        cov = sympy.Matrix([[sympy.diff(expression, x, y).subs(zero) for y in u] for x in u])
        assert sympy.simplify(recursion[t].mean - mean) == sympy.zeros(3, 1), t
        assert sympy.simplify(recursion[t].cov - cov) == sympy.zeros(3, 3), t


def test_the_shared_pool_keeps_means_and_variances_of_a_round_and_correlates_the_models():
    """Against the own pool: E lambda equal at every round; after round 1 the variances equal and the covariances
    larger (models that scrape one model see the same draws); the mean pairwise distance smaller from round 1."""
    shared, own = npo.iterate_moments(three(), 4), npo.iterate_moments(three(pool="own"), 4)
    np.testing.assert_allclose(shared.mean, own.mean, rtol=1e-13)
    np.testing.assert_allclose(shared.variance()[1], own.variance()[1], rtol=1e-13)
    rows, cols = np.triu_indices(3, 1)
    assert np.all(shared.cov[1][rows, cols] > own.cov[1][rows, cols])
    distance = (shared.homogenisation()["mean_squared_distance"], own.homogenisation()["mean_squared_distance"])
    assert np.all(distance[0].values[1:] < distance[1].values[1:])


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_the_compiled_recursion_equals_the_sympy_map(regime):
    eco = three(regime)
    exact = npo.iterate_moments(eco, ROUNDS)
    for t, moments in enumerate(poisson.moment_trajectory(eco, ROUNDS)):
        np.testing.assert_allclose(exact.mean[t], np.array(moments.mean, dtype=float)[:, 0], rtol=1e-13)
        np.testing.assert_allclose(exact.cov[t], np.array(moments.cov, dtype=float), rtol=1e-12, atol=1e-15)


def test_monte_carlo_of_a_shared_pool_matches_the_exact_moments():
    eco = three("reuse")
    exact = npo.iterate_moments(eco, ROUNDS)
    mc = npo.simulate(eco, ROUNDS, key=3, replicates=4000)
    assert_poisson_trajectory_agrees(mc, exact, z_limit=Z_FAMILY)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: three(pool="bogus"), "pool: must be one of ('own', 'shared', 'split'), got 'bogus'"),
        (lambda: three(composition="mixture"), "pool: a shared pool takes the fixed composition"),
        (
            lambda: general(2, 1, n=10, pool="own"),  # the linear surrogate scrapes one sample per model, as the paper
            "pool: the linear-gaussian family has ('shared',) only, got 'own'",
        ),
    ],
)
def test_bad_pools_are_named(build, message):
    with pytest.raises(SpecError) as error:
        build()
    assert str(error.value).startswith(message)
