"""Monte Carlo of Poisson ecosystems: the sampling process itself, from exact sufficient statistics.

Every source of a round contributes the mean of its N samples. A sample of N draws of Poisson(rate) sums to one
Poisson(N rate) count, so method ``"sufficient"`` (the default) draws one Poisson per source and round, whatever
N; ``"raw"`` draws every sample and sums them (the reference; the same law). Each model refits its rate, the
weighted mean of its sources' means (:mod:`theory.poisson.maps`): model k takes the first N_public,k draws of
the round's one public sample (nested prefixes, :mod:`theory.rounds`), each model draws its own synthetic
samples, and the real samples are drawn once under ``reuse``. Replicates are ``vmap``-ped, each with its own key
(``jax.random.split(key, R)[r]``), and run in chunks of bounded memory.

Under the fixed composition and the ``own`` pool a round draws one synthetic source per edge of the trains-on graph
(:mod:`numerics.driver.edges`: e = 0..E-1 with W[c_e, p_e] > 0, consumer c_e, producer p_e), N_e =
n_synthetic[c_e, p_e] draws of Poisson(lambda_{p_e}), and each model's refit sums its edges' weighted means with
segment sums: work and memory grow as E + K (a ring: 3K sources), not K^2. The edges, their weights and sizes
are inputs, their number part of the compiled structure (array shapes); given a dense W (a sweep's, or
:func:`compiled_simulation`'s) all K^2 pairs are the edges, in row-major order, so a W without zeros draws the
same sources in the same order on either path: the same numbers. A W with zeros draws no source for them, so
the same seed gives other draws than the dense path (the same law). The ``mixture`` composition and the
``shared`` and ``split`` pools take W and the sizes as dense (K, K) tables.

As for the exact recursions, the compiled simulator depends on the structure alone (K, regime, method, and for
``raw`` the largest sample sizes): rates, W, alpha, beta, sample sizes, seeds and replicate counts are inputs.

>>> from interplay.theory.poisson import poisson_ecosystem
>>> alone = poisson_ecosystem([1], 1, alpha=1, beta=1, mixing=[[1]], n=2, regime="fresh")
>>> mc = simulate(alone, rounds=200, key=0, replicates=400)
>>> bool((mc.rates[:, -1, 0] == 0).mean() > 0.9)  # one model on its own outputs: the rate collapses to 0
True

(Its counts C_t = n lambda_t form a Galton-Watson process with Poisson(1) offspring: P(lambda_200 = 0) = 0.98.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver import limits
from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.edges import Edges, all_pairs, graph_edges
from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.driver.keys import prng_key, replicate_keys
from interplay.numerics.driver.limits import (
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
from interplay.numerics.homogenisation_measures import squared_distance
from interplay.numerics.poisson.iterate import given_start, plan, require_poisson, schedule_inputs, structure, values
from interplay.numerics.samplers.mixture import source_indices
from interplay.numerics.samplers.split import pool_order
from interplay.theory.spec import Ecosystem, SpecError

METHODS = ("sufficient", "raw")


@dataclass(frozen=True)
class PoissonMonteCarlo(SimulatedReplicates):
    """Simulated fitted rates (R, T+1, K) over rounds t = 0..T, or (R, 1, K) holding round T alone when simulated
    with ``trajectory=False``; with the spec, the method and the key that made them."""

    ecosystem: Ecosystem
    seed: int | None
    key: tuple[int, ...]
    method: str
    rounds: int
    rates: np.ndarray
    checked = ("rates",)
    dims = {"rates": ("replicate", "round", "model")}

    def squared_distance(self) -> np.ndarray:
        """(R, rounds kept, K, K): (lambda_k - lambda_l)^2 per replicate."""
        return squared_distance(self.rates[..., None])


def sample_sums(key, rates, sizes, method: str, capacity: int):
    """The sum of ``sizes`` draws of Poisson(``rates``) (arrays of one shape; sizes >= 0 exact integers):
    ``sufficient`` one Poisson(N rate) count; ``raw`` the first N of ``capacity`` draws, summed; 0 for N = 0 (a
    source of weight 0 draws nothing)."""
    if method == "sufficient":
        return jax.random.poisson(key, sizes * rates, dtype=jnp.int64).astype(jnp.float64)
    draws = jax.random.poisson(key, rates[..., None], shape=rates.shape + (capacity,), dtype=jnp.int64)
    kept = jnp.arange(capacity) < sizes[..., None]
    return jnp.where(kept, draws, 0).sum(-1).astype(jnp.float64)


def sample_means(key, rates, sizes, method: str, capacity: int):
    """The mean of ``sizes`` draws of Poisson(``rates``) (:func:`sample_sums` / N; 0 for N = 0)."""
    return JAX.per_sample(sample_sums(key, rates, sizes, method, capacity), sizes)


def prefix_sums(key, first, rate, sizes, levels: int, method: str, capacity: int):
    """(K,): the sum of the first ``sizes[k]`` draws of one sample of Poisson(``rate``) (the round's public sample
    under ``fresh`` and ``accumulate``: nested prefixes, :mod:`theory.rounds`), ``first`` the sum of its first
    min_k sizes[k] draws (drawn with the round's other samples): the draws between consecutive distinct sizes as
    independent sums (:func:`numerics.driver.sizes.public_increments`, at most ``levels`` - 1 of them), the i-th
    from its own key fold_in(key, i) (so a larger bound ``levels`` leaves the draws unchanged), cumulative sums the
    prefixes' totals."""
    ends, counts = public_increments(sizes, levels)
    further = jax.vmap(lambda i, count: sample_sums(jax.random.fold_in(key, i), rate, count, method, capacity))
    totals = first + jnp.cumsum(further(jnp.arange(levels), counts.at[0].set(0.0)))  # increment 0 is ``first``
    return totals[jnp.searchsorted(ends, sizes)]


def mixture_means(key, rates, mixing, sizes, method: str, capacity: int):
    """Per model k, the mean of ``sizes[k]`` draws of the mixture sum_j W[k, j] Poisson(lambda_j) (the ``mixture``
    composition's synthetic sample): each draw's model j from :func:`numerics.samplers.mixture.source_indices`
    (the first ``sizes[k]`` of ``capacity``), then ``sufficient`` one Poisson count at the sum of the chosen
    rates, ``raw`` one count per draw, summed (the same law); 0 for a size of 0."""
    pick, draw = jax.random.split(key)
    kept = jnp.arange(capacity) < sizes[:, None]
    chosen = jnp.where(kept, rates[source_indices(pick, mixing, capacity)], 0.0)  # (K, capacity)
    if method == "sufficient":
        counts = jax.random.poisson(draw, chosen.sum(1), dtype=jnp.int64)
    else:
        counts = jnp.where(kept, jax.random.poisson(draw, chosen, dtype=jnp.int64), 0).sum(1)
    return JAX.per_sample(counts.astype(jnp.float64), sizes)


def shared_means(key, rates, sizes, capacity: int):
    """(K, K): the ``shared`` pool's means, model k's of the first ``sizes[k, j]`` draws of one sample of capacity
    draws of Poisson(lambda_j) per model j (prefix sums of raw draws: nested prefixes, :mod:`theory.pools`)."""
    K = rates.shape[0]
    draws = jax.random.poisson(key, rates[:, None], shape=(K, capacity), dtype=jnp.int64)
    prefix = jnp.cumsum(draws, axis=1).astype(jnp.float64)  # (j, i): the sum of model j's first i + 1 draws
    taken = prefix[jnp.arange(K)[None, :], jnp.clip(sizes.astype(jnp.int64) - 1, 0, capacity - 1)]  # (k, j)
    return JAX.per_sample(taken, sizes)


def split_rates(key, rates, sizes, capacity: int):
    """(K,): the mean rate of each model's slice of the ``split`` pool (:mod:`theory.pools`; the pool's random order
    and slices from :func:`numerics.samplers.split.pool_order`, ``sizes``: N_kj). Given the slice's make-up its
    count is Poisson(the sum of its rates) = Poisson(N_k times this mean rate), so the slice is drawn as a sample of
    N_k draws at it (:func:`sample_means`: the same law of the slice's mean, with the round's other samples in one
    call); 0 for a slice of none."""
    K = rates.shape[0]
    owner, slice_of = pool_order(key, sizes, capacity)
    totals = jax.ops.segment_sum(jnp.append(rates, 0.0)[owner], slice_of, num_segments=K + 1)[:K]
    return JAX.per_sample(totals, sizes.sum(1))


class SimulationValues(NamedTuple):
    """The numbers the simulator reads (:class:`theory.poisson.maps.PoissonValues`: the real rates (K+1, 1) and W)
    and, under the fixed composition and the ``own`` pool, the edges' consumers and producers
    (:mod:`numerics.driver.edges`), ``mixing`` then holding their weights (E,) and the sizes' n_synthetic (..., E);
    without them (None, or a PoissonValues, as a sweep gives them) W (K, K) and n_synthetic (..., K, K) are dense,
    all K^2 pairs edges (:func:`edge_inputs`)."""

    rates: object
    mixing: object
    consumer: object = None
    producer: object = None


def simulation_values(eco: Ecosystem, edges: Edges | None = None) -> SimulationValues:
    """The spec's numbers as the simulator takes them: W dense, or on ``edges`` (no K x K array)."""
    if edges is None:
        return SimulationValues(*values(eco))
    on_edges = values(eco, edges.weight)
    return SimulationValues(*on_edges, jnp.asarray(edges.consumer), jnp.asarray(edges.producer))


def edge_inputs(numbers, sizes: Sizes) -> tuple[SimulationValues, Sizes]:
    """The values and sizes of the edge path: as given on edges; a dense W and n_synthetic as all K^2 pairs
    (:func:`numerics.driver.edges.all_pairs`: for a W without zeros the same sources in the same order, the same
    draws)."""
    if getattr(numbers, "consumer", None) is not None:
        return numbers, sizes
    weight, consumer, producer, sizes = all_pairs(numbers.mixing, sizes)
    return SimulationValues(numbers.rates, weight, consumer, producer), sizes


def per_consumer(x, consumer, K: int):
    """(K,): each model's sum of x (E,) over its edges (``consumer`` sorted): segment sums; for E = K^2 edges (all
    pairs, row-major) the rows of x as a (K, K) table summed, the dense table's own sums in its own order."""
    if consumer.shape[0] == K * K:
        return x.reshape(K, K).sum(1)
    return jax.ops.segment_sum(x, consumer, num_segments=K, indices_are_sorted=True)


@compiled_cache
def simulator(
    shape: Ecosystem,
    method: str,
    capacity: int,
    trajectory: bool,
    levels: int,
    mixture_capacity: int = 0,
    pool_capacity: int = 0,
):
    """A jitted, replicate-vmapped f(keys (R, 2), values, beta_1, alphas (T,), betas (T,), sizes, start=None) ->
    rates (R, T+1 or 1, K) for the :func:`numerics.poisson.iterate.structure` ``shape``; ``capacity``: the largest
    sample size (``raw`` only; 0 for ``sufficient``).

    Rounds 0..T run in one ``lax.scan`` (round 0 is a round with alpha = 0, beta = beta_1: the initial fit, whose
    rates the given ``start`` (K,) replaces in every replicate; its real samples are drawn all the same), each
    drawing the means of all K + 1 + E samples of the round in one call: the K private and the public sample
    (its first prefix; the models' larger prefixes by :func:`prefix_sums`, at most ``levels`` distinct ones:
    :func:`numerics.driver.sizes.public_levels`, or K for a sweep; under ``reuse`` the real samples of round 0 are
    kept) and, per edge e of W (:func:`edge_inputs`: all K^2 pairs given a dense W), consumer c_e's sample of
    producer p_e, at rate lambda_{p_e}, summed per consumer (:func:`per_consumer`). Under the
    ``mixture`` composition model k's synthetic sample is one sample of the mixture instead (:func:`mixture_means`,
    up to ``mixture_capacity`` draws); under the ``shared`` pool the models that scrape model j take prefixes of one
    sample of it (:func:`shared_means`, ``pool_capacity`` draws); under the ``split`` pool model k's synthetic sample
    is its slice of the pooled outputs (:func:`split_rates`, ``pool_capacity`` positions): :func:`synthetic_capacities`.
    """
    K = shape.K
    mixture = shape.composition == "mixture"
    shared = shape.pool == "shared"
    split = shape.pool == "split"
    edged = not (mixture or shared or split)  # one synthetic source per edge of W, drawn with the real ones

    def simulate_one(key, numbers, beta_1, alphas, betas, sizes, start):
        consumer = producer = None
        if edged:
            numbers, sizes = edge_inputs(numbers, sizes)
            consumer, producer = numbers.consumer, numbers.producer

        def one_round(state, inputs):
            rates, real = state
            key, alpha, beta, t, round_sizes = inputs
            round_plan = plan(shape, numbers, alpha, beta, round_sizes, initial=False, consumer=consumer)
            key, pick = (key, None) if edged else jax.random.split(key)
            drawn = [numbers.rates[:, 0]] + ([rates[producer]] if edged else [])  # edge e at rate lambda_{p_e}
            public_sizes = round_plan.n_public[:, 0]
            sample_sizes = [round_plan.n_private[:, 0], public_sizes.min()[None]]  # the public sample's first prefix
            sample_sizes += [round_plan.n_synthetic] if edged else []
            if split:  # model k's slice: N_k draws at its mean rate, with the real samples
                drawn.append(split_rates(pick, rates, round_plan.n_synthetic, pool_capacity))
                sample_sizes.append(round_plan.n_synthetic.sum(1))
            sizes_drawn = jnp.concatenate(sample_sizes)
            sums = sample_sums(key, jnp.concatenate(drawn), sizes_drawn, method, capacity)
            means = JAX.per_sample(sums, sizes_drawn)
            public_rate = numbers.rates[K, 0]
            public = prefix_sums(
                jax.random.fold_in(key, 1), sums[K], public_rate, public_sizes, levels, method, capacity
            )
            drawn_real = jnp.concatenate([means[:K], JAX.per_sample(public, public_sizes)])  # (2K,): model k's public
            real = jnp.where(t == 0, drawn_real, real) if shape.regime == "reuse" else drawn_real
            if mixture:
                n_synthetic = mixture_size(round_plan.n_synthetic)
                drawn_synthetic = mixture_means(pick, rates, numbers.mixing, n_synthetic, method, mixture_capacity)
                synthetic = round_plan.w_synthetic.sum(1) * drawn_synthetic
            elif shared:
                means_kj = shared_means(pick, rates, round_plan.n_synthetic, pool_capacity)
                synthetic = (round_plan.w_synthetic * means_kj).sum(1)
            elif split:
                synthetic = round_plan.w_synthetic.sum(1) * means[K + 1 :]
            else:
                synthetic = per_consumer(round_plan.w_synthetic * means[K + 1 :], consumer, K)
            batch = round_plan.w_private[:, 0] * real[:K] + round_plan.w_public[:, 0] * real[K:] + synthetic
            rates = (t * rates + batch) / (t + 1) if shape.regime == "accumulate" else batch
            if start is not None:
                rates = jnp.where(t == 0, start, rates)
            return (rates, real), (rates if trajectory else None)

        every = jax.tree.map(lambda first, rest: jnp.concatenate([first[None], rest]), sizes.initial, sizes.rounds)
        T = alphas.shape[0]
        inputs = (
            jax.random.split(key, T + 1),
            jnp.concatenate([jnp.zeros((1,) + alphas.shape[1:]), alphas]),  # alphas, betas: (T,) or per model (T, K)
            jnp.concatenate([jnp.reshape(beta_1, (1,) + betas.shape[1:]), betas]),
            jnp.arange(T + 1, dtype=jnp.float64),
            every,
        )
        (rates, _), path = jax.lax.scan(one_round, (jnp.zeros(K), jnp.zeros(2 * K)), inputs)
        return path if trajectory else rates[None]

    replicated = jax.vmap(simulate_one, in_axes=(0, None, None, None, None, None, None))

    def program(keys, numbers, beta_1, alphas, betas, sizes, start=None):
        return replicated(keys, numbers, beta_1, alphas, betas, sizes, start)

    return jax.jit(program)


def synthetic_capacities(eco: Ecosystem) -> tuple[int, int]:
    """(mixture_capacity, pool_capacity) of :func:`simulator`: n, which bounds N_syn and every N_kj for any alpha
    and beta, and :func:`numerics.driver.sizes.split_pool_size`, which bounds the split pool's M, so a sweep's points
    and ``simulate`` draw alike; 0 where the spec has no mixture, shared or split pool."""
    if eco.n is None:
        return 0, 0
    n = int(eco.largest_n)
    pool = n if eco.pool == "shared" else split_pool_size(eco) if eco.pool == "split" else 0
    return (n if eco.composition == "mixture" else 0), pool


def drawn_per_source(eco: Ecosystem, method: str) -> int:
    """Numbers a source holds while drawn in a round: one count (sufficient), or every sample (raw: the
    largest sample size); under the ``split`` pool at least its share of the pool's positions (keys, order, owners,
    slices, rates: 6 each, :func:`numerics.driver.sizes.split_pool_share`)."""
    if eco.n is None:
        return 1
    pool = split_pool_share(eco, 6)
    if method == "sufficient":
        return max(1, pool)
    sizes = [int(eco.largest_n)] + [s.size for s in (*eco.private, eco.public) if eco.regime == "reuse" and s.size]
    return max(sizes + [pool])


def dense_tables(eco: Ecosystem, rounds: int, edged: bool) -> int:
    """:func:`numerics.driver.limits.dense_tables` of this program: W on the host and the device, the rounds' sizes
    on the device (T + 1) and their concatenation in the program (T + 1)."""
    return limits.dense_tables(eco, rounds, edged, compiled=2 + 2 * (rounds + 1))


def _compiled(
    eco: Ecosystem, rounds: int, method: str, trajectory: bool, start, edged: bool, levels: int | None = None
):
    """(f, inputs) of :func:`compiled_simulation`, the inputs on W's edges where ``edged`` (W and the sizes on
    them: no K x K table), dense else; the public sample drawn as ``levels`` increments (None: as many as the
    spec's distinct public sizes, :func:`numerics.driver.sizes.public_levels`)."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    require_poisson(eco)
    edges = graph_edges(eco) if edged else None
    sizes = spec_sizes(eco, rounds, edges=edged)
    capacity = max(static_sizes(eco, rounds, sizes).values()) if method == "raw" else 0  # raises for n = None
    levels = public_levels(sizes) if levels is None else levels
    run = simulator(structure(eco), method, capacity, bool(trajectory), levels, *synthetic_capacities(eco))
    numbers = simulation_values(eco, edges)
    return run, (numbers, *schedule_inputs(eco, rounds), device(sizes), given_start(eco, start))


def compiled_simulation(eco: Ecosystem, rounds: int, method: str = "sufficient", trajectory: bool = True, start=None):
    """(f, inputs): the jitted f of :func:`simulator` for the spec's structure and its inputs after the keys
    (values, beta_1, alphas, betas, sizes, start), so that ``f(keys, *inputs)`` simulates the spec (from the
    given ``start``, the K rates, if not None). W and the sample sizes are dense (K, K) tables, as a sweep gives
    them (refused naming K where they cannot fit: :func:`dense_tables`); :func:`simulate` gives them on W's edges
    where the Monte Carlo draws edges (:func:`numerics.driver.limits.draws_edges`). Like a sweep it draws K public
    increments, K - 1 of them empty for alike models (the same draws as :func:`simulate`'s fewer: :func:`prefix_sums`).
    """
    require_poisson(eco)
    require_dense_tables(eco, dense_tables(eco, rounds, edged=False))
    return _compiled(eco, rounds, method, trajectory, start, edged=False, levels=eco.K)


def simulate(
    eco: Ecosystem,
    rounds: int,
    key,
    replicates: int = 1000,
    method: str = "sufficient",
    trajectory: bool = True,
    memory: int | None = None,
    start=None,
) -> PoissonMonteCarlo:
    """Simulate ``replicates`` independent runs for ``rounds`` update rounds (``key``: PRNG key or int seed),
    from the initial fit or, given ``start`` (the K rates), from those rates in every replicate.

    ``method``: ``"sufficient"`` (one Poisson count per source and round) or ``"raw"`` (every sample); the same
    law. ``trajectory=False`` keeps only the final round's rates. What cannot fit in ``memory`` bytes (default:
    available) is refused up front (:mod:`numerics.driver.limits`). Under the fixed composition and the ``own``
    pool W and the sample sizes are taken on W's edges (no K x K table: a ring of K = 10,000 models draws 3K
    sources a round); the other compositions and pools refuse naming K the dense tables that cannot fit
    (:func:`dense_tables`).
    """
    replicates = require_count(replicates, "replicates", 1)
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    require_poisson(eco)
    eco.check_rounds(rounds)
    if eco.n is None:
        raise SpecError("n", "Monte Carlo needs finite sample sizes; n = None is the population limit")
    edged = draws_edges(eco)
    require_dense_tables(eco, dense_tables(eco, rounds, edged), memory)
    kept = rounds + 1 if trajectory else 1
    largest = drawn_per_source(eco, method)
    chunk = replicate_chunk(eco, rounds, replicates, kept_rounds=kept, drawn_per_source=largest, memory=memory)
    run, inputs = _compiled(eco, rounds, method, trajectory, start, edged)
    seed, key = prng_key(key)
    rates = run_in_chunks(run, replicate_keys(key, replicates), chunk, *inputs)
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return PoissonMonteCarlo(eco, seed, key_data, method, rounds, rates)
