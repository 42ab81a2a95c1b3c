"""The limit law of the linear-Gaussian surrogate: M = (I - Q)^-1 P and C from the discrete Lyapunov equation
(:class:`LongRun`), and the long-run relative efficiency over an (alpha, beta) grid."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.results import Labelled
from interplay.numerics.driver.schedules import model_values
from interplay.numerics.homogenisation_measures import expected_pair_distance
from interplay.numerics.linear import steps
from interplay.numerics.linear.iterate import LinearTrajectory, require_linear, task_error
from interplay.numerics.lyapunov import spectral_radius, stationary_covariance
from interplay.theory.spec import Ecosystem, SpecError

# -- the limit -------------------------------------------------------------------------------------------------


@compiled_cache
def stationary_program(st: steps.Structure):
    """A jitted f(values, alpha, beta) -> (P, Q, N, D, E b, Sigma_b) of an update round with constant alpha, beta,
    for every ecosystem of structure ``st``."""

    def run(v, alpha, beta):
        step = steps.dynamics(st, v, steps.weights(v, alpha, beta, initial=False))
        mean_b, sigma_b = steps.real_statistics(v)
        return step.P, step.Q, step.N, steps.synthetic_noise(v), mean_b, sigma_b

    return jax.jit(run)


def stationary_dynamics(eco: Ecosystem):
    """f(alpha, beta) -> (P, Q, N, D, E b, Sigma_b) of ``eco`` (:func:`stationary_program` with its values)."""
    return functools.partial(stationary_program(steps.structure(eco)), steps.values(eco))


@dataclass(frozen=True)
class LongRun(Labelled):
    """The limit law of theta_t: mean (K, d), cov (K, d, K, d); M = (I - Q)^-1 P, C the Lyapunov solution;
    labelled (``to_xarray``) as :class:`numerics.linear.iterate.LinearTrajectory` without its rounds."""

    ecosystem: Ecosystem
    spectral_radius: float
    M: np.ndarray
    C: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    dims = LinearTrajectory.dims | {"spectral_radius": ()}

    def task_error(self, gram=None) -> np.ndarray:
        theta = np.asarray(self.ecosystem.family.theta.evalf(), dtype=float).ravel()
        return task_error(self.mean, self.cov, theta, gram)

    def squared_distance(self, k: int, l: int) -> float:
        return float(expected_pair_distance(self.mean, self.cov, k, l))


def _long_run(eco: Ecosystem, P, Q, N, D, mean_b, sigma_b) -> LongRun:
    P, Q, N, D, mean_b, sigma_b = (np.asarray(x) for x in (P, Q, N, D, mean_b, sigma_b))
    forcing = N @ D @ N.T if eco.regime == "reuse" else N @ D @ N.T + P @ sigma_b @ P.T
    C = stationary_covariance(Q, forcing, "Q")  # Q C Q^T - C + forcing = 0; refuses rho(Q) >= 1
    radius = spectral_radius(Q)
    M = np.linalg.solve(np.eye(Q.shape[0]) - Q, P)
    cov = M @ sigma_b @ M.T + C if eco.regime == "reuse" else C
    K, d = eco.K, eco.dim
    return LongRun(eco, radius, M, C, (M @ mean_b).reshape(K, d), ((cov + cov.T) / 2).reshape(K, d, K, d))


def long_run_linear(eco: Ecosystem) -> LongRun:
    """The limit law for constant alpha, beta (reuse or fresh); raises NoUniqueFixedPoint when rho(Q) >= 1."""
    require_linear(eco)
    if not eco.is_numeric or not eco.is_constant or eco.regime == "accumulate":
        raise SpecError("ecosystem", "the limit needs a numeric spec, constant alpha and beta, and reuse or fresh")
    parts = stationary_dynamics(eco)(model_values(eco, eco.alpha), model_values(eco, eco.beta))
    return _long_run(eco, *parts)


def ideal_error(eco: Ecosystem) -> float:
    """MSE of the ideal estimator that pools every real sample: sigma^2 tr((sum_s n_s S_s)^+)."""
    pooled = sum(s.size * np.asarray(s.gram.evalf(), dtype=float) for s in (*eco.private, eco.public))
    return float(eco.family.noise_var) * float(np.trace(np.linalg.pinv(pooled, rcond=steps.PINV_RTOL, hermitian=True)))


def long_run_grid(eco: Ecosystem, alphas, betas) -> tuple[np.ndarray, list[list[LongRun | None]]]:
    """rho(Q) (A, B) and the limit law at every (alpha, beta) of the grid (None where rho(Q) >= 1), compiled once."""
    require_linear(eco)
    f = stationary_dynamics(eco)
    radius = np.zeros((len(alphas), len(betas)))
    laws: list[list[LongRun | None]] = []
    for i, a in enumerate(alphas):
        laws.append([])
        for j, b in enumerate(betas):
            parts = [np.asarray(x) for x in f(a, b)]
            radius[i, j] = np.max(np.abs(np.linalg.eigvals(parts[1])))
            laws[i].append(_long_run(eco, *parts) if radius[i, j] < 1 - 1e-12 else None)
    return radius, laws


def relative_efficiency_grid(eco: Ecosystem, alphas, betas) -> dict[str, np.ndarray]:
    """Long-run relative efficiency RE = MSE_ideal / lim E||theta_k - theta*||^2 over an (alpha, beta) grid.

    Returns ``per_model`` (A, B, K), ``overall`` (A, B) = MSE_ideal / mean_k MSE_k, ``radius`` (A, B) = rho(Q);
    RE is 0 where rho(Q) >= 1 (no limit: the error grows without bound).
    """
    alphas, betas = np.asarray(alphas, dtype=float), np.asarray(betas, dtype=float)
    ideal = ideal_error(eco)
    radius, laws = long_run_grid(eco, alphas, betas)
    per_model = np.zeros((alphas.size, betas.size, eco.K))
    for i in range(alphas.size):
        for j in range(betas.size):
            if laws[i][j] is not None:
                per_model[i, j] = ideal / laws[i][j].task_error()
    overall = np.where(per_model.min(-1) > 0, ideal / np.mean(ideal / np.where(per_model > 0, per_model, 1), -1), 0)
    return {"alphas": alphas, "betas": betas, "per_model": per_model, "overall": overall, "radius": radius}
