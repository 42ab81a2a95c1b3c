"""The Gaussian family's part of the homogenisation measures (:mod:`numerics.homogenisation_measures`): the fitted
means m_k as the compared parameters, and the closed-form divergences between fitted normals N(m_k, S_k).

KL(N(m_k, S_k) || N(m_l, S_l)) = (tr(S_l^-1 S_k) + (m_l - m_k)^T S_l^-1 (m_l - m_k) - d + log det S_l
- log det S_k) / 2, +inf where S_k or S_l is singular (k != l). TV in d = 1: the densities cross where a quadratic
vanishes (twice when s_k != s_l, once at the midpoint when s_k = s_l), and TV = |P_k(I) - P_l(I)| for the interval
I between the crossings (the set where one density exceeds the other); s_k = s_l gives 2 Phi(|m_k - m_l| /
(2 s)) - 1. In d >= 2 with different covariances TV has no closed form and is not computed.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from interplay.numerics.gaussian.monte_carlo import MonteCarlo

NO_TV = "TV between normals of dimension >= 2 has no closed form"


def _fits(result) -> tuple[np.ndarray, np.ndarray]:
    """(means (..., K, d), covariances (..., K, d, d)) of a Monte Carlo result or a population trajectory."""
    if isinstance(result, MonteCarlo):
        return result.means, result.covs
    return result.mean, result.fitted_cov


def parameters(result) -> np.ndarray:
    """The fitted means m_k (..., K, d)."""
    return _fits(result)[0]


def parameter_moments(trajectory) -> tuple[np.ndarray, np.ndarray]:
    """(E m_k - origin (T+1, K, d), Cov(m_k, m_l) (T+1, K, d, K, d)): centred, as the recursion computes them."""
    return trajectory.centred_mean, trajectory.mean_cov


def divergences(result) -> dict:
    """{"kl": (..., K, K), "tv": (..., K, K) in d = 1, else the reason it is not computed}."""
    means, covs = _fits(result)
    return {"kl": kl(means, covs), "tv": tv(means[..., 0], covs[..., 0, 0]) if means.shape[-1] == 1 else NO_TV}


def kl(means: np.ndarray, covs: np.ndarray) -> np.ndarray:
    """KL(N(m_k, S_k) || N(m_l, S_l)) for every ordered pair: means (..., K, d), covs (..., K, d, d) -> (..., K, K)."""
    d = means.shape[-1]
    sign, logdet = np.linalg.slogdet(covs)
    regular = sign > 0
    logdet = np.where(regular, logdet, 0.0)
    safe = np.where(regular[..., None, None], covs, np.eye(d))
    inverse = np.linalg.inv(safe)  # S_l^-1 (..., K, d, d)
    trace = np.einsum("...lij,...kji->...kl", inverse, safe)
    gap = means[..., None, :, :] - means[..., :, None, :]  # m_l - m_k at [k, l]
    mahalanobis = np.einsum("...kli,...lij,...klj->...kl", gap, inverse, gap)
    value = (trace + mahalanobis - d + logdet[..., None, :] - logdet[..., :, None]) / 2
    both = regular[..., :, None] & regular[..., None, :]
    K = means.shape[-2]
    return np.where(np.eye(K, dtype=bool), 0.0, np.where(both, np.maximum(value, 0.0), np.inf))


def tv(means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """TV(N(m_k, v_k), N(m_l, v_l)) in d = 1 for every pair: means, variances (..., K) -> (..., K, K)."""
    m1, m2 = means[..., :, None], means[..., None, :]
    v1, v2 = variances[..., :, None], variances[..., None, :]
    s1, s2 = np.sqrt(v1), np.sqrt(v2)
    # f1 = f2 where a x^2 + b x + c = 0 (the log-density difference times 2 v1 v2)
    a, b = v1 - v2, 2 * (m1 * v2 - m2 * v1)
    c = m2**2 * v1 - m1**2 * v2 + v1 * v2 * np.log(np.where(v1 > 0, v2, 1) / np.where(v2 > 0, v1, 1))
    equal = a == 0
    root = np.sqrt(np.maximum(b**2 - 4 * a * c, 0.0))
    q = -(b + np.where(b >= 0, 1.0, -1.0) * root) / 2  # the stable quadratic formula
    with np.errstate(divide="ignore", invalid="ignore"):
        x1, x2 = np.where(equal, -np.inf, q / np.where(equal, 1, a)), np.where(q == 0, 0.0, c / q)
        lo, hi = np.minimum(x1, x2), np.maximum(x1, x2)
        mass_1 = ndtr((hi - m1) / s1) - ndtr((lo - m1) / s1)
        mass_2 = ndtr((hi - m2) / s2) - ndtr((lo - m2) / s2)
    value = np.abs(mass_1 - mass_2)
    same = (m1 == m2) & (v1 == v2)
    degenerate = (v1 == 0) | (v2 == 0)
    return np.where(same, 0.0, np.where(degenerate, 1.0, value))
