"""The sufficient-statistic Monte Carlo draws the same process as the raw-sample reference.

Two levels.

1. The samplers of :mod:`numerics.samplers.wishart` against exact laws: Gamma against scipy's CDF (one-sample KS),
   the Wishart's first two moments against E A = nu Sigma and Var A_ij = nu (Sigma_ij^2 + Sigma_ii Sigma_jj)
   within 4 SE, and the degenerate cases (N = 1: no scatter; N = 2 in d = 2: a rank-one scatter) exactly.
2. Whole simulations, ``method="sufficient"`` against ``method="raw"`` (independent seeds), on settings with
   small n (so sources of 1, 2 or 3 samples and singular Wisharts occur), d = 1 and 2, both estimators, all
   three regimes, and a collapsing loop (alpha = 1, n = 2) whose fitted covariances turn singular. At rounds
   0, 1 and T the fitted mean and variance (and the d = 2 covariance entry) of the first and the last model
   are compared three ways: a two-sample KS test at level 0.01 / m (Bonferroni over the m = 66 tests, so a
   false failure has probability <= 0.01 at any seed; the seeds are fixed), and two-sample z-tests of the
   mean and of the variance of the quantity at |z| < 4 (the team's 4-SE rule, 2 x 66 tests: a false failure
   has probability ~0.008; SE of a sample variance from the fourth central moment, sqrt((m4 - s^4) / R)).

Power, with R = 20,000 replicates per method (computed by simulation from normal and chi^2(1) draws, the
shapes of fitted means and of small-n fitted variances; 100 trials each at level 1e-4, below the Bonferroni
level 1.5e-4, so conservatively): the KS test detects a location shift of 0.07 SD with probability 0.98, a
10% change of the SD of a normal quantity with 0.99 and a 10% rescaling of a chi^2(1) quantity with 0.88.
The z-test of means detects |Delta E| >= (4 + 1.645) sqrt(2 / R) SD = 0.056 SD with probability 0.95; the
variance z-test a relative variance change of 5.645 sqrt(2 (kurtosis - 1) / R): 8% for a normal quantity.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats

import interplay.numerics as numerics
from interplay.numerics.gaussian.monte_carlo import simulation_memory
from interplay.numerics.samplers import wishart
from interplay.numerics.samplers.wishart import chi_square, gaussian_statistics, standard_gamma
from interplay.theory import Ecosystem, SpecError

REPLICATES = 20_000
ROUNDS = 4
Z = 4.0
FAMILY_LEVEL = 0.01

SIGMA2 = np.array([[1.5, 0.6], [0.6, 0.8]])


def ecosystem(K, d, **options):
    means = [[(-1.0) ** k * (k + 1) * 0.5 + 0.3 * i for i in range(d)] for k in range(K)]
    covs = [SIGMA2[:d, :d] * (1.0 + 0.4 * k) for k in range(K)]
    return Ecosystem.gaussian(means=means, public_mean=[0.25] * d, covs=covs, public_cov=np.eye(d) * 2.0, **options)


SETTINGS = {
    "K1-d1-n2-mle-fresh": (1, 1, dict(alpha=0.5, beta=0.5, n=2, estimator="mle", regime="fresh")),
    "K1-d2-n3-unbiased-reuse": (1, 2, dict(alpha=0.5, beta=0.5, n=3, estimator="unbiased", regime="reuse")),
    "K2-d1-n5-unbiased-accumulate": (2, 1, dict(alpha=0.5, beta=0.5, n=5, estimator="unbiased", regime="accumulate")),
    "K2-d2-n5-mle-fresh-synthetic-only": (2, 2, dict(alpha=1, beta=0, n=5, estimator="mle", regime="fresh")),
    "K1-d2-n2-mle-accumulate-collapse": (1, 2, dict(alpha=1, beta=0.5, n=2, estimator="mle", regime="accumulate")),
    "K2-d1-n20-unbiased-reuse": (2, 1, dict(alpha=0.5, beta=0.5, n=20, estimator="unbiased", regime="reuse")),
}


COMPARED_ROUNDS = (0, 1, ROUNDS)


def compared_quantities(K, d):
    """label -> index into (means, covs) at one round: the first and the last model's m[0], S[0,0] (S[0,1])."""
    quantities = {}
    for k in sorted({0, K - 1}):
        quantities[f"m[{k}][0]"] = ("means", (k, 0))
        quantities[f"S[{k}][0,0]"] = ("covs", (k, 0, 0))
        if d == 2:
            quantities[f"S[{k}][0,1]"] = ("covs", (k, 0, 1))
    return quantities


TWO_SAMPLE_TESTS = sum(len(compared_quantities(K, d)) * len(COMPARED_ROUNDS) for K, d, _ in SETTINGS.values())


def variance_se(x):
    centred = x - x.mean()
    return np.sqrt((np.mean(centred**4) - np.var(centred) ** 2) / len(x))


def simulations(name):
    K, d, options = SETTINGS[name]
    eco = ecosystem(K, d, **options)
    seed = sum(map(ord, name))
    fast = numerics.simulate(eco, ROUNDS, key=seed, replicates=REPLICATES, method="sufficient")
    raw = numerics.simulate(eco, ROUNDS, key=seed + 1, replicates=REPLICATES, method="raw")
    return fast, raw


@pytest.mark.parametrize("name", list(SETTINGS))
def test_sufficient_and_raw_paths_have_the_same_distribution(name):
    K, d, _ = SETTINGS[name]
    fast, raw = simulations(name)
    assert fast.method == "sufficient" and raw.method == "raw"
    level = FAMILY_LEVEL / TWO_SAMPLE_TESTS
    for t in COMPARED_ROUNDS:
        for label, (field, index) in compared_quantities(K, d).items():
            x, y = getattr(fast, field)[(slice(None), t) + index], getattr(raw, field)[(slice(None), t) + index]
            label = f"{label} at t={t}"
            assert np.all(np.isfinite(x)), label
            assert scipy.stats.ks_2samp(x, y).pvalue > level, f"KS: {label}"
            z_mean = (x.mean() - y.mean()) / np.sqrt(x.var() / len(x) + y.var() / len(y))
            assert abs(z_mean) < Z, f"mean: {label}, z = {z_mean:.2f}"
            z_var = (x.var() - y.var()) / np.hypot(variance_se(x), variance_se(y))
            assert abs(z_var) < Z, f"variance: {label}, z = {z_var:.2f}"


def test_collapse_setting_is_singular_at_every_round():
    """alpha = 1, n = 2: the initial fit to two points is a rank-one covariance, and every later sample lies
    on the same line, so every fitted covariance is singular: the case the symmetric root is there for."""
    for mc in simulations("K1-d2-n2-mle-accumulate-collapse"):
        covs = mc.covs[:, :, 0]
        trace = np.trace(covs, axis1=-2, axis2=-1)
        assert np.all(np.abs(np.linalg.det(covs)) <= 1e-9 * trace**2)
        assert np.mean(trace > 0) > 0.99


@pytest.mark.parametrize("shape", [0.5, 1.0, 3.5, 1e3, 1e6])
def test_standard_gamma_matches_scipy(shape):
    """One-sample KS, 50,000 draws: at level 1e-3 it detects a KS distance of 0.011 (e.g. a 2.7% scale error
    at large shape) with probability > 0.95."""
    draws = np.asarray(jax.jit(standard_gamma)(jax.random.PRNGKey(int(shape * 10)), jnp.full(50_000, shape)))
    assert np.all(draws > 0)
    assert scipy.stats.kstest(draws, scipy.stats.gamma(shape).cdf).pvalue > 1e-3


def test_chi_square_of_no_degrees_of_freedom_is_zero():
    draws = chi_square(jax.random.PRNGKey(0), jnp.array([0.0, -1.0, 1.0, 2.0]))
    assert draws[0] == 0 and draws[1] == 0 and draws[2] > 0 and draws[3] > 0


@pytest.mark.parametrize("size", [2, 3, 7])
def test_scatter_has_the_wishart_mean_and_variance(size):
    """A = N (A / N) ~ Wishart_2(N - 1, Sigma): E A = (N-1) Sigma and
    Var A_ij = (N-1)(Sigma_ij^2 + Sigma_ii Sigma_jj); xbar ~ N(mu, Sigma / N). 200,000 draws, 4 SE."""
    R = 200_000
    mean = jnp.array([0.5, -1.0])
    root = jnp.linalg.cholesky(jnp.asarray(SIGMA2))
    xbar, within = jax.jit(gaussian_statistics)(
        jax.random.PRNGKey(size), jnp.broadcast_to(mean, (R, 2)), jnp.broadcast_to(root, (R, 2, 2)), jnp.full(R, size)
    )
    xbar, scatter = np.asarray(xbar), size * np.asarray(within)
    nu = size - 1
    checks = {
        "E A": (scatter, nu * SIGMA2),
        "Var A": ((scatter - nu * SIGMA2) ** 2, nu * (SIGMA2**2 + np.outer(np.diag(SIGMA2), np.diag(SIGMA2)))),
        "E xbar": (xbar, np.asarray(mean)),
        "Cov xbar": ((xbar - np.asarray(mean))[:, :, None] * (xbar - np.asarray(mean))[:, None, :], SIGMA2 / size),
    }
    for what, (draws, exact) in checks.items():
        z = np.abs(draws.mean(0) - exact) / (draws.std(0, ddof=1) / np.sqrt(R))
        assert z.max() < Z, f"{what}: max |z| = {z.max():.2f}"


def test_degenerate_sample_sizes_are_exact():
    """N = 1: no scatter, exactly; N = 2 in d = 2: scatter of rank one (det 0)."""
    root = jnp.linalg.cholesky(jnp.asarray(SIGMA2))
    _, scatter = jax.jit(gaussian_statistics)(
        jax.random.PRNGKey(3),
        jnp.zeros((100, 2)),
        jnp.broadcast_to(root, (100, 2, 2)),
        jnp.concatenate([jnp.ones(50), jnp.full(50, 2.0)]),
    )
    scatter = np.asarray(scatter)
    assert np.all(scatter[:50] == 0.0)
    assert np.all(np.abs(np.linalg.det(scatter[50:])) < 1e-12 * np.trace(scatter[50:], axis1=1, axis2=2) ** 2)
    assert np.all(np.trace(scatter[50:], axis1=1, axis2=2) > 0)


def test_sufficient_path_memory_does_not_grow_with_n():
    """The compiled program's buffers (XLA's memory analysis, no run) are the same for n = 10 and n = 10^7."""
    sizes = {}
    for n in (10, 10**7):
        eco = ecosystem(2, 1, alpha=0.5, beta=0.5, n=n, regime="fresh")
        sizes[n] = {method: simulation_memory(eco, ROUNDS, 1000, method) for method in ("sufficient", "raw")}
    assert sizes[10]["sufficient"] == sizes[10**7]["sufficient"]
    assert sizes[10**7]["raw"] > 1000 * sizes[10]["raw"]  # the reference does grow: the check can fail


def test_unknown_method_is_a_spec_error():
    with pytest.raises(SpecError, match="method: must be one of"):
        numerics.simulate(ecosystem(1, 1, n=10), 2, key=0, replicates=5, method="exact")


def test_standard_gamma_draws_each_element_from_its_own_index():
    """The draws of a prefix of the elements do not change with the elements after it (here 3,000 more, shape 1, of
    which about 150 are rejected at first): what lets a bound on the number of public increments leave their
    draws unchanged (numerics.gaussian.monte_carlo)."""
    shapes = jnp.linspace(0.3, 50.0, 5000)
    key = jax.random.PRNGKey(7)
    longer = jax.jit(standard_gamma)(key, jnp.concatenate([shapes, jnp.ones(3000)]))
    np.testing.assert_array_equal(longer[:5000], jax.jit(standard_gamma)(key, shapes))


@pytest.mark.parametrize(
    ("size", "count", "rate"),
    [(1, 1, 0.5), (31, 5, 0.3), (1000, 47, 0.02), (1000, 47, 0.2), (1000, 47, 1.0), (64, 64, 0.9), (100, 3, 0.0)],
)
def test_the_rejected_elements_are_found_as_by_nonzero(size, count, rate):
    """The gamma sampler's search for its first ``count`` rejected elements (words of 32 bits, a size that is not a
    multiple of 32, fewer or more true entries than ``count``, all or none true, words with every bit set) returns
    jnp.nonzero's indices, ``size`` as padding."""
    mask = jax.random.uniform(jax.random.PRNGKey(size + count), (size,)) < rate
    expected = jnp.nonzero(mask, size=count, fill_value=size)[0]
    np.testing.assert_array_equal(wishart._first_true(mask, count), expected)
