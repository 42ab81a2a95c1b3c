"""The command line: the demo writes what it promises; a user error is one line and a non-zero exit."""

import json
import os
import shlex
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from toml_configs import two_gaussians

from interplay.numerics.cli.config import load
from interplay.numerics.cli.main import main


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
        [sys.executable, "-m", "interplay.numerics.cli", "demo", "--alpha", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1


SWEEP_CONFIG = two_gaussians(
    sweep={
        "rounds": 5,
        "quantities": ["spread"],
        "chunk_size": 2,
        "axes": {"alpha": [0.0, 0.5, 1.0], "beta": [0.2, 0.8]},
    }
)  # 6 points in chunks of 2: 3 chunks


def _sweep_setup(tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(SWEEP_CONFIG)
    out, checkpoint = tmp_path / "out", tmp_path / "chunks"
    return (
        config,
        out,
        checkpoint,
        ["sweep", str(config), "--out", str(out), "--checkpoint", str(checkpoint), "--quiet"],
    )


def test_sweep_checkpoint_resumes_and_ctrl_c_says_what_was_saved(tmp_path, monkeypatch, capsys):
    from sweep_chunks import EVALUATE, count_chunks, interrupt_after

    import interplay.numerics as numerics
    from interplay.numerics import sweeps

    config, out, checkpoint, argv = _sweep_setup(tmp_path)
    interrupt_after(monkeypatch, 1)  # Ctrl-C in the second chunk
    previous = os.umask(0o022)
    try:
        assert main(argv) == 130
    finally:
        os.umask(previous)
    resume = shlex.join(["interplay", *argv])
    assert (
        capsys.readouterr().err
        == f"interplay: interrupted: 1 of 3 chunks saved in {checkpoint}; resume with: {resume}\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunks", "sweep.toml"]  # no report, staging or lock
    assert sorted(p.name for p in checkpoint.iterdir()) == ["chunk-000000.npz", "manifest.json"]
    modes = [path.stat().st_mode & 0o777 for path in (checkpoint, checkpoint / "chunk-000000.npz")]
    assert modes == [0o755, 0o644]

    computed = count_chunks(monkeypatch)
    assert main(argv) == 0
    assert len(computed) == 2  # only the two missing chunks
    spread = np.array(json.loads((out / "result.json").read_text())["values"]["spread"])
    monkeypatch.setattr(sweeps, "_evaluate_sharded", EVALUATE)
    axes = {"alpha": [0.0, 0.5, 1.0], "beta": [0.2, 0.8]}
    expected = numerics.sweep(load(config).ecosystem, axes, ["spread"], rounds=5, progress=False)
    np.testing.assert_array_equal(spread, expected["spread"])
    computed = count_chunks(monkeypatch)
    assert main([*argv, "--force"]) == 0 and len(computed) == 0  # everything loaded from the checkpoint


def test_a_checkpoint_folder_is_never_a_user_folder_nor_inside_out(tmp_path, capsys):
    config, out, checkpoint, argv = _sweep_setup(tmp_path)
    checkpoint.mkdir()
    (checkpoint / "results.csv").write_text("mine")
    assert main(argv) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and line.startswith("interplay: error: checkpoint: ") and "no manifest.json" in line
    assert [p.name for p in checkpoint.iterdir()] == ["results.csv"] and not out.exists()
    assert main([*argv[:-3], "--checkpoint", str(out / "chunks"), "--quiet"]) == 2
    assert (
        capsys.readouterr().err
        == "interplay: error: --checkpoint: must lie outside --out (a new report replaces that folder)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunks", "sweep.toml"]


BLOCKED_SWEEP = """
import signal, sys, threading
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in an interactive shell
from interplay.numerics import sweeps
from interplay.numerics.cli.main import main
real, calls = sweeps._evaluate_sharded, []
def second_chunk_never_ends(*args):
    if calls:
        threading.Event().wait()  # like a long compiled computation: the calling thread is blocked
    calls.append(1)
    return real(*args)
sweeps._evaluate_sharded = second_chunk_never_ends
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(("signal_number", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_or_sigterm_stops_a_blocked_computation(tmp_path, signal_number, status):
    config, out, checkpoint, argv = _sweep_setup(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-c", BLOCKED_SWEEP, *argv],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not (checkpoint / "chunk-000000.npz").exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal_number)
        _, err = process.communicate(timeout=120)  # it never ends by itself: only the signal stops it
    finally:
        process.kill()
    assert process.returncode == status, err
    assert (
        err.count("\n") == 1 and "interrupted: 1 of 3 chunks saved in" in err and "resume with: interplay sweep" in err
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunks", "sweep.toml"]  # no report, staging or lock


def test_version_prints_the_package_version(capsys):
    import interplay

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out == f"interplay {interplay.__version__}\n"
