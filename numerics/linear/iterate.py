"""Exact trajectories of the linear-Gaussian surrogate: the M_t, C_t recursion of :mod:`theory.linear.maps`
vectorised over models (:mod:`numerics.linear.steps`) and iterated with ``lax.scan`` (:class:`LinearTrajectory`),
also over batches of designs. The program is compiled once per :class:`~numerics.linear.steps.Structure`; the
ecosystem's numbers are its arguments."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.results import ExactRounds
from interplay.numerics.driver.schedules import schedules
from interplay.numerics.homogenisation_measures import expected_pair_distance
from interplay.numerics.linear import steps
from interplay.theory.linear import maps as linear
from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.start import numeric_start


def require_linear(eco: Ecosystem) -> None:
    if eco.family.name != "linear-gaussian":
        raise SpecError("family", f"this computation is for linear-Gaussian ecosystems, not {eco.family.name}")


@dataclass(frozen=True)
class LinearTrajectory(ExactRounds):
    """Exact values over rounds t = 0..T.

    M: (T+1, Kd, (K+1)d), C: (T+1, Kd, Kd) -- the paper's M_t, C_t;
    mean: (T+1, K, d) E theta_{t,k};  cov: (T+1, K, d, K, d) Cov(theta_{t,k}, theta_{t,l}); kind: ``moments``, or
    ``population`` (theta_t itself, C_t and cov zero).
    """

    ecosystem: Ecosystem
    M: np.ndarray
    C: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    kind: str = "moments"
    checked = ("M", "C", "mean", "cov")
    # M's rows are theta's stacked entries (model k's component i at k d + i), its columns those of b (the K
    # private and then the public least-squares solutions, :mod:`theory.linear.maps`)
    dims = {
        "M": ("round", "parameter", "source_parameter"),
        "C": ("round", "parameter", "parameter2"),
        "mean": ("round", "model", "component"),
        "cov": ("round", "model", "component", "model2", "component2"),
    }

    @property
    def theta(self) -> np.ndarray:
        return np.asarray(self.ecosystem.family.theta.evalf(), dtype=float).ravel()

    def task_error(self, gram=None) -> np.ndarray:
        """(T+1, K): E[(theta_k - theta*)^T S (theta_k - theta*)] = bias^T S bias + tr(S Cov theta_k), the excess
        squared prediction error on covariates of second moment S (default I: the parameter MSE)."""
        return task_error(self.mean, self.cov, self.theta, gram)

    def squared_distance(self, k: int, l: int) -> np.ndarray:
        """E||theta_k - theta_l||^2 per round (:func:`numerics.homogenisation_measures.expected_pair_distance`)."""
        return expected_pair_distance(self.mean, self.cov, k, l)


def task_error(mean, cov, theta, gram=None):
    d = mean.shape[-1]
    S = np.eye(d) if gram is None else np.asarray(gram, dtype=float)
    bias = mean - theta
    own = np.diagonal(cov, axis1=-4, axis2=-2)  # (..., d, d, K) -> Cov(theta_k) blocks
    own = np.moveaxis(own, -1, -3)
    return np.einsum("...ki,ij,...kj->...k", bias, S, bias) + np.einsum("ij,...kji->...k", S, own)


@compiled_cache
def moment_program(st: steps.Structure):
    """A jitted f(values, alphas, betas, start=None) -> (M_t, C_t, E theta_t, Cov theta_t) over rounds 0..T, shapes
    (T+1, Kd, (K+1)d), (T+1, Kd, Kd), (T+1, Kd), (T+1, Kd, Kd), for every ecosystem of structure ``st`` (its
    :class:`numerics.linear.steps.Values` passed in; they may be batched with ``vmap``). ``start``: None (round
    0 is the initial fit) or the given parameters (Kd,), a deterministic round 0
    (:func:`theory.linear.maps.started_moments`)."""

    def run(v, alphas, betas, start=None):
        def summary(moments):
            mean, cov = steps.parameter_moments(st, v, moments)
            return moments.M, moments.C, mean, cov

        def body(moments, inputs):
            moments = steps.moment_step(st, v, moments, steps.weights(v, *inputs, initial=False))
            return moments, summary(moments)

        initial = steps.weights(v, 0.0, steps.initial_beta(v, betas), initial=True)  # sweeps vmap over beta_1
        first = steps.moment_step(st, v, steps.zero_moments(st), initial)
        if start is not None:
            first = linear.started_moments(first, start)
        _, path = jax.lax.scan(body, first, (alphas, betas))
        return tuple(jnp.concatenate([f[None], p]) for f, p in zip(summary(first), path))

    return jax.jit(run)


def moment_recursion(eco: Ecosystem):
    """f(alphas, betas, start=None) -> (M_t, C_t, E theta_t, Cov theta_t) of ``eco`` (:func:`moment_program` with
    its values): compiled once per structure."""
    return functools.partial(moment_program(steps.structure(eco)), steps.values(eco))


def given_start(eco: Ecosystem, start):
    """None, or the checked ``start`` (:func:`theory.linear.maps.start_state`) as a float64 (Kd,) array."""
    if start is None:
        return None
    return jnp.asarray(numeric_start(linear.start_state(eco, start))[:, 0])


def _trajectory(eco: Ecosystem, rounds: int, start):
    require_linear(eco)
    start = given_start(eco, start)
    alphas, betas = schedules(eco, rounds)
    M, C, mean, cov = moment_recursion(eco)(jnp.asarray(alphas), jnp.asarray(betas), start)
    K, d, T = eco.K, eco.dim, rounds + 1
    return np.asarray(M), np.asarray(C), np.asarray(mean).reshape(T, K, d), np.asarray(cov).reshape(T, K, d, K, d)


def iterate_linear(eco: Ecosystem, rounds: int, start=None) -> LinearTrajectory:
    """The exact M_t, C_t and the mean and covariance of the fitted parameters for t = 0..rounds: round 0 is the
    initial fit, or the given ``start`` (the K x d parameters theta_k, the same in every replicate:
    E theta_0 = start, Cov theta_0 = 0)."""
    return LinearTrajectory(eco, *_trajectory(eco, rounds, start))


def iterate_population(eco: Ecosystem, rounds: int, start=None) -> LinearTrajectory:
    """The population map theta_t = P_t E b + Q_t theta_{t-1} (every label at its mean) for t = 0..rounds, from
    the initial fit theta_0 = P_0 E b or the given ``start`` (K x d). It is linear, so theta_t is the mean
    M_t E b + c_t of the moment recursion; M_t is reported with it, and C_t and the covariance are 0."""
    M, C, mean, cov = _trajectory(eco, rounds, start)
    return LinearTrajectory(eco, M, np.zeros_like(C), mean, np.zeros_like(cov), kind="population")


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
    alphas, betas = schedules(eco, rounds)
    K, d = eco.K, eco.dim
    B = np.shape(public)[0] if np.ndim(public) == 3 else 0
    private = _check_grams(private, (B, K, d, d), "private")
    public = _check_grams(public, (B, d, d), "public")
    synthetic = _check_grams(synthetic, (B, K, d, d), "synthetic")
    v = steps.values(eco)
    v = v._replace(real_grams=jnp.concatenate([private, public[:, None]], axis=1), synthetic_grams=synthetic)
    axes = steps.Values(*[None] * len(steps.Values._fields))._replace(real_grams=0, synthetic_grams=0)
    run = jax.vmap(moment_program(steps.structure(eco)), in_axes=(axes, None, None))
    _, _, mean, cov = run(v, jnp.asarray(alphas), jnp.asarray(betas))
    T = rounds + 1
    return np.asarray(mean).reshape(B, T, K, d), np.asarray(cov).reshape(B, T, K, d, K, d)
