import os

import pytest

# XLA's CPU runtime can leave its multi-threaded Eigen pool wedged after a vmapped program: every thread idle, the
# caller waiting forever for the result (seen in tests/validation/test_gerstgrasser_2024.py: 9 minutes with no CPU
# used until the worker was killed). Single-threaded Eigen avoids it and costs nothing here: pytest-xdist already
# runs one process per core. Set before jax starts its backend (tests/host_devices.py passes it on).
NO_EIGEN_THREADS = "--xla_cpu_multi_thread_eigen=false"
os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {NO_EIGEN_THREADS}".strip()

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
