"""The Gaussian family: the exact moment recursion of the fitted parameters, and the population map.

Model k fits N(m_k, S_k) by weighted maximum likelihood to its sources s (weights w_s, sizes N_s, see
:mod:`theory.rounds`):

    m_k = sum_s w_s xbar_s,    V_k = sum_s w_s (1/N_s) sum_i x_i x_i^T,    S_k = c_k (V_k - m_k m_k^T),

with c_k = 1 for the MLE and c_k = 1 / (1 - nu_k), nu_k = sum_s w_s^2 / N_s, for the unbiased estimator
(reliability weights; c_k = n / (n - 1) for a pooled sample of n). Synthetic samples of model j are drawn from
N(m_j, S_j); each model draws its own. Under ``accumulate`` the fit at round t is on the union of the batches
0..t, each of weight 1/(t+1).

Stack the fitted means m = (m_1; ...; m_K) and the real sample means b = (xbar_private_1; ...; xbar_public).
One round is m' = R b + G m + eps, with R = [diag(w_private) (x) I | w_public (x) I], G = w_synthetic (x) I and
eps the synthetic sampling noise, Cov(eps) = D = blockdiag_k(sum_j w_kj^2 / N_kj E S_j). Hence the exact
recursion of the moments (E m, Cov m, Cov(m, b), E V):

    E m'       = R E b + G E m
    Cov m'     = R Sigma_b R^T + G Cov(m) G^T + D  [+ R X^T G^T + G X R^T,  X' = R Sigma_b + G X   (reuse)]

with Sigma_b = blockdiag(Sigma_s / N_s); under ``accumulate`` m' = ((t I + G) m + R b + eps) / (t + 1) instead.
The population map over (m, S) is the same recursion with every N_s infinite.

Every function here is written against an ops object (:mod:`theory.ops`): sympy gives the theory, jax the
numerics, from this one definition.
"""

from __future__ import annotations

from typing import NamedTuple

from .ops import SYMPY
from .rounds import RoundPlan
from .spec import Ecosystem


class Moments(NamedTuple):
    """Exact first and second moments of the fitted parameters after a round (stacked over the K models).

    mean:   Kd x 1, E[m]
    cov:    Kd x Kd, Cov(m) (across models and within)
    cross:  Kd x (K+1)d, Cov(m, b) with the reused real sample means b (zero unless ``reuse``)
    second: Kd x d, E[V_k] stacked, V_k the (uncorrected) weighted second moment of model k's training data
    nu:     K x 1, nu_k = sum_s w_s^2 / N_s of model k's current training set (deterministic)
    """

    mean: object
    cov: object
    cross: object
    second: object
    nu: object


class Fit(NamedTuple):
    """The fitted parameters of all K models: means stacked Kd x 1, covariances stacked Kd x d."""

    mean: object
    cov: object


def block(matrix, k: int, d: int):
    """Rows k*d .. (k+1)*d of a stacked matrix: model k's block."""
    return matrix[k * d : (k + 1) * d, :]


def real_sources(eco: Ecosystem, ops=SYMPY):
    """The real sources in the order of b: private_1, ..., private_K, public. Returns (E b, [Sigma_s])."""
    sources = list(eco.private) + [eco.public]
    mean_b = ops.vstack([ops.asarray(s.mean) for s in sources])
    return mean_b, [ops.asarray(s.cov) for s in sources]


def _coefficients(eco: Ecosystem, plan: RoundPlan, ops):
    d = eco.dim
    eye = ops.eye(d)
    R = ops.hstack([ops.block_diag([plan.w_private[k, 0] * eye for k in range(eco.K)]), ops.kron(plan.w_public, eye)])
    G = ops.kron(plan.w_synthetic, eye)
    return R, G


def _real_noise(eco: Ecosystem, plan: RoundPlan, covariances, ops):
    sizes = [plan.n_private[k, 0] for k in range(eco.K)] + [plan.n_public]
    return ops.block_diag([c / size for c, size in zip(covariances, sizes)])


def estimator_factor(eco: Ecosystem, nu, ops=SYMPY):
    """c_k per model (K x 1): 1 for the MLE, 1 / (1 - nu_k) for the unbiased estimator."""
    if eco.estimator == "mle":
        return ops.asarray([[1]] * eco.K)
    return ops.asarray([[1 / (1 - nu[k, 0])] for k in range(eco.K)])


def fitted_covariance(eco: Ecosystem, moments: Moments, ops=SYMPY):
    """E[S_k] stacked (Kd x d): c_k (E V_k - Cov(m_k) - E m_k E m_k^T)."""
    d = eco.dim
    factor = estimator_factor(eco, moments.nu, ops)
    blocks = []
    for k in range(eco.K):
        mean_k = block(moments.mean, k, d)
        cov_kk = block(moments.cov, k, d)[:, k * d : (k + 1) * d]
        blocks.append(factor[k, 0] * (block(moments.second, k, d) - cov_kk - mean_k @ mean_k.T))
    return ops.vstack(blocks)


def zero_moments(eco: Ecosystem, ops=SYMPY) -> Moments:
    """The moments before the initial fit: all zero (the initial fit uses no synthetic data)."""
    K, d = eco.K, eco.dim
    return Moments(
        ops.zeros(K * d, 1),
        ops.zeros(K * d, K * d),
        ops.zeros(K * d, (K + 1) * d),
        ops.zeros(K * d, d),
        ops.zeros(K, 1),
    )


def moment_step(eco: Ecosystem, moments: Moments, plan: RoundPlan, t, ops=SYMPY) -> Moments:
    """Exact moments after round t (t = 0 with the initial plan and :func:`zero_moments` is the initial fit)."""
    K, d = eco.K, eco.dim
    R, G = _coefficients(eco, plan, ops)
    mean_b, covariances = real_sources(eco, ops)
    sigma_b = _real_noise(eco, plan, covariances, ops)
    fitted = fitted_covariance(eco, moments, ops)

    noise = ops.block_diag(
        [
            sum(
                ((plan.w_synthetic[k, j] ** 2 / plan.n_synthetic[k, j]) * block(fitted, j, d) for j in range(K)),
                ops.zeros(d, d),
            )
            for k in range(K)
        ]
    )
    real_second = [c + m @ m.T for c, m in zip(covariances, [block(mean_b, s, d) for s in range(K + 1)])]
    batch_second = []
    for k in range(K):
        second_k = plan.w_private[k, 0] * real_second[k] + plan.w_public[k, 0] * real_second[K]
        for j in range(K):
            mean_j = block(moments.mean, j, d)
            cov_jj = block(moments.cov, j, d)[:, j * d : (j + 1) * d]
            second_k = second_k + plan.w_synthetic[k, j] * (block(fitted, j, d) + cov_jj + mean_j @ mean_j.T)
        batch_second.append(second_k)
    batch_second = ops.vstack(batch_second)
    batch_nu = ops.asarray(
        [
            [
                plan.w_private[k, 0] ** 2 / plan.n_private[k, 0]
                + plan.w_public[k, 0] ** 2 / plan.n_public
                + sum(plan.w_synthetic[k, j] ** 2 / plan.n_synthetic[k, j] for j in range(K))
            ]
            for k in range(K)
        ]
    )
    batch_mean = R @ mean_b + G @ moments.mean
    real_cov = R @ sigma_b @ R.T

    if eco.regime == "accumulate":
        H = (t * ops.eye(K * d) + G) / (t + 1)
        return Moments(
            mean=(t * moments.mean + batch_mean) / (t + 1),
            cov=H @ moments.cov @ H.T + (real_cov + noise) / (t + 1) ** 2,
            cross=moments.cross,
            second=(t * moments.second + batch_second) / (t + 1),
            nu=(t**2 * moments.nu + batch_nu) / (t + 1) ** 2,
        )
    cov = real_cov + G @ moments.cov @ G.T + noise
    cross = moments.cross
    if eco.regime == "reuse":
        cov = cov + R @ moments.cross.T @ G.T + G @ moments.cross @ R.T
        cross = R @ sigma_b + G @ moments.cross
    return Moments(mean=batch_mean, cov=cov, cross=cross, second=batch_second, nu=batch_nu)


def moments_of_fit(eco: Ecosystem, fit: Fit, ops=SYMPY) -> Moments:
    """The moments of a deterministic fit (no dispersion): the population map's state as moments."""
    K, d = eco.K, eco.dim
    second = ops.vstack([block(fit.cov, k, d) + block(fit.mean, k, d) @ block(fit.mean, k, d).T for k in range(K)])
    zero = zero_moments(eco, ops)
    return Moments(fit.mean, zero.cov, zero.cross, second, zero.nu)


def population_step(eco: Ecosystem, fit: Fit, plan: RoundPlan, t, ops=SYMPY) -> Fit:
    """The population (infinite-sample) update map (m, S) -> (m', S'); ``plan`` must have infinite sizes."""
    moments = moment_step(eco, moments_of_fit(eco, fit, ops), plan, t, ops)
    return Fit(moments.mean, fitted_covariance(eco, moments, ops))
