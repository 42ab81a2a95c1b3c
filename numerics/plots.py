"""Figures: exact trajectories with their Monte Carlo bands on the same axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .iterate import ExactTrajectory
from .monte_carlo import MonteCarlo


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


def phase_diagram(grid, quantity: str, select=None, boundary=None, ax=None, label: str | None = None):
    """Heatmap of ``grid[quantity]`` over its two axes, with a theory boundary drawn on top.

    ``select`` reduces the per-point value to a scalar (e.g. ``lambda v: v[..., 0, 1]`` for the spread between
    models 1 and 2). ``boundary`` is a sympy relation in symbols named like the axes (e.g. the result of
    ``theory.stability_condition``: ``alpha < 1``); the curve where its two sides are equal is drawn.
    """
    import sympy

    (x_name, x), (y_name, y) = grid.axes
    values = grid[quantity] if select is None else select(grid[quantity])
    if values.shape != (len(x), len(y)):
        raise ValueError(f"select must reduce {quantity} to shape {(len(x), len(y))}, got {values.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.2), constrained_layout=True)
    finite = values[np.isfinite(values)]
    top = np.quantile(finite, 0.95) if finite.size else None
    clipped = finite.size and top < finite.max()  # a few huge values (e.g. alpha = 1) would hide the rest
    mesh = ax.pcolormesh(x, y, values.T, shading="nearest", cmap="viridis", vmax=top if clipped else None)
    ax.figure.colorbar(mesh, ax=ax, label=label or quantity, extend="max" if clipped else "neither")
    if boundary is not None:
        relations = boundary.args if isinstance(boundary, sympy.And) else (boundary,)
        fine_x, fine_y = np.meshgrid(np.linspace(x.min(), x.max(), 401), np.linspace(y.min(), y.max(), 401))
        symbols = {s.name: s for s in boundary.free_symbols}
        for relation in relations:
            gap = sympy.lambdify(
                [symbols.get(x_name, sympy.Symbol(x_name)), symbols.get(y_name, sympy.Symbol(y_name))],
                relation.lhs - relation.rhs,
            )
            with np.errstate(divide="ignore", invalid="ignore"):  # a condition may be singular at a corner
                level = np.broadcast_to(np.asarray(gap(fine_x, fine_y), dtype=float), fine_x.shape)
            level = np.where(np.isfinite(level), level, np.nan)
            if np.nanmin(level) <= 0 <= np.nanmax(level):
                ax.contour(fine_x, fine_y, level, levels=[0], colors="white", linewidths=1.5, linestyles="--")
        ax.plot([], [], "w--", label="stability boundary (theory)")
        ax.legend(loc="upper left", fontsize=7, facecolor="0.3", labelcolor="white")
    ax.set(xlabel=x_name, ylabel=y_name)
    return ax.figure


def bifurcation_diagram(branch, coordinate: int = 0, ax=None, label: str | None = None):
    """State coordinate ``coordinate`` along a continued branch: solid where stable, dashed where unstable,
    bifurcations marked and named."""
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)
    x, y, stable = branch.values, branch.states[:, coordinate], branch.stable
    for flag, style in ((True, "-"), (False, "--")):
        ax.plot(x, np.where(stable == flag, y, np.nan), style, color="C0", label="stable" if flag else "unstable")
    for event in branch.bifurcations:
        ax.plot(event.parameter, event.state[coordinate], "o", color="C3")
        ax.annotate(
            event.kind,
            (event.parameter, event.state[coordinate]),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=7,
        )
    ax.set(xlabel=str(branch.parameter), ylabel=label or str(branch.fmap.state[coordinate]))
    ax.legend(fontsize=7)
    return ax.figure


def categorical_theory_vs_monte_carlo(exact, mc, category: int = 0, title: str = ""):
    """Two panels: each model's probability of ``category`` and its Gini-Simpson diversity 1 - sum p^2, exact
    lines (the moment recursion, or the population map where tau != 1) over Monte Carlo bands."""
    t = np.arange(exact.rounds + 1)
    fig, (ax_p, ax_div) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    diversity = mc.diversity()
    for k in range(exact.ecosystem.K):
        color = colors[k % len(colors)]
        _band(ax_p, t, mc.probs[:, :, k, category], color, f"model {k + 1}")
        ax_p.plot(t, exact.mean[:, k, category], color=color, lw=1.8, label=f"model {k + 1} {exact.kind}")
        _band(ax_div, t, diversity[:, :, k], color, f"model {k + 1}")
        ax_div.plot(t, exact.diversity()[:, k], color=color, lw=1.8, label=f"model {k + 1} {exact.kind}")
    ax_p.set(xlabel="round t", ylabel=f"p(category {category + 1})", title="probability of one category")
    ax_div.set(xlabel="round t", ylabel="1 - sum p^2", title="diversity")
    ax_p.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def linear_theory_vs_monte_carlo(exact, mc, title: str = ""):
    """Two panels: each model's parameter error E||theta_k - theta*||^2 and its first coordinate E theta_k1,
    exact recursion (lines) over Monte Carlo bands."""
    t = np.arange(exact.mean.shape[0])
    fig, (ax_error, ax_mean) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    errors = mc.task_error()
    for k in range(exact.ecosystem.K):
        color = colors[k % len(colors)]
        _band(ax_error, t, errors[:, :, k], color, f"model {k + 1}")
        ax_error.plot(t, exact.task_error()[:, k], color=color, lw=1.8, label=f"model {k + 1} exact")
        _band(ax_mean, t, mc.thetas[:, :, k, 0], color, f"model {k + 1}")
        ax_mean.plot(t, exact.mean[:, k, 0], color=color, lw=1.8, label=f"model {k + 1} exact")
    ax_error.set(xlabel="round t", ylabel="||theta_k - theta*||^2", title="parameter error", yscale="log")
    ax_mean.set(xlabel="round t", ylabel="theta_k1", title="first coordinate of the fit")
    ax_error.legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
