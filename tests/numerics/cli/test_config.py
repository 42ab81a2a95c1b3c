"""TOML configs and the derive / simulate / sweep commands: outputs equal what the library returns for the same
spec and seed, the same seed gives byte-identical JSON, config errors are one line naming the key, and a
failed job leaves nothing half-written."""

import json

import numpy as np
import pytest
import sympy
from paths import EXAMPLES
from toml_configs import to_toml, two_gaussians

import interplay.numerics as numerics
from interplay.numerics.cli.config import ConfigError, load
from interplay.numerics.cli.main import main
from interplay.numerics.cli.report import MARKER, Report
from interplay.theory import Ecosystem, fixed_point, population_map, stationary_spread
from interplay.theory.spec import plain

SMALL = """
[simulate]
rounds = 5
replicates = 300
seed = 4

[sweep]
rounds = 40
quantities = ["spread", "task_error"]
axes.alpha = [0.0, 0.5, 1.0]
axes.beta = [0.2, 0.8]
"""


def small_config(tmp_path, example="gaussian.toml", extra=SMALL, drop=("[simulate]", "[sweep]")):
    """The example with its job tables replaced by small ones (fast)."""
    text = (EXAMPLES / example).read_text()
    for table in drop:
        if table in text:
            start = text.index(table)
            end = text.find("\n[", start + 1)
            text = text[:start] + (text[end + 1 :] if end != -1 else "")
    path = tmp_path / example
    path.write_text(text + extra)
    return path


def test_every_example_config_loads():
    for path in sorted(EXAMPLES.glob("*.toml")):
        config = load(path)
        assert config.ecosystem.K >= 1


def test_derive_writes_what_the_library_derives(tmp_path):
    config_path = small_config(tmp_path)
    assert main(["derive", str(config_path), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    result = json.loads((tmp_path / "d" / "result.json").read_text())
    eco = load(config_path).ecosystem
    fmap = population_map(eco)
    limit = fmap.unpack(fixed_point(fmap))
    population, moments = result["population"], result["moments"]
    assert population["mean"] == [[float(m)] for m in limit["mean"]]  # model k's limiting mean: row k (d = 1)
    assert population["covariance"] == [[[float(s)]] for s in limit["cov"]]
    assert population["axes"]["cross_task_kl"] == {
        "model": ["model 1", "model 2"],
        "task": ["private 1", "private 2", "public"],
    }
    assert population["stability_condition"] is True and result["spec"]["n"] == 50
    assert (
        moments["squared_distance"] == plain(stationary_spread(eco)) and "E[S_k]" in moments["meanings"]["covariance"]
    )
    names = {*population, *moments}  # named quantities, never the maps' state parts or symbols
    assert not names & {"nu", "cross", "scatter", "fixed_point"} and not any("{" in name for name in names)
    files = {MARKER, "derivation.txt", "derivation.tex", "result.json", "result.nc"}
    assert {p.name for p in (tmp_path / "d").iterdir()} == files
    # the same answers labelled: coordinates are the axes' labels, exact entries kept as text beside the floats
    labelled = numerics.load_result(tmp_path / "d" / "result.nc", group="population")
    assert float(labelled["mean"].sel(model="model 2", component="1")) == float(limit["mean"][1])
    assert list(labelled["cross_task_kl"].coords["task"].values) == ["private 1", "private 2", "public"]
    spread = numerics.load_result(tmp_path / "d" / "result.nc", group="moments")["squared_distance"]
    assert json.loads(spread.attrs["exact"]) == [[str(v) for v in row] for row in stationary_spread(eco).tolist()]
    assert spread.attrs["meaning"] == moments["meanings"]["squared_distance"]


def test_simulate_writes_the_library_numbers_and_is_reproducible(tmp_path):
    config_path = small_config(tmp_path)
    for folder in ("a", "b"):
        assert main(["simulate", str(config_path), "--out", str(tmp_path / folder), "--quiet"]) == 0
    a, b = (tmp_path / "a" / "result.json").read_bytes(), (tmp_path / "b" / "result.json").read_bytes()
    assert a == b  # same seed: byte-identical JSON
    result = json.loads(a)
    eco = load(config_path).ecosystem
    exact = numerics.iterate_moments(eco, 5)
    mc = numerics.simulate(eco, 5, 4, 300)
    assert result["seed"] == 4 and result["key"] == list(mc.key)
    np.testing.assert_array_equal(np.array(result["final_round"]["exact_mean"]), exact.mean[-1])
    np.testing.assert_array_equal(np.array(result["final_round"]["monte_carlo_mean"]), mc.means.mean(0)[-1])
    with np.load(tmp_path / "a" / "trajectories.npz") as data:
        np.testing.assert_array_equal(data["monte_carlo_means"], mc.means)
    assert (tmp_path / "a" / "trajectories.png").read_bytes()[:4] == b"\x89PNG"
    labelled = tmp_path / "a" / "result.nc"  # the same numbers, labelled
    root = numerics.load_result(labelled)
    assert root.attrs["seed"] == 4 and root.attrs["job"] == "simulate" and json.loads(root.attrs["spec"])["n"] == 50
    assert json.loads(root.attrs["versions"]) == result["versions"]
    monte_carlo = numerics.load_result(labelled, group="monte_carlo")
    assert monte_carlo["means"].dims == ("replicate", "round", "model", "component")
    np.testing.assert_array_equal(monte_carlo["means"], mc.means)
    assert monte_carlo.attrs["key"].tolist() == list(mc.key)
    np.testing.assert_array_equal(numerics.load_result(labelled, group="exact")["mean"].sel(round=5), exact.mean[5])
    # the homogenisation measures: labelled per round in result.nc, their final round in result.json
    measured = numerics.load_result(labelled, group="monte_carlo_homogenisation")
    np.testing.assert_array_equal(measured["mean_kl"], mc.homogenisation()["mean_kl"])
    spread = mc.homogenisation()["mean_squared_distance"].values[:, -1]
    final = result["homogenisation"]["mean_squared_distance"]
    assert final["exact"] == exact.homogenisation()["mean_squared_distance"].values[-1]
    assert final["monte_carlo_mean"] == spread.mean() and final["monte_carlo_median"] == np.median(spread)
    scalars = {"mean_squared_distance", "squared_frobenius", "frobenius", "mean_kl", "mean_tv"}
    assert set(result["homogenisation"]) == scalars


def test_sweep_writes_the_grid_and_the_phase_diagram(tmp_path):
    config_path = small_config(tmp_path)
    assert main(["sweep", str(config_path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    result = json.loads((tmp_path / "s" / "result.json").read_text())
    eco = load(config_path).ecosystem
    grid = numerics.sweep(
        eco, {"alpha": [0.0, 0.5, 1.0], "beta": [0.2, 0.8]}, ["spread", "task_error"], rounds=40, progress=False
    )
    np.testing.assert_array_equal(np.array(result["values"]["spread"]), grid["spread"])
    assert result["stability_boundary"] == "alpha < 1"
    files = {MARKER, "grid.npz", "phase_diagram.png", "result.json", "result.nc"}
    assert {p.name for p in (tmp_path / "s").iterdir()} == files
    labelled = numerics.load_result(tmp_path / "s" / "result.nc")
    assert labelled["task_error"].dims == ("alpha", "beta", "model", "task") and labelled.attrs["job"] == "sweep"
    np.testing.assert_array_equal(labelled["spread"].sel(alpha=0.5, beta=0.8), grid["spread"][1, 1])


@pytest.mark.parametrize(
    ("replace", "key"),
    [
        (("alpha = 0.5", "alfa = 0.5"), "ecosystem.alfa: unknown key"),
        (("alpha = 0.5", "alpha = 1.5"), "ecosystem.alpha: must lie in [0, 1]"),
        (("n = 50", 'n = "fifty"'), "ecosystem.n: must be an integer"),
        (("mean = [0.0]", "mena = [0.0]"), "public.mena: unknown key"),
        (("cov = [[2.0]]", "cov = [[-2.0]]"), "public.cov: must be positive definite"),
        (('name = "gaussian"', 'name = "lognormal"'), "family.name: unknown family"),
        (("rounds = 5", "rounds = 2.5"), "simulate.rounds: expected an integer"),
        (("replicates = 300", "replicates = 0"), "simulate.replicates: must be >= 1"),
        (("seed = 4", "seed = 4\ncolour = 1"), "simulate.colour: unknown key"),
        (("axes.beta = [0.2, 0.8]", "axes.beta = [0.2, 1.8]"), "axes.beta: values must lie in [0, 1]"),
        (("axes.beta = [0.2, 0.8]", 'axes.beta = "all"'), "sweep.axes.beta: give a list of numbers"),
        (("axes.beta = [0.2, 0.8]", "axes.K = [2, 3]"), "axes.K: a K axis needs exchangeable models"),
        (("axes.beta = [0.2, 0.8]", "axes.temperature = [0.5]"), "axes.temperature: only categorical models"),
        (
            ('quantities = ["spread", "task_error"]', 'quantities = ["mc_spread"]\nreplicates = 1'),
            "replicates: must be",
        ),
        (('estimator = "unbiased"', 'estimator = "bayes"'), "ecosystem.estimator: must be one of"),
        (("[public]", "[publik]"), "publik: unknown table"),
    ],
)
def test_config_errors_are_one_line_naming_the_key(tmp_path, capsys, replace, key):
    path = small_config(tmp_path)
    text = path.read_text()
    assert replace[0] in text
    path.write_text(text.replace(replace[0], replace[1], 1))
    command = "sweep" if "axes" in replace[0] or "quantities" in replace[0] else "simulate"
    assert main([command, str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and key in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_missing_file_and_invalid_toml(tmp_path, capsys):
    assert main(["derive", str(tmp_path / "none.toml")]) == 2
    (tmp_path / "bad.toml").write_text("[family\n")
    assert main(["derive", str(tmp_path / "bad.toml")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "no such file" in errors[0] and "not valid TOML" in errors[1]


def test_a_failed_job_leaves_no_folder_and_keeps_the_old_one(tmp_path, monkeypatch):
    config_path = small_config(tmp_path)
    out = tmp_path / "out"
    assert main(["derive", str(config_path), "--out", str(out), "--quiet"]) == 0
    before = (out / "result.json").read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")  # after derivation.txt and .tex were written to the staging folder

    monkeypatch.setattr(Report, "write_json", broken)
    with pytest.raises(RuntimeError):
        main(["derive", str(config_path), "--out", str(out), "--quiet", "--force"])
    assert (out / "result.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gaussian.toml", "out"]  # no staging folder left


def test_markov_derive_and_simulate_write_the_library_numbers(tmp_path):
    """derive: the closed-form fixed point P* = (I - alpha W)^-1 R Q row by row (theory.markov.longrun); simulate:
    the exact moments (rows design) and the Monte Carlo of the library, agreeing within Bonferroni (the 6 rounds x
    2 models x 9 entries and the final E||P_1 - P_2||_F^2, family-wise 1e-3: |z| < 4.5; its exact value needs the
    within-row covariances, zero across rows); the sequences design's simulate follows the population map."""
    from interplay.numerics import markov
    from interplay.theory.markov.longrun import population_fixed_point

    extra = "\n[simulate]\nrounds = 5\nreplicates = 400\nseed = 2\n"
    config_path = small_config(tmp_path, "markov.toml", extra=extra)
    eco = load(config_path).ecosystem
    assert main(["derive", str(config_path), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    derived = json.loads((tmp_path / "d" / "result.json").read_text())
    fixed = np.array([np.array(P.tolist(), dtype=float) for P in population_fixed_point(eco)])
    np.testing.assert_allclose(np.array(derived["population"]["transitions"], dtype=float), fixed, rtol=1e-15)
    assert fixed[0, 0, 2] > 0 and fixed[1, 2, 0] > 0  # each model learns the transition its own data never made

    assert main(["simulate", str(config_path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    simulated = json.loads((tmp_path / "s" / "result.json").read_text())
    exact = markov.iterate.iterate_moments(eco, 5)
    mc = markov.monte_carlo.simulate(eco, 5, 2, 400)
    np.testing.assert_array_equal(np.array(simulated["final_round"]["exact_mean"]), exact.mean[-1])
    np.testing.assert_array_equal(np.array(simulated["final_round"]["monte_carlo_mean"]), mc.transitions.mean(0)[-1])
    assert simulated["exact_kind"] == "moments" and simulated["final_round"]["max_abs_z_over_rounds"] < 4.5
    spread = simulated["homogenisation"]["mean_squared_distance"]  # E||P_1 - P_2||_F^2 from the moments, rows apart
    assert abs(spread["monte_carlo_mean"] - spread["exact"]) < 4.5 * spread["monte_carlo_standard_error"]

    text = config_path.read_text().replace('design = "rows"', 'design = "sequences"\nlength = 4')
    config_path.write_text(text.replace("replicates = 400", "replicates = 20"))
    assert main(["simulate", str(config_path), "--out", str(tmp_path / "q"), "--quiet"]) == 0
    sequences = json.loads((tmp_path / "q" / "result.json").read_text())
    population = markov.iterate.iterate_population(load(config_path).ecosystem, 5)
    assert sequences["exact_kind"] == "population"
    np.testing.assert_array_equal(np.array(sequences["final_round"]["exact_mean"]), population.mean[-1])


def test_categorical_derive_and_simulate_write_the_library_numbers(tmp_path):
    from interplay.numerics import categorical

    config_path = small_config(
        tmp_path, "categorical.toml", extra="\n[simulate]\nrounds = 6\nreplicates = 300\nseed = 2\n"
    )
    eco = load(config_path).ecosystem
    assert main(["derive", str(config_path), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    derived = json.loads((tmp_path / "d" / "result.json").read_text())
    fmap = population_map(eco)
    probs = np.array(fmap.unpack(fixed_point(fmap))["probs"], dtype=float)
    np.testing.assert_array_equal(np.array(derived["population"]["probs"]), probs)
    assert derived["population"]["total_variation"][0][1] == pytest.approx(0.5 * np.abs(probs[0] - probs[1]).sum())
    assert probs[1, 0] > 0  # model 2 learns the concept its own data never showed

    assert main(["simulate", str(config_path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    simulated = json.loads((tmp_path / "s" / "result.json").read_text())
    exact = categorical.iterate_moments(eco, 6)
    mc = categorical.simulate(eco, 6, 2, 300)
    np.testing.assert_array_equal(np.array(simulated["final_round"]["exact_mean"]), exact.mean[-1])
    np.testing.assert_array_equal(np.array(simulated["final_round"]["monte_carlo_mean"]), mc.probs.mean(0)[-1])
    assert simulated["exact_kind"] == "moments" and simulated["spec"]["family"]["name"] == "categorical"


# the commands an example's family cannot serve, each refused in one line naming the key (exit 2, no report)
REFUSED = {("markov.toml", "sweep"): "family: the markov family has no sweeps"}


def test_every_command_runs_on_every_example_config(tmp_path, capsys):
    """derive, simulate and sweep on each family's example (with small job tables); each writes its report, or is
    one of the REFUSED commands, refused in one line naming the key and writing nothing."""
    small = {
        "simulate": "\n[simulate]\nrounds = 3\nreplicates = 100\nseed = 1\n",
        "sweep": "\n[sweep]\nrounds = 10\naxes.alpha = [0.2, 0.6]\naxes.beta = [0.3, 0.9]\n",
    }
    for example in sorted(p.name for p in EXAMPLES.glob("*.toml")):
        path = small_config(tmp_path, example, extra=small["simulate"] + small["sweep"])
        for command in ("derive", "simulate", "sweep"):
            out = tmp_path / f"{example}-{command}"
            status, errors = run_cli(capsys, command, path, "--out", out)
            if (example, command) in REFUSED:
                line = f"interplay: error: {REFUSED[example, command]}"
                assert status == 2 and len(errors) == 1 and errors[0].startswith(line), errors
                assert not out.exists()
                continue
            assert status == 0, (example, command, errors)
            assert (out / "result.json").exists()
        _assert_labelled_like_the_arrays(tmp_path / f"{example}-simulate")
        if (example, "sweep") in REFUSED:
            continue
        sweep = numerics.load_result(tmp_path / f"{example}-sweep" / "result.nc")
        assert sweep["alpha"].values.tolist() == [0.2, 0.6] and sweep["beta"].values.tolist() == [0.3, 0.9]


def _assert_labelled_like_the_arrays(report):
    """result.nc of a simulate report holds the arrays of trajectories.npz, each with its class's dimensions."""
    with np.load(report / "trajectories.npz") as data:
        for group, prefix in (("exact", "exact_"), ("monte_carlo", "monte_carlo_")):
            labelled = numerics.load_result(report / "result.nc", group=group)
            dims = getattr(numerics, labelled.attrs["interplay_result"]).dims
            saved = [name for name in labelled.data_vars if prefix + name in data]
            assert saved, (report, group)
            for name in saved:
                assert labelled[name].dims == dims[name]
                np.testing.assert_array_equal(labelled[name], data[prefix + name])


def test_categorical_and_linear_sweeps_equal_the_library_at_each_point():
    from interplay.numerics import categorical
    from interplay.numerics.linear.longrun import long_run_linear

    cat = load(EXAMPLES / "categorical.toml").ecosystem
    grid = numerics.sweep(
        cat, {"alpha": [0.2, 0.6], "beta": [0.3, 0.9]}, ["mean", "diversity", "spread"], rounds=20, progress=False
    )
    for i, a in enumerate([0.2, 0.6]):
        for j, b in enumerate([0.3, 0.9]):
            exact = categorical.iterate_moments(cat.with_options(alpha=a, beta=b), 20)
            np.testing.assert_allclose(grid["mean"][i, j], exact.mean[-1], atol=1e-13)
            np.testing.assert_allclose(grid["diversity"][i, j], exact.diversity()[-1], atol=1e-13)
            assert grid["spread"][i, j, 0, 1] == pytest.approx(exact.squared_distance(0, 1)[-1], abs=1e-13)
    linear = load(EXAMPLES / "linear.toml").ecosystem
    grid = numerics.sweep(
        linear, {"beta": [0.2, 0.7], "alpha": [0.3, 1.0]}, ["spread", "error", "spectral_radius"], progress=False
    )
    law = long_run_linear(linear.with_options(alpha=0.3, beta=0.7))
    np.testing.assert_allclose(grid["error"][1, 0], law.task_error(), rtol=1e-12)
    assert grid["spread"][1, 0, 0, 1] == pytest.approx(law.squared_distance(0, 1), rel=1e-12)
    assert grid["spectral_radius"][1, 0] == pytest.approx(law.spectral_radius, rel=1e-12)
    assert np.isnan(grid["error"][:, 1]).all() and np.all(grid["spectral_radius"][:, 1] >= 1 - 1e-12)  # alpha = 1


def test_sweep_config_with_a_temperature_axis_and_monte_carlo_equals_the_library(tmp_path):
    extra = '\n[sweep]\nrounds = 5\nquantities = ["mc_diversity", "diversity"]\nreplicates = 200\nseed = 3\n'
    path = small_config(tmp_path, "categorical.toml", extra=extra + "axes.temperature = [0.5, 2.0]\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    result = json.loads((tmp_path / "s" / "result.json").read_text())
    grid = numerics.sweep(
        load(path).ecosystem,
        {"temperature": [0.5, 2.0]},
        ["mc_diversity", "diversity"],
        rounds=5,
        replicates=200,
        seed=3,
        progress=False,
    )
    assert result["settings"]["replicates"] == 200 and result["axes"] == {"temperature": [0.5, 2.0]}
    for q in ("mc_diversity", "mc_diversity_se", "diversity"):
        np.testing.assert_array_equal(np.array(result["values"][q]), grid[q])
    assert grid.settings["exact"] == "population map" and grid.settings["seed"] == 3


def test_linear_derive_and_simulate_write_the_library_numbers(tmp_path, capsys):
    from interplay.theory.linear import longrun as linear_longrun

    config_path = small_config(tmp_path, "linear.toml", extra="\n[simulate]\nrounds = 4\nreplicates = 300\nseed = 5\n")
    eco = load(config_path).ecosystem
    assert main(["derive", str(config_path), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    derived = json.loads((tmp_path / "d" / "result.json").read_text())
    assert derived["population"]["stability_condition"] is True and derived["population"]["uncovered_directions"] == []
    expected = [float(e) for e in linear_longrun.long_run_error(eco)]
    assert [row[0] for row in derived["moments"]["mse"]] == expected

    assert main(["simulate", str(config_path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    simulated = json.loads((tmp_path / "s" / "result.json").read_text())
    exact, mc = numerics.iterate_moments(eco, 4), numerics.simulate(eco, 4, 5, 300)
    np.testing.assert_array_equal(np.array(simulated["final_round"]["exact_mean"]), exact.mean[-1])
    np.testing.assert_array_equal(np.array(simulated["final_round"]["monte_carlo_mean"]), mc.thetas.mean(0)[-1])

    text = config_path.read_text().replace("size = 10", "size = 0", 1)
    config_path.write_text(text)
    assert main(["derive", str(config_path), "--out", str(tmp_path / "e"), "--quiet"]) == 2
    assert "public.size: must be an integer >= 1" in capsys.readouterr().err


# -- errors that were tracebacks (issue 11): one line naming the key as written, or an answer ----------------


def run_cli(capsys, *argv):
    """(exit status, stderr lines) of the command line run in this process."""
    status = main([*map(str, argv), "--quiet"])
    return status, capsys.readouterr().err.strip().splitlines()


def edited(tmp_path, example, *replacements, extra=SMALL):
    path = small_config(tmp_path, example, extra=extra)
    text = path.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("example", "replacements", "command", "line"),
    [
        ("gaussian.toml", [('quantities = ["spread", "task_error"]', "quantities = []")], "sweep", "sweep.quantities:"),
        (
            "gaussian.toml",
            [("axes.alpha = [0.0, 0.5, 1.0]", 'axes.alpha = { start = "a", stop = 1.0, num = 3 }')],
            "sweep",
            "sweep.axes.alpha.start: expected a number",
        ),
        (
            "gaussian.toml",
            [("axes.alpha = [0.0, 0.5, 1.0]", 'axes.alpha = { start = 0.0, stop = "1", num = 3 }')],
            "sweep",
            "sweep.axes.alpha.stop: expected a number",
        ),
        ("gaussian.toml", [("seed = 4", "seed = 100000000000000000000")], "simulate", "simulate.seed: must be a 64"),
        ("gaussian.toml", [("alpha = 0.5", 'alpha = "a"')], "sweep", "ecosystem.alpha: sweep needs numbers"),
        ("gaussian.toml", [("alpha = 0.5", 'alpha = "a"')], "simulate", "ecosystem.alpha: simulate needs numbers"),
        ("linear.toml", [("alpha = 0.5", 'alpha = "a"')], "sweep", "ecosystem.alpha: sweep needs numbers"),
        ("gaussian.toml", [("alpha = 0.5", "alpha = [0.5, 0.3]")], "derive", "ecosystem.alpha: a schedule"),
        (
            "categorical.toml",
            [("temperature = 1 ", "temperature = 2 "), ("beta = 0.8", 'beta = "b"')],
            "derive",
            "ecosystem.beta: derive at a temperature other than 1 needs numbers",
        ),
        ("gaussian.toml", [("beta = 0.5", "beta = [0.5, 0.3]")], "derive", "ecosystem.beta: a schedule"),
        # library names written in full: axes.beta -> sweep.axes.beta, temperature -> family.temperature, ...
        ("gaussian.toml", [("axes.beta = [0.2, 0.8]", "axes.beta = [0.2, 1.8]")], "sweep", "sweep.axes.beta: values"),
        ("categorical.toml", [("temperature = 1 ", "temperature = 0 ")], "derive", "family.temperature: must be > 0"),
        ("categorical.toml", [("smoothing = 0 ", "smoothing = -1 ")], "derive", "family.smoothing: must be >= 0"),
        (
            "gaussian.toml",
            [('quantities = ["spread", "task_error"]', 'quantities = ["mc_spread"]\nreplicates = 1')],
            "sweep",
            "sweep.replicates: must be",
        ),
        ("gaussian.toml", [("n = 50", "n = 1")], "derive", "ecosystem.n: the unbiased estimator needs n >= 2"),
        ("markov.toml", [("transitions = [", "transition = [")], "simulate", "public.transition: unknown key"),
        (
            "markov.toml",
            [("[0.6, 0.4, 0.0],", "[0.6, 0.4, 0.1],")],
            "simulate",
            "private[0].transitions: row [0] must sum to 1, sums to 11/10",
        ),
        (
            "markov.toml",
            [("  [0.2, 0.2, 0.6],\n", "")],
            "derive",
            "private[0].transitions: must be a square m x m transition matrix",
        ),
        ("markov.toml", [('design = "rows"', 'design = "words"')], "derive", "family.design: must be one of"),
        ("markov.toml", [('regime = "fresh"', 'regime = "reuse"')], "simulate", "ecosystem.regime:"),
        (
            "markov.toml",
            [("# length = 10 ", "length = 10 "), ('design = "rows"', 'design = "sequences"')],
            "derive",
            "family.design: derive solves the rows design only",
        ),
        (
            "markov.toml",
            [("axes.alpha = [0.0, 0.5, 1.0]\naxes.beta = [0.2, 0.8]\n", ""), ("alpha = 0.5", 'alpha = "a"')],
            "sweep",
            "family: the markov family has no sweeps",  # before the missing axes and the symbol
        ),
        ("linear.toml", [("n = 50", 'n = 50\npool = "split"')], "derive", "ecosystem.pool: the linear-gaussian family"),
        (
            "poisson.toml",
            [('regime = "reuse"', 'regime = "reuse"\npool = "pooled"')],
            "simulate",
            "ecosystem.pool: must be one of",
        ),
        (
            "poisson.toml",
            [('regime = "reuse"', 'regime = "reuse"\npool = "split"\ncomposition = "mixture"')],
            "derive",
            "ecosystem.pool: a split pool takes the fixed composition",
        ),
        (
            "gaussian.toml",
            [("[[private]]\nmean = [1.0]\ncov = [[1.0]]\n", ""), ("quantities = [", 'quantities = ["mean", ')],
            "sweep",
            "sweep.quantities: ['spread'] compare models: K = 1",
        ),
    ],
)
def test_errors_that_were_tracebacks_are_one_line_naming_the_full_key(
    tmp_path, capsys, example, replacements, command, line
):
    path = edited(tmp_path, example, *replacements)
    status, errors = run_cli(capsys, command, path, "--out", tmp_path / "out")
    assert status == 2 and len(errors) == 1 and errors[0].startswith(f"interplay: error: {line}"), errors
    assert not (tmp_path / "out").exists()


def test_a_folder_or_a_binary_file_as_config_is_one_line(tmp_path, capsys):
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "binary.toml").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    for name, problem in (("folder.toml", "is a folder"), ("binary.toml", "not a text file")):
        status, errors = run_cli(capsys, "derive", tmp_path / name, "--out", tmp_path / "out")
        assert status == 2 and len(errors) == 1, errors
        assert errors[0].startswith(f"interplay: error: {tmp_path / name}: {problem}")


def test_categorical_derive_at_a_temperature_answers_with_numerical_fixed_points(tmp_path, capsys):
    """tau = 2 has no closed form: derive reports the fixed point the round-0 fit iterates to (equal to the
    iterated population map) and its spectral radius, which is the iteration's contraction rate."""
    path = edited(tmp_path, "categorical.toml", ("temperature = 1 ", "temperature = 2 "), extra="")
    status, errors = run_cli(capsys, "derive", path, "--out", tmp_path / "d")
    assert status == 0 and errors == []
    population = json.loads((tmp_path / "d" / "result.json").read_text())["population"]
    assert population["closed_form"] is False and "no closed form at temperature tau = 2" in population["note"]
    assert "no closed form" in (tmp_path / "d" / "derivation.txt").read_text()
    (reached,) = [p for p in population["fixed_points"] if p["reached_from_round_0"]]
    eco = load(path).ecosystem
    path_of_iterates = numerics.iterate_population(eco, 400).mean
    limit = np.asarray(reached["probs"])
    np.testing.assert_allclose(path_of_iterates[-1], limit, atol=1e-12)
    np.testing.assert_allclose(population["probs"], limit, atol=0)
    # the iterates approach it at the rate of its slowest mode that the (symmetric) start excites: a multiplier
    gaps = np.abs(path_of_iterates - limit).max(axis=(1, 2))
    rate = gaps[12] / gaps[11]  # gaps ~1e-7, far above rounding
    moduli = np.abs(np.array(reached["multipliers_real"]) + 1j * np.array(reached["multipliers_imag"]))
    assert np.min(np.abs(moduli - rate)) < 1e-5 * rate and rate <= reached["spectral_radius"] < 1
    assert reached["stable"] is True
    assert population["total_variation"][0][1] == pytest.approx(0.5 * np.abs(limit[0] - limit[1]).sum(), abs=1e-15)


def test_categorical_derive_at_a_vanishing_temperature_is_the_argmax_limit(tmp_path, capsys):
    """tau = 1e-300 (sympy would expand p^(1e300)): synthetic data are the argmax of each model (here a tie of
    categories 2 and 3), so the reached fixed point is exactly (1 - alpha) real + alpha * (0, 1/2, 1/2, 0)."""
    path = edited(tmp_path, "categorical.toml", ("temperature = 1 ", "temperature = 1e-300 "), extra="")
    status, errors = run_cli(capsys, "derive", path, "--out", tmp_path / "d")
    assert status == 0 and errors == []
    population = json.loads((tmp_path / "d" / "result.json").read_text())["population"]
    expected = [[0.16, 0.42, 0.42, 0.0], [0.0, 0.42, 0.42, 0.16]]
    np.testing.assert_allclose(population["probs"], expected, atol=1e-15)


def test_categorical_sweep_at_a_temperature_has_no_symbolic_boundary(tmp_path, capsys):
    extra = "\n[sweep]\nrounds = 5\naxes.alpha = [0.2, 0.6]\naxes.beta = [0.3, 0.9]\n"
    path = edited(tmp_path, "categorical.toml", ("temperature = 1 ", "temperature = 2 "), extra=extra)
    status, errors = run_cli(capsys, "sweep", path, "--out", tmp_path / "s")
    assert status == 0 and errors == []
    result = json.loads((tmp_path / "s" / "result.json").read_text())
    assert result["stability_boundary"] is None
    grid = numerics.sweep(load(path).ecosystem, {"alpha": [0.2, 0.6], "beta": [0.3, 0.9]}, rounds=5, progress=False)
    np.testing.assert_array_equal(np.array(result["values"]["spread"]), grid["spread"])


def test_linear_derive_with_a_symbolic_alpha_gives_the_closed_forms_in_it(tmp_path, capsys):
    """alpha = "a": every closed form is an expression in a; at a = 1/2 each equals the numeric derive's."""
    numeric = small_config(tmp_path, "linear.toml", extra="")
    (tmp_path / "symbolic").mkdir()
    symbolic = edited(tmp_path / "symbolic", "linear.toml", ("alpha = 0.5", 'alpha = "a"'), extra="")
    results = {}
    for name, path in (("numeric", numeric), ("symbolic", symbolic)):
        status, errors = run_cli(capsys, "derive", path, "--out", tmp_path / f"{name}-derived")
        assert status == 0 and errors == []
        results[name] = json.loads((tmp_path / f"{name}-derived" / "result.json").read_text())
    a = sympy.Symbol("a", nonnegative=True)
    population = results["symbolic"]["population"]
    # rho = a (a + 3) / (2 (a + 1)) < 1 iff (a + 2)(a - 1) < 0: simplified over a in [0, 1]
    assert sympy.sympify(population["spectral_radius"], locals={"a": a}) == a * (a + 3) / (2 * (a + 1))
    assert sympy.sympify(population["stability_condition"], locals={"a": a}) == (a < 1)
    for key in ("mse", "relative_efficiency", "squared_distance"):
        at_half = [
            [float(sympy.sympify(v, locals={"a": a}).subs(a, sympy.Rational(1, 2))) for v in row]
            for row in results["symbolic"]["moments"][key]
        ]
        np.testing.assert_allclose(at_half, results["numeric"]["moments"][key], rtol=1e-12)


def test_fractions_as_strings_are_exact_and_float_thirds_are_refused(tmp_path):
    """Floats are taken at their exact value, so three 0.3333333333333333 do not sum to 1; "1/3" is exact."""
    text = (EXAMPLES / "categorical.toml").read_text().replace("alpha = 0.5", 'alpha = "1/3"')
    path = tmp_path / "thirds.toml"
    path.write_text(text.replace("probs = [0.0, 0.5, 0.5, 0.0]", 'probs = ["1/3", "1/3", "1/3", 0]'))
    eco = load(path).ecosystem
    assert eco.alpha == sympy.Rational(1, 3) and list(eco.public.probs) == [sympy.Rational(1, 3)] * 3 + [0]
    path.write_text(
        text.replace(
            "probs = [0.0, 0.5, 0.5, 0.0]", "probs = [0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 0]"
        )
    )
    with pytest.raises(ConfigError, match=r'^public.probs: must sum to 1, sums to 9999999999999999/.*"1/3"'):
        load(path)
    path.write_text(text.replace('alpha = "1/3"', 'alpha = "1/3 + x"'))
    with pytest.raises(ConfigError, match="^ecosystem.alpha: expected a number or a fraction"):
        load(path)


CATEGORICAL_ACCUMULATING_AT_TAU_2 = to_toml(
    {
        "family": {"name": "categorical", "temperature": 2.0},
        "ecosystem": {"alpha": 0.5, "beta": 0.8, "n": 40, "regime": "accumulate"},
        "public": {"probs": [0.0, 0.5, 0.5, 0.0]},
        "private": [{"probs": [0.4, 0.3, 0.3, 0.0]}, {"probs": [0.0, 0.3, 0.3, 0.4]}],
    }
)


@pytest.mark.parametrize(
    "config, reason",
    [
        (two_gaussians(ecosystem={"alpha": 1.0}), "continuum of fixed points (a unit multiplier)"),  # closed form
        (CATEGORICAL_ACCUMULATING_AT_TAU_2, "changes with the round"),  # numerical fixed points
    ],
)
def test_derive_without_a_unique_fixed_point_answers_with_the_reason(tmp_path, config, reason):
    (tmp_path / "config.toml").write_text(config)
    assert main(["derive", str(tmp_path / "config.toml"), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    population = json.loads((tmp_path / "d" / "result.json").read_text())["population"]
    assert population["closed_form"] is None and reason in population["reason"]
    assert f"Population map: no unique fixed point ({population['reason']})." in (
        (tmp_path / "d" / "derivation.txt").read_text().splitlines()
    )


def test_derive_says_when_the_spectral_radius_is_a_float():
    """Exact rational inputs give an exact radius where its eigenvalue is a root of a factor of degree <= 2 of the
    characteristic polynomial (3 models, W3: rho = alpha = 3/5); three linear models on random designs have an
    irreducible cubic factor, and derive says that its radius is a float."""
    from linear_cases import W3, general

    from interplay.numerics.cli.jobs import NUMERICAL_RADIUS, _closed_population

    exact = Ecosystem.gaussian(means=[[-1], [0], [1]], public_mean=[0], alpha=0.6, beta=0.5, mixing=W3)
    cubic = general(3, 2, alpha=0.6, beta=0.5, mixing=W3)
    reports = []
    for eco in (exact, cubic):
        result, text = {}, []
        _closed_population(eco, result, text, [])
        reports.append((result["population"], next(line for line in text if line.startswith("Spectral radius"))))
    (exact_json, exact_line), (cubic_json, cubic_line) = reports
    assert exact_line == "Spectral radius: 3/5" and exact_json["spectral_radius"] == 0.6
    assert exact_json["spectral_radius_exact"] is True
    assert cubic_line == f"Spectral radius: 0.658478926505624 ({NUMERICAL_RADIUS})"
    assert cubic_json["spectral_radius_exact"] is False
    assert cubic_json["spectral_radius"] == pytest.approx(0.658478926505624, abs=1e-15)
