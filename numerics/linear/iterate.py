"""Exact trajectories of the linear-Gaussian surrogate: the M_t, C_t recursion of :mod:`theory.linear.maps`
evaluated with jax ops and iterated with ``lax.scan`` (:class:`LinearTrajectory`), also over batches of designs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.divergence import Divergence, first_divergence
from interplay.numerics.driver.jax_ops import JaxOps
from interplay.numerics.driver.schedules import initial_beta, schedules
from interplay.theory.linear import maps as linear
from interplay.theory.rounds import round_plan
from interplay.theory.spec import Ecosystem, SpecError

PINV_RTOL = 1e-10  # singular values below this fraction of the largest count as zero (rank-deficient designs)


class LinearJaxOps(JaxOps):
    """jax ops plus the pseudo-inverse of a symmetric PSD matrix (the normal matrices and Grams)."""

    @staticmethod
    def pinv(a):
        return jnp.linalg.pinv(a, rtol=PINV_RTOL, hermitian=True)


JAX_LINEAR = LinearJaxOps()


def require_linear(eco: Ecosystem) -> None:
    if eco.family.name != "linear-gaussian":
        raise SpecError("family", f"this computation is for linear-Gaussian ecosystems, not {eco.family.name}")


def round_plan_of(eco, alpha, beta, initial):
    return round_plan(eco, alpha, beta, initial=initial, population=True, ops=JAX_LINEAR)


@dataclass(frozen=True)
class LinearTrajectory:
    """Exact values over rounds t = 0..T.

    M: (T+1, Kd, (K+1)d), C: (T+1, Kd, Kd) -- the paper's M_t, C_t;
    mean: (T+1, K, d) E theta_{t,k};  cov: (T+1, K, d, K, d) Cov(theta_{t,k}, theta_{t,l}).
    """

    ecosystem: Ecosystem
    M: np.ndarray
    C: np.ndarray
    mean: np.ndarray
    cov: np.ndarray

    @property
    def rounds(self) -> int:
        return self.mean.shape[0] - 1

    @cached_property
    def divergence(self) -> Divergence | None:
        """None, or the first round at which a quantity is not finite (:mod:`numerics.driver.divergence`)."""
        return first_divergence({"M": self.M, "C": self.C, "mean": self.mean, "cov": self.cov})

    @property
    def theta(self) -> np.ndarray:
        return np.asarray(self.ecosystem.family.theta.evalf(), dtype=float).ravel()

    def task_error(self, gram=None) -> np.ndarray:
        """(T+1, K): E[(theta_k - theta*)^T S (theta_k - theta*)] = bias^T S bias + tr(S Cov theta_k), the excess
        squared prediction error on covariates of second moment S (default I: the parameter MSE)."""
        return task_error(self.mean, self.cov, self.theta, gram)

    def squared_distance(self, k: int, l: int) -> np.ndarray:
        """E||theta_k - theta_l||^2 per round (homogenisation)."""
        return squared_distance(self.mean, self.cov, k, l)


def task_error(mean, cov, theta, gram=None):
    d = mean.shape[-1]
    S = np.eye(d) if gram is None else np.asarray(gram, dtype=float)
    bias = mean - theta
    own = np.diagonal(cov, axis1=-4, axis2=-2)  # (..., d, d, K) -> Cov(theta_k) blocks
    own = np.moveaxis(own, -1, -3)
    return np.einsum("...ki,ij,...kj->...k", bias, S, bias) + np.einsum("ij,...kji->...k", S, own)


def squared_distance(mean, cov, k, l):
    gap = mean[..., k, :] - mean[..., l, :]
    spread = cov[..., k, :, k, :] + cov[..., l, :, l, :] - 2 * cov[..., k, :, l, :]
    return np.sum(gap**2, axis=-1) + np.trace(spread, axis1=-2, axis2=-1)


@compiled_cache
def moment_recursion(eco: Ecosystem):
    """A jitted f(alphas, betas, data) -> (M_t, C_t, E theta_t, Cov theta_t) over rounds 0..T.

    ``data`` is a :class:`theory.linear.maps.LinearData` of jax arrays, so one compiled function serves (and vmaps
    over) any designs of the same shapes.
    """

    def summary(data, moments):
        mean, cov = linear.parameter_moments(eco, data, moments, JAX_LINEAR)
        return moments.M, moments.C, mean[:, 0], cov

    def run(alphas, betas, data):
        plan0 = round_plan_of(eco, 0.0, initial_beta(eco, betas), True)  # beta_1 = betas[0]: sweeps vmap over beta
        start = linear.moment_step(eco, data, linear.zero_moments(eco, JAX_LINEAR), plan0, JAX_LINEAR)

        def body(moments, inputs):
            moments = linear.moment_step(eco, data, moments, round_plan_of(eco, *inputs, False), JAX_LINEAR)
            return moments, summary(data, moments)

        _, path = jax.lax.scan(body, start, (alphas, betas))
        return tuple(jnp.concatenate([f[None], p]) for f, p in zip(summary(data, start), path))

    return jax.jit(run)


def jax_data(eco: Ecosystem) -> linear.LinearData:
    """The spec's designs as jax arrays (the ``data`` argument of the compiled functions)."""
    return linear.linear_data(eco, JAX_LINEAR)


def iterate_linear(eco: Ecosystem, rounds: int) -> LinearTrajectory:
    """The exact M_t, C_t and the mean and covariance of the fitted parameters for t = 0..rounds."""
    require_linear(eco)
    alphas, betas = schedules(eco, rounds)
    M, C, mean, cov = moment_recursion(eco)(jnp.asarray(alphas), jnp.asarray(betas), jax_data(eco))
    K, d, T = eco.K, eco.dim, rounds + 1
    return LinearTrajectory(
        eco, np.asarray(M), np.asarray(C), np.asarray(mean).reshape(T, K, d), np.asarray(cov).reshape(T, K, d, K, d)
    )


def _check_grams(grams, shape, parameter):
    grams = np.asarray(grams, dtype=float)
    if grams.shape != shape:
        raise SpecError(parameter, f"expected Grams of shape {shape}, got {grams.shape}")
    if not np.all(np.isfinite(grams)) or not np.allclose(grams, np.swapaxes(grams, -1, -2), atol=1e-12):
        raise SpecError(parameter, "Grams must be finite and symmetric")
    smallest = np.linalg.eigvalsh(grams).min(initial=0.0)
    if smallest < -1e-10 * max(1.0, np.abs(grams).max()):
        raise SpecError(parameter, f"Grams must be positive semi-definite, smallest eigenvalue {smallest:g}")
    return jnp.asarray(grams)


def iterate_linear_over_designs(eco: Ecosystem, rounds: int, private, public, synthetic):
    """The exact (E theta_t, Cov theta_t) for a batch of B designs sharing the spec's sizes, weights and theta*.

    private: (B, K, d, d), public: (B, d, d), synthetic: (B, K, d, d) normalised Grams (e.g. of random designs:
    averaging over them gives expectations over random designs). Returns mean (B, T+1, K, d) and cov
    (B, T+1, K, d, K, d), from the one compiled recursion ``vmap``-ped over the designs.
    """
    require_linear(eco)
    K, d = eco.K, eco.dim
    B = np.shape(public)[0] if np.ndim(public) == 3 else 0
    private = _check_grams(private, (B, K, d, d), "private")
    public = _check_grams(public, (B, d, d), "public")
    synthetic = _check_grams(synthetic, (B, K, d, d), "synthetic")
    base = jax_data(eco)
    data = base._replace(
        real_grams=[private[:, k] for k in range(K)] + [public],
        synthetic_grams=[synthetic[:, j] for j in range(K)],
    )
    axes = base._replace(
        real_grams=[0] * (K + 1),
        real_sizes=[None] * (K + 1),
        synthetic_grams=[0] * K,
        theta=None,
        noise_var=None,
        synthetic_scale=None,
    )
    alphas, betas = schedules(eco, rounds)
    run = jax.vmap(moment_recursion(eco), in_axes=(None, None, axes))
    _, _, mean, cov = run(jnp.asarray(alphas), jnp.asarray(betas), data)
    T = rounds + 1
    return np.asarray(mean).reshape(B, T, K, d), np.asarray(cov).reshape(B, T, K, d, K, d)
