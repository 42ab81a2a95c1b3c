"""Sweeps beyond the Gaussian family and the vmapped axes: categorical and linear Monte Carlo quantities (equal to
the families' simulate with the same seed, within 4 standard errors of the exact values), K and temperature axes
(equal to the ecosystem built by hand at each value), their checkpoints and their saved grids."""

import dataclasses

import jax
import numpy as np
import pytest
from host_devices import run_on_four_host_devices
from paths import EXAMPLES
from sweep_chunks import count_chunks, interrupt_after

import interplay.numerics as numerics
import interplay.numerics.categorical as nc
import interplay.numerics.linear as nl
from interplay.numerics.cli.config import load
from interplay.numerics.sweeps import Grid, sweep
from interplay.theory import Ecosystem, SpecError, graph_mixing
from interplay.theory.categorical.maps import Categorical, categorical_ecosystem
from interplay.theory.examples import two_model_gaussian

R = 2000  # replicates: SEs of a few percent of the values, a few seconds per sweep


def within_four_se(mc, se, exact):
    """|mc - exact| < 4 SE everywhere (SE 0: a degenerate quantity, then equality to round-off)."""
    gap = np.abs(np.asarray(mc) - np.asarray(exact))
    return np.all((gap < 4 * se) | ((se == 0) & (gap < 1e-12)))


def exchangeable_gaussian(K, **options):
    """K 1-d Gaussian models, each with private data N(-1, 1), public data N(0, 2): built by hand."""
    return Ecosystem.gaussian(
        means=[[-1]] * K, public_mean=[0], covs=[[[1]]] * K, public_cov=[[2]], **({"n": 20} | options)
    )


def sweep_simulation(eco, rounds, seed, replicates):
    """The final fits (R, K, m) of the categorical simulation a sweep runs: simulate's keys, arrays sized for any
    alpha and beta (so the same law as ``nc.simulate``, not the same draws where the spec's sizes are smaller)."""
    run, alphas, betas, sizes = nc.compiled_simulation(eco, rounds, trajectory=False, any_schedule=True)
    return np.asarray(run(jax.random.split(jax.random.PRNGKey(seed), replicates), alphas, betas, sizes))[:, -1]


def pitchfork(alpha=0.6):
    """One categorical model (m = 2) on nearly symmetric real data and a share alpha of its own outputs."""
    return categorical_ecosystem([[0.501, 0.499]], [0.5, 0.5], alpha=alpha, beta=1, mixing=[[1]], n=30)


# -- Monte Carlo quantities of the categorical and linear families ---------------------------------------------


def test_categorical_monte_carlo_sweep_is_simulate_with_the_same_seed():
    """A point's mc_* are the final-round averages of numerics.categorical.monte_carlo.simulate with the
    sweep's seed, the
    _se are std / sqrt(R) of the same draws, and both agree with the exact moment recursion within 4 SE. beta is
    swept away from the spec's 0.8, which must reach the initial fit (beta_1 = the swept beta)."""
    eco = categorical_ecosystem([[0.6, 0.3, 0.1], [0.1, 0.3, 0.6]], [0.2, 0.6, 0.2], alpha=0.5, beta=0.8, n=20)
    quantities = ["mc_mean", "mc_diversity", "mc_spread", "mc_support", "diversity"]
    grid = sweep(eco, {"alpha": [0.3, 0.8], "beta": [0.5]}, quantities, rounds=5, replicates=R, seed=7, progress=False)
    assert grid["mc_mean"].shape == (2, 1, 2, 3) and grid["mc_spread_se"].shape == (2, 1, 2, 2)
    assert (
        grid.settings["replicates"] == R and grid.settings["seed"] == 7 and grid.settings["exact"] == "moment recursion"
    )
    at = eco.with_options(alpha=0.8, beta=0.5)
    probs = sweep_simulation(at, 5, seed=7, replicates=R)
    draws = {
        "mc_mean": probs,
        "mc_diversity": 1 - (probs**2).sum(-1),
        "mc_spread": ((probs[:, :, None] - probs[:, None]) ** 2).sum(-1),
        "mc_support": (probs > 0).sum(-1),
    }
    for q, x in draws.items():
        np.testing.assert_allclose(grid[q][1, 0], x.mean(0), rtol=1e-12, atol=1e-15, err_msg=q)
        np.testing.assert_allclose(grid[f"{q}_se"][1, 0], x.std(0, ddof=1) / np.sqrt(R), rtol=1e-10, err_msg=q)
    assert 0 < grid["mc_support"][1, 0, 0] < 3  # some replicates have lost a category for good
    exact = nc.iterate_moments(at, 5)
    np.testing.assert_allclose(grid["diversity"][1, 0], exact.diversity()[-1], rtol=1e-12)
    assert within_four_se(grid["mc_mean"][1, 0], grid["mc_mean_se"][1, 0], exact.mean[-1])
    assert within_four_se(grid["mc_diversity"][1, 0], grid["mc_diversity_se"][1, 0], exact.diversity()[-1])
    spread = exact.squared_distance(0, 1)[-1]
    assert within_four_se(grid["mc_spread"][1, 0, 0, 1], grid["mc_spread_se"][1, 0, 0, 1], spread)


def test_linear_monte_carlo_sweep_is_simulate_linear_with_the_same_seed():
    """mc_error = E||theta_k - theta*||^2 and mc_spread after 6 rounds: equal to simulate_linear with the same
    seed, within 4 SE of the exact recursion (iterate_linear) at that round; the limit laws alongside."""
    eco = load(EXAMPLES / "linear.toml").ecosystem
    axes = {"alpha": [0.3, 0.7], "beta": [0.2]}
    grid = sweep(eco, axes, ["mc_error", "mc_spread", "error"], rounds=6, replicates=R, seed=1, progress=False)
    assert grid["mc_error"].shape == (2, 1, 2) and grid["error"].shape == (2, 1, 2)
    assert grid.settings["limit"] and grid.settings["rounds"] == 6 and grid.settings["seed"] == 1
    mc = nl.simulate_linear(eco.with_options(alpha=0.7, beta=0.2), 6, key=1, replicates=R)
    error = mc.task_error()[:, -1]
    np.testing.assert_allclose(grid["mc_error"][1, 0], error.mean(0), rtol=1e-12)
    np.testing.assert_allclose(grid["mc_error_se"][1, 0], error.std(0, ddof=1) / np.sqrt(R), rtol=1e-10)
    at = eco.with_options(alpha=0.7, beta=0.2)
    exact = nl.iterate_linear(at, 6)
    assert within_four_se(grid["mc_error"][1, 0], grid["mc_error_se"][1, 0], exact.task_error()[-1])
    spread = exact.squared_distance(0, 1)[-1]
    assert within_four_se(grid["mc_spread"][1, 0, 0, 1], grid["mc_spread_se"][1, 0, 0, 1], spread)
    np.testing.assert_allclose(grid["error"][1, 0], nl.long_run_linear(at).task_error(), rtol=1e-12)


# -- the K axis ------------------------------------------------------------------------------------------------


def test_k_axis_equals_the_k_model_ecosystem_built_by_hand():
    """At each K the reduced values are model 1's (models 1-2 for spread) of the exact recursion of K models;
    the K axis may come after a vmapped one. W is J/K, or built at each K by a graph generator (a star: not
    exchangeable, model 1 is its center), given by name or as a callable K -> W (the same compiled recursions:
    W's values are inputs)."""
    Ks = [2, 3, 5]
    star = {"graph": "star"}
    for mixing in (None, star, lambda K: graph_mixing("star", K)):
        grid = sweep(
            exchangeable_gaussian(2),
            {"alpha": [0.2, 0.7], "K": Ks},
            ["spread", "mean", "task_error", "spectral_radius"],
            rounds=20,
            progress=False,
            mixing=mixing,
        )
        assert grid.shape == (2, 3) and grid["spread"].shape == (2, 3) and grid["task_error"].shape == (2, 3, 2)
        assert grid.axis("K").dtype.kind == "i"
        recorded = mixing if not callable(mixing) else f"callable {mixing.__qualname__}"
        assert grid.settings.get("mixing") == recorded
        for j, K in enumerate(Ks):  # at alpha = 0.7 (one compiled recursion per K)
            exact = numerics.iterate_moments(exchangeable_gaussian(K, alpha=0.7, mixing=mixing and star), 20)
            assert grid["spread"][1, j] == pytest.approx(exact.squared_distance(0, 1)[-1], rel=1e-12)
            np.testing.assert_allclose(grid["mean"][1, j], exact.mean[-1, 0], rtol=1e-12)
            own = (exact.mean[-1, 0, 0] + 1) ** 2 + exact.mean_cov[-1, 0, 0, 0, 0]
            public = exact.mean[-1, 0, 0] ** 2 + exact.mean_cov[-1, 0, 0, 0, 0]
            np.testing.assert_allclose(grid["task_error"][1, j], [own, public], rtol=1e-12)
        if mixing is None:
            exchangeable = grid["spread"]
    assert not np.allclose(grid["spread"][:, 1:], exchangeable[:, 1:], rtol=1e-3)  # the star is not J/K (K >= 3)


@pytest.mark.parametrize(
    ("axes", "mixing", "parameter", "words"),
    [
        ({"alpha": [0.5]}, {"graph": "ring"}, "mixing", "has none"),
        ({"K": [3]}, [[1, 0], [0, 1]], "mixing", "graph generator"),
        ({"K": [5, 4]}, {"graph": "k_nearest", "degree": 4}, "mixing.degree", "K = 4 on the K axis"),
        ({"K": [3]}, {"graph": "wheel"}, "mixing.graph", "unknown graph"),
        ({"K": [3]}, lambda K: np.zeros((K, K)), "mixing", "all zeros"),
    ],
)
def test_k_axis_graph_generators_refuse_what_is_undefined(axes, mixing, parameter, words):
    with pytest.raises(SpecError) as error:
        sweep(exchangeable_gaussian(2), axes, ["spread"], rounds=2, progress=False, mixing=mixing)
    assert error.value.parameter == parameter and words in str(error.value)


def test_k_axis_extends_self_consumption_as_the_identity():
    """W = I extends to I_K: each model sees only its own outputs and the shared real data, so the spread between
    two of them does not depend on K (under J/K it would)."""
    grid = sweep(exchangeable_gaussian(2, mixing=np.eye(2)), {"K": [2, 4]}, ["spread"], rounds=15, progress=False)
    assert grid["spread"][0] > 0.01 and grid["spread"][0] == pytest.approx(grid["spread"][1], rel=1e-12)


def test_k_axis_of_categorical_monte_carlo_equals_simulate_on_k_models_built_by_hand():
    eco = categorical_ecosystem([[0.5, 0.3, 0.2]] * 2, [0.2, 0.3, 0.5], alpha=0.6, beta=0.5, n=15)
    grid = sweep(eco, {"K": [3]}, ["mc_spread", "mc_support"], rounds=4, replicates=300, seed=2, progress=False)
    three = categorical_ecosystem([[0.5, 0.3, 0.2]] * 3, [0.2, 0.3, 0.5], alpha=0.6, beta=0.5, n=15)
    probs = sweep_simulation(three, 4, seed=2, replicates=300)
    assert grid["mc_spread"][0] == pytest.approx(((probs[:, 0] - probs[:, 1]) ** 2).sum(-1).mean(), rel=1e-12)
    assert grid["mc_support"][0] == pytest.approx((probs[:, 0] > 0).sum(-1).mean(), rel=1e-12)


@pytest.mark.parametrize(
    ("eco", "axes", "quantities", "parameter"),
    [
        (two_model_gaussian(n=10), {"K": [2, 3]}, ["spread"], "axes.K"),  # private means -1 and +1 differ
        (exchangeable_gaussian(2, mixing=[[0.7, 0.3], [0.3, 0.7]]), {"K": [2, 3]}, ["spread"], "axes.K"),
        (exchangeable_gaussian(2), {"K": [1, 2]}, ["spread"], "axes.K"),  # no model 2 at K = 1
        (exchangeable_gaussian(2), {"K": [2.5]}, ["mean"], "axes.K"),
        (exchangeable_gaussian(2), {"K": [2, 3]}, ["mean_cov"], "quantities"),
        (two_model_gaussian(n=10), {"temperature": [0.5]}, ["spread"], "axes.temperature"),
        (pitchfork(), {"temperature": [0.0, 1.0]}, ["mean"], "axes.temperature"),
    ],
)
def test_structural_axes_refuse_what_is_undefined(eco, axes, quantities, parameter):
    with pytest.raises(SpecError) as error:
        sweep(eco, axes, quantities, rounds=2, progress=False)
    assert error.value.parameter == parameter


def test_k_axis_needs_one_common_synthetic_design():
    from interplay.theory.linear.maps import Design

    eco = load(EXAMPLES / "linear.toml").ecosystem
    private = (eco.private[0], eco.private[0])
    two = [Design(np.eye(4), None, "a"), Design(np.diag([1.0, 1.0, 1.0, 2.0]), None, "b")]
    for synthetic, ok in ((eco.family.synthetic[0], True), (two, False)):
        spec = eco.with_options(private=private, family=dataclasses.replace(eco.family, synthetic=synthetic))
        if ok:
            grid = sweep(spec, {"K": [2, 4]}, ["error"], progress=False)
            assert grid["error"].shape == (2,) and np.all(np.isfinite(grid["error"]))
        else:
            with pytest.raises(SpecError, match="axes.K"):
                sweep(spec, {"K": [2, 4]}, ["error"], progress=False)


# -- the temperature axis --------------------------------------------------------------------------------------


def test_temperature_sweep_shows_the_pitchfork_at_tau_equal_alpha():
    """p' = (1 - alpha) q + alpha pi_tau(p) with q ~ (1/2, 1/2): the symmetric fixed point has multiplier alpha / tau
    (tests/test_continuation.py), so the long-run p stays within O(0.001 / (1 - alpha/tau)) of 1/2 for tau > alpha
    and jumps to an asymmetric branch (|p - 1/2| > 0.15) below. Values are the population map at every tau, tau = 1
    included (equal to iterate_population of the spec at that temperature)."""
    alphas, taus = np.array([0.5, 0.8]), np.array([0.3, 0.4, 0.6, 0.7, 0.95, 1.0, 1.2])
    grid = sweep(
        pitchfork(), {"alpha": alphas, "temperature": taus}, ["mean", "diversity"], rounds=3000, progress=False
    )
    assert grid.settings["exact"] == "population map" and grid["mean"].shape == (2, 7, 1, 2)
    offset = np.abs(grid["mean"][:, :, 0, 0] - 0.5)
    below = taus[None] < alphas[:, None]
    assert np.all(offset[below] > 0.15) and np.all(offset[~below] < 0.01), offset
    for i, a in enumerate(alphas):
        for j in (1, 5):
            at = pitchfork(a).with_options(family=Categorical(2, temperature=float(taus[j])))
            np.testing.assert_allclose(grid["mean"][i, j], nc.iterate_population(at, 3000).mean[-1], rtol=1e-12)
            np.testing.assert_allclose(grid["diversity"][i, j], 2 * grid["mean"][i, j, 0, 0] * grid["mean"][i, j, 0, 1])


def test_temperature_monte_carlo_samples_at_that_temperature():
    """mc_diversity at tau = 0.5 is simulate of the spec at tau = 0.5 (same seed), not at the spec's tau = 1:
    sharpening collapses the model (diversity near 0.1, against about 0.5 at tau = 1)."""
    eco = pitchfork(0.9)
    grid = sweep(eco, {"temperature": [0.5]}, ["mc_diversity"], rounds=8, replicates=300, seed=4, progress=False)
    probs = nc.simulate(eco.with_options(family=Categorical(2, temperature=0.5)), 8, key=4, replicates=300).probs
    assert grid["mc_diversity"][0, 0] == pytest.approx((1 - (probs[:, -1] ** 2).sum(-1)).mean(), rel=1e-12)
    assert grid["mc_diversity"][0, 0] + 4 * grid["mc_diversity_se"][0, 0] < 0.4


# -- saving and resuming with structural axes ------------------------------------------------------------------


def test_grid_with_structural_axes_saves_and_loads_without_loss(tmp_path):
    grids = [
        sweep(
            exchangeable_gaussian(2), {"K": [2, 3], "beta": [0.2, 0.9]}, ["spread", "mean"], rounds=5, progress=False
        ),
        sweep(pitchfork(), {"temperature": [0.5, 1.5]}, ["mean"], rounds=5, progress=False),
    ]
    for index, grid in enumerate(grids):
        grid.save(tmp_path / f"{index}.npz")
        loaded = Grid.load(tmp_path / f"{index}.npz")
        assert [name for name, _ in loaded.axes] == [name for name, _ in grid.axes]
        for (_, saved), (_, original) in zip(loaded.axes, grid.axes):
            np.testing.assert_array_equal(saved, original)
            assert saved.dtype == original.dtype
        for q in grid.values:
            np.testing.assert_array_equal(loaded[q], grid[q])
        assert loaded.settings == grid.settings and loaded.spec == grid.spec


def test_interrupted_structural_sweep_resumes_and_checks_each_chunks_k(tmp_path, monkeypatch):
    eco = exchangeable_gaussian(2)
    axes = {"K": [2, 3], "alpha": np.linspace(0, 1, 6)}  # 2 slices x 2 chunks of 4 points
    options = {"rounds": 10, "chunk_size": 4, "progress": False}
    reference = sweep(eco, axes, ["spread"], **options)
    interrupt_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        sweep(eco, axes, ["spread"], checkpoint=tmp_path, **options)
    names = sorted(p.name for p in tmp_path.glob("chunk-*"))
    assert names == ["chunk-0000-000000.npz", "chunk-0000-000001.npz", "chunk-0001-000000.npz"]

    counted = count_chunks(monkeypatch)
    resumed = sweep(eco, axes, ["spread"], checkpoint=tmp_path, **options)
    assert len(counted) == 1  # only K = 3's second chunk is computed
    np.testing.assert_array_equal(resumed["spread"], reference["spread"])

    # a chunk file of the K = 2 slice under K = 3's name is detected, not silently used
    (tmp_path / "chunk-0001-000000.npz").write_bytes((tmp_path / "chunk-0000-000000.npz").read_bytes())
    with pytest.raises(SpecError, match="checkpoint"):
        sweep(eco, axes, ["spread"], checkpoint=tmp_path, **options)


def test_sharded_structural_and_monte_carlo_sweep_equals_the_single_device_sweep(tmp_path):
    """K x alpha with an exact and a Monte Carlo quantity, chunks of 3 over four forced host devices (a fresh
    process: the flag must precede jax's start): the same grid as on one device. The Poisson family, the quickest
    to compile: the sharding is the family-free machinery of numerics/sweeps.py."""
    axes, quantities = {"K": [2, 3], "alpha": [0.2, 0.5, 0.8, 1.0]}, ["spread", "mc_spread"]
    options = dict(rounds=4, replicates=50, seed=3, chunk_size=3, progress=False)
    build = "Ecosystem.poisson(rates=[1, 1], public_rate=2, alpha=0.5, beta=0.5, n=20)"
    single = sweep(eval(build, {"Ecosystem": Ecosystem}), axes, quantities, **options)
    run_on_four_host_devices(
        "from interplay.numerics.sweeps import sweep; from interplay.theory.spec import Ecosystem; "
        f"sweep({build}, {axes!r}, {quantities!r}, **{options!r}).save({str(tmp_path / 'sharded.npz')!r})"
    )
    sharded = Grid.load(tmp_path / "sharded.npz")
    assert np.all(single["mc_spread"] > 0)  # the Monte Carlo ran: models drift apart
    for q in ("spread", "mc_spread", "mc_spread_se"):
        np.testing.assert_allclose(sharded[q], single[q], rtol=1e-12, atol=1e-14)
