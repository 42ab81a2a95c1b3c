"""Monte Carlo of rolling corpora (``regime="rolling"``, :mod:`theory.categorical.maps`): each replicate carries
every model's corpus of n tokens, (K, n) category indices, as its state.

Round 0's corpus of model k is its initial training set: its private sample's tokens, then the one public
sample's (shared by the models, as in the other regimes' initial fit), each token drawn from its source by inverse
transform. At update round t a uniformly random order of each corpus (the argsort of n uniforms) keeps its first M_k
tokens, an exact draw of M_k of them without replacement; positions M_k..n - 1 hold the new tokens, the first N_k1
from model 1's fit, the next N_k2 from model 2's, and so on (:func:`theory.rounds.sample_sizes`), each drawn from
that model's fit of the previous corpus by inverse transform. The fit is the corpus's (smoothed) frequencies.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from interplay.numerics.categorical import steps
from interplay.numerics.driver.compiled_cache import compiled_cache


def _draw(key, probs, owner):
    """One token per entry of ``owner`` (any shape): a category of row owner of ``probs`` (K rows summing to one),
    by inverse transform: the rows' cumulative sums, row r shifted by r, are one increasing sequence, searched once
    for owner + u (memory of the tokens, not tokens x categories)."""
    K, m = probs.shape
    cumulative = jnp.cumsum(probs, axis=1)
    u = jax.random.uniform(key, owner.shape, dtype=jnp.float64) * cumulative[owner, -1]
    shifted = (cumulative + jnp.arange(K)[:, None]).ravel()
    found = jnp.searchsorted(shifted, owner + u, side="right") - owner * m
    return jnp.clip(found, 0, m - 1)


def _frequencies(corpus, m: int):
    """(K, m): each corpus's category frequencies."""
    return jax.vmap(lambda tokens: jnp.bincount(tokens, length=m))(corpus) / corpus.shape[1]


@compiled_cache
def rolling_program(st: steps.Structure, n: int, trajectory: bool):
    """A jitted f(values, keys (R, 2), alphas (T,), betas (T,), sizes) -> probs (R, T+1 or 1, K, m) (the signature
    of :func:`numerics.categorical.monte_carlo.simulation_program`), replicates vmapped; corpora of ``n`` tokens."""
    K, m = st.K, st.m
    position = jnp.arange(n)

    def simulate_one(v, key, alphas, betas, sizes):
        k_private, k_public, k_rounds = jax.random.split(key, 3)
        private = sizes.initial.n_private[:, 0:1].astype(
            jnp.int32
        )  # (K, 1): private tokens first, the shared public sample's after
        own = _draw(k_private, v.sources, jnp.broadcast_to(jnp.arange(K)[:, None], (K, n)))
        public = _draw(k_public, v.sources, jnp.full((n,), K))
        from_public = public[jnp.clip(position[None, :] - private, 0, n - 1)]
        corpus_0 = jnp.where(position[None, :] < private, own, from_public)

        def one_round(corpus, inputs):
            key, t, round_sizes = inputs
            k_order, k_new = jax.random.split(key)
            fitted = steps.fit(st, v, _frequencies(corpus, m), t - 1)
            order = jnp.argsort(jax.random.uniform(k_order, (K, n)), axis=1)
            shuffled = jnp.take_along_axis(corpus, order, axis=1)
            kept = round_sizes.n_private  # (K, 1): M_k
            ends = jnp.cumsum(round_sizes.n_synthetic, axis=1)  # (K, K): model k's new tokens from models 0..j
            owner = (ends[:, None, :] <= (position[None, :] - kept)[:, :, None]).sum(-1)  # (K, n)
            new = _draw(k_new, fitted, jnp.minimum(owner, K - 1))
            corpus = jnp.where(position[None, :] < kept, shuffled, new)
            return corpus, (steps.fit(st, v, _frequencies(corpus, m), t) if trajectory else None)

        T = alphas.shape[0]
        ts = jnp.arange(1, T + 1, dtype=jnp.float64)
        corpus, path = jax.lax.scan(one_round, corpus_0, (jax.random.split(k_rounds, T), ts, sizes.rounds))
        if trajectory:
            return jnp.concatenate([steps.fit(st, v, _frequencies(corpus_0, m), 0.0)[None], path])
        return steps.fit(st, v, _frequencies(corpus, m), float(T))[None]

    replicated = jax.vmap(simulate_one, in_axes=(None, 0, None, None, None))
    return jax.jit(replicated)
