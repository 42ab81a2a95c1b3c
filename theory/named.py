"""Named answers: long-run quantities under documented names with labelled axes, not the maps' state symbols.

A :class:`Quantity` is a value -- a sympy number, expression or relation, a sympy matrix, or a list of K
matrices for a matrix per model -- with its meaning and its axes, each a dimension name and the labels along it
(``("model", ("model 1", "model 2"))``, ``("task", ("private 1", "private 2", "public"))``). A matrix's axes are
its rows then its columns (a column with one axis: its rows); a list of matrices has the model axis first
(:meth:`Quantity.array` stacks it). A :class:`NamedAnswer` maps names to
quantities: ``answer["mean"]`` is the value, ``answer.quantity("mean")`` the whole quantity and
``answer.describe()`` the table of names, axes and meanings. Each family's ``longrun`` module names its own
quantities (:func:`interplay.theory.long_run` adds the spectral radius and the stability condition).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

import numpy as np
import sympy

from interplay.theory.spec import Ecosystem, SpecError

Axis = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class Quantity:
    """A named long-run value, what it means, and the labels of its axes (none for a scalar)."""

    value: object
    meaning: str
    axes: tuple[Axis, ...] = ()

    @property
    def dims(self) -> tuple[str, ...]:
        """The dimension names, in the value's axis order."""
        return tuple(name for name, _ in self.axes)

    def array(self) -> np.ndarray:
        """The value as a numpy array (dtype object: exact sympy entries) of the shape its axes give: a list of
        K matrices stacked, a column with one axis flattened, a scalar 0-d."""
        value = self.value
        if isinstance(value, list | tuple):
            array = np.array([np.array(sympy.Matrix(v).tolist(), dtype=object) for v in value], dtype=object)
        elif isinstance(value, sympy.MatrixBase):
            array = np.array(value.tolist(), dtype=object).reshape(value.shape)
            if len(self.axes) == 1 and value.shape[1] == 1:
                array = array[:, 0]
        else:
            array = np.array(value, dtype=object)
        shape = tuple(len(labels) for _, labels in self.axes)
        if array.shape != shape:
            raise SpecError("axes", f"{shape} does not match the value's shape {array.shape}")
        return array

    def labels(self, dim: str) -> tuple[str, ...]:
        """The labels along dimension ``dim`` (e.g. the rows of a table)."""
        for name, labels in self.axes:
            if name == dim:
                return labels
        raise SpecError("dim", f"{dim!r} is not a dimension of this quantity; it has {list(self.dims)}")


class NamedAnswer(Mapping):
    """{name: value} of named long-run quantities, computed at a fixed point of the ``kind`` map ("population":
    the infinite-sample limit; "moments": the stationary law of the exact finite-n recursion)."""

    def __init__(self, kind: str, quantities: Mapping[str, Quantity]):
        self.kind = kind
        self.quantities = dict(quantities)

    def __getitem__(self, name: str):
        if name not in self.quantities:
            raise KeyError(f"no quantity {name!r}; the {self.kind} answer has {list(self.quantities)}")
        return self.quantities[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self.quantities)

    def __len__(self) -> int:
        return len(self.quantities)

    def __repr__(self) -> str:
        return f"NamedAnswer({self.kind!r}, {dict(self)!r})"

    def quantity(self, name: str) -> Quantity:
        """The value with its meaning and axis labels; SpecError naming ``quantity`` if there is none."""
        if name not in self.quantities:
            raise SpecError("quantity", f"no quantity {name!r}; the {self.kind} answer has {list(self.quantities)}")
        return self.quantities[name]

    def meanings(self) -> dict[str, str]:
        return {name: q.meaning for name, q in self.quantities.items()}

    def describe(self) -> str:
        """A plain-text table: name, axes, meaning (one line per quantity)."""
        rows = [(name, " x ".join(q.dims) or "scalar", q.meaning) for name, q in self.quantities.items()]
        widths = [max(len(row[i]) for row in [("name", "axes", ""), *rows]) for i in range(2)]
        lines = [f"{'name':<{widths[0]}}  {'axes':<{widths[1]}}  meaning"]
        lines += [f"{name:<{widths[0]}}  {axes:<{widths[1]}}  {meaning}" for name, axes, meaning in rows]
        return "\n".join(lines)

    def tidied(self) -> NamedAnswer:
        """The same answer with every value simplified for display (:func:`tidy`)."""
        return NamedAnswer(self.kind, {name: replace(q, value=tidy(q.value)) for name, q in self.quantities.items()})

    def with_quantities(self, **quantities: Quantity) -> NamedAnswer:
        """This answer and the given quantities."""
        return NamedAnswer(self.kind, self.quantities | quantities)


# -- the axes every family labels its quantities with ---------------------------------------------------------------


def model_axis(eco: Ecosystem, dim: str = "model") -> Axis:
    return dim, tuple(f"model {k + 1}" for k in range(eco.K))


def task_axis(eco: Ecosystem) -> Axis:
    """The tasks a cross-task loss is measured on: each model's private source, then the public one."""
    return "task", tuple(f"private {k + 1}" for k in range(eco.K)) + ("public",)


def index_axis(dim: str, size: int) -> Axis:
    """Axis of 1-based positions (a vector's components, a distribution's categories)."""
    return dim, tuple(str(i + 1) for i in range(size))


def pairs(eco: Ecosystem) -> tuple[Axis, Axis]:
    """Rows and columns of a K x K table between the models (model k against model l)."""
    return model_axis(eco), model_axis(eco, "model2")


def per_model(eco: Ecosystem, rows: sympy.Matrix) -> sympy.Matrix:
    """Kd x 1 stacked per-model vectors as a K x d matrix (row k: model k)."""
    return sympy.Matrix(rows).reshape(eco.K, rows.shape[0] // eco.K)


def diagonal_blocks(eco: Ecosystem, square: sympy.Matrix) -> list[sympy.Matrix]:
    """The K diagonal d x d blocks of a Kd x Kd matrix (model k's own block)."""
    d = square.shape[0] // eco.K
    return [sympy.Matrix(square[k * d : (k + 1) * d, k * d : (k + 1) * d]) for k in range(eco.K)]


def tidy(value):
    """A value simplified for display: numbers stay exact as they are (simplify can stall on logs of big
    rationals), expressions are simplified, matrices and lists entry by entry."""
    if isinstance(value, list | tuple):
        return type(value)(tidy(v) for v in value)
    if isinstance(value, sympy.MatrixBase):
        return value.applyfunc(tidy)
    if isinstance(value, sympy.Expr) and not value.is_number:
        return sympy.simplify(value)
    return value
