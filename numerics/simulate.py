"""Monte Carlo of the actual finite-sample process: from raw samples, or from their exact sufficient statistics.

Each round each model assembles its training set: its private and the public real samples (drawn once under
``reuse``, anew each round under ``fresh`` and ``accumulate``; the public sample is shared by all models) and
its own draws from every model's current fit N(m_j, S_j), in the sizes of :mod:`theory.rounds`; then it refits
with the weighted estimator of :mod:`theory.gaussian`. The fit sees each source only through its sample mean
and second moment (1/N) sum x x^T, so a source is drawn by a *statistics sampler* (key, mean, root, N) ->
(xbar, second):

* ``method="raw"`` draws the N samples themselves (the reference; memory and time grow with n);
* ``method="sufficient"`` (default) draws xbar and the scatter from their exact joint law
  (:mod:`numerics.sufficient`), so cost and memory do not depend on n. Both give the same distribution.

Under ``accumulate`` the refit on the union of all batches is computed from running weighted sums, which is
exact for the same reason. Replicates are ``vmap``-ped; the PRNG key is explicit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import sympy

from theory.rounds import plan_at, round_plan
from theory.spec import Ecosystem, SpecError

from .iterate import require_gaussian, schedules
from .jax_ops import JAX
from .sufficient import gaussian_statistics

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


def _static_sizes(eco: Ecosystem, rounds: int) -> dict[str, int]:
    """The largest sample size of each kind over the rounds (array shapes must be static)."""
    ts = range(rounds + 1) if not eco.is_constant else range(min(rounds, 1) + 1)
    plans = [plan_at(eco, t) for t in ts]
    sizes = {
        "synthetic": max(max(p.n_synthetic) for p in plans),
        "private": max(max(p.n_private) for p in plans),
        "public": max(p.n_public for p in plans),
    }
    if any(v == sympy.oo for v in sizes.values()):
        raise SpecError("n", "Monte Carlo needs finite sample sizes; n = None is the population limit")
    return {name: int(v) for name, v in sizes.items()}


def _symmetric_root(cov):
    """Symmetric square roots of PSD matrices (..., d, d) (negative round-off eigenvalues clipped to zero)."""
    if cov.shape[-1] == 1:
        return jnp.sqrt(jnp.clip(cov, 0.0))
    values, vectors = jnp.linalg.eigh(cov)
    return (vectors * jnp.sqrt(jnp.clip(values, 0.0))[..., None, :]) @ jnp.swapaxes(vectors, -1, -2)


def _weighted_moments(samples, size):
    """Mean and (1/N) sum x x^T of the first ``size`` rows of ``samples`` (N_max, d)."""
    mask = (jnp.arange(samples.shape[0]) < size)[:, None]
    kept = samples * mask
    return kept.sum(0) / size, kept.T @ kept / size


def _raw_sampler(max_sizes: dict[str, int]):
    """Statistics from raw samples: each source draws the largest N of its kind and keeps its first N rows."""

    def draw(key, sources):
        statistics = []
        for source_key, (kind, mean, root, size) in zip(jax.random.split(key, len(sources)), sources):
            z = jax.random.normal(source_key, mean.shape[:-1] + (max_sizes[kind], mean.shape[-1]))
            samples = mean[..., None, :] + jnp.einsum("...ab,...nb->...na", root, z)
            moments = _weighted_moments
            for _ in range(mean.ndim - 1):
                moments = jax.vmap(moments)
            statistics.append(moments(samples, size))
        return statistics

    return draw


def _sufficient_sampler(key, sources):
    """Statistics drawn from their exact law, every source of the round in one fused call."""
    d = sources[0][1].shape[-1]
    batches = [mean.shape[:-1] for _, mean, _, _ in sources]
    xbar, second = gaussian_statistics(
        key,
        jnp.concatenate([mean.reshape(-1, d) for _, mean, _, _ in sources]),
        jnp.concatenate([root.reshape(-1, d, d) for _, _, root, _ in sources]),
        jnp.concatenate([size.reshape(-1) for _, _, _, size in sources]),
    )
    ends = np.cumsum([int(np.prod(batch)) for batch in batches])
    return [
        (x.reshape(batch + (d,)), s.reshape(batch + (d, d)))
        for x, s, batch in zip(jnp.split(xbar, ends[:-1]), jnp.split(second, ends[:-1]), batches)
    ]


@functools.lru_cache(maxsize=64)
def _simulator(eco: Ecosystem, method: str, replicates: int, sizes: tuple[tuple[str, int], ...]):
    """A jitted f(key, alphas, betas) -> (means, covs) of all replicates; every array leads with the replicate."""
    draw = _raw_sampler(dict(sizes)) if method == "raw" else _sufficient_sampler
    K, d, R = eco.K, eco.dim, replicates
    real_means = jnp.array([[float(x) for x in s.mean] for s in eco.private])
    real_roots = jnp.stack([jnp.linalg.cholesky(JAX.asarray(s.cov)) for s in eco.private])
    public_mean = jnp.array([float(x) for x in eco.public.mean])
    public_root = jnp.linalg.cholesky(JAX.asarray(eco.public.cov))
    unbiased = eco.estimator == "unbiased"

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

    def one_round(state, key, plan, t, fixed_real):
        means, covs, union_second, union_nu = state
        synthetic = (  # [replicate, consumer k, producer j]
            "synthetic",
            jnp.broadcast_to(means[:, None], (R, K, K, d)),
            jnp.broadcast_to(_symmetric_root(covs)[:, None], (R, K, K, d, d)),
            jnp.broadcast_to(plan.n_synthetic, (R, K, K)),
        )
        if eco.regime == "reuse":
            ((syn_xbar, syn_second),) = draw(key, [synthetic])
            (xbar, second), (pub_xbar, pub_second) = fixed_real
        else:
            (xbar, second), (pub_xbar, pub_second), (syn_xbar, syn_second) = draw(key, real_sources(plan) + [synthetic])
        wp, wq, ws = plan.w_private[:, 0], plan.w_public[:, 0], plan.w_synthetic
        batch_mean = wp[:, None] * xbar + wq[:, None] * pub_xbar[:, None] + jnp.einsum("kj,rkja->rka", ws, syn_xbar)
        batch_second = (
            wp[:, None, None] * second
            + wq[:, None, None] * pub_second[:, None]
            + jnp.einsum("kj,rkjab->rkab", ws, syn_second)
        )
        batch_nu = wp**2 / plan.n_private[:, 0] + wq**2 / plan.n_public + jnp.sum(ws**2 / plan.n_synthetic, 1)
        if eco.regime == "accumulate":
            new_means = (t * means + batch_mean) / (t + 1)
            union_second = (t * union_second + batch_second) / (t + 1)
            union_nu = (t**2 * union_nu + batch_nu) / (t + 1) ** 2
        else:
            new_means, union_second, union_nu = batch_mean, batch_second, batch_nu
        factor = 1 / (1 - union_nu) if unbiased else jnp.ones(K)
        new_covs = factor[:, None, None] * (union_second - jnp.einsum("rka,rkb->rkab", new_means, new_means))
        return (new_means, new_covs, union_second, union_nu)

    def run(key, alphas, betas):
        """Rounds 0..T in one scan; round 0 is the initial fit, i.e. alpha = 0 from the zero state."""
        k_data, k_rounds = jax.random.split(key)
        initial_beta = float(eco.beta_at(1))
        if eco.regime == "reuse":
            fixed_real = draw(k_data, real_sources(round_plan(eco, 0.0, initial_beta, initial=True, ops=JAX)))
        else:
            fixed_real = None

        def body(state, inputs):
            key, alpha, beta, t = inputs
            plan = round_plan(eco, alpha, beta, initial=False, ops=JAX)  # alpha = 0 at t = 0: the initial plan
            state = one_round(state, key, plan, t, fixed_real)
            return state, state[:2]

        alphas = jnp.concatenate([jnp.zeros(1), alphas])
        betas = jnp.concatenate([jnp.full(1, initial_beta), betas])
        rounds = jnp.arange(alphas.shape[0], dtype=jnp.float64)
        zero = (jnp.zeros((R, K, d)), jnp.zeros((R, K, d, d)), jnp.zeros((R, K, d, d)), jnp.zeros(K))
        keys = jax.random.split(k_rounds, alphas.shape[0])
        _, (means, covs) = jax.lax.scan(body, zero, (keys, alphas, betas, rounds))
        return jnp.swapaxes(means, 0, 1), jnp.swapaxes(covs, 0, 1)

    return jax.jit(run)


def _compiled_inputs(eco: Ecosystem, rounds: int, replicates: int, method: str):
    """The jitted simulator for this spec and its schedule arguments (validating every input)."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer) or replicates < 1:
        raise SpecError("replicates", f"must be an integer >= 1, got {replicates!r}")
    require_gaussian(eco)
    alphas, betas = schedules(eco, rounds)
    sizes = _static_sizes(eco, rounds)  # also rejects the population limit
    run = _simulator(eco, method, int(replicates), tuple(sorted(sizes.items())) if method == "raw" else ())
    return run, jnp.asarray(alphas), jnp.asarray(betas)


def simulate(eco: Ecosystem, rounds: int, key, replicates: int = 1000, method: str = "sufficient") -> MonteCarlo:
    """Simulate ``replicates`` independent runs of the process for ``rounds`` update rounds.

    ``key`` is a jax PRNG key or an integer seed; the result carries it with the spec. ``method`` is
    ``"sufficient"`` (default: each source's mean and scatter drawn from their exact law, cost and memory
    independent of n) or ``"raw"`` (the n samples themselves; the reference). Both simulate the same process
    exactly; for one seed they give different draws.
    """
    run, alphas, betas = _compiled_inputs(eco, rounds, replicates, method)
    seed = None
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        seed, key = int(key), jax.random.PRNGKey(int(key))
    means, covs = run(key, alphas, betas)
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return MonteCarlo(eco, seed, key_data, method, np.asarray(means), np.asarray(covs))


def simulation_memory(eco: Ecosystem, rounds: int, replicates: int = 1000, method: str = "sufficient") -> int:
    """Bytes of every buffer of the compiled simulation (XLA's memory analysis: temporaries, output, inputs),
    without running it. With ``"sufficient"`` it does not depend on n."""
    run, alphas, betas = _compiled_inputs(eco, rounds, replicates, method)
    analysis = run.lower(jax.random.PRNGKey(0), alphas, betas).compile().memory_analysis()
    return analysis.temp_size_in_bytes + analysis.output_size_in_bytes + analysis.argument_size_in_bytes
