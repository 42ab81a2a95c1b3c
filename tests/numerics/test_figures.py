"""The one figure style (numerics/figure_style.py, numerics/plots.py): math labels, titles from the parameters,
legends clear of the data, the phase diagram's colour scale, boundary and contours, a schedule and a
homogenisation panel, bifurcation labels apart. Figures are built from small hand-made inputs (no simulation)."""

from types import SimpleNamespace

import numpy as np
import pytest
import sympy
from matplotlib.colors import LogNorm

from interplay.numerics import homogenisation_measures as measures
from interplay.numerics.figure_style import FORMATS, axis_label, parameter_title, quantity_label, save
from interplay.numerics.gaussian.figures import theory_vs_monte_carlo
from interplay.numerics.plots import bifurcation_diagram, phase_diagram
from interplay.numerics.sweeps import Grid
from interplay.theory import Ecosystem
from interplay.theory.examples import two_model_gaussian

ALPHA, BETA = sympy.symbols("alpha beta", nonnegative=True)


def _plane(values=None):
    alphas, betas = np.linspace(0, 1, 6), np.linspace(0, 1, 5)
    if values is None:
        values = np.add.outer(alphas**2, betas) + 0.1  # (6, 5), from 0.1 to 2.1
    return Grid((("alpha", alphas), ("beta", betas)), {"spread": values}, {})


def _display_boxes(figure):
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    legends = [legend.get_window_extent(renderer) for legend in figure.legends]
    legends += [ax.get_legend().get_window_extent(renderer) for ax in figure.axes if ax.get_legend() is not None]
    return legends, renderer


def _clear_of_every_axes(figure):
    """Every legend's box in display coordinates misses every axes' plotting area (so it covers no data)."""
    legends, _ = _display_boxes(figure)
    assert legends
    for legend in legends:
        for ax in figure.axes:
            assert not legend.overlaps(ax.get_window_extent()), (legend, ax.get_window_extent())


def test_labels_are_mathtext_never_raw_names():
    assert axis_label("alpha") == r"$\alpha$" and axis_label("beta") == r"$\beta$"
    assert quantity_label("spread") == r"$E\|\theta_1 - \theta_2\|^2$"
    assert quantity_label("mc_spread").startswith(r"$E\|\theta_1 - \theta_2\|^2$") and "Monte Carlo" in (
        quantity_label("mc_spread")
    )
    assert axis_label("mixing[0][1]") == "$W_{12}$"
    assert axis_label("private[1].cov[0][0]").startswith(r"$\Sigma_{2,1,1}$")
    title = parameter_title(two_model_gaussian(alpha=0.5, beta=0.25, n=50, regime="reuse"), seed=3)
    assert title == "Gaussian, K = 2, n = 50, reuse, mle, α = 0.5, β = 0.25, seed = 3"
    assert "α" not in parameter_title(two_model_gaussian(alpha=0.5, beta=0.25, n=50), skip=("alpha",))


def test_phase_diagram_scale_covers_the_data_and_the_edge_boundary_is_drawn_and_said():
    figure = phase_diagram(_plane(), "spread", boundary=ALPHA < 1, contours=True)
    ax = figure.axes[0]
    assert ax.get_xlabel() == r"$\alpha$" and ax.get_ylabel() == r"$\beta$"
    assert figure.axes[1].get_ylabel() == quantity_label("spread")  # the colour bar
    mesh = ax.collections[0]
    assert (mesh.norm.vmin, mesh.norm.vmax) == pytest.approx((0.1, 2.1))  # every value, none clipped
    edge = [line for line in ax.lines if line.get_gid() == "stability boundary on the edge"]
    assert len(edge) == 1 and np.nanmax(np.abs(np.asarray(edge[0].get_xdata()) - 1)) == 0  # alpha = 1
    assert len(np.asarray(edge[0].get_ydata())[np.isfinite(edge[0].get_ydata())]) > 100  # along the whole edge
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("on the grid's edge" in t and r"$\alpha$ = 1" in t for t in texts)
    assert any(c.get_gid() == "exact contours" for c in ax.collections)
    _clear_of_every_axes(figure)


def test_a_boundary_just_beyond_the_grid_is_drawn_in_a_margin():
    """alpha < 1 over alpha in [0, 0.95] (the examples' grids): the line alpha = 1 is drawn, the axes widened."""
    alphas, betas = np.linspace(0, 0.95, 5), np.linspace(0, 1, 4)
    grid = Grid((("alpha", alphas), ("beta", betas)), {"spread": np.add.outer(alphas, betas)}, {})
    figure = phase_diagram(grid, "spread", boundary=ALPHA < 1)
    ax = figure.axes[0]
    (beyond,) = [c for c in ax.collections if c.get_gid() == "stability boundary beyond the grid"]
    vertices = np.concatenate([p.vertices for p in beyond.get_paths()])
    np.testing.assert_allclose(vertices[:, 0], 1, atol=1e-3)
    assert ax.get_xlim()[1] > 1 and ax.get_ylim() == pytest.approx((-1 / 6, 7 / 6))  # beta's range unchanged
    assert "just beyond the grid" in ax.get_legend().get_texts()[0].get_text()
    _clear_of_every_axes(figure)


def test_phase_diagram_options_log_vmin_vmax_and_a_boundary_off_the_grid():
    figure = phase_diagram(_plane(), "spread", scale="log", boundary=ALPHA < 2)
    mesh = figure.axes[0].collections[0]
    assert isinstance(mesh.norm, LogNorm) and (mesh.norm.vmin, mesh.norm.vmax) == pytest.approx((0.1, 2.1))
    assert "outside the plotted range" in figure.axes[0].get_legend().get_texts()[0].get_text()
    figure = phase_diagram(_plane(), "spread", vmin=0.5, vmax=1.0)
    assert (figure.axes[0].collections[0].norm.vmin, figure.axes[0].collections[0].norm.vmax) == (0.5, 1.0)
    values = _plane().values["spread"].copy()
    values[-1] = np.nan  # no limit at alpha = 1
    figure = phase_diagram(_plane(values), "spread")
    assert figure.axes[0].collections[0].norm.vmax == pytest.approx(values[np.isfinite(values)].max())
    assert "not finite" in figure.axes[0].get_legend().get_texts()[0].get_text()
    with pytest.raises(ValueError, match="scale"):
        phase_diagram(_plane(), "spread", scale="cubic")


def _fake_runs(eco, rounds=4, replicates=6, seed=0):
    """Exact and Monte Carlo stand-ins with the attributes the Gaussian figure reads."""
    rng = np.random.default_rng(seed)
    T, K = rounds + 1, eco.K
    mean = rng.normal(size=(T, K, 1))
    exact = SimpleNamespace(
        ecosystem=eco,
        rounds=rounds,
        kind="moments",
        mean=mean,
        fitted_cov=1 + rng.random((T, K, 1, 1)),
    )
    exact.homogenisation = lambda: {"mean_squared_distance": SimpleNamespace(values=measures.mean_over_pairs(
        measures.squared_distance(mean)))}  # fmt: skip
    mc = SimpleNamespace(means=rng.normal(size=(replicates, T, K, 1)), covs=1 + rng.random((replicates, T, K, 1, 1)))
    return exact, mc


def test_trajectory_figure_has_a_spread_panel_a_schedule_panel_and_a_legend_off_the_data():
    alphas = (0.2, 0.8, 0.4, 0.6)
    eco = two_model_gaussian(alpha=alphas, beta=0.5, n=20)
    figure = theory_vs_monte_carlo(*_fake_runs(eco))
    titles = [ax.get_title() for ax in figure.axes]
    assert titles[2:] == ["homogenisation", "schedule"]
    spread, schedule = figure.axes[2], figure.axes[3]
    assert spread.get_ylabel() == r"$E\|m_1 - m_2\|^2$"
    exact, mc = _fake_runs(eco)
    np.testing.assert_array_equal(spread.lines[0].get_ydata(), np.sum((exact.mean[:, 0] - exact.mean[:, 1]) ** 2, -1))
    np.testing.assert_allclose(schedule.lines[0].get_ydata(), (0,) + alphas)  # alpha_0 = 0: the initial fit
    np.testing.assert_allclose(schedule.lines[1].get_ydata(), [0.5] * 5)
    assert all("$" in ax.get_ylabel() for ax in figure.axes)
    assert all(ax.get_xlabel() == "round $t$" for ax in figure.axes)
    assert figure._suptitle.get_text().startswith("Gaussian, K = 2, n = 20, reuse, mle, α scheduled, β = 0.5")
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert len(labels) == len(set(labels))  # each entry once
    _clear_of_every_axes(figure)
    constant = theory_vs_monte_carlo(*_fake_runs(two_model_gaussian(alpha=0.5, beta=0.5, n=20)))
    assert [ax.get_title() for ax in constant.axes][2:] == ["homogenisation"]  # no schedule when constant
    alone = Ecosystem.gaussian(means=[[1.0]], public_mean=[0.0], alpha=0.5, beta=0.5, n=20)
    assert len(theory_vs_monte_carlo(*_fake_runs(alone)).axes) == 2  # one model: no pair to measure


def test_the_homogenisation_panel_of_many_models_shows_the_mean_over_pairs():
    """K = 3: the exact line is the mean of E||m_k - m_l||^2 over the three pairs, the band that of each replicate's
    mean over pairs (its 10-90% band's edges)."""
    eco = Ecosystem.gaussian(means=[[0.0], [1.0], [3.0]], public_mean=[0.0], alpha=0.5, beta=0.5, n=20)
    exact, mc = _fake_runs(eco, replicates=7)
    spread = theory_vs_monte_carlo(exact, mc).axes[2]
    assert spread.get_ylabel() == r"$E\|m_k - m_l\|^2$, mean"
    pairs = [(0, 1), (0, 2), (1, 2)]
    by_pairs = np.mean([np.sum((exact.mean[:, k] - exact.mean[:, l]) ** 2, -1) for k, l in pairs], 0)
    np.testing.assert_allclose(spread.lines[0].get_ydata(), by_pairs, rtol=1e-12)
    per_replicate = np.mean([np.sum((mc.means[:, :, k] - mc.means[:, :, l]) ** 2, -1) for k, l in pairs], 0)
    edges = spread.collections[0].get_paths()[0].vertices[:, 1]
    assert all(np.isclose(edges, v, rtol=1e-12).any() for v in np.quantile(per_replicate, [0.1, 0.9], 0).ravel())


def test_bifurcation_labels_never_overlap():
    """Two bifurcations at the same point (as the swap map's branch point and period doubling at alpha = 1):
    their names are moved apart until their boxes are disjoint."""
    x = sympy.Symbol("x")
    events = [SimpleNamespace(kind=kind, parameter=1.0, state=np.array([1.5])) for kind in ("branch point", "fold")]
    events.append(SimpleNamespace(kind="period doubling", parameter=1.001, state=np.array([1.5])))
    branch = SimpleNamespace(  # states outside matplotlib's default view (0, 1), as the swap map's variance 1.5
        values=np.linspace(0, 2, 21),
        states=np.linspace(1, 2, 21)[:, None],
        stable=np.linspace(0, 2, 21) < 1,
        bifurcations=events,
        parameter=ALPHA,
        fmap=SimpleNamespace(state=[x]),
        symbols=[x],
    )
    figure = bifurcation_diagram(branch)
    ax = figure.axes[0]
    assert ax.get_xlabel() == r"$\alpha$" and ax.get_ylabel() == "$x$"
    _, renderer = _display_boxes(figure)
    boxes = [t.get_window_extent(renderer) for t in ax.texts]
    assert len(boxes) == 3
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert all(figure.bbox.contains(box.x1, box.y1) for box in boxes)  # moved apart, not off the figure
    _clear_of_every_axes(figure)


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("pdf", b"%PDF"), ("svg", b"<svg")])
def test_save_writes_the_format_asked_for(tmp_path, fmt, magic):
    path = tmp_path / f"plane.{fmt}"
    save(phase_diagram(_plane(), "spread"), path, fmt)
    assert magic in path.read_bytes()[:400] and fmt in FORMATS
    with pytest.raises(ValueError, match="format"):
        save(phase_diagram(_plane(), "spread"), tmp_path / "plane.jpg", "jpg")


def test_the_style_restores_only_its_own_settings():
    """What a figure function sets outside STYLE survives it (matplotlib.rc_context would restore every setting,
    the backend's among them, which stopped a notebook's later inline figures from showing)."""
    import matplotlib

    from interplay.numerics.figure_style import STYLE, style

    before = matplotlib.rcParams["font.size"], matplotlib.rcParams["lines.markersize"]
    with style():
        assert matplotlib.rcParams["font.size"] == STYLE["font.size"]
        matplotlib.rcParams["lines.markersize"] = before[1] + 1  # as switching the backend does
    assert matplotlib.rcParams["font.size"] == before[0] and matplotlib.rcParams["lines.markersize"] == before[1] + 1
    matplotlib.rcParams["lines.markersize"] = before[1]


def test_a_per_model_alpha_is_titled_with_its_values():
    """Not 'α scheduled': a per-model alpha is one value per model, the same in every round."""
    eco = two_model_gaussian(alpha={"per_model": [1, 0.5]}, beta=0.5, n=20)
    assert "reuse, mle, α = (1, 0.5) per model, β = 0.5" in parameter_title(eco)
