"""The default Gaussian Monte Carlo draws a kind of source raw when its samples are tiny (at most RAW_BELOW), its
exact sufficient statistics otherwise; each route alone must reproduce the exact moments."""

import numpy as np
import pytest

import interplay.numerics as numerics
from interplay.numerics.driver.sizes import spec_sizes
from interplay.numerics.gaussian import monte_carlo
from interplay.theory.spec import Ecosystem


def test_tiny_kinds_are_drawn_raw_and_the_others_by_sufficient_statistics():
    largest = {"private": 25, "public": 25, "synthetic": 2}
    assert monte_carlo._raw_kinds("sufficient", largest) == (("synthetic", monte_carlo.RAW_BELOW),)
    assert monte_carlo._raw_kinds("raw", largest) == (("private", 25), ("public", 25), ("synthetic", 2))


def test_a_mixture_is_drawn_raw_with_its_largest_synthetic_sample():
    """Under composition="mixture" the per-producer kind gives way to the kind ``mixture``, always drawn raw with the
    run's largest N_syn (n = 10, beta = 1/2, fresh; alpha = 1/4: N_public = round(3.75) = 4, the other 6 at 3/8 : 1/4
    -> 4 private, 2 synthetic; alpha = 1: 10 synthetic; alpha = 1/2: N_public = 3, 7 at 1/4 : 1/2 -> 2, 5), whichever
    method."""
    eco = Ecosystem.gaussian(
        means=[[0.0], [1.0]], public_mean=[0.0], alpha=[0.25, 1, 0.5], beta=0.5, n=10, composition="mixture"
    )
    sizes = spec_sizes(eco, 3)
    assert [int(round(x)) for x in sizes.rounds.n_synthetic.sum(-1)[:, 0]] == [2, 10, 5]
    assert monte_carlo._largest_mixture(sizes) == 10
    largest = monte_carlo._synthetic_kinds(eco, {"private": 25, "public": 25, "synthetic": 5}, 10)
    assert largest == {"private": 25, "public": 25, "mixture": 10}
    assert monte_carlo._raw_kinds("sufficient", largest) == (("mixture", 10),)
    assert monte_carlo._raw_kinds("raw", largest) == (("mixture", 10), ("private", 25), ("public", 25))
    assert monte_carlo._synthetic_kinds(eco.with_options(composition="fixed"), largest, 5) is largest


@pytest.mark.parametrize("raw_below", [0, 8], ids=["all-sufficient", "all-raw"])
def test_each_route_gives_the_exact_expected_fit(monkeypatch, raw_below):
    """K = 2, d = 2, n = 4 (synthetic samples of 1, private and public of 1 to 2: the singular Wishart cases),
    unbiased, accumulate: E m and E S at round 3 within 4 standard errors of the exact recursion (12 comparisons,
    each 4 SE: family-wise level < 1e-3)."""
    monkeypatch.setattr(monte_carlo, "RAW_BELOW", raw_below)
    eco = Ecosystem.gaussian(
        means=[[1.0, -0.5], [-1.0, 0.25]],
        public_mean=[0.0, 0.0],
        alpha=0.5,
        beta=0.5,
        n=4,
        estimator="unbiased",
        regime="accumulate",
    )
    replicates, rounds = 4000, 3
    mc = numerics.simulate(eco, rounds, 5, replicates=replicates)
    exact = numerics.iterate_moments(eco, rounds)
    for simulated, expected in ((mc.means[:, -1], exact.mean[-1]), (mc.covs[:, -1], exact.fitted_cov[-1])):
        se = simulated.std(0, ddof=1) / np.sqrt(replicates)
        gap = np.abs(simulated.mean(0) - expected)
        assert np.all(gap < 4 * se), np.max(gap / se)
