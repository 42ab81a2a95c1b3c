"""The categorical family under ``composition="mixture"`` (each synthetic sample from model j with probability
W[k, j]): its exact moment step against a second derivation, the law of total expectation and covariance over the
random counts C_k ~ Multinomial(N_syn, W[k, :]) of the fixed composition's step given C; and against the fixed
composition itself (the same means; the covariance the between-model spread apart; equal where every model draws
from one model). The exact chain under mixture is checked in test_categorical.py (CHAIN_SETTINGS)."""

import itertools
from math import factorial, prod

import pytest
import sympy

from interplay.theory.categorical.maps import (
    Moments,
    categorical_ecosystem,
    fitted_moments,
    initial_moments,
    moment_step,
    moment_trajectory,
)
from interplay.theory.rounds import plan_at

R = sympy.Rational
PRIVATE = [[R(1, 2), R(1, 2), 0], [0, R(1, 3), R(2, 3)], [R(1, 5), R(1, 5), R(3, 5)]]
PUBLIC = [R(1, 4), R(1, 4), R(1, 2)]
START = [[R(1, 2), R(1, 2), 0], [0, R(1, 4), R(3, 4)], [R(1, 3), R(1, 3), R(1, 3)]]  # p_0, deterministic
SPARSE = [[R(3, 5), R(2, 5), 0], [0, R(1, 2), R(1, 2)], [R(3, 10), 0, R(7, 10)]]


def ecosystem(K, mixing, **options):
    return categorical_ecosystem(PRIVATE[:K], PUBLIC, mixing=mixing, composition="mixture", **options)


def _count_vectors(total, weights):
    """(C, P(C)) for C ~ Multinomial(total, weights) over the entries of positive weight."""
    support = [j for j, w in enumerate(weights) if w != 0]
    for cuts in itertools.combinations(range(total + len(support) - 1), len(support) - 1):
        edges = (-1, *cuts, total + len(support) - 1)
        counts = [0] * len(weights)
        for j, (a, b) in zip(support, zip(edges, edges[1:])):
            counts[j] = b - a - 1
        coefficient = factorial(total) // prod(factorial(c) for c in counts)
        yield counts, coefficient * prod(w**c for w, c in zip(weights, counts))


def _total_law(eco, moments, t):
    """The moments of round t by the law of total expectation and covariance over C (independent across models):
    given C the synthetic draws are the fixed composition's with sizes C_kj and weights alpha C_kj / N_syn."""
    fixed, plan = eco.with_options(composition="fixed"), plan_at(eco, t)
    alpha, N = eco.alpha_at(t), sum(plan.n_synthetic.row(0))
    rows = [list(_count_vectors(int(N), list(eco.mixing.row(k)))) for k in range(eco.K)]
    conditional = []
    for outcome in itertools.product(*rows):
        C = sympy.Matrix([counts for counts, _ in outcome])
        given = plan._replace(n_synthetic=C, w_synthetic=alpha * C / N)
        conditional.append((prod(p for _, p in outcome), moment_step(fixed, moments, given, t)))
    assert sum(p for p, _ in conditional) == 1
    mean = sum((p * m.mean for p, m in conditional), sympy.zeros(*moments.mean.shape))
    cov = sum(
        (p * (m.cov + (m.mean - mean) * (m.mean - mean).T) for p, m in conditional), sympy.zeros(*moments.cov.shape)
    )
    cross = sum((p * m.cross for p, m in conditional), sympy.zeros(*moments.cross.shape))  # b is independent of C
    return Moments(mean, cov, cross)


CASES = {  # n = 6, alpha = beta = 1/2: N_syn = 3 synthetic samples per model (fresh: N_public = 2, 1 private)
    "K2-reuse-smoothed": (2, [[R(2, 3), R(1, 3)], [R(1, 4), R(3, 4)]], dict(regime="reuse", smoothing=1)),
    "K2-accumulate": (2, [[R(1, 2), R(1, 2)], [R(1, 3), R(2, 3)]], dict(regime="accumulate")),
    "K3-fresh-sparse": (3, SPARSE, dict(regime="fresh")),
}


@pytest.mark.parametrize("name", list(CASES))
def test_mixture_moment_step_is_the_total_law_over_the_source_counts(name):
    """Round 1 from a deterministic p_0 (no covariance yet: the spread of the start's rows) and round 2 from round
    1's exact moments (the spread's covariance part too): the mixture step equals the brute-force law of total
    expectation and covariance over the source counts, in exact rationals."""
    K, mixing, options = CASES[name]
    eco = ecosystem(K, mixing, alpha=R(1, 2), beta=R(1, 2), n=6, **options)
    assert [sum(plan_at(eco, 1).n_synthetic.row(k)) for k in range(K)] == [3] * K
    moments = initial_moments(eco, start=START[:K])
    for t in (1, 2):
        expected = _total_law(eco, moments, t)
        moments = Moments(*(sympy.expand(x) for x in moment_step(eco, moments, plan_at(eco, t), t)))
        assert moments == expected, (name, t)


def _spread(rows, weights):
    """sum_j W[k, j] (p_j - pbar_k)(p_j - pbar_k)^T of fixed vectors, by hand."""
    centre = sum((w * p for w, p in zip(weights, rows)), sympy.zeros(3, 1))
    return sum((w * (p - centre) * (p - centre).T for w, p in zip(weights, rows)), sympy.zeros(3, 3))


def test_mixture_and_fixed_have_the_same_means_and_covariances_that_differ_by_the_spread():
    """beta = 1, alpha = 1/2, n = 6, W = [[1/3, 2/3], [2/3, 1/3]]: both compositions draw 3 private and 3 synthetic
    samples, the fixed one 1 and 2 from the models (the expected counts), so after round 1 from p_0 their
    covariances differ by exactly blockdiag_k((alpha^2 / 3) spread_k(p_0)); the means agree at every round."""
    W = [[R(1, 3), R(2, 3)], [R(2, 3), R(1, 3)]]
    mixture = ecosystem(2, W, alpha=R(1, 2), beta=1, n=6, regime="fresh")
    fixed = mixture.with_options(composition="fixed")
    assert plan_at(fixed, 1).n_synthetic == sympy.Matrix([[1, 2], [2, 1]])
    start = START[:2]
    of_mixture, of_fixed = moment_trajectory(mixture, 3, start=start), moment_trajectory(fixed, 3, start=start)
    assert all(a[0] == b[0] for a, b in zip(of_mixture, of_fixed))
    rows = [sympy.Matrix(p) for p in start]
    spreads = [R(1, 4) / 3 * _spread(rows, W[k]) for k in range(2)]
    assert spreads[0] != sympy.zeros(3, 3)
    assert of_mixture[1][1] - of_fixed[1][1] == sympy.diag(*spreads)
    assert of_mixture[3][1] != of_fixed[3][1]
    same_start = moment_trajectory(mixture, 1, start=[start[0], start[0]])  # models that do not differ
    assert same_start[1][1] == moment_trajectory(fixed, 1, start=[start[0], start[0]])[1][1]


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_a_mixture_of_one_model_per_row_is_the_fixed_composition(regime):
    """Every row of W with one nonzero: each synthetic sample comes from that one model, so the sizes and the
    moments (from the initial fit, with smoothing) are the fixed composition's, exactly, at every round."""
    mixture = ecosystem(3, [[0, 1, 0], [0, 0, 1], [1, 0, 0]], alpha=R(3, 5), beta=R(2, 3), n=7, regime=regime,
                        smoothing=R(1, 2))  # fmt: skip
    fixed = mixture.with_options(composition="fixed")
    assert plan_at(mixture, 1) == plan_at(fixed, 1)
    assert moment_trajectory(mixture, 2) == moment_trajectory(fixed, 2)


def test_the_population_limit_has_no_spread():
    """n = None: every sample infinite, the mixture's spread weighs alpha^2 / N_syn = 0 (the fits deterministic)."""
    mixture = ecosystem(2, [[R(1, 2), R(1, 2)], [R(1, 4), R(3, 4)]], alpha=R(1, 2), beta=R(1, 2))
    fixed = mixture.with_options(composition="fixed")
    state = initial_moments(mixture, start=START[:2])
    for eco in (mixture, fixed):
        moments = moment_step(eco, state, plan_at(eco, 1), 1)
        assert fitted_moments(eco, moments, 1)[1] == sympy.zeros(6, 6)
    assert moment_step(mixture, state, plan_at(mixture, 1), 1) == moment_step(fixed, state, plan_at(fixed, 1), 1)
