"""Figures: exact trajectories with their Monte Carlo bands on the same axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def band(ax, t, samples, color, label):
    """Monte Carlo mean with a +-4 standard-error band, and the 10-90% spread of the replicates."""
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
    low, high = np.quantile(samples, [0.1, 0.9], axis=0)
    ax.fill_between(t, low, high, color=color, alpha=0.12, lw=0, label=f"{label} MC 10-90% of replicates")
    ax.fill_between(t, mean - 4 * se, mean + 4 * se, color=color, alpha=0.35, lw=0, label=f"{label} MC mean ± 4 SE")


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
