"""Stationary covariances: the discrete Lyapunov equation, in one stated convention.

A linear recursion with additive noise, x_{t+1} = A x_t + e_t with Cov e_t = Q, has covariances C_{t+1} = A C_t A^T
+ Q. Where rho(A) < 1 they converge, from any start, to the unique solution X of

    A X A^T - X + Q = 0,        X = sum_{i >= 0} A^i Q (A^T)^i,

(the convention of ``scipy.linalg.solve_discrete_lyapunov(A, Q)``; the other one, A^T X A - X + Q = 0, is the
equation of the transposed recursion and differs from it whenever A is not normal). Where rho(A) >= 1 the series
diverges and no stationary law exists: that is reported (:class:`theory.analysis.NoUniqueFixedPoint`), never
returned as a matrix of huge or NaN numbers. Used for the limit law of the linear-Gaussian surrogate
(:mod:`numerics.linear.longrun`).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from interplay.theory.analysis import NoUniqueFixedPoint

STABLE_BELOW = 1 - 1e-12
"""rho(A) at or above this is taken as 1 or more: the series sum_i A^i Q A^iT does not converge."""


def spectral_radius(A) -> float:
    """max |eigenvalue| of the square matrix A."""
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(A, dtype=float)))))


def stationary_covariance(A, Q, what: str = "the recursion") -> np.ndarray:
    """X with A X A^T - X + Q = 0 (module doc): the limit of C_{t+1} = A C_t A^T + Q, symmetrised where Q is
    symmetric. Raises NoUniqueFixedPoint, naming ``what`` and rho(A), when rho(A) >= 1."""
    A, Q = np.asarray(A, dtype=float), np.asarray(Q, dtype=float)
    radius = spectral_radius(A)
    if radius >= STABLE_BELOW:
        raise NoUniqueFixedPoint(f"spectral radius of {what} is {radius:.12g} >= 1: it has no stationary covariance")
    X = scipy.linalg.solve_discrete_lyapunov(A, Q)
    return (X + X.T) / 2 if np.array_equal(Q, Q.T) else X
