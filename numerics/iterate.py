"""Iterate the theory's maps for T rounds with ``lax.scan`` under ``jit``.

``iterate_moments`` runs the exact finite-n moment recursion (:func:`theory.gaussian.moment_step`),
``iterate_population`` the infinite-sample map (:func:`theory.gaussian.population_step`), both evaluated with
jax ops from the one definition in `theory`. The compiled functions take the alpha and beta schedules as
arrays, so they can be ``vmap``-ped over parameter values and differentiated.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from theory import gaussian
from theory.rounds import round_plan
from theory.spec import Ecosystem, SpecError

from .jax_ops import JAX


def schedules(eco: Ecosystem, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """alpha_t and beta_t for t = 1..rounds as float arrays (a numeric spec is required)."""
    if not eco.is_numeric:
        raise SpecError("ecosystem", f"numerics needs numbers, the spec has symbols {sorted(map(str, eco.symbols))}")
    eco.check_rounds(rounds)
    alphas = np.array([float(eco.alpha_at(t)) for t in range(1, rounds + 1)])
    betas = np.array([float(eco.beta_at(t)) for t in range(1, rounds + 1)])
    return alphas, betas


def require_gaussian(eco: Ecosystem) -> None:
    if eco.family.name != "gaussian":
        raise SpecError("family", f"this computation is for Gaussian ecosystems, not {eco.family.name}")


def _initial_beta(eco: Ecosystem) -> float:
    return float(eco.beta_at(1))


@functools.lru_cache(maxsize=64)
def moment_recursion(eco: Ecosystem):
    """A jitted f(alphas, betas) -> (E m, Cov m, E S) over rounds 0..T, shapes (T+1, Kd[, Kd]) and (T+1, Kd, d)."""

    def summary(moments):
        return moments.mean[:, 0], moments.cov, gaussian.fitted_covariance(eco, moments, JAX)

    def run(alphas, betas):
        plan0 = round_plan(eco, alphas[0], _initial_beta(eco), initial=True, ops=JAX)
        start = gaussian.moment_step(eco, gaussian.zero_moments(eco, JAX), plan0, 0.0, JAX)

        def body(moments, inputs):
            alpha, beta, t = inputs
            plan = round_plan(eco, alpha, beta, initial=False, ops=JAX)
            moments = gaussian.moment_step(eco, moments, plan, t, JAX)
            return moments, summary(moments)

        ts = jnp.arange(1, alphas.shape[0] + 1, dtype=jnp.float64)
        _, path = jax.lax.scan(body, start, (alphas, betas, ts))
        first = summary(start)
        return tuple(jnp.concatenate([f[None], p]) for f, p in zip(first, path))

    return jax.jit(run)


@functools.lru_cache(maxsize=64)
def population_recursion(eco: Ecosystem):
    """A jitted f(alphas, betas) -> (m, S) over rounds 0..T of the population map, shapes (T+1, Kd[, d])."""

    def run(alphas, betas):
        K, d = eco.K, eco.dim
        plan0 = round_plan(eco, alphas[0], _initial_beta(eco), initial=True, population=True, ops=JAX)
        empty = gaussian.Fit(jnp.zeros((K * d, 1)), jnp.zeros((K * d, d)))
        start = gaussian.population_step(eco, empty, plan0, 0.0, JAX)

        def body(fit, inputs):
            alpha, beta, t = inputs
            plan = round_plan(eco, alpha, beta, initial=False, population=True, ops=JAX)
            fit = gaussian.population_step(eco, fit, plan, t, JAX)
            return fit, (fit.mean[:, 0], fit.cov)

        ts = jnp.arange(1, alphas.shape[0] + 1, dtype=jnp.float64)
        _, (means, covs) = jax.lax.scan(body, start, (alphas, betas, ts))
        return (jnp.concatenate([start.mean[:, 0][None], means]), jnp.concatenate([start.cov[None], covs]))

    return jax.jit(run)


@dataclass(frozen=True)
class ExactTrajectory:
    """Exact values over rounds t = 0..T.

    mean:       (T+1, K, d)        E[m_k] (population: m_k itself)
    fitted_cov: (T+1, K, d, d)     E[S_k] (population: S_k itself)
    mean_cov:   (T+1, K, d, K, d)  Cov(m_k, m_l); zero in the population limit
    """

    ecosystem: Ecosystem
    kind: str
    mean: np.ndarray
    fitted_cov: np.ndarray
    mean_cov: np.ndarray

    @property
    def rounds(self) -> int:
        return self.mean.shape[0] - 1

    def squared_distance(self, k: int, l: int) -> np.ndarray:
        """E||m_k - m_l||^2 per round: ||E m_k - E m_l||^2 + tr(Cov m_k + Cov m_l - 2 Cov(m_k, m_l))."""
        gap = self.mean[:, k] - self.mean[:, l]
        c = self.mean_cov
        spread = np.trace(c[:, k, :, k] + c[:, l, :, l] - 2 * c[:, k, :, l], axis1=1, axis2=2)
        return np.sum(gap**2, axis=1) + spread


def iterate_moments(eco: Ecosystem, rounds: int) -> ExactTrajectory:
    """The exact expected trajectory of the finite-n process (n = None gives the population map's values)."""
    require_gaussian(eco)
    alphas, betas = schedules(eco, rounds)
    mean, cov, fitted = moment_recursion(eco)(jnp.asarray(alphas), jnp.asarray(betas))
    K, d = eco.K, eco.dim
    T = rounds + 1
    return ExactTrajectory(
        eco,
        "moments",
        np.asarray(mean).reshape(T, K, d),
        np.asarray(fitted).reshape(T, K, d, d),
        np.asarray(cov).reshape(T, K, d, K, d),
    )


def iterate_population(eco: Ecosystem, rounds: int) -> ExactTrajectory:
    """The deterministic trajectory of the population (infinite-sample) map."""
    require_gaussian(eco)
    alphas, betas = schedules(eco, rounds)
    mean, cov = population_recursion(eco)(jnp.asarray(alphas), jnp.asarray(betas))
    K, d = eco.K, eco.dim
    T = rounds + 1
    return ExactTrajectory(
        eco,
        "population",
        np.asarray(mean).reshape(T, K, d),
        np.asarray(cov).reshape(T, K, d, d),
        np.zeros((T, K, d, K, d)),
    )
