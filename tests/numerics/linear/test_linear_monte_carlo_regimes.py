"""Monte Carlo of the linear-Gaussian process agrees with the exact recursion: fresh, accumulate, schedules.

The simulation draws real labels (once under reuse, every round otherwise) and synthetic labels from the
models' previous fits, and refits every model by minimum-norm weighted least squares on its training mix; it never
forms P, Q, M or C. Tolerance: 4 standard errors (SE = sample std / sqrt(R)) per quantity and round, R = 4000.
theta_t is exactly Gaussian given the designs, so each mean (of theta or of the centred products) is a mean of
4000 iid terms with light tails; a 4-SE excursion has probability ~6e-5 per comparison, and with ~700
comparisons in this file a false failure has probability ~0.1 at one seed; the seeds are fixed.
"""

import numpy as np
import pytest
from linear_cases import REPLICATES, ROUNDS, assert_mean_agrees, general, proportional

from interplay.numerics.linear.iterate import iterate_linear
from interplay.numerics.linear.monte_carlo import simulate_linear

SETTINGS = {
    "K3-d3-general-specific-fresh": lambda: general(
        3, 3, seed=3, synthetic="specific", alpha=0.4, beta=0.6, n=9, regime="fresh"
    ),
    "K2-d3-lowrank-accumulate": lambda: general(
        2, 3, seed=4, low_rank=True, alpha=0.6, beta=0.5, n=8, regime="accumulate"
    ),
    "K2-d1-general-schedule": lambda: general(
        2, 1, seed=5, alpha=[0.2, 0.9, 0.5, 1.0, 0.0, 0.5], beta=[0.5, 1.0, 0.0, 0.5, 0.5, 0.25], n=5
    ),
}


@pytest.mark.parametrize("name", list(SETTINGS))
def test_monte_carlo_matches_exact_recursion(name):
    eco = SETTINGS[name]()
    exact = iterate_linear(eco, ROUNDS)
    mc = simulate_linear(eco, ROUNDS, key=sum(map(ord, name)), replicates=REPLICATES)
    K, d = eco.K, eco.dim
    assert mc.thetas.shape == (REPLICATES, ROUNDS + 1, K, d)
    for t in range(ROUNDS + 1):
        thetas = mc.thetas[:, t].reshape(REPLICATES, K * d)
        assert_mean_agrees(thetas, exact.mean[t].ravel(), f"E theta at t={t}")
        centred = thetas - exact.mean[t].ravel()
        products = centred[:, :, None] * centred[:, None, :]
        assert_mean_agrees(products, exact.cov[t].reshape(K * d, K * d), f"Cov theta at t={t}")


def test_results_carry_spec_and_seed():
    eco = proportional(2, 1, alpha=0.5, beta=0.5, n=5)
    mc = simulate_linear(eco, 3, key=7, replicates=5)
    again = simulate_linear(eco, 3, key=7, replicates=5)
    assert mc.seed == 7 and mc.ecosystem is eco and len(mc.key) == 2
    np.testing.assert_array_equal(mc.thetas, again.thetas)
    assert not np.array_equal(mc.thetas, simulate_linear(eco, 3, key=8, replicates=5).thetas)
    assert mc.thetas.dtype == np.float64


def test_population_limit_has_no_monte_carlo():
    with pytest.raises(ValueError, match="n: Monte Carlo needs a finite"):
        simulate_linear(proportional(1, 1, alpha=0.5, beta=0.5, n=None), 3, key=0, replicates=5)
