"""Value axes of a sweep: any numeric value of the spec named as a path, and the ecosystem at one of its values.

A name is ``public.FIELD[i]...``, ``private[k].FIELD[i]...`` (a field of a real source), ``family.FIELD[i]...``
(a field of the family's spec, shared by every model) or ``mixing[k][j]`` (an entry of W), e.g.
``public.mean[0]``, ``private[1].cov[0][1]``, ``private[0].probs[2]``, ``public.rate``, ``family.theta[0]``,
``family.noise_var``. A vector field takes one index, a matrix two, a number none. The family says which fields
can be swept and how the rest of the field follows the swept entry (``value_fields`` of its
:class:`~interplay.numerics.family.NumericsFamily`: a source field by its name, a field of the family's spec as
``"family.FIELD"``), one of these rules:

``entry``      the entry alone changes (a Gaussian mean, a Poisson rate);
``symmetric``  entry [i][j] and its mirror [j][i] change together, so a covariance stays symmetric; the
               source still checks it is positive definite;
``simplex``    a probability vector: entry i becomes v and the other entries keep their proportions, rescaled to
               sum to 1 - v (p_j -> p_j (1 - v) / (1 - p_i)), so the vector still sums to 1. Refused when the
               other entries are all 0.

``mixing[k][j]`` (k != j) sets W[k][j] and the diagonal absorbs the change: W[k][k] = 1 - sum of the row's other
entries, so every row stays stochastic (refused where W[k][k] would be negative; a diagonal entry cannot be
swept: sweep the off-diagonal ones).

Values are taken at their exact value (:func:`interplay.theory.spec.exact`: 0.7 is 7/10). Every problem is a
``SpecError`` naming the axis (``axes.NAME``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import NamedTuple

import sympy

from interplay.numerics import registry
from interplay.theory.spec import Ecosystem, SpecError, exact, show

RULES = ("entry", "symmetric", "simplex")
_NAME = re.compile(r"(?P<source>public|private\[(?P<k>\d+)\]|family)\.(?P<field>[a-z_]+)(?P<index>(\[\d+\])*)")
_MIXING = re.compile(r"mixing\[(?P<k>\d+)\]\[(?P<j>\d+)\]")


class ValueAxis(NamedTuple):
    """A parsed value-axis name: ``source`` "public", "private[k]", "family" or "mixing"; ``field`` of the source
    or of the family's spec (None for mixing); ``index`` the entry's indices."""

    name: str
    source: str
    field: str | None
    index: tuple[int, ...]

    @property
    def key(self) -> str | None:
        """The axis's key in the family's ``value_fields``: the field, ``"family.FIELD"`` for the family's spec."""
        return f"family.{self.field}" if self.source == "family" else self.field


def is_value_axis(name: str) -> bool:
    """Whether ``name`` has the form of a value axis (it may still name nothing of a given spec)."""
    return bool(_NAME.fullmatch(name) or _MIXING.fullmatch(name))


def parse(name: str) -> ValueAxis:
    """The parts of a value-axis name (SpecError when it has none of the forms of the module doc)."""
    mixing = _MIXING.fullmatch(name)
    if mixing:
        return ValueAxis(name, "mixing", None, (int(mixing["k"]), int(mixing["j"])))
    match = _NAME.fullmatch(name)
    if not match:
        example = "public.mean[0], private[1].probs[2], mixing[0][1]"
        raise SpecError(f"axes.{name}", f"names no parameter or value of the spec (e.g. {example})")
    index = tuple(int(i) for i in re.findall(r"\[(\d+)\]", match["index"]))
    return ValueAxis(name, match["source"], match["field"], index)


def _fields(eco: Ecosystem) -> dict[str, str]:
    return registry.family(eco).value_fields


def check(eco: Ecosystem, axis: ValueAxis, exchangeable: bool) -> None:
    """SpecError when ``axis`` names nothing of ``eco``'s family (or, with ``exchangeable``, a value that would
    make the models of a K axis differ: a private source or W)."""
    fields = _fields(eco)
    where = f"axes.{axis.name}"
    family = axis.source == "family"
    swept = sorted(f for f in fields if f != "mixing" and f.startswith("family.") == family)
    if axis.source == "mixing":
        if "mixing" not in fields:
            raise SpecError(where, f"{eco.family.name} sweeps cannot sweep W")
    elif axis.key not in fields:
        what = ", ".join(swept) if swept else "none"
        whose = "spec has" if family else "sources have"
        raise SpecError(where, f"{eco.family.name} {whose} no sweepable field {axis.field!r} (sweepable: {what})")
    if exchangeable and axis.source not in ("public", "family"):
        raise SpecError(
            where, "a K axis copies private[0] and extends W: sweep the public source's or the family's values only"
        )


def ecosystem_with(eco: Ecosystem, axis: ValueAxis, value: float) -> Ecosystem:
    """``eco`` with the value named by ``axis`` set to ``value`` (the rest follows the family's rule)."""
    where = f"axes.{axis.name}"
    number = exact(float(value), where)
    try:
        if axis.source == "mixing":
            return eco.with_options(mixing=_with_mixing(eco.mixing, axis, number))
        if axis.source in ("public", "family"):
            source = getattr(eco, axis.source)
        else:
            k = int(axis.source[len("private[") : -1])
            if k >= eco.K:
                raise SpecError(where, f"private[{k}]: there are {eco.K} models (private[0]..private[{eco.K - 1}])")
            source = eco.private[k]
        rule = _fields(eco)[axis.key]
        entry = _with_entry(getattr(source, axis.field), axis, rule, number)
        changed = dataclasses.replace(source, **{axis.field: entry})
        if axis.source in ("public", "family"):
            return eco.with_options(**{axis.source: changed})
        private = list(eco.private)
        private[k] = changed
        return eco.with_options(private=tuple(private))
    except SpecError as error:
        if error.parameter == where:
            raise
        raise SpecError(where, f"at {value:g}: {error}") from None


def ecosystem_at(eco: Ecosystem, axes, values) -> Ecosystem:
    """``eco`` with the value named by each of ``axes`` (:class:`ValueAxis`) set to its value, in turn."""
    for axis, value in zip(axes, values, strict=True):
        eco = ecosystem_with(eco, axis, value)
    return eco


def _entry(shape: tuple[int, int] | None, axis: ValueAxis) -> tuple[int, int] | None:
    """The (row, column) of the named entry in a field of ``shape`` (a column: a vector; None: a number, which
    takes no index and gives None)."""
    where = f"axes.{axis.name}"
    wanted = 0 if shape is None else (1 if shape[1] == 1 else 2)
    if len(axis.index) != wanted:
        kind = {0: "a number: no index", 1: "a vector: one index", 2: "a matrix: two indices"}[wanted]
        raise SpecError(where, f"{axis.field} is {kind}, got {len(axis.index)}")
    if shape is None:
        return None
    rows, columns = shape
    row, column = (axis.index[0], 0) if wanted == 1 else axis.index
    if row >= rows or column >= columns:
        size = f"has {rows} {'entry' if rows == 1 else 'entries'}" if wanted == 1 else f"is {rows} x {columns}"
        raise SpecError(where, f"index {list(axis.index)} is out of range: {axis.field} {size}")
    return row, column


def _with_entry(current, axis: ValueAxis, rule: str, number):
    """The field ``current`` (a sympy matrix or a number) with the named entry set to ``number`` by ``rule``."""
    if not isinstance(current, sympy.MatrixBase):
        _entry(None, axis)
        return number
    row, column = _entry(current.shape, axis)
    values = sympy.Matrix(current)
    if rule == "simplex":
        rest = 1 - values[row, column]
        if rest == 0:
            raise SpecError(f"axes.{axis.name}", "the other entries are all 0: there are no proportions to keep")
        values = values * ((1 - number) / rest)
    values[row, column] = number
    if rule == "symmetric":
        values[column, row] = number
    return sympy.ImmutableMatrix(values)


def _with_mixing(mixing, axis: ValueAxis, number):
    """W with W[k][j] = ``number`` and the diagonal absorbing the change (the module doc)."""
    where = f"axes.{axis.name}"
    k, j = axis.index
    K = mixing.shape[0]
    if k >= K or j >= K:
        raise SpecError(where, f"index [{k}, {j}] is out of range for W of shape ({K}, {K})")
    if k == j:
        raise SpecError(where, "the diagonal absorbs changes of its row: sweep an off-diagonal entry")
    values = sympy.Matrix(mixing)
    values[k, j] = number
    values[k, k] = 0
    values[k, k] = 1 - sum(values.row(k))
    if values[k, k] < 0:
        raise SpecError(where, f"at {float(number):g}: row {k} of W would need a diagonal {show(values[k, k])} < 0")
    return sympy.ImmutableMatrix(values)
