"""Labelled results (numerics.labelled): every result type to xarray to netCDF and back with values bit for bit and
attributes equal; dimensions and coordinates named so that a selection by label is the raw array's entry.

The results are built from random arrays of their documented shapes (labelling is under test here, and nothing is
compiled); the command-line tests (tests/numerics/cli/test_config.py) check result.nc of every family's actual
simulate against the arrays it saves beside it.
"""

import json

import numpy as np
import pytest
import sympy
import xarray as xr

import interplay.numerics as numerics
from interplay.numerics.continuation import Bifurcation, Branch
from interplay.numerics.labelled import answer_dataset, attribute, attributes
from interplay.numerics.linear.longrun import LongRun
from interplay.theory import Ecosystem, long_run, population_map

T, K, R, SEED, KEY = 3, 2, 4, 7, (0, 7)


def ecosystems() -> dict:
    """Tiny two-model ecosystems of the four families."""
    return {
        "gaussian": Ecosystem.gaussian(means=[[-1, 0], [1, 0]], public_mean=[0, 0], alpha=0.5, beta=0.5, n=20),
        "categorical": Ecosystem.categorical(
            [[0.5, 0.25, 0.25], [0.25, 0.25, 0.5]], [0.25, 0.5, 0.25], alpha=0.5, beta=0.5, n=20
        ),
        "linear-gaussian": Ecosystem.linear(
            [1.0, -1.0],
            [np.eye(2), 2 * np.eye(2)],
            np.eye(2),
            private_sizes=[10, 10],
            public_size=10,
            alpha=0.5,
            beta=0.5,
            n=20,
        ),
        "poisson": Ecosystem.poisson([1, 3], 2, alpha=0.5, beta=0.5, n=20),
    }


def results(family: str):
    """(exact trajectory, Monte Carlo result) of ``family`` holding random arrays of their shapes (d = 2, m = 3)."""
    eco, rng = ecosystems()[family], np.random.default_rng(1)

    def arrays(*shapes):
        """Random normals, the first entry inf and the last NaN (a diverged run's values survive too)."""
        drawn = [rng.normal(size=shape) for shape in shapes]
        for array in drawn:
            array.flat[0], array.flat[-1] = np.inf, np.nan
        return drawn

    if family == "gaussian":
        exact = numerics.ExactTrajectory(
            eco, "moments", *arrays((T + 1, K, 2), (T + 1, K, 2, 2), (T + 1, K, 2, K, 2)), np.array([0.5, -1.0])
        )
        return exact, numerics.MonteCarlo(eco, SEED, KEY, "sufficient", *arrays((R, T + 1, K, 2), (R, T + 1, K, 2, 2)))
    if family == "categorical":
        exact = numerics.CategoricalTrajectory(eco, "moments", *arrays((T + 1, K, 3), (T + 1, K, 3, K, 3)))
        return exact, numerics.CategoricalMonteCarlo(eco, SEED, KEY, "raw", T, *arrays((R, T + 1, K, 3)))
    if family == "linear-gaussian":
        exact = numerics.LinearTrajectory(
            eco, *arrays((T + 1, 2 * K, 2 * K + 2), (T + 1, 2 * K, 2 * K), (T + 1, K, 2), (T + 1, K, 2, K, 2))
        )
        return exact, numerics.LinearMonteCarlo(eco, SEED, KEY, "sufficient", *arrays((R, T + 1, K, 2)))
    exact = numerics.PoissonTrajectory(eco, "population", *arrays((T + 1, K), (T + 1, K, K)))
    return exact, numerics.PoissonMonteCarlo(eco, SEED, KEY, "sufficient", T, *arrays((R, T + 1, K)))


def round_trip(data, path) -> xr.Dataset:
    """Save and load ``data``; assert the Dataset is identical (values, dims, coordinates, attributes), every
    number bit for bit in its dtype, and every attribute equal."""
    dataset = data if isinstance(data, xr.Dataset) else data.to_xarray()
    numerics.save_result(path, data)
    back = numerics.load_result(path)
    xr.testing.assert_identical(back, dataset)
    for name, variable in dataset.variables.items():
        assert back[name].dtype == variable.dtype and back[name].values.tobytes() == variable.values.tobytes(), name
    assert back.attrs.keys() == dataset.attrs.keys()
    for key, value in dataset.attrs.items():
        assert np.array_equal(back.attrs[key], value) and isinstance(back.attrs[key], str) == isinstance(value, str)
    return back


@pytest.mark.parametrize("family", ["gaussian", "categorical", "linear-gaussian", "poisson"])
def test_trajectories_and_monte_carlo_round_trip_with_named_dimensions(family, tmp_path):
    eco = ecosystems()[family]
    exact, mc = results(family)
    for result in (exact, mc):
        dataset = round_trip(result, tmp_path / f"{type(result).__name__}.nc")
        assert json.loads(dataset.attrs["spec"]) == eco.describe()
        assert dataset.attrs["family"] == family and dataset.attrs["interplay_result"] == type(result).__name__
        assert "xarray" in json.loads(dataset.attrs["versions"])
        for name, dims in type(result).dims.items():
            assert dataset[name].dims == dims
            np.testing.assert_array_equal(dataset[name].values, getattr(result, name))
        np.testing.assert_array_equal(dataset["round"], np.arange(T + 1))
        np.testing.assert_array_equal(dataset["model"], [0, 1])
    exact_set, mc_set = exact.to_xarray(), mc.to_xarray()
    np.testing.assert_array_equal(exact_set["mean"].sel(model=1, round=3), exact.mean[3, 1])
    assert "seed" not in exact_set.attrs and exact_set.attrs.get("kind") == getattr(exact, "kind", None)
    assert mc_set.attrs["seed"] == SEED and mc_set.attrs["key"].tolist() == list(KEY)
    assert mc_set.attrs["method"] == mc.method
    fitted = type(mc).checked[0]
    np.testing.assert_array_equal(mc_set[fitted].sel(replicate=2, round=1, model=0), getattr(mc, fitted)[2, 1, 0])
    np.testing.assert_array_equal(mc_set["replicate"], np.arange(R))
    table = mc_set[[fitted]].to_dataframe()
    assert table.index.names == list(type(mc).dims[fitted]) and len(table) == getattr(mc, fitted).size
    row = (3, 2, 1) + (0,) * (table.index.nlevels - 3)  # replicate 3, round 2, model 1, first component
    assert table[fitted].loc[row] == getattr(mc, fitted)[row]


def test_covariances_are_labelled_by_both_indices():
    exact, mc = results("gaussian")
    dataset = exact.to_xarray()
    pair = dataset["mean_cov"].sel(round=2, model=0, model2=1, component=1, component2=0)
    assert float(pair) == exact.mean_cov[2, 0, 1, 1, 0]
    np.testing.assert_array_equal(dataset["mean"], exact.centred_mean + exact.origin)
    np.testing.assert_array_equal(dataset["origin"].sel(component=1), exact.origin[1])
    within = mc.to_xarray()["covs"].sel(replicate=3, round=0, model=1, component=0, component2=1)
    assert float(within) == mc.covs[3, 0, 1, 0, 1]


def test_a_monte_carlo_result_kept_at_its_final_round_has_that_round_as_coordinate(tmp_path):
    _, mc = results("poisson")
    final = numerics.PoissonMonteCarlo(mc.ecosystem, SEED, KEY, mc.method, T, mc.rates[:, -1:])
    dataset = round_trip(final, tmp_path / "final.nc")
    assert dataset["round"].values.tolist() == [T]
    np.testing.assert_array_equal(dataset["rates"].sel(round=T), mc.rates[:, T])


def test_a_grid_round_trips_with_its_axes_as_coordinates(tmp_path):
    """Axes of integers (n), fractions and a value path; quantities of the family's dimensions; a K axis keeps
    the trailing dimensions (model 1's entry)."""
    eco = ecosystems()["gaussian"]
    rng = np.random.default_rng(0)
    axes = (("alpha", np.array([0.0, 0.5, 1.0])), ("n", np.array([10, 20])), ("public.mean[0]", np.array([-1.0, 2.0])))
    values = {"spread": rng.normal(size=(3, 2, 2, 2, 2)), "mean": rng.normal(size=(3, 2, 2, 2, 2))}
    values |= {"mc_spread": rng.normal(size=(3, 2, 2, 2, 2)), "mc_spread_se": rng.random((3, 2, 2, 2, 2))}
    settings = {"rounds": 5, "replicates": 8, "seed": 3, "population": False}
    grid = numerics.Grid(axes, values, eco.describe(), settings)
    dataset = round_trip(grid, tmp_path / "grid.nc")
    assert dataset["spread"].dims == ("alpha", "n", "public.mean[0]", "model", "model2")
    assert dataset["mc_spread_se"].dims == dataset["spread"].dims
    assert dataset["mean"].dims == ("alpha", "n", "public.mean[0]", "model", "component")
    assert dataset["n"].dtype == np.int64 and dataset["n"].values.tolist() == [10, 20]
    point = dataset["spread"].sel({"alpha": 0.5, "n": 20, "public.mean[0]": 2.0, "model": 0, "model2": 1})
    assert float(point) == values["spread"][1, 1, 1, 0, 1]
    assert json.loads(dataset.attrs["settings"]) == settings and dataset.attrs["seed"] == 3
    on_k = numerics.Grid((("K", np.array([2, 3])),), {"spread": np.ones(2), "mean": np.ones((2, 2))}, eco.describe())
    assert on_k.to_xarray()["mean"].dims == ("K", "component") and on_k.to_xarray()["spread"].dims == ("K",)


@pytest.fixture(scope="module")
def population():
    """The population map of a two-model Gaussian ecosystem with alpha and beta symbolic."""
    alpha, beta = sympy.symbols("alpha beta", nonnegative=True)
    return population_map(Ecosystem.gaussian(means=[[-1], [1]], public_mean=[0], alpha=alpha, beta=beta))


def test_a_fixed_point_sensitivity_round_trips_labelled_by_state_and_parameter(population, tmp_path):
    """A fixed point's sensitivity (state (n,), derivative (n, p), as fixed_point_sensitivity returns it)."""
    rng, n = np.random.default_rng(3), len(population.state)
    parameters = sympy.symbols("alpha beta", nonnegative=True)
    state, derivative = rng.normal(size=n), rng.normal(size=(n, 2))
    answer = numerics.Sensitivity(population, parameters, np.array([0.5, 0.25]), state, derivative)
    dataset = round_trip(answer, tmp_path / "sensitivity.nc")
    assert dataset["derivative"].dims == ("symbol", "parameter") and dataset["state"].dims == ("symbol",)
    assert dataset["parameter"].values.tolist() == ["alpha", "beta"]
    assert dataset["symbol"].values.tolist() == [str(x) for x in population.state]
    entry = dataset["derivative"].sel(symbol=str(population.state[1]), parameter="beta")
    assert float(entry) == answer.derivative[1, 1]
    assert float(dataset["values"].sel(parameter="alpha")) == 0.5
    assert json.loads(dataset.attrs["spec"])["alpha"] == "alpha"


def test_a_branch_of_fixed_points_round_trips_with_complex_multipliers_and_its_bifurcations(population, tmp_path):
    rng = np.random.default_rng(2)
    n, points = len(population.state), 5
    multipliers = rng.normal(size=(points, n)) + 1j * rng.normal(size=(points, n))
    event = Bifurcation("period doubling", 0.75, rng.normal(size=n), multipliers[2])
    branch = Branch(
        population, sympy.Symbol("alpha"), np.linspace(0, 1, points), rng.normal(size=(points, n)), multipliers, [event]
    )
    dataset = round_trip(branch, tmp_path / "branch.nc")
    assert dataset["multipliers"].dtype == np.complex128 and dataset["stable"].dtype == bool
    assert complex(dataset["multipliers"].sel(point=3, multiplier=1)) == multipliers[3, 1]
    np.testing.assert_array_equal(dataset["stable"], branch.stable)
    assert dataset["states"].dims == ("point", "symbol") and dataset.attrs["parameter"] == "alpha"
    (saved,) = json.loads(dataset.attrs["bifurcations"])
    assert saved["kind"] == "period doubling" and saved["parameter"] == 0.75 and saved["state"] == event.state.tolist()
    assert [complex(*z) for z in saved["multipliers"]] == multipliers[2].tolist()


def test_the_linear_limit_law_round_trips_like_a_trajectory_without_rounds(tmp_path):
    exact, _ = results("linear-gaussian")
    law = LongRun(exact.ecosystem, 0.25, exact.M[-1], exact.C[-1], exact.mean[-1], exact.cov[-1])
    dataset = round_trip(law, tmp_path / "law.nc")
    assert dataset["cov"].dims == ("model", "component", "model2", "component2") and "round" not in dataset.dims
    assert float(dataset["spectral_radius"]) == 0.25
    assert float(dataset["M"].sel(parameter=3, source_parameter=4)) == exact.M[-1, 3, 4]


def test_a_named_answer_round_trips_labelled_exact_entries_kept_symbolic_ones_as_text(tmp_path):
    """Numbers become float64 with their exact sympy text beside them; an expression in a symbol stays text."""
    alpha = sympy.Symbol("alpha", nonnegative=True)
    numeric = long_run(Ecosystem.poisson(rates=[1, 3], public_rate=2, alpha=sympy.Rational(1, 3), beta=0, n=20))
    dataset = round_trip(answer_dataset(numeric, spec="poisson"), tmp_path / "answer.nc")
    rates = [sympy.Rational(r) for r in numeric["rate"]]
    assert dataset["rate"].dims == ("model",) and list(dataset["model"].values) == ["model 1", "model 2"]
    assert dataset["rate"].dtype == np.float64 and list(dataset["rate"].values) == [float(r) for r in rates]
    assert json.loads(dataset["rate"].attrs["exact"]) == [str(r) for r in rates]
    assert dataset["cross_task_kl"].sel(model="model 2", task="public").item() == float(numeric["cross_task_kl"][1, 2])
    assert dataset["rate"].attrs["meaning"] == numeric.quantity("rate").meaning and dataset.attrs["spec"] == "poisson"
    beta = sympy.Symbol("beta", nonnegative=True)
    symbolic = long_run(Ecosystem.poisson(rates=[1, 3], public_rate=2, alpha=alpha, beta=beta))
    numerics.save_result(tmp_path / "symbolic.nc", symbolic)  # a NamedAnswer saves directly
    back = numerics.load_result(tmp_path / "symbolic.nc")
    assert back.attrs["kind"] == "population" and back["rate"].dtype.kind in "OU"
    symbols = {"alpha": alpha, "beta": beta}
    assert [sympy.sympify(v, locals=symbols) for v in back["rate"].values] == list(symbolic["rate"])


def test_groups_and_root_attributes_share_one_file(tmp_path):
    exact, mc = results("poisson")
    path = tmp_path / "both.nc"
    numerics.save_result(path, {"exact": exact, "monte_carlo": mc}, seed=SEED, settings={"rounds": T})
    assert numerics.load_result(path).attrs == {"seed": SEED, "settings": '{"rounds": 3}'}
    xr.testing.assert_identical(numerics.load_result(path, group="exact"), exact.to_xarray())
    xr.testing.assert_identical(numerics.load_result(path, group="monte_carlo"), mc.to_xarray())


def test_attributes_netcdf_cannot_hold_are_json_text():
    key = np.array([1, 2**32 - 1], dtype=np.uint32)
    assert attribute(key) is key and attribute("α < 1") == "α < 1" and attribute(2**62) == 2**62
    assert attribute(True) == "true" and attribute(np.array([True])) == "[true]"
    assert attribute({"b": [1.5, float("nan")], "a": (2, None)}) == '{"a": [2, null], "b": [1.5, null]}'
    assert attributes({"seed": None, "method": "raw"}) == {"method": "raw"}


def test_an_array_with_more_axes_than_its_declared_names_is_refused():
    exact, _ = results("poisson")
    wrong = numerics.PoissonTrajectory(exact.ecosystem, "moments", exact.cov, exact.cov)  # mean given 3 axes
    with pytest.raises(ValueError, match=r"PoissonTrajectory.mean has 3 axes but 2 names"):
        wrong.to_xarray()
