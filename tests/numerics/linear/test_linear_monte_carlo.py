"""Monte Carlo of the linear-Gaussian process agrees with the exact M_t, C_t recursion at every round.

The simulation draws real labels (once under reuse, every round otherwise) and synthetic labels from the
models' previous fits, and refits every model by minimum-norm weighted least squares on its training mix; it never
forms P, Q, M or C. Tolerance: 4 standard errors (SE = sample std / sqrt(R)) per quantity and round, R = 4000.
theta_t is exactly Gaussian given the designs, so each mean (of theta or of the centred products) is a mean of
4000 iid terms with light tails; a 4-SE excursion has probability ~6e-5 per comparison, and with ~800
comparisons in this file a false failure has probability ~0.1 at one seed; the seeds are fixed.
"""

import pytest
from linear_cases import REPLICATES, ROUNDS, W3, assert_mean_agrees, general, proportional

from interplay.numerics.linear.iterate import iterate_linear
from interplay.numerics.linear.monte_carlo import simulate_linear

SETTINGS = {
    "K2-d1-proportional-reuse": lambda: proportional(2, 1, alpha=0.6, beta=0.7, n=5),
    "K3-d3-proportional-reuse": lambda: proportional(3, 3, alpha=0.5, beta=0.5, n=6),
    "K2-d3-general-lowrank-reuse-beta1": lambda: general(2, 3, seed=1, low_rank=True, alpha=0.5, beta=1, n=7),
    "K3-d1-general-W-reuse": lambda: general(3, 1, seed=2, alpha=0.8, beta=0.3, n=4, mixing=W3),
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
