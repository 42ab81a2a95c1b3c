"""Closed forms simplified over the parameters' domain: the fractions alpha, beta lie in [0, 1].

Sizes, variances and other positive quantities are sympy symbols declared ``positive`` by the specs, so sympy
already uses their sign; the fractions' upper bound 1 is what sympy's assumptions cannot state, and this module
adds it:

* :func:`sign_over` decides the sign of an expression on the box [0, 1]^k of its fractions. A polynomial
  p = sum_I c_I x^I of degrees (d_1..d_k) is a sum of Bernstein polynomials with coefficients
  b_J = sum_{I <= J} prod_i C(j_i, i_i) / C(d_i, i_i) c_I; every b_J >= 0 proves p >= 0 on the box (and p > 0
  inside it unless p = 0). A rational function's sign is its factors' signs; a factor of one fraction x with
  finitely many roots in [0, 1] has one sign there when its values midway between consecutive roots share it.
* :func:`simplify_over` drops an absolute value whose argument has a known sign, and a term of a Max that another
  term bounds from above.
* :func:`condition_over` reduces a conjunction of inequalities: one in a single fraction is solved exactly over
  [0, 1] (``solve_univariate_inequality``), those in the same fraction intersected into one interval, and bounds
  the domain implies (0 <= alpha, alpha <= 1) left out. In several fractions, the inequality f < g is written
  (p / q) < 0 with p, q factored, and a factor in several fractions whose Bernstein coefficients share one sign is
  divided out: it is nonzero inside the box, so the reduced condition is equivalent there and on the boundary
  away from that factor's zeros (in the linear two-model case the only such zero, alpha = 0, beta = 1, is where
  the original condition divides by zero).
"""

from __future__ import annotations

import itertools
import math

import sympy

UNIT = sympy.Interval(0, 1)


def fractions(eco) -> set[sympy.Symbol]:
    """The symbols of the ecosystem's alpha and beta (constants or schedules): each lies in [0, 1]."""
    values = [v for value in (eco.alpha, eco.beta) for v in (value if isinstance(value, tuple) else (value,))]
    return set().union(*(sympy.sympify(v).free_symbols for v in values))


def _bernstein_sign(poly: sympy.Poly) -> int:
    """+1 if every Bernstein coefficient of ``poly`` on [0, 1]^k is >= 0 (then poly >= 0 there), -1 if every one
    is <= 0, else 0."""
    degrees = poly.degree_list()
    terms = poly.terms()
    signs = set()
    for J in itertools.product(*(range(d + 1) for d in degrees)):
        b = sum(
            c * math.prod(sympy.binomial(j, i) / sympy.binomial(d, i) for i, j, d in zip(I, J, degrees))
            for I, c in terms
            if all(i <= j for i, j in zip(I, J))
        )
        signs.add(sympy.sign(b))
    return 1 if signs <= {0, 1} else -1 if signs <= {0, -1} else 0


def _factor_sign(factor: sympy.Expr, over: set[sympy.Symbol]) -> int:
    """+1 (>= 0 on the domain), -1 (<= 0) or 0 (unknown) for one factor."""
    if factor.is_nonnegative:
        return 1
    if factor.is_nonpositive:
        return -1
    free = factor.free_symbols
    if not free <= over:
        return 0
    if factor.is_polynomial(*free):
        poly = sympy.Poly(factor, *sorted(free, key=str))
        if poly.domain.is_QQ or poly.domain.is_ZZ:
            return _bernstein_sign(poly)
    if len(free) == 1:
        (x,) = free
        try:
            roots = sympy.solveset(factor, x, UNIT)
        except NotImplementedError:
            return 0
        if roots is sympy.S.EmptySet or isinstance(roots, sympy.FiniteSet):  # one sign between consecutive roots
            ends = sorted({sympy.S.Zero, sympy.S.One, *roots}, key=float)
            signs = {sympy.sign(factor.subs(x, (u + v) / 2)) for u, v in zip(ends, ends[1:])}
            return 1 if signs <= {0, 1} else -1 if signs <= {0, -1} else 0
    return 0


def _factors(expr: sympy.Expr) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """(factor, exponent) pairs of a product (a negative exponent: a factor of the denominator)."""
    return [(f.base, f.exp) if f.is_Pow else (f, sympy.S.One) for f in sympy.Mul.make_args(expr)]


def sign_over(expr: sympy.Expr, over: set[sympy.Symbol]) -> int:
    """+1 if ``expr`` >= 0 wherever it is defined with its fractions ``over`` in [0, 1], -1 if <= 0, 0 unknown."""
    result = 1
    for factor, exponent in _factors(sympy.factor(sympy.together(expr))):
        if exponent.is_even:
            continue
        sign = _factor_sign(factor, over)
        if sign == 0:
            return 0
        result *= sign
    return result


def simplify_over(expr: sympy.Expr, over: set[sympy.Symbol]) -> sympy.Expr:
    """``expr`` with |e| replaced by e or -e where e's sign on the domain is known, and Max(a, b, ...) without
    a term that another one bounds (b >= a on the domain drops a)."""
    if not over:
        return expr

    def absolute(e):
        sign = sign_over(e, over)
        return sign * e if sign else sympy.Abs(e)

    def maximum(*terms):
        kept = []
        for a in terms:
            if not any(sign_over(b - a, over) == 1 for b in kept):
                kept = [b for b in kept if sign_over(a - b, over) != 1] + [a]
        return sympy.Max(*kept)

    return sympy.factor(expr.replace(sympy.Abs, absolute).replace(sympy.Max, maximum))


def _interval_condition(solution: sympy.Set, x: sympy.Symbol) -> sympy.Basic:
    """The condition x in ``solution`` (a subset of [0, 1]) without the bounds 0 <= x <= 1 the domain implies."""
    if solution == UNIT:
        return sympy.true
    if solution is sympy.S.EmptySet:
        return sympy.false
    if not isinstance(solution, sympy.Interval):
        return solution.as_relational(x)
    bounds = []
    if solution.start != 0 or solution.left_open:
        bounds.append(x > solution.start if solution.left_open else x >= solution.start)
    if solution.end != 1 or solution.right_open:
        bounds.append(x < solution.end if solution.right_open else x <= solution.end)
    return sympy.And(*bounds)


def _divided(relation: sympy.Rel, over: set[sympy.Symbol]) -> sympy.Rel:
    """f < g as p < 0 (or p > 0), p the numerator of f - g over its denominator with every factor in several
    fractions of one sign on the box divided out (the sign folded into the relation)."""
    flip = 1
    kept = []
    for factor, exponent in _factors(sympy.factor(sympy.together(relation.lhs - relation.rhs))):
        sign = _factor_sign(factor, over) if len(factor.free_symbols & over) > 1 and exponent.is_odd else 0
        if sign:
            flip *= sign
        elif exponent.is_odd:
            kept.append(factor)
        else:
            kept.append(factor**exponent)
    return relation.func(flip * sympy.Mul(*kept), 0)


def condition_over(conditions, over: set[sympy.Symbol]) -> sympy.Basic:
    """One condition equivalent to the conjunction of the inequalities ``conditions`` on the domain (see the
    module's docstring): solved exactly in each single fraction, simplified in several."""
    intervals: dict[sympy.Symbol, sympy.Set] = {}
    rest = []
    for condition in conditions:
        condition = sympy.sympify(condition)
        if condition in (sympy.true, sympy.false) or not isinstance(condition, sympy.Rel):
            rest.append(condition)
            continue
        condition = condition.func(simplify_over(condition.lhs, over), simplify_over(condition.rhs, over))
        free = condition.free_symbols & over
        if len(free) > 1:
            condition = _divided(condition, over)
            free = condition.free_symbols & over
        if len(free) == 1 and condition.free_symbols == free:
            (x,) = free
            try:
                solution = sympy.solve_univariate_inequality(condition, x, relational=False, domain=UNIT)
            except NotImplementedError:
                rest.append(condition)
                continue
            intervals[x] = intervals.get(x, UNIT) & solution
        else:
            rest.append(sympy.simplify(condition))
    solved = [_interval_condition(s, x) for x, s in sorted(intervals.items(), key=lambda item: str(item[0]))]
    return sympy.And(*solved, *rest)
