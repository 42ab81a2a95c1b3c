import os

import pytest

import interplay.numerics as numerics

# The command line keeps compiled executables on disk between runs; the tests run it in-process many times and
# must not fill the user's cache (tests/test_compilation.py turns it on in a folder of its own).
os.environ.setdefault("INTERPLAY_COMPILATION_CACHE", "off")


@pytest.fixture(autouse=True, scope="module")
def release_compiled_functions():
    """Each test module ends by releasing its compiled functions: a whole-suite run in one process then stays far
    below the kernel's limit on memory mappings (see numerics.driver.compiled_cache)."""
    yield
    numerics.clear_compiled()
