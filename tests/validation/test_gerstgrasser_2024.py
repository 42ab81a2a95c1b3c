"""Validation against Gerstgrasser et al., "Is model collapse inevitable? Breaking the curse of recursion by
accumulating real and synthetic data" (arXiv 2404.01413), linear-regression case.

Setting: K = 1 linear model, fixed design X (T x d), label noise sigma^2; model 1 is fitted to real labels, and
every later model to labels drawn from the previous fit on the same X. In the library: the linear-Gaussian family
with one model, private design X, synthetic design X (n = T), alpha = 1, beta = 1, mixing [[1]]. "Replace" is the
regime reuse (or fresh: alpha = 1 uses no real data after round 0), "accumulate" the regime accumulate (the
union of all batches, each of equal weight). The paper counts models n = 1, 2, ...; round t is model n = t + 1.

Claims: replacing, test error E_x[(x^T(theta_n - theta*))^2] (Sigma = Cov x) is n sigma^2 tr(Sigma (X^T X)^-1),
linear in n, and for isotropic Gaussian X its expectation is sigma^2 d n / (T - d - 1); accumulating, it is
sigma^2 tr(Sigma (X^T X)^-1) sum_{i <= n} 1/i^2, bounded by pi^2/6 times the one-round error.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from interplay.numerics.linear.iterate import iterate_linear, iterate_linear_over_designs
from interplay.numerics.linear.monte_carlo import simulate_linear
from interplay.theory.linear.maps import Design, linear_ecosystem

SIGMA2 = 0.7


def chain(X, regime, theta=None):
    d = X.shape[1]
    design = Design.from_data(X)
    theta = np.arange(1, d + 1) / d if theta is None else theta
    return linear_ecosystem(theta, [design], design, synthetic=design, noise_var=SIGMA2, alpha=1, beta=1,
                            mixing=[[1]], n=X.shape[0], regime=regime)  # fmt: skip


@pytest.mark.parametrize("regime", ["reuse", "fresh", "accumulate"])
def test_fixed_design_test_error(regime):
    """Gerstgrasser et al. (arXiv 2404.01413): with a fixed design the library's exact recursion gives test
    error n sigma^2 tr(Sigma (X^T X)^-1) when replacing (both real-data regimes, alpha = 1) and sigma^2 tr(Sigma
    (X^T X)^-1) sum_{i<=n} 1/i^2 < (pi^2/6) x the first model's error when accumulating; unbiased throughout."""
    rng = np.random.default_rng(1)
    T, d, rounds = 12, 3, 40
    X = rng.normal(size=(T, d))
    A = rng.normal(size=(d, d))
    Sigma = A @ A.T / d + 0.1 * np.eye(d)
    eco = chain(X, regime)
    run = iterate_linear(eco, rounds)
    np.testing.assert_allclose(run.mean[:, 0], np.broadcast_to(run.theta, (rounds + 1, d)), atol=1e-12)
    error = run.task_error(Sigma)[:, 0]
    one = SIGMA2 * np.trace(Sigma @ np.linalg.inv(X.T @ X))
    n = np.arange(1, rounds + 2)
    if regime == "accumulate":
        np.testing.assert_allclose(error, one * np.cumsum(1 / n**2), rtol=1e-9)
        assert np.all(error < math.pi**2 / 6 * one)
    else:
        np.testing.assert_allclose(error, one * n, rtol=1e-9)


def test_isotropic_gaussian_designs_expected_error():
    """Gerstgrasser et al. (arXiv 2404.01413): for isotropic Gaussian X (T x d) the replacing chain's expected test
    error is sigma^2 d n / (T - d - 1). The library's exact recursion is averaged over 3000 random designs (one
    compiled recursion vmapped over the designs); tolerance 4 standard errors of that average."""
    rng = np.random.default_rng(2)
    T, d, rounds, B = 20, 3, 5, 3000
    X = rng.normal(size=(B, T, d))
    grams = np.einsum("bti,btj->bij", X, X) / T
    eco = chain(X[0], "reuse")
    mean, cov = iterate_linear_over_designs(eco, rounds, grams[:, None], grams, grams[:, None])
    errors = np.trace(cov[:, :, 0, :, 0, :], axis1=-2, axis2=-1)  # Sigma = I: E|theta - theta*|^2
    n = np.arange(1, rounds + 2)
    expected = SIGMA2 * d * n / (T - d - 1)
    average, se = errors.mean(0), errors.std(0, ddof=1) / np.sqrt(B)
    assert np.all(np.abs(average - expected) < 4 * se), (average, expected, se)
    np.testing.assert_allclose(errors / n, np.broadcast_to(errors[:, :1], errors.shape), rtol=1e-9)  # linear in n


@pytest.mark.parametrize("regime, seed", [("reuse", 3), ("accumulate", 4)])
def test_monte_carlo_of_the_relabelling_process(regime, seed):
    """Gerstgrasser et al. (arXiv 2404.01413) in Monte Carlo: relabelling and refitting by least squares 4000 times
    gives the test error of the formula (replace: n sigma^2 tr((X^T X)^-1); accumulate: times sum 1/i^2) at
    n = 1, 5, 10 within 4 standard errors (the squared error of a Gaussian estimate: light tails)."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(10, 2))
    eco = chain(X, regime)
    mc = simulate_linear(eco, 9, key=seed, replicates=4000)
    errors = mc.task_error()[:, :, 0]
    one = SIGMA2 * np.trace(np.linalg.inv(X.T @ X))
    for n in (1, 5, 10):
        expected = one * (n if regime == "reuse" else np.sum(1 / np.arange(1, n + 1) ** 2))
        average, se = errors[:, n - 1].mean(), errors[:, n - 1].std(ddof=1) / np.sqrt(4000)
        assert abs(average - expected) < 4 * se, (n, average, expected, se)
