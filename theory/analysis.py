"""Fixed points, Jacobians, spectra and stability of a :class:`~theory.maps.SymbolicMap`.

A fixed point x* = F(x*) is solved block by block in the map's block order (each block's update depends only
on itself and earlier blocks), by a linear solve where the block's equations are linear in its unknowns. The
fixed point is linearly stable iff the spectral radius of the Jacobian dF/dx at x* is below one.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import sympy

from interplay.theory.domain import condition_over, fractions, simplify_over
from interplay.theory.maps import SymbolicMap, t_symbol
from interplay.theory.named import NamedAnswer
from interplay.theory.spec import SpecError


class NoUniqueFixedPoint(ValueError):
    """The map has no fixed point, or a continuum of them (e.g. alpha = 1: any consensus is fixed)."""


def _require_autonomous(fmap: SymbolicMap):
    if t_symbol in fmap.parameters:
        raise NoUniqueFixedPoint(
            f"the {fmap.name} map depends on the round t (accumulate regime): it has no fixed point; iterate it instead"
        )


def fixed_point(fmap: SymbolicMap) -> dict[sympy.Symbol, sympy.Expr]:
    """The unique fixed point {state symbol: value}; raises :class:`NoUniqueFixedPoint` otherwise."""
    _require_autonomous(fmap)
    solution: dict[sympy.Symbol, sympy.Expr] = {}
    for name, indices in fmap.blocks:
        unknowns = [fmap.state[i] for i in indices]
        equations = [sympy.expand(fmap.update[i].xreplace(solution) - fmap.state[i]) for i in indices]
        linear = all(sympy.Poly(e, *unknowns).total_degree() <= 1 for e in equations)
        found = sympy.linsolve(equations, unknowns) if linear else sympy.solve(equations, unknowns, set=True)[1]
        found = list(found)
        if len(found) != 1:
            raise NoUniqueFixedPoint(f"block {name!r} of the {fmap.name} map has {len(found)} fixed points")
        values = found[0]
        if any(v.free_symbols & set(unknowns) for v in values):
            raise NoUniqueFixedPoint(
                f"block {name!r} of the {fmap.name} map has a continuum of fixed points (a unit multiplier)"
            )
        solution.update({u: sympy.simplify(v) for u, v in zip(unknowns, values)})
    return solution


def jacobian(fmap: SymbolicMap, at: dict | None = None) -> sympy.Matrix:
    """dF/dx, evaluated at the point ``at`` ({state symbol: value}) when given."""
    J = sympy.Matrix(fmap.update).jacobian(sympy.Matrix(fmap.state))
    return J if at is None else J.xreplace(at)


def _diagonal_blocks(fmap: SymbolicMap, J: sympy.Matrix) -> list[sympy.Matrix]:
    """The diagonal blocks of J when J is block lower-triangular in the map's block order, else [J]."""
    blocks = [list(indices) for _, indices in fmap.blocks if indices]
    for a, rows in enumerate(blocks):
        later = [i for cols in blocks[a + 1 :] for i in cols]
        if later and not J.extract(rows, later).is_zero_matrix:
            return [J]
    return [J.extract(rows, rows) for rows in blocks]


def eigenvalues(fmap: SymbolicMap, at: dict | None = None) -> dict[sympy.Expr, int]:
    """Eigenvalues of the Jacobian (at the fixed point by default) with their multiplicities: exact for the
    rational blocks' factors of degree <= 2, else float (never snapped to a nearby simple number: 0.99999999 is
    not 1)."""
    at = fixed_point(fmap) if at is None else at
    J = jacobian(fmap, at)
    result: Counter[sympy.Expr] = Counter()
    for block in _diagonal_blocks(fmap, J):
        if all(x.is_Rational for x in block):
            result.update(_rational_block_eigenvalues(block))
        elif all(x.is_number for x in block):
            values = np.linalg.eigvals(np.asarray(block.evalf(), dtype=complex))
            seen: dict[complex, sympy.Expr] = {}
            for v in values:  # floats as they are (never snapped to a nearby simple number: 0.99999999 is not 1)
                group = complex(np.round(v, 12))
                result[seen.setdefault(group, _float_number(v))] += 1
        else:
            for value, count in block.eigenvals(multiple=False).items():
                result[sympy.simplify(value)] += count
    return dict(result)


def _rational_block_eigenvalues(block: sympy.Matrix) -> Counter[sympy.Expr]:
    """Roots of the exact characteristic polynomial of a rational block, factored over the rationals: a factor
    of degree <= 2 gives exact roots (so a multiplier of exactly 1 is 1), a larger one float roots."""
    result: Counter[sympy.Expr] = Counter()
    for poly, power in block.charpoly().factor_list()[1]:
        roots = sympy.roots(poly, multiple=True) if poly.degree() <= 2 else []
        if len(roots) != poly.degree():
            roots = [_float_number(complex(r)) for r in poly.nroots(n=17)]
        for root in roots:
            result[root] += power
    return result


def _float_number(v: complex) -> sympy.Expr:
    """A numerically computed eigenvalue as a sympy float (real when its imaginary part is round-off)."""
    if abs(v.imag) <= 1e-12 * max(1.0, abs(v)):
        return sympy.Float(v.real)
    return sympy.Float(v.real) + sympy.I * sympy.Float(v.imag)


def spectral_radius(fmap: SymbolicMap, at: dict | None = None) -> sympy.Expr:
    """max |lambda| over the Jacobian's eigenvalues; a number for numeric specs, else an expression simplified
    over the domain alpha, beta in [0, 1] (:func:`~theory.domain.simplify_over`: |e| = e where e >= 0 there, and a
    modulus another one bounds is left out of the Max)."""
    over = fractions(fmap.ecosystem)
    return simplify_over(sympy.Max(*{sympy.Abs(v) for v in eigenvalues(fmap, at)}), over)


def stability_condition(fmap: SymbolicMap, at: dict | None = None) -> sympy.Basic:
    """The condition for the fixed point to be linearly stable, rho < 1 (True/False if numeric): with the
    spectral radius rho = Max(m_1, ..., m_r) of the moduli no other one bounds on the domain, the conjunction of
    m_i < 1, reduced to one condition over the domain (:func:`~theory.domain.condition_over`)."""
    over = fractions(fmap.ecosystem)
    radius = spectral_radius(fmap, at)
    moduli = radius.args if isinstance(radius, sympy.Max) else (radius,)
    return condition_over([m < 1 for m in moduli], over)


def to_latex(value) -> str:
    """LaTeX of an expression, a matrix, a condition or a {symbol: value} dict (one line per entry); of a named
    answer (:class:`~theory.named.NamedAnswer`), a booktabs table of its quantities, values and meanings."""
    if isinstance(value, NamedAnswer):
        rows = {name: {"value": v, "meaning": value.quantity(name).meaning} for name, v in value.items()}
        return latex_table(rows, row_header="quantity")
    if isinstance(value, dict):
        return " \\\\\n".join(f"{sympy.latex(k)} &= {sympy.latex(v)}" for k, v in value.items())
    return sympy.latex(value)


_SPECIAL = {c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def _cell(value, digits: int | None) -> str:
    """A table cell: text (escaped) for a str, else $LaTeX$ of the sympy value (a list of matrices: joined by
    commas), numbers to ``digits`` significant digits when given."""
    if isinstance(value, str):
        return "".join(_SPECIAL.get(c, c) for c in value)
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v, digits) for v in value)
    value = sympy.sympify(value)
    if digits is not None:

        def rounded(x):
            return x.evalf(digits) if isinstance(x, sympy.Expr) and x.is_number and not x.is_Integer else x

        value = value.applyfunc(rounded) if isinstance(value, sympy.MatrixBase) else rounded(value)
    return f"${sympy.latex(value)}$"


def latex_table(rows, columns=None, *, row_header="", digits: int | None = None) -> str:
    """A booktabs ``tabular`` of results: ``rows`` {row label: {column: value}} (e.g. one row per parameter value,
    each a dict of quantities or a :class:`~theory.named.NamedAnswer`), the columns in the order ``columns``
    (default: the first row's keys), ``row_header`` over the labels. Labels, headers and values that are str are
    set as text (LaTeX's special characters escaped), anything else as math; ``digits`` rounds numbers to that
    many significant digits. Needs ``\\usepackage{booktabs}``."""
    if not rows:
        raise SpecError("rows", "a table needs at least one row")
    columns = list(next(iter(rows.values())).keys()) if columns is None else list(columns)
    for label, row in rows.items():
        missing = [c for c in columns if c not in row]
        if missing:
            raise SpecError("rows", f"row {label!r} has no column {missing[0]!r}")
    lines = [
        "\\begin{tabular}{" + "l" * (len(columns) + 1) + "}",
        "\\toprule",
        " & ".join(_cell(c, None) for c in [row_header, *columns]) + " \\\\",
        "\\midrule",
    ]
    for label, row in rows.items():
        lines.append(" & ".join([_cell(label, None)] + [_cell(row[c], digits) for c in columns]) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    return "\n".join(lines)
