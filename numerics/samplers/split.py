"""Draws of the ``split`` pool (:mod:`theory.pools`): the pooled outputs of all models in a random order, cut into
one slice per model."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def pool_order(key, sizes, capacity: int):
    """(owner, slice), (capacity,) integers each, for ``sizes`` N_kj (K, K; exact integers in float64): model j
    generates M_j = sum_k N_kj draws, the pool's M = sum_j M_j draws fill the first M positions in a uniformly random
    order, and model k's slice is the next N_k = sum_j N_kj of them (slices in model order). ``owner``: the model
    that generated the draw at each position, ``slice``: the model whose slice holds it; both K past M.

    The order is that of independent uniform keys with the positions past M keyed last (a uniformly random
    permutation of the M draws; ties have probability 0), so shapes are static for any M <= ``capacity``."""
    counts = sizes.astype(jnp.int64)
    position = jnp.arange(capacity)
    generated = jnp.searchsorted(jnp.cumsum(counts.sum(0)), position, side="right")  # by model, then order
    drawn = position < counts.sum()
    owner = generated[jnp.argsort(jnp.where(drawn, jax.random.uniform(key, (capacity,)), 2.0))]
    slice_of = jnp.searchsorted(jnp.cumsum(counts.sum(1)), position, side="right")
    return jnp.where(drawn, owner, sizes.shape[0]), jnp.where(drawn, slice_of, sizes.shape[0])
