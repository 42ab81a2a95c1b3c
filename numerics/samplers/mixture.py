"""Draws of the ``mixture`` composition: which model each synthetic sample comes from."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def source_indices(key, mixing, size: int):
    """(K, size) integers: for each model k, ``size`` independent draws of a model j with probability W[k, j].

    Inverse transform on each row's cumulative sums c_k: j is the number of c_kj <= u, for u uniform on
    [0, c_kK) (the row's own total, so rounding of the sums never draws past the last model); a model of weight 0
    has an empty interval and is never drawn. Cost K x size x log K, memory K x size: no K x K x size array.
    """
    cumulative = jnp.cumsum(mixing, axis=1)
    u = jax.random.uniform(key, (mixing.shape[0], size), dtype=jnp.float64) * cumulative[:, -1:]
    return jax.vmap(lambda c, v: jnp.searchsorted(c, v, side="right"))(cumulative, u)
