"""The linear-Gaussian surrogate in numbers: the exact M_t, C_t recursion compiled, its limit, and Monte Carlo.

* :func:`iterate_linear` -- the recursion of :mod:`theory.linear` (one definition, evaluated with jax ops in
  float64) iterated with ``lax.scan``: M_t, C_t, E theta_t, Cov theta_t for t = 0..T;
* :func:`simulate_linear` -- the actual finite-sample process: labels drawn from the real source or from the
  models' previous fits, every model refitted by weighted least squares (minimum-norm normal equations, on the
  union of all batches under ``accumulate``); replicates ``vmap``-ped, the PRNG key explicit;
* :func:`long_run_linear` -- the limit law: M = (I - Q)^-1 P and C from the discrete Lyapunov equation
  C = Q C Q^T + N D N^T (+ P Sigma_b P^T unless reuse), solved by ``scipy.linalg.solve_discrete_lyapunov``;
* :func:`iterate_linear_over_designs` -- the same recursion ``vmap``-ped over a batch of designs;
* :func:`relative_efficiency_grid` -- the long-run relative efficiency over an (alpha, beta) grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from theory import linear
from theory.analysis import NoUniqueFixedPoint
from theory.rounds import round_plan
from theory.spec import Ecosystem, SpecError

from .compiled_cache import compiled_cache
from .divergence import Divergence, first_divergence
from .iterate import initial_beta, schedules
from .jax_ops import JaxOps
from .keys import prng_key
from .limits import replicate_chunk, replicate_keys, require_count, run_in_chunks

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


def _plan(eco, alpha, beta, initial):
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
        """None, or the first round at which a quantity is not finite (:mod:`numerics.divergence`)."""
        return first_divergence({"M": self.M, "C": self.C, "mean": self.mean, "cov": self.cov})

    @property
    def theta(self) -> np.ndarray:
        return np.asarray(self.ecosystem.family.theta.evalf(), dtype=float).ravel()

    def task_error(self, gram=None) -> np.ndarray:
        """(T+1, K): E[(theta_k - theta*)^T S (theta_k - theta*)] = bias^T S bias + tr(S Cov theta_k), the excess
        squared prediction error on covariates of second moment S (default I: the parameter MSE)."""
        return _task_error(self.mean, self.cov, self.theta, gram)

    def squared_distance(self, k: int, l: int) -> np.ndarray:
        """E||theta_k - theta_l||^2 per round (homogenisation)."""
        return _squared_distance(self.mean, self.cov, k, l)


def _task_error(mean, cov, theta, gram=None):
    d = mean.shape[-1]
    S = np.eye(d) if gram is None else np.asarray(gram, dtype=float)
    bias = mean - theta
    own = np.diagonal(cov, axis1=-4, axis2=-2)  # (..., d, d, K) -> Cov(theta_k) blocks
    own = np.moveaxis(own, -1, -3)
    return np.einsum("...ki,ij,...kj->...k", bias, S, bias) + np.einsum("ij,...kji->...k", S, own)


def _squared_distance(mean, cov, k, l):
    gap = mean[..., k, :] - mean[..., l, :]
    spread = cov[..., k, :, k, :] + cov[..., l, :, l, :] - 2 * cov[..., k, :, l, :]
    return np.sum(gap**2, axis=-1) + np.trace(spread, axis1=-2, axis2=-1)


@compiled_cache
def moment_recursion(eco: Ecosystem):
    """A jitted f(alphas, betas, data) -> (M_t, C_t, E theta_t, Cov theta_t) over rounds 0..T.

    ``data`` is a :class:`theory.linear.LinearData` of jax arrays, so one compiled function serves (and vmaps
    over) any designs of the same shapes.
    """

    def summary(data, moments):
        mean, cov = linear.parameter_moments(eco, data, moments, JAX_LINEAR)
        return moments.M, moments.C, mean[:, 0], cov

    def run(alphas, betas, data):
        plan0 = _plan(eco, 0.0, initial_beta(eco, betas), True)  # beta_1 = betas[0]: sweeps vmap over beta
        start = linear.moment_step(eco, data, linear.zero_moments(eco, JAX_LINEAR), plan0, JAX_LINEAR)

        def body(moments, inputs):
            moments = linear.moment_step(eco, data, moments, _plan(eco, *inputs, False), JAX_LINEAR)
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
        """None, or the first round at which some replicate's fit is not finite (:mod:`numerics.divergence`)."""
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
        start = one_round(zero, k_start, _plan(eco, 0.0, initial_beta(eco, betas), True), fixed_real)

        def body(state, inputs):
            key, alpha, beta = inputs
            state = one_round(state, key, _plan(eco, alpha, beta, False), fixed_real)
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
    refused up front (:mod:`numerics.limits`).
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


# -- the limit -------------------------------------------------------------------------------------------------


@compiled_cache
def stationary_dynamics(eco: Ecosystem):
    """A jitted f(alpha, beta, data) -> (P, Q, N, D, E b, Sigma_b) of an update round with constant alpha, beta."""

    def run(alpha, beta, data):
        step = linear.dynamics(eco, data, _plan(eco, alpha, beta, False), None, JAX_LINEAR)
        mean_b, sigma_b = linear.real_statistics(eco, data, JAX_LINEAR)
        return step.P, step.Q, step.N, linear.synthetic_noise(eco, data, JAX_LINEAR), mean_b, sigma_b

    return jax.jit(run)


@dataclass(frozen=True)
class LongRun:
    """The limit law of theta_t: mean (K, d), cov (K, d, K, d); M = (I - Q)^-1 P, C the Lyapunov solution."""

    ecosystem: Ecosystem
    spectral_radius: float
    M: np.ndarray
    C: np.ndarray
    mean: np.ndarray
    cov: np.ndarray

    def task_error(self, gram=None) -> np.ndarray:
        theta = np.asarray(self.ecosystem.family.theta.evalf(), dtype=float).ravel()
        return _task_error(self.mean, self.cov, theta, gram)

    def squared_distance(self, k: int, l: int) -> float:
        return float(_squared_distance(self.mean, self.cov, k, l))


def _long_run(eco: Ecosystem, P, Q, N, D, mean_b, sigma_b) -> LongRun:
    P, Q, N, D, mean_b, sigma_b = (np.asarray(x) for x in (P, Q, N, D, mean_b, sigma_b))
    radius = float(np.max(np.abs(np.linalg.eigvals(Q))))
    if radius >= 1 - 1e-12:
        raise NoUniqueFixedPoint(f"spectral radius of Q is {radius:.12g} >= 1: the recursion does not converge")
    eye = np.eye(Q.shape[0])
    M = np.linalg.solve(eye - Q, P)
    forcing = N @ D @ N.T if eco.regime == "reuse" else N @ D @ N.T + P @ sigma_b @ P.T
    C = scipy.linalg.solve_discrete_lyapunov(Q, forcing)
    cov = M @ sigma_b @ M.T + C if eco.regime == "reuse" else C
    K, d = eco.K, eco.dim
    return LongRun(eco, radius, M, C, (M @ mean_b).reshape(K, d), ((cov + cov.T) / 2).reshape(K, d, K, d))


def long_run_linear(eco: Ecosystem) -> LongRun:
    """The limit law for constant alpha, beta (reuse or fresh); raises NoUniqueFixedPoint when rho(Q) >= 1."""
    require_linear(eco)
    if not eco.is_numeric or not eco.is_constant or eco.regime == "accumulate":
        raise SpecError("ecosystem", "the limit needs a numeric spec, constant alpha and beta, and reuse or fresh")
    parts = stationary_dynamics(eco)(float(eco.alpha), float(eco.beta), jax_data(eco))
    return _long_run(eco, *parts)


def ideal_error(eco: Ecosystem) -> float:
    """MSE of the ideal estimator that pools every real sample: sigma^2 tr((sum_s n_s S_s)^+)."""
    pooled = sum(s.size * np.asarray(s.gram.evalf(), dtype=float) for s in (*eco.private, eco.public))
    return float(eco.family.noise_var) * float(np.trace(np.linalg.pinv(pooled, rcond=PINV_RTOL, hermitian=True)))


def long_run_grid(eco: Ecosystem, alphas, betas) -> tuple[np.ndarray, list[list[LongRun | None]]]:
    """rho(Q) (A, B) and the limit law at every (alpha, beta) of the grid (None where rho(Q) >= 1), compiled once."""
    require_linear(eco)
    f, data = stationary_dynamics(eco), jax_data(eco)
    radius = np.zeros((len(alphas), len(betas)))
    laws: list[list[LongRun | None]] = []
    for i, a in enumerate(alphas):
        laws.append([])
        for j, b in enumerate(betas):
            parts = [np.asarray(x) for x in f(a, b, data)]
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
