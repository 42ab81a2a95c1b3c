"""How ``interplay derive`` writes a named answer (:class:`interplay.theory.named.NamedAnswer`): each quantity
under its name in result.json, with its meaning and axis labels beside them, and one line per quantity in the
text and LaTeX reports."""

from __future__ import annotations

import sympy

from interplay.theory.named import NamedAnswer
from interplay.theory.spec import plain


def as_json(value):
    """A long-run value as JSON: sympy booleans as booleans, relations as strings, numbers and matrices plain."""
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    if value in (sympy.true, sympy.false):
        return bool(value)
    if isinstance(value, sympy.logic.boolalg.Boolean):
        return str(value)
    return plain(value)


def _as_lists(value):
    """A long-run value for the text report: matrices as nested lists of their exact entries."""
    if isinstance(value, list | tuple):
        return [_as_lists(v) for v in value]
    return value.tolist() if isinstance(value, sympy.MatrixBase) else value


def json_entries(answer: NamedAnswer) -> dict:
    """{name: value} for every quantity, plus ``meanings`` {name: meaning} and ``axes`` {name: {dim: labels}}."""
    return {name: as_json(value) for name, value in answer.items()} | {
        "meanings": answer.meanings(),
        "axes": {name: {dim: list(labels) for dim, labels in q.axes} for name, q in answer.quantities.items()},
    }


def text_lines(answer: NamedAnswer) -> list[str]:
    """``name [axes]: value`` then the meaning, indented."""
    lines = []
    for name, q in answer.quantities.items():
        axes = f" [{' x '.join(q.dims)}]" if q.axes else ""
        lines += [f"  {name}{axes}: {_as_lists(q.value)}", f"      {q.meaning}"]
    return lines


def latex_lines(answer: NamedAnswer) -> list[str]:
    r"""``\text{name} = value`` per quantity."""
    escaped = {name: name.replace("_", r"\_") for name in answer}
    return [rf"\text{{{escaped[name]}}} = " + sympy.latex(value) for name, value in answer.items()]
