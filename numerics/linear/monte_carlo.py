"""Monte Carlo of the linear-Gaussian surrogate: labels drawn from the real sources or the models' previous
fits, every model refitted by minimum-norm weighted least squares (:class:`LinearMonteCarlo`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.divergence import Divergence, first_divergence
from interplay.numerics.driver.keys import prng_key
from interplay.numerics.driver.limits import replicate_chunk, replicate_keys, require_count, run_in_chunks
from interplay.numerics.driver.schedules import initial_beta, schedules
from interplay.numerics.linear.iterate import JAX_LINEAR, require_linear, round_plan_of
from interplay.theory.spec import Ecosystem, SpecError

# -- Monte Carlo of the sampling process -----------------------------------------------------------------------


@dataclass(frozen=True)
class LinearMonteCarlo:
    """Simulated fitted parameters theta_{t,k}: thetas (R, T+1, K, d), R replicates, with what made them."""

    ecosystem: Ecosystem
    seed: int | None
    key: tuple[int, ...]
    method: str
    thetas: np.ndarray

    @property
    def replicates(self) -> int:
        return self.thetas.shape[0]

    @property
    def rounds(self) -> int:
        return self.thetas.shape[1] - 1

    @cached_property
    def divergence(self) -> Divergence | None:
        """None, or the first round at which some replicate's fit is not finite (:mod:`numerics.driver.divergence`)."""
        return first_divergence({"thetas": self.thetas}, round_axis=1)

    def task_error(self, gram=None) -> np.ndarray:
        """(R, T+1, K): (theta_k - theta*)^T S (theta_k - theta*) per replicate."""
        theta = np.asarray(self.ecosystem.family.theta.evalf(), dtype=float).ravel()
        S = np.eye(theta.size) if gram is None else np.asarray(gram, dtype=float)
        gap = self.thetas - theta
        return np.einsum("...i,ij,...j->...", gap, S, gap)


METHODS = ("sufficient", "raw")
EMBEDDING_SEED = 0  # fixes the orthonormal embedding of a Gram-only design's raw rows


def design_rows(design, size: int, method: str) -> np.ndarray:
    """The rows whose labels the simulation draws, for a design of ``size`` samples.

    The fit sees a design only through X^T X = size S and X^T y ~ N(X^T X theta, sigma^2 X^T X). ``"sufficient"``:
    the d root rows R (R^T R = size S), so a round draws d labels per source whatever the size. ``"raw"``: all
    ``size`` rows -- the data when the spec holds them, else Q R with Q (size x d) orthonormal columns (Q^T Q = I,
    from a QR factorisation with a fixed seed), which has the same Gram.
    """
    if method == "sufficient":
        return design.root_rows(size)
    if design.data is not None:
        return design.rows()
    root = design.root_rows(size)
    gaussian = np.random.default_rng(EMBEDDING_SEED).standard_normal((size, root.shape[0]))
    return np.linalg.qr(gaussian)[0] @ root


@compiled_cache
def _simulator(eco: Ecosystem, method: str):
    K = eco.K
    family = eco.family
    theta = jnp.asarray(np.asarray(family.theta.evalf(), dtype=float).ravel())
    sigma = float(np.sqrt(float(family.noise_var)))
    real_X = [jnp.asarray(design_rows(s, s.size, method)) for s in (*eco.private, eco.public)]
    real_n = [float(s.size) for s in (*eco.private, eco.public)]
    synthetic_X = [jnp.asarray(design_rows(s, eco.n, method)) for s in family.synthetic_designs(K)]
    m = float(eco.n)

    def real_data(key):
        """X_s^T y_s / n_s for fresh real labels y_s = X_s theta* + sigma eps, and the Grams X_s^T X_s / n_s."""
        keys = jax.random.split(key, K + 1)
        rhs, grams = [], []
        for key_s, X, n in zip(keys, real_X, real_n):
            y = X @ theta + sigma * jax.random.normal(key_s, (X.shape[0],))
            rhs.append(X.T @ y / n)
            grams.append(X.T @ X / n)
        return rhs, grams

    def one_round(state, key, plan, fixed_real):
        thetas, normal_sum, rhs_sum = state
        k_real, k_synthetic = jax.random.split(key)
        rhs, grams = fixed_real if eco.regime == "reuse" else real_data(k_real)
        keys = jax.random.split(k_synthetic, K)
        synthetic_rhs, synthetic_grams = [], []
        for j, (key_j, X) in enumerate(zip(keys, synthetic_X)):  # one synthetic dataset per generating model
            y = X @ thetas[j] + sigma * jax.random.normal(key_j, (X.shape[0],))
            synthetic_rhs.append(X.T @ y / m)
            synthetic_grams.append(X.T @ X / m)
        new_thetas, normals, rhss = [], [], []
        for k in range(K):
            wp, wq = plan.w_private[k, 0], plan.w_public[k, 0]
            normal = wp * grams[k] + wq * grams[K] + sum(plan.w_synthetic[k, j] * synthetic_grams[j] for j in range(K))
            rhs_k = wp * rhs[k] + wq * rhs[K] + sum(plan.w_synthetic[k, j] * synthetic_rhs[j] for j in range(K))
            if eco.regime == "accumulate":  # the union of every round's batch, each of equal weight
                normal, rhs_k = normal_sum[k] + normal, rhs_sum[k] + rhs_k
            normals.append(normal)
            rhss.append(rhs_k)
            new_thetas.append(JAX_LINEAR.pinv(normal) @ rhs_k)  # the minimum-norm weighted least-squares fit
        return jnp.stack(new_thetas), jnp.stack(normals), jnp.stack(rhss)

    def simulate_one(key, alphas, betas):
        k_data, k_start, k_rounds = jax.random.split(key, 3)
        fixed_real = real_data(k_data)
        d = theta.shape[0]
        zero = (jnp.zeros((K, d)), jnp.zeros((K, d, d)), jnp.zeros((K, d)))
        start = one_round(zero, k_start, round_plan_of(eco, 0.0, initial_beta(eco, betas), True), fixed_real)

        def body(state, inputs):
            key, alpha, beta = inputs
            state = one_round(state, key, round_plan_of(eco, alpha, beta, False), fixed_real)
            return state, state[0]

        keys = jax.random.split(k_rounds, alphas.shape[0])
        _, thetas = jax.lax.scan(body, start, (keys, alphas, betas))
        return jnp.concatenate([start[0][None], thetas])

    return jax.jit(jax.vmap(simulate_one, in_axes=(0, None, None)))


def compiled_simulation(eco: Ecosystem, method: str = "sufficient"):
    """The jitted f(keys (R, 2), alphas (T,), betas (T,)) -> thetas (R, T+1, K, d) of :func:`simulate_linear`."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    return _simulator(eco, method)


def drawn_per_source(eco: Ecosystem, method: str) -> int:
    """Numbers per dimension a source holds while drawn in a round: raw, a label per sample; sufficient, d."""
    if method != "raw" or eco.n is None:
        return eco.dim
    return max([int(eco.n)] + [int(s.size) for s in (*eco.private, eco.public)])


def simulate_linear(
    eco: Ecosystem, rounds: int, key, replicates: int = 1000, method: str = "sufficient", memory: int | None = None
) -> LinearMonteCarlo:
    """Simulate ``replicates`` independent runs of the process (designs fixed, labels random).

    ``key`` is a jax PRNG key or an integer seed; the result carries it with the spec. ``method``:
    ``"sufficient"`` (default) draws d labels per source on root rows of its design, so the cost does not grow
    with the sample sizes; ``"raw"`` draws a label for every sample (the reference). Same law (:func:`design_rows`).
    Replicates run in chunks of bounded memory; what cannot fit in ``memory`` bytes (default: available) is
    refused up front (:mod:`numerics.driver.limits`).
    """
    require_linear(eco)
    replicates = require_count(replicates, "replicates", 1)
    if eco.n is None:
        raise SpecError("n", "Monte Carlo needs a finite synthetic sample size; n = None is the population limit")
    eco.check_rounds(rounds)
    chunk = replicate_chunk(eco, rounds, replicates, drawn_per_source=drawn_per_source(eco, method), memory=memory)
    seed, key = prng_key(key)
    alphas, betas = schedules(eco, rounds)
    run = compiled_simulation(eco, method)
    thetas = run_in_chunks(run, replicate_keys(key, replicates), chunk, jnp.asarray(alphas), jnp.asarray(betas))
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return LinearMonteCarlo(eco, seed, key_data, method, thetas)
