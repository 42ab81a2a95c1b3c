import pytest

import numerics  # enables float64 in jax before any test builds an array


@pytest.fixture(autouse=True, scope="module")
def release_compiled_functions():
    """Each test module ends by releasing its compiled functions: a whole-suite run in one process then stays far
    below the kernel's limit on memory mappings (see numerics.compiled_cache)."""
    yield
    numerics.clear_compiled()
