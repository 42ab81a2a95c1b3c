"""Monte Carlo of the actual finite-sample process: from raw samples, or from their exact sufficient statistics.

Each round each model assembles its training set: its private and the public real samples (drawn once under
``reuse``, anew each round under ``fresh`` and ``accumulate``; the public sample is shared by all models) and
its own draws from every model's current fit N(m_j, S_j), in the sizes of :mod:`theory.rounds`; then it refits
with the weighted estimator of :mod:`theory.gaussian.maps`. The fit sees each source only through its sample mean
xbar and its scatter about it per sample, A / N = (1/N) sum (x - xbar)(x - xbar)^T, so each source of a round is
reduced to (xbar, A / N) by a sampler:

* ``method="raw"`` draws the N samples themselves (the reference; memory and time grow with n);
* ``method="sufficient"`` (default) draws xbar and the scatter from their exact joint law
  (:mod:`numerics.samplers.wishart`), so cost and memory do not depend on n. Its standard variates depend on the
  sample sizes only, so they are drawn ahead for blocks of up to 16 rounds, and a round is arithmetic on
  them. Both methods give the same distribution (tests/test_sufficient_statistics.py).

Every fitted covariance is positive semi-definite by construction: S = c sum_s w_s [A_s / N_s + (xbar_s - m)
(xbar_s - m)^T], a sum of positive semi-definite terms (never a raw second moment minus m m^T, which rounding
makes indefinite once S is small against m m^T, as when a fit collapses). Under ``accumulate`` the union of the
batches 0..t is merged with the batch t+1 by the parallel-axis rule: with weights a = t/(t+1) and b = 1/(t+1),
U' = a U + b U_batch + a b (m - m_batch)(m - m_batch)^T. Synthetic samples are drawn as m_j + M z with M the
symmetric root of S_j from its eigendecomposition, eigenvalues clipped at 0: S_j is positive semi-definite but
may be singular (a collapsed fit), where a Cholesky factor does not exist; the clipping removes only round-off.
The simulation runs in centred coordinates (:func:`theory.gaussian.maps.centred`, the public mean as origin, added
back to the means at the end), so a common shift of all means changes the fits by rounding of the origin only.
Every array leads with the replicate axis; the PRNG key is explicit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.divergence import Divergence, first_divergence
from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.driver.keys import prng_key
from interplay.numerics.driver.limits import replicate_chunk, require_count
from interplay.numerics.driver.schedules import initial_beta, schedules
from interplay.numerics.driver.sizes import device, spec_sizes, static_sizes
from interplay.numerics.gaussian.iterate import require_gaussian
from interplay.numerics.samplers.wishart import standard_draws, statistics_from_draws
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.rounds import round_plan
from interplay.theory.spec import Ecosystem, SpecError

METHODS = ("sufficient", "raw")


@dataclass(frozen=True)
class MonteCarlo:
    """Simulated fitted parameters over rounds t = 0..T, with what made them.

    means: (R, T+1, K, d); covs: (R, T+1, K, d, d); R replicates; method: ``"sufficient"`` or ``"raw"``.
    """

    ecosystem: Ecosystem
    seed: int | None
    key: tuple[int, ...]
    method: str
    means: np.ndarray
    covs: np.ndarray

    @property
    def replicates(self) -> int:
        return self.means.shape[0]

    @property
    def rounds(self) -> int:
        return self.means.shape[1] - 1

    @cached_property
    def divergence(self) -> Divergence | None:
        """None, or the first round at which some replicate's fit is not finite (:mod:`numerics.driver.divergence`)."""
        return first_divergence({"means": self.means, "covs": self.covs}, round_axis=1)


def _symmetric_root(cov):
    """Symmetric square roots of PSD, possibly singular, matrices (..., d, d) (round-off eigenvalues below zero
    clipped to zero)."""
    if cov.shape[-1] == 1:
        return jnp.sqrt(jnp.clip(cov, 0.0))
    values, vectors = jnp.linalg.eigh(cov)
    return (vectors * jnp.sqrt(jnp.clip(values, 0.0))[..., None, :]) @ jnp.swapaxes(vectors, -1, -2)


def _sample_statistics(samples, size):
    """Mean xbar and scatter per sample (1/N) sum (x - xbar)(x - xbar)^T of the first N = ``size`` rows of
    ``samples`` (N_max, d)."""
    mask = (jnp.arange(samples.shape[0]) < size)[:, None]
    mean = (samples * mask).sum(0) / size
    centred = (samples - mean) * mask
    return mean, centred.T @ centred / size


class _Sampler(NamedTuple):
    """How a round's sources are drawn: ``noise(key, sizes)`` makes the randomness of a block of rounds
    (sizes: (B, M), the flattened per-replicate sample sizes of the M sources of each round), and
    ``statistics(noise_t, sources)`` turns one round's share into each source's (xbar, scatter / N)."""

    noise: Callable
    statistics: Callable


def _raw_sampler(max_sizes: dict[str, int]) -> _Sampler:
    """Raw samples: one key per round; each source draws the largest N of its kind and keeps its first N."""

    def statistics(key, sources):
        result = []
        for source_key, (kind, mean, root, size) in zip(jax.random.split(key, len(sources)), sources):
            z = jax.random.normal(source_key, mean.shape[:-1] + (max_sizes[kind], mean.shape[-1]))
            samples = mean[..., None, :] + jnp.einsum("...ab,...nb->...na", root, z)
            moments = _sample_statistics
            for _ in range(mean.ndim - 1):
                moments = jax.vmap(moments)
            result.append(moments(samples, size))
        return result

    return _Sampler(lambda key, sizes: jax.random.split(key, sizes.shape[0]), statistics)


def _sufficient_sampler(d: int) -> _Sampler:
    """Exact sufficient statistics; the standard variates of a whole block of rounds are drawn at once (they
    depend on the sample sizes only), so each round is arithmetic on them."""

    def statistics(noise, sources):
        batches = [mean.shape[:-1] for _, mean, _, _ in sources]
        xbar, within = statistics_from_draws(
            jnp.concatenate([mean.reshape(-1, d) for _, mean, _, _ in sources]),
            jnp.concatenate([root.reshape(-1, d, d) for _, _, root, _ in sources]),
            _flat_sizes(sources),
            *noise,
        )
        ends = np.cumsum([int(np.prod(batch)) for batch in batches])[:-1]
        return [
            (x.reshape(batch + (d,)), s.reshape(batch + (d, d)))
            for x, s, batch in zip(jnp.split(xbar, ends), jnp.split(within, ends), batches)
        ]

    return _Sampler(lambda key, sizes: standard_draws(key, sizes, d), statistics)


def _outer(v):
    """v v^T for vectors (..., d)."""
    return v[..., :, None] * v[..., None, :]


def _flat_sizes(sources):
    return jnp.concatenate([size.reshape(-1) for _, _, _, size in sources])


def _block_length(rounds: int, longest: int = 16) -> int:
    """Rounds per block of pre-drawn randomness: at most ``longest``, splitting rounds into near-equal blocks."""
    blocks = -(-rounds // longest)
    return -(-rounds // blocks)


@compiled_cache
def _simulator(eco: Ecosystem, method: str, replicates: int, sizes: tuple[tuple[str, int], ...]):
    """A jitted f(key, alphas, betas, sizes) -> (means, covs) of all replicates; every array leads with the
    replicate. ``sizes``: the :class:`numerics.driver.sizes.Sizes` of alphas and betas."""
    K, d, R = eco.K, eco.dim, replicates
    sampler = _raw_sampler(dict(sizes)) if method == "raw" else _sufficient_sampler(d)
    real_means = jnp.array([[float(x) for x in s.mean] for s in eco.private])
    real_roots = jnp.stack([jnp.linalg.cholesky(JAX.asarray(s.cov)) for s in eco.private])
    public_mean = jnp.array([float(x) for x in eco.public.mean])
    public_root = jnp.linalg.cholesky(JAX.asarray(eco.public.cov))
    unbiased = eco.estimator == "unbiased"
    reuse = eco.regime == "reuse"

    def real_sources(plan):
        """The real sources (kind, mean, root, N) of a round, one per replicate."""
        return [
            (
                "private",
                jnp.broadcast_to(real_means, (R, K, d)),
                jnp.broadcast_to(real_roots, (R, K, d, d)),
                jnp.broadcast_to(plan.n_private[:, 0], (R, K)),
            ),
            (
                "public",
                jnp.broadcast_to(public_mean, (R, d)),
                jnp.broadcast_to(public_root, (R, d, d)),
                jnp.broadcast_to(plan.n_public, (R,)),
            ),
        ]

    def round_sources(plan, means, covs):
        """The sources drawn in a round: the real ones (unless reused), the synthetic [r, consumer k, producer j]."""
        synthetic = (
            "synthetic",
            jnp.broadcast_to(means[:, None], (R, K, K, d)),
            jnp.broadcast_to(_symmetric_root(covs)[:, None], (R, K, K, d, d)),
            jnp.broadcast_to(plan.n_synthetic, (R, K, K)),
        )
        return ([] if reuse else real_sources(plan)) + [synthetic]

    def one_round(state, noise, plan, t, fixed_real):
        """The refit of every model: m = sum_s w_s xbar_s, U = sum_s w_s [A_s / N_s + (xbar_s - m)(xbar_s - m)^T]
        (merged into the union by the parallel-axis rule under ``accumulate``), S = c U."""
        means, covs, union_scatter, union_nu = state
        drawn = sampler.statistics(noise, round_sources(plan, means, covs))
        (xbar, within), (pub_xbar, pub_within) = fixed_real if reuse else drawn[:2]
        syn_xbar, syn_within = drawn[-1]
        wp, wq, ws = plan.w_private[:, 0], plan.w_public[:, 0], plan.w_synthetic
        batch_mean = wp[:, None] * xbar + wq[:, None] * pub_xbar[:, None] + jnp.einsum("kj,rkja->rka", ws, syn_xbar)
        batch_scatter = (
            wp[:, None, None] * (within + _outer(xbar - batch_mean))
            + wq[:, None, None] * (pub_within[:, None] + _outer(pub_xbar[:, None] - batch_mean))
            + jnp.einsum("kj,rkjab->rkab", ws, syn_within + _outer(syn_xbar - batch_mean[:, :, None]))
        )
        batch_nu = wp**2 / plan.n_private[:, 0] + wq**2 / plan.n_public + jnp.sum(ws**2 / plan.n_synthetic, 1)
        if eco.regime == "accumulate":
            old, new = t / (t + 1), 1 / (t + 1)
            new_means = (t * means + batch_mean) / (t + 1)
            union_scatter = old * union_scatter + new * batch_scatter + old * new * _outer(means - batch_mean)
            union_nu = (t**2 * union_nu + batch_nu) / (t + 1) ** 2
        else:
            new_means, union_scatter, union_nu = batch_mean, batch_scatter, batch_nu
        factor = 1 / (1 - union_nu) if unbiased else jnp.ones(K)
        return (new_means, factor[:, None, None] * union_scatter, union_scatter, union_nu)

    def run(key, alphas, betas, sizes):
        """Rounds 0..T (round 0 is the initial fit: alpha = 0 from the zero state) in blocks of B rounds; each
        block draws its randomness at once, then scans its rounds."""
        k_data, k_rounds = jax.random.split(key)
        beta_1 = initial_beta(eco, betas)  # the initial fit's share
        zero = (jnp.zeros((R, K, d)), jnp.zeros((R, K, d, d)), jnp.zeros((R, K, d, d)), jnp.zeros(K))
        fixed_real = None
        if reuse:
            sources = real_sources(round_plan(eco, 0.0, beta_1, initial=True, sizes=sizes.initial, ops=JAX))
            noise = sampler.noise(k_data, _flat_sizes(sources)[None])
            fixed_real = sampler.statistics(jax.tree.map(lambda x: x[0], noise), sources)

        def plan_of(alpha, beta, round_sizes):
            # alpha = 0 at t = 0: the initial plan
            return round_plan(eco, alpha, beta, initial=False, sizes=round_sizes, ops=JAX)

        def one_block(state, inputs):
            key, alphas, betas, block_sizes, ts = inputs
            flat = jax.vmap(lambda a, b, n: _flat_sizes(round_sources(plan_of(a, b, n), *zero[:2])))
            drawn = flat(alphas, betas, block_sizes)

            def body(state, inputs):
                noise, alpha, beta, round_sizes, t = inputs
                state = one_round(state, noise, plan_of(alpha, beta, round_sizes), t, fixed_real)
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
            blocked(jnp.concatenate([jnp.zeros(1), alphas]), 0.0),
            blocked(jnp.concatenate([jnp.full(1, beta_1), betas]), beta_1),
            jax.tree.map(sizes_blocked, sizes.initial, sizes.rounds),
            jnp.arange(blocks * B, dtype=jnp.float64).reshape(blocks, B),
        )
        _, (means, covs) = jax.lax.scan(one_block, zero, inputs)
        means, covs = (x.reshape((blocks * B,) + x.shape[2:])[:rounds] for x in (means, covs))
        return jnp.swapaxes(means, 0, 1), jnp.swapaxes(covs, 0, 1)

    return jax.jit(run)


def compiled_simulation(eco: Ecosystem, rounds: int, replicates: int, method: str):
    """The jitted simulator for this spec and its arguments: alphas, betas and their sample sizes
    (:mod:`numerics.driver.sizes`), validating every input. It simulates :func:`theory.gaussian.maps.centred`
    ``(eco)``: its
    means are measured from :func:`theory.gaussian.maps.origin`, so specs that differ by a common shift of their
    means share one compiled program."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    replicates = require_count(replicates, "replicates", 1)
    require_gaussian(eco)
    alphas, betas = schedules(eco, rounds)
    sizes = spec_sizes(eco, rounds)
    bounds = static_sizes(eco, rounds, sizes)  # also rejects the population limit
    run = _simulator(
        gaussian.centred(eco), method, replicates, tuple(sorted(bounds.items())) if method == "raw" else ()
    )
    return run, jnp.asarray(alphas), jnp.asarray(betas), device(sizes)


def drawn_per_source(eco: Ecosystem, method: str) -> int:
    """Numbers per dimension a source holds while drawn in a round: raw, its largest sample (n, or a reused
    dataset's size); sufficient, about 32 (its normals, chi-square and gamma candidates, XLA's analysis)."""
    if method != "raw" or eco.n is None:
        return 32
    return max([int(eco.n)] + [int(s.size) for s in (*eco.private, eco.public) if s.size is not None])


def simulate(
    eco: Ecosystem, rounds: int, key, replicates: int = 1000, method: str = "sufficient", memory: int | None = None
) -> MonteCarlo:
    """Simulate ``replicates`` independent runs of the process for ``rounds`` update rounds.

    ``key`` is a jax PRNG key or an integer seed; the result carries it with the spec. ``method`` is
    ``"sufficient"`` (default: each source's mean and scatter drawn from their exact law, cost and memory
    independent of n) or ``"raw"`` (the n samples themselves; the reference). Both simulate the same process
    exactly; for one seed they give different draws. All replicates run in one batch: the sufficient sampler's
    gamma variates gather the rejected candidates of every replicate into one buffer, so a replicate's draws
    depend on the others and cannot be split into chunks without changing them. What cannot fit in
    ``memory`` bytes (default: the memory available) is refused before any work (:mod:`numerics.driver.limits`).
    """
    replicates = require_count(replicates, "replicates", 1)
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    require_gaussian(eco)
    eco.check_rounds(rounds)
    drawn = drawn_per_source(eco, method)
    replicate_chunk(eco, rounds, replicates, drawn_per_source=drawn, memory=memory, chunked=False)
    run, alphas, betas, sizes = compiled_simulation(eco, rounds, replicates, method)
    seed, key = prng_key(key)
    means, covs = run(key, alphas, betas, sizes)
    means = np.asarray(means) + np.array(gaussian.origin(eco), dtype=float).ravel()
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return MonteCarlo(eco, seed, key_data, method, np.asarray(means), np.asarray(covs))


def simulation_memory(eco: Ecosystem, rounds: int, replicates: int = 1000, method: str = "sufficient") -> int:
    """Bytes of every buffer of the compiled simulation (XLA's memory analysis: temporaries, output, inputs),
    without running it. With ``"sufficient"`` it does not depend on n. :func:`numerics.driver.limits.replicate_chunk`
    is the arithmetic bound checked before a run."""
    run, alphas, betas, sizes = compiled_simulation(eco, rounds, replicates, method)
    analysis = run.lower(jax.random.PRNGKey(0), alphas, betas, sizes).compile().memory_analysis()
    return analysis.temp_size_in_bytes + analysis.output_size_in_bytes + analysis.argument_size_in_bytes
