"""TOML configs and the derive / simulate / sweep commands: outputs equal what the library returns for the same
spec and seed, the same seed gives byte-identical JSON, config errors are one line naming the key, and a
failed job leaves nothing half-written."""

import json
from pathlib import Path

import numpy as np
import pytest
import sympy

import numerics
from numerics.cli import main
from numerics.config import ConfigError, load
from numerics.report import Report
from theory import fixed_point, population_map

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
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
    expected = fixed_point(population_map(eco))
    assert result["population"]["fixed_point"] == {str(k): float(v) for k, v in expected.items()}
    assert result["population"]["stability_condition"] == "True" and result["spec"]["n"] == 50
    assert {p.name for p in (tmp_path / "d").iterdir()} == {"derivation.txt", "derivation.tex", "result.json"}


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
    assert {p.name for p in (tmp_path / "s").iterdir()} == {"grid.npz", "phase_diagram.png", "result.json"}


@pytest.mark.parametrize(
    ("replace", "key"),
    [
        (("alpha = 0.5", "alfa = 0.5"), "ecosystem.alfa: unknown key"),
        (("alpha = 0.5", "alpha = 1.5"), "ecosystem.alpha: must lie in [0, 1]"),
        (("n = 50", 'n = "fifty"'), "ecosystem.n: must be an integer"),
        (("mean = [0.0]", "mena = [0.0]"), "public.mena: unknown key"),
        (("cov = [[2.0]]", "cov = [[-2.0]]"), "public.cov: must be positive definite"),
        (('name = "gaussian"', 'name = "poisson"'), "family.name: unknown family"),
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
        main(["derive", str(config_path), "--out", str(out), "--quiet"])
    assert (out / "result.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gaussian.toml", "out"]  # no staging folder left


def test_categorical_derive_and_simulate_write_the_library_numbers(tmp_path):
    from numerics import categorical

    config_path = small_config(
        tmp_path, "categorical.toml", extra="\n[simulate]\nrounds = 6\nreplicates = 300\nseed = 2\n"
    )
    eco = load(config_path).ecosystem
    assert main(["derive", str(config_path), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    derived = json.loads((tmp_path / "d" / "result.json").read_text())
    fmap = population_map(eco)
    probs = np.array(fmap.unpack(fixed_point(fmap))["probs"], dtype=float)
    np.testing.assert_array_equal(np.array(derived["population"]["limiting_probs"]), probs)
    assert derived["population"]["total_variation"][0][1] == pytest.approx(0.5 * np.abs(probs[0] - probs[1]).sum())
    assert probs[1, 0] > 0  # model 2 learns the concept its own data never showed

    assert main(["simulate", str(config_path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    simulated = json.loads((tmp_path / "s" / "result.json").read_text())
    exact = categorical.iterate_moments(eco, 6)
    mc = categorical.simulate(eco, 6, 2, 300)
    np.testing.assert_array_equal(np.array(simulated["final_round"]["exact_mean"]), exact.mean[-1])
    np.testing.assert_array_equal(np.array(simulated["final_round"]["monte_carlo_mean"]), mc.probs.mean(0)[-1])
    assert simulated["exact_kind"] == "moments" and simulated["spec"]["family"]["name"] == "categorical"


def test_every_command_runs_on_every_example_config(tmp_path):
    """derive, simulate and sweep on each family's example (with small job tables); each writes its report."""
    small = {
        "simulate": "\n[simulate]\nrounds = 3\nreplicates = 100\nseed = 1\n",
        "sweep": "\n[sweep]\nrounds = 10\naxes.alpha = [0.2, 0.6]\naxes.beta = [0.3, 0.9]\n",
    }
    for example in sorted(p.name for p in EXAMPLES.glob("*.toml")):
        path = small_config(tmp_path, example, extra=small["simulate"] + small["sweep"])
        for command in ("derive", "simulate", "sweep"):
            out = tmp_path / f"{example}-{command}"
            assert main([command, str(path), "--out", str(out), "--quiet"]) == 0, (example, command)
            assert (out / "result.json").exists()


def test_categorical_and_linear_sweeps_equal_the_library_at_each_point():
    from numerics import categorical
    from numerics.linear import long_run_linear

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
    from theory import linear_longrun

    config_path = small_config(tmp_path, "linear.toml", extra="\n[simulate]\nrounds = 4\nreplicates = 300\nseed = 5\n")
    eco = load(config_path).ecosystem
    assert main(["derive", str(config_path), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    derived = json.loads((tmp_path / "d" / "result.json").read_text())
    assert derived["population"]["converges"] is True and derived["population"]["uncovered_directions"] == []
    expected = [float(e) for e in linear_longrun.long_run_error(eco)]
    assert [row[0] for row in derived["population"]["long_run_error"]] == expected

    assert main(["simulate", str(config_path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    simulated = json.loads((tmp_path / "s" / "result.json").read_text())
    exact, mc = numerics.iterate_moments(eco, 4), numerics.simulate(eco, 4, 5, 300)
    np.testing.assert_array_equal(np.array(simulated["final_round"]["exact_mean"]), exact.mean[-1])
    np.testing.assert_array_equal(np.array(simulated["final_round"]["monte_carlo_mean"]), mc.thetas.mean(0)[-1])

    text = config_path.read_text().replace("size = 10", "size = 0", 1)
    config_path.write_text(text)
    assert main(["derive", str(config_path), "--out", str(tmp_path / "e"), "--quiet"]) == 2
    assert "public.size: must be an integer >= 1" in capsys.readouterr().err


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
