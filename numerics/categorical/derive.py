"""What ``interplay derive`` reports of a categorical population map at a temperature tau != 1, where sympy has
no closed form: its fixed points found numerically (:mod:`numerics.categorical.fixed_points`)."""

from __future__ import annotations

import numpy as np
import sympy

from interplay.numerics.categorical.fixed_points import categorical_fixed_points
from interplay.numerics.cli import answers
from interplay.theory.categorical.longrun import population_quantities
from interplay.theory.spec import Ecosystem


def numerical_population(eco: Ecosystem) -> tuple[dict, list[str], list[str]]:
    """(the report's ``population`` entry, text lines, LaTeX lines): every fixed point with its multipliers; the
    limiting distributions are those of the point the process's round-0 fit iterates to."""
    tau = float(eco.family.temperature)
    points = categorical_fixed_points(eco)  # raises NoUniqueFixedPoint, which derive reports
    why = (
        "under curation: F(p) = p is a polynomial system of degree best_of (theory.curation)"
        if eco.curation is not None
        else f"at temperature tau = {tau:g}: sympy cannot solve F(p) = p with p^(1/tau)"
    )
    note = (
        f"no closed form {why}; these fixed "
        "points were found numerically (numerics.categorical.fixed_points: the compiled map iterated from several "
        "starts, polished by Newton's method) and their multipliers are eigenvalues of its jax Jacobian"
    )
    population = {
        "closed_form": False,
        "note": note,
        "fixed_points": [
            {
                "probs": p.probs.tolist(),
                "multipliers_real": p.multipliers.real.tolist(),
                "multipliers_imag": p.multipliers.imag.tolist(),
                "spectral_radius": p.spectral_radius,
                "stable": p.spectral_radius < 1,
                "reached_from_round_0": p.reached,
            }
            for p in points
        ],
    }
    text = [f"Population map: {note}."]
    latex = [
        r"\text{population map: no closed form under curation}"
        if eco.curation is not None
        else r"\text{population map: no closed form at } \tau = " + sympy.latex(eco.family.temperature)
    ]
    for p in points:
        kind = "stable" if p.spectral_radius < 1 else "unstable"
        reached = ", reached from the round-0 fit" if p.reached else ""
        text.append(f"  fixed point {p.probs.tolist()}: spectral radius {p.spectral_radius:.6g} ({kind}{reached})")
    reached = [p for p in points if p.reached]
    if reached:
        probs = np.maximum(reached[0].probs, 0)  # a category the limit loses: 0, not a round-off below it
        answer = population_quantities(eco, sympy.Matrix(probs))
        population |= answers.json_entries(answer) | {
            "spectral_radius": reached[0].spectral_radius,
            "stability_condition": bool(reached[0].spectral_radius < 1),
        }
        text += ["At the fixed point reached from the round-0 fit:", *answers.text_lines(answer)]
    else:
        text.append("  the round-0 fit iterates to none of them (no convergence within the iterations)")
    return population, text, latex
