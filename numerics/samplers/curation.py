"""Curated samples drawn as the curation makes them (:mod:`theory.curation`; Ferbach et al. 2024): each kept sample
is the winner of its own k-tuple of iid draws from the model, chosen with probability w_{Y_l} / sum_l' w_{Y_l'}
(Bradley-Terry / Plackett-Luce on the reward's weights w = exp(r)). The tuples and the choices are drawn, never the
curated law q(p) itself, so a Monte Carlo built on this checks the theory's closed form."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def curated_counts(key, probs, weights, best_of, sizes, capacity: int, largest: int | None = None):
    """(S, m) counts of S curated samples: sample s has ``sizes[s]`` tokens (at most ``capacity``), each the winner
    of a ``best_of[s]``-tuple of draws from the row ``probs[s]``, chosen by the row ``weights[s]`` (> 0).
    ``best_of``: (S,) whole numbers (1: a plain draw), static, or traced (e.g. gathered by each sample's producer)
    with the static bound ``largest`` >= every entry."""
    S, m = probs.shape
    if largest is None:
        best_of = np.asarray(best_of, dtype=int)
        largest = int(best_of.max())
    draw_key, choice_key = jax.random.split(key)
    positive = probs > 0
    logits = jnp.where(positive, jnp.log(jnp.where(positive, probs, 1.0)), -jnp.inf)
    tuples = jax.random.categorical(draw_key, logits[:, None, None, :], shape=(S, capacity, largest))
    choice = jnp.log(weights)[jnp.arange(S)[:, None, None], tuples]  # log w of every draw of every tuple
    in_tuple = (
        jnp.arange(largest)[None, :] < jnp.asarray(best_of)[:, None]
    )  # a row of k < the largest uses its first k draws
    choice = jnp.where(in_tuple[:, None, :], choice, -jnp.inf)
    winner = jax.random.categorical(choice_key, choice, axis=-1)
    kept = jnp.take_along_axis(tuples, winner[..., None], axis=-1)[..., 0]
    counted = jnp.arange(capacity)[None, :] < sizes[:, None]
    return (jax.nn.one_hot(kept, m, dtype=jnp.float64) * counted[..., None]).sum(1)
