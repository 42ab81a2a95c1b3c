"""Replicate keys: replicate r of a run draws from jax.random.split(key, R)[r], and a new replicate count compiles
nothing (not even the eager splits and slices that used to compile for every R)."""

import jax
import numpy as np
import pytest

import interplay.numerics.poisson as npo
from interplay.numerics.driver.keys import KEY_BLOCK, replicate_keys
from interplay.theory.poisson.maps import poisson_ecosystem


def _live_executables() -> int:
    return len(jax.devices()[0].client.live_executables())


@pytest.mark.parametrize("replicates", [1, 7, KEY_BLOCK, KEY_BLOCK + 1, 2 * KEY_BLOCK + 5])
def test_replicate_keys_are_jax_random_split(replicates):
    key = jax.random.PRNGKey(20261201)
    np.testing.assert_array_equal(replicate_keys(key, replicates), np.asarray(jax.random.split(key, replicates)))


def test_typed_keys_are_split_by_jax():
    key = jax.random.key(3)
    keys = replicate_keys(key, 5)
    assert jax.numpy.array_equal(jax.random.key_data(keys), jax.random.key_data(jax.random.split(key, 5)))


def test_typed_keys_run_in_padded_chunks():
    eco = poisson_ecosystem([2, 6], 4, alpha=0.5, beta=0.5, n=20)
    typed = npo.simulate(eco, 3, key=jax.random.key(5), replicates=70).rates
    raw = npo.simulate(eco, 3, key=jax.random.PRNGKey(5), replicates=70).rates
    np.testing.assert_array_equal(typed, raw)  # the same threefry keys, so the same numbers


def test_a_new_replicate_count_and_seed_compile_nothing():
    eco = poisson_ecosystem([2, 6], 4, alpha=0.5, beta=0.5, n=20)
    npo.simulate(eco, 4, key=0, replicates=100)
    before = _live_executables()
    for seed, replicates in [(1, 700), (2, 3), (3, 1500)]:
        rates = npo.simulate(eco, 4, key=seed, replicates=replicates).rates
        assert rates.shape == (replicates, 5, 2) and np.isfinite(rates).all()
    assert _live_executables() == before


def test_keys_traced_inside_a_compiled_function_are_split_there():
    key = jax.random.PRNGKey(11)
    np.testing.assert_array_equal(jax.jit(lambda k: replicate_keys(k, 9))(key), jax.random.split(key, 9))
