"""The categorical family's part of the homogenisation measures (:mod:`numerics.homogenisation_measures`): the fitted
probabilities p_k, both the compared parameters and the distributions whose diversity is measured, and the divergences
between them: KL(p_k || p_l) = sum_i p_ki log(p_ki / p_li) (+inf where p_li = 0 < p_ki), TV(p_k, p_l) = sum_i |p_ki -
p_li| / 2 (:func:`numerics.categorical.iterate.total_variation`)."""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr

from interplay.numerics.categorical.iterate import total_variation
from interplay.numerics.categorical.monte_carlo import CategoricalMonteCarlo


def probabilities(result) -> np.ndarray:
    """The fitted probabilities (..., K, m) of a Monte Carlo result or a population trajectory."""
    return result.probs if isinstance(result, CategoricalMonteCarlo) else result.mean


def parameter_moments(trajectory) -> tuple[np.ndarray, np.ndarray]:
    """(E p (T+1, K, m), Cov p (T+1, K, m, K, m))."""
    return trajectory.mean, trajectory.cov


def divergences(result) -> dict:
    """{"kl": (..., K, K), "tv": (..., K, K)}."""
    p = probabilities(result)
    return {
        "kl": rel_entr(p[..., :, None, :], p[..., None, :, :]).sum(-1),
        "tv": total_variation(p[..., :, None, :], p[..., None, :, :]),
    }
