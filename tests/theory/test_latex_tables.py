"""LaTeX tables of results: latex_table and to_latex of a named answer give booktabs tabulars, exactly."""

import pytest
import sympy

from interplay.theory import NamedAnswer, Quantity, SpecError, latex_table, to_latex

alpha = sympy.Symbol("alpha")


def test_a_table_of_quantities_over_parameter_values():
    rows = {
        sympy.Rational(1, 4): {
            "rho": sympy.Rational(1, 4),
            "E||m_1 - m_2||^2": sympy.sqrt(2) / 2,
            "stable": sympy.true,
        },
        sympy.Rational(1, 2): {"rho": sympy.Rational(1, 2), "E||m_1 - m_2||^2": sympy.eye(2), "stable": alpha < 1},
    }
    expected = (
        "\\begin{tabular}{llll}\n"
        "\\toprule\n"
        "$\\alpha$ & rho & E\\textbar{}\\textbar{}m\\_1 - m\\_2\\textbar{}\\textbar{}"
        "\\textasciicircum{}2 & stable \\\\\n"
        "\\midrule\n"
        "$\\frac{1}{4}$ & $\\frac{1}{4}$ & $\\frac{\\sqrt{2}}{2}$ & $\\text{True}$ \\\\\n"
        "$\\frac{1}{2}$ & $\\frac{1}{2}$ & $\\left[\\begin{matrix}1 & 0\\\\0 & 1\\end{matrix}\\right]$"
        " & $\\alpha < 1$ \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}"
    )
    assert latex_table(rows, row_header=alpha) == expected
    rounded = latex_table(rows, ["rho"], row_header="alpha", digits=2).splitlines()
    assert rounded[0] == "\\begin{tabular}{ll}" and rounded[2] == "alpha & rho \\\\"
    assert rounded[4:6] == ["$\\frac{1}{4}$ & $0.25$ \\\\", "$\\frac{1}{2}$ & $0.5$ \\\\"]


def test_a_named_answer_as_a_table_of_values_and_meanings():
    answer = NamedAnswer(
        "population",
        {
            "rate": Quantity(sympy.Matrix([3, 5]), "lambda_k*", (("model", ("model 1", "model 2")),)),
            "spectral_radius": Quantity(sympy.Rational(1, 2), "rho < 1 & stable"),
        },
    )
    assert to_latex(answer) == (
        "\\begin{tabular}{lll}\n"
        "\\toprule\n"
        "quantity & value & meaning \\\\\n"
        "\\midrule\n"
        "rate & $\\left[\\begin{matrix}3\\\\5\\end{matrix}\\right]$ & lambda\\_k* \\\\\n"
        "spectral\\_radius & $\\frac{1}{2}$ & rho \\textless{} 1 \\& stable \\\\\n"
        "\\bottomrule\n"
        "\\end{tabular}"
    )


def test_a_table_needs_rows_with_every_column():
    with pytest.raises(SpecError, match="rows"):
        latex_table({})
    with pytest.raises(SpecError, match="row 'b' has no column 'x'"):
        latex_table({"a": {"x": 1}, "b": {"y": 2}})
