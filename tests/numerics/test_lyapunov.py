"""The stationary covariance X of C_{t+1} = A C_t A^T + Q, the solution of A X A^T - X + Q = 0 (numerics.lyapunov),
against three independent derivations: iterating the recursion itself, the exact rational solution of the linear
system vec(X) = (I - A (x) A)^{-1} vec(Q) in sympy, and the stationary covariance of a simulated AR(1) process. A
non-normal A tells the convention from its transpose; rho(A) >= 1 is reported, not solved."""

import numpy as np
import pytest
import scipy.stats
import sympy
from sympy import Rational as Q

from interplay.numerics.lyapunov import stationary_covariance
from interplay.theory.analysis import NoUniqueFixedPoint

A_EXACT = sympy.Matrix([[Q(1, 2), Q(3, 4)], [0, Q(-1, 3)]])  # non-normal: A A^T != A^T A
Q_EXACT = sympy.Matrix([[2, Q(1, 2)], [Q(1, 2), 1]])
A, NOISE = (np.array(M, dtype=float) for M in (A_EXACT, Q_EXACT))


def test_the_solution_is_the_limit_of_the_recursion_and_not_of_its_transpose():
    X = stationary_covariance(A, NOISE)
    C = np.zeros((2, 2))
    for _ in range(200):
        C = A @ C @ A.T + NOISE
    np.testing.assert_allclose(X, C, rtol=1e-13)
    np.testing.assert_allclose(A @ X @ A.T - X + NOISE, 0, atol=1e-13)
    assert np.abs(A.T @ X @ A - X + NOISE).max() > 0.1  # the other convention is another equation


def test_the_solution_equals_the_exact_rational_one():
    """vec(A X A^T) = (A (x) A) vec(X) for row-major vec: X = unvec((I - A (x) A)^{-1} vec(Q)), in rationals."""
    kron = sympy.kronecker_product(A_EXACT, A_EXACT)
    exact = (sympy.eye(4) - kron).LUsolve(Q_EXACT.reshape(4, 1)).reshape(2, 2)
    assert exact == exact.T and A_EXACT * exact * A_EXACT.T - exact + Q_EXACT == sympy.zeros(2, 2)
    np.testing.assert_allclose(stationary_covariance(A, NOISE), np.array(exact, dtype=float), rtol=1e-14)


def test_the_stationary_covariance_of_a_simulated_ar1_process():
    """x_{t+1} = A x_t + e_t, e_t ~ N(0, Q): after 60 steps from x_0 = 0 (A^60 ~ 1e-18) the sample covariance of
    20,000 independent chains estimates X; its three entries within Bonferroni bands (SE from the fourth
    moments of a Gaussian: Var(x_a x_b) = X_aa X_bb + X_ab^2)."""
    rng = np.random.default_rng(5)
    chains = 20_000
    root = np.linalg.cholesky(NOISE)
    x = np.zeros((chains, 2))
    for _ in range(60):
        x = x @ A.T + rng.standard_normal((chains, 2)) @ root.T
    X = stationary_covariance(A, NOISE)
    z_limit = scipy.stats.norm.isf(1e-3 / (2 * 3))
    for a, b in ((0, 0), (0, 1), (1, 1)):
        products = x[:, a] * x[:, b]
        se = np.sqrt((X[a, a] * X[b, b] + X[a, b] ** 2) / chains)
        assert abs(products.mean() - X[a, b]) < z_limit * se


@pytest.mark.parametrize("radius", [1.0, 1.5])
def test_no_stationary_covariance_is_reported_where_rho_is_one_or_more(radius):
    rotation = radius * np.array([[0.0, -1.0], [1.0, 0.0]])  # eigenvalues +-i radius
    with pytest.raises(NoUniqueFixedPoint, match=f"spectral radius of the map is {radius:g}"):
        stationary_covariance(rotation, NOISE, "the map")
