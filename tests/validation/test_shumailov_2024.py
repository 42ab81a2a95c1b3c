"""Validation against Shumailov et al., "AI models collapse when trained on recursively generated data".

Shumailov, Shumaylov, Zhao, Papernot, Anderson, Gal, Nature 631 (2024); arXiv 2305.17493. Gaussian toy model:
generation 0 is N(mu, sigma^2); generation i + 1 is the Gaussian fitted (unbiased variance) to M samples of
generation i. Their X^j is a sample of generation j.

Mapping to the library: K = 1 model, mixing [[1]], alpha = 1 (after the initial fit it trains only on its own
outputs), beta = 1 (its real source is the private one), n = M. Our round t = 0 fit is on M real samples, i.e. it
is their generation 1 (mu_1, sigma_1^2); in general our round t fit is their generation t + 1, so a sample drawn
from our round-t model is their X^{t+1}. Every result below is computed by the library's general maps
(``numerics.iterate_moments``, the symbolic ``theory.moment_map`` or ``numerics.simulate``); the published
formula is only the expected value.

Not covered: the variable-M version (the library has one n for every round) and the categorical version (the
library's family is Gaussian).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from scipy.special import digamma, gammaln, polygamma
from validation_helpers import fitted_cov, iterate_symbolic, mean_and_se, ols_slope

import interplay.numerics as numerics
from interplay.theory import Ecosystem, moment_map

SIGMA2 = 2.0  # variance of the real data
MU = 0.0


def shumailov(M, estimator="unbiased", sigma2=SIGMA2, mu=MU):
    """Model trained on M real samples, then refitted on M samples of itself every generation."""
    return Ecosystem.gaussian(
        means=[[mu]],
        public_mean=[mu],
        covs=[[[sigma2]]],
        public_cov=[[sigma2]],
        alpha=1,
        beta=1,
        mixing=[[1]],
        n=M,
        estimator=estimator,
        regime="fresh",
    )


@pytest.mark.parametrize("M", [5, 20, 100])
def test_variance_of_generation_sample_exact(M):
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493), Theorem (Gaussian, unbiased variance, constant M): Var(X^j) =
    sigma^2 (1 + j / M). Our round-t fit is their generation j = t + 1, so the exact Var(X) = E[S_t] + Var(m_t) from
    ``iterate_moments`` must equal sigma^2 (1 + (t + 1) / M) for t = 0..200."""
    T = 200
    tr = numerics.iterate_moments(shumailov(M), T)
    t = np.arange(T + 1)
    var_x = tr.fitted_cov[:, 0, 0, 0] + tr.mean_cov[:, 0, 0, 0, 0]
    # float64 recursion of a few hundred affine steps: relative round-off ~1e-14.
    np.testing.assert_allclose(var_x, SIGMA2 * (1 + (t + 1) / M), rtol=1e-12)
    # the martingale: E[sigma_j^2] = sigma^2 in every generation
    np.testing.assert_allclose(tr.fitted_cov[:, 0, 0, 0], SIGMA2, rtol=1e-12)
    # and E[m_t] = mu
    np.testing.assert_allclose(tr.mean[:, 0, 0], MU, atol=1e-12)


def test_variance_and_martingale_exact_symbolic():
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493): Var(X^j) = sigma^2 (1 + j / M) and E[sigma_j^2] = sigma^2, as
    exact identities in a symbolic sigma^2: the library's symbolic ``moment_map`` (n = M = 10) iterated 15 times from
    the library's initial fit gives E[S_t] = sigma^2 and E[S_t] + Var(m_t) = sigma^2 (1 + (t + 1) / M)."""
    M, T = 10, 15
    s2 = sympy.Symbol("sigma2", positive=True)
    mu = sympy.Symbol("mu", real=True)
    fmap = moment_map(shumailov(M, sigma2=s2, mu=mu))
    for t, moments in enumerate(iterate_symbolic(fmap, T)):
        es = fitted_cov(fmap, moments)[0, 0]
        var_x = es + moments.cov[0, 0]
        assert sympy.simplify(es - s2) == 0, (t, es)
        assert sympy.simplify(var_x - s2 * (1 + sympy.Rational(t + 1, M))) == 0, (t, var_x)
        assert sympy.simplify(moments.mean[0, 0] - mu) == 0


@pytest.mark.parametrize("M", [5, 20, 100])
def test_mle_variance_shrinks_exactly(M):
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493): with the MLE variance E[sigma_j^2] = sigma^2 ((M-1)/M)^j.
    Generation j = t + 1 in our indexing, so ``iterate_moments`` must give E[S_t] = sigma^2 ((M-1)/M)^(t+1)."""
    T = 200
    tr = numerics.iterate_moments(shumailov(M, estimator="mle"), T)
    t = np.arange(T + 1)
    # E[S_t] is formed as V - Cov(m) - (E m)^2 with V, Cov(m) of order sigma^2: once E[S_t] has shrunk to ~1e-16
    # (M = 5, t ~ 150) float64 cancellation leaves an absolute error of a few ulps of sigma^2, hence the atol.
    expected = SIGMA2 * ((M - 1) / M) ** (t + 1)
    np.testing.assert_allclose(tr.fitted_cov[:, 0, 0, 0], expected, rtol=1e-11, atol=1e-13 * SIGMA2)
    # the relative agreement is tight wherever the value is well above round-off
    big = expected > 1e-6 * SIGMA2
    np.testing.assert_allclose(tr.fitted_cov[big, 0, 0, 0], expected[big], rtol=1e-9)


def test_mle_variance_shrinks_exactly_symbolic():
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493): E[sigma_j^2] = sigma^2 ((M-1)/M)^j for the MLE, exactly in a
    symbolic sigma^2, from the library's symbolic ``moment_map`` with n = M = 7 (j = t + 1)."""
    M, T = 7, 15
    s2 = sympy.Symbol("sigma2", positive=True)
    fmap = moment_map(shumailov(M, estimator="mle", sigma2=s2))
    for t, moments in enumerate(iterate_symbolic(fmap, T)):
        es = fitted_cov(fmap, moments)[0, 0]
        assert sympy.simplify(es - s2 * sympy.Rational(M - 1, M) ** (t + 1)) == 0, (t, es)


@pytest.fixture(scope="module")
def mc_m20():
    """Monte Carlo of the unbiased loop, M = 20, 30 generations, 4000 replicates (fixed seed)."""
    return numerics.simulate(shumailov(20), 30, key=20240724, replicates=4000)


def test_mc_var_x_and_martingale(mc_m20):
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493) in Monte Carlo: Var(X^{t+1}) = E[(m_t - mu)^2 + S_t] equals
    sigma^2 (1 + (t + 1)/M), and E[S_t] = sigma^2, at t = 0, 5, 10 (M = 20)."""
    M = 20
    S = mc_m20.covs[:, :, 0, 0, 0]
    m = mc_m20.means[:, :, 0, 0]
    for t in (0, 5, 10):
        # E m_t = mu exactly, so Var(X) = E[S_t + (m_t - mu)^2]: a mean over independent replicates whose
        # standard error is std / sqrt(R). At t <= 10 S_t has coefficient of variation
        # sqrt((1 + 2/(M-1))^(t+1) - 1) <= 1.4, light enough for a CLT-based 4 SE band (two-sided p ~ 6e-5).
        est, se = mean_and_se(S[:, t] + (m[:, t] - MU) ** 2)
        assert abs(est - SIGMA2 * (1 + (t + 1) / M)) < 4 * se, (t, est, se)
        est, se = mean_and_se(S[:, t])
        assert abs(est - SIGMA2) < 4 * se, (t, est, se)


def test_mc_median_falls(mc_m20):
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493): sigma_j^2 -> 0 almost surely although E[sigma_j^2] = sigma^2. In
    Monte Carlo (M = 20) the median of S_t falls far below sigma^2 by t = 30 (by more than 4 SE of the sample median
    every 10 generations) and most runs end below sigma^2."""
    S = mc_m20.covs[:, :, 0, 0, 0]
    R = S.shape[0]
    log_median = np.log(np.median(S, axis=0) / SIGMA2)
    # log S_t is a sum of t + 1 i.i.d. log(chi2_19 / 19) terms (sd s = sqrt(31 * trigamma(9.5)) ~ 1.9 at t = 30);
    # the SE of a sample median of a near-normal quantity is s sqrt(pi / 2) / sqrt(R) ~ 0.04, while the expected
    # drop is ~ 31 / 19 ~ 1.6. Checkpoints 10 rounds apart differ by ~0.53 >> 4 SE.
    se_median = np.sqrt(31 * polygamma(1, 9.5)) * np.sqrt(np.pi / 2) / np.sqrt(R)
    assert log_median[10] < log_median[0] - 4 * se_median
    assert log_median[20] < log_median[10] - 4 * se_median
    assert log_median[30] < log_median[20] - 4 * se_median
    assert log_median[30] < -1.0
    # fraction of runs with S_30 < sigma^2: P(sum of 31 increments < 0) ~ Phi(1.6 / 1.9) ~ 0.8; SE of a
    # proportion <= 0.5 / sqrt(R) ~ 0.008, so > 0.7 is a safe 10-SE margin below the expected ~0.8.
    assert np.mean(S[:, 30] < SIGMA2) > 0.7
    # No raw-mean check of S_30 here: it is heavy-tailed (CV ~ sqrt(1.105^31 - 1) ~ 4.6). E[S_t] = sigma^2 is
    # checked exactly (tests above) and in Monte Carlo at t <= 10 (test_mc_var_x_and_martingale).


def test_mc_mean_log_variance_slope(mc_m20):
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493): E log sigma_j^2 decreases by about 1/(M-1) per generation. Exact
    per-step drift for the unbiased refit: E log(chi2_{M-1}/(M-1)) = digamma((M-1)/2) + log(2/(M-1)) = -1/(M-1) -
    1/(3 (M-1)^2) + O(M^-4). The Monte Carlo slope of mean log S_t (M = 20) must match it."""
    M, T = 20, 30
    S = mc_m20.covs[:, :, 0, 0, 0]
    exact_step = digamma((M - 1) / 2) + np.log(2 / (M - 1))
    # "about 1/(M-1)": the exact drift differs from -1/(M-1) by ~1/(3 (M-1)^2), i.e. relatively by ~1/(3(M-1)).
    assert abs(exact_step * (M - 1) + 1) < 1 / (M - 1)
    # Per replicate, (log S_T - log S_0) / T is the mean of T i.i.d. increments, so the replicate average is an
    # unbiased estimate of the drift whose SE is the empirical std / sqrt(R). 4 SE band.
    per_run = (np.log(S[:, T]) - np.log(S[:, 0])) / T
    drift, drift_se = mean_and_se(per_run)
    assert abs(drift - exact_step) < 4 * drift_se, (drift, exact_step, drift_se)
    # also the whole curve: E log S_t = log sigma^2 + (t + 1) * exact_step; mean of log S_t is a mean of i.i.d.
    # replicates with SE = std / sqrt(R).
    for t in (0, 10, 30):
        est, se = mean_and_se(np.log(S[:, t]))
        assert abs(est - (np.log(SIGMA2) + (t + 1) * exact_step)) < 4 * se, (t, est, se)
    # the drift is resolved well enough to tell -1/(M-1) from 0 and from -2/(M-1): "about 1/(M-1)" is checked,
    # not merely "negative"
    assert abs(drift) > 20 * drift_se
    assert abs(drift + 2 / (M - 1)) > 20 * drift_se


@pytest.mark.parametrize("M, seed", [(100, 1), (200, 2)])
def test_mc_wasserstein_growth(M, seed):
    """Shumailov, Shumaylov, Zhao, Papernot, Anderson & Gal, "AI models collapse when trained on recursively
    generated data" (Nature 2024; arXiv 2305.17493): E W2^2(N(mu, sigma^2), N(mu_j, sigma_j^2)) grows like (3/2)
    sigma^2 j / M for large M. With W2^2 = (m - mu)^2 + (sqrt(S) - sigma)^2 and j = t + 1, the Monte Carlo slope of E
    W2^2 over t = 0..30 must be (3/2) sigma^2 / M, for M = 100 and M = 200."""
    T, R = 30, 4000
    eco = shumailov(M)
    mc = numerics.simulate(eco, T, key=seed, replicates=R)
    sigma = np.sqrt(SIGMA2)
    w2 = (mc.means[:, :, 0, 0] - MU) ** 2 + (np.sqrt(mc.covs[:, :, 0, 0, 0]) - sigma) ** 2
    ts = np.arange(T + 1)
    # Per-replicate least-squares slopes are i.i.d. across replicates; their mean is the slope of the mean curve
    # and their SE is std / sqrt(R) (~2% of the slope here).
    slope, se = mean_and_se(ols_slope(ts, w2))
    published = 1.5 * SIGMA2 / M
    # The (3/2) sigma^2 j / M law is asymptotic in M. The exact curve is E(m-mu)^2 + E S - 2 sigma E sqrt(S) +
    # sigma^2 with the first two from the library's exact moments and E sqrt(S_t) = sigma g^(t+1),
    # g = E sqrt(chi2_{M-1}/(M-1)) = sqrt(2/(M-1)) Gamma(M/2) / Gamma((M-1)/2) (S_t / sigma^2 is a product of
    # t + 1 independent chi2_{M-1}/(M-1) factors). Its deviation from the published slope is the known
    # O(T / M^2) approximation error, which is allowed on top of the 4 SE Monte Carlo band.
    tr = numerics.iterate_moments(eco, T)
    k = M - 1
    g = np.exp(0.5 * np.log(2 / k) + gammaln((k + 1) / 2) - gammaln(k / 2))
    exact_curve = (
        tr.mean_cov[:, 0, 0, 0, 0]
        + (tr.mean[:, 0, 0] - MU) ** 2
        + tr.fitted_cov[:, 0, 0, 0]
        - 2 * sigma * sigma * g ** (ts + 1)
        + SIGMA2
    )
    exact_slope = ols_slope(ts, exact_curve)
    approximation = abs(exact_slope - published)
    assert approximation < 0.02 * published  # the law is "approximately" right: within 2% at M >= 100, T = 30
    assert abs(slope - exact_slope) < 4 * se, (slope, exact_slope, se)
    assert abs(slope - published) < 4 * se + approximation, (slope, published, se)
    # the level, not just the slope: E W2^2 at t = T is ~ (3/2) sigma^2 (T + 1) / M
    level, level_se = mean_and_se(w2[:, T])
    assert abs(level - exact_curve[T]) < 4 * level_se
    assert abs(level - 1.5 * SIGMA2 * (T + 1) / M) < 4 * level_se + abs(exact_curve[T] - 1.5 * SIGMA2 * (T + 1) / M)
