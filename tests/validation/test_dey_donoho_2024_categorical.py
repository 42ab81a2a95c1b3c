"""Validation against Dey & Donoho, "Universality of the pi^2/6 pathway in avoiding model collapse" (arXiv
2410.22812), categorical case of their exponential-family result: accumulating real and synthetic data keeps the
risk within pi^2/6 of the real-data-only risk; discarding (refitting only on the newest synthetic batch) does not.

Setting: K = 1 categorical model, mixing [[1]], alpha = 1, beta = 1, n samples per round, MLE. Risk: E||p_t - q||^2
(= sum_i Var p_ti, as E p_t = q exactly); its one-round value (1 - sum q^2) / n is the real-data-only risk. Under
"accumulate" round t refits on the union of all batches; under "fresh" (discard) only on the newest batch, where the
risk rises to the full collapse value 1 - sum q^2 (bounded only because the simplex is). Values come from the
library's ``numerics.categorical.iterate.iterate_moments``, its sympy ``moment_trajectory`` and its Monte Carlo.
"""

import math

import numpy as np
import pytest
from sympy import Rational as R
from sympy import pi

import interplay.numerics.categorical as nc
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory

Q = [0.5, 0.3, 0.2]
H = 1 - sum(q * q for q in Q)


def chain(n, regime, probs=Q):
    return categorical_ecosystem([probs], probs, alpha=1, beta=1, mixing=[[1]], n=n, regime=regime)


def risk(trajectory):
    return np.trace(trajectory.cov[:, 0, :, 0, :], axis1=1, axis2=2)


@pytest.mark.parametrize("n", [2, 10, 50])
def test_accumulate_risk_within_pi2_over_6(n):
    """Dey & Donoho (arXiv 2410.22812): accumulating, the risk stays below (pi^2/6) times the real-data-only risk
    for t <= 500, increasing by E[1 - sum p_{t-1}^2] / (n (t + 1)^2) per round (the martingale increment of the
    union frequency, an independent derivation), while discarding climbs to 1 - sum q^2."""
    T = 500
    accumulate = nc.iterate_moments(chain(n, "accumulate"), T)
    np.testing.assert_allclose(accumulate.mean[:, 0], np.tile(Q, (T + 1, 1)), atol=1e-12)
    r = risk(accumulate)
    assert r[0] == pytest.approx(H / n, rel=1e-12)
    assert np.all(r <= math.pi**2 / 6 * r[0])
    t = np.arange(1, T + 1)
    np.testing.assert_allclose(np.diff(r), accumulate.diversity()[:-1, 0] / (n * (t + 1) ** 2), rtol=1e-8, atol=1e-16)
    discard = risk(nc.iterate_moments(chain(n, "fresh"), T))
    np.testing.assert_allclose(discard, H * (1 - (1 - 1 / n) ** (np.arange(T + 1) + 1)), rtol=1e-10)
    assert discard[-1] > 0.99 * H and discard[-1] > r[-1] * n / 2  # discard ends near full collapse


def test_accumulate_bound_exact_rational():
    """Dey & Donoho (arXiv 2410.22812): in exact rationals (the library's sympy moment recursion), the accumulated
    risk for n = 3 is strictly below (pi^2/6) times the real-data-only risk for t = 0..12."""
    q = [R(1, 2), R(3, 10), R(1, 5)]
    for mean, cov in moment_trajectory(chain(3, "accumulate", q), 12)[1:]:
        assert list(mean) == q
        assert cov.trace() < pi**2 / 6 * (1 - sum(x * x for x in q)) / 3


def test_accumulate_risk_monte_carlo():
    """Dey & Donoho (arXiv 2410.22812): the simulated risk ||p_t - q||^2 (3000 replicates) agrees with the exact
    recursion within 4 standard errors at every round t <= 10, for accumulate and discard."""
    for regime in ["accumulate", "fresh"]:
        eco = chain(5, regime)
        exact = risk(nc.iterate_moments(eco, 10))
        samples = ((nc.simulate(eco, 10, key=7, replicates=3000).probs[:, :, 0] - Q) ** 2).sum(-1)
        se = samples.std(0, ddof=1) / np.sqrt(3000)
        assert np.all(np.abs(samples.mean(0) - exact) < 4 * se), regime
