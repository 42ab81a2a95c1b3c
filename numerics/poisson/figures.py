"""Figures of Poisson ecosystems: the exact moments of the fitted rates against Monte Carlo."""

from __future__ import annotations

from interplay.numerics import plots
from interplay.numerics.plots import Panel


def trajectory_figure(exact, mc, title: str = ""):
    """Panels: E lambda_k and Var lambda_k, exact lines (:class:`PoissonTrajectory`) over the Monte Carlo bands
    (:class:`PoissonMonteCarlo`; the variance band is that of (lambda_k - E lambda_k)^2 with the exact E, whose mean
    is Var lambda_k); the homogenisation E(lambda_1 - lambda_2)^2; the schedule when alpha or beta vary
    (:func:`numerics.plots.trajectory_figure`)."""
    panels = [
        Panel(r"fitted rate $\lambda_k$", r"rates: $E\,\lambda_k$", exact.mean, mc.rates),
        Panel(r"$\mathrm{Var}\,\lambda_k$", "variances", exact.variance(), (mc.rates - exact.mean) ** 2),
    ]
    return plots.trajectory_figure(exact, mc, panels, title, (r"\lambda", mc.rates))
