"""The Markov family's part of the homogenisation measures (:mod:`numerics.homogenisation_measures`): the compared
parameters theta_k are the m^2 entries of the fitted transition matrix P_k (row by row), so ||theta_k - theta_l||^2
= ||P_k - P_l||_F^2. In the rows design the rows are independent (:mod:`theory.markov.maps`): Cov theta is block
diagonal over the rows, the within-row blocks being the categorical family's. KL and TV between two chains are not
one number (they depend on the law of the visited states: a per-step rate or a path law), so they are left out."""

from __future__ import annotations

import numpy as np

from interplay.numerics.markov.monte_carlo import MarkovMonteCarlo


def transitions(result) -> np.ndarray:
    """The fitted transition matrices (..., K, m, m) of a Monte Carlo result or a population trajectory."""
    return result.transitions if isinstance(result, MarkovMonteCarlo) else result.mean


def parameters(result) -> np.ndarray:
    """theta (..., K, m^2): P_k flattened row by row."""
    P = transitions(result)
    return P.reshape(P.shape[:-2] + (-1,))


def parameter_moments(trajectory) -> tuple[np.ndarray, np.ndarray]:
    """(E theta (T+1, K, m^2), Cov theta (T+1, K, m^2, K, m^2)): Cov(P_k[s, i], P_l[r, j]) is the within-row
    covariance when s = r, zero otherwise."""
    mean, row_cov = trajectory.mean, trajectory.row_cov
    T1, K, m, _ = mean.shape
    cov = np.zeros((T1, K, m, m, K, m, m))
    for s in range(m):
        cov[:, :, s, :, :, s, :] = row_cov[:, s]
    return mean.reshape(T1, K, m * m), cov.reshape(T1, K, m * m, K, m * m)


def divergences(result) -> dict:
    text = "not one number between Markov chains (it depends on the law of the visited states)"
    return {"kl": text, "tv": text}
