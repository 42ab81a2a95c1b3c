"""Compilation as the command line sees it: jax's persistent compilation cache, and one line when it compiles.

A run's first call of a compiled function of a new structure (family, K, d, rounds, method, ...) is compiled by
XLA, which can take from a second to a minute; the numbers of the ecosystem are inputs, so only structure
recompiles. :func:`persistent_cache` keeps XLA's executables on disk between runs (jax's persistent compilation
cache), so a second ``interplay`` run of the same structure starts at once. The folder is
``$INTERPLAY_COMPILATION_CACHE`` if set (``off`` disables it), else ``$XDG_CACHE_HOME/interplay/jax`` or
``~/.cache/interplay/jax``; jax writes there and nothing else does.

:func:`announce_compilation` prints ``interplay: compiling ...`` once when an XLA compilation is still running
after ``delay`` seconds, so a long first compilation is never taken for a hang.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from pathlib import Path

import jax

CACHE_VARIABLE = "INTERPLAY_COMPILATION_CACHE"


def cache_folder() -> Path | None:
    """Where compiled executables are kept between runs; None when ``$INTERPLAY_COMPILATION_CACHE`` is ``off``."""
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "no") else Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "interplay" / "jax"


def persistent_cache() -> Path | None:
    """Turn on jax's persistent compilation cache in :func:`cache_folder` (a no-op when it is off); the folder."""
    folder = cache_folder()
    if folder is not None:
        jax.config.update("jax_compilation_cache_dir", str(folder))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)  # only what is worth keeping
    return folder


class _CompilationWatch(logging.Handler):
    """Counts XLA compilations in flight from jax's compile log ("Compiling ...", "Finished XLA compilation")."""

    def __init__(self, delay: float, stream):
        super().__init__(logging.DEBUG)
        self.delay, self.stream = delay, stream
        self.in_flight, self.announced = 0, False
        self.counting = threading.Lock()  # not self.lock: logging.Handler holds that one around emit

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        with self.counting:
            if message.startswith("Compiling "):
                self.in_flight += 1
                if not self.announced:
                    timer = threading.Timer(self.delay, self._announce)
                    timer.daemon = True
                    timer.start()
            elif message.startswith("Finished XLA compilation"):
                self.in_flight = max(0, self.in_flight - 1)

    def _announce(self) -> None:
        with self.counting:
            if self.in_flight == 0 or self.announced:
                return
            self.announced = True
        where = cache_folder()
        kept = f"; kept in {where} for later runs" if where is not None else ""
        print(f"interplay: compiling for this structure (once{kept}) ...", file=self.stream, flush=True)


@contextlib.contextmanager
def announce_compilation(delay: float = 2.0, stream=None):
    """Within the block, print one line to ``stream`` (default stderr) if an XLA compilation is still running
    ``delay`` seconds after it started. Uses jax's compile log (``jax_log_compiles``), which it routes here only."""
    watch = _CompilationWatch(delay, sys.stderr if stream is None else stream)
    loggers = [logging.getLogger(name) for name in ("jax._src.interpreters.pxla", "jax._src.dispatch")]
    saved = [(logger.propagate, logger.level) for logger in loggers]
    previous = jax.config.jax_log_compiles
    for logger in loggers:
        logger.addHandler(watch)
        logger.propagate = False  # the compile log goes to the watch only, never to the user's terminal
        logger.setLevel(logging.DEBUG)
    jax.config.update("jax_log_compiles", True)
    try:
        yield watch
    finally:
        jax.config.update("jax_log_compiles", previous)
        for logger, (propagate, level) in zip(loggers, saved):
            logger.removeHandler(watch)
            logger.propagate, logger.level = propagate, level
