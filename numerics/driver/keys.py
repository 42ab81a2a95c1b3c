"""PRNG keys: every Monte Carlo takes an integer seed or a jax PRNG key, and its result records both; replicate r
of a run draws from its own key, ``jax.random.split(key, R)[r]``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.extend.random import threefry2x32_p

from interplay.theory.spec import SpecError


def prng_key(key, parameter: str = "key") -> tuple[int | None, jax.Array]:
    """(seed, key): an integer seed in [-2^63, 2^63) gives ``jax.random.PRNGKey(seed)``; a jax PRNG key (a typed
    key, or the raw uint32 pair of the default implementation) is used as it is, with seed None."""
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        if not -(2**63) <= int(key) < 2**63:
            raise SpecError(parameter, f"an integer seed must lie in [-2^63, 2^63), got {key}")
        return int(key), jax.random.PRNGKey(int(key))
    if isinstance(key, jax.Array | np.ndarray):
        if jax.dtypes.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ():
            return None, key
        if key.dtype == np.uint32 and key.shape == (2,):
            return None, jnp.asarray(key)
    raise SpecError(parameter, f"expected an integer seed or a jax PRNG key, got {key!r}")


KEY_BLOCK = 1024  # replicate keys are derived this many at a time by one compiled program


def replicate_keys(key, replicates: int):
    """One key per replicate, ``jax.random.split(key, R)`` (replicate r's key does not depend on R).

    For the default threefry keys (a raw uint32 pair) with jax's partitionable threefry, key r is
    threefry2x32(key, (0, r)): it is computed in blocks of :data:`KEY_BLOCK` by one program compiled once and
    returned as a numpy array, so a new replicate count compiles nothing (``jax.random.split`` would compile
    for every R). Other keys, and keys traced inside a compiled function, are split by ``jax.random.split``.
    """
    raw = isinstance(key, jax.Array | np.ndarray) and key.dtype == np.uint32 and key.shape == (2,)
    if isinstance(key, jax.core.Tracer) or not (raw and jax.config.jax_threefry_partitionable and replicates < 2**32):
        return jax.random.split(key, replicates)
    key = np.asarray(key)
    blocks = [np.asarray(_key_block(key, np.uint32(start))) for start in range(0, replicates, KEY_BLOCK)]
    return np.concatenate(blocks)[:replicates]


@jax.jit
def _key_block(key, start):
    """Keys start, ..., start + KEY_BLOCK - 1 of ``jax.random.split(key, R)`` (partitionable threefry)."""
    counts = start + jnp.arange(KEY_BLOCK, dtype=jnp.uint32)
    high, low = threefry2x32_p.bind(key[0], key[1], jnp.zeros_like(counts), counts)
    return jnp.stack([high, low], axis=1)
