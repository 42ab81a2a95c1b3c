"""Figures of linear-Gaussian ecosystems: exact moments against Monte Carlo."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from interplay.numerics.plots import band


def linear_theory_vs_monte_carlo(exact, mc, title: str = ""):
    """Two panels: each model's parameter error E||theta_k - theta*||^2 and its first coordinate E theta_k1,
    exact recursion (lines) over Monte Carlo bands."""
    t = np.arange(exact.mean.shape[0])
    fig, (ax_error, ax_mean) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    errors = mc.task_error()
    for k in range(exact.ecosystem.K):
        color = colors[k % len(colors)]
        band(ax_error, t, errors[:, :, k], color, f"model {k + 1}")
        ax_error.plot(t, exact.task_error()[:, k], color=color, lw=1.8, label=f"model {k + 1} exact")
        band(ax_mean, t, mc.thetas[:, :, k, 0], color, f"model {k + 1}")
        ax_mean.plot(t, exact.mean[:, k, 0], color=color, lw=1.8, label=f"model {k + 1} exact")
    ax_error.set(xlabel="round t", ylabel="||theta_k - theta*||^2", title="parameter error", yscale="log")
    ax_mean.set(xlabel="round t", ylabel="theta_k1", title="first coordinate of the fit")
    ax_error.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
