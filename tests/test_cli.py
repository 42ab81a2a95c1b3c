"""The command line: the demo writes what it promises; a user error is one line and a non-zero exit."""

import subprocess
import sys

import pytest

from numerics.cli import main


def test_demo_writes_the_figure_and_the_derivation(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["demo", "--out", str(out), "--rounds", "4", "--replicates", "50", "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "alpha < 1" in printed and "\\alpha < 1" in printed
    assert "beta*(alpha - 1)" in printed  # model 1's limiting mean
    assert (out / "trajectories.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "\\alpha < 1" in (out / "derivation.tex").read_text()
    assert "4*beta**2*(alpha - 1)**2" in (out / "derivation.txt").read_text()
    assert sorted(p.name for p in out.iterdir()) == [
        ".interplay-report",
        "derivation.tex",
        "derivation.txt",
        "trajectories.png",
    ]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["demo", "--alpha", "1.5"], "alpha: must lie in [0, 1]"),
        (["demo", "--beta", "-1"], "beta: must lie in [0, 1]"),
        (["demo", "--n", "0"], "--n: must be >= 1"),
        (["demo", "--n", "1", "--estimator", "unbiased"], "n: the unbiased estimator needs n >= 2"),
        (["demo", "--regime", "replace"], "--regime: invalid choice"),
        (["demo", "--rounds", "ten"], "--rounds: expected a whole number"),
        (["frobnicate"], "invalid choice"),
        ([], "required"),
    ],
)
def test_user_errors_are_one_line(argv, fragment, capsys, tmp_path):
    assert main(argv + (["--out", str(tmp_path / "x")] if argv[:1] == ["demo"] else [])) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interplay: error: ") and fragment in lines[0]
    assert not (tmp_path / "x").exists()


def test_console_script_entry_point():
    result = subprocess.run(
        [sys.executable, "-m", "numerics.cli", "demo", "--alpha", "2"], capture_output=True, text=True
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1
