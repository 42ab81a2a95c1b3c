"""Figures of Markov ecosystems: exact trajectories of fitted transition probabilities against Monte Carlo."""

from __future__ import annotations

from interplay.numerics import plots
from interplay.numerics.plots import Panel


def trajectory_figure(exact, mc, title: str = ""):
    """Panels: E P_k[0, 0] and E P_k[0, m-1] (state 1 staying, state 1 moving to the last state), exact lines
    (:class:`MarkovTrajectory`: the moments in the rows design, the population map in the sequences design) over
    the Monte Carlo bands; the homogenisation E||P_1 - P_2||_F^2 (:func:`numerics.plots.trajectory_figure`)."""
    last = exact.mean.shape[-1] - 1
    panels = [
        Panel(r"$P_k[1, 1]$", "state 1 stays", exact.mean[:, :, 0, 0], mc.transitions[:, :, :, 0, 0]),
        Panel(
            rf"$P_k[1, {last + 1}]$",
            f"state 1 to state {last + 1}",
            exact.mean[:, :, 0, last],
            mc.transitions[:, :, :, 0, last],
        ),
    ]
    return plots.trajectory_figure(exact, mc, panels, title, ("P", mc.transitions))
