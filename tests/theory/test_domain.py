"""Closed forms simplified over the domain alpha, beta in [0, 1] (theory.domain): the paper's linear stability
condition is alpha < 1, a moment map's condition is one condition, each equivalent to the raw form."""

import itertools

import numpy as np
import sympy

from interplay.theory import (
    eigenvalues,
    fixed_point,
    moment_map,
    population_map,
    spectral_radius,
    stability_condition,
    to_latex,
)
from interplay.theory.domain import condition_over, sign_over, simplify_over
from interplay.theory.examples import two_model_gaussian
from interplay.theory.linear.maps import Design, linear_ecosystem

alpha, beta = sympy.symbols("alpha beta", nonnegative=True)
FRACTIONS = {alpha, beta}


def paper_linear(**options):
    """examples/linear.toml: two regressions in R^4, private designs on coordinates 1-2 and 3-4, an isotropic
    public design of 10 rows and synthetic design of n = 50 rows."""
    eye = np.eye(4)
    private = [Design(np.diag([1, 1, 0, 0]), 50, "private[0]"), Design(np.diag([0, 0, 1, 1]), 50, "private[1]")]
    return linear_ecosystem([1, 1, 1, 1], private, Design(eye, 10, "public"), synthetic=eye, n=50, **options)


def test_signs_on_the_unit_box():
    assert sign_over(alpha * beta - beta + 1, FRACTIONS) == 1  # 1 - beta (1 - alpha), in [alpha, 1]
    assert sign_over(alpha - 1, FRACTIONS) == -1
    assert sign_over(alpha - beta, FRACTIONS) == 0
    assert sign_over((alpha - 1) / (alpha * beta - 2 * beta + 2), FRACTIONS) == -1
    assert simplify_over(sympy.Max(alpha, alpha**2, 0), FRACTIONS) == alpha
    assert simplify_over(sympy.Abs(alpha * beta - beta - 1), FRACTIONS) == 1 + beta - alpha * beta
    assert condition_over([alpha < sympy.Rational(1, 2), alpha**2 < sympy.Rational(1, 9)], FRACTIONS) == (
        alpha < sympy.Rational(1, 3)
    )
    assert condition_over([alpha > 2], FRACTIONS) is sympy.false


def test_the_papers_linear_stability_condition_is_alpha_below_one():
    """rho(Q) = alpha (D + 1) / (2 D) with D = alpha beta - beta + 1 = 1 - beta (1 - alpha) in [alpha, 1]: the
    absolute values drop, and alpha (D + 1) < 2 D iff (1 - alpha)(2 - beta (2 - alpha)) > 0, whose second factor
    is > 0 off (alpha, beta) = (0, 1) (where D = 0): rho < 1 iff alpha < 1."""
    fmap = population_map(paper_linear(alpha=alpha, beta=beta))
    D = alpha * beta - beta + 1
    raw = alpha * sympy.Abs((D + 1) / D) / 2 < 1  # what it printed before
    radius = spectral_radius(fmap, at={})
    assert sympy.simplify(radius - alpha * (D + 1) / (2 * D)) == 0
    condition = stability_condition(fmap, at={})
    assert condition == (alpha < 1) and to_latex(condition) == r"\alpha < 1"
    assert sympy.factor(alpha * (D + 1) - 2 * D) == (alpha - 1) * (alpha * beta - 2 * beta + 2)
    at_beta = sympy.Rational(1, 3)  # sympy's own reduction at one beta agrees
    assert sympy.solve_univariate_inequality(
        raw.subs(beta, at_beta), alpha, relational=False, domain=sympy.Interval(0, 1)
    ) == sympy.Interval.Ropen(0, 1)
    grid = [sympy.Rational(i, 20) for i in range(21)]
    for a, b in itertools.product(grid, grid):
        if (a, b) != (0, 1):
            values = {alpha: a, beta: b}
            assert bool(raw.subs(values)) == bool(condition.subs(values)), (a, b)
            assert radius.subs(values) == sympy.Abs(alpha * (D + 1) / (2 * D)).subs(values)


def test_a_moment_maps_stability_condition_is_one_condition():
    """Two Gaussian models, n = 10, beta = 1/2: the moment map's multipliers are alpha (5 times), 0 and
    alpha (10 alpha +- sqrt(100 alpha^2 + 1) - 1) / 20, each of modulus <= alpha on [0, 1]: rho = alpha, and the
    conjunction of |lambda| < 1 is alpha < 1."""
    fmap = moment_map(two_model_gaussian(alpha=alpha, beta=sympy.Rational(1, 2), n=10))
    point = fixed_point(fmap)
    values = eigenvalues(fmap, point)
    assert len(values) == 4 and values[alpha] == 5
    raw = sympy.And(*[sympy.Abs(v) < 1 for v in values])
    assert len(raw.args) == 3  # the raw conjunction
    assert spectral_radius(fmap, point) == alpha
    condition = stability_condition(fmap, point)
    assert condition == (alpha < 1)
    for a in [sympy.Rational(i, 40) for i in range(41)]:
        assert bool(raw.subs(alpha, a)) == bool(condition.subs(alpha, a)), a
