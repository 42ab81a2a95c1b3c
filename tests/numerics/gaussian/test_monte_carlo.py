"""Monte Carlo of the sampling process agrees with the exact moment recursion at every round.

Tolerance: 4 standard errors of the Monte Carlo mean (SE = sample std / sqrt(R)), per quantity and round. With
R = 4000 replicates each statistic is a mean of 4000 iid terms, close to normal; a 4-SE excursion has
probability ~6e-5, so over the ~2,000 comparisons per method below a false failure has probability ~0.1 at any
one seed, and the seed is fixed. Both simulation methods are checked: the raw samples (the reference) and the
sufficient statistics (the default). Compared: E[m_k] (each coordinate), E[S_k] (each entry) and Cov(m) (every pair of
coordinates of every pair of models, the products centred at the exact mean).
"""

import numpy as np
import pytest
from monte_carlo_checks import assert_gaussian_trajectory_agrees
from scipy import stats

import interplay.numerics as numerics
from interplay.theory import Ecosystem

REPLICATES = 4000
ROUNDS = 6

W3 = [[0.6, 0.4, 0.0], [0.0, 0.5, 0.5], [0.3, 0.0, 0.7]]


def ecosystem(K, d, **options):
    means = [[(-1.0) ** k * (k + 1) * 0.5 + 0.3 * i for i in range(d)] for k in range(K)]
    covs = [np.eye(d) * (1.0 + 0.4 * k) + (0.3 if d > 1 else 0.0) * (np.ones((d, d)) - np.eye(d)) for k in range(K)]
    public_cov = np.eye(d) * 2.0 + (-0.5 if d > 1 else 0.0) * (np.ones((d, d)) - np.eye(d))
    return Ecosystem.gaussian(means=means, public_mean=[0.25] * d, covs=covs, public_cov=public_cov, **options)


SETTINGS = {
    "K1-d1-mle-reuse-a.5-b.5": (1, 1, dict(alpha=0.5, beta=0.5, n=20, estimator="mle", regime="reuse")),
    "K1-d2-unbiased-fresh-a1-b0": (1, 2, dict(alpha=1, beta=0, n=15, estimator="unbiased", regime="fresh")),
    "K1-d1-unbiased-accumulate-a1-b1": (1, 1, dict(alpha=1, beta=1, n=12, estimator="unbiased", regime="accumulate")),
    "K2-d1-mle-fresh-a0-b1": (2, 1, dict(alpha=0, beta=1, n=10, estimator="mle", regime="fresh")),
    "K2-d2-unbiased-reuse-a.5-b.5": (2, 2, dict(alpha=0.5, beta=0.5, n=20, estimator="unbiased", regime="reuse")),
    "K2-d1-mle-accumulate-swap": (
        2,
        1,
        dict(alpha=0.5, beta=0, n=16, mixing=[[0, 1], [1, 0]], estimator="mle", regime="accumulate"),
    ),
    "K3-d1-unbiased-reuse-a1-W": (3, 1, dict(alpha=1, beta=0.5, n=20, mixing=W3, estimator="unbiased", regime="reuse")),
    "K3-d2-mle-fresh-a.5-b1-W": (3, 2, dict(alpha=0.5, beta=1, n=24, mixing=W3, estimator="mle", regime="fresh")),
    "K3-d1-mle-accumulate-a.5-b.5": (3, 1, dict(alpha=0.5, beta=0.5, n=18, estimator="mle", regime="accumulate")),
    "K3-d1-unbiased-reuse-a0-b0": (3, 1, dict(alpha=0, beta=0, n=10, estimator="unbiased", regime="reuse")),
    "K2-d1-mle-reuse-schedule": (
        2,
        1,
        dict(alpha=[0.2, 0.8, 0.5, 1.0, 0.0, 0.5], beta=[0.5, 1.0, 0.0, 0.5, 0.5, 0.25], n=20, regime="reuse"),
    ),
    "K2-d2-unbiased-accumulate-a1-b.5": (
        2,
        2,
        dict(alpha=1, beta=0.5, n=14, estimator="unbiased", regime="accumulate"),
    ),
}


@pytest.mark.parametrize("method", ["sufficient", "raw"])
@pytest.mark.parametrize("name", list(SETTINGS))
def test_monte_carlo_matches_exact_recursion(name, method):
    K, d, options = SETTINGS[name]
    eco = ecosystem(K, d, **options)
    exact = numerics.iterate_moments(eco, ROUNDS)
    mc = numerics.simulate(eco, ROUNDS, key=sum(map(ord, name)), replicates=REPLICATES, method=method)
    assert mc.method == method and mc.means.shape == (REPLICATES, ROUNDS + 1, K, d)
    assert_gaussian_trajectory_agrees(mc, exact)


def test_results_carry_spec_and_seed():
    eco = ecosystem(2, 1, alpha=0.5, beta=0.5, n=10)
    mc = numerics.simulate(eco, 3, key=7, replicates=5)
    again = numerics.simulate(eco, 3, key=7, replicates=5)
    assert mc.seed == 7 and mc.ecosystem is eco and len(mc.key) == 2
    np.testing.assert_array_equal(mc.means, again.means)
    assert not np.array_equal(mc.means, numerics.simulate(eco, 3, key=8, replicates=5).means)
    assert mc.means.dtype == np.float64


def test_population_limit_has_no_monte_carlo():
    with pytest.raises(ValueError, match="n: Monte Carlo needs finite sample sizes"):
        numerics.simulate(ecosystem(1, 1, alpha=0.5, beta=0.5, n=None), 3, key=0, replicates=5)


MIXTURE_SETTINGS = {  # composition="mixture"; 4 rounds, 8000 replicates each
    "K3-d1-unbiased-reuse-schedule-W": (  # N_syn = 5, 10, 2, 8: the draws masked to each round's N_syn
        3,
        1,
        dict(alpha=[0.5, 1, 0.25, 0.75], beta=0.5, n=10, mixing=W3, estimator="unbiased", regime="reuse"),
    ),
    "K2-d2-mle-accumulate": (2, 2, dict(alpha=0.5, beta=0.5, n=8, estimator="mle", regime="accumulate")),
}


@pytest.mark.parametrize("name", list(MIXTURE_SETTINGS))
def test_mixture_monte_carlo_matches_exact_recursion(name):
    """composition="mixture" (each synthetic sample from model j with probability W[k, j], drawn by
    numerics.gaussian.monte_carlo._mixture_statistics) against its exact recursion: E m, E S and Cov m at every
    round, z limit Bonferroni over all 75 + 140 comparisons of both settings at family-wise level 0.01 (4.1 SE).
    With 8000 replicates the fixed composition's exact Cov m (its own sizes, no spread) is 6.1 SE off the first
    setting's Monte Carlo at round 3."""
    rounds, replicates = 4, 8000
    comparisons = sum((K * d + K * d * d + (K * d) ** 2) for K, d, _ in MIXTURE_SETTINGS.values())
    z_limit = stats.norm.isf(0.01 / (2 * (rounds + 1) * comparisons))
    K, d, options = MIXTURE_SETTINGS[name]
    eco = ecosystem(K, d, composition="mixture", **options)
    exact = numerics.iterate_moments(eco, rounds)
    mc = numerics.simulate(eco, rounds, key=11, replicates=replicates)
    assert_gaussian_trajectory_agrees(mc, exact, z_limit=z_limit)
