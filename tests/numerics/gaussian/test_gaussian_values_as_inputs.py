"""Gaussian compiled functions depend on the structure only: new values, seeds or replicate counts reuse them.

The cache of compiled functions (numerics.driver.compiled_cache) must not grow, and the jitted function must not
trace again (its own cache holds one entry), when only a source mean, alpha, the seed or the number of
replicates changes; the results must still be those of the new values (issue 12, "Values as inputs").
"""

import numpy as np

import interplay.numerics as numerics
from interplay.numerics.driver import compiled_cache
from interplay.numerics.driver.sizes import spec_sizes
from interplay.numerics.gaussian import iterate, monte_carlo, step
from interplay.theory.spec import Ecosystem


def _ecosystem(private_mean, alpha):
    return Ecosystem.gaussian(
        means=[[private_mean, 0.0], [-1.0, 0.5]], public_mean=[0.25, 0.0], alpha=alpha, beta=0.5, n=20
    )


def test_new_values_reuse_the_compiled_exact_recursion():
    first, second = _ecosystem(1.0, 0.5), _ecosystem(7.0, 0.3)
    numerics.clear_compiled()
    numerics.iterate_moments(first, 3)
    count = compiled_cache.compiled_count()
    trajectory = numerics.iterate_moments(second, 3)
    assert compiled_cache.compiled_count() == count == 1
    assert iterate._structured_recursion(step.structure(second), 3, False, "states")._cache_size() == 1
    # round 0 fits beta private + (1 - beta) public exactly: the new mean was used, not the compiled-in old one
    expected = 0.5 * np.array([[7.0, 0.0], [-1.0, 0.5]]) + 0.5 * np.array([0.25, 0.0])
    np.testing.assert_allclose(trajectory.mean[0], expected, rtol=1e-15)


def test_new_values_seeds_and_replicate_counts_reuse_the_compiled_simulator():
    first, second = _ecosystem(1.0, 0.5), _ecosystem(7.0, 0.3)
    numerics.clear_compiled()
    numerics.simulate(first, 2, 1, replicates=3)
    count = compiled_cache.compiled_count()
    result = numerics.simulate(second, 2, 2, replicates=70)  # more than one chunk, the last padded
    # alpha 0.5 -> 0.3 keeps every kind of source above RAW_BELOW samples (the drawing routes are structure)
    assert compiled_cache.compiled_count() == count == 1
    simulator = monte_carlo._structured_simulator(second, "sufficient", 2, spec_sizes(second, 2))
    assert simulator.chunk._cache_size() == 1
    # round 0: 10 private samples around 7 and 10 public ones around 0.25: the fitted mean is near 3.625
    assert np.all(np.abs(result.means[:, 0, 0, 0] - 3.625) < 5 * np.sqrt(0.05))  # Var = 0.25 / 10 + 0.25 / 10
