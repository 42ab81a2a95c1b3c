"""Sweeps: values equal the iterated recursion point by point; grids round-trip; chunks resume; shards agree."""

import json

import numpy as np
import pytest
import sympy
from host_devices import run_on_four_host_devices
from sweep_chunks import count_chunks, interrupt_after

import interplay.numerics as numerics
from interplay.numerics.sweeps import Grid, sweep
from interplay.theory import SpecError, population_map, spectral_radius
from interplay.theory.examples import two_model_gaussian
from interplay.theory.graphs import graph_mixing

ALPHAS = np.linspace(0, 1, 6)
BETAS = np.array([0.0, 0.3, 1.0])


def test_sweep_values_equal_the_iterated_recursion():
    eco = two_model_gaussian(n=20, estimator="unbiased", regime="reuse")
    grid = sweep(
        eco, {"alpha": ALPHAS, "beta": BETAS}, ["spread", "task_error", "mean", "fitted_cov"], rounds=40, progress=False
    )
    assert grid.shape == (6, 3) and grid["task_error"].shape == (6, 3, 2, 3)
    for i, a in enumerate(ALPHAS):
        for j, b in enumerate(BETAS):
            exact = numerics.iterate_moments(eco.with_options(alpha=a, beta=b), 40)
            assert grid["spread"][i, j, 0, 1] == pytest.approx(exact.squared_distance(0, 1)[-1], rel=1e-12, abs=1e-14)
            np.testing.assert_allclose(grid["mean"][i, j], exact.mean[-1], rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(grid["fitted_cov"][i, j], exact.fitted_cov[-1], rtol=1e-12)
            task_mean = np.array([-1.0, 1.0, 0.0])
            variance = exact.mean_cov[-1, 0, 0, 0, 0]
            assert grid["task_error"][i, j, 0, 2] == pytest.approx(
                (exact.mean[-1, 0, 0] - task_mean[2]) ** 2 + variance, rel=1e-12
            )


def test_sweep_over_n():
    eco = two_model_gaussian(alpha=0.5, beta=0.5, n=10)
    grid = sweep(eco, {"n": [5, 10, 40]}, ["spread"], rounds=30, progress=False)
    for i, n in enumerate([5, 10, 40]):
        exact = numerics.iterate_moments(eco.with_options(n=n), 30)
        assert grid["spread"][i, 0, 1] == pytest.approx(exact.squared_distance(0, 1)[-1], rel=1e-12)


def test_spectral_radius_and_convergence_time_of_the_population_map():
    """Population map: the multipliers are alpha * eig(W) = {alpha, 0}, as theory derives; the largest change
    falls below the tolerance at the round the iterated trajectory says."""
    eco = two_model_gaussian(n=None)
    grid = sweep(
        eco,
        {"alpha": [0.2, 0.5, 0.9]},
        ["spectral_radius", "converged_at"],
        rounds=400,
        population=True,
        tolerance=1e-10,
        progress=False,
    )
    for i, a in enumerate([0.2, 0.5, 0.9]):
        theory_rho = spectral_radius(population_map(eco.with_options(alpha=sympy.nsimplify(a))))
        assert grid["spectral_radius"][i] == pytest.approx(float(theory_rho), abs=1e-12)
        path = numerics.iterate_population(eco.with_options(alpha=a), 400)
        change = np.maximum(
            np.abs(np.diff(path.mean, axis=0)).max(axis=(1, 2)),
            np.abs(np.diff(path.fitted_cov, axis=0)).max(axis=(1, 2, 3)),
        )
        assert grid["converged_at"][i] == 1 + np.argmax(change < 1e-10)


def test_grid_saves_and_loads_without_loss(tmp_path):
    grid = sweep(
        two_model_gaussian(n=15), {"alpha": ALPHAS, "beta": BETAS}, ["spread", "mean"], rounds=10, progress=False
    )
    grid.save(tmp_path / "g.npz")
    loaded = Grid.load(tmp_path / "g.npz")
    assert [name for name, _ in loaded.axes] == ["alpha", "beta"]
    np.testing.assert_array_equal(loaded.axis("alpha"), ALPHAS)
    for q in ("spread", "mean"):
        np.testing.assert_array_equal(loaded[q], grid[q])
    assert loaded.spec == grid.spec and loaded.spec["n"] == 15 and loaded.settings["rounds"] == 10
    assert [p.name for p in tmp_path.iterdir()] == ["g.npz"]  # no temporary left behind


def test_interrupted_sweep_resumes_from_saved_chunks(tmp_path, monkeypatch):
    eco = two_model_gaussian(n=15)
    axes = {"alpha": ALPHAS, "beta": BETAS}  # 18 points, chunks of 4 -> 5 chunks
    reference = sweep(eco, axes, ["spread"], rounds=10, chunk_size=4, progress=False)
    interrupt_after(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        sweep(eco, axes, ["spread"], rounds=10, chunk_size=4, checkpoint=tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.glob("chunk-*")) == ["chunk-000000.npz", "chunk-000001.npz"]

    counted = count_chunks(monkeypatch)
    resumed = sweep(eco, axes, ["spread"], rounds=10, chunk_size=4, checkpoint=tmp_path, progress=False)
    assert len(counted) == 3  # only the three missing chunks are computed
    np.testing.assert_array_equal(resumed["spread"], reference["spread"])

    with pytest.raises(SpecError, match="checkpoint"):
        sweep(eco, axes, ["spread"], rounds=11, chunk_size=4, checkpoint=tmp_path, progress=False)


def test_sharded_sweep_equals_the_single_device_sweep(tmp_path):
    """Four forced host devices (a fresh process: the flag must precede jax's start) give the same grid."""
    eco = two_model_gaussian(n=15)
    axes = {"alpha": np.linspace(0, 1, 7), "beta": np.linspace(0, 1, 5)}
    single = sweep(eco, axes, ["spread", "task_error"], rounds=25, chunk_size=16, progress=False)
    run_on_four_host_devices(
        "import numpy as np; from interplay.numerics.sweeps import sweep; "
        "from interplay.theory.examples import two_model_gaussian as g; "
        "r = sweep(g(n=15), {'alpha': np.linspace(0, 1, 7), 'beta': np.linspace(0, 1, 5)}, ['spread', 'task_error'], "
        f"rounds=25, chunk_size=16, progress=False); r.save({str(tmp_path / 'sharded.npz')!r})"
    )
    sharded = Grid.load(tmp_path / "sharded.npz")
    for q in ("spread", "task_error"):
        np.testing.assert_allclose(sharded[q], single[q], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    ("axes", "options", "parameter"),
    [
        ({"gamma": [0.1]}, {}, "axes.gamma"),
        ({"alpha": [0.1], "beta": [0.1], "n": [5], "alpha2": [1]}, {}, "axes"),
        ({"alpha": [0.5, 1.5]}, {}, "axes.alpha"),
        ({"beta": []}, {}, "axes.beta"),
        ({"n": [2.5]}, {}, "axes.n"),
        ({"alpha": [0.5]}, {"quantities": ["nonsense"]}, "quantities"),
        ({"alpha": [0.5]}, {"chunk_size": 0}, "chunk_size"),
        ({"alpha": [0.5]}, {"rounds": 0}, "rounds"),
    ],
)
def test_bad_sweeps_name_the_parameter(axes, options, parameter):
    with pytest.raises(SpecError) as error:
        sweep(two_model_gaussian(n=10), axes, **({"progress": False} | options))
    assert error.value.parameter == parameter


def test_cannot_sweep_n_in_the_population_limit_or_a_scheduled_alpha():
    with pytest.raises(SpecError, match="axes.n"):
        sweep(two_model_gaussian(n=None), {"n": [5]}, progress=False)
    with pytest.raises(SpecError, match="axes.alpha"):
        sweep(two_model_gaussian(alpha=[0.1, 0.2], n=10), {"alpha": [0.5]}, rounds=2, progress=False)


def test_grid_metadata_is_plain_json(tmp_path):
    grid = sweep(two_model_gaussian(n=10), {"beta": BETAS}, ["spread"], rounds=3, progress=False)
    grid.save(tmp_path / "g.npz")
    with np.load(tmp_path / "g.npz") as data:
        meta = json.loads(bytes(data["meta"]).decode())
    assert meta["axes"] == ["beta"] and meta["spec"]["family"] == {"name": "gaussian", "dim": 1}


def test_phase_diagram_draws_the_grid_and_the_theory_boundary():
    import matplotlib

    from interplay.numerics.plots import phase_diagram

    grid = sweep(
        two_model_gaussian(n=None),
        {"alpha": np.linspace(0, 1, 11), "beta": np.linspace(0, 1, 6)},
        ["spread"],
        rounds=50,
        progress=False,
    )
    a, b = sympy.symbols("alpha beta", nonnegative=True)
    figure = phase_diagram(grid, "spread", select=lambda v: v[..., 0, 1], boundary=sympy.And(a + b / 2 < 1, a < 2))
    ax = figure.axes[0]
    mesh = [c for c in ax.collections if isinstance(c, matplotlib.collections.QuadMesh)][0]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(6, 11), grid["spread"][..., 0, 1].T)
    vertices = np.concatenate([p.vertices for c in ax.collections[1:] for p in c.get_paths()])
    np.testing.assert_allclose(vertices[:, 0] + vertices[:, 1] / 2, 1, atol=1e-3)  # only a + b/2 = 1 is in view
    with pytest.raises(ValueError, match="select"):
        phase_diagram(grid, "spread")


def test_monte_carlo_quantities_over_a_grid():
    """mc_* values at a point equal numerics.simulate with the same seed (common random numbers), and agree with
    the exact sweep within 4 standard errors at every point (SE from the replicates; 2 x 3 x 3 comparisons)."""
    eco = two_model_gaussian(n=20, estimator="unbiased", regime="fresh")
    axes = {"alpha": [0.2, 0.8], "beta": [0.0, 0.5, 1.0]}
    grid = sweep(
        eco, axes, ["mc_spread", "mc_mean", "spread", "mean"], rounds=12, replicates=3000, seed=9, progress=False
    )
    assert grid.settings["replicates"] == 3000 and grid.settings["seed"] == 9
    mc = numerics.simulate(eco.with_options(alpha=0.8, beta=0.5), 12, key=9, replicates=3000)
    final = mc.means[:, -1]
    np.testing.assert_allclose(grid["mc_mean"][1, 1], final.mean(0), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(
        grid["mc_spread"][1, 1, 0, 1], ((final[:, 0] - final[:, 1]) ** 2).sum(-1).mean(), rtol=1e-10
    )
    for q in ("spread", "mean"):
        gap = np.abs(grid[f"mc_{q}"] - grid[q])
        se = grid[f"mc_{q}_se"]
        assert np.all((gap < 4 * se) | ((se == 0) & (gap < 1e-12))), f"{q}: {np.max(gap / np.where(se > 0, se, 1))}"


def test_monte_carlo_sweeps_reject_what_they_cannot_do():
    with pytest.raises(SpecError, match="quantities"):
        sweep(two_model_gaussian(n=None), {"alpha": [0.5]}, ["mc_spread"], progress=False)
    with pytest.raises(SpecError, match="axes.n"):
        sweep(two_model_gaussian(n=10), {"n": [5, 10]}, ["mc_spread"], progress=False)
    with pytest.raises(SpecError, match="replicates"):
        sweep(two_model_gaussian(n=10), {"alpha": [0.5]}, ["mc_spread"], replicates=1, progress=False)


def test_mean_spread_is_the_homogenisation_of_every_pair_also_on_a_k_axis_of_a_graph():
    """mean_spread is the mean over the pairs k != l of spread, as numerics.homogenisation_measures computes it
    from the exact trajectory at the point; mc_mean_spread is the replicates' mean of each replicate's mean over
    pairs (same seed as simulate: W without zeros, whose K^2 pairs are the edges simulate draws), its standard error
    that of those per-replicate means. On a K axis of star graphs (not exchangeable: no model stands for the others)
    it is reported whole at each K. One model has no pairs."""
    from interplay.theory.poisson.maps import poisson_ecosystem

    W = [[0.5, 0.4, 0.1], [0.1, 0.2, 0.7], [0.5, 0.1, 0.4]]
    eco = poisson_ecosystem([1, 3, 8], 4, alpha=0.6, beta=0.5, n=12, mixing=W, regime="fresh")
    quantities = ["mean_spread", "mc_mean_spread", "mc_spread"]
    grid = sweep(eco, {"alpha": [0.3, 0.6]}, quantities, rounds=6, replicates=400, seed=9, progress=False)
    assert set(grid.values) == {"mean_spread", "mc_mean_spread", "mc_mean_spread_se", "mc_spread", "mc_spread_se"}
    at = eco.with_options(alpha=0.6)
    exact = numerics.iterate_moments(at, 6).homogenisation()["mean_squared_distance"].values[-1]
    assert grid["mean_spread"][1] == pytest.approx(exact, rel=1e-12)
    per_replicate = numerics.simulate(at, 6, key=9, replicates=400).homogenisation()["mean_squared_distance"]
    per_replicate = per_replicate.values[:, -1]
    assert grid["mc_mean_spread"][1] == pytest.approx(per_replicate.mean(), rel=1e-12)
    assert grid["mc_mean_spread_se"][1] == pytest.approx(per_replicate.std(ddof=1) / np.sqrt(400), rel=1e-10)
    off_diagonal = grid["mc_spread"][1][~np.eye(3, dtype=bool)]
    assert grid["mc_mean_spread"][1] == pytest.approx(off_diagonal.mean(), rel=1e-12)

    same = poisson_ecosystem([2, 2], 4, alpha=0.6, beta=0.5, n=12, regime="fresh")
    stars = sweep(same, {"K": [2, 4]}, ["mean_spread"], rounds=6, progress=False, mixing={"graph": "star"})
    for j, K in enumerate([2, 4]):
        star = same.with_options(private=same.private[:1] * K, mixing=graph_mixing("star", K))
        whole = numerics.iterate_moments(star, 6).homogenisation()["mean_squared_distance"].values[-1]
        assert stars["mean_spread"][j] == pytest.approx(whole, rel=1e-12)
    # a family whose exact quantities are limits computed on the host (linear-Gaussian): the same mean over pairs
    from interplay.theory.linear import linear_ecosystem

    linear = linear_ecosystem([1.0, -0.5], [np.eye(2), np.diag([2.0, 0.5]), np.eye(2)], np.eye(2), alpha=0.5, n=8,
                              private_sizes=[6, 6, 6], public_size=6, mixing=W, regime="fresh")  # fmt: skip
    limits = sweep(linear, {"beta": [0.3, 0.7]}, ["spread", "mean_spread"], progress=False)
    np.testing.assert_allclose(limits["mean_spread"], [s[~np.eye(3, dtype=bool)].mean() for s in limits["spread"]])
    with pytest.raises(SpecError, match="compare models: K = 1"):
        sweep(poisson_ecosystem([2], 4, n=12), {"alpha": [0.5]}, ["mean_spread"], rounds=2, progress=False)
