"""The linear-Gaussian family's part of the homogenisation measures (:mod:`numerics.homogenisation_measures`): the
fitted coefficients theta_k as the compared parameters, and the divergences between the fitted laws of (x, y), y | x ~
N(x^T theta_k, sigma^2), taken with covariates x ~ N(0, S), S the public design's Gram (the shared real data's second
moment; every model fits the same sigma^2, so only Delta = theta_k - theta_l matters):

KL = Delta^T S Delta / (2 sigma^2);   TV = E_x[2 Phi(|x^T Delta| / (2 sigma)) - 1] = (2 / pi) arctan(s / (2 sigma)),
s^2 = Delta^T S Delta (x^T Delta = s Z, and E[2 Phi(a |Z|) - 1] = P(|W| <= a |Z|) = (2 / pi) arctan a for
independent standard normals W, Z: a Cauchy probability).
"""

from __future__ import annotations

import numpy as np

from interplay.numerics.linear.monte_carlo import LinearMonteCarlo


def parameters(result) -> np.ndarray:
    """The fitted coefficients (..., K, d) of a Monte Carlo result or a population trajectory."""
    return result.thetas if isinstance(result, LinearMonteCarlo) else result.mean


def parameter_moments(trajectory) -> tuple[np.ndarray, np.ndarray]:
    """(E theta (T+1, K, d), Cov theta (T+1, K, d, K, d))."""
    return trajectory.mean, trajectory.cov


def divergences(result) -> dict:
    """{"kl": (..., K, K), "tv": (..., K, K)} of the fitted laws of (x, y) (the module doc)."""
    eco = result.ecosystem
    gram = np.asarray(eco.public.gram.evalf(), dtype=float)
    noise_var = float(eco.family.noise_var)
    theta = parameters(result)
    gap = theta[..., :, None, :] - theta[..., None, :, :]
    squared = np.maximum(np.einsum("...i,ij,...j->...", gap, gram, gap), 0.0)
    return {"kl": squared / (2 * noise_var), "tv": 2 / np.pi * np.arctan(np.sqrt(squared / noise_var) / 2)}
