"""The Poisson family's part of the homogenisation measures (:mod:`numerics.homogenisation_measures`): the fitted
rates lambda_k as the compared parameters, and the closed-form divergences between Poisson laws.

KL(Poi(a) || Poi(b)) = a log(a / b) - a + b (b when a = 0; +inf when b = 0 < a). TV: for a < b the ratio of the
probabilities, (b / a)^x e^(a - b), increases in x, so Poi(a) puts more mass than Poi(b) exactly on
{x <= x*}, x* = (b - a) / log(b / a), and TV = F_a(floor x*) - F_b(floor x*) (F the cumulative distribution; a = 0
gives 1 - e^-b).
"""

from __future__ import annotations

import numpy as np
from scipy.special import pdtr, xlogy

from interplay.numerics.poisson.monte_carlo import PoissonMonteCarlo


def _rates(result) -> np.ndarray:
    """The fitted rates (..., K) of a Monte Carlo result or a population trajectory."""
    return result.rates if isinstance(result, PoissonMonteCarlo) else result.mean


def parameters(result) -> np.ndarray:
    """The fitted rates as one-component parameters (..., K, 1)."""
    return _rates(result)[..., None]


def parameter_moments(trajectory) -> tuple[np.ndarray, np.ndarray]:
    """(E lambda (T+1, K, 1), Cov lambda (T+1, K, 1, K, 1))."""
    return trajectory.mean[..., None], trajectory.cov[..., :, None, :, None]


def divergences(result) -> dict:
    """{"kl": (..., K, K), "tv": (..., K, K)}."""
    rates = _rates(result)
    return {"kl": kl(rates[..., :, None], rates[..., None, :]), "tv": tv(rates[..., :, None], rates[..., None, :])}


def kl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """KL(Poi(a) || Poi(b)), elementwise."""
    with np.errstate(divide="ignore"):
        value = xlogy(a, a) - xlogy(a, b) - a + b
    return np.where(a == b, 0.0, np.where((b == 0) & (a > 0), np.inf, value))


def tv(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TV(Poi(a), Poi(b)) = F_lo(floor x*) - F_hi(floor x*), elementwise (symmetric)."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    distinct = lo < hi
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(lo > 0, (hi - lo) / np.log(np.where(distinct, hi, 2) / np.where(lo > 0, lo, 1)), 0.0)
    c = np.floor(np.where(distinct, crossing, 0.0))
    return np.where(distinct, pdtr(c, lo) - pdtr(c, hi), 0.0)
