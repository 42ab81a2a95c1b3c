"""The ``mixture`` composition of Poisson ecosystems (each synthetic sample from model j with probability W[k, j]):
the exact recursion against a second derivation of one round (the cumulant generating function of a mixture
sample, differentiated: no law of total covariance), against the fixed composition (the same means; the same
everything when each model draws from one model only), the compiled step against the sympy map, and Monte Carlo
of the process against the recursion.

Tolerance: E lambda and the centred products at rounds 0..3 are 2 + 3 (K = 2) and 3 + 6 (K = 3) comparisons per
round, 4 rounds, over the three settings below: 2 x 4 x 5 + 4 x 9 = 76 comparisons; Z_FAMILY (~4.2) gives a false
failure with probability <= 1e-3 at a fixed seed.
"""

import numpy as np
import pytest
import scipy.stats
import sympy
from monte_carlo_checks import assert_mean_agrees
from sympy import Rational as Q

import interplay.numerics.poisson as npo
from interplay.numerics import sweep
from interplay.numerics.poisson import iterate
from interplay.theory.poisson import maps as poisson
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.rounds import plan_at

W2 = [[Q(7, 10), Q(3, 10)], [Q(1, 5), Q(4, 5)]]
W3 = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, Q(7, 10)]]
ROUNDS = 3
REPLICATES = 3000
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 76)))


def two(regime="fresh", **options):
    spec = dict(alpha=Q(1, 2), beta=Q(2, 3), n=9, mixing=W2, regime=regime, composition="mixture")
    return poisson_ecosystem([2, 5], 3, **(spec | options))


def three(regime="reuse", **options):
    spec = dict(alpha=Q(3, 5), beta=Q(1, 2), n=8, mixing=W3, regime=regime, composition="mixture")
    return poisson_ecosystem([1, 4, 9], 3, **(spec | options))


@pytest.mark.parametrize("regime", ["fresh", "reuse"])
def test_one_round_equals_the_cumulant_generating_function_of_a_mixture_sample(regime):
    """From a given start lambda_0 (deterministic), round 1's rates lambda = R b + alpha ybar, ybar the mean of N
    draws of the mixture sum_j W[k, j] Poisson(lambda_j): log E exp(u . lambda) = sum_s N_s r_s (e^(a_s / N_s) - 1)
    (a = R^T u; b drawn at round 0 under reuse, a fresh sample under fresh: one sample either way from a start)
    + sum_k N log sum_j W[k, j] exp(lambda_j (e^(u_k alpha / N) - 1)); its gradient and Hessian at u = 0 are E lambda
    and Cov lambda, equal to the recursion's exactly."""
    eco = two(regime)
    start = [Q(3, 2), 4]
    recursion = poisson.moment_trajectory(eco, 1, start=start)[1]
    plan = plan_at(eco, 1)
    N = sum(plan.n_synthetic.row(0))
    u = sympy.symbols("u0:2")
    rates = [s.rate for s in (*eco.private, eco.public)]
    sizes = [plan.n_private[0, 0], plan.n_private[1, 0], plan.n_public[0, 0]]
    weights = [[plan.w_private[0, 0], 0, plan.w_public[0, 0]], [0, plan.w_private[1, 0], plan.w_public[1, 0]]]
    real = sum(
        N_s * r * (sympy.exp(sum(u[k] * weights[k][s] for k in range(2)) / N_s) - 1)
        for s, (N_s, r) in enumerate(zip(sizes, rates))
    )
    alpha = eco.alpha_at(1)
    synthetic = sum(
        N * sympy.log(sum(W2[k][j] * sympy.exp(start[j] * (sympy.exp(u[k] * alpha / N) - 1)) for j in range(2)))
        for k in range(2)
    )
    cgf = real + synthetic
    zero = dict.fromkeys(u, 0)
    mean = sympy.Matrix([sympy.diff(cgf, x).subs(zero) for x in u])
    cov = sympy.Matrix([[sympy.diff(cgf, x, y).subs(zero) for y in u] for x in u])
    assert sympy.simplify(recursion.mean - mean) == sympy.zeros(2, 1)
    assert sympy.simplify(recursion.cov - cov) == sympy.zeros(2, 2)


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_the_mixture_keeps_the_means_and_adds_the_spread_to_the_variances(regime):
    """Against the fixed composition of the same spec (n = 30, where both apportion 30 samples the same way in
    total): E lambda equal at every round; Var lambda larger under the mixture from round 1, as the models differ."""
    mixture = poisson.moment_trajectory(three(regime, n=30), 3)
    fixed = poisson.moment_trajectory(three(regime, n=30, composition="fixed"), 3)
    for t in range(4):
        assert mixture[t].mean == fixed[t].mean
        gaps = [mixture[t].cov[k, k] - fixed[t].cov[k, k] for k in range(3)]
        assert all(g == 0 for g in gaps) if t == 0 else all(g > 0 for g in gaps), (t, gaps)


def test_a_model_that_draws_from_one_model_only_sees_no_mixture():
    """W a permutation: every row has one source, so the mixture is that source and both compositions give the
    same sizes and the same moments, exactly."""
    swap = [[0, 1], [1, 0]]
    mixture = poisson.moment_trajectory(two("reuse", mixing=swap), 3)
    fixed = poisson.moment_trajectory(two("reuse", mixing=swap, composition="fixed"), 3)
    assert [(m.mean, m.cov, m.cross) for m in mixture] == [(m.mean, m.cov, m.cross) for m in fixed]


def test_the_compiled_recursion_equals_the_sympy_map():
    eco = three("fresh")
    exact = npo.iterate_moments(eco, ROUNDS)
    for t, moments in enumerate(poisson.moment_trajectory(eco, ROUNDS)):
        np.testing.assert_allclose(exact.mean[t], np.array(moments.mean, dtype=float)[:, 0], rtol=1e-13)
        np.testing.assert_allclose(exact.cov[t], np.array(moments.cov, dtype=float), rtol=1e-12, atol=1e-15)
    assert iterate.structure(eco).composition == "mixture"
    grid = sweep(eco, {"alpha": [eco.alpha_at(1)]}, rounds=ROUNDS, quantities=["spread"], progress=False)
    np.testing.assert_allclose(grid.values["spread"][0], exact.spread()[-1], rtol=1e-12)


@pytest.mark.parametrize(
    ("eco", "method"), [(two("fresh"), "sufficient"), (three("reuse"), "sufficient"), (two("fresh"), "raw")]
)
def test_monte_carlo_of_mixture_draws_matches_the_exact_moments(eco, method):
    exact = npo.iterate_moments(eco, ROUNDS)
    mc = npo.simulate(eco, ROUNDS, key=7, replicates=REPLICATES, method=method)
    for t in range(ROUNDS + 1):
        rates = mc.rates[:, t]
        assert_mean_agrees(rates, exact.mean[t], f"E lambda at t={t}", z_limit=Z_FAMILY)
        centred = rates - exact.mean[t]
        rows, cols = np.triu_indices(eco.K)
        assert_mean_agrees(
            (centred[:, :, None] * centred[:, None, :])[:, rows, cols],
            exact.cov[t][rows, cols],
            f"Cov at t={t}",
            z_limit=Z_FAMILY,
        )
