"""Monte Carlo of the actual finite-sample process: from raw samples, or from their exact sufficient statistics.

Each round each model assembles its training set: its private and the public real samples (drawn once under ``reuse``,
anew each round under ``fresh`` and ``accumulate``; model k takes the first N_public,k draws of the round's one public
sample, nested prefixes: :mod:`theory.rounds`, drawn as its increments between the distinct N_public,k, so alike
models draw one public sample: :func:`_public_prefixes`) and its own draws from every model's current fit N(m_j, S_j),
in the sizes of :mod:`theory.rounds`; then it refits with the weighted estimator of :mod:`theory.gaussian.maps`. The
fit sees each source only through its sample mean xbar and its scatter about it per sample, A / N = (1/N) sum (x -
xbar)(x - xbar)^T, so each source of a round is reduced to (xbar, A / N) by a sampler:

* ``method="raw"`` draws the N samples themselves (the reference; memory and time grow with n);
* ``method="sufficient"`` (default) draws xbar and the scatter from their exact joint law
  (:mod:`numerics.samplers.wishart`), so cost and memory do not depend on n. Its standard variates depend on the
  sample sizes only, so they are drawn ahead for blocks of up to 16 rounds, and a round is arithmetic on
  them. A kind of source whose samples are all tiny (at most :data:`RAW_BELOW`, e.g. each model's draws from
  each of many models) is cheaper drawn raw, and is. Both methods give the same distribution
  (tests/test_sufficient_statistics.py).

Under the fixed composition and the ``own`` pool a round draws one synthetic source per edge of the trains-on
graph (:mod:`numerics.driver.edges`: e = 0..E-1 with W[c_e, p_e] > 0, consumer c_e, producer p_e), N_e =
n_synthetic[c_e, p_e] samples of N(m_{p_e}, S_{p_e}), and each model's refit sums its edges' weighted statistics
with segment sums: work and memory grow as E + K (a ring: 3K sources), not K^2. The number of edges is part of the
compiled structure (array shapes), the edges and their weights and sizes are arguments, so two rings of the same K
share a program; given a dense W (a sweep's, whose swept entries may be 0) all K^2 pairs are the edges. The
``mixture`` composition and the ``shared`` and ``split`` pools still take W and the sizes as dense (K, K) tables.
Under ``composition="mixture"`` model k's synthetic part is one source of N_syn samples whose sources j are drawn
with probabilities W[k, :] (:func:`numerics.samplers.mixture.source_indices`), x = m_j + M_j z: always drawn raw
(the kind ``mixture``, N_max samples, the largest N_syn of the run, the first N_syn of each round counting), with
its own key split from the round's; the real sources are drawn as above and the fixed composition is unchanged.
Under ``pool="shared"`` (:mod:`theory.pools`) the models that scrape model j take prefixes of one sample of it: the
kind ``shared``, always raw, one sample of C = n draws u_i = M_j z_i per model j (n bounds every N_kj, so
:func:`simulate` and a sweep draw alike), of which model k takes the first N = N_kj: with the prefix sums U_N =
sum_{i<N} u_i and P_N = sum_{i<N} u_i u_i^T, its mean m_j + U_N / N and scatter per sample P_N / N - (U_N / N)(U_N /
N)^T, centred at the generating mean (no raw moments of large means); its own key split from the round's.
Under ``pool="split"`` the pooled outputs of all models are cut at random into one slice per model: the kind
``split``, always raw, model j's M_j = sum_k N_kj draws x = m_j + M_j z in the random order of
:func:`numerics.samplers.split.pool_order` (capacity :func:`numerics.driver.sizes.split_pool_size`), each slice one
synthetic source of weight alpha_t whose mean and scatter are segment sums (the scatter about the slice's own mean,
two passes); its own key split from the round's.

Under ``estimator="debiased"`` (:mod:`theory.gaussian.debiased`) each model's fitted mean is replaced by the
precision-weighted average of its round estimates u_k = (m_k - alpha_t sum_j W[k, j] m_j) / (1 - alpha_t), m_k the
round's plain fit and m_j the fits the round drew from, precision (1 - alpha_t)^2 / nu_k of the round (its running
sum kept in the state); its covariance is the plain MLE fit's.
Every fitted covariance is positive semi-definite by construction: S = c sum_s w_s [A_s / N_s + (xbar_s - m)
(xbar_s - m)^T], a sum of positive semi-definite terms (never a raw second moment minus m m^T, which rounding
makes indefinite once S is small against m m^T, as when a fit collapses). Under ``accumulate`` the union of the
batches 0..t is merged with the batch t+1 by the parallel-axis rule: with weights a = t/(t+1) and b = 1/(t+1),
U' = a U + b U_batch + a b (m - m_batch)(m - m_batch)^T. Synthetic samples are drawn as m_j + M z with M the
symmetric root of S_j from its eigendecomposition, eigenvalues clipped at 0: S_j is positive semi-definite but
may be singular (a collapsed fit), where a Cholesky factor does not exist; the clipping removes only round-off.
Under threshold ``curation`` (d = 1, fixed composition, own pool: :mod:`theory.curation`) each edge's synthetic
sample is drawn raw whatever the method (the kind ``curated``, n samples): x = m_j + s_j z, z the standard normal
truncated to z > (c_j - m_j) / s_j by the inverse CDF (:func:`_truncated_normals`); the sufficient statistics of a
truncated sample have no closed law, so ``method="sufficient"`` routes this kind raw as it does the mixture's.
The simulation runs in centred coordinates (:func:`theory.gaussian.maps.centred`, the public mean as origin, added
back to the means at the end), so a common shift of all means changes the fits by rounding of the origin only.
The simulator is written for one replicate and vmapped over the replicates' keys (replicate r's key is
``jax.random.split(key, R)[r]``), compiled once per structure (K, d, regime, estimator, composition, pool, method; raw:
the largest sample sizes) with the ecosystem's numbers, the schedules and the sample sizes as arguments, so new
values, seeds and replicate counts do not recompile. Random stream: before the issue-12 change every replicate
was drawn from the one key (the gamma sampler pooled the rejected candidates of all replicates), so the same
seed now gives other draws (the same law); a replicate's draws no longer depend on the others. Since the edge
path (issue 13) a W with zeros draws no source for them, so the same seed gives other draws where W has zeros (the
same law; a W without zeros draws as before), and the mixture's producers are drawn from alias tables
(:mod:`numerics.samplers.mixture`), so its draws changed too (the same law). Since the public sample is drawn as
its increments between the distinct public sizes only (issue 13: K - 1 of the K increments of alike models were
empty), drawn apart from the other sources, and the gamma sampler draws each element from its own index, the same
seed gives other draws again (the same law).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.edges import Edges, all_pairs, graph_edges
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
from interplay.numerics.driver.schedules import model_values, schedules
from interplay.numerics.driver.sizes import (
    Sizes,
    device,
    largest,
    mixture_size,
    public_increments,
    public_levels,
    spec_sizes,
    split_pool_share,
    split_pool_size,
    static_sizes,
)
from interplay.numerics.gaussian import step
from interplay.numerics.gaussian.iterate import given_start, require_gaussian
from interplay.numerics.samplers.mixture import alias_draws, alias_tables
from interplay.numerics.samplers.split import pool_order
from interplay.numerics.samplers.wishart import standard_draws, statistics_from_draws
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.spec import Ecosystem, SpecError

METHODS = ("sufficient", "raw")


@dataclass(frozen=True)
class MonteCarlo(SimulatedReplicates):
    """Simulated fitted parameters over rounds t = 0..T, with what made them.

    means: (R, T+1, K, d); covs: (R, T+1, K, d, d); R replicates; method: ``"sufficient"`` or ``"raw"``.
    """

    ecosystem: Ecosystem
    seed: int | None
    key: tuple[int, ...]
    method: str
    means: np.ndarray
    covs: np.ndarray
    checked = ("means", "covs")
    dims = {
        "means": ("replicate", "round", "model", "component"),
        "covs": ("replicate", "round", "model", "component", "component2"),
    }

    @property
    def rounds(self) -> int:
        return self.means.shape[1] - 1


def _symmetric_root(cov):
    """Symmetric square roots of PSD, possibly singular, matrices (..., d, d) (round-off eigenvalues below zero
    clipped to zero)."""
    if cov.shape[-1] == 1:
        return jnp.sqrt(jnp.clip(cov, 0.0))
    values, vectors = jnp.linalg.eigh(cov)
    return (vectors * jnp.sqrt(jnp.clip(values, 0.0))[..., None, :]) @ jnp.swapaxes(vectors, -1, -2)


def _sample_statistics(samples, size):
    """Mean xbar and scatter per sample (1/N) sum (x - xbar)(x - xbar)^T of the first N = ``size`` rows of
    ``samples`` (N_max, d); both 0 for N = 0 (a source of weight 0 draws nothing)."""
    mask = (jnp.arange(samples.shape[0]) < size)[:, None]
    mean = step.per_sample((samples * mask).sum(0), size)
    centred = (samples - mean) * mask
    return mean, step.per_sample(centred.T @ centred, size)


class _Sampler(NamedTuple):
    """How a round's sources are drawn: ``sizes(sources)`` are the sample sizes of those whose randomness is drawn
    ahead, (pooled (M,), public (L,)), ``noise(key, sizes)`` makes the randomness of a block of rounds (sizes:
    (B, M) and (B, L), those of the B rounds), and ``statistics(noise_t, sources)`` turns one round's share into
    each source's (xbar, scatter / N)."""

    sizes: Callable
    noise: Callable
    statistics: Callable


def _sampler(d: int, raw: dict[str, int]) -> _Sampler:
    """Sources of a kind in ``raw`` (kind -> number of samples drawn, at least its largest N) are drawn as raw
    samples (one key per round; each source draws that many and keeps its first N), the others as exact
    sufficient statistics, whose standard variates depend on the sample sizes only and are drawn at once for a
    whole block of rounds, so each round is arithmetic on them. The public sample's increments are drawn apart,
    from their own key and increment by increment (source-major: :func:`numerics.samplers.wishart.standard_draws`
    draws each element from its index), so the bound on their number (:func:`_public_prefixes`) does not change
    their draws: :func:`simulate` and a sweep draw alike."""

    def ahead(sources, public: bool):
        return [source for source in sources if source[0] not in raw and (source[0] == PUBLIC) == public]

    def sizes_of(chosen):
        return jnp.concatenate([size.reshape(-1) for _, _, _, size in chosen]) if chosen else jnp.zeros(0)

    def sizes(sources):
        return sizes_of(ahead(sources, False)), sizes_of(ahead(sources, True))

    def noise(key, block_sizes):
        raw_key, pooled_key, public_key = jax.random.split(key, 3)
        pooled, public = block_sizes
        drawn = standard_draws(pooled_key, pooled, d) if pooled.shape[-1] else None
        # the public increments drawn increment by increment, then laid out round by round like the pooled ones
        apart = (
            tuple(jnp.swapaxes(x, 0, 1) for x in standard_draws(public_key, public.T, d)) if public.shape[-1] else None
        )
        return jax.random.split(raw_key, pooled.shape[0]), drawn, apart

    def sufficient_statistics(draws, sources):
        if not sources:
            return []
        batches = [mean.shape[:-1] for _, mean, _, _ in sources]
        xbar, within = statistics_from_draws(
            jnp.concatenate([mean.reshape(-1, d) for _, mean, _, _ in sources]),
            jnp.concatenate([root.reshape(-1, d, d) for _, _, root, _ in sources]),
            sizes_of(sources),
            *draws,
        )
        ends = np.cumsum([int(np.prod(batch)) for batch in batches])[:-1]
        return [
            (x.reshape(batch + (d,)), s.reshape(batch + (d, d)))
            for x, s, batch in zip(jnp.split(xbar, ends), jnp.split(within, ends), batches)
        ]

    def raw_statistics(key, source):
        kind, mean, root, size, *threshold = source
        if threshold:  # curated outputs: truncated normals by the inverse CDF (d = 1, :func:`_truncated_normals`)
            z = _truncated_normals(key, mean, root, threshold[0], raw[kind])
        else:
            z = jax.random.normal(key, mean.shape[:-1] + (raw[kind], d))
        samples = mean[..., None, :] + jnp.einsum("...ab,...nb->...na", root, z)
        moments = _sample_statistics
        for _ in range(mean.ndim - 1):
            moments = jax.vmap(moments)
        return moments(samples, size)

    def statistics(noise, sources):
        key, pooled, public = noise
        drawn = iter(sufficient_statistics(pooled, ahead(sources, False)))
        drawn_apart = iter(sufficient_statistics(public, ahead(sources, True)))
        keys = iter(jax.random.split(key, len(sources)))
        return [
            raw_statistics(next(keys), source)
            if source[0] in raw
            else next(drawn_apart if source[0] == PUBLIC else drawn)
            for source in sources
        ]

    return _Sampler(sizes, noise, statistics)


def _truncated_normals(key, mean, root, threshold, size: int):
    """(..., size, 1) standard normals z conditioned on m + s z > c, for means m (..., 1), roots s (..., 1, 1) and
    thresholds c (...,) (-inf: not curated, plain normals), by the inverse CDF on uniforms U: with a = (c - m) / s and
    Q = Phi(-a), z = -Phi^-1(U Q) (then Phi(-z) = U Q is uniform on (0, Q), so z > a), U Q formed in log space
    (exp(log U + log Phi(-a)), so a far threshold, Q ~ 1e-300, keeps its precision). A point mass (s = 0) is kept."""
    s = root[..., 0, 0]
    a = jnp.where(s > 0, (threshold - mean[..., 0]) / jnp.where(s > 0, s, 1.0), -jnp.inf)
    u = jax.random.uniform(key, mean.shape[:-1] + (size,), minval=jnp.finfo(jnp.float64).tiny, maxval=1.0)
    log_tail = jax.scipy.special.log_ndtr(-a)[..., None]
    return -jax.scipy.special.ndtri(jnp.exp(jnp.log(u) + log_tail))[..., None]


PUBLIC = "public"
"""The kind of the public sample's increments (:func:`numerics.driver.sizes.public_increments`), drawn apart
(:func:`_sampler`)."""

RAW_BELOW = 2
"""The default method draws the raw samples of a kind of source whose samples all have at most this many
(e.g. the draws from each of many models: N = alpha n / K), this many for each: 2 d normals against the
d + d (d - 1) / 2 normals and d chi^2 (rejection-sampled) of the sufficient statistics; every other kind's
exact sufficient statistics. Which kinds are drawn raw is part of the compiled structure."""


def _raw_kinds(method: str, largest: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """(kind, samples drawn) of the kinds drawn as raw samples: all for ``raw`` (their largest N), those whose
    largest N is at most :data:`RAW_BELOW` for ``sufficient`` (:data:`RAW_BELOW` of them, so that a new alpha
    or n that keeps them there does not recompile); a ``mixture`` synthetic part (its largest N_syn), a ``shared``
    pool (n) and a ``split`` pool (its largest M) always."""
    if method == "raw":
        return tuple(sorted(largest.items()))
    always = (MIXTURE, SHARED, SPLIT, CURATED)
    return tuple(
        (kind, size if kind in always else RAW_BELOW)
        for kind, size in sorted(largest.items())
        if kind in always or size <= RAW_BELOW
    )


MIXTURE = "mixture"
"""The kind of the synthetic part under ``composition="mixture"``: one source per model whose samples come from
model j with probability W[k, j], drawn raw (its samples' sources are part of its law)."""

SHARED = "shared"
"""The kind of the synthetic part under ``pool="shared"``: one sample of each model j of which each scraper takes
a prefix, drawn raw (the samples two scrapers share are part of its law)."""

SPLIT = "split"
"""The kind of the synthetic part under ``pool="split"``: the pooled outputs of all models cut at random into one
slice per model, drawn raw (the slices' make-up is part of its law)."""


CURATED = "curated"
"""The kind of the synthetic sources under threshold ``curation`` (:mod:`theory.curation`): each edge's draws from
N(m_j, S_j) truncated to (c_j, inf), drawn raw (a truncated sample's mean and scatter have no closed law), n of them."""


def _synthetic_kinds(eco: Ecosystem, largest: dict[str, int], synthetic: int) -> dict[str, int]:
    """``largest`` with the per-producer synthetic kind replaced, under ``mixture``, by the mixture's largest
    N_syn, ``synthetic``, under the ``shared`` pool by n (the capacity of each model's one sample) and under the
    ``split`` pool by the bound on its pool (:func:`numerics.driver.sizes.split_pool_size`)."""
    if eco.curation is not None:  # fixed composition, own pool (theory.gaussian.maps._check_curation)
        replaced = {CURATED: largest["synthetic"]}
    elif eco.composition == "mixture":
        replaced = {MIXTURE: synthetic}
    elif eco.pool == "shared":
        replaced = {SHARED: int(eco.largest_n)}
    elif eco.pool == "split":
        replaced = {SPLIT: split_pool_size(eco)}
    else:
        return largest
    return {**{kind: size for kind, size in largest.items() if kind != "synthetic"}, **replaced}


def _largest_mixture(sizes) -> int:
    """The largest N_syn of a run (:class:`numerics.driver.sizes.Sizes`), at least 1."""
    return max(1, largest(sizes, mixture=True)["synthetic"])


def _mixture_statistics(key, tables, means, roots, size, drawn: int):
    """(xbar, A / N) of every model's mixture draws, (K, 1, d) and (K, 1, d, d) (one synthetic source each): the
    ``drawn`` samples x = m_j + M_j z of the sources j = :func:`numerics.samplers.mixture.alias_draws` (W's
    alias ``tables``), of which the first N_syn = ``size`` (K,) count."""
    index_key, normal_key = jax.random.split(key)
    sources = alias_draws(index_key, tables, drawn)  # (K, drawn)
    z = jax.random.normal(normal_key, sources.shape + (means.shape[-1],))
    samples = means[sources] + jnp.einsum("knab,knb->kna", roots[sources], z)
    xbar, within = jax.vmap(_sample_statistics)(samples, size)
    return xbar[:, None], within[:, None]


def _shared_statistics(key, means, roots, sizes, capacity: int):
    """(xbar, A / N) of every model k's draws from every model j under the ``shared`` pool, (K, K, d) and (K, K, d,
    d): one sample u_i = M_j z_i (i < ``capacity``) per model j, of which model k takes the first N = ``sizes[k,
    j]``; from the prefix sums U_N = sum_{i<N} u_i and P_N = sum_{i<N} u_i u_i^T, xbar = m_j + U_N / N and A / N =
    P_N / N - (U_N / N)(U_N / N)^T (the deviations from m_j; 0 for N = 0, a source of weight 0)."""
    K = means.shape[0]
    z = jax.random.normal(key, (K, capacity, means.shape[-1]))
    u = jnp.einsum("jab,jnb->jna", roots, z)
    taken = jnp.clip(sizes.astype(jnp.int64) - 1, 0, capacity - 1)  # (k, j): the last draw of the prefix
    producers = jnp.arange(K)[None, :]
    deviation = step.per_sample(jnp.cumsum(u, 1)[producers, taken], sizes[..., None])  # U_N / N
    second = step.per_sample(jnp.cumsum(_outer(u), 1)[producers, taken], sizes[..., None, None])  # P_N / N
    return means[None] + deviation, second - _outer(deviation)


def _split_statistics(key, means, roots, sizes, capacity: int):
    """(xbar, A / N) of every model's slice of the ``split`` pool, (K, 1, d) and (K, 1, d, d) (one synthetic source
    each): the pool of M_j = sum_k N_kj draws x = m_j + M_j z of each model j (``sizes``: N_kj) in the random order
    of :func:`numerics.samplers.split.pool_order`, model k's slice the next N_k of them; its mean and its scatter
    per sample about that mean (two passes of segment sums; 0 for a slice of none)."""
    K, d = means.shape
    order_key, normal_key = jax.random.split(key)
    owner, slice_of = pool_order(order_key, sizes, capacity)
    z = jax.random.normal(normal_key, (capacity, d))
    source = jnp.minimum(owner, K - 1)
    samples = jnp.where((owner < K)[:, None], means[source] + jnp.einsum("nab,nb->na", roots[source], z), 0.0)
    size = sizes.sum(1)
    xbar = step.per_sample(jax.ops.segment_sum(samples, slice_of, num_segments=K + 1)[:K], size[:, None])
    centred = jnp.where((owner < K)[:, None], samples - jnp.append(xbar, jnp.zeros((1, d)), 0)[slice_of], 0.0)
    scatter = jax.ops.segment_sum(_outer(centred), slice_of, num_segments=K + 1)[:K]
    return xbar[:, None], step.per_sample(scatter, size[:, None, None])[:, None]


def _public_prefixes(statistics, sizes, levels: int):
    """(xbar, A / N) of model k's first N_k = ``sizes[k]`` draws of the round's one public sample, (K, d) and (K, d,
    d) (nested prefixes, :mod:`theory.rounds`), from ``statistics`` of its ``levels`` increments
    (:func:`numerics.driver.sizes.public_increments`): the increments merged in order by the parallel-axis rule (N =
    N_1 + N_2, xbar = xbar_1 + (N_2 / N)(xbar_2 - xbar_1), A = A_1 + A_2 + (N_1 N_2 / N)(xbar_2 - xbar_1)(xbar_2 -
    xbar_1)^T: centred deviations, never raw moments), model k taking the prefix that ends at N_k (an increment of 0
    draws changes nothing; a prefix of 0: mean, 0)."""
    ends, counts = public_increments(sizes, levels)
    xbar, within = statistics

    def merge(first, second):
        (n1, x1, a1), (n2, x2, a2) = first, second
        n = n1 + n2
        gap = x2 - x1
        return (
            n,
            x1 + step.per_sample(n2, n)[..., None] * gap,
            a1 + a2 + step.per_sample(n1 * n2, n)[..., None, None] * _outer(gap),
        )

    n, x, a = jax.lax.associative_scan(merge, (counts, xbar, within * counts[:, None, None]))
    at = jnp.searchsorted(ends, sizes)
    return x[at], step.per_sample(a, n[:, None, None])[at]


def _outer(v):
    """v v^T for vectors (..., d)."""
    return v[..., :, None] * v[..., None, :]


def _block_length(rounds: int, longest: int = 16) -> int:
    """Rounds per block of pre-drawn randomness: at most ``longest``, splitting rounds into near-equal blocks."""
    blocks = -(-rounds // longest)
    return -(-rounds // blocks)


class Simulator(NamedTuple):
    """The compiled simulators of one structure; ``values`` are :func:`numerics.gaussian.step.values`, ``sizes`` the
    :class:`numerics.driver.sizes.Sizes` of ``alphas`` and ``betas``; every result leads with the replicate.

    chunk(keys, values, alphas, betas, sizes, start=None) -> (means, covs): one replicate per key (:func:`simulate`
    runs the replicates in chunks of keys); all(key, alphas, betas, sizes, values, replicates) -> the same for the
    keys ``jax.random.split(key, replicates)`` in one batch (traceable, for sweeps). ``start``: None (round 0 is
    the initial fit) or :func:`numerics.gaussian.iterate.given_start`, round 0's fit in every replicate.
    """

    chunk: Callable
    all: Callable


@compiled_cache
def _simulator(shape: step.Structure, raw: tuple[tuple[str, int], ...], levels: int) -> Simulator:
    """The simulators of a structure (K, d, regime, estimator) whose sources of the kinds in ``raw`` (kind,
    samples drawn: :func:`_raw_kinds`) are drawn as raw samples, the others as sufficient statistics, and whose
    models' public sizes take at most ``levels`` distinct values in a round (:func:`_public_prefixes`): the
    ecosystem's numbers, the schedules, the sample sizes and the keys are arguments, so new values, seeds and
    replicate counts reuse them (a new chunk shape traces once more, within the same jitted function)."""
    K, d = shape.K, shape.d
    sampler = _sampler(d, dict(raw))
    reuse = shape.regime == "reuse"
    mixture = shape.composition == "mixture"
    shared = shape.pool == "shared"
    split = shape.pool == "split"
    raw_split = dict(raw).get(SPLIT, 0)  # positions of the split pool, a bound on its M
    raw_mixture = dict(raw).get(MIXTURE, 0)  # samples each model's mixture draws, its largest N_syn
    raw_shared = dict(raw).get(SHARED, 0)  # samples of each model's one shared sample, n
    edged = not (mixture or shared or split)  # one synthetic source per edge of W
    debiased = "debiased" in ((shape.estimator,) if isinstance(shape.estimator, str) else shape.estimator)

    def replicate(key, values, alphas, betas, sizes, start):
        """Rounds 0..T of one replicate (round 0 is the initial fit: alpha = 0 from the zero state, its means and
        covariances replaced by the given ``start``, if any, with nu = 0) in blocks of B rounds; each block draws
        its randomness at once, then scans its rounds."""
        consumer = producer = None
        if edged:
            values, sizes = _edge_inputs(values, sizes)
            consumer, producer = values.consumer, values.producer
        tables = alias_tables(values.mixing) if mixture else None  # once a call: W is the same every round
        real_roots = jnp.linalg.cholesky(values.private_cov)
        public_root = jnp.linalg.cholesky(values.public_cov)

        def real_sources(plan):
            """The real sources (kind, mean, root, N) of a round: the private samples, the public sample's increments
            (:func:`numerics.driver.sizes.public_increments`)."""
            increments = public_increments(plan.n_public, levels)[1]
            return [
                ("private", values.private_mean, real_roots, plan.n_private),
                (
                    PUBLIC,
                    jnp.broadcast_to(values.public_mean, (levels, d)),
                    jnp.broadcast_to(public_root, (levels, d, d)),
                    increments,
                ),
            ]

        def real_statistics(drawn, plan):
            """The private samples' (xbar, A / N) and model k's public prefix's (:func:`_public_prefixes`)."""
            return drawn[0], _public_prefixes(drawn[1], plan.n_public, levels)

        def round_sources(plan, means, covs):
            """The sources drawn in a round: the real ones (unless reused), the synthetic one per edge (under
            ``mixture`` and the ``shared`` and ``split`` pools the synthetic part is drawn apart:
            :func:`_mixture_statistics`, :func:`_shared_statistics`, :func:`_split_statistics`)."""
            if not edged:
                return [] if reuse else real_sources(plan)
            synthetic = ("synthetic", means[producer], _symmetric_root(covs)[producer], plan.n_synthetic)
            if shape.curated:  # truncated draws (the edge's producer's threshold, -inf where not curated)
                synthetic = (CURATED,) + synthetic[1:] + (values.threshold[producer],)
            return ([] if reuse else real_sources(plan)) + [synthetic]

        def per_consumer(x):
            """Each model's sum over its synthetic sources: of its edges (segment sums), else over axis 1."""
            if edged:
                return jax.ops.segment_sum(x, consumer, num_segments=K, indices_are_sorted=True)
            return x.sum(1)

        def one_round(state, noise, plan, t, fixed_real):
            """The refit of every model: m = sum_s w_s xbar_s, U = sum_s w_s [A_s / N_s + (xbar_s - m)(xbar_s -
            m)^T] (merged into the union by the parallel-axis rule under ``accumulate``), S = c U; the debiased
            estimator's mean (theory.gaussian.debiased) is the precision-weighted average of its round estimates
            u = (m - the synthetic part's known pull alpha_t sum_j W[k, j] m_j) / (1 - alpha_t), precision
            (1 - alpha_t)^2 / nu of the round."""
            means, covs, union_scatter, union_nu, precision = state
            wp, wq, ws = plan.w_private, plan.w_public, plan.w_synthetic
            if mixture or shared or split:  # the synthetic part drawn apart, from its own key
                noise_key, synthetic_key = jax.random.split(noise[0])
                drawn = sampler.statistics((noise_key, *noise[1:]), round_sources(plan, means, covs))
            if mixture:  # one synthetic source per model, of weight alpha_t: (K, 1) like a producer axis of one
                size = mixture_size(plan.n_synthetic)
                syn = _mixture_statistics(synthetic_key, tables, means, _symmetric_root(covs), size, raw_mixture)
                ws = ws.sum(1, keepdims=True)
            elif shared:
                syn = _shared_statistics(synthetic_key, means, _symmetric_root(covs), plan.n_synthetic, raw_shared)
            elif split:  # one slice per model, of weight alpha_t
                syn = _split_statistics(synthetic_key, means, _symmetric_root(covs), plan.n_synthetic, raw_split)
                ws = ws.sum(1, keepdims=True)
            else:
                drawn = sampler.statistics(noise, round_sources(plan, means, covs))
                syn = drawn[-1]
            (xbar, within), (pub_xbar, pub_within) = fixed_real if reuse else real_statistics(drawn, plan)
            syn_xbar, syn_within = syn
            batch_mean = wp[:, None] * xbar + wq[:, None] * pub_xbar + per_consumer(ws[..., None] * syn_xbar)
            syn_gap = syn_xbar - (batch_mean[consumer] if edged else batch_mean[:, None])
            batch_scatter = (
                wp[:, None, None] * (within + _outer(xbar - batch_mean))
                + wq[:, None, None] * (pub_within + _outer(pub_xbar - batch_mean))
                + per_consumer(ws[..., None, None] * (syn_within + _outer(syn_gap)))
            )
            batch_nu = (
                step.per_sample(wp**2, plan.n_private)
                + step.per_sample(wq**2, plan.n_public)
                + (
                    step.per_sample(ws[:, 0] ** 2, plan.n_synthetic.sum(1))  # a slice: alpha_t^2 / N_k
                    if split
                    else per_consumer(step.per_sample(plan.w_synthetic**2, plan.n_synthetic))  # mixture: / N_syn
                )
            )
            if shape.regime == "accumulate":
                old, new = t / (t + 1), 1 / (t + 1)
                new_means = (t * means + batch_mean) / (t + 1)
                union_scatter = old * union_scatter + new * batch_scatter + old * new * _outer(means - batch_mean)
                union_nu = (t**2 * union_nu + batch_nu) / (t + 1) ** 2
            else:
                new_means, union_scatter, union_nu = batch_mean, batch_scatter, batch_nu
            if debiased:
                share = wp + wq  # the real share r_k = 1 - alpha_t,k (1 at the initial fit)
                pull = per_consumer(ws[..., None] * (means[producer] if edged else means[None]))
                estimate = (batch_mean - pull) / share[:, None]
                weight = share**2 / batch_nu
                new_means = (precision[:, None] * means + weight[:, None] * estimate) / (precision + weight)[:, None]
                precision = precision + weight
            factor = step.estimator_factor(shape, union_nu)
            return (new_means, factor[:, None, None] * union_scatter, union_scatter, union_nu, precision)

        k_data, k_rounds = jax.random.split(key)
        beta_1 = betas[0] if betas.shape[0] else values.beta_1  # the initial fit's share
        zero = (jnp.zeros((K, d)), jnp.zeros((K, d, d)), jnp.zeros((K, d, d)), jnp.zeros(K), jnp.zeros(K))
        if start is not None:  # a deterministic fit: U = S, nu = 0 (theory.gaussian.maps.moments_of_fit)
            covs = start.cov.reshape(K, d, d)
            started = (start.mean.reshape(K, d), covs, covs, jnp.zeros(K), jnp.zeros(K))
        fixed_real = None
        if reuse:
            plan_0 = step.round_plan(values, 0.0, beta_1, sizes.initial, True, consumer)
            sources = real_sources(plan_0)
            noise = sampler.noise(k_data, jax.tree.map(lambda x: x[None], sampler.sizes(sources)))
            fixed_real = real_statistics(sampler.statistics(jax.tree.map(lambda x: x[0], noise), sources), plan_0)

        def plan_of(alpha, beta, round_sizes):  # alpha = 0 at t = 0: the initial plan
            return step.round_plan(values, alpha, beta, round_sizes, False, consumer)

        def one_block(state, inputs):
            key, alphas, betas, block_sizes, ts = inputs
            flat = jax.vmap(lambda a, b, n: sampler.sizes(round_sources(plan_of(a, b, n), *zero[:2])))
            drawn = flat(alphas, betas, block_sizes)

            def body(state, inputs):
                noise, alpha, beta, round_sizes, t = inputs
                state = one_round(state, noise, plan_of(alpha, beta, round_sizes), t, fixed_real)
                if start is not None:
                    state = jax.tree.map(lambda drawn, given: jnp.where(t == 0, given, drawn), state, started)
                return state, state[:2]

            return jax.lax.scan(body, state, (sampler.noise(key, drawn), alphas, betas, block_sizes, ts))

        rounds = alphas.shape[0] + 1
        B = _block_length(rounds)
        blocks = -(-rounds // B)
        padding = blocks * B - rounds  # extra rounds at the end, computed and dropped

        def blocked(x, fill):
            return jnp.concatenate([x, jnp.full((padding,) + x.shape[1:], fill)]).reshape((blocks, B) + x.shape[1:])

        def sizes_blocked(first, rest):  # rounds 0..T, padded with round 0's sizes
            return blocked(jnp.concatenate([first[None], rest]), first)

        inputs = (
            jax.random.split(k_rounds, blocks),
            blocked(jnp.concatenate([jnp.zeros((1,) + alphas.shape[1:]), alphas]), 0.0),  # (T,) or per model (T, K)
            blocked(jnp.concatenate([jnp.broadcast_to(beta_1, (1,) + betas.shape[1:]), betas]), beta_1),
            jax.tree.map(sizes_blocked, sizes.initial, sizes.rounds),
            jnp.arange(blocks * B, dtype=jnp.float64).reshape(blocks, B),
        )
        _, (means, covs) = jax.lax.scan(one_block, zero, inputs)
        return tuple(x.reshape((blocks * B,) + x.shape[2:])[:rounds] for x in (means, covs))

    replicated = jax.vmap(replicate, in_axes=(0, None, None, None, None, None))

    def chunk_of(keys, values, alphas, betas, sizes, start=None):
        return replicated(keys, values, alphas, betas, sizes, start)

    chunk = jax.jit(chunk_of)

    def all_replicates(key, alphas, betas, sizes, values, replicates):
        return chunk(replicate_keys(key, replicates), values, alphas, betas, sizes)

    return Simulator(chunk, jax.jit(all_replicates, static_argnames="replicates"))


class SimulationValues(NamedTuple):
    """:class:`numerics.gaussian.step.Values` and beta_1, the spec's initial share (for a run of 0 rounds); under
    the fixed composition and the ``own`` pool, the edges' consumers and producers (:mod:`numerics.driver.edges`),
    ``mixing`` then holding their weights (E,) and the sizes' n_synthetic (..., E); without them (None, as a
    sweep gives them) W (K, K) and n_synthetic (..., K, K) are dense, all K^2 pairs edges (:func:`_edge_inputs`)."""

    private_mean: object
    private_cov: object
    public_mean: object
    public_cov: object
    mixing: object
    threshold: object  # (K,) curation thresholds, -inf where not curated (:class:`numerics.gaussian.step.Values`)
    beta_1: object
    consumer: object = None
    producer: object = None


def simulation_values(eco: Ecosystem, edges: Edges | None = None) -> SimulationValues:
    """The ecosystem's numbers as the simulators take them (centred coordinates): W dense, or on ``edges``."""
    beta_1 = jnp.asarray(model_values(eco, eco.beta_at(1)))
    if edges is None:
        return SimulationValues(*map(jnp.asarray, step.values(eco)), beta_1)
    numbers = map(jnp.asarray, step.values(eco, edges.weight))
    return SimulationValues(*numbers, beta_1, jnp.asarray(edges.consumer), jnp.asarray(edges.producer))


def _edge_inputs(values: SimulationValues, sizes: Sizes) -> tuple[SimulationValues, Sizes]:
    """The values and sizes of the edge path: as given on edges; a dense W and n_synthetic as all K^2 pairs
    (:func:`numerics.driver.edges.all_pairs`: for a W without zeros the same sources in the same order, the same
    draws)."""
    if values.consumer is not None:
        return values, sizes
    weight, consumer, producer, sizes = all_pairs(values.mixing, sizes)
    return values._replace(mixing=weight, consumer=consumer, producer=producer), sizes


def compiled_simulation(eco: Ecosystem, rounds: int, replicates: int, method: str):
    """(run, alphas, betas, sizes): run(key, alphas, betas, sizes) -> (means, covs) of ``replicates`` replicates (keys
    ``jax.random.split(key, replicates)``) for this spec's values, with its own schedules and sample sizes
    (:mod:`numerics.driver.sizes`), validating every input. ``run`` serves every alpha and beta (sweeps vmap it over
    grid points): its raw-sample routes are sized for any schedule (:func:`_largest_for_any_schedule`), so where
    :func:`simulate` draws a kind raw for the spec's sizes and ``run`` does not, the two give the same law but other
    draws; its public increments are bounded by K (any point's distinct public sizes), which draws what
    :func:`simulate`'s own count draws (:func:`_sampler`), at the cost of K increments a round. It simulates
    :func:`theory.gaussian.maps.centred` ``(eco)``: its means are measured from :func:`theory.gaussian.maps.origin`.
    The compiled program depends on the structure only (:func:`_simulator`)."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    replicates = require_count(replicates, "replicates", 1)
    require_gaussian(eco)
    require_dense_tables(eco, dense_tables(eco, rounds, edged=False))
    alphas, betas = schedules(eco, rounds)
    sizes = spec_sizes(eco, rounds)
    static_sizes(eco, rounds, sizes)  # rejects the population limit
    raw = _raw_kinds(method, _largest_for_any_schedule(eco))
    simulator = _simulator(step.structure(eco), raw, eco.K)  # any point's public sizes: at most K distinct
    run = functools.partial(simulator.all, values=simulation_values(eco), replicates=replicates)
    return run, jnp.asarray(alphas), jnp.asarray(betas), device(sizes)


def _host_inputs(eco: Ecosystem, rounds: int) -> tuple[SimulationValues, np.ndarray, np.ndarray, Sizes]:
    """(values, alphas, betas, sizes) of :func:`simulate`: the spec's numbers, schedules and sample sizes, on the
    edges of W where the Monte Carlo draws edges (sizes computed on them: no K x K table). Host work in sympy and,
    off the edge path, over K x K tables (benchmarks/README.md), so computed on each call (numerics' one bounded
    cache holds compiled functions only)."""
    alphas, betas = schedules(eco, rounds)
    edges = graph_edges(eco) if draws_edges(eco) else None
    return simulation_values(eco, edges), alphas, betas, spec_sizes(eco, rounds, edges=edges is not None)


def _largest_for_any_schedule(eco: Ecosystem) -> dict[str, int]:
    """The largest sample of each kind for any alpha, beta in [0, 1]: n, or a reused dataset's own size (a
    mixture's N_syn <= n: :func:`theory.rounds.sample_sizes`)."""
    n = int(eco.largest_n)
    largest = {
        "private": max([n] + [int(s.size) for s in eco.private if s.size is not None]),
        "public": max(n, int(eco.public.size or 0)),
        "synthetic": n,
    }
    return _synthetic_kinds(eco, largest, n)


def _structured_simulator(eco: Ecosystem, method: str, rounds: int, sizes) -> Simulator:
    """The simulator of :func:`simulate`: its raw-sample routes are sized for the spec's own sample sizes, its public
    increments for the distinct public sizes they take (:func:`numerics.driver.sizes.public_levels`)."""
    bounds = static_sizes(eco, rounds, sizes)  # also rejects the population limit
    raw = _raw_kinds(method, _synthetic_kinds(eco, bounds, _largest_mixture(sizes)))
    return _simulator(step.structure(eco), raw, public_levels(sizes))


def drawn_per_source(eco: Ecosystem, method: str) -> int:
    """Numbers per dimension a source holds while drawn in a round: raw, its largest sample (n, or a reused
    dataset's size); sufficient, about 32 (its normals, chi-square and gamma candidates, XLA's analysis). Under
    ``mixture`` each model's synthetic part holds its n samples' normals and gathered roots, n (d + 1) numbers per
    dimension, counted over the K^2 sources :func:`numerics.driver.limits.drawn_values` assumes as n (d + 1) / K;
    under the ``shared`` pool each model's one sample its normals, their roots applied, their outer products and
    both prefix sums, n (2 d + 3) per dimension, n (2 d + 3) / K per source; under the ``split`` pool the pool's
    positions (:func:`numerics.driver.sizes.split_pool_size`, about K n) their normals, samples, centred samples,
    outer products and indices, d^2 + 3 d + 4 each (:func:`numerics.driver.sizes.split_pool_share`)."""
    largest = 32
    if method == "raw" and eco.n is not None:
        largest = max([int(eco.largest_n)] + [int(s.size) for s in (*eco.private, eco.public) if s.size is not None])
    if eco.composition == "mixture" and eco.n is not None:
        largest = max(largest, -(-int(eco.largest_n) * (eco.dim + 1) // eco.K))
    if eco.pool == "shared" and eco.n is not None:
        largest = max(largest, -(-int(eco.largest_n) * (2 * eco.dim + 3) // eco.K))
    if eco.curation is not None and eco.n is not None:  # the truncated draws: uniforms, normals, samples
        largest = max(largest, 3 * int(eco.largest_n))
    d = eco.dim
    return max(largest, split_pool_share(eco, d * d + 3 * d + 4, d))


def simulate(
    eco: Ecosystem,
    rounds: int,
    key,
    replicates: int = 1000,
    method: str = "sufficient",
    memory: int | None = None,
    start=None,
) -> MonteCarlo:
    """Simulate ``replicates`` independent runs of the process for ``rounds`` update rounds.

    ``key`` is a jax PRNG key or an integer seed; the result carries it with the spec. Replicate r runs from its own
    key, ``jax.random.split(key, replicates)[r]`` (which does not depend on ``replicates``), so the replicates run
    in chunks of a size fixed by the structure (:func:`numerics.driver.limits.replicate_chunk`, padded), a new
    replicate count does not recompile, and a replicate's numbers do not depend on the number of replicates.
    ``method`` is ``"sufficient"`` (default: each source's mean and scatter drawn from their exact law, cost and
    memory independent of n) or ``"raw"`` (the n samples themselves; the reference). Both simulate the same process
    exactly; for one seed they give different draws.
    What cannot fit in ``memory`` bytes (default: the memory available) is refused before any work
    (:mod:`numerics.driver.limits`). Round 0 is the initial fit or, given ``start`` ``{"mean": K x d, "cov":
    K x d x d}``, that fit in every replicate (:mod:`theory.start`).
    """
    replicates = require_count(replicates, "replicates", 1)
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    require_gaussian(eco)
    if start is not None and "debiased" in eco.model_estimators:
        raise SpecError("start", "the debiased estimator starts from its initial fit (a given start has no precision)")
    start = given_start(eco, start)
    eco.check_rounds(rounds)
    chunk = replicate_chunk(eco, rounds, replicates, drawn_per_source=drawn_per_source(eco, method), memory=memory)
    values, alphas, betas, sizes = _host_inputs(eco, rounds)
    simulator = _structured_simulator(eco, method, rounds, sizes)
    seed, key = prng_key(key)
    arguments = (values, jnp.asarray(alphas), jnp.asarray(betas), device(sizes), start)
    means, covs = run_in_chunks(simulator.chunk, replicate_keys(key, replicates), chunk, *arguments)
    means = means + np.array(gaussian.origin(eco), dtype=float).ravel()
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return MonteCarlo(eco, seed, key_data, method, means, covs)


def simulation_memory(eco: Ecosystem, rounds: int, replicates: int = 1000, method: str = "sufficient") -> int:
    """Bytes of every buffer of the compiled simulation (XLA's memory analysis: temporaries, output, inputs),
    without running it. With ``"sufficient"`` it does not depend on n. :func:`numerics.driver.limits.replicate_chunk`
    is the arithmetic bound checked before a run."""
    run, alphas, betas, sizes = compiled_simulation(eco, rounds, replicates, method)
    lowered = run.func.lower(jax.random.PRNGKey(0), alphas, betas, sizes, **run.keywords)
    analysis = lowered.compile().memory_analysis()
    return analysis.temp_size_in_bytes + analysis.output_size_in_bytes + analysis.argument_size_in_bytes
