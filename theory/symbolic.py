"""Update maps as explicit sympy expressions: x_{t+1} = F(x_t) over a flat vector of named state symbols.

:class:`SymbolicMap` is what every family's map builder returns and what :mod:`theory.analysis` analyses;
:class:`Layout` is how a builder cuts the flat state into named matrices of symbols.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from interplay.theory.spec import Ecosystem, SpecError

t_symbol = sympy.Symbol("t", integer=True, nonnegative=True)
"""The round t of a map that depends on it (schedules of alpha and beta, the ``accumulate`` regime)."""


@dataclass(frozen=True)
class SymbolicMap:
    """x' = update(x) over a flat state of named parts.

    ``state`` and ``update`` are equally long tuples. ``parts`` names the matrices the state is cut from (e.g.
    ``mean``, ``cov``), each as its matrix of state symbols (symmetric ones mirrored) and the positions of its
    free entries, in state order. ``blocks`` groups the state indices in an order where each block's update
    depends only on itself and earlier blocks.
    """

    name: str
    state: tuple[sympy.Symbol, ...]
    update: tuple[sympy.Expr, ...]
    blocks: tuple[tuple[str, tuple[int, ...]], ...]
    parts: tuple[tuple[str, sympy.ImmutableMatrix, tuple[tuple[int, int], ...]], ...]
    ecosystem: Ecosystem

    @property
    def parameters(self) -> set[sympy.Symbol]:
        return set().union(*(e.free_symbols for e in self.update)) - set(self.state)

    def __call__(self, values) -> list:
        """Evaluate the map at a point (a sequence of numbers, one per state symbol)."""
        substitution = dict(zip(self.state, values))
        return [sympy.sympify(e).xreplace(substitution) for e in self.update]

    def unpack(self, values) -> dict[str, sympy.Matrix]:
        """The named matrices held by a state: ``values`` is a sequence in state order or {symbol: value}."""
        substitution = values if isinstance(values, dict) else dict(zip(self.state, values, strict=True))
        return {name: sympy.Matrix(symbols).xreplace(substitution) for name, symbols, _ in self.parts}

    def pack(self, **matrices) -> list:
        """The flat state (in state order) holding the named matrices (one per part)."""
        return [matrices[name][i, j] for name, _, positions in self.parts for i, j in positions]

    def latex(self) -> str:
        """The map as a LaTeX ``aligned`` block, one line per state variable."""
        lines = [rf"{sympy.latex(s)}' &= {sympy.latex(sympy.simplify(e))}" for s, e in zip(self.state, self.update)]
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def symmetric_symbols(name: str, size: int) -> tuple[sympy.Matrix, list[tuple[int, int]]]:
    """A symmetric matrix of symbols name_{ij} (i <= j) and the positions of its free entries."""
    matrix = sympy.zeros(size, size)
    positions = [(i, j) for i in range(size) for j in range(i, size)]
    for i, j in positions:
        matrix[i, j] = matrix[j, i] = sympy.Symbol(f"{name}_{{{i + 1}{j + 1}}}", real=True)
    return matrix, positions


def stacked_symmetric_symbols(name: str, K: int, d: int) -> tuple[sympy.Matrix, list[tuple[int, int]]]:
    """K symmetric d x d matrices of symbols name<k>_{ij}, stacked Kd x d."""
    blocks, positions = [], []
    for k in range(K):
        matrix, free = symmetric_symbols(f"{name}{k + 1}", d)
        blocks.append(matrix)
        positions += [(k * d + i, j) for i, j in free]
    return sympy.Matrix.vstack(*blocks), positions


def all_positions(rows: int, cols: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(rows) for j in range(cols)]


class Layout:
    """The flat state: named blocks, each made of named parts (matrix of symbols, positions of free entries)."""

    def __init__(self):
        self.symbols, self.blocks, self.parts = [], [], []

    def add(self, block_name, *parts):
        """A block of the state made of parts (part name, matrix of symbols, free positions)."""
        start = len(self.symbols)
        for name, matrix, positions in parts:
            self.symbols += [matrix[i, j] for i, j in positions]
            self.parts.append((name, sympy.ImmutableMatrix(matrix), tuple(positions)))
        self.blocks.append((block_name, tuple(range(start, len(self.symbols)))))

    def constant(self, name, matrix):
        """A part with no free entries (e.g. a cross-covariance that is zero in this regime)."""
        self.parts.append((name, sympy.ImmutableMatrix(matrix), ()))

    def build(self, name, ecosystem, updated) -> SymbolicMap:
        """The map whose update of each part is ``updated[part name]``."""
        update = tuple(sympy.expand(updated[part][i, j]) for part, _, positions in self.parts for i, j in positions)
        return SymbolicMap(name, tuple(self.symbols), update, tuple(self.blocks), tuple(self.parts), ecosystem)


def plan_round(eco: Ecosystem, t) -> int:
    """The round whose alpha_t, beta_t the map uses (any round >= 1 when they are constant)."""
    if eco.is_constant:
        return 1
    if not isinstance(t, int) or t < 1:
        raise SpecError("t", f"the spec has an alpha/beta schedule: give the update round as an integer >= 1, got {t}")
    return t
