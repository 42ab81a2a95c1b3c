"""Figures of Gaussian ecosystems: exact moments against Monte Carlo."""

from __future__ import annotations

from interplay.numerics.gaussian.iterate import ExactTrajectory
from interplay.numerics.gaussian.monte_carlo import MonteCarlo
from interplay.numerics.plots import Panel, trajectory_figure


def theory_vs_monte_carlo(exact: ExactTrajectory, mc: MonteCarlo, title: str = ""):
    """Panels (first coordinate of each model): E[m_k] and E[S_k], exact lines over Monte Carlo bands; the
    homogenisation E||m_1 - m_2||^2; the schedule when alpha or beta vary (:func:`numerics.plots.trajectory_figure`)."""
    coordinate = ",1" if exact.ecosystem.dim > 1 else ""
    panels = [
        Panel(rf"fitted mean $m_{{k{coordinate}}}$", r"means: $E\,m_k$", exact.mean[:, :, 0], mc.means[:, :, :, 0]),
        Panel(
            rf"fitted variance $S_{{k{coordinate}{coordinate}}}$",
            r"variances: $E\,S_k$",
            exact.fitted_cov[:, :, 0, 0],
            mc.covs[:, :, :, 0, 0],
        ),
    ]
    return trajectory_figure(exact, mc, panels, title, ("m", mc.means))
