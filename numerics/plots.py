"""Figures: exact trajectories over their Monte Carlo bands, phase diagrams, bifurcation diagrams.

Every figure is drawn in the one style of :mod:`numerics.figure_style` (math labels, titles from the parameters,
legends outside the data).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from interplay.numerics.driver.schedules import model_values
from interplay.numerics.figure_style import (
    axis_label,
    legend_beside,
    legend_entries,
    parameter_title,
    quantity_label,
    styled,
)
from interplay.numerics.homogenisation_measures import mean_pairwise_squared_distance

BOUNDARY_COLOR = "#d62728"
MISSING_COLOR = "0.82"


def band(ax, t, samples, color) -> None:
    """Monte Carlo mean with a +-4 standard-error band, and the 10-90% spread of the replicates (samples: (R, T+1))."""
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
    low, high = np.quantile(samples, [0.1, 0.9], axis=0)
    ax.fill_between(t, low, high, color=color, alpha=0.12, lw=0)
    ax.fill_between(t, mean - 4 * se, mean + 4 * se, color=color, alpha=0.35, lw=0)


BAND_LEGEND = (
    Patch(color="0.35", alpha=0.35, lw=0, label="Monte Carlo mean ± 4 SE"),
    Patch(color="0.35", alpha=0.12, lw=0, label="Monte Carlo 10–90% of replicates"),
)


@dataclass(frozen=True)
class Panel:
    """One panel of a trajectory figure: per model k, the exact values ``exact[:, k]`` (T+1, K) as a line over
    the Monte Carlo band of ``simulated[:, :, k]`` (R, T+1, K)."""

    ylabel: str
    title: str
    exact: np.ndarray
    simulated: np.ndarray
    yscale: str = "linear"


def schedule_values(eco, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """(alpha_t, beta_t) over t = 0..T as floats, (T+1,) or (T+1, K) per model (alpha_0 = 0: the initial fit has no
    synthetic data)."""
    alpha = np.array([model_values(eco, eco.alpha_at(t)) for t in range(rounds + 1)])
    beta = np.array([model_values(eco, eco.beta_at(t)) for t in range(rounds + 1)])
    return alpha, beta


@styled
def trajectory_figure(exact, mc, panels: list[Panel], title: str = "", spread=None):
    """Panels of exact lines over Monte Carlo bands, one colour per model; then, for K >= 2, a homogenisation
    panel, the measure ``mean_squared_distance`` (:mod:`numerics.homogenisation_measures`: E||theta_1 - theta_2||^2
    for two models, its mean over the pairs for more) of ``exact.homogenisation()`` over the band of the simulated
    parameters' value, ``spread = (LaTeX symbol of theta, simulated parameters (R, T+1, K, ...))``; then, when
    alpha or beta vary over rounds, a schedule panel. One legend below; the title from the parameters
    (:func:`numerics.figure_style.parameter_title`) unless given."""
    eco = exact.ecosystem
    t = np.arange(exact.rounds + 1)
    with_spread = spread is not None and eco.K >= 2
    count = len(panels) + with_spread + (not eco.is_constant)
    fig, axes = plt.subplots(1, count, figsize=(3.4 * count, 3.3), layout="constrained", squeeze=False)
    axes = list(axes[0])
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    kind = "exact" if getattr(exact, "kind", "moments") == "moments" else "population map"
    for panel, ax in zip(panels, axes):
        for k in range(eco.K):
            color = colors[k % len(colors)]
            band(ax, t, panel.simulated[:, :, k], color)
            ax.plot(t, panel.exact[:, k], color=color, label=f"model {k + 1}, {kind}")
        ax.set(ylabel=panel.ylabel, title=panel.title, yscale=panel.yscale)
    if with_spread:
        symbol, parameters = spread
        parameters = np.asarray(parameters)
        ax = axes[len(panels)]
        simulated = mean_pairwise_squared_distance(parameters.reshape(parameters.shape[:3] + (-1,)))
        band(ax, t, simulated, "0.2")
        exact_spread = exact.homogenisation()["mean_squared_distance"].values
        pairs = "models 1 and 2" if eco.K == 2 else "mean over pairs"
        ax.plot(t, exact_spread, color="0.2", label=f"{pairs}, {kind}")
        label = rf"$E\|{symbol}_1 - {symbol}_2\|^2$" if eco.K == 2 else rf"$E\|{symbol}_k - {symbol}_l\|^2$, mean"
        ax.set(ylabel=label, title="homogenisation")
    if not eco.is_constant:
        ax = axes[-1]
        alpha, beta = schedule_values(eco, exact.rounds)
        ax.plot(t, alpha, "o-", color="0.1", ms=3, label=r"$\alpha_t$")
        ax.plot(t, beta, "s--", color="0.55", ms=3, label=r"$\beta_t$")
        ax.set(ylabel=r"$\alpha_t$, $\beta_t$", title="schedule", ylim=(-0.05, 1.05))
    for ax in axes:
        ax.set_xlabel(axis_label("round"))
    handles, labels = legend_entries(axes)
    fig.legend(
        handles + list(BAND_LEGEND),
        labels + [p.get_label() for p in BAND_LEGEND],
        loc="outside lower center",
        ncols=min(4, len(handles) + 2),
    )
    fig.suptitle(title or parameter_title(eco))
    return fig


def colour_norm(values, scale: str = "linear", vmin=None, vmax=None):
    """The colour scale over every finite value (``vmin`` / ``vmax`` override its ends); ``scale``: ``linear`` or
    ``log`` (over the positive values)."""
    if scale not in ("linear", "log"):
        raise ValueError(f"scale: 'linear' or 'log', got {scale!r}")
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if scale == "log":
        finite = finite[finite > 0]
        if vmin is not None and vmin <= 0:
            raise ValueError(f"vmin: a log scale needs vmin > 0, got {vmin}")
    low = vmin if vmin is not None else (finite.min() if finite.size else None)
    high = vmax if vmax is not None else (finite.max() if finite.size else None)
    return (LogNorm if scale == "log" else Normalize)(low, high)


def _levels(norm, count: int) -> np.ndarray:
    """``count`` contour levels strictly inside the colour scale, spaced as it is."""
    if norm.vmin is None or norm.vmax is None or not norm.vmin < norm.vmax:
        return np.array([])
    spaced = np.geomspace if isinstance(norm, LogNorm) else np.linspace
    return spaced(norm.vmin, norm.vmax, count + 2)[1:-1]


def _edge_segments(level, fine_x, fine_y, tolerance):
    """Where the zero set of ``level`` (on the fine grid) runs along the grid's edge: (xs, ys, description)."""
    edges = (
        (fine_x[:, 0], fine_y[:, 0], level[:, 0], "x", fine_x[0, 0]),
        (fine_x[:, -1], fine_y[:, -1], level[:, -1], "x", fine_x[0, -1]),
        (fine_x[0], fine_y[0], level[0], "y", fine_y[0, 0]),
        (fine_x[-1], fine_y[-1], level[-1], "y", fine_y[-1, 0]),
    )
    for xs, ys, gap, axis, value in edges:
        zero = np.abs(gap) <= tolerance
        if zero.sum() >= 2:
            yield np.where(zero, xs, np.nan), np.where(zero, ys, np.nan), axis, value


def _level(gap, x_range, y_range):
    """The fine grid (401 x 401 over the ranges) and the relation's lhs - rhs on it (NaN where undefined)."""
    fine_x, fine_y = np.meshgrid(np.linspace(*x_range, 401), np.linspace(*y_range, 401))
    with np.errstate(divide="ignore", invalid="ignore"):  # a condition may be singular at a corner
        level = np.broadcast_to(np.asarray(gap(fine_x, fine_y), dtype=float), fine_x.shape)
    return fine_x, fine_y, np.where(np.isfinite(level), level, np.nan)


def _crosses(level, tolerance) -> bool:
    """Whether the level changes sign strictly inside the fine grid."""
    interior = level[1:-1, 1:-1]
    return bool(np.isfinite(interior).any() and np.nanmin(interior) < -tolerance and np.nanmax(interior) > tolerance)


def draw_boundary(ax, boundary, x_name: str, y_name: str, x, y) -> str:
    """Draw the curve where each relation of ``boundary`` holds with equality, so that it is always seen: inside
    the grid as a dashed contour; along the grid's edge as a dashed line on the edge (alpha = 1 at the end of an
    alpha axis); just beyond the grid (within a tenth of its range) as a contour in the margin, the axes widened
    along one axis to hold it. Returns the legend text, which says where the boundary lies."""
    import sympy

    relations = boundary.args if isinstance(boundary, sympy.And) else (boundary,)
    symbols = {s.name: s for s in boundary.free_symbols}
    style = {"colors": BOUNDARY_COLOR, "linewidths": 1.8, "linestyles": "--"}
    found = {"inside": False, "beyond": False}
    edges = []
    x_range, y_range = (x.min(), x.max()), (y.min(), y.max())
    margin = [(low - (high - low) / 10, high + (high - low) / 10) for low, high in (x_range, y_range)]
    for relation in relations:
        gap = sympy.lambdify(
            [symbols.get(x_name, sympy.Symbol(x_name)), symbols.get(y_name, sympy.Symbol(y_name))],
            relation.lhs - relation.rhs,
        )
        fine_x, fine_y, level = _level(gap, x_range, y_range)
        if not np.isfinite(level).any():
            continue
        tolerance = 1e-9 * max(1.0, float(np.nanmax(np.abs(level))))
        drawn = False
        if _crosses(level, tolerance):
            ax.contour(fine_x, fine_y, level, levels=[0], **style).set_gid("stability boundary")
            found["inside"] = drawn = True
        for xs, ys, axis, value in _edge_segments(level, fine_x, fine_y, tolerance):
            (line,) = ax.plot(xs, ys, "--", color=BOUNDARY_COLOR, lw=2.4, clip_on=False, zorder=5)
            line.set_gid("stability boundary on the edge")
            edges.append(f"{axis_label(x_name if axis == 'x' else y_name)} = {value:g}")
            drawn = True
        for ranges in ((margin[0], y_range), (x_range, margin[1])) if not drawn else ():
            wide_x, wide_y, wide = _level(gap, *ranges)
            if _crosses(wide, tolerance):
                ax.contour(wide_x, wide_y, wide, levels=[0], **style).set_gid("stability boundary beyond the grid")
                found["beyond"] = True
                break
    text = "stability boundary (theory)"
    if edges:
        text += ",\non the grid's edge: " + ", ".join(dict.fromkeys(edges))
    if found["beyond"]:
        text += ",\njust beyond the grid"
    if not (edges or found["inside"] or found["beyond"]):
        text += ":\noutside the plotted range"
    return text


@styled
def phase_diagram(
    grid,
    quantity: str,
    select=None,
    boundary=None,
    ax=None,
    label: str | None = None,
    *,
    scale: str = "linear",
    vmin=None,
    vmax=None,
    contours=None,
    levels: int = 5,
    title: str | None = None,
):
    """Heatmap of ``grid[quantity]`` over its two axes, its colour scale over every finite value (``scale``
    ``linear`` or ``log``, ``vmin``/``vmax`` to fix its ends; non-finite points grey, and said so).

    ``select`` reduces the per-point value to a scalar (e.g. ``lambda v: v[..., 0, 1]`` for the spread between
    models 1 and 2). ``boundary`` is a sympy relation in symbols named like the axes (e.g. the result of
    ``theory.stability_condition``: ``alpha < 1``); the curve where its two sides are equal is drawn, on the
    grid's edge too, and the legend says where it lies. ``contours``: an array of the grid's shape (the exact
    limit, e.g. beside a Monte Carlo quantity), or True for the drawn values themselves: ``levels`` labelled
    contour lines. The legend sits above the axes, the title (default: none) above the figure.
    """
    (x_name, x), (y_name, y) = grid.axes
    values = grid[quantity] if select is None else select(grid[quantity])
    if values.shape != (len(x), len(y)):
        raise ValueError(f"select must reduce {quantity} to shape {(len(x), len(y))}, got {values.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.6), layout="constrained")
    norm = colour_norm(values, scale, vmin, vmax)
    cmap = plt.get_cmap("viridis").with_extremes(bad=MISSING_COLOR)
    shown = np.ma.masked_where(~np.isfinite(values.T) | ((values.T <= 0) & (scale == "log")), values.T)
    mesh = ax.pcolormesh(x, y, shown, shading="nearest", cmap=cmap, norm=norm)
    finite = values[np.isfinite(values)]
    below = vmin is not None and finite.size and finite.min() < vmin
    above = vmax is not None and finite.size and finite.max() > vmax
    extend = {(True, True): "both", (True, False): "min", (False, True): "max"}.get((bool(below), bool(above)))
    ax.figure.colorbar(mesh, ax=ax, label=label or quantity_label(quantity), extend=extend or "neither")
    entries = []
    missing = [] if np.isfinite(values).all() else ["not finite (no limit)"]
    if scale == "log" and (finite <= 0).any():
        missing.append("<= 0 (off the log scale)")
    if missing:
        entries.append(Patch(facecolor=MISSING_COLOR, label=", ".join(missing)))
    if contours is not None:
        exact = values if contours is True else np.asarray(contours, dtype=float)
        steps = _levels(norm, levels)
        if steps.size and np.isfinite(exact).sum() >= 4:
            lines = ax.contour(x, y, np.ma.masked_invalid(exact.T), levels=steps, colors="white", linewidths=0.7)
            lines.set_gid("exact contours")
            ax.clabel(lines, fontsize=6, fmt="%.3g")
            entries.append(Line2D([], [], color="white", lw=0.7, label="contours of the exact values"))
    if boundary is not None:
        text = draw_boundary(ax, boundary, x_name, y_name, x, y)
        entries.append(Line2D([], [], color=BOUNDARY_COLOR, ls="--", lw=1.8, label=text))
    ax.set(xlabel=axis_label(x_name), ylabel=axis_label(y_name))
    if entries:  # above the axes, on grey so that the white contour sample shows
        ax.legend(handles=entries, loc="lower left", bbox_to_anchor=(0.0, 1.01), borderaxespad=0.2, frameon=True,
                  facecolor="0.55", edgecolor="none", labelcolor="white", framealpha=1)  # fmt: skip
    if title:
        ax.figure.suptitle(title)
    return ax.figure


@styled
def bifurcation_diagram(branch, coordinate: int = 0, ax=None, label: str | None = None):
    """State coordinate ``coordinate`` along a continued branch: solid where stable, dashed where unstable,
    bifurcations marked and named, the names moved apart until no two overlap (measured on the drawn figure)."""
    import sympy

    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.8), layout="constrained")
    x, y, stable = branch.values, branch.states[:, coordinate], branch.stable
    for flag, style in ((True, "-"), (False, "--")):
        ax.plot(x, np.where(stable == flag, y, np.nan), style, color="C0", label="stable" if flag else "unstable")
    texts = []
    for event in branch.bifurcations:
        ax.plot(event.parameter, event.state[coordinate], "o", color="C3")
        texts.append(
            ax.annotate(
                event.kind,
                (event.parameter, event.state[coordinate]),
                textcoords="offset points",
                xytext=(5, 6),
                fontsize=7,
            )
        )
    state = branch.symbols[coordinate]
    ax.set(xlabel=axis_label(str(branch.parameter)), ylabel=label or f"${sympy.latex(state)}$")
    legend_beside(ax)
    separate_labels(ax.figure, texts)
    return ax.figure


def separate_labels(fig, texts, gap: float = 2.0) -> None:
    """Move annotations (offset in points) up, one after the other, until no two overlap in display space."""
    if len(texts) < 2:
        return
    fig.draw_without_rendering()  # an annotation measures as a unit box until the figure has been drawn once
    renderer = fig.canvas.get_renderer()
    placed = []
    for text in texts:
        for _ in range(100):
            box = text.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
            dx, dy = text.xyann
            text.xyann = (dx, dy + box.height * 72 / fig.dpi + gap)
        placed.append(text.get_window_extent(renderer))
