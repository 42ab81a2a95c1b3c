import pytest

import interplay.numerics as numerics


@pytest.fixture(autouse=True, scope="module")
def release_compiled_functions():
    """Each test module ends by releasing its compiled functions: a whole-suite run in one process then stays far
    below the kernel's limit on memory mappings (see numerics.driver.compiled_cache)."""
    yield
    numerics.clear_compiled()
