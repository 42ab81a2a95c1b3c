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

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from interplay.numerics.gaussian import step
from interplay.numerics.gaussian.iterate import _structured_recursion
from interplay.numerics.gaussian.monte_carlo import SimulationValues, compiled_simulation
from interplay.numerics.homogenisation_measures import expected_squared_distance, squared_distance
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.spec import Ecosystem

EXACT_QUANTITIES = ("mean", "fitted_cov", "mean_cov", "spread", "task_error", "spectral_radius", "converged_at")
MONTE_CARLO_QUANTITIES = ("mc_mean", "mc_fitted_cov", "mc_spread")
QUANTITY_DIMS = {  # their dimensions beyond the swept axes (numerics.labelled); mean_cov's are m's stacked entries
    "mean": ("model", "component"),
    "fitted_cov": ("model", "component", "component2"),
    "mean_cov": ("parameter", "parameter2"),
    "spread": ("model", "model2"),
    "task_error": ("model", "task"),
    "spectral_radius": (),
    "converged_at": (),
    "mc_mean": ("model", "component"),
    "mc_fitted_cov": ("model", "component", "component2"),
    "mc_spread": ("model", "model2"),
}
VALUE_FIELDS = {"mean": "entry", "cov": "symmetric", "mixing": "row-stochastic"}


class SweepValues(NamedTuple):
    """The numbers a sweep point reads: :class:`numerics.gaussian.step.Values` (centred coordinates), the origin
    (the public mean, added back to the means) and the spec's beta_1."""

    numbers: step.Values
    origin: np.ndarray  # (d,)
    beta_1: np.ndarray  # ()


def sweep_values(eco: Ecosystem) -> SweepValues:
    return SweepValues(
        step.values(eco), np.array(gaussian.origin(eco), dtype=float).ravel(), np.float64(eco.beta_at(1))
    )


def sweep_structure(eco: Ecosystem) -> tuple:
    """K, d, regime, estimator, and the sizes that bound the Monte Carlo's raw-sample routes."""
    sizes = tuple(s.size for s in (*eco.private, eco.public))
    return step.structure(eco), eco.n, sizes


def _block_diagonal(matrix, K, d):
    return jnp.stack([matrix[k * d : (k + 1) * d, k * d : (k + 1) * d] for k in range(K)])


def _quantities(shape: step.Structure, v: SweepValues, population: bool):
    """The exact quantities of a final state of :func:`numerics.gaussian.iterate.recursion` (centred coordinates:
    means measured from the public mean; ``mean`` adds it back)."""
    K, d = shape.K, shape.d
    tasks = jnp.concatenate([v.numbers.private_mean, v.numbers.public_mean[None]])

    def parts(state):
        means = state.mean[:, 0].reshape(K, d)
        if population:
            return means, state.cov.reshape(K, d, d), jnp.zeros((K * d, K * d))
        return means, step.fitted_covariance(shape, state).reshape(K, d, d), state.cov

    def spread(state):
        means, _, cov = parts(state)
        return expected_squared_distance(means, cov.reshape(K, d, K, d))

    def task_error(state):
        means, _, cov = parts(state)
        variance = jnp.trace(_block_diagonal(cov, K, d), axis1=1, axis2=2)
        return ((means[:, None] - tasks[None]) ** 2).sum(-1) + variance[:, None]

    return {
        "mean": lambda state: parts(state)[0] + v.origin,
        "fitted_cov": lambda state: parts(state)[1],
        "mean_cov": lambda state: parts(state)[2],
        "spread": spread,
        "task_error": task_error,
    }


def _spectral_radius(shape: step.Structure, numbers: step.Values, population: bool, state, alpha, beta, round_sizes):
    """max |lambda| of d(step)/d(state) at ``state`` (centred coordinates) for constant alpha, beta (round t = 1's
    map, whose sample sizes are ``round_sizes``)."""
    flat, unravel = ravel_pytree(state)
    plan = step.round_plan(numbers, alpha, beta, None if population else round_sizes, False)
    advance = step.population_step if population else step.moment_step

    def flat_step(x):
        return ravel_pytree(advance(shape, numbers, unravel(x), plan, 1.0))[0]

    return jnp.max(jnp.abs(jnp.linalg.eigvals(jax.jacfwd(flat_step)(flat))))


def exact_point(eco: Ecosystem, rounds: int, population: bool, tolerance: float):
    """f(values, alpha, beta, sizes, quantities) -> {quantity: value} at one grid point after ``rounds`` rounds of
    the exact recursion (or the population map), for every ecosystem of ``eco``'s structure: ``values`` are the
    point's :func:`sweep_values`, ``sizes`` its sample sizes (:class:`numerics.sweeps._PointInputs`)."""
    shape = step.structure(eco)
    run = _structured_recursion(shape, rounds, population, None)

    def at(v: SweepValues, alpha, beta, sizes, quantities):
        final, converged_at, _ = run(v.numbers, v.beta_1, alpha, beta, sizes, tolerance)
        table = _quantities(shape, v, population)
        out = {}
        for q in quantities:
            if q == "converged_at":
                out[q] = converged_at
            elif q == "spectral_radius":
                out[q] = _spectral_radius(shape, v.numbers, population, final, alpha, beta, sizes.rounds)
            else:
                out[q] = table[q](final)
        return out

    return at


def monte_carlo_sampler(eco: Ecosystem, rounds: int, replicates: int, seed: int):
    """g(values, alphas (T,), betas (T,), sizes) -> {mc quantity: per-replicate values (R, ...)} at the final
    round: the sufficient-statistics ``compiled_simulation`` of ``eco``'s structure with the point's
    :func:`sweep_values`, one key (that of ``simulate(eco, rounds, key=seed, ...)``)."""
    key = jax.random.PRNGKey(seed)
    run = compiled_simulation(eco, rounds, replicates, "sufficient")[0]

    def gaussian_samples(v: SweepValues, alphas, betas, sizes):
        means, covs = run(key, alphas, betas, sizes, values=SimulationValues(*v.numbers, v.beta_1))  # centred
        return {
            "mc_mean": means[:, -1] + v.origin,
            "mc_fitted_cov": covs[:, -1],
            "mc_spread": squared_distance(means[:, -1]),
        }

    return gaussian_samples


def sweep_settings(eco: Ecosystem, exact_population: bool, simulated: bool) -> dict:
    """The Monte Carlo quantities run the sufficient-statistics method."""
    return {"method": "sufficient"} if simulated else {}


def sweep_replicate_size(eco: Ecosystem, rounds: int) -> tuple[int, int]:
    """A replicate keeps its whole trajectory and draws sufficient statistics."""
    return rounds + 1, 0
