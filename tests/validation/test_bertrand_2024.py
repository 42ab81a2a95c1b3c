"""Validation against Bertrand et al., "On the stability of iterative retraining of generative models on their own
data" (Bertrand, Bose, Duplessis, Jiralerspong, Gidel; ICLR 2024; arXiv 2310.00429).

Their update is theta_{t+1} = argmax_theta E_data[log p_theta] + lambda E_{p_theta_t}[log p_theta], lambda the
ratio of synthetic to real data. Normalising the two weights, a round trains on real data with weight
1 / (1 + lambda) and on the model's own outputs with weight lambda / (1 + lambda): in the library's convention
alpha = lambda / (1 + lambda) (the synthetic *fraction*), K = 1, mixing [[1]], beta = 1 (the real data is the
model's private source) and n = None (the population / infinite-sample level of their Theorem 1).

Their Theorem 1 gives a *sufficient* condition for local stability, lambda (1 + eps L / alpha_B) < 1/2 (eps the
model's distance to the data, L a Lipschitz constant, alpha_B a strong-concavity constant; eps = 0 for the
Gaussian family, which contains the data). For the Gaussian MLE map the library's population map has, at the
data fixed point, Jacobian exactly lambda / (1 + lambda) times the identity: stable for every lambda >= 0, so the
sufficient condition is conservative (it says nothing for lambda >= 1/2). Everything is computed by the library
(``population_map``, ``fixed_point``, ``jacobian``, ``eigenvalues``, ``spectral_radius``,
``stability_condition``, ``numerics.iterate_population``).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import interplay.numerics as numerics
from interplay.theory import (
    Ecosystem,
    eigenvalues,
    fixed_point,
    jacobian,
    population_map,
    spectral_radius,
    stability_condition,
)

MU = [1, -1]
SIGMA = [[2, sympy.Rational(1, 2)], [sympy.Rational(1, 2), 1]]  # non-identity, correlated data covariance


def synthetic_fraction(lam):
    """Bertrand et al.'s lambda (synthetic / real) as the library's alpha (synthetic fraction)."""
    return lam / (1 + lam)


def bertrand_sufficient_condition(lam, eps_l_over_alpha=0):
    """Their Theorem 1 hypothesis lambda (1 + eps L / alpha_B) < 1/2; eps L / alpha_B >= 0, 0 being the most
    favourable case (the data lies in the model family)."""
    return lam * (1 + eps_l_over_alpha) < sympy.Rational(1, 2)


def retraining(alpha, means=MU, cov=SIGMA, **options):
    options = {"beta": 1, "n": None, "regime": "fresh", **options}
    return Ecosystem.gaussian(means=[means], public_mean=[0, 0], covs=[cov], alpha=alpha, mixing=[[1]], **options)


def test_population_jacobian_is_lambda_over_one_plus_lambda_identity_symbolic():
    """Bertrand, Bose, Duplessis, Jiralerspong & Gidel, "On the stability of iterative retraining of generative
    models on their own data" (ICLR 2024; arXiv 2310.00429), Gaussian case of Theorem 1: at the data fixed point the
    population retraining map (d = 2, lambda symbolic) has Jacobian exactly lambda / (1 + lambda) * I (all 5
    coordinates of (mean, covariance)), hence every eigenvalue is lambda / (1 + lambda) < 1 for every lambda >= 0."""
    lam = sympy.Symbol("lambda", nonnegative=True)
    fmap = population_map(retraining(synthetic_fraction(lam)))
    fp = fixed_point(fmap)
    # the fixed point is the data distribution
    names = {s.name: v for s, v in fp.items()}
    assert names == {"m_{11}": 1, "m_{12}": -1, "S1_{11}": 2, "S1_{12}": sympy.Rational(1, 2), "S1_{22}": 1}
    rho = lam / (1 + lam)
    J = jacobian(fmap, fp)
    assert J.shape == (5, 5)
    assert sympy.simplify(J - rho * sympy.eye(5)).is_zero_matrix
    spectrum = eigenvalues(fmap)
    assert len(spectrum) == 1
    ((value, multiplicity),) = spectrum.items()
    assert multiplicity == 5 and sympy.simplify(value - rho) == 0
    assert sympy.simplify(spectral_radius(fmap) - rho) == 0
    # stable for every lambda >= 0: 1 - rho = 1 / (1 + lambda) > 0
    assert sympy.simplify(1 - rho).is_positive
    assert stability_condition(fmap) == sympy.true


def test_population_jacobian_generic_alpha_and_symbolic_data():
    """Bertrand, Bose, Duplessis, Jiralerspong & Gidel, "On the stability of iterative retraining of generative
    models on their own data" (ICLR 2024; arXiv 2310.00429): the same exact identity J = alpha * I for a symbolic
    synthetic fraction alpha and a fully symbolic data distribution N((m1, m2), [[s11, s12], [s12, s22]]); the fixed
    point is the data distribution itself, and the library's stability condition is alpha < 1."""
    alpha = sympy.Symbol("alpha")
    m1, m2, s12 = sympy.symbols("m1 m2 s12", real=True)
    s11, s22 = sympy.symbols("s11 s22", positive=True)
    fmap = population_map(retraining(alpha, means=[m1, m2], cov=[[s11, s12], [s12, s22]]))
    fp = fixed_point(fmap)
    assert list(fp.values()) == [m1, m2, s11, s12, s22]
    assert sympy.simplify(jacobian(fmap, fp) - alpha * sympy.eye(5)).is_zero_matrix
    assert eigenvalues(fmap) == {alpha: 5}
    assert stability_condition(fmap) == (alpha < 1)


@pytest.mark.parametrize("lam", [0, sympy.Rational(1, 4), sympy.Rational(1, 2), 1, 10, 100])
def test_exact_map_stable_where_their_bound_is_silent(lam):
    """Bertrand, Bose, Duplessis, Jiralerspong & Gidel, "On the stability of iterative retraining of generative
    models on their own data" (ICLR 2024; arXiv 2310.00429): their sufficient condition lambda (1 + eps L / alpha_B)
    < 1/2 fails for every lambda >= 1/2 (even with eps = 0), yet the exact Gaussian population map is stable there:
    for numeric lambda in {0, 1/4, 1/2, 1, 10, 100} the library's Jacobian at the data fixed point is exactly lambda
    / (1 + lambda) * I and its spectral radius is lambda / (1 + lambda) < 1."""
    lam = sympy.Integer(lam) if isinstance(lam, int) else lam
    rho = synthetic_fraction(lam)
    fmap = population_map(retraining(rho))
    fp = fixed_point(fmap)
    assert jacobian(fmap, fp) == rho * sympy.eye(5)
    # for a numeric Jacobian the library computes eigenvalues in floating point (rounded to 12 digits), so the
    # spectral radius is compared to lambda / (1 + lambda) at that precision
    radius = spectral_radius(fmap)
    assert abs(float(radius) - float(rho)) < 1e-11 and radius < 1
    assert stability_condition(fmap) == sympy.true
    if lam >= sympy.Rational(1, 2):
        # their hypothesis is violated for every eps L / alpha_B >= 0: their theorem says nothing
        assert not bertrand_sufficient_condition(lam, 0)
        assert not bertrand_sufficient_condition(lam, 3)
    else:
        assert bertrand_sufficient_condition(lam, 0)


def _start_elsewhere(rho, rounds, same_mean=False):
    """K = 1 ecosystem whose initial fit (and round 1) uses the public source, a *different* Gaussian (beta_1 = 0,
    which also sets the initial fit); from round 2 on the real data is the private source N(MU, SIGMA) (beta = 1).
    The population trajectory therefore starts away from the data fixed point and must converge to it."""
    public_mean = MU if same_mean else [3, 2]
    return Ecosystem.gaussian(
        means=[MU],
        public_mean=public_mean,
        covs=[SIGMA],
        public_cov=[[1, 0], [0, 3]],
        alpha=rho,
        beta=(0,) + (1,) * (rounds - 1),
        mixing=[[1]],
        n=None,
        regime="fresh",
    )


@pytest.mark.parametrize("lam", [0.5, 1.0, 10.0])
def test_population_iteration_converges_at_rate_alpha(lam):
    """Bertrand, Bose, Duplessis, Jiralerspong & Gidel, "On the stability of iterative retraining of generative
    models on their own data" (ICLR 2024; arXiv 2310.00429): iterative retraining converges to the data distribution,
    and for the Gaussian the linear rate is lambda / (1 + lambda), for lambda in {0.5, 1, 10}, including values where
    their sufficient condition fails. ``numerics.iterate_population`` started away from the data: the error of the
    mean contracts by exactly alpha every round (the mean update is affine), the covariance error contracts by
    exactly alpha when the start has the right mean, and the full-state error ratio tends to alpha."""
    rho = lam / (1 + lam)
    T = 60
    mu = np.array(MU, dtype=float)
    sigma = np.array(SIGMA, dtype=float)
    tr = numerics.iterate_population(_start_elsewhere(rho, T), T)
    mean_err = np.linalg.norm(tr.mean[:, 0] - mu, axis=1)
    cov_err = np.linalg.norm(tr.fitted_cov[:, 0] - sigma, axis=(1, 2))
    live = slice(1, None)  # round 1 still trains on the public source; the data fixed point applies from round 2
    ratios = mean_err[live][1:] / np.maximum(mean_err[live][:-1], 1e-300)
    # ratios of errors near round-off are meaningless: use errors > 1e-6 (relative round-off < 1e-9)
    ok = mean_err[live][:-1] > 1e-6
    assert ok.sum() >= 10
    np.testing.assert_allclose(ratios[ok], rho, rtol=1e-8)
    # Full state. With delta_t = m_t - mu and E_t = S_t - Sigma the map gives delta_{t+1} = rho delta_t and
    # E_{t+1} = rho E_t + rho (1 - rho) delta_t delta_t^T, so for t >= 1
    #   delta_t = rho^(t-1) delta_1,   E_t = rho^(t-1) (E_1 + (1 - rho^(t-1)) delta_1 delta_1^T),
    # hence full_t = rho^(t-1) f_t with |f_{t+1} - f_t| <= rho^(t-1) (1 - rho) |delta_1|^2 and f_t >= |delta_1|:
    #   |full_{t+1} / full_t - rho| <= rho (1 - rho) |delta_1| rho^(t-1)    and    full_t <= rho^(t-1) f_max.
    full = np.sqrt(mean_err**2 + cov_err**2)
    d1, e1 = mean_err[1], cov_err[1]
    measured = [t for t in range(1, T) if full[t] > 1e-6]
    assert len(measured) >= 10
    for t in measured:
        bound = rho * (1 - rho) * d1 * rho ** (t - 1)
        assert abs(full[t + 1] / full[t] - rho) <= bound + 1e-8, (t, full[t + 1] / full[t], bound)
    # and the ratio does tend to rho: at the last measured round it is within 1% of rho
    t = measured[-1]
    assert abs(full[t + 1] / full[t] - rho) < 0.01 * rho
    assert np.all(full[1:] <= rho ** np.arange(T) * (d1 + e1 + d1**2) + 1e-12)
    # same mean, different covariance: the covariance error is exactly rho times the previous one
    tr = numerics.iterate_population(_start_elsewhere(rho, T, same_mean=True), T)
    np.testing.assert_allclose(tr.mean[:, 0], np.broadcast_to(mu, (T + 1, 2)), atol=1e-12)
    cov_err = np.linalg.norm(tr.fitted_cov[:, 0] - sigma, axis=(1, 2))
    ok = cov_err[1:-1] > 1e-6
    assert ok.sum() >= 10
    np.testing.assert_allclose((cov_err[2:] / np.maximum(cov_err[1:-1], 1e-300))[ok], rho, rtol=1e-8)
