"""Monte Carlo of the actual finite-sample process, from raw samples.

Each round each model assembles its training set: its private and the public real samples (drawn once under
``reuse``, anew each round under ``fresh`` and ``accumulate``; the public sample is shared by all models) and
its own draws from every model's current fit N(m_j, S_j), in the sizes of :mod:`theory.rounds`; then it refits
with the weighted estimator of :mod:`theory.gaussian`. Under ``accumulate`` the refit on the union of all
batches is computed from running weighted sums, which is exact: the Gaussian fit depends on the data only
through the weighted mean and second moment. Replicates are ``vmap``-ped; the PRNG key is explicit.
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


@dataclass(frozen=True)
class MonteCarlo:
    """Simulated fitted parameters over rounds t = 0..T, with what made them.

    means: (R, T+1, K, d); covs: (R, T+1, K, d, d); R replicates.
    """

    ecosystem: Ecosystem
    seed: int | None
    key: tuple[int, ...]
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
    """A symmetric square root of a PSD matrix (negative round-off eigenvalues clipped to zero)."""
    values, vectors = jnp.linalg.eigh(cov)
    return (vectors * jnp.sqrt(jnp.clip(values, 0.0))) @ vectors.T


def _weighted_moments(samples, size):
    """Mean and (1/N) sum x x^T of the first ``size`` rows of ``samples`` (N_max, d)."""
    mask = (jnp.arange(samples.shape[0]) < size)[:, None]
    kept = samples * mask
    return kept.sum(0) / size, kept.T @ kept / size


@functools.lru_cache(maxsize=64)
def _simulator(eco: Ecosystem, sizes: tuple[tuple[str, int], ...]):
    sizes = dict(sizes)
    K, d = eco.K, eco.dim
    real_means = jnp.array([[float(x) for x in s.mean] for s in eco.private])
    real_roots = jnp.stack([jnp.linalg.cholesky(JAX.asarray(s.cov)) for s in eco.private])
    public_mean = jnp.array([float(x) for x in eco.public.mean])
    public_root = jnp.linalg.cholesky(JAX.asarray(eco.public.cov))
    unbiased = eco.estimator == "unbiased"

    def draw_real(key, plan):
        k_private, k_public = jax.random.split(key)
        z = jax.random.normal(k_private, (K, sizes["private"], d))
        private = real_means[:, None, :] + jnp.einsum("kij,knj->kni", real_roots, z)
        public = public_mean + jax.random.normal(k_public, (sizes["public"], d)) @ public_root.T
        xbar, second = jax.vmap(_weighted_moments)(private, plan.n_private[:, 0])
        pub_xbar, pub_second = _weighted_moments(public, plan.n_public)
        return xbar, second, pub_xbar, pub_second

    def draw_synthetic(key, plan, means, covs):
        roots = jax.vmap(_symmetric_root)(covs)
        z = jax.random.normal(key, (K, K, sizes["synthetic"], d))  # [consumer k, producer j, sample]
        samples = means[None, :, None, :] + jnp.einsum("jab,kjnb->kjna", roots, z)
        moments = jax.vmap(jax.vmap(_weighted_moments))
        return moments(samples, plan.n_synthetic)

    def one_round(state, key, plan, t, fixed_real):
        means, covs, union_second, union_nu = state
        k_real, k_synthetic = jax.random.split(key)
        real = fixed_real if eco.regime == "reuse" else draw_real(k_real, plan)
        xbar, second, pub_xbar, pub_second = real
        syn_xbar, syn_second = draw_synthetic(k_synthetic, plan, means, covs)
        wp, wq, ws = plan.w_private[:, 0], plan.w_public[:, 0], plan.w_synthetic
        batch_mean = wp[:, None] * xbar + wq[:, None] * pub_xbar + jnp.einsum("kj,kja->ka", ws, syn_xbar)
        batch_second = (
            wp[:, None, None] * second + wq[:, None, None] * pub_second + jnp.einsum("kj,kjab->kab", ws, syn_second)
        )
        batch_nu = wp**2 / plan.n_private[:, 0] + wq**2 / plan.n_public + jnp.sum(ws**2 / plan.n_synthetic, 1)
        if eco.regime == "accumulate":
            new_means = (t * means + batch_mean) / (t + 1)
            union_second = (t * union_second + batch_second) / (t + 1)
            union_nu = (t**2 * union_nu + batch_nu) / (t + 1) ** 2
        else:
            new_means, union_second, union_nu = batch_mean, batch_second, batch_nu
        factor = 1 / (1 - union_nu) if unbiased else jnp.ones(K)
        new_covs = factor[:, None, None] * (union_second - jnp.einsum("ka,kb->kab", new_means, new_means))
        return (new_means, new_covs, union_second, union_nu)

    def simulate_one(key, alphas, betas):
        k_data, k_start, k_rounds = jax.random.split(key, 3)
        plan0 = round_plan(eco, alphas[0], float(eco.beta_at(1)), initial=True, ops=JAX)
        fixed_real = draw_real(k_data, plan0) if eco.regime == "reuse" else None
        zero = (jnp.zeros((K, d)), jnp.zeros((K, d, d)), jnp.zeros((K, d, d)), jnp.zeros(K))
        start = one_round(zero, k_start, plan0, 0.0, fixed_real)

        def body(state, inputs):
            key, alpha, beta, t = inputs
            plan = round_plan(eco, alpha, beta, initial=False, ops=JAX)
            state = one_round(state, key, plan, t, fixed_real)
            return state, state[:2]

        T = alphas.shape[0]
        keys = jax.random.split(k_rounds, T)
        _, (means, covs) = jax.lax.scan(body, start, (keys, alphas, betas, jnp.arange(1.0, T + 1)))
        return jnp.concatenate([start[0][None], means]), jnp.concatenate([start[1][None], covs])

    return jax.jit(jax.vmap(simulate_one, in_axes=(0, None, None)))


def simulate(eco: Ecosystem, rounds: int, key, replicates: int = 1000) -> MonteCarlo:
    """Simulate ``replicates`` independent runs of the process for ``rounds`` update rounds.

    ``key`` is a jax PRNG key or an integer seed; the result carries it with the spec.
    """
    if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer) or replicates < 1:
        raise SpecError("replicates", f"must be an integer >= 1, got {replicates!r}")
    require_gaussian(eco)
    seed = None
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        seed, key = int(key), jax.random.PRNGKey(int(key))
    alphas, betas = schedules(eco, rounds)
    run = _simulator(eco, tuple(sorted(_static_sizes(eco, rounds).items())))
    means, covs = run(jax.random.split(key, replicates), jnp.asarray(alphas), jnp.asarray(betas))
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return MonteCarlo(eco, seed, key_data, np.asarray(means), np.asarray(covs))
