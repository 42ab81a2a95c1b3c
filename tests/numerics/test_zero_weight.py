"""A source of weight 0 (the public source at beta = 1) is not sampled, in every family's compiled recursions and
Monte Carlo methods: the results are finite, do not depend on that source (same key, another public source:
identical replicates) and the simulations agree with the exact recursion within a Bonferroni-corrected band."""

import numpy as np
import pytest
from monte_carlo_checks import assert_mean_agrees
from scipy import stats

import interplay.numerics as numerics
from interplay.numerics.categorical import METHODS as CATEGORICAL_METHODS
from interplay.numerics.gaussian.monte_carlo import METHODS as GAUSSIAN_METHODS
from interplay.numerics.poisson.monte_carlo import METHODS as POISSON_METHODS
from interplay.theory import Ecosystem
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.poisson import poisson_ecosystem

ROUNDS, REPLICATES, LEVEL = 3, 2000, 1e-3
OPTIONS = {"alpha": 0.5, "beta": 1, "mixing": [[0.7, 0.3], [0.2, 0.8]]}


def gaussian(public, **options):  # the public mean stays (it is the origin of the centred coordinates)
    return Ecosystem.gaussian(means=[[0], [2]], public_mean=[1], public_cov=[[public]], n=6, **OPTIONS | options)


def categorical(public, **options):  # n = 4 <= 1.5 m: the default method runs on token lists
    probs = [[0.5, 0.25, 0.25], [0.1, 0.3, 0.6]]
    return categorical_ecosystem(probs, public, n=4, **OPTIONS | options)


def poisson(public, **options):
    return poisson_ecosystem([2, 6], public, n=6, **OPTIONS | options)


FAMILIES = {
    "gaussian": (gaussian, (1, 9), GAUSSIAN_METHODS),
    "categorical": (categorical, ([0.5, 0.5, 0], [0.25, 0.25, 0.5]), CATEGORICAL_METHODS),
    "poisson": (poisson, (4, 11), POISSON_METHODS),
}
CASES = [(family, method) for family, (_, _, methods) in sorted(FAMILIES.items()) for method in methods]


@pytest.mark.parametrize("regime", ["reuse", "fresh", "accumulate"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_exact_recursion_at_beta_one_ignores_the_public_source(family, regime):
    make, (public, other), _ = FAMILIES[family]
    for mixing in (OPTIONS["mixing"], [[1, 0], [0, 1]]):
        one = numerics.iterate_moments(make(public, regime=regime, mixing=mixing), ROUNDS)
        two = numerics.iterate_moments(make(other, regime=regime, mixing=mixing), ROUNDS)
        for name in one.checked:
            assert np.all(np.isfinite(getattr(one, name))), name
            np.testing.assert_array_equal(getattr(one, name), getattr(two, name), err_msg=name)


@pytest.mark.parametrize(("family", "method"), CASES)
def test_monte_carlo_at_beta_one_draws_nothing_from_the_public_source(family, method):
    """Same key, two public sources: identical replicates, finite; their mean fit agrees with the exact E of the
    fit at every round within the normal quantile of a Bonferroni correction over the entries."""
    make, (public, other), _ = FAMILIES[family]
    one = numerics.simulate(make(public, regime="fresh"), ROUNDS, 7, REPLICATES, method=method)
    two = numerics.simulate(make(other, regime="fresh"), ROUNDS, 7, REPLICATES, method=method)
    fits = getattr(one, one.checked[0])
    assert np.all(np.isfinite(fits))
    np.testing.assert_array_equal(fits, getattr(two, two.checked[0]))
    exact = numerics.iterate_moments(make(public, regime="fresh"), ROUNDS).mean
    z = stats.norm.isf(LEVEL / (2 * exact.size))
    assert_mean_agrees(fits, exact.reshape(fits.shape[1:]), f"{family} {method}", constant_below=1e-12, z_limit=z)
