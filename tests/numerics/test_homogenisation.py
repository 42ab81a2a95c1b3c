"""Homogenisation measures (numerics.homogenisation_measures): each closed form against a second derivation (numerical
integration, brute-force sums, the matrix form of a contrast's second moment), the exact expectations against
Monte Carlo of the sampling process, and the diversity measures' defining identities."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats
from scipy.special import ndtri

from interplay import numerics
from interplay.numerics import homogenisation_measures as measures
from interplay.numerics.gaussian import distances as gaussian
from interplay.numerics.linear import distances as linear
from interplay.numerics.poisson import distances as poisson
from interplay.theory.spec import Ecosystem

R = sympy.Rational


def bonferroni(comparisons: int, level: float = 1e-3) -> float:
    """The two-sided z threshold that keeps the chance of any false alarm among ``comparisons`` below ``level``."""
    return float(ndtri(1 - level / (2 * comparisons)))


# -- closed forms against a second derivation ----------------------------------------------------------------------

NORMAL_PAIRS = [  # (m1, v1, m2, v2): unequal variances, equal ones, nearly equal ones, equal means, far apart
    (0.0, 1.0, 1.0, 2.0),
    (-1.0, 0.25, 2.0, 0.25),
    (0.3, 1.0, 0.0, 1.0 + 1e-9),
    (0.0, 1.0, 0.0, 4.0),
    (0.0, 0.01, 5.0, 9.0),
]


@pytest.mark.parametrize(("m1", "v1", "m2", "v2"), NORMAL_PAIRS)
def test_normal_divergences_match_numerical_integration(m1, v1, m2, v2):
    """KL and TV of two normals in d = 1 against scipy's adaptive quadrature of their definitions."""
    f1, f2 = stats.norm(m1, np.sqrt(v1)), stats.norm(m2, np.sqrt(v2))
    lo, hi = min(m1, m2) - 12 * np.sqrt(max(v1, v2)), max(m1, m2) + 12 * np.sqrt(max(v1, v2))
    points = sorted({m1, m2})
    kl_quad = integrate.quad(lambda x: f1.pdf(x) * (f1.logpdf(x) - f2.logpdf(x)), lo, hi, points=points, limit=400)
    tv_quad = integrate.quad(lambda x: abs(f1.pdf(x) - f2.pdf(x)) / 2, lo, hi, points=points, limit=400)
    means, covs = np.array([[m1], [m2]]), np.array([[[v1]], [[v2]]])
    assert gaussian.kl(means, covs)[0, 1] == pytest.approx(kl_quad[0], rel=1e-7, abs=1e-10)
    assert gaussian.tv(means[:, 0], covs[:, 0, 0])[0, 1] == pytest.approx(tv_quad[0], rel=1e-7, abs=1e-10)
    assert gaussian.tv(means[:, 0], covs[:, 0, 0])[1, 0] == pytest.approx(tv_quad[0], rel=1e-7, abs=1e-10)


def test_normal_kl_in_two_dimensions_is_the_sum_over_independent_components():
    """With diagonal covariances the KL of the joint is the sum of the components' KLs (each by quadrature above);
    a rotation of both normals leaves it unchanged; a singular covariance gives +inf, the diagonal 0."""
    means = np.array([[0.0, 1.0], [2.0, -1.0]])
    covs = np.array([np.diag([1.0, 0.5]), np.diag([3.0, 2.0])])
    one_d = [gaussian.kl(means[:, [i]], covs[:, [i]][:, :, [i]])[0, 1] for i in range(2)]
    assert gaussian.kl(means, covs)[0, 1] == pytest.approx(sum(one_d), rel=1e-12)
    c, s = np.cos(0.7), np.sin(0.7)
    rotation = np.array([[c, -s], [s, c]])
    rotated = gaussian.kl(means @ rotation.T, rotation @ covs @ rotation.T)
    assert rotated[0, 1] == pytest.approx(sum(one_d), rel=1e-12)
    singular = covs.copy()
    singular[1] = np.diag([1.0, 0.0])
    kl = gaussian.kl(means, singular)
    assert np.isinf(kl[0, 1]) and np.isinf(kl[1, 0]) and kl[0, 0] == kl[1, 1] == 0


@pytest.mark.parametrize(("a", "b"), [(1.0, 2.0), (0.3, 0.31), (5.0, 4.0), (0.0, 1.5), (12.0, 30.0), (2.0, 2.0)])
def test_poisson_divergences_match_brute_force_sums(a, b):
    """KL and TV of two Poisson laws against sums of their definitions over 0..200."""
    x = np.arange(201)
    pa, pb = stats.poisson.pmf(x, a), stats.poisson.pmf(x, b)
    held = pa > 0
    kl = np.sum(pa[held] * (np.log(pa[held]) - np.log(pb[held])))
    assert poisson.kl(np.array(a), np.array(b)) == pytest.approx(kl, rel=1e-9, abs=1e-12)
    assert poisson.tv(np.array(a), np.array(b)) == pytest.approx(np.abs(pa - pb).sum() / 2, rel=1e-9, abs=1e-12)
    assert np.isinf(poisson.kl(np.array(1.0), np.array(0.0)))


def test_linear_divergences_match_quadrature_over_the_covariates():
    """KL and TV of two fitted linear-Gaussian laws with x ~ N(0, S): x^T Delta = s Z, so both are one-dimensional
    integrals over Z of the Gaussian family's conditional divergences, done by quadrature."""
    theta, gram, noise_var = np.array([1.0, -0.5]), np.array([[2.0, 0.3], [0.3, 0.5]]), 0.7
    eco = numerics_linear_ecosystem(theta, gram, noise_var)
    thetas = np.array([[0.2, 0.4], [1.1, -0.3]])
    result = numerics.LinearTrajectory(eco, None, None, thetas[None], np.zeros((1, 2, 2, 2, 2)), kind="population")
    found = linear.divergences(result)
    s = np.sqrt((thetas[0] - thetas[1]) @ gram @ (thetas[0] - thetas[1]))

    def conditional(z, which):
        means, covs = np.array([[s * z], [0.0]]), np.full((2, 1, 1), noise_var)
        value = gaussian.kl(means, covs) if which == "kl" else gaussian.tv(means[:, 0], covs[:, 0, 0])
        return value[0, 1] * stats.norm.pdf(z)

    for which in ("kl", "tv"):
        expected = integrate.quad(conditional, -12, 12, args=(which,), points=[0.0], limit=200)[0]
        assert found[which][0, 0, 1] == pytest.approx(expected, rel=1e-8)
        assert found[which][0, 1, 0] == pytest.approx(expected, rel=1e-8)


def numerics_linear_ecosystem(theta, gram, noise_var):
    from interplay.theory.linear import linear_ecosystem

    return linear_ecosystem(theta, [np.eye(2)] * 2, gram, noise_var=noise_var, private_sizes=[10, 10], public_size=10)


def test_expected_squared_distance_is_the_second_moment_of_each_contrast():
    """E||theta_k - theta_l||^2 from the block formula against ||D mu||^2 + tr(D Sigma D^T) for the contrast
    D = (e_k - e_l)^T (x) I, on random moments (a random PSD covariance)."""
    rng = np.random.default_rng(3)
    K, p = 4, 3
    mean = rng.normal(size=(K, p))
    root = rng.normal(size=(K * p, K * p))
    cov = (root @ root.T).reshape(K, p, K, p)
    found = measures.expected_squared_distance(mean, cov)
    for k in range(K):
        for l in range(K):
            D = np.kron(np.eye(K)[k] - np.eye(K)[l], np.eye(p))
            expected = np.sum((D @ mean.ravel()) ** 2) + np.trace(D @ cov.reshape(K * p, K * p) @ D.T)
            assert found[k, l] == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_expected_gini_simpson_matches_the_theory_of_the_categorical_family():
    """E[1 - sum p_ki^2] from the moments against the categorical trajectory's diversity, which evaluates the
    theory's expected_diversity; the pooled one against E[1 - sum p_bar^2] by its contrast form."""
    eco = Ecosystem.categorical(
        [[R(1, 2), R(1, 2), 0], [0, R(1, 4), R(3, 4)]], [R(1, 3)] * 3, alpha=R(1, 2), beta=R(1, 2),
        n=10, regime="fresh",
    )  # fmt: skip
    exact = numerics.iterate_moments(eco, 4)
    found = exact.homogenisation()
    assert np.allclose(found["gini_simpson"], exact.diversity(), rtol=0, atol=1e-14)
    K, m = exact.mean.shape[1:]
    average = np.kron(np.full(K, 1 / K), np.eye(m))
    flat_mean, flat_cov = exact.mean.reshape(-1, K * m), exact.cov.reshape(-1, K * m, K * m)
    second = [np.sum((average @ mu) ** 2) + np.trace(average @ c @ average.T) for mu, c in zip(flat_mean, flat_cov)]
    assert np.allclose(found["pooled_gini_simpson"], 1 - np.array(second), rtol=0, atol=1e-14)
    assert set(found.data_vars) == {
        "squared_distance", "mean_squared_distance", "squared_frobenius", "gini_simpson", "pooled_gini_simpson",
    }  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=8).filter(lambda w: sum(w) > 1e-3))
def test_hill_numbers_keep_their_defining_identities(weights):
    """D_0 is the support size, D_1 = exp(Shannon), D_2 = 1 / (1 - Gini-Simpson), D_q does not increase with q and
    lies in [1, support]; a uniform law on s categories has every D_q = s."""
    p = np.array(weights) / sum(weights)
    support = np.count_nonzero(p)
    d0, d1, d2 = (measures.hill(p, q) for q in measures.HILL_ORDERS)
    assert d0 == support
    assert d1 == pytest.approx(np.exp(measures.shannon(p)), rel=1e-12)
    assert d2 == pytest.approx(1 / (1 - measures.gini_simpson(p)), rel=1e-9)
    assert 1 - 1e-12 <= d2 <= d1 * (1 + 1e-12) and d1 <= d0 * (1 + 1e-12)
    uniform = np.where(p > 0, 1 / support, 0.0)
    assert [measures.hill(uniform, q) for q in measures.HILL_ORDERS] == pytest.approx([support] * 3, rel=1e-12)


# -- exact expectations against Monte Carlo of the sampling process ------------------------------------------------


def within_bands(simulated, exact, z: float) -> None:
    """The replicate mean of ``simulated`` (R, ...) within z standard errors of ``exact`` (...), entry by entry
    (entries with no spread must match exactly)."""
    mean = simulated.mean(0)
    se = simulated.std(0, ddof=1) / np.sqrt(simulated.shape[0])
    gap = np.abs(mean - exact)
    assert np.all((gap <= z * se) | (gap <= 1e-12)), f"largest |z| {np.max(gap / np.where(se > 0, se, np.inf)):.2f}"


def test_gaussian_homogenisation_expectations_match_monte_carlo():
    """Three Gaussian models (d = 1, fresh, n = 12) over 4 rounds: E||m_k - m_l||^2 for each pair, its mean over
    pairs and E||D||_F^2 within Bonferroni bands of 4,000 replicates."""
    eco = Ecosystem.gaussian(means=[[0], [2], [5]], public_mean=[1], alpha=R(1, 2), beta=R(1, 2), n=12, regime="fresh")
    exact = numerics.iterate_moments(eco, 4).homogenisation()
    simulated = numerics.simulate(eco, 4, key=11, replicates=4000).homogenisation()
    names = ("squared_distance", "mean_squared_distance", "squared_frobenius")
    z = bonferroni(sum(exact[name].size for name in names))
    for name in names:
        within_bands(simulated[name].values, exact[name].values, z)
    assert np.all(simulated["tv"].values <= 1) and np.all(simulated["kl"].values >= 0)
    assert np.allclose(simulated["frobenius"] ** 2, simulated["squared_frobenius"], rtol=1e-12)


def test_categorical_homogenisation_expectations_match_monte_carlo():
    """Three categorical models (m = 3, fresh, n = 8; one model missing a category) over 3 rounds: pairwise
    squared distances, Gini-Simpson of each model and of the pooled outputs within Bonferroni bands of 4,000
    replicates; the support is a Hill number of order 0 and at most m."""
    eco = Ecosystem.categorical(
        [[R(1, 2), R(1, 2), 0], [R(1, 5), R(3, 5), R(1, 5)], [R(1, 3)] * 3], [R(1, 3)] * 3,
        alpha=R(1, 2), beta=R(2, 3), n=8, regime="fresh",
    )  # fmt: skip
    exact = numerics.iterate_moments(eco, 3).homogenisation()
    simulated = numerics.simulate(eco, 3, key=5, replicates=4000).homogenisation()
    names = ("squared_distance", "mean_squared_distance", "gini_simpson", "pooled_gini_simpson")
    z = bonferroni(sum(exact[name].size for name in names))
    for name in names:
        within_bands(simulated[name].values, exact[name].values, z)
    hill = simulated["hill"]
    assert np.all(hill.sel(order=0) <= 3) and np.all(hill.sel(order=2) <= hill.sel(order=1) + 1e-12)
    assert np.all(simulated["pooled_hill"].sel(order=0) >= simulated["hill"].sel(order=0).max("model"))


def test_population_and_single_model_results():
    """A population trajectory is deterministic: every measure of its models themselves (a Poisson ecosystem's KL
    and TV by the closed forms); one model has no pairs: every pairwise mean is 0."""
    eco = Ecosystem.poisson([1, 4], 2, alpha=R(1, 2), beta=R(1, 2), n=None, regime="fresh")
    population = numerics.iterate_population(eco, 3)
    found = population.homogenisation()
    assert found.attrs["kind"] == "population"
    rates = population.mean
    assert np.allclose(found["kl"].values[:, 0, 1], poisson.kl(rates[:, 0], rates[:, 1]), rtol=1e-12)
    assert np.allclose(found["mean_squared_distance"].values, (rates[:, 0] - rates[:, 1]) ** 2, rtol=1e-12)
    single = Ecosystem.poisson([3], 2, alpha=R(1, 2), beta=R(1, 2), n=5, regime="fresh")
    alone = numerics.iterate_moments(single, 2).homogenisation()
    assert np.all(alone["mean_squared_distance"].values == 0) and np.all(alone["squared_frobenius"].values == 0)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_the_mean_pairwise_distance_without_pairs_is_the_mean_over_pairs(K, p, seed):
    """2 / (K - 1) sum_k ||theta_k - theta_bar||^2 (no K x K array) against the mean over the pairs of the pairwise
    array, for parameters far from the origin (where subtracting raw second moments would cancel)."""
    theta = 1e6 + np.random.default_rng(seed).normal(size=(4, K, p))
    np.testing.assert_allclose(
        measures.mean_pairwise_squared_distance(theta),
        measures.mean_over_pairs(measures.squared_distance(theta)),
        rtol=1e-9,
        atol=1e-12,
    )
