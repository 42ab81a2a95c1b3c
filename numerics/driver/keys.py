"""PRNG keys: every Monte Carlo takes an integer seed or a jax PRNG key, and its result records both."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

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
