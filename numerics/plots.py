"""Figures: exact trajectories with their Monte Carlo bands on the same axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .iterate import ExactTrajectory  # noqa: E402
from .simulate import MonteCarlo  # noqa: E402


def _band(ax, t, samples, color, label):
    """Monte Carlo mean with a +-4 standard-error band, and the 10-90% spread of the replicates."""
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
    low, high = np.quantile(samples, [0.1, 0.9], axis=0)
    ax.fill_between(t, low, high, color=color, alpha=0.12, lw=0, label=f"{label} MC 10-90% of replicates")
    ax.fill_between(t, mean - 4 * se, mean + 4 * se, color=color, alpha=0.35, lw=0, label=f"{label} MC mean ± 4 SE")


def theory_vs_monte_carlo(exact: ExactTrajectory, mc: MonteCarlo, title: str = ""):
    """Two panels (first coordinate of each model): E[m_k] and E[S_k] exact lines over Monte Carlo bands."""
    t = np.arange(exact.rounds + 1)
    fig, (ax_mean, ax_cov) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k in range(exact.ecosystem.K):
        color = colors[k % len(colors)]
        _band(ax_mean, t, mc.means[:, :, k, 0], color, f"model {k + 1}")
        ax_mean.plot(t, exact.mean[:, k, 0], color=color, lw=1.8, label=f"model {k + 1} exact")
        _band(ax_cov, t, mc.covs[:, :, k, 0, 0], color, f"model {k + 1}")
        ax_cov.plot(t, exact.fitted_cov[:, k, 0, 0], color=color, lw=1.8, label=f"model {k + 1} exact")
    ax_mean.set(xlabel="round t", ylabel="fitted mean $m_{k}$", title="means: exact $E[m_k]$ vs Monte Carlo")
    ax_cov.set(xlabel="round t", ylabel="fitted variance $S_{k}$", title="variances: exact $E[S_k]$ vs Monte Carlo")
    ax_mean.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
