"""Figures of Poisson ecosystems: the exact moments of the fitted rates against Monte Carlo."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from interplay.numerics.plots import band


def trajectory_figure(exact, mc, title: str = ""):
    """Two panels per model: E lambda_k and Var lambda_k, exact lines (:class:`PoissonTrajectory`) over the Monte
    Carlo bands (:class:`PoissonMonteCarlo`; the variance band is that of (lambda_k - E lambda_k)^2 with the
    exact E, whose mean is Var lambda_k)."""
    t = np.arange(exact.rounds + 1)
    fig, (ax_mean, ax_var) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    variance = exact.variance()
    for k in range(exact.ecosystem.K):
        color = colors[k % len(colors)]
        band(ax_mean, t, mc.rates[:, :, k], color, f"model {k + 1}")
        ax_mean.plot(t, exact.mean[:, k], color=color, lw=1.8, label=f"model {k + 1} exact")
        band(ax_var, t, (mc.rates[:, :, k] - exact.mean[:, k]) ** 2, color, f"model {k + 1}")
        ax_var.plot(t, variance[:, k], color=color, lw=1.8, label=f"model {k + 1} exact")
    ax_mean.set(xlabel="round t", ylabel=r"fitted rate $\lambda_k$", title=r"rates: exact $E[\lambda_k]$ vs MC")
    ax_var.set(xlabel="round t", ylabel=r"Var $\lambda_k$", title="variances: exact vs Monte Carlo")
    ax_mean.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
