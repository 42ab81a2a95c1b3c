"""Figures of linear-Gaussian ecosystems: exact moments against Monte Carlo."""

from __future__ import annotations

from interplay.numerics.plots import Panel, trajectory_figure


def linear_theory_vs_monte_carlo(exact, mc, title: str = ""):
    """Panels: each model's parameter error E||theta_k - theta*||^2 and its first coordinate E theta_k1, exact
    recursion (lines) over Monte Carlo bands; the homogenisation E||theta_1 - theta_2||^2; the schedule when alpha
    or beta vary (:func:`numerics.plots.trajectory_figure`)."""
    panels = [
        Panel(r"$E\|\theta_k - \theta^*\|^2$", "parameter error", exact.task_error(), mc.task_error(), "log"),
        Panel(r"$\theta_{k,1}$", "first coordinate of the fit", exact.mean[:, :, 0], mc.thetas[:, :, :, 0]),
    ]
    return trajectory_figure(exact, mc, panels, title, (r"\theta", mc.thetas))
