"""Validation against Alemohammad et al., "Self-consuming generative models go MAD".

Alemohammad, Casco-Rodriguez, Luzi, Humayun, Babaei, LeJeune, Siahkoohi, Baraniuk; ICLR 2024; arXiv 2307.01850.
Three autophagous loops, each a K = 1 ecosystem (mixing [[1]], beta = 1: the real source is the private one):

* fully synthetic loop: alpha = 1 after the initial fit on n real samples;
* synthetic augmentation loop: a fixed real set reused every generation, regime "reuse", alpha = rho;
* fresh data loop: new real samples every generation, regime "fresh", alpha = rho (rho = synthetic share).

Their Gaussian toy results: in the fully synthetic loop with the MLE covariance, E[Sigma_t] shrinks as
((n-1)/n)^t; with fresh data the fitted mean is an AR(1) process with stationary variance
sigma^2 / (n (1 - rho^2)). Indexing: the library's round t = 0 is the first fit (on real data), so after round t
the covariance has been refitted t + 1 times; the library gives E[S_t] = ((n-1)/n)^(t+1) Sigma, i.e. their
((n-1)/n)^t with t counting fits (t = 1 the fit to real data). Every value under test comes from the library's
general maps (``numerics.iterate_moments``, ``theory.moment_map`` with ``fixed_point``, ``numerics.simulate``);
the published formulas are only expected values.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from validation_helpers import fitted_cov, iterate_symbolic, mean_and_se

import interplay.numerics as numerics
from interplay.theory import Ecosystem, fixed_point, jacobian, moment_map

MU2 = [1, -1]
SIGMA2D = [[2, sympy.Rational(1, 2)], [sympy.Rational(1, 2), 1]]  # non-identity, correlated covariance


def loop(alpha, n, regime, estimator="mle", mean=(0,), cov=((1,),)):
    return Ecosystem.gaussian(
        means=[list(mean)],
        public_mean=[0] * len(mean),
        covs=[[list(row) for row in cov]],
        alpha=alpha,
        beta=1,
        mixing=[[1]],
        n=n,
        estimator=estimator,
        regime=regime,
    )


def _state(fp, name):
    return next(v for s, v in fp.items() if s.name == name)


# -- fully synthetic loop -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 20, 100])
def test_fully_synthetic_mle_covariance_shrinks(n):
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850), fully synthetic
    Gaussian loop with MLE covariance: E[Sigma] shrinks geometrically by (n-1)/n per fit, the whole matrix
    (off-diagonal included). The library's ``iterate_moments`` (d = 2, Sigma = [[2, 1/2], [1/2, 1]]) gives E[S_t] =
    ((n-1)/n)^(t+1) Sigma, t + 1 fits."""
    T = 100
    sigma = np.array(SIGMA2D, dtype=float)
    tr = numerics.iterate_moments(loop(1, n, "fresh", "mle", MU2, SIGMA2D), T)
    factor = ((n - 1) / n) ** (np.arange(T + 1) + 1)
    # float64 recursion; E S is formed as V - Cov(m) - mm^T of order |Sigma|, hence atol of a few ulps
    np.testing.assert_allclose(tr.fitted_cov[:, 0], factor[:, None, None] * sigma, rtol=1e-10, atol=1e-13)
    # the shape (correlation) is preserved: only the scale collapses (checked while E S is far above round-off)
    es = tr.fitted_cov[factor > 1e-6, 0]
    corr = es[:, 0, 1] / np.sqrt(es[:, 0, 0] * es[:, 1, 1])
    np.testing.assert_allclose(corr, 0.5 / np.sqrt(2), rtol=1e-8)
    np.testing.assert_allclose(tr.mean[:, 0], np.broadcast_to(MU2, (T + 1, 2)), atol=1e-12)


def test_fully_synthetic_mle_covariance_shrinks_symbolic():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850): E[Sigma_t] =
    ((n-1)/n)^t Sigma exactly in rational arithmetic: the library's symbolic ``moment_map`` (d = 2, n = 10, fully
    synthetic, MLE) iterated from its initial fit gives E[S_t] = (9/10)^(t+1) Sigma for t = 0..12."""
    n, T = 10, 12
    fmap = moment_map(loop(1, n, "fresh", "mle", MU2, SIGMA2D))
    for t, moments in enumerate(iterate_symbolic(fmap, T)):
        es = fitted_cov(fmap, moments)
        assert es == sympy.Rational(n - 1, n) ** (t + 1) * sympy.Matrix(SIGMA2D), (t, es)


def test_fully_synthetic_mle_covariance_shrinks_monte_carlo():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850): Monte Carlo of
    the fully synthetic loop (d = 2, n = 20, MLE) reproduces E[S_t] = ((n-1)/n)^(t+1) Sigma entrywise at t = 0, 5,
    10, and its median scale keeps falling."""
    n, T, R = 20, 10, 4000
    mc = numerics.simulate(loop(1, n, "fresh", "mle", MU2, SIGMA2D), T, key=2307, replicates=R)
    sigma = np.array(SIGMA2D, dtype=float)
    for t in (0, 5, 10):
        expected = ((n - 1) / n) ** (t + 1) * sigma
        for i, j in ((0, 0), (0, 1), (1, 1)):
            # mean over independent replicates, SE = std / sqrt(R); at t <= 10 the entries' coefficient of
            # variation is ~ sqrt((1 + 2/n)^(t+1) - 1) <= 1.5, fine for a CLT 4 SE band. 9 comparisons at 4 SE:
            # family-wise false-alarm probability < 1e-3.
            est, se = mean_and_se(mc.covs[:, t, 0, i, j])
            assert abs(est - expected[i, j]) < 4 * se, (t, i, j, est, expected[i, j], se)
    # the typical (median) generalised variance falls too; det S_t / det Sigma is a product of independent factors
    # so its log has sd ~ sqrt(t) * 0.33 and the median's SE ~ 0.02 at t = 10 vs a drop of ~ 2 * 11 / 20 ~ 1.1.
    logdet = np.log(np.linalg.det(mc.covs[:, :, 0]))
    medians = np.median(logdet, axis=0)
    assert medians[10] < medians[5] - 0.2 and medians[5] < medians[0] - 0.2


# -- fresh data loop -------------------------------------------------------------------------------------------------


def test_fresh_loop_mean_is_ar1_with_coefficient_rho():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850), fresh data loop:
    the fitted mean is an AR(1) process with coefficient rho (the synthetic share). In the library's symbolic moment
    map (rho symbolic, real mean mu symbolic) the mean update is E m' = (1 - rho) mu + rho E m and depends on no
    other state variable: since the recursion holds for any law of the state, including a point mass, E[m_{t+1} |
    past] = (1 - rho) mu + rho m_t, which is the AR(1) structure (lag-h autocovariance rho^h Var(m))."""
    rho = sympy.Symbol("rho", positive=True)
    mu = sympy.Symbol("mu", real=True)
    fmap = moment_map(loop(rho, 20, "fresh", "unbiased", mean=(mu,)))
    mean_index = dict(fmap.blocks)["mean"]
    (i,) = mean_index
    update = fmap.update[i]
    J = jacobian(fmap)
    row = [sympy.simplify(x) for x in J.row(i)]
    assert row[i] == rho
    assert all(x == 0 for k, x in enumerate(row) if k != i)
    assert sympy.simplify(update - ((1 - rho) * mu + rho * fmap.state[i])) == 0


N_RHO = [(n, rho) for n in (20, 40, 100, 200, 1000) for rho in (sympy.Rational(1, 4), sympy.Rational(1, 2), 0.75)]


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_fresh_loop_stationary_variance_is_published_up_to_order_1_over_n(estimator):
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850), fresh data loop:
    stationary Var(m) = sigma^2 / (n (1 - rho^2)). The library's exact stationary variance
    (``fixed_point(moment_map)``) differs from it only at O(1/n): the AR(1) innovation variance is ((1 - rho) sigma^2
    + rho E[S]) / n and E[S] at stationarity is not exactly sigma^2 (the pooled fit sees the spread between the real
    and the synthetic batch, and the MLE divides by n). Asserted for n in {20, 40, 100, 200, 1000} x rho in {1/4,
    1/2, 3/4}: |ratio - 1| <= C / n with C = 2 rho / (1 - rho^2), and n |ratio - 1| bounded and converging."""
    sigma2 = 1
    scaled = {}
    for n, rho in N_RHO:
        rho = sympy.nsimplify(rho)
        fp = fixed_point(moment_map(loop(rho, n, "fresh", estimator)))
        assert _state(fp, "\\mu_{1}") == 0
        published = sympy.Rational(sigma2) / (n * (1 - rho**2))
        ratio = _state(fp, "C_{11}") / published
        # Independent hand derivation (rho n integer, so the batches have exactly (1 - rho) n and rho n samples):
        # with v = Var(m), e = E[S] at stationarity, v = ((1 - rho) + rho e) / (n (1 - rho^2)) and
        # e = c ((1 - rho) + rho e - (1 - rho) v), c = n / (n - 1) (unbiased) or 1 (MLE). Solving:
        #   unbiased: ratio = 1 + rho^2 / (n (1 - rho^2) - 1),   MLE: ratio = 1 - rho / (n (1 - rho^2) + rho).
        # Both give |ratio - 1| <= rho / (n (1 - rho^2) - 1) <= 2 rho / (n (1 - rho^2)) once n (1 - rho^2) >= 2.
        if estimator == "unbiased":
            assert ratio == 1 + rho**2 / (n * (1 - rho**2) - 1), (n, rho, ratio)
        else:
            assert ratio == 1 - rho / (n * (1 - rho**2) + rho), (n, rho, ratio)
        assert n * (1 - rho**2) >= 2
        C = 2 * rho / (1 - rho**2)
        assert abs(ratio - 1) <= C / n, (n, rho, ratio)
        assert ratio != 1  # the published formula is the leading order only
        scaled.setdefault(rho, []).append(float(n * abs(ratio - 1)))
    for rho, values in scaled.items():
        limit = float(rho**2 / (1 - rho**2) if estimator == "unbiased" else rho / (1 - rho**2))
        assert max(values) <= float(2 * rho / (1 - rho**2))  # n |ratio - 1| stays bounded ...
        assert abs(values[-1] - limit) < 0.01 * limit  # ... and converges (n = 1000 within 1% of its limit)


def test_fresh_loop_stationary_variance_symbolic_in_rho():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850): the library's
    exact stationary Var(m) of the fresh data loop as a closed form in a symbolic rho (n = 20, unbiased) is sigma^2 /
    (n (1 - rho^2)) times 1 + rho^2 / (n (1 - rho^2) - 1): the published value plus an O(1/n) correction, for all rho
    at once."""
    rho = sympy.Symbol("rho", positive=True)
    n = 20
    fp = fixed_point(moment_map(loop(rho, n, "fresh", "unbiased")))
    variance = _state(fp, "C_{11}")
    published = 1 / (n * (1 - rho**2))
    assert sympy.simplify(variance / published - (1 + rho**2 / (n * (1 - rho**2) - 1))) == 0
    assert sympy.limit(variance / published, rho, 0) == 1  # no synthetic data: exactly sigma^2 / n


def test_fresh_loop_iteration_reaches_the_fixed_point():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850):
    ``iterate_moments`` of the fresh data loop (n = 20, rho = 1/2) converges to the library's exact fixed point (the
    AR(1)'s stationary variance) geometrically."""
    n, rho = 20, sympy.Rational(1, 2)
    eco = loop(rho, n, "fresh", "unbiased")
    stationary = float(_state(fixed_point(moment_map(eco)), "C_{11}"))
    tr = numerics.iterate_moments(eco, 200)
    v = tr.mean_cov[:, 0, 0, 0, 0]
    np.testing.assert_allclose(v[-1], stationary, rtol=1e-12)
    assert np.all(v <= stationary * (1 + 1e-12))  # starts at sigma^2 / n and rises monotonically
    assert np.all(np.diff(v) >= -1e-15)


def test_fresh_loop_monte_carlo_stationary_variance_and_lags():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850), fresh data loop
    in Monte Carlo (n = 20, rho = 1/2, unbiased): Var(m_30) matches the library's exact stationary value (itself
    sigma^2 / (n (1 - rho^2)) up to O(1/n)), and the lag-h autocorrelations of the fitted mean are those of an AR(1)
    with coefficient rho, h = 1, 2, 4."""
    n, rho, T, R = 20, 0.5, 30, 4000
    eco = loop(sympy.Rational(1, 2), n, "fresh", "unbiased")
    exact = numerics.iterate_moments(eco, T).mean_cov[:, 0, 0, 0, 0]
    mc = numerics.simulate(eco, T, key=1307, replicates=R)
    m = mc.means[:, :, 0, 0]
    # E m_t = 0 exactly, so Var(m_T) = E[m_T^2], a mean of i.i.d. replicates: SE = std / sqrt(R) (~2.2%).
    est, se = mean_and_se(m[:, T] ** 2)
    assert abs(est - exact[T]) < 4 * se, (est, exact[T], se)
    # the published formula is within the Monte Carlo resolution here (the exact O(1/n) gap is ~1.8%)
    assert abs(est - 1 / (n * (1 - rho**2))) < 4 * se + abs(exact[T] - 1 / (n * (1 - rho**2)))
    for h in (1, 2, 4):
        # AR(1): Cov(m_T, m_{T-h}) = rho^h Var(m_{T-h}), so corr = rho^h sqrt(Var(m_{T-h}) / Var(m_T)) with the
        # library's exact variances (= rho^h at stationarity). The sample correlation of R pairs has
        # SE ~ (1 - r^2) / sqrt(R) (~0.012 at h = 1); 4 SE band.
        expected = rho**h * np.sqrt(exact[T - h] / exact[T])
        r = np.corrcoef(m[:, T], m[:, T - h])[0, 1]
        assert abs(r - expected) < 4 * (1 - expected**2) / np.sqrt(R), (h, r, expected)


# -- synthetic augmentation loop ------------------------------------------------------------------------------------


def test_augmentation_loop_mean_variance_stays_bounded():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850), synthetic
    augmentation loop (a fixed real set reused every generation, rho = 1/2 synthetic): the fitted mean's variance
    stays bounded, converging to the library's exact fixed point of the moment map, whereas the fully synthetic
    loop's grows without bound (linearly)."""
    n, rho, T = 20, sympy.Rational(1, 2), 500
    for estimator in ("unbiased", "mle"):
        eco = loop(rho, n, "reuse", estimator)
        stationary = float(_state(fixed_point(moment_map(eco)), "C_{11}"))
        v = numerics.iterate_moments(eco, T).mean_cov[:, 0, 0, 0, 0]
        assert np.all(v <= stationary * (1 + 1e-12)), estimator
        np.testing.assert_allclose(v[-1], stationary, rtol=1e-12)
        # bounded by a small multiple of the one-fit variance sigma^2 / n
        assert stationary < 2 * v[0]
    synthetic = numerics.iterate_moments(loop(1, n, "fresh", "unbiased"), T).mean_cov[:, 0, 0, 0, 0]
    np.testing.assert_allclose(synthetic / synthetic[0], np.arange(T + 1) + 1, rtol=1e-10)


def test_augmentation_loop_monte_carlo():
    """Alemohammad et al., "Self-consuming generative models go MAD" (ICLR 2024; arXiv 2307.01850), synthetic
    augmentation loop in Monte Carlo (n = 20, rho = 1/2, unbiased, real set drawn once per replicate and reused):
    Var(m_t) at t = 1, 10, 30 matches the library's exact recursion (which tracks the correlation with the reused
    real set) and stays bounded."""
    n, T, R = 20, 30, 4000
    eco = loop(sympy.Rational(1, 2), n, "reuse", "unbiased")
    exact = numerics.iterate_moments(eco, T).mean_cov[:, 0, 0, 0, 0]
    mc = numerics.simulate(eco, T, key=2024, replicates=R)
    m = mc.means[:, :, 0, 0]
    for t in (1, 10, 30):
        # E m_t = 0 exactly: Var(m_t) = E[m_t^2], SE = std / sqrt(R)
        est, se = mean_and_se(m[:, t] ** 2)
        assert abs(est - exact[t]) < 4 * se, (t, est, exact[t], se)
    assert np.mean(m[:, T] ** 2) < 2 / n
