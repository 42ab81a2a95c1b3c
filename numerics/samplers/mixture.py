"""Draws of the ``mixture`` composition: which model each synthetic sample comes from.

Each model k draws its samples' producers j with probability W[k, j] by Walker's alias method (Vose's
construction): the row's K cells, each of probability 1/K, cell i keeping its own index with probability
prob[k, i] and giving its alias[k, i] otherwise, with K prob[k, i] + sum over the cells aliased to i of K (1 -
prob[k, l]) = K W[k, i] / sum_j W[k, j]. A draw costs two uniforms and two gathers whatever K (an inverse
transform searches each row's K cumulative sums: log K steps a draw); the tables are built once per call, K rows
at once, in K - 1 steps. A model of weight 0 has prob 0 and is the alias of no cell (aliases are taken from the
cells of weight at least the mean), so it is never drawn.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def alias_tables(mixing):
    """(prob, alias), each (K, C), of the rows of ``mixing`` (K, C) (non-negative, each row a positive sum).

    Vose: scaled weights q = C w / sum w; the cells below 1 ("small") and the others ("large") on two stacks;
    repeatedly the top small cell s keeps prob q_s with alias the top large cell l, whose q_l loses 1 - q_s and
    moves to the small stack once below 1; the cells left at the end (round-off's) keep prob 1. Every row runs
    the same C - 1 steps (a row whose stacks empty early does nothing more).
    """
    K, C = mixing.shape
    q = C * mixing / mixing.sum(1, keepdims=True)
    small = q < 1
    rows = jnp.arange(K)
    # each stack as an array whose first n entries are valid, its top the last of them
    small_stack = jnp.argsort(~small, axis=1, stable=True).astype(jnp.int32)
    large_stack = jnp.argsort(small, axis=1, stable=True).astype(jnp.int32)
    n_small, n_large = small.sum(1), C - small.sum(1)
    prob, alias = jnp.ones((K, C)), jnp.broadcast_to(jnp.arange(C, dtype=jnp.int32), (K, C))

    def step(_, state):
        q, small_stack, large_stack, n_small, n_large, prob, alias = state
        active = (n_small > 0) & (n_large > 0)
        s = small_stack[rows, jnp.maximum(n_small - 1, 0)]
        l = large_stack[rows, jnp.maximum(n_large - 1, 0)]
        prob = prob.at[rows, s].set(jnp.where(active, q[rows, s], prob[rows, s]))
        alias = alias.at[rows, s].set(jnp.where(active, l, alias[rows, s]))
        left = q[rows, l] + q[rows, s] - 1
        q = q.at[rows, l].set(jnp.where(active, left, q[rows, l]))
        to_small = active & (left < 1)  # l leaves the large stack for the small one, in s's place
        small_stack = small_stack.at[rows, jnp.maximum(n_small - 1, 0)].set(
            jnp.where(to_small, l, small_stack[rows, jnp.maximum(n_small - 1, 0)])
        )
        n_small = n_small - (active & ~to_small)
        n_large = n_large - to_small
        return q, small_stack, large_stack, n_small, n_large, prob, alias

    state = (q, small_stack, large_stack, n_small, n_large, prob, alias)
    _, _, _, _, _, prob, alias = jax.lax.fori_loop(0, C - 1, step, state)
    return prob, alias


def source_indices(key, mixing, size: int):
    """(K, size) integers: for each model k, ``size`` independent draws of a model j with probability W[k, j]
    (``mixing``: W, (K, K)), from its :func:`alias_tables` (a caller drawing many times from one W builds them
    once and calls :func:`alias_draws`)."""
    return alias_draws(key, alias_tables(mixing), size)


def alias_draws(key, tables, size: int):
    """(K, size) integers: for each model k, ``size`` independent draws from its :func:`alias_tables` ``tables``:
    a uniform cell i, then i with probability prob[k, i], else alias[k, i]."""
    prob, alias = tables
    K, C = prob.shape
    cell_key, keep_key = jax.random.split(key)
    cell = jnp.minimum((jax.random.uniform(cell_key, (K, size), dtype=jnp.float64) * C).astype(jnp.int32), C - 1)
    rows = jnp.arange(K)[:, None]
    keep = jax.random.uniform(keep_key, (K, size), dtype=jnp.float64) < prob[rows, cell]
    return jnp.where(keep, cell, alias[rows, cell])
