"""Monte Carlo of categorical ecosystems: every source contributes Multinomial(N, p) counts by the cheaper exact
route for N, every model refits its (smoothed) frequencies (:class:`CategoricalMonteCarlo`).

Under the fixed composition and the ``own`` pool a round draws one synthetic sample per edge of the trains-on graph
(:mod:`numerics.driver.edges`: e = 0..E-1 with W[c_e, p_e] > 0), N_e = n_synthetic[c_e, p_e] tokens of model p_e's
fit, and model c_e's batch adds alpha_t W[c_e, p_e] times its frequencies (:mod:`numerics.categorical.edge_slots`):
:func:`simulate` computes W and the sizes on the edges (no K x K table; work and memory grow as E + K, 3K sources
for a ring). A dense W and (K, K) sizes (:func:`compiled_simulation`, sweeps) are all K^2 pairs in row-major order:
for a W without zeros the same samples in the same order, the same numbers as the edge path and as before it; a W
with zeros draws no sample for them on the edge path, so the same seed gives other draws there (the same law).

Under the ``mixture`` composition each of model k's N synthetic samples comes from model j with probability
W[k, j], a token of the mixture sum_j W[k, j] Cat(pi_j) = Cat(pibar_k), pibar_k = sum_j W[k, j] pi_j: its synthetic
counts are one Multinomial(N, pibar_k), drawn as such (the exact law; no per-sample sources are needed), with the
weight alpha_t of the whole synthetic part.

Under the ``shared`` pool model k's counts from model j are those of the first N_kj tokens of one sample of model j
(:mod:`theory.pools`). With the sizes of column j sorted, N_(0)j <= ... <= N_(K-1)j, that sample's consecutive
blocks of N_(i)j - N_(i-1)j tokens have independent Multinomial counts, and the first N_(i)j tokens' counts are the
sum of blocks 0..i (:func:`prefix_blocks`, :func:`prefix_counts`): the exact law of the nested prefixes, drawn as
K x K samples of at most the own pool's sizes. Under the ``split`` pool the round's pool (model j's M_j = sum_k N_kj
tokens) is put in a random order and cut into one slice per model (:func:`numerics.samplers.split.pool_order`):
each token's category drawn from its model's pi_j (inverse transform), a slice's counts a segment sum
(:func:`split_frequencies`); the real samples are drawn as above, apart."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.categorical import edge_slots, steps
from interplay.numerics.categorical import tokens as categorical_tokens
from interplay.numerics.categorical.edge_slots import EdgeArrays
from interplay.numerics.categorical.iterate import (
    alphas_betas,
    given_start,
    jensen_shannon,
    require_categorical,
    total_variation,
)
from interplay.numerics.categorical.rolling import rolling_program
from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.edges import graph_edges
from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.driver.keys import prng_key, replicate_keys
from interplay.numerics.driver.limits import (
    dense_tables,
    draws_edges,
    replicate_chunk,
    require_count,
    require_dense_tables,
    run_in_chunks,
)
from interplay.numerics.driver.results import SimulatedReplicates
from interplay.numerics.driver.sizes import (
    Sizes,
    device,
    mixture_size,
    public_increments,
    public_levels,
    spec_sizes,
    split_pool_share,
    split_pool_size,
    static_sizes,
)
from interplay.numerics.samplers import counts
from interplay.numerics.samplers.curation import curated_counts
from interplay.numerics.samplers.split import pool_order
from interplay.theory.spec import Ecosystem, SpecError

# -- Monte Carlo ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoricalMonteCarlo(SimulatedReplicates):
    """Simulated fits: probs (R, T+1, K, m) over rounds t = 0..T, or (R, 1, K, m) holding round T alone when
    simulated with ``trajectory=False``; with the spec, the method and the key that made them."""

    ecosystem: Ecosystem
    seed: int | None
    key: tuple[int, ...]
    method: str
    rounds: int
    probs: np.ndarray
    checked = ("probs",)
    dims = {"probs": ("replicate", "round", "model", "category")}

    def holds(self, k: int, category: int) -> np.ndarray:
        """(rounds kept,): the fraction of replicates in which model k gives the category positive mass."""
        return (self.probs[:, :, k, category] > 0).mean(0)

    def support_size(self) -> np.ndarray:
        """(R, rounds kept, K): the number of categories each model holds."""
        return (self.probs > 0).sum(-1)

    def diversity(self) -> np.ndarray:
        """(R, rounds kept, K): 1 - sum_i p_ki^2 per replicate."""
        return 1 - (self.probs**2).sum(-1)

    def total_variation(self, k: int, l: int) -> np.ndarray:
        """(R, rounds kept)."""
        return total_variation(self.probs[:, :, k], self.probs[:, :, l])

    def jensen_shannon(self, k: int, l: int) -> np.ndarray:
        """(R, rounds kept)."""
        return jensen_shannon(self.probs[:, :, k], self.probs[:, :, l])


METHODS = ("sufficient", "raw", "multinomial")


def _routes(method: str, capacities: dict[str, int], m: int) -> dict[str, str]:
    """How each kind of source (private, public, synthetic) has its counts drawn (:mod:`numerics.samplers.counts`)."""
    if method == "raw":
        return {kind: "tokens" for kind in capacities}
    if method == "multinomial":
        return {kind: "multinomial" for kind in capacities}
    largest = max(capacities.values())  # a kind of no samples draws nothing by either route: it takes the largest's
    return {kind: counts.cheaper_route(size or largest, m) for kind, size in capacities.items()}


def _drawn_together(routes: dict[str, str], capacities: dict[str, int], kinds: tuple[str, ...]) -> bool:
    """Whether samples of these kinds can share one draw: one route, and for tokens one capacity among the kinds
    that have samples (a token draw costs its capacity, so a smaller sample is not made to pay for a larger one).
    Kinds of no samples never decide it, so a sweep (whose capacities bound any alpha, beta) draws the same
    samples as ``simulate`` of its point with the same seed."""
    shared = {routes[kind] for kind in kinds}
    same_size = len({capacities[kind] for kind in kinds if capacities[kind] > 0}) <= 1
    return len(shared) == 1 and (shared == {"multinomial"} or same_size)


def prefix_blocks(n_synthetic):
    """(blocks (K, K), rank (K, K)) of the shared pool: blocks[i, j] = N_(i)j - N_(i-1)j, the sizes of column j
    sorted (module doc), and rank[k, j] the place of scraper k in that order."""
    order = jnp.argsort(n_synthetic, axis=0, stable=True)
    blocks = jnp.diff(jnp.take_along_axis(n_synthetic, order, axis=0), axis=0, prepend=0.0)
    return blocks, jnp.argsort(order, axis=0, stable=True)


def prefix_counts(block_counts, rank):
    """(K, K, m): scraper k's counts of the first N_kj tokens of model j's sample, the counts of blocks
    0..rank[k, j] of column j (``block_counts`` (K, K, m), block i of column j at [i, j])."""
    return jnp.take_along_axis(jnp.cumsum(block_counts, axis=0), rank[:, :, None], axis=0)


def split_frequencies(key, sampled, sizes, capacity: int):
    """(K, m): the category frequencies of each model's slice of the ``split`` pool: the pool's tokens in the
    random order of :func:`numerics.samplers.split.pool_order` (``sizes``: N_kj, ``capacity`` a bound on M), each
    token's category from its model's row of ``sampled`` (inverse transform on the row's cumulative sums), counted
    per slice; 0 for a slice of none."""
    K, m = sampled.shape
    order_key, category_key = jax.random.split(key)
    owner, slice_of = pool_order(order_key, sizes, capacity)
    cumulative = jnp.cumsum(sampled, axis=1)[jnp.minimum(owner, K - 1)]  # (capacity, m)
    u = jax.random.uniform(category_key, (capacity, 1), dtype=jnp.float64) * cumulative[:, -1:]
    category = jnp.minimum((u >= cumulative).sum(1), m - 1)
    counts = jax.ops.segment_sum(jax.nn.one_hot(category, m, dtype=jnp.float64), slice_of, num_segments=K + 1)
    return JAX.per_sample(counts[:K], sizes.sum(1)[:, None])


@compiled_cache
def simulation_program(
    st: steps.Structure,
    method: str,
    capacities: tuple[tuple[str, int], ...],
    trajectory: bool,
    pool_capacity: int = 0,
    degree: int = 0,
    *,
    levels: int,
):
    """A jitted f(values, keys (R, 2), alphas (T,), betas (T,), sizes, start=None, edges=None) -> probs (R, T+1 or
    1, K, m), replicates vmapped, for every ecosystem of structure ``st`` (its
    :class:`numerics.categorical.steps.Values` passed in). Under the fixed composition and the ``own`` pool the
    synthetic samples are one per edge of W: ``edges`` the :class:`numerics.categorical.edge_slots.EdgeArrays`, at
    most ``degree`` edges a consumer, the values' W and the sizes' n_synthetic on them, (E,)
    (:func:`numerics.categorical.steps.values`, :func:`numerics.driver.sizes.spec_sizes`); ``edges`` None: W (K, K)
    and n_synthetic (..., K, K) dense, all K^2 pairs edges (:func:`numerics.categorical.edge_slots.dense_pairs`;
    ``degree`` 0 there).

    Round 0 fits the real samples alone, or is the given ``start`` p_0 (K, m) in every replicate (the real
    samples of round 0 are drawn all the same, so that ``reuse`` reuses them); rounds 1..T run in one
    ``lax.scan``, each drawing the counts of every source of the round
    (:func:`numerics.samplers.counts.draw_counts`, by the route ``method`` gives each kind of source for its
    largest size ``capacities``): the synthetic samples (one per edge; one per model under ``mixture``; K x K
    blocks under the ``shared`` pool), and the K private and the public sample unless the regime reuses round 0's
    (the public one as its increments between the models' distinct public sizes, at most ``levels``:
    :func:`numerics.driver.sizes.public_levels`, or K for a sweep), in the :class:`numerics.driver.sizes.Sizes`
    ``sizes`` of alphas and betas; under the ``split`` pool the slices of one pool of ``pool_capacity`` positions
    instead (:func:`split_frequencies`).

    The values used to be compiled in as constants, which XLA folded with its constant evaluator; computed at
    run time, a few of them (the products alpha W, the binomial tree's logs of the real sources) differ in the
    last bit, so at a fixed seed some fits differ by one ulp and, rarely, a draw whose uniform falls within that
    bit of a boundary changes (seen once in 23 ecosystems, fresh regime, multinomial route). The law is the same.
    """
    K, m = st.K, st.m
    capacities = dict(capacities)
    routes = _routes(method, capacities, m)
    real_rows = jnp.concatenate([jnp.arange(K), jnp.full(levels, K)])  # the K private sources, the public increments
    edged = not (st.mixture or st.shared or st.split)  # one synthetic sample per edge e, drawn from model p_e
    degree = degree or K
    # mixture: sample k from model k's mixture of the models; shared: block (i, j) of model j's sample
    synthetic_rows = jnp.arange(K) if st.mixture else jnp.tile(jnp.arange(K), K)
    together = _drawn_together(routes, capacities, ("private", "public"))
    all_kinds = ("private", "public", "synthetic")
    all_together = (
        not st.split and not st.curation and st.regime != "reuse" and _drawn_together(routes, capacities, all_kinds)
    )
    best_of = np.array(st.curation or (1,) * K)  # edge e's sample: the best-of of model p_e's outputs

    def draw(key, distributions, rows, sizes, kinds):
        """Counts of one draw of every sample (a row of ``rows`` each) by the kinds' shared route."""
        return counts.draw_counts(key, distributions, rows, sizes, max(capacities[kind] for kind in kinds))

    def synthetic_frequencies(plan, drawn, sizes):
        """(E, m) per edge, (K, m) per model under mixture, else (K, K, m) per pair (k, j), from the counts
        ``drawn`` of the samples of ``sizes`` (under the shared pool the blocks of :func:`prefix_blocks`)."""
        if edged or st.mixture:
            return JAX.per_sample(drawn, sizes[:, None])
        if st.shared:
            rank = prefix_blocks(plan.n_synthetic)[1]
            return JAX.per_sample(prefix_counts(drawn.reshape(K, K, m), rank), plan.n_synthetic[:, :, None])
        return JAX.per_sample(drawn, sizes[:, None]).reshape(K, K, m)

    def training_set(plan, real, synthetic, edges):
        """The batch frequencies; ``synthetic`` (E, m) per edge (summed per consumer,
        :func:`numerics.categorical.edge_slots.consumer_sums`), (K, K, m) per pair (k, j), or (K, m) per model under
        mixture."""
        if edged:
            synthetic_part = edge_slots.consumer_sums(plan.w_synthetic, synthetic, edges, K, degree)
        elif st.mixture or st.split:
            synthetic_part = plan.w_synthetic.sum(1)[:, None] * synthetic  # weight alpha_t
        else:
            synthetic_part = jnp.einsum("kj,kji->ki", plan.w_synthetic, synthetic)
        return plan.w_private[:, 0:1] * real[:K] + plan.w_public[:, 0:1] * real[K:] + synthetic_part

    def simulate_one(v, key, alphas, betas, sizes, start, edges):
        consumer = edges.consumer if edged else None
        prepared = {route: counts.prepare(v.sources, route) for route in {routes["private"], routes["public"]}}

        def real_sizes(plan):
            """The K private samples' sizes, then the public sample's ``levels`` increments
            (:func:`numerics.driver.sizes.public_increments`: model k takes the first N_k tokens of the round's one
            public sample, nested prefixes, :mod:`theory.rounds`)."""
            return jnp.concatenate([plan.n_private[:, 0], public_increments(plan.n_public[:, 0], levels)[1]])

        def real_of(drawn, plan):
            """(2K, m): the private samples' frequencies, then model k's public prefix's, the increments' counts
            summed up to the one that ends at N_k (``drawn``: the counts of :func:`real_sizes`' samples)."""
            ends = public_increments(plan.n_public[:, 0], levels)[0]
            public = jnp.cumsum(drawn[K:], axis=0)[jnp.searchsorted(ends, plan.n_public[:, 0])]
            sizes = jnp.concatenate([plan.n_private[:, 0], plan.n_public[:, 0]])
            return JAX.per_sample(jnp.concatenate([drawn[:K], public]), sizes[:, None])

        def real_frequencies(key, plan):
            """(2K, m) of :func:`real_of`, the private and public samples in one draw where their routes agree."""
            sizes = real_sizes(plan)
            if together:
                return real_of(draw(key, prepared[routes["private"]], real_rows, sizes, ("private", "public")), plan)
            k_private, k_public = jax.random.split(key)
            private = draw(k_private, prepared[routes["private"]], real_rows[:K], sizes[:K], ("private",))
            public = draw(k_public, prepared[routes["public"]], real_rows[K:], sizes[K:], ("public",))
            return real_of(jnp.concatenate([private, public]), plan)

        k_start, k_rounds = jax.random.split(key)
        plan_0 = steps.round_plan(v, 0.0, steps.initial_beta(v, betas), sizes.initial, initial=True, consumer=consumer)
        real_0 = real_frequencies(k_start, plan_0)
        if start is None:
            shape = (edges.consumer.shape[0], m) if edged else (K, m) if st.mixture or st.split else (K, K, m)
            union_0 = training_set(plan_0, real_0, jnp.zeros(shape), edges)
        else:
            union_0 = steps.frequencies_of_fit(st, v, start, 0.0)

        def one_round(state, inputs):
            """state: the training frequencies of round t - 1 and the real ones; returns those of round t."""
            union, real = state
            key, alpha, beta, t, round_sizes = inputs
            plan = steps.round_plan(v, alpha, beta, round_sizes, initial=False, consumer=consumer)
            fitted = steps.fit(st, v, union, t - 1)
            sampled = jnp.clip(steps.tempered_probs(st, v, fitted), 0.0, 1.0)  # row j: what model j generates from
            if st.split:  # the real samples apart, then every model's slice of the pool
                k_real, k_pool = jax.random.split(key)
                if st.regime != "reuse":
                    real = real_frequencies(k_real, plan)
                synthetic = split_frequencies(k_pool, sampled, plan.n_synthetic, pool_capacity)
                batch = training_set(plan, real, synthetic, edges)
                union = (t * union + batch) / (t + 1) if st.regime == "accumulate" else batch
                return (union, real), (steps.fit(st, v, union, t) if trajectory else None)
            if st.mixture:  # row k: pibar_k; N = sum_j W[k, j] N, the expected counts (exact in float64 up to
                #             a rounding of their sum, which is a whole number)
                sampled = jnp.clip(v.mixing @ sampled, 0.0, 1.0)
                sizes = mixture_size(plan.n_synthetic)
            elif st.shared:  # sample (i, j): block i of model j's one sample (module doc)
                sizes = prefix_blocks(plan.n_synthetic)[0].reshape(K * K)
            else:
                sizes = plan.n_synthetic  # sample e: model p_e's data for model c_e
            rows = edges.producer if edged else synthetic_rows
            models = counts.prepare(sampled, routes["synthetic"])
            if all_together:  # the round's K + 1 real samples and the synthetic ones in one draw
                sources = counts.concatenate(prepared[routes["private"]], models)
                rows = jnp.concatenate([real_rows, K + 1 + rows])
                drawn = draw(key, sources, rows, jnp.concatenate([real_sizes(plan), sizes]), tuple(routes))
                real, drawn = real_of(drawn[: K + levels], plan), drawn[K + levels :]
            else:
                k_real, k_synthetic = jax.random.split(key)
                if st.regime != "reuse":
                    real = real_frequencies(k_real, plan)
                if st.curation:  # the k-tuples of draws and the choices themselves (theory.curation)
                    drawn = curated_counts(
                        k_synthetic,
                        sampled[rows],
                        v.curation_weights[rows],
                        jnp.asarray(best_of)[rows],
                        sizes,
                        capacities["synthetic"],
                        int(best_of.max()),
                    )
                else:
                    drawn = draw(k_synthetic, models, rows, sizes, ("synthetic",))
            batch = training_set(plan, real, synthetic_frequencies(plan, drawn, sizes), edges)
            union = (t * union + batch) / (t + 1) if st.regime == "accumulate" else batch
            return (union, real), (steps.fit(st, v, union, t) if trajectory else None)

        T = alphas.shape[0]
        ts = jnp.arange(1, T + 1, dtype=jnp.float64)
        inputs = (jax.random.split(k_rounds, T), alphas, betas, ts, sizes.rounds)
        (union, _), path = jax.lax.scan(one_round, (union_0, real_0), inputs)
        if trajectory:
            return jnp.concatenate([steps.fit(st, v, union_0, 0.0)[None], path])
        return steps.fit(st, v, union, float(T))[None]

    replicated = jax.vmap(simulate_one, in_axes=(None, 0, None, None, None, None, None))

    def program(v, keys, alphas, betas, sizes, start=None, edges=None):
        if edged and edges is None:
            v, sizes, edges = edge_slots.dense_pairs(v, sizes)
        return replicated(v, keys, alphas, betas, sizes, start, edges)

    return jax.jit(program)


def _size_bounds(eco: Ecosystem) -> dict[str, int]:
    """Sample sizes no alpha, beta in [0, 1] can exceed: n, or a reused dataset's own size."""
    n = int(eco.largest_n)
    reused = eco.regime == "reuse"
    private = max((s.size if reused and s.size is not None else n) for s in eco.private)
    public = eco.public.size if reused and eco.public.size is not None else n
    return {"private": private, "public": public, "synthetic": n}


def drawn_per_source(eco: Ecosystem, method: str) -> int:
    """Numbers per category a source holds while drawn in a round: its tokens (raw: all; else only below the
    counts route's threshold, :func:`numerics.samplers.counts.cheaper_route`), at least its counts; under the
    ``split`` pool at least its share of the pool's tokens (their one-hot rows and cumulative sums, 2 m + 4 numbers
    each: :func:`numerics.driver.sizes.split_pool_share`); under ``rolling`` at least a corpus's n tokens."""
    if eco.n is None:
        return 1
    largest = max(_size_bounds(eco).values())
    drawn = largest if method == "raw" else min(largest, counts.TOKENS_PER_CATEGORY * eco.dim)
    corpora = -(-eco.n // eco.dim) if eco.regime == "rolling" else 0  # the corpora's n tokens a model, per category
    curated = 0 if eco.curation is None else -(-eco.n * max(steps.structure(eco).curation) // eco.dim)  # k-tuples
    return max(drawn, split_pool_share(eco, 2 * eco.dim + 4, eco.dim), corpora, curated)


def compiled_simulation(
    eco: Ecosystem,
    rounds: int,
    method: str = "sufficient",
    trajectory: bool = True,
    any_schedule: bool = False,
    start=None,
):
    """(f, alphas, betas, sizes): the jitted f(keys, alphas, betas, sizes) -> probs of :func:`simulate` and the
    spec's schedules and their sample sizes (:mod:`numerics.driver.sizes`). Its arrays hold the largest samples of the
    spec's schedules; with ``any_schedule`` they hold any alpha, beta in [0, 1], so alphas, betas and sizes may be
    replaced by others of the same length (sweeps vmap). ``start``: None or p_0 (K x m), the state of round 0.
    W and the synthetic sizes are dense (K, K) tables (refused up front where they cannot fit,
    :func:`dense_tables`), all K^2 pairs edges (:func:`numerics.categorical.edge_slots.dense_pairs`): for a W
    without zeros the draws of :func:`simulate`'s edge path."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    require_categorical(eco)
    require_dense_tables(eco, dense_tables(eco, rounds, edged=False))
    return _compiled(eco, rounds, method, trajectory, any_schedule, start)


class HostInputs(NamedTuple):
    """What :func:`simulate` computes on the host: the values (:func:`numerics.categorical.steps.values`), the
    edges (:class:`numerics.categorical.edge_slots.EdgeArrays`, None for dense W and sizes), the largest number of
    edges of a consumer (0 when dense), the schedules and their sample sizes (numpy)."""

    values: steps.Values
    edges: EdgeArrays | None
    degree: int
    alphas: object
    betas: object
    sizes: Sizes


def _host_inputs(eco: Ecosystem, rounds: int, edges=None) -> HostInputs:
    """The spec's numbers, schedules and sample sizes, dense or, given ``edges``
    (:class:`numerics.driver.edges.Edges`), with W and the synthetic sizes on them (no K x K table)."""
    alphas, betas = alphas_betas(eco, rounds)
    sizes = spec_sizes(eco, rounds, edges=edges is not None)
    if edges is None:
        return HostInputs(steps.values(eco), None, 0, alphas, betas, sizes)
    arrays, degree = edge_slots.edge_arrays(edges)
    return HostInputs(steps.values(eco, edges.weight), arrays, degree, alphas, betas, sizes)


def _compiled(eco: Ecosystem, rounds: int, method: str, trajectory: bool, any_schedule: bool, start, edges=None):
    """:func:`compiled_simulation`, dense or, given ``edges`` (:class:`numerics.driver.edges.Edges`), with W and the
    synthetic sizes on them (:func:`_host_inputs`)."""
    v, arrays, degree, alphas, betas, sizes = _host_inputs(eco, rounds, edges)
    capacities = static_sizes(eco, rounds, sizes)  # raises for the population limit
    if any_schedule:
        capacities = _size_bounds(eco)
    bounds, trajectory = tuple(sorted(capacities.items())), bool(trajectory)
    st = steps.structure(eco)
    on_edges = {} if arrays is None else {"edges": EdgeArrays(*map(jnp.asarray, arrays))}
    compact = arrays is None or edge_slots.compact(eco.K, degree, len(arrays.consumer))
    start = given_start(eco, start)
    if eco.regime == "rolling":  # every method draws the corpora's tokens (numerics.categorical.rolling)
        if start is not None:
            raise SpecError(
                "start", "rolling corpora start from their real training sets (a given p_0 is not a corpus)"
            )
        run = functools.partial(rolling_program(st, int(eco.n), trajectory), v)
    elif method == "sufficient" and start is None and categorical_tokens.applies(eco, capacities, compact):
        program = categorical_tokens.token_list_program(st, bounds, trajectory, degree)
        run = functools.partial(program, v, categorical_tokens.alias_arrays(v), **on_edges)
    else:
        pool = split_pool_size(eco) if eco.pool == "split" else 0
        levels = eco.K if any_schedule else public_levels(sizes)  # a sweep's points may take other public sizes
        program = simulation_program(st, method, bounds, trajectory, pool, degree, levels=levels)
        run = functools.partial(program, v, start=start, **on_edges)
    return run, alphas, betas, device(sizes)


def simulate(
    eco: Ecosystem,
    rounds: int,
    key,
    replicates: int = 1000,
    method: str = "sufficient",
    trajectory: bool = True,
    memory: int | None = None,
    start=None,
) -> CategoricalMonteCarlo:
    """Simulate ``replicates`` independent runs for ``rounds`` update rounds (``key``: PRNG key or int seed),
    from the initial fit to real samples or, given ``start`` (p_0, K x m probabilities), from p_0 in every
    replicate (:mod:`theory.start`; e.g. K = 1, alpha = 1, W = [[1]], ``fresh``: the Wright-Fisher chain).

    ``method``: ``"sufficient"`` (default) takes the cheapest exact route: token lists while samples have at most
    1.5 m tokens, at tau = 1 under reuse or fresh, composition fixed (:mod:`numerics.categorical.tokens`: a token
    of a fit in O(1)); else tokens located by inverse CDF while samples have at most 4 m tokens, counts from a
    tree of binomials beyond, so the cost stops growing with n. ``"raw"`` locates every token in the fits'
    cumulative probabilities (the reference); ``"multinomial"`` always draws the counts directly. All three have
    the same law; under ``regime="rolling"`` every method carries the corpora's tokens
    (:mod:`numerics.categorical.rolling`). Under ``composition="mixture"`` a model's N synthetic samples are one
    draw; under the ``shared`` pool the models take prefixes of one sample of each model (module doc; never token
    lists). Under ``curation`` each kept synthetic sample is the winner of its own k-tuple of draws, the tuples and
    the Bradley-Terry choices drawn (:mod:`numerics.samplers.curation`; never token lists).
    ``trajectory=False`` keeps only the final round's fits (memory R K m instead of R (T+1) K m). Replicates run
    in chunks of bounded memory; what cannot fit in ``memory`` bytes (default: available) is refused up front
    (:mod:`numerics.driver.limits`).
    """
    replicates = require_count(replicates, "replicates", 1)
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    require_categorical(eco)
    eco.check_rounds(rounds)
    if eco.n is None:
        raise SpecError("n", "Monte Carlo needs finite sample sizes; n = None is the population limit")
    kept = rounds + 1 if trajectory else 1
    edged = draws_edges(eco)
    largest = drawn_per_source(eco, method)
    chunk = replicate_chunk(eco, rounds, replicates, kept_rounds=kept, drawn_per_source=largest, memory=memory)
    edges = graph_edges(eco) if edged else None
    run, alphas, betas, sizes = _compiled(eco, rounds, method, trajectory, False, start, edges)
    seed, key = prng_key(key)
    probs = run_in_chunks(run, replicate_keys(key, replicates), chunk, alphas, betas, sizes)
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return CategoricalMonteCarlo(eco, seed, key_data, method, rounds, probs)
