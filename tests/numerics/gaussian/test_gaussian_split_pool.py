"""The ``split`` pool of Gaussian ecosystems (the pooled outputs of all models cut at random into one slice per
model, :mod:`theory.pools`): one round of the exact map against a brute-force average over every order of a tiny
pool (given the count table the slice's mean and scatter have their fixed-composition moments), the own pool's means
for W = J / K, and Monte Carlo of the process against the exact recursion. The vectorised step against the sympy
map: tests/numerics/gaussian/test_gaussian_vectorised.py.

Tolerance: E m (K d), E S (K d^2) and the centred products of m ((K d)^2) at rounds 0..2 with K = 3, d = 2:
3 x 54 = 162 comparisons; Z_FAMILY (~4.5) gives a false failure with probability <= 1e-3 at a fixed seed.
"""

import itertools

import scipy.stats
import sympy
from monte_carlo_checks import assert_gaussian_trajectory_agrees
from sympy import Rational as Q

import interplay.numerics as numerics
from interplay.theory import Ecosystem
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.rounds import plan_at

W3 = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, Q(7, 10)]]
ROUNDS = 2
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 162)))


def test_one_round_equals_the_average_over_every_order_of_the_pool():
    """W = [[1/2, 1/2], [1, 0]], alpha = beta = 1/2, n = 4, fresh: each model's private and the public sample of one
    draw, and N_kj = [[1, 1], [2, 0]]: model 0 generates 3 draws, model 1 one, slices of 2 (p = (3/4, 1/4), not W's
    rows). From the start m = (0, 2), S = (1, 3), given a count table C model k's pieces (weights 1/4, 1/4, 1/2) are
    independent with the slice's E xbar = sum_j C_kj m_j / N_k, Var xbar = sum_j C_kj S_j / N_k^2 and E A / N =
    (1 - 1/N_k) sum_j C_kj S_j / N_k + sum_j C_kj (m_j - mbar_C)^2 / N_k; so E[m_k | C], Cov(m_k, m_l | C) (the
    public sample shared) and E[U_k | C] = sum_p w_p [E A_p / N_p + Var(xbar_p - m_k) + (E xbar_p - E m_k)^2];
    averaged over the 4! equally likely orders (total expectation and covariance) they are E m', Cov m', E U',
    exactly."""
    real, public, real_cov = [Q(-1), Q(3)], Q(1), [Q(2), Q(1, 2)]
    eco = Ecosystem.gaussian(
        means=[[x] for x in real],
        public_mean=[public],
        covs=[[[c]] for c in real_cov],
        alpha=Q(1, 2),
        beta=Q(1, 2),
        n=4,
        mixing=[[Q(1, 2), Q(1, 2)], [1, 0]],
        regime="fresh",
        pool="split",
    )  # public_cov 1
    plan = plan_at(eco, 1)
    assert plan.n_synthetic == sympy.Matrix([[1, 1], [2, 0]]) and plan.n_private == sympy.Matrix([1, 1])
    m, S = [Q(0), Q(2)], [Q(1), Q(3)]
    start = gaussian.moments_of_fit(eco, gaussian.start_state(eco, {"mean": [[0], [2]], "cov": [[[1]], [[3]]]}))
    exact = gaussian.moment_step(eco, start, plan, sympy.Integer(1))
    weights = [Q(1, 4), Q(1, 4), Q(1, 2)]  # private, public, slice
    given = []  # per order: E[m | C] (2), Cov(m | C) (2 x 2), E[U | C] (2)
    for order in itertools.permutations([0, 0, 0, 1]):
        C = [[order[2 * k : 2 * k + 2].count(j) for j in range(2)] for k in range(2)]
        pieces = []  # per model: (E xbar, Var xbar, E A / N) of private, public, slice
        for k in range(2):
            mbar = sum(C[k][j] * m[j] for j in range(2)) / 2
            pooled = sum(C[k][j] * S[j] for j in range(2)) / 2
            spread = sum(C[k][j] * (m[j] - mbar) ** 2 for j in range(2)) / 2
            pieces.append([(real[k], real_cov[k], 0), (public, 1, 0), (mbar, pooled / 2, pooled / 2 + spread)])
        mean = [sum(w * p[0] for w, p in zip(weights, pieces[k])) for k in range(2)]
        cov = sympy.Matrix(2, 2, lambda k, l: weights[1] ** 2 * 1)  # the shared public sample
        for k in range(2):
            cov[k, k] = sum(w**2 * p[1] for w, p in zip(weights, pieces[k]))
        scatter = [
            sum(
                w
                * (
                    p[2]
                    + sum(((1 if q == r else 0) - v) ** 2 * pieces[k][r][1] for r, v in enumerate(weights))
                    + (p[0] - mean[k]) ** 2
                )
                for q, (w, p) in enumerate(zip(weights, pieces[k]))
            )
            for k in range(2)
        ]
        given.append((mean, cov, scatter))
    count = len(given)
    mean = [sum(g[0][k] for g in given) / count for k in range(2)]
    cov = sum((g[1] for g in given), sympy.zeros(2, 2)) / count + sympy.Matrix(
        2, 2, lambda k, l: sum((g[0][k] - mean[k]) * (g[0][l] - mean[l]) for g in given) / count
    )
    assert exact.mean == sympy.Matrix(mean)
    assert exact.cov == cov
    assert exact.scatter == sympy.Matrix([sum(g[2][k] for g in given) / count for k in range(2)])


def test_for_equal_shares_split_keeps_the_own_pools_means():
    """W = J / 2 gives p = 1/2 and 1 p^T = W: E m_t equal at every round, exactly (the fitted covariances differ: a
    slice's make-up is random)."""
    spec = dict(means=[[0], [2]], public_mean=[1], alpha=Q(1, 2), beta=Q(1, 2), n=16, regime="reuse")
    split, own = (Ecosystem.gaussian(**spec, pool=pool) for pool in ("split", "own"))
    moments = [gaussian.moment_step(eco, gaussian.zero_moments(eco), plan_at(eco, 0), 0) for eco in (split, own)]
    for t in range(1, 4):
        moments = [gaussian.moment_step(e, x, plan_at(e, t), t) for e, x in zip((split, own), moments)]
        assert moments[0].mean == moments[1].mean
        assert moments[0].scatter != moments[1].scatter


def test_monte_carlo_of_a_split_pool_matches_the_exact_moments():
    d = 2
    eco = Ecosystem.gaussian(
        means=[[-1] * d, [1] * d, [3] * d],
        public_mean=[Q(1, 4)] * d,
        covs=[sympy.eye(d) * (1 + k) for k in range(3)],
        alpha=Q(3, 5),
        beta=Q(1, 2),
        n=10,
        mixing=W3,
        regime="reuse",
        estimator="unbiased",
        pool="split",
    )
    exact = numerics.iterate_moments(eco, ROUNDS)
    mc = numerics.simulate(eco, ROUNDS, key=5, replicates=4000)
    assert_gaussian_trajectory_agrees(mc, exact, z_limit=Z_FAMILY)
