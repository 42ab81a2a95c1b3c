"""The command line's figures and feedback: --format png|pdf|svg for every command that draws (a bad value is one
line naming --format, exit 2); a progress bar on stderr for a Monte Carlo of several chunks, nothing with --quiet,
and never a bar in the result files."""

import json

import pytest
from paths import EXAMPLES

from interplay.numerics.cli.main import main

SMALL = """
[simulate]
rounds = 2
replicates = 130
seed = 4

[sweep]
rounds = 3
quantities = ["spread"]
axes.alpha = [0.0, 1.0]
axes.beta = [0.2, 0.8]
"""  # the Poisson family compiles fastest; 130 replicates run in three chunks of 64


def _config(tmp_path):
    text = (EXAMPLES / "poisson.toml").read_text()
    path = tmp_path / "poisson.toml"
    path.write_text(text[: text.index("[simulate]")] + SMALL)
    return path


@pytest.mark.parametrize("command", ["demo", "reproduce", "simulate", "sweep"])
def test_a_bad_format_is_one_line_naming_the_option(tmp_path, capsys, command):
    config = [str(_config(tmp_path))] if command in ("simulate", "sweep") else []
    assert main([command, *config, "--out", str(tmp_path / "out"), "--format", "jpg"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "--format" in lines[0] and "jpg" in lines[0]
    assert not (tmp_path / "out").exists()


def test_simulate_shows_a_progress_bar_on_stderr_and_writes_the_format_asked_for(tmp_path, capsys):
    config = _config(tmp_path)
    assert main(["simulate", str(config), "--out", str(tmp_path / "svg"), "--format", "svg"]) == 0
    captured = capsys.readouterr()
    assert "Monte Carlo" in captured.err and "130/130" in captured.err  # a bar over the replicates
    assert "Monte Carlo:" not in captured.out
    assert b"<svg" in (tmp_path / "svg" / "trajectories.svg").read_bytes()[:1000]
    assert "Monte Carlo:" not in (tmp_path / "svg" / "result.json").read_text()

    assert main(["simulate", str(config), "--out", str(tmp_path / "pdf"), "--format", "pdf", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert (tmp_path / "pdf" / "trajectories.pdf").read_bytes()[:4] == b"%PDF"
    assert not (tmp_path / "pdf" / "trajectories.png").exists()


def test_sweep_draws_its_phase_diagram_in_the_format_asked_for(tmp_path, capsys):
    path = _config(tmp_path)
    path.write_text(path.read_text() + 'colour = { scale = "log", vmax = 10 }\n')
    assert main(["sweep", str(path), "--out", str(tmp_path / "s"), "--format", "pdf", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert (tmp_path / "s" / "phase_diagram.pdf").read_bytes()[:4] == b"%PDF"
    result = json.loads((tmp_path / "s" / "result.json").read_text())
    assert result["settings"]["colour"] == {"scale": "log", "vmin": None, "vmax": 10}


@pytest.mark.parametrize(
    ("colour", "key"),
    [
        ('{ scale = "cubic" }', "sweep.colour.scale"),
        ('{ scale = "log", vmin = 0 }', "sweep.colour.vmin"),
        ("{ vmin = 2, vmax = 1 }", "sweep.colour.vmax"),
        ("{ hue = 1 }", "sweep.colour.hue"),
    ],
)
def test_a_bad_colour_scale_is_one_line_naming_the_key(tmp_path, capsys, colour, key):
    path = _config(tmp_path)
    path.write_text(path.read_text() + f"colour = {colour}\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and key in lines[0]
