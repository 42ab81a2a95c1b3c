"""Figures of Gaussian ecosystems: exact moments against Monte Carlo."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from interplay.numerics.gaussian.iterate import ExactTrajectory
from interplay.numerics.gaussian.monte_carlo import MonteCarlo
from interplay.numerics.plots import band


def theory_vs_monte_carlo(exact: ExactTrajectory, mc: MonteCarlo, title: str = ""):
    """Two panels (first coordinate of each model): E[m_k] and E[S_k] exact lines over Monte Carlo bands."""
    t = np.arange(exact.rounds + 1)
    fig, (ax_mean, ax_cov) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k in range(exact.ecosystem.K):
        color = colors[k % len(colors)]
        band(ax_mean, t, mc.means[:, :, k, 0], color, f"model {k + 1}")
        ax_mean.plot(t, exact.mean[:, k, 0], color=color, lw=1.8, label=f"model {k + 1} exact")
        band(ax_cov, t, mc.covs[:, :, k, 0, 0], color, f"model {k + 1}")
        ax_cov.plot(t, exact.fitted_cov[:, k, 0, 0], color=color, lw=1.8, label=f"model {k + 1} exact")
    ax_mean.set(xlabel="round t", ylabel="fitted mean $m_{k}$", title="means: exact $E[m_k]$ vs Monte Carlo")
    ax_cov.set(xlabel="round t", ylabel="fitted variance $S_{k}$", title="variances: exact $E[S_k]$ vs Monte Carlo")
    ax_mean.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
