"""Bad input to the library is a SpecError naming the parameter, never an IndexError or TypeError from numpy or
jax; edge cases that are valid (zero update rounds) answer like every other family."""

import jax
import numpy as np
import pytest

import interplay.numerics as numerics
from interplay.theory import Ecosystem, SpecError


def gaussian():
    return Ecosystem.gaussian(means=[[-1], [1]], public_mean=[0], alpha=0.5, beta=0.5, n=20)


@pytest.mark.parametrize("verb", ["iterate_moments", "iterate_population"])
def test_gaussian_trajectories_with_zero_rounds_are_the_initial_fit(verb):
    for eco in (gaussian(), gaussian().with_options(alpha=[0.3, 0.6], beta=[0.2, 0.9])):
        none, two = getattr(numerics, verb)(eco, 0), getattr(numerics, verb)(eco, 2)
        assert none.rounds == 0
        for name in ("mean", "fitted_cov", "mean_cov"):
            np.testing.assert_array_equal(getattr(none, name)[0], getattr(two, name)[0])


@pytest.mark.parametrize("key", ["seven", 1.5, None, 2**64, -(2**63) - 1, np.zeros(3, np.uint32), np.ones(2)])
def test_a_key_that_is_neither_a_seed_nor_a_prng_key_is_named(key):
    with pytest.raises(SpecError, match="^key: "):
        numerics.simulate(gaussian(), 2, key, replicates=4)


def test_seeds_at_the_ends_of_the_64_bit_range_and_prng_keys_are_keys():
    for key in (2**63 - 1, -(2**63)):
        assert numerics.simulate(gaussian(), 1, key, replicates=2).seed == key
    typed = jax.random.key(3)
    raw = jax.random.PRNGKey(3)
    a, b = numerics.simulate(gaussian(), 1, typed, replicates=2), numerics.simulate(gaussian(), 1, raw, replicates=2)
    assert a.seed is None and np.array_equal(a.means, b.means)


@pytest.mark.parametrize("values", [["a"], [0.1, "b"], [[0.1], [0.2, 0.3]], {"x": 1}])
def test_sweep_axis_values_that_are_not_numbers_are_named(values):
    with pytest.raises(SpecError, match="^axes.alpha: needs numbers"):
        numerics.sweep(gaussian(), {"alpha": values}, rounds=2, progress=False)
