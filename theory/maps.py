"""Update maps as explicit sympy expressions: x_{t+1} = F(x_t) over a flat vector of named state symbols.

Two maps come from one ecosystem:

* :func:`population_map` -- the infinite-sample map over the fitted parameters (m_k, S_k);
* :func:`moment_map` -- the exact finite-n recursion of the moments of the fitted parameters
  (E m, Cov m, Cov(m, b), E V, nu; see :mod:`theory.gaussian`).

Both are the map of an update round t >= 1; with a schedule or under ``accumulate`` they depend on t, given
as an integer or left as the symbol ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from . import gaussian
from .gaussian import Fit, Moments
from .rounds import plan_at
from .spec import Ecosystem, SpecError

t_symbol = sympy.Symbol("t", integer=True, nonnegative=True)


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


def _symmetric(name: str, size: int) -> tuple[sympy.Matrix, list[tuple[int, int]]]:
    """A symmetric matrix of symbols name_{ij} (i <= j) and the positions of its free entries."""
    matrix = sympy.zeros(size, size)
    positions = [(i, j) for i in range(size) for j in range(i, size)]
    for i, j in positions:
        matrix[i, j] = matrix[j, i] = sympy.Symbol(f"{name}_{{{i + 1}{j + 1}}}", real=True)
    return matrix, positions


def _stacked_symmetric(name: str, K: int, d: int) -> tuple[sympy.Matrix, list[tuple[int, int]]]:
    """K symmetric d x d matrices of symbols name<k>_{ij}, stacked Kd x d."""
    blocks, positions = [], []
    for k in range(K):
        matrix, free = _symmetric(f"{name}{k + 1}", d)
        blocks.append(matrix)
        positions += [(k * d + i, j) for i, j in free]
    return sympy.Matrix.vstack(*blocks), positions


def _all(rows: int, cols: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(rows) for j in range(cols)]


class _Layout:
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


def _plan_round(eco: Ecosystem, t) -> int:
    """The round whose alpha_t, beta_t the map uses (any round >= 1 when they are constant)."""
    if eco.is_constant:
        return 1
    if not isinstance(t, int) or t < 1:
        raise SpecError("t", f"the spec has an alpha/beta schedule: give the update round as an integer >= 1, got {t}")
    return t


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The population update map (m_k, S_k)_k -> (m_k', S_k')_k of update round t >= 1.

    It depends on t only under ``accumulate`` or with a schedule.
    """
    K, d = eco.K, eco.dim
    mean = sympy.Matrix([sympy.Symbol(f"m_{{{k + 1}{i + 1}}}", real=True) for k in range(K) for i in range(d)])
    cov, cov_positions = _stacked_symmetric("S", K, d)
    layout = _Layout()
    layout.add("mean", ("mean", mean, _all(K * d, 1)))
    layout.add("cov", ("cov", cov, cov_positions))
    plan = plan_at(eco, _plan_round(eco, t), population=True)
    new = gaussian.population_step(eco, Fit(mean, cov), plan, t)
    return layout.build("population", eco, new._asdict())


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact finite-n moment recursion of update round t >= 1, over (E m, nu, Cov(m, b), Cov m, E V)."""
    K, d = eco.K, eco.dim
    mean = sympy.Matrix([sympy.Symbol(f"\\mu_{{{i + 1}}}", real=True) for i in range(K * d)])
    nu = sympy.Matrix([sympy.Symbol(f"\\nu_{{{k + 1}}}", real=True) for k in range(K)])
    cov, cov_positions = _symmetric("C", K * d)
    second, second_positions = _stacked_symmetric("V", K, d)
    layout = _Layout()
    layout.add("mean", ("mean", mean, _all(K * d, 1)))
    layout.add("nu", ("nu", nu, _all(K, 1)))
    if eco.regime == "reuse":
        cross = sympy.Matrix(K * d, (K + 1) * d, lambda i, j: sympy.Symbol(f"X_{{{i + 1},{j + 1}}}", real=True))
        layout.add("cross", ("cross", cross, _all(K * d, (K + 1) * d)))
    else:
        cross = sympy.zeros(K * d, (K + 1) * d)
        layout.constant("cross", cross)
    layout.add("dispersion", ("cov", cov, cov_positions), ("second", second, second_positions))
    plan = plan_at(eco, _plan_round(eco, t))
    new = gaussian.moment_step(eco, Moments(mean, cov, cross, second, nu), plan, t)
    return layout.build("moments", eco, new._asdict())
