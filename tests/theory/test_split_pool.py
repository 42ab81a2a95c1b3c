"""The ``split`` pool (:mod:`theory.pools`): the pooled outputs of all models partitioned at random into one slice
per model. Its derivation checked against brute force: the count table's moments and the slice means' conditional
moments over every order of a tiny pool (exact fractions); the mean map mixing by 1 p^T, not W; against the own
pool for W = J / K (the same means, variances that differ by the finite-population terms); the option's refusals.
The Monte Carlo check is tests/numerics/poisson/test_poisson_split_pool.py."""

import itertools
from fractions import Fraction

import pytest
import sympy
from linear_cases import general
from sympy import Rational as Q

from interplay.theory import Ecosystem, SpecError, trains_on_graph
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.graphs import transitions
from interplay.theory.poisson import maps as poisson
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.pools import split_noise, split_plan, split_shares
from interplay.theory.rounds import RoundPlan

SIZES = [[2, 1, 0], [0, 1, 0], [1, 0, 1]]  # N_kj: slices N_k = (3, 1, 2), pool M_j = (3, 2, 1), M = 6
RATES = [Fraction(1), Fraction(4), Fraction(9)]
ALPHAS = [Q(3, 5), Q(1, 2), Q(1, 4)]


def _tables():
    """Every order of the pool (6! = 720, equally likely): its count table C (C_kj = model j's samples in slice k)."""
    K = len(SIZES)
    generated = [sum(SIZES[k][j] for k in range(K)) for j in range(K)]
    slices = [sum(row) for row in SIZES]
    labels = [j for j in range(K) for _ in range(generated[j])]
    ends = list(itertools.accumulate(slices))
    for order in itertools.permutations(labels):
        yield [[order[e - n : e].count(j) for j in range(K)] for e, n in zip(ends, slices)]


def _average(values):
    values = list(values)
    return sum(values, Fraction(0)) / len(values)


def test_the_count_table_has_the_moments_of_the_module_doc():
    """E C_kj = N_k p_j and Cov(C_kj, C_lj') = (d_kl M - N_l) N_k (d_jj' M - M_j') M_j / (M^2 (M - 1)), every entry,
    against all 720 orders of the pool."""
    K = len(SIZES)
    tables = list(_tables())
    slices = [sum(row) for row in SIZES]
    generated = [sum(SIZES[k][j] for k in range(K)) for j in range(K)]
    M = sum(slices)
    mean = [[_average(c[k][j] for c in tables) for j in range(K)] for k in range(K)]
    for k, j, l, i in itertools.product(range(K), repeat=4):
        assert mean[k][j] == Fraction(slices[k] * generated[j], M)
        cov = _average((c[k][j] - mean[k][j]) * (c[l][i] - mean[l][i]) for c in tables)
        formula = Fraction(
            ((k == l) * M - slices[l]) * slices[k] * ((j == i) * M - generated[i]) * generated[j], M**2 * (M - 1)
        )
        assert cov == formula, (k, j, l, i)
    # k = l, j = j': the hypergeometric variance N_k p_j (1 - p_j) (M - N_k) / (M - 1)
    p0 = Fraction(generated[0], M)
    assert formula_diagonal(slices[0], generated[0], M) == slices[0] * p0 * (1 - p0) * Fraction(M - slices[0], M - 1)


def formula_diagonal(slice_size, generated, M):
    return Fraction((M - slice_size) * slice_size * (M - generated) * generated, M**2 * (M - 1))


def _plan():
    """A round of the sizes SIZES with synthetic weights a_k W[k, j], W the sizes' row shares."""
    K = len(SIZES)
    w = sympy.Matrix(K, K, lambda k, j: ALPHAS[k] * Q(SIZES[k][j], sum(SIZES[k])))
    zero = sympy.zeros(K, 1)
    return RoundPlan(zero, zero, w, zero, 0, sympy.Matrix(SIZES))


def test_the_slice_means_have_the_conditional_moments_of_split_noise():
    """Given the rates, E[a_k xbar_k] and Cov(a_k xbar_k, a_l xbar_l) by the total laws over all 720 count tables
    (given C: E = sum_j C_kj lambda_j / N_k, Var = sum_j C_kj lambda_j / N_k^2, slices independent) against the split
    plan's row (a_k p^T lambda) and :func:`split_noise` at V = p^T lambda, S = sum_j p_j (lambda_j - p^T lambda)^2."""
    K = len(SIZES)
    slices = [sum(row) for row in SIZES]
    a = [Fraction(int(x.p), int(x.q)) for x in ALPHAS]
    conditional = []
    for c in _tables():
        means = [a[k] * sum(c[k][j] * RATES[j] for j in range(K)) / slices[k] for k in range(K)]
        variances = [a[k] ** 2 * sum(c[k][j] * RATES[j] for j in range(K)) / slices[k] ** 2 for k in range(K)]
        conditional.append((means, variances))
    mean = [_average(m[k] for m, _ in conditional) for k in range(K)]
    brute = sympy.Matrix(
        K,
        K,
        lambda k, l: _average((k == l) * v[k] + (m[k] - mean[k]) * (m[l] - mean[l]) for m, v in conditional),
    )
    plan = split_plan(_plan())
    rates = sympy.Matrix(RATES)
    assert plan.w_synthetic @ rates == sympy.Matrix(mean)
    p = split_shares(plan)
    assert p == sympy.Matrix([[Q(3, 6), Q(2, 6), Q(1, 6)]])
    mbar = (p @ rates)[0, 0]
    spread = sum(p[0, j] * (rates[j] - mbar) ** 2 for j in range(K))
    assert split_noise(plan, sympy.Matrix([[mbar]]), sympy.Matrix([[spread]])) == brute


def _pair(pool, **options):
    """K = 2, W = J / 2, n = 16: N_kj = 4 (own) or a pool of M_j = 8 per model cut into slices of N_k = 8 (split)."""
    spec = dict(alpha=Q(1, 2), beta=Q(1, 2), n=16, regime="fresh", pool=pool) | options
    return poisson_ecosystem([2, 6], 4, **spec)


def test_for_equal_shares_split_keeps_the_means_and_adds_the_finite_population_terms():
    """W = J / K gives p = 1 / K and 1 p^T = W: every E lambda_t equals the own pool's. One round from the
    deterministic rates (2, 6): the noise differs by a^2 S (M - N_k) / (N_k (M - 1)) on the diagonal and
    -a^2 S / (M - 1) off it (S = 4, the spread of (2, 6) about 4; M = 16, N_k = 8, a = 1/2)."""
    split, own = poisson.moment_trajectory(_pair("split"), 3), poisson.moment_trajectory(_pair("own"), 3)
    assert all(s.mean == o.mean for s, o in zip(split, own))
    start = [2, 6]
    split, own = poisson.moment_trajectory(_pair("split"), 1, start), poisson.moment_trajectory(_pair("own"), 1, start)
    a, S, M, N = Q(1, 2), 4, 16, 8
    expected = sympy.Matrix([[a**2 * S * Q(M - N, N * (M - 1)), -(a**2) * S / (M - 1)]] * 2)
    expected[1, 0], expected[1, 1] = expected[0, 1], expected[0, 0]
    assert split[1].cov - own[1].cov == expected


def test_the_mean_map_mixes_by_the_pool_shares_not_by_w():
    """W = I (each model would scrape itself): under split every model's synthetic part has the pool's mean, so the
    population map is lambda_k' = r_k / 4 + r_0 / 4 + (lambda_1 + lambda_2) / 4 (a p^T with a = 1/2, p_j = sum_k
    w_kj / sum w = 1/2), not r_k / 4 + r_0 / 4 + lambda_k / 2; at finite n E lambda follows the same map (p_j =
    M_j / M = 1/2: two models of one alpha generate alike)."""
    rates = poisson.rate_symbols(2)
    for n in (None, 16):
        eco = _pair("split", mixing=[[1, 0], [0, 1]], n=n)
        step = poisson.population_step(eco, poisson.spec_values(eco), rates, poisson.plan_at(eco, 1), 1)
        pooled = (rates[0] + rates[1]) / 4
        assert sympy.expand(step - sympy.Matrix([Q(2, 4) + 1 + pooled, Q(6, 4) + 1 + pooled])) == sympy.zeros(2, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: _pair("pooled"), "pool: must be one of ('own', 'shared', 'split'), got 'pooled'"),
        (lambda: _pair("split", composition="mixture"), "pool: a split pool takes the fixed composition"),
        (
            lambda: general(2, 1, n=10, pool="split"),
            "pool: the linear-gaussian family has ('shared',) only, got 'split'",
        ),
        (
            lambda: categorical_ecosystem(
                [["1/2", "1/2"], ["1/4", "3/4"]], ["1/3", "2/3"], n=10, pool="split"
            ).with_options(composition="mixture"),
            "pool: a split pool takes the fixed composition",
        ),
        (
            lambda: Ecosystem.gaussian(means=[[0], [2]], public_mean=[1], n=10, pool="split", composition="mixture"),
            "pool: a split pool takes the fixed composition",
        ),
    ],
)
def test_bad_split_pools_are_named(build, message):
    with pytest.raises(SpecError) as error:
        build()
    assert error.value.parameter == "pool" and str(error.value).startswith(message)


def test_the_trains_on_graph_of_a_split_pool_is_the_pool_shares():
    """W = [[1, 0, 0], [0, 1, 0], [1, 0, 0]]: under the own pool models 0 and 1 are closed classes of their own (each
    scrapes itself), under split every model trains on the pool of models 0 and 1 (model 0 scraped by two rows of
    weight 1, model 1 by one: p = (2/3, 1/3, 0)): one closed class {0, 1}, model 2 transient. By iteration: at
    alpha = 1 (no real data) the population map sends every start to one consensus after a round, as one closed
    class does."""
    mixing = [[1, 0, 0], [0, 1, 0], [1, 0, 0]]
    own = trains_on_graph(poisson_ecosystem([2, 6, 3], 4, alpha=Q(1, 2), mixing=mixing))
    split = trains_on_graph(poisson_ecosystem([2, 6, 3], 4, alpha=Q(1, 2), mixing=mixing, pool="split"))
    assert [c.models for c in own.classes] == [(0,), (1,)]
    assert [c.models for c in split.classes] == [(0, 1)] and split.transient == (2,)
    assert transitions(poisson_ecosystem([2, 6, 3], 4, mixing=mixing, pool="split")) == sympy.Matrix(
        [[Q(2, 3), Q(1, 3), 0]] * 3
    )
    eco = poisson_ecosystem([2, 6, 3], 4, alpha=1, mixing=mixing, pool="split")
    rates = sympy.Matrix([1, 5, 11])
    step = poisson.population_step(eco, poisson.spec_values(eco), rates, poisson.plan_at(eco, 1), 1)
    assert step == sympy.Matrix([Q(7, 3)] * 3)  # 2/3 * 1 + 1/3 * 5: the pool's mean, model 2's rate unused
