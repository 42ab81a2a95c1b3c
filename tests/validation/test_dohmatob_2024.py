"""Validation against Dohmatob, Feng & Kempe, "Model collapse demystified: the case of regression" (NeurIPS 2024;
arXiv 2402.07712).

Setting: a chain of OLS generators; the first is fitted to T0 real samples y = x^T w0 + N(0, sigma0^2), each next
one to T0 samples labelled by the previous generator with noise sigma0^2; the downstream model is fitted to T
samples of generation n with noise sigma^2. Claim (isotropic Gaussian design): its test error is
sigma^2 d / (T - d - 1) + n sigma0^2 d / (T0 - d - 1).

In the library: the linear-Gaussian family with K = 1, alpha = 1, beta = 1, mixing [[1]], noise_var sigma0^2,
real design X0 (T0 rows) and synthetic design X (n = T0 rows). Round t is the fit on data of generation t, so the
downstream model with T = T0 and sigma = sigma0 is round n, whose error the formula gives as
(n + 1) sigma0^2 d / (T0 - d - 1). The library keeps the synthetic design fixed across generations; the paper draws
fresh covariates. The expected error is the same: the error is a sum of one term sigma0^2 tr((X_i^T X_i)^-1) per
fit, whose expectation does not depend on whether the X_i are shared. (The case T != T0, sigma != sigma0 needs a
last round with another design and noise, which a spec with one synthetic design per model cannot express; it
is not tested here.)
"""

from __future__ import annotations

import numpy as np

from interplay.numerics.linear.iterate import iterate_linear, iterate_linear_over_designs
from interplay.theory.linear.maps import Design, linear_ecosystem

SIGMA0_2 = 1.3


def chain(X0, X):
    d = X0.shape[1]
    return linear_ecosystem(np.ones(d), [Design.from_data(X0)], Design.from_data(X0),
                            synthetic=Design.from_data(X), noise_var=SIGMA0_2, alpha=1, beta=1, mixing=[[1]],
                            n=X.shape[0])  # fmt: skip


def test_fixed_design_error_is_a_sum_over_generations():
    """Dohmatob, Feng & Kempe (arXiv 2402.07712): conditional on the designs the library's exact error after n
    generations is sigma0^2 [tr((X0^T X0)^-1) + n tr((X^T X)^-1)]: one term per fit, the real fit first."""
    rng = np.random.default_rng(0)
    X0, X = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    run = iterate_linear(chain(X0, X), 20)
    n = np.arange(21)
    expected = SIGMA0_2 * (np.trace(np.linalg.inv(X0.T @ X0)) + n * np.trace(np.linalg.inv(X.T @ X)))
    np.testing.assert_allclose(run.task_error()[:, 0], expected, rtol=1e-9)


def test_isotropic_chain_error():
    """Dohmatob, Feng & Kempe (arXiv 2402.07712): averaged over 3000 pairs of isotropic Gaussian designs
    (T0 = 15, d = 4), the library's exact error of the model trained on generation n's data equals
    sigma^2 d / (T - d - 1) + n sigma0^2 d / (T0 - d - 1) with T = T0, sigma = sigma0, for n = 0..8, within 4
    standard errors of the design average (one compiled recursion vmapped over the designs)."""
    rng = np.random.default_rng(1)
    T0, d, rounds, B = 15, 4, 8, 3000
    X0, X = rng.normal(size=(B, T0, d)), rng.normal(size=(B, T0, d))
    real = np.einsum("bti,btj->bij", X0, X0) / T0
    synthetic = np.einsum("bti,btj->bij", X, X) / T0
    eco = chain(X0[0], X[0])
    _, cov = iterate_linear_over_designs(eco, rounds, real[:, None], real, synthetic[:, None])
    errors = np.trace(cov[:, :, 0, :, 0, :], axis1=-2, axis2=-1)
    n = np.arange(rounds + 1)
    expected = SIGMA0_2 * d / (T0 - d - 1) + n * SIGMA0_2 * d / (T0 - d - 1)
    average, se = errors.mean(0), errors.std(0, ddof=1) / np.sqrt(B)
    assert np.all(np.abs(average - expected) < 4 * se), (average, expected, se)
    steps = np.diff(errors, axis=1)  # linear growth: each design adds the same amount every generation
    np.testing.assert_allclose(steps, np.broadcast_to(steps[:, :1], steps.shape), rtol=1e-9)
    step, step_se = steps[:, 0].mean(), steps[:, 0].std(ddof=1) / np.sqrt(B)
    assert abs(step - SIGMA0_2 * d / (T0 - d - 1)) < 4 * step_se
