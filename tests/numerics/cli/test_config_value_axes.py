"""A sweep config may name a value of the spec as an axis (a quoted key): the grid it writes equals the library's,
and a bad value axis is one line naming the key as written, exit status 2, nothing written."""

import json

import numpy as np
from paths import EXAMPLES

import interplay.numerics as numerics
from interplay.numerics.cli.config import load
from interplay.numerics.cli.main import main

SWEEP = """
[sweep]
rounds = 6
quantities = ["spread"]
axes.alpha = [0.2, 0.6]
axes."private[1].mean[0]" = [0.0, 1.0, 3.0]
"""


def _config(tmp_path, sweep=SWEEP):
    text = (EXAMPLES / "gaussian.toml").read_text()
    path = tmp_path / "gaussian.toml"
    path.write_text(text[: text.index("[simulate]")] + sweep)
    return path


def test_a_value_axis_in_a_config_sweeps_like_the_library(tmp_path):
    path = _config(tmp_path)
    assert main(["sweep", str(path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    result = json.loads((tmp_path / "s" / "result.json").read_text())
    axes = {"alpha": [0.2, 0.6], "private[1].mean[0]": [0.0, 1.0, 3.0]}
    grid = numerics.sweep(load(path).ecosystem, axes, ["spread"], rounds=6, progress=False)
    np.testing.assert_array_equal(np.array(result["values"]["spread"]), grid["spread"])
    assert np.all(np.diff(grid["spread"][0, :, 0, 1]) > 0)  # model 2's task moves away from model 1's at -1


def test_a_bad_value_axis_is_one_line_naming_the_key(tmp_path, capsys):
    path = _config(tmp_path, SWEEP.replace("mean[0]", "mean[1]"))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == ["interplay: error: sweep.axes.private[1].mean[1]: index [1] is out of range: mean has 1 entry"]
    assert not (tmp_path / "out").exists()


LINEAR_SWEEP = """
[sweep]
rounds = 3
replicates = 20
quantities = ["error", "mc_error"]
axes.alpha = [0.2, 0.6]
axes."family.theta[0]" = [0.0, 2.0]
axes."family.noise_var" = [0.5, 2.0]
"""


def test_a_linear_value_axis_in_a_config_sweeps_like_the_library(tmp_path):
    text = (EXAMPLES / "linear.toml").read_text()
    path = tmp_path / "linear.toml"
    path.write_text(text[: text.index("[simulate]")] + LINEAR_SWEEP)
    assert main(["sweep", str(path), "--out", str(tmp_path / "s"), "--quiet"]) == 0
    result = json.loads((tmp_path / "s" / "result.json").read_text())
    axes = {"alpha": [0.2, 0.6], "family.theta[0]": [0.0, 2.0], "family.noise_var": [0.5, 2.0]}
    grid = numerics.sweep(load(path).ecosystem, axes, ["error", "mc_error"], rounds=3, replicates=20, progress=False)
    for q in ("error", "mc_error"):
        np.testing.assert_array_equal(np.array(result["values"][q]), grid[q])
    assert np.all(np.diff(grid["error"], axis=2) > 0)  # a larger sigma^2, a larger error
