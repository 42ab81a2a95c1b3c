"""The ecosystem spec: every bad input gives a SpecError naming its parameter; good input is normalised."""

import re

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from interplay.theory import (
    Ecosystem,
    Gaussian,
    GaussianSource,
    SpecError,
    fixed_point,
    population_map,
    spectral_radius,
)
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.rounds import plan_at
from interplay.theory.spec import exact, floats, integer_rows


def make(**changes):
    options = dict(means=[[0.0], [1.0]], public_mean=[0.5], alpha=0.5, beta=0.5, n=10)
    options.update(changes)
    return Ecosystem.gaussian(**options)


@pytest.mark.parametrize(
    ("changes", "parameter"),
    [
        (dict(alpha=1.5), "alpha"),
        (dict(alpha=-0.1), "alpha"),
        (dict(beta=2), "beta"),
        (dict(alpha=[0.5, 1.2]), "alpha[1]"),
        (dict(alpha=[0.5, 0.5], beta=[0.5, 0.5, 0.5]), "beta"),
        (dict(alpha=[]), "alpha"),
        (dict(alpha="half"), "alpha"),
        (dict(alpha=float("nan")), "alpha"),
        (dict(mixing=[[0.5, 0.6], [0.5, 0.5]]), "mixing"),
        (dict(mixing=[[1.5, -0.5], [0.5, 0.5]]), "mixing"),
        (dict(mixing=[[1.0]]), "mixing"),
        (dict(n=0), "n"),
        (dict(n=2.5), "n"),
        (dict(n=1, estimator="unbiased"), "n"),
        (dict(estimator="bayes"), "estimator"),
        (dict(regime="replace"), "regime"),
        (dict(means=[]), "private"),
        (dict(covs=[[[1.0]], [[-1.0]]]), "private[1].cov"),
        (dict(covs=[[[1.0]], [[0.0]]]), "private[1].cov"),
        (dict(public_cov=[[1.0, 0.0], [0.0, 1.0]]), "public.cov"),
        (
            dict(means=[[0.0, 0.0], [1.0, 1.0]], public_mean=[0.5, 0.5], covs=[[[1, 0.5], [0.4, 1]], np.eye(2)]),
            "private[0].cov",
        ),
        (dict(means=[[0.0], [1.0, 2.0]]), "private[1].mean"),
        (dict(sizes=[0, 5]), "private[0].size"),
    ],
)
def test_bad_input_names_the_parameter(changes, parameter):
    with pytest.raises(SpecError) as error:
        make(**changes)
    assert error.value.parameter == parameter
    assert str(error.value).startswith(f"{parameter}: ")


def test_bad_family_dimension():
    with pytest.raises(SpecError, match="family.dim"):
        Gaussian(0)


def test_schedule_rounds_are_checked():
    eco = make(alpha=[0.2, 0.4, 0.6])
    assert eco.schedule_length == 3 and eco.alpha_at(3) == sympy.Rational(3, 5)
    with pytest.raises(SpecError, match="rounds"):
        eco.check_rounds(4)
    with pytest.raises(SpecError, match="alpha"):
        eco.alpha_at(4)


def test_floats_become_exact_rationals_and_defaults():
    eco = make(alpha=0.1)
    assert eco.alpha == sympy.Rational(1, 10)
    assert eco.mixing == sympy.ImmutableMatrix([[sympy.Rational(1, 2)] * 2] * 2)
    assert eco.K == 2 and eco.dim == 1 and eco.is_numeric


def test_a_float_keeps_its_exact_value():
    """0.99999999 is 99999999/100000000, not 1 (on main nsimplify made it 1: no unique fixed point)."""
    eco = make(alpha=0.99999999)
    assert eco.alpha == sympy.Rational(99999999, 10**8)
    assert exact(1e-5, "x") == sympy.Rational(1, 10**5) and exact(0.1, "x") == sympy.Rational(1, 10)
    fmap = population_map(eco)
    point = fmap.unpack(fixed_point(fmap))
    assert point["mean"][0] != point["mean"][1]  # alpha < 1: the models stay apart, each near its own data
    assert float(spectral_radius(fmap)) == pytest.approx(0.99999999, rel=1e-12)  # not snapped to 1 either


@pytest.mark.parametrize(
    ("row", "total"),
    [([0.5, 0.50000001], "100000001/100000000 = 1.00000001"), ([0.5, 0.500001], "1000001/1000000 = 1.000001")],
)
def test_a_row_of_floats_is_checked_at_its_exact_sum(row, total):
    with pytest.raises(SpecError) as error:
        make(mixing=[row, [0.5, 0.5]])
    assert error.value.parameter == "mixing" and f"row 0 sums to {total}" in str(error.value)


def test_rows_that_sum_to_one_exactly():
    eco = Ecosystem.gaussian(means=[[0], [1], [2]], public_mean=[1], mixing=[[0.1, 0.2, 0.7]] * 3)
    assert eco.mixing.row(0) == sympy.Matrix([[sympy.Rational(1, 10), sympy.Rational(1, 5), sympy.Rational(7, 10)]])
    third = [1 / 3] * 3  # floats: 0.3333333333333333 three times sums to 0.9999999999999999, not 1
    with pytest.raises(SpecError, match=r'row 0 sums to 9999999999999999/10000000000000000.*"1/3"'):
        Ecosystem.gaussian(means=[[0], [1], [2]], public_mean=[1], mixing=[third] * 3)
    exact_thirds = Ecosystem.gaussian(means=[[0], [1], [2]], public_mean=[1], mixing=[["1/3"] * 3] * 3)
    assert exact_thirds.mixing == sympy.ImmutableMatrix(3, 3, [sympy.Rational(1, 3)] * 9)
    with pytest.raises(SpecError, match=r"private\[0\].probs: must sum to 1, sums to 9999999999999999/"):
        categorical_ecosystem([third], ["1/3"] * 3)
    assert categorical_ecosystem([["1/3"] * 3], [0.5, 0.25, 0.25]).private[0].probs[0] == sympy.Rational(1, 3)


def test_range_checks_print_the_stored_value():
    with pytest.raises(SpecError, match=r"alpha: must lie in \[0, 1\], got 100000001/100000000 = 1.00000001"):
        make(alpha=1.00000001)
    with pytest.raises(SpecError, match="alpha"):
        make(alpha="1/0")


def test_symbolic_fractions_are_accepted():
    a = sympy.Symbol("alpha", nonnegative=True)
    eco = make(alpha=a, n=None)
    assert eco.symbols == {a} and not eco.is_numeric


def test_weights_and_sizes_of_a_round():
    """Weights follow the paper: (1-a)b private, (1-a)(1-b) public, a W[k, j] synthetic; sizes w n, whole here."""
    eco = make(alpha=0.5, beta=0.25, n=40, mixing=[[0.75, 0.25], [0.5, 0.5]], regime="fresh")
    plan = plan_at(eco, 1)
    assert list(plan.w_private) == [sympy.Rational(1, 8)] * 2
    assert list(plan.w_public) == [sympy.Rational(3, 8)] * 2
    assert plan.w_synthetic == sympy.Matrix([[sympy.Rational(3, 8), sympy.Rational(1, 8)], [sympy.Rational(1, 4)] * 2])
    assert list(plan.n_private) == [5, 5] and list(plan.n_public) == [15, 15]
    assert plan.n_synthetic == sympy.Matrix([[15, 5], [10, 10]])
    initial = plan_at(eco, 0)
    assert list(initial.w_private) == [sympy.Rational(1, 4)] * 2 and initial.w_synthetic.is_zero_matrix
    reuse = plan_at(eco.with_options(regime="reuse"), 3)
    assert list(reuse.n_private) == [10, 10] and list(reuse.n_public) == [30, 30]  # the initial fit's shares, reused


def test_with_options_validates_again():
    with pytest.raises(SpecError, match="regime"):
        make().with_options(regime="nope")


def test_source_size_override():
    source = GaussianSource([0.0], [[1.0]], size=7, name="x")
    assert source.size == 7 and source.dim == 1


def test_a_source_without_a_size_reuses_its_share_of_n():
    """GaussianSource(size=None) under reuse is a dataset of the source's share of n (round 1's beta), exactly
    as if that size were given; it is infinite only when the ecosystem's n is None."""
    from interplay.theory.rounds import sample_sizes

    default = make(regime="reuse", beta=[0.3, 0.8], alpha=0.5, n=20)
    given = make(regime="reuse", beta=[0.3, 0.8], alpha=0.5, n=20, sizes=[6, 6], public_size=14)
    for t in (0, 1, 2):
        here, there = (
            sample_sizes(e, e.alpha_at(t) if t else 0, e.beta_at(t), initial=t == 0) for e in (default, given)
        )
        assert here == there
    assert sample_sizes(default, 0.5, 0.8, initial=False).n_private == [[6], [6]]
    assert sample_sizes(make(regime="reuse", n=None), 0.5, 0.5, initial=False).n_public == [[sympy.oo]] * 2


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.fractions(min_value=-(10**30), max_value=10**30, max_denominator=10**25), min_size=9, max_size=9),
        min_size=9,
        max_size=9,
    )
)
def test_a_rational_matrix_is_read_exactly_in_integers_and_rounded_once_to_floats(entries):
    """The fast exact path (integers over a common denominator, used for W at K = 1,000) against sympy entry by
    entry: the same exact entries, and floats that are each entry rounded once (huge numerators and denominators,
    where a float quotient of rounded parts would be off). 9 x 9: large enough to be cached."""
    M = sympy.ImmutableMatrix([[sympy.Rational(f.numerator, f.denominator) for f in row] for row in entries])
    scale, rows = integer_rows(M)
    assert [{j: sympy.Rational(w, scale) for j, w in row} for row in rows] == [
        {j: x for j, x in enumerate(row) if x != 0} for row in M.tolist()
    ]
    np.testing.assert_array_equal(floats(M), np.array([[float(x) for x in row] for row in M.tolist()]))
    assert integer_rows(M.applyfunc(lambda x: x * sympy.sqrt(2))) is None or M.is_zero_matrix


def test_a_rational_w_gets_the_same_refusals_as_one_given_entry_by_entry():
    """W checked through its integers (a rational W) and entry by entry (a W with a symbol) name the same fault."""
    a = sympy.Symbol("a", positive=True)
    symbolic_row = [a, 1 - a]
    for rows, faulty, problem in (
        ([[sympy.Rational(3, 2), sympy.Rational(-1, 2)], [0, 1]], 0, "got -1/2 = -0.5 at [0, 1]"),
        ([[1, 0], [0, 0]], 1, "row 1 is all zeros"),
        ([[sympy.Rational(1, 3), sympy.Rational(1, 3)], [0, 1]], 0, "row 0 sums to 2/3 = 0.6666666666666666"),
    ):
        with_symbol = [rows[k] if k == faulty else symbolic_row for k in range(2)]
        for W in (rows, with_symbol):
            with pytest.raises(SpecError, match=f"mixing: .*{re.escape(problem)}"):
                make(mixing=W)
