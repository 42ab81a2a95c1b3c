"""The three pools of synthetic data (``own``, ``shared``, ``split``: :mod:`theory.pools`) at K = 5 models with a
sparse, non-uniform W (zeros off the diagonal, unequal weights, model 4 trains on its own outputs only): Monte Carlo of
the Poisson process against the exact moments of each pool, and the exact moments of the pools against each other
(``own`` and ``shared`` have the same mean map and differ in the covariance between models that scrape a common
model; ``split`` mixes by the pool's shares, not by W).

Tolerance: E lambda (5) and the centred products (15, upper triangle) at rounds 0..2 for three pools, 180
comparisons; Z_FAMILY (~4.1) gives a false failure with probability <= 1e-3 at fixed seeds.
"""

import numpy as np
import pytest
import scipy.stats
from monte_carlo_checks import assert_poisson_trajectory_agrees
from sympy import Rational as Q

import interplay.numerics.poisson as npo
from interplay.theory.poisson import poisson_ecosystem

W5 = [
    [Q(1, 2), Q(1, 4), 0, Q(1, 4), 0],
    [0, Q(1, 5), Q(4, 5), 0, 0],
    [Q(1, 10), 0, Q(3, 5), 0, Q(3, 10)],
    [Q(2, 3), 0, 0, 0, Q(1, 3)],
    [0, 0, 0, 0, 1],
]
ROUNDS = 2
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 180)))


def five(pool):
    return poisson_ecosystem(
        [1, 3, 6, 2, 8], 4, alpha=Q(3, 5), beta=Q(1, 2), n=12, mixing=W5, regime="fresh", pool=pool
    )


@pytest.mark.parametrize(("pool", "seed"), [("own", 11), ("shared", 12), ("split", 13)])
def test_monte_carlo_of_each_pool_matches_its_exact_moments_at_five_models(pool, seed):
    eco = five(pool)
    mc = npo.simulate(eco, ROUNDS, key=seed, replicates=4000)
    assert_poisson_trajectory_agrees(mc, npo.iterate_moments(eco, ROUNDS), z_limit=Z_FAMILY)


def test_own_and_shared_agree_on_every_mean_and_differ_where_models_scrape_a_common_model():
    own, shared = (npo.iterate_moments(five(pool), ROUNDS) for pool in ("own", "shared"))
    np.testing.assert_allclose(shared.mean, own.mean, rtol=1e-14)
    gap = np.abs(shared.cov[1] - own.cov[1])
    scrape = np.array(W5, dtype=float) > 0
    common = (scrape.astype(int) @ scrape.T.astype(int)) > 0  # k and l both scrape some model j
    off = ~np.eye(5, dtype=bool)
    assert np.all(gap[common & off] > 1e-3)  # a common sample: positive covariance between the two fits
    assert np.all(gap[~common] < 1e-14)  # no common source in round 1: the pools agree


def test_the_split_pool_mixes_by_the_pools_shares_not_by_w():
    """Round 1's mean under ``split`` is the same for every model's synthetic part (one pool), unlike ``own``."""
    own, split = (npo.iterate_moments(five(pool), ROUNDS) for pool in ("own", "split"))
    assert not np.allclose(split.mean[1], own.mean[1])
    assert np.allclose(split.mean[0], own.mean[0])
