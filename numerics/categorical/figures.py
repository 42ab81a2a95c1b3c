"""Figures of categorical ecosystems: exact moments against Monte Carlo."""

from __future__ import annotations

from interplay.numerics.plots import Panel, trajectory_figure


def categorical_theory_vs_monte_carlo(exact, mc, category: int = 0, title: str = ""):
    """Panels: each model's probability of ``category`` and its Gini-Simpson diversity 1 - sum p^2, exact lines
    (the moment recursion, or the population map where tau != 1) over Monte Carlo bands; the homogenisation
    E||p_1 - p_2||^2; the schedule when alpha or beta vary (:func:`numerics.plots.trajectory_figure`)."""
    panels = [
        Panel(
            rf"$p_{{k,{category + 1}}}$", f"probability of category {category + 1}",
            exact.mean[:, :, category], mc.probs[:, :, :, category],
        ),
        Panel(r"$1 - \Sigma_i\, p_{ki}^2$", "diversity (Gini-Simpson)", exact.diversity(), mc.diversity()),
    ]  # fmt: skip
    return trajectory_figure(exact, mc, panels, title, ("p", mc.probs))
