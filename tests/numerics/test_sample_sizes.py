"""Sample sizes: one exact computation (theory.rounds.sample_sizes), used by theory and every numerical path.

A training set of n has n samples: the sources' sizes are the largest-remainder apportionment of n to their weights
(theory.rounds), in exact arithmetic: in floating point 0.7 x 0.1 x 50 is 3.4999999999999996, whose fractional part
would lose a tie it wins exactly.
"""

import itertools
import math
from fractions import Fraction

import jax
import numpy as np
import pytest
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st

import interplay.numerics as numerics
import interplay.numerics.categorical as nc
import interplay.numerics.gaussian.monte_carlo as mc
from interplay.numerics.driver.sizes import public_levels, spec_sizes
from interplay.numerics.sweeps import sweep
from interplay.theory import Ecosystem, moment_map
from interplay.theory.categorical import maps as categorical
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.maps import initial_state
from interplay.theory.rounds import _rows_in_tie_order, apportion, plan_at, sample_sizes
from interplay.theory.spec import SpecError, equal_shares

R = sympy.Rational
HALF_W = [[0.9, 0.1], [0.1, 0.9]]  # alpha = 0.7, n = 50: model k takes 0.7 x 0.1 x 50 = 3.5 samples of model j


def half_case(**options):
    """The issue's case: alpha = 0.7, beta = 1 (real fraction 0.3), W = [[0.9, 0.1], [0.1, 0.9]], n = 50."""
    return Ecosystem.gaussian(
        means=[[0], [2]], public_mean=[1], **({"alpha": 0.7, "beta": 1, "n": 50, "mixing": HALF_W} | options)
    )


def exact_mean_cov(eco, rounds):
    """Cov(m) after ``rounds`` update rounds, in exact rationals (theory's moment recursion, no floats)."""
    state = gaussian.moment_step(eco, gaussian.zero_moments(eco), plan_at(eco, 0), 0)
    for t in range(1, rounds + 1):
        state = gaussian.moment_step(eco, state, plan_at(eco, t), t)
    return state.cov


def plan_sizes(eco, t):
    plan = plan_at(eco, t)
    return [
        np.asarray(plan.n_private.tolist(), float),
        np.asarray(plan.n_public.tolist(), float),
        np.asarray(plan.n_synthetic.tolist(), float),
    ]


def test_sizes_add_up_to_n_by_largest_remainder():
    """alpha = 0.7, W = [[0.9, 0.1], [0.1, 0.9]], n = 50 under fresh real data: quotas 15, 31.5 and 3.5 give
    15 + 32 + 3 = 50 (the tie at .5 goes to the model's own outputs first, so the models stay symmetric; the old
    rule, max(1, round(w n)), gave 32 + 4 and a training set of 51). Tiny weights keep one sample each, taken
    from the source furthest above its quota."""
    eco = half_case(regime="fresh")
    assert sample_sizes(eco, eco.alpha_at(1), 1, initial=False) == ([[15]] * 2, [[0]] * 2, ((32, 3), (3, 32)))
    assert sample_sizes(eco, 0.7, 1, initial=False) == sample_sizes(eco, R(7, 10), 1, initial=False)  # float: exact
    assert sample_sizes(eco, R(1, 100), 1, initial=False) == ([[48]] * 2, [[0]] * 2, ((1, 1), (1, 1)))  # 49.5, .45, .05
    assert sample_sizes(eco, R(1, 18), 1, initial=False) == ([[47]] * 2, [[0]] * 2, ((2, 1), (1, 2)))  # 47.2, 2.5, .28
    assert sample_sizes(eco, R(1, 2), R(1, 2), initial=False) == (
        [[12]] * 2,
        [[13]] * 2,
        ((22, 3), (3, 22)),
    )  # 12.5 public, 37


def test_the_issue_case_thirty_two_models_train_on_exactly_n_samples():
    """K = 32 on the complete graph, alpha n = 50: each model's 32 synthetic sources hold 50 samples (18 of 2 and
    14 of 1, the extra ones from itself and the next 17 models, so model k's sizes are model 1's shifted by
    k - 1); each training set has n = 100 (the old rule gave 64 synthetic samples and 114)."""
    K = 32
    eco = Ecosystem.gaussian(
        means=[[0]] * K, public_mean=[1], alpha=R(1, 2), beta=R(3, 5), n=100, mixing=[[R(1, K)] * K] * K,
        regime="fresh",
    )  # fmt: skip
    private, public, synthetic = sample_sizes(eco, R(1, 2), R(3, 5), initial=False)
    assert public == [[20]] * K and all(row == [30] for row in private)
    assert all(sum(row) == 50 and sorted(row) == [1] * 14 + [2] * 18 for row in synthetic)
    assert all(synthetic[k] == synthetic[0][-k:] + synthetic[0][:-k] for k in range(1, K))


def test_w_is_read_exactly_whichever_way_it_was_built():
    """J / K built over the rationals (fast at K = 1,000) is sympy's J / K; W's rows read off a rational, an
    integer or an irrational matrix (integers over a common denominator where it is rational) are the exact nonzero
    entries, in tie order; a W whose rows are shifts of one another gives the
    sizes of the entry-by-entry route (the row apportionments are cached)."""
    for K in (1, 2, 3, 7):
        assert equal_shares(K) == sympy.ImmutableMatrix(K, K, [R(1, K)] * K * K)
    root = sympy.sqrt(2) / 2
    for W in (equal_shares(3), sympy.ImmutableMatrix(sympy.eye(3)), sympy.ImmutableMatrix([[root, 1 - root]] * 2)):
        scale, rows = _rows_in_tie_order(W)
        K = W.rows
        read = [{(k + offset) % K: sympy.sympify(w) / scale for offset, w in row} for k, row in enumerate(rows)]
        assert read == [{j: w for j, w in enumerate(row) if w != 0} for row in W.tolist()]
        offsets = [[offset for offset, _ in row] for row in rows]
        assert all(row == sorted(set(row)) for row in offsets)  # tie order: synthetic k, k + 1, ..., k - 1
    ring = sympy.ImmutableMatrix(5, 5, lambda k, j: R(1, 2) if j in (k, (k + 1) % 5) else 0)
    eco = Ecosystem.gaussian(
        means=[[0]] * 5, public_mean=[1], alpha=R(1, 3), beta=R(1, 2), n=31, mixing=ring, regime="fresh"
    )
    private, public, synthetic = sample_sizes(eco, R(1, 3), R(1, 2), initial=False)
    assert public == [[10]] * 5  # 31 / 3 = 10.33; the other 21 by quotas 10.5, 5.25, 5.25: 11, 5 and 5
    assert all(row == [11] for row in private)
    assert all(synthetic[k][k] == 5 and synthetic[k][(k + 1) % 5] == 5 and sum(synthetic[k]) == 10 for k in range(5))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.fractions(min_value=0, max_value=1, max_denominator=97), min_size=1, max_size=12).filter(
        lambda w: sum(w) > 0
    ),
    st.integers(min_value=0, max_value=400),
)
@example([Fraction(1), Fraction(1, 4), Fraction(1, 16), Fraction(1, 48)], 4)  # quotas 3, 3/4, 3/16, 1/16: 1, 1, 1, 1
def test_apportionment_adds_up_and_keeps_every_weighted_source(weights, total):
    """sum N = total; weight 0 -> 0 samples; a positive weight -> at least 1; N = q exactly where the quotas are
    whole, |N - q| < 1 (Hamilton) where every positive quota is at least 1; always N < q + 1 or N = 1 (a unit given to
    a weight left with 0), and N > q - 1 - z, z the positive quotas below 1 (each takes at most one unit from
    another: quotas 3, 3/4, 3/16, 1/16 of 4 samples give 1 each, 2 below the quota of 3); fewer samples than
    positive weights gives each positive weight its quota rounded half up, at least 1 (the sum exceeds total: the
    one exception)."""
    sizes = apportion(weights, total)
    if total < sum(w > 0 for w in weights):
        quotas = [total * w / sum(weights) for w in weights]
        assert sizes == [max(1, math.floor(q + Fraction(1, 2))) if w > 0 else 0 for q, w in zip(quotas, weights)]
        return
    quotas = [total * w / sum(weights) for w in weights]
    assert sum(sizes) == total
    assert all((n == 0) if w == 0 else (n >= 1) for n, w in zip(sizes, weights))
    below_one = sum(0 < q < 1 for q in quotas)
    assert all((n < q + 1 or n == 1) and n > q - 1 - below_one for n, q in zip(sizes, quotas))
    if all(q >= 1 for q, w in zip(quotas, weights) if w > 0):
        assert all(abs(n - q) < 1 for n, q in zip(sizes, quotas))
    if all(q.denominator == 1 for q in quotas):
        assert sizes == quotas


def test_a_training_set_smaller_than_its_sources_keeps_every_source():
    """The one exception to "n samples in all": with fewer samples than sources of positive weight, each source keeps
    its quota rounded half up, at least one sample (none is dropped, which would change the weights). Five models on the
    complete graph, alpha = 1, n = 4: five synthetic samples each; n = 5 is exactly one each. One model at n = 2
    with its private, public and synthetic sources (alpha = 1/2, beta = 1/2): the public sample keeps one and each
    model's two others one each; at n = 3 that is exactly n. 40 models on J / K, n = 40: the public source keeps its
    10 and the private one its 10 (not 1)."""
    five = dict(means=[[0]] * 5, public_mean=[1], alpha=1, beta=1, mixing=[[R(1, 5)] * 5] * 5, regime="fresh")
    for n in (4, 5):
        eco = Ecosystem.gaussian(**five, n=n)
        assert sample_sizes(eco, 1, 1, initial=False) == ([[0]] * 5, [[0]] * 5, ((1,) * 5,) * 5)
    for n in (1, 2, 3):
        eco = Ecosystem.gaussian(means=[[0]], public_mean=[1], alpha=R(1, 2), beta=R(1, 2), n=n, regime="fresh")
        assert sample_sizes(eco, R(1, 2), R(1, 2), initial=False) == ([[1]], [[1]], ((1,),))
    # 40 models on J / K, n = 40: 10 public samples, then 30 for the private source (quota 10) and 40 synthetic
    # ones (quotas 0.5): the private source keeps its 10 (not 1), each synthetic source 1
    many = Ecosystem.gaussian(means=[[0]] * 40, public_mean=[1], alpha=R(1, 2), beta=R(1, 2), n=40, regime="fresh")
    private, public, synthetic = sample_sizes(many, R(1, 2), R(1, 2), initial=False)
    assert public == [[10]] * 40 and all(row == [10] for row in private) and all(set(row) == {1} for row in synthetic)


def test_theory_and_exact_recursion_agree_at_a_half_sample():
    """Cov(m) after round 1 at a tie of fractional parts (31.5 and 3.5 samples): the symbolic moment map evaluated
    in rationals, the rational recursion and the compiled recursion agree, all with the sizes 32 and 3 (a float
    computation of the quotas once gave the compiled recursion other sizes than theory's)."""
    eco = half_case()
    fmap = moment_map(eco, 1)
    symbolic = fmap.unpack(fmap(initial_state(fmap)))["cov"]
    assert symbolic == exact_mean_cov(eco, 1)
    assert plan_at(eco, 1).n_synthetic.tolist() == [[32, 3], [3, 32]]
    compiled = numerics.iterate_moments(eco, 1).mean_cov[1].reshape(2, 2)
    np.testing.assert_allclose(compiled, np.asarray(symbolic.tolist(), float), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("w", "n"), [(0.1, 50), (0.4, 70)])
def test_sweep_over_alpha_equals_the_exact_recursion(w, n):
    """alpha = k/20 over W = [[w, 1 - w], [1 - w, w]] under fresh real data (beta = 1/2): every point's Cov(m) after
    two rounds is the rational recursion's, half samples (0.7 x 0.1 x 50, 0.75 x 0.4 x 70, 0.9 x 0.5 x 50...)
    included; the point holding the issue's case equals iterate_moments there."""
    alphas = np.arange(21) / 20
    W = [[w, 1 - w], [1 - w, w]]
    eco = half_case(mixing=W, n=n, beta=0.5, regime="fresh")
    grid = sweep(eco, {"alpha": alphas}, ["mean_cov"], rounds=2, progress=False)
    for k, alpha in enumerate(alphas):
        expected = np.asarray(exact_mean_cov(eco.with_options(alpha=float(alpha)), 2).tolist(), float)
        np.testing.assert_allclose(grid["mean_cov"][k], expected, rtol=1e-12, atol=1e-15, err_msg=f"alpha {alpha}")
    if (w, n) == (0.1, 50):
        at = eco.with_options(alpha=0.7)
        np.testing.assert_allclose(grid["mean_cov"][14], numerics.iterate_moments(at, 2).mean_cov[-1].reshape(2, 2))


GRID = list(itertools.product(range(21), range(6), (10, 50, 70)))  # w and 1 - w: j/10 for j <= 5 covers W's entries


def test_every_numerical_path_receives_the_theory_sizes():
    """alpha = k/20, W = [[w, 1 - w], [1 - w, w]] with w = j/10, n in {10, 50, 70}, fresh real data (beta = 1/2):
    the sizes the exact recursions are given (numerics.driver.sizes.spec_sizes) are the theory's, round by round; on a
    sub-grid holding the half cases, fresh and reused, so are those of the Gaussian Monte Carlo (both methods, and
    the raw method's static bounds) and of the categorical Monte Carlo (every method)."""
    for k, j, n in GRID:
        W = [[R(j, 10), 1 - R(j, 10)], [1 - R(j, 10), R(j, 10)]]
        for regime in ("fresh", "reuse") if k in (0, 7, 14, 15, 18, 20) else ("fresh",):
            eco = half_case(alpha=k / 20, beta=0.5, n=n, mixing=W, regime=regime)
            theory = [plan_sizes(eco, t) for t in (0, 1)]
            given = spec_sizes(eco, 1)
            for t, (private, public, synthetic) in enumerate(theory):
                part = given.initial if t == 0 else type(given.rounds)(*(x[t - 1] for x in given.rounds))
                np.testing.assert_array_equal(part.n_private, private)
                np.testing.assert_array_equal(part.n_public, public)
                np.testing.assert_array_equal(part.n_synthetic, synthetic)
            if regime == "fresh" and (k, n) not in ((7, 50), (14, 50), (15, 70), (18, 50)):
                continue
            expected = {"private": max(s[0].max() for s in theory), "public": max(s[1].max() for s in theory)}
            expected["synthetic"] = max(s[2].max() for s in theory)
            assert mc.static_sizes(eco, 1) == expected
            for method in mc.METHODS:
                *_, sizes = mc.compiled_simulation(eco, 1, 2, method)
                assert _equal(sizes, given)
            cat = categorical_ecosystem([[0.5, 0.5], [0.25, 0.75]], [0.5, 0.5], alpha=k / 20, beta=0.5, n=n,
                                        mixing=W, regime=regime)  # fmt: skip
            for method in nc.METHODS:
                *_, sizes = nc.compiled_simulation(cat, 1, method)
                assert _equal(sizes, given)


def _equal(a, b) -> bool:
    return all(np.array_equal(np.asarray(x), np.asarray(y)) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b)))


def test_categorical_recursion_at_a_half_sample_is_the_exact_one():
    """The categorical moment recursion at alpha = 0.7, W = [[0.9, 0.1], [0.1, 0.9]], n = 50 (3.5 samples of the
    other model) equals theory's rational recursion after two rounds."""
    eco = categorical_ecosystem(
        [[0.5, 0.5], [0.25, 0.75]], [0.5, 0.5], alpha=0.7, beta=1, n=50, mixing=HALF_W, regime="fresh"
    )
    state = categorical.moment_step(eco, categorical.zero_moments(eco), plan_at(eco, 0), 0)
    for t in (1, 2):
        state = categorical.moment_step(eco, state, plan_at(eco, t), t)
    _, cov = categorical.fitted_moments(eco, state, 2)
    compiled = nc.iterate_moments(eco, 2).cov[-1].reshape(4, 4)
    np.testing.assert_allclose(compiled, np.asarray(cov.tolist(), float), rtol=1e-12, atol=1e-15)


def test_a_source_of_weight_zero_is_not_sampled():
    """Size 0 for weight exactly 0: the public source at beta = 1, model j's outputs for model k != j at W = I,
    every synthetic source at the initial fit; a positive weight keeps at least one sample (0.05 samples: 1)."""
    eco = half_case(mixing=[[1, 0], [0, 1]], regime="fresh")
    assert sample_sizes(eco, R(7, 10), 1, initial=False) == ([[15]] * 2, [[0]] * 2, ((35, 0), (0, 35)))
    assert sample_sizes(eco, R(7, 10), 0, initial=False) == ([[0]] * 2, [[15]] * 2, ((35, 0), (0, 35)))
    assert sample_sizes(eco, R(7, 10), 1, initial=True) == ([[50]] * 2, [[0]] * 2, ((0, 0), (0, 0)))
    assert sample_sizes(eco, R(999, 1000), 1, initial=False).n_private == [[1]] * 2
    sizes = spec_sizes(eco, 2)
    np.testing.assert_array_equal(sizes.rounds.n_public, np.zeros((2, 2, 1)))
    np.testing.assert_array_equal(sizes.initial.n_synthetic, np.zeros((2, 2)))


def test_reused_data_without_samples_that_a_later_round_weighs_are_refused():
    """Under reuse the real data are drawn once at beta_1: beta_1 = 1 leaves the public dataset empty, so a later
    beta_t < 1 is refused, naming beta (beta_1 = 0 and the private data likewise); a size given to the source,
    or a schedule that keeps the weight 0, is fine."""
    with pytest.raises(SpecError, match=r"^beta: under reuse the public data .* beta_1 = 1\b") as error:
        spec_sizes(half_case(beta=(1, 0.5), alpha=(0.7, 0.7)), 2)
    assert error.value.parameter == "beta" and "\n" not in str(error.value)
    with pytest.raises(SpecError, match=r"^beta: under reuse the private data"):
        plan_at(half_case(beta=(0, 0.5), alpha=(0.7, 0.7)), 2)
    with pytest.raises(SpecError, match="^beta"):
        numerics.iterate_moments(half_case(beta=(1, 0.5), alpha=(0.7, 0.7)), 2)
    assert (
        spec_sizes(half_case(beta=(1, 0.5), alpha=(0.7, 0.7), public_size=3), 2).rounds.n_public[:, :, 0].tolist()
        == [[3, 3]] * 2
    )
    assert spec_sizes(half_case(beta=(1, 0.5), alpha=(0.7, 1)), 2).rounds.n_public[:, :, 0].tolist() == [[0, 0]] * 2


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"beta": {"per_model": [0.2, 0.6]}},
        {"n": {"per_model": [10, 30]}, "beta": 0.5},
        {"alpha": {"per_model": [0.7, 0.2]}, "beta": 0.5},
    ],
)
def test_public_levels_count_the_distinct_public_sizes_of_any_round(options):
    """public_levels (the simulator's bound on the public sample's increments) is the largest number of distinct
    public sizes among the models over rounds 0..6, counted here from theory's plans one round at a time."""
    eco = half_case(regime="fresh", **options)
    counted = max(len(set(plan_at(eco, t).n_public)) for t in range(7))
    assert public_levels(spec_sizes(eco, 6)) == counted
    assert counted == (1 if not options else 2)
