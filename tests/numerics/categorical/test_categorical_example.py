"""The module example of numerics.categorical: collapse of a self-consuming model, rescue by fresh real data, and
two models with different vocabularies teaching each other new concepts while converging, each in a few lines."""

import doctest

import interplay.numerics.categorical as nc


def test_module_example_holds():
    result = doctest.testmod(nc, verbose=False)
    assert result.attempted >= 8 and result.failed == 0
