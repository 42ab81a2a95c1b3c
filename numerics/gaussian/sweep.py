"""The Gaussian family's part of a sweep (:mod:`numerics.sweeps`): its exact quantities at a grid point, from the
final state of the exact recursion (centred coordinates), and its Monte Carlo sampler.

==================  ================  ==============================================================
name                shape             value
==================  ================  ==============================================================
``mean``            (K, d)            E m_k
``fitted_cov``      (K, d, d)         E S_k
``mean_cov``        (Kd, Kd)          Cov(m)
``spread``          (K, K)            E||m_k - m_l||^2 (homogenisation; 0 on the diagonal)
``task_error``      (K, K+1)          E||m_k - mu_j||^2 to each task's mean (private tasks, then public)
``spectral_radius`` ()                max |eigenvalue| of the iterated map's Jacobian at the final state
``converged_at``    ()                first round whose largest change is below ``tolerance`` (-1: never)
``mc_mean``         (K, d)            Monte Carlo mean of the fitted means m_k at the final round
``mc_fitted_cov``   (K, d, d)         Monte Carlo mean of the fitted covariances S_k
``mc_spread``       (K, K)            Monte Carlo mean of ||m_k - m_l||^2
==================  ================  ==============================================================
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from interplay.numerics.driver.jax_ops import JAX, pairwise_squared_distance
from interplay.numerics.gaussian.iterate import recursion
from interplay.numerics.gaussian.monte_carlo import compiled_simulation
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.rounds import round_plan
from interplay.theory.spec import Ecosystem

EXACT_QUANTITIES = ("mean", "fitted_cov", "mean_cov", "spread", "task_error", "spectral_radius", "converged_at")
MONTE_CARLO_QUANTITIES = ("mc_mean", "mc_fitted_cov", "mc_spread")


def _block_diagonal(matrix, K, d):
    return jnp.stack([matrix[k * d : (k + 1) * d, k * d : (k + 1) * d] for k in range(K)])


def _quantities(eco: Ecosystem, population: bool):
    """The exact quantities of a final state of :func:`numerics.gaussian.iterate.recursion` (centred coordinates: means
    measured from the public mean; ``mean`` adds it back)."""
    K, d = eco.K, eco.dim
    origin = JAX.asarray(gaussian.origin(eco))[:, 0]
    eco = gaussian.centred(eco)
    tasks = jnp.stack([JAX.asarray(s.mean)[:, 0] for s in (*eco.private, eco.public)])

    def parts(state):
        means = state.mean[:, 0].reshape(K, d)
        if population:
            return means, state.cov.reshape(K, d, d), jnp.zeros((K * d, K * d))
        return means, gaussian.fitted_covariance(eco, state, JAX).reshape(K, d, d), state.cov

    def spread(state):
        means, _, cov = parts(state)
        blocks = cov.reshape(K, d, K, d)
        variance = jnp.einsum("kiki->k", blocks)
        cross = jnp.einsum("kili->kl", blocks)
        gap = ((means[:, None] - means[None]) ** 2).sum(-1)
        return gap + variance[:, None] + variance[None] - 2 * cross

    def task_error(state):
        means, _, cov = parts(state)
        variance = jnp.trace(_block_diagonal(cov, K, d), axis1=1, axis2=2)
        return ((means[:, None] - tasks[None]) ** 2).sum(-1) + variance[:, None]

    return {
        "mean": lambda state: parts(state)[0] + origin,
        "fitted_cov": lambda state: parts(state)[1],
        "mean_cov": lambda state: parts(state)[2],
        "spread": spread,
        "task_error": task_error,
    }


def _spectral_radius(eco: Ecosystem, population: bool, state, alpha, beta, round_sizes):
    """max |lambda| of d(step)/d(state) at ``state`` (centred coordinates) for constant alpha, beta (round t = 1's
    map, whose sample sizes are ``round_sizes``)."""
    eco = gaussian.centred(eco)
    flat, unravel = ravel_pytree(state)
    sizes = None if population else round_sizes
    plan = round_plan(eco, alpha, beta, initial=False, population=population, sizes=sizes, ops=JAX)
    step = gaussian.population_step if population else gaussian.moment_step

    def flat_step(x):
        return ravel_pytree(step(eco, unravel(x), plan, 1.0, JAX))[0]

    return jnp.max(jnp.abs(jnp.linalg.eigvals(jax.jacfwd(flat_step)(flat))))


def exact_point(eco: Ecosystem, rounds: int, population: bool, tolerance: float):
    """f(alpha, beta, sizes, quantities) -> {quantity: value} at one grid point after ``rounds`` rounds of the
    exact recursion (or the population map); ``sizes`` are the point's (:func:`numerics.sweeps._point_sizes`)."""
    run = recursion(eco, rounds, population=population, trajectory=False)
    table = _quantities(eco, population)

    def at(alpha, beta, sizes, quantities):
        final, converged_at, _ = run(alpha, beta, sizes, tolerance)
        out = {}
        for q in quantities:
            if q == "converged_at":
                out[q] = converged_at
            elif q == "spectral_radius":
                out[q] = _spectral_radius(eco, population, final, alpha, beta, sizes.rounds)
            else:
                out[q] = table[q](final)
        return out

    return at


def monte_carlo_sampler(eco: Ecosystem, rounds: int, replicates: int, seed: int):
    """g(alphas (T,), betas (T,), sizes) -> {mc quantity: per-replicate values (R, ...)} at the final round: the
    sufficient-statistics ``compiled_simulation``, one key (that of ``simulate(eco, rounds, key=seed, ...)``)."""
    key = jax.random.PRNGKey(seed)
    run = compiled_simulation(eco, rounds, replicates, "sufficient")[0]
    origin = JAX.asarray(gaussian.origin(eco))[:, 0]

    def gaussian_samples(alphas, betas, sizes):
        means, covs = run(key, alphas, betas, sizes)  # means from the origin
        return {
            "mc_mean": means[:, -1] + origin,
            "mc_fitted_cov": covs[:, -1],
            "mc_spread": pairwise_squared_distance(means[:, -1]),
        }

    return gaussian_samples


def sweep_settings(eco: Ecosystem, exact_population: bool, simulated: bool) -> dict:
    """The Monte Carlo quantities run the sufficient-statistics method."""
    return {"method": "sufficient"} if simulated else {}


def sweep_replicate_size(eco: Ecosystem, rounds: int) -> tuple[int, int]:
    """A replicate keeps its whole trajectory and draws sufficient statistics."""
    return rounds + 1, 0
