"""Figures of categorical ecosystems: exact moments against Monte Carlo."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from interplay.numerics.plots import band


def categorical_theory_vs_monte_carlo(exact, mc, category: int = 0, title: str = ""):
    """Two panels: each model's probability of ``category`` and its Gini-Simpson diversity 1 - sum p^2, exact
    lines (the moment recursion, or the population map where tau != 1) over Monte Carlo bands."""
    t = np.arange(exact.rounds + 1)
    fig, (ax_p, ax_div) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    diversity = mc.diversity()
    for k in range(exact.ecosystem.K):
        color = colors[k % len(colors)]
        band(ax_p, t, mc.probs[:, :, k, category], color, f"model {k + 1}")
        ax_p.plot(t, exact.mean[:, k, category], color=color, lw=1.8, label=f"model {k + 1} {exact.kind}")
        band(ax_div, t, diversity[:, :, k], color, f"model {k + 1}")
        ax_div.plot(t, exact.diversity()[:, k], color=color, lw=1.8, label=f"model {k + 1} {exact.kind}")
    ax_p.set(xlabel="round t", ylabel=f"p(category {category + 1})", title="probability of one category")
    ax_div.set(xlabel="round t", ylabel="1 - sum p^2", title="diversity")
    ax_p.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
