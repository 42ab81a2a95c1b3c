"""numerics.cli.compilation: where compiled executables are kept between runs, and the one line said while a
first compilation runs."""

import io
import logging
import os
import subprocess
import sys
import threading

import jax
import jax.numpy as jnp
import pytest
from paths import EXAMPLES

from interplay.numerics.cli.compilation import CACHE_VARIABLE, announce_compilation, cache_folder


def test_the_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "mine"))
    assert cache_folder() == tmp_path / "mine"
    for off in ("off", "OFF", "", "0"):
        monkeypatch.setenv(CACHE_VARIABLE, off)
        assert cache_folder() is None
    monkeypatch.delenv(CACHE_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_folder() == tmp_path / "xdg" / "interplay" / "jax"


def _compile_something_new(size: int):
    """A function of a shape never compiled before in this process, so XLA compiles it."""
    return jax.jit(lambda x: jnp.cumsum(jnp.sin(x) * 3.0))(jnp.ones(size)).block_until_ready()


def test_a_compilation_running_past_the_delay_is_announced_once(caplog):
    stream = io.StringIO()
    with caplog.at_level(logging.DEBUG), announce_compilation(delay=0.0, stream=stream) as watch:
        watch.emit(logging.makeLogRecord({"msg": "Compiling jit(f) with global shapes"}))  # one still in flight
        _compile_something_new(1237)
        _compile_something_new(1238)
        for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
            timer.join()
    assert stream.getvalue().count("interplay: compiling") == 1
    assert not [r for r in caplog.records if "Compiling" in r.getMessage()]  # jax's compile log stays private
    assert jax.config.jax_log_compiles is False


def test_a_compilation_finished_before_the_delay_says_nothing():
    stream = io.StringIO()
    with announce_compilation(delay=60.0, stream=stream):
        _compile_something_new(1239)
    assert stream.getvalue() == ""


@pytest.mark.parametrize("cache", ["on", "off"])
def test_the_command_line_keeps_its_executables_between_runs_only_when_asked(tmp_path, cache):
    folder = tmp_path / "jax-cache"
    env = dict(os.environ, **{CACHE_VARIABLE: str(folder) if cache == "on" else "off"})
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-m", "interplay.numerics.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    kept = list(folder.rglob("*")) if folder.exists() else []
    assert (len(kept) > 0) == (cache == "on")


def test_quiet_runs_never_announce_a_compilation(tmp_path, monkeypatch):
    """--quiet means no progress lines on stderr, the compile notice included; without it the notice is armed."""
    import contextlib

    from interplay.numerics.cli import main as cli  # the module

    armed = []
    monkeypatch.setattr(cli, "announce_compilation", lambda: armed.append(True) or contextlib.nullcontext())
    example = str(EXAMPLES / "gaussian.toml")
    assert cli.main(["derive", example, "--out", str(tmp_path / "quiet"), "--quiet"]) == 0
    assert armed == []
    assert cli.main(["derive", example, "--out", str(tmp_path / "loud")]) == 0
    assert armed == [True]
