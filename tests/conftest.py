import os
import shutil
import sys
import tempfile

import pytest

# XLA's CPU runtime can leave its multi-threaded Eigen pool wedged after a vmapped program: every thread idle, the
# caller waiting forever for the result (seen in tests/validation/test_gerstgrasser_2024.py: 9 minutes with no CPU
# used until the worker was killed). Single-threaded Eigen avoids it and costs nothing here: pytest-xdist already
# runs one process per core. Set before jax starts its backend (tests/host_devices.py passes it on).
NO_EIGEN_THREADS = "--xla_cpu_multi_thread_eigen=false"
# Compilation is most of the suite's time (a categorical Monte Carlo program: ~8 s of XLA compilation for 0.01 s
# of running), and most of compilation is LLVM optimising machine code the tests run once. The suite compiles at
# LLVM's -O0: the same XLA programs (the HLO is optimised as usual), compiled in about half the time; the numbers
# differ from the default level's in the last bit only (measured: at most 4.4e-16 on Monte Carlo fits and sweeps,
# 1.7e-18 on covariances), far inside every tolerance here, and a test comparing two numbers compares two that were
# compiled alike. Users' programs compile at the default level.
FAST_COMPILATION = "--xla_backend_optimization_level=0"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {NO_EIGEN_THREADS} {FAST_COMPILATION}".strip()
# The suite compiles the same programs many times over: in each pytest-xdist worker, in every test module (each
# ends by releasing its compiled functions, below), in each notebook's kernel and in each command-line subprocess.
# jax's persistent compilation cache, in a folder of this run's own (made by the first process, which removes it at
# the end; the workers, kernels and subprocesses inherit it through the environment), turns each repeat into a read
# from disk (measured 2026-12-02 on 2 cores: the notebooks and the command-line tests in about half the time; the
# whole suite of a fresh clone 1,042 s at a load average of about 3 with 1,476 tests, against 1,813 s with 1,361
# tests without it).
# An executable read back is the one compiled (its key holds the program, the XLA flags and jax's version), so no
# number changes.
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
    os.environ["JAX_COMPILATION_CACHE_DIR"] = tempfile.mkdtemp(prefix="interplay-tests-jax-")
    os.environ["INTERPLAY_TESTS_OWN_CACHE"] = str(os.getpid())
    os.environ["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"  # keep every program: the suite repeats small ones
    os.environ["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "0"

import interplay.numerics as numerics  # noqa: E402  (after XLA_FLAGS)

# The command line keeps compiled executables on disk between runs; the tests run it in-process many times and
# must not fill the user's cache (tests/test_compilation.py turns it on in a folder of its own).
os.environ.setdefault("INTERPLAY_COMPILATION_CACHE", "off")


@pytest.fixture(autouse=True, scope="module")
def release_compiled_functions():
    """Each test module ends by releasing its compiled functions: a whole-suite run in one process then stays far
    below the kernel's limit on memory mappings (see numerics.driver.compiled_cache)."""
    yield
    numerics.clear_compiled()


@pytest.fixture(autouse=True)
def close_figures():
    """The figures a test made are closed after it (the library returns them open, to its caller): a single-process
    run of the suite otherwise holds hundreds and matplotlib warns."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def pytest_sessionfinish(session):
    """The process that made this run's compilation cache (above) removes it once every worker has finished."""
    if os.environ.get("INTERPLAY_TESTS_OWN_CACHE") == str(os.getpid()):
        shutil.rmtree(os.environ["JAX_COMPILATION_CACHE_DIR"], ignore_errors=True)
