"""Categorical Monte Carlo on token lists: a fit is a mixture of empirical distributions, so sampling it is O(1).

At temperature 1, under ``reuse`` or ``fresh``, model k's fit after a round is the mixture

    p_k = s [ w_private_k emp(private_k) + w_public_k emp(public) + sum_j w_synthetic_kj emp(synthetic_kj) ] + (1 - s)/m

of the empirical distributions emp(x) of its training samples (token lists) and, with smoothing (s < 1), the
uniform. One token of p_k is drawn exactly by choosing a component with its weight and then a token of that list
uniformly (or a uniform category): one uniform and a gather, whatever m is. A replicate's state is its token lists;
fits over the m categories are formed only where they are returned. Real tokens come from the fixed real
distributions by Walker's alias method (:func:`numerics.samplers.counts.alias_tables`), also O(1) a token.
``numerics.categorical.monte_carlo.simulate`` uses this path for its default method where it applies (:func:`applies`).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.categorical import edge_slots, steps
from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.samplers import counts
from interplay.theory.spec import Ecosystem

LISTS_PER_CATEGORY = 1.5  # token lists while every sample has <= this x m tokens; measured at m = 1,000, 2,000
#                          replicates: 3.5x faster than located tokens at N = m, 2.6x at 1.5 m, slower at 2.5 m (the
#                          random reads of longer lists miss the cache)


def applies(eco: Ecosystem, capacities: dict[str, int], compact: bool = True) -> bool:
    """Fits are mixtures of the round's samples (temperature 1, a regime that refits on one round's data), the
    samples are short enough for lists to be the cheaper route, and each synthetic sample comes from its own model
    and is drawn for its own scraper (the ``fixed`` composition and the ``own`` pool; a ``mixture`` or a ``shared``
    pool takes the counts route of ``simulate``); the consumers' rows of slots are ``compact``
    (:func:`numerics.categorical.edge_slots.compact`: a model's list holds a slot per edge of the largest
    in-degree)."""
    short = all(size <= LISTS_PER_CATEGORY * eco.dim for size in capacities.values())
    fits_are_lists = eco.family.temperature == 1 and eco.regime in ("reuse", "fresh")
    plain = eco.composition == "fixed" and eco.pool == "own" and eco.curation is None  # curated: the k-tuples
    return short and fits_are_lists and plain and compact


def _components(plan, K, edges, degree):
    """Model k's components [private_k, public, its edges' synthetic samples in their slots]: weights and sizes,
    (K, degree + 2) each (a slot of no edge: weight 0, size 0)."""
    synthetic = [edge_slots.padded(x, edges, K, degree) for x in (plan.w_synthetic, plan.n_synthetic)]
    weights = jnp.concatenate([plan.w_private, plan.w_public, synthetic[0]], axis=1)
    sizes = jnp.concatenate([plan.n_private, jnp.broadcast_to(plan.n_public, (K, 1)), synthetic[1]], axis=1)
    return weights, sizes


def _uniform_index(u, size):
    """floor(u size) for u in [0, 1), kept below size against rounding."""
    return jnp.minimum(jnp.floor(u * size), size - 1).astype(jnp.int32)


def alias_arrays(v: steps.Values) -> tuple[jax.Array, jax.Array]:
    """Walker's alias tables of the real sources (:func:`numerics.samplers.counts.alias_tables`), computed on
    the host once per run and passed into the compiled program with the values."""
    return tuple(jnp.asarray(x) for x in counts.alias_tables(np.asarray(v.sources)))


def _interval(u, weights, sizes):
    """The component of a mixture whose interval of cumulative weight holds each uniform ``u`` (E, cs), scaled to
    the total weight (sample e draws from the components ``weights``, ``sizes`` (E, C) of its producer): returns
    (below, width, size, component) at each u. The cumulative weights are summed sequentially, in a ``lax.scan``
    over the components (so the graph does not grow with K): a zero-weight component has an empty interval
    [top, top), and the last positive one also takes u = total."""
    E, C = weights.shape
    last = (C - 1 - jnp.argmax(weights[:, ::-1] > 0, axis=-1))[:, None]
    zeros = jnp.zeros(u.shape)

    def component(carry, column):
        top, below, width, size, index = carry
        c, w, n = column
        w, n = w[:, None], n[:, None]
        inside = (u >= top) & ((u < top + w) | (c == last)) & (w > 0)
        carry = (
            top + w,
            jnp.where(inside, top, below),
            jnp.where(inside, w, width),
            jnp.where(inside, n, size),
            jnp.where(inside, c, index),
        )
        return carry, None

    start = (jnp.zeros((E, 1)), zeros, zeros, zeros, zeros)
    (_, below, width, size, index), _ = jax.lax.scan(component, start, (jnp.arange(C), weights.T, sizes.T))
    return below, width, size, index


@compiled_cache
def token_list_program(st: steps.Structure, capacities: tuple[tuple[str, int], ...], trajectory: bool, degree: int = 0):
    """A jitted, replicate-vmapped f(values, (keep, alias), keys (R, 2), alphas (T,), betas (T,), sizes,
    edges=None) -> probs (R, T+1 or 1, K, m), with the law of ``numerics.categorical``'s simulator (see the module
    doc), for every ecosystem of structure ``st``; ``(keep, alias)``: :func:`alias_arrays` of the values;
    ``capacities`` bound the sample sizes ``sizes`` (:class:`numerics.driver.sizes.Sizes`). One synthetic sample
    per edge of W (``edges``, at most ``degree`` a consumer, W and n_synthetic on them; None: dense, all K^2 pairs,
    :mod:`numerics.categorical.edge_slots`); model k's list holds its edges' samples in its slots."""
    K, m = st.K, st.m
    degree = degree or K
    sizes_max = dict(capacities)
    cp, cq, cs = sizes_max["private"], sizes_max["public"], sizes_max["synthetic"]
    lengths = [cp, cq] + [cs] * degree  # a model's list holds its components one after the other
    starts = jnp.asarray(np.cumsum([0] + lengths[:-1]))
    owner = np.repeat(np.arange(degree + 2), lengths)  # the component of each position of a list
    rank = np.arange(sum(lengths)) - np.repeat(np.cumsum([0] + lengths[:-1]), lengths)  # its place in the component

    def token_lists(private, public, synthetic, edges):
        """(K, cp + cq + degree cs): model k's training tokens, its components one after the other (``synthetic``
        (E, cs), edge e's in slot s_e of model c_e)."""
        synthetic = edge_slots.padded(synthetic, edges, K, degree).reshape(K, degree * cs)
        return jnp.concatenate([private, jnp.broadcast_to(public, (K, cq)), synthetic], axis=1)

    def fits(v, lists, weights, sizes, t):
        """p_k = s_t (sum_c w_kc / N_kc x the counts of component c's first N_kc tokens) + (1 - s_t) / m."""
        kept = rank < sizes[:, owner]
        mass = jnp.where(kept, JAX.per_sample(weights[:, owner], sizes[:, owner]), 0.0)
        union = jnp.zeros((K, m)).at[jnp.arange(K)[:, None], lists].add(mass)
        return steps.fit(st, v, union, t)

    def synthetic_tokens(v, key, lists, weights, sizes, t, producer):
        """(E, cs): edge e's sample drawn from model p_e's fit of round t, its mixture of degree + 3 components
        (its degree + 2 token lists with weights s w, and the uniform with 1 - s), with one uniform per token: the
        component whose interval of cumulative weight holds it (:func:`_interval`), then the position its place in
        that interval gives."""
        s = steps.smoothing_factor(st, v, t)
        weights = jnp.concatenate([s * weights, jnp.full((K, 1), 1 - s)], axis=1)
        sizes = jnp.concatenate([sizes, jnp.full((K, 1), float(m))], axis=1)
        total = jax.lax.scan(lambda top, w: (top + w, None), jnp.zeros(K), weights.T)[0]  # summed as in _interval
        u = jax.random.uniform(key, (producer.shape[0], cs)) * total[producer][:, None]
        below, width, size, component = _interval(u, weights[producer], sizes[producer])
        place = jnp.clip((u - below) / width, 0.0, 1.0)  # uniform on [0, 1) given the component
        position = _uniform_index(place, size)
        token = lists[producer[:, None], starts[jnp.minimum(component, degree + 1).astype(jnp.int32)] + position]
        return jnp.where(component == degree + 2, position, token)

    def simulate_one(v, tables, key, alphas, betas, sizes, edges):
        keep, alias = tables

        def real_tokens(key):
            k_private, k_public = jax.random.split(key)
            private = counts.alias_tokens(k_private, keep[:K], alias[:K], (cp,))
            return private, counts.alias_tokens(k_public, keep[K:], alias[K:], (cq,))[0]

        k_start, k_rounds = jax.random.split(key)
        beta_1 = steps.initial_beta(v, betas)
        plan_0 = steps.round_plan(v, 0.0, beta_1, sizes.initial, initial=True, consumer=edges.consumer)
        private, public = real_tokens(k_start)
        lists_0 = token_lists(private, public, jnp.zeros((edges.consumer.shape[0], cs), jnp.int32), edges)
        table_0 = _components(plan_0, K, edges, degree)

        def one_round(state, inputs):
            """state: round t - 1's real tokens, every model's token list and components; returns round t's."""
            (private, public), lists, (weights, sizes) = state
            key, alpha, beta, t, round_sizes = inputs
            plan = steps.round_plan(v, alpha, beta, round_sizes, initial=False, consumer=edges.consumer)
            k_real, k_synthetic = jax.random.split(key)
            synthetic = synthetic_tokens(v, k_synthetic, lists, weights, sizes, t - 1, edges.producer)
            if st.regime != "reuse":
                private, public = real_tokens(k_real)
            lists, table = token_lists(private, public, synthetic, edges), _components(plan, K, edges, degree)
            return ((private, public), lists, table), (fits(v, lists, *table, t) if trajectory else None)

        T = alphas.shape[0]
        ts = jnp.arange(1, T + 1, dtype=jnp.float64)
        inputs = (jax.random.split(k_rounds, T), alphas, betas, ts, sizes.rounds)
        (_, lists, table), path = jax.lax.scan(one_round, ((private, public), lists_0, table_0), inputs)
        if trajectory:
            return jnp.concatenate([fits(v, lists_0, *table_0, 0.0)[None], path])
        return fits(v, lists, *table, float(T))[None]

    replicated = jax.vmap(simulate_one, in_axes=(None, None, 0, None, None, None, None))

    def program(v, tables, keys, alphas, betas, sizes, edges=None):
        if edges is None:
            v, sizes, edges = edge_slots.dense_pairs(v, sizes)
        return replicated(v, tables, keys, alphas, betas, sizes, edges)

    return jax.jit(program)
