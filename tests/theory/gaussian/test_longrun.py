"""Long-run closed forms against long iterations of the compiled map and against Monte Carlo."""

import numpy as np
import pytest
import sympy
from scipy import stats

import interplay.numerics as numerics
from interplay.theory import Ecosystem
from interplay.theory.examples import two_model_gaussian
from interplay.theory.gaussian.longrun import (
    cross_task_kl,
    cross_task_log_likelihood,
    homogenisation,
    limiting_fit,
    stationary_spread,
)

alpha, beta = sympy.symbols("alpha beta", nonnegative=True)


def gaussian_kl(mu0, s0, mu1, s1):
    """KL(N(mu0, s0) || N(mu1, s1)), computed numerically."""
    s1_inv = np.linalg.inv(s1)
    gap = mu1 - mu0
    d = len(mu0)
    return 0.5 * (np.trace(s1_inv @ s0) + gap @ s1_inv @ gap - d + np.log(np.linalg.det(s1) / np.linalg.det(s0)))


def test_homogenisation_closed_form_of_the_default_ecosystem():
    """The limiting models sit at -+beta(1 - alpha): their squared distance is 4 beta^2 (1 - alpha)^2."""
    spread = homogenisation(two_model_gaussian(alpha=alpha, beta=beta, n=None))
    assert sympy.simplify(spread[0, 1] - 4 * beta**2 * (1 - alpha) ** 2) == 0
    for a, b in [(0.2, 0.9), (0.7, 0.4)]:
        run = numerics.iterate_population(two_model_gaussian(alpha=a, beta=b, n=None), 300)
        assert run.squared_distance(0, 1)[-1] == pytest.approx(4 * b**2 * (1 - a) ** 2, rel=1e-10)


def test_limiting_fit_and_cross_task_kl_match_the_iterated_map():
    eco = Ecosystem.gaussian(
        means=[[0.0, 1.0], [2.0, -1.0], [1.0, 0.0]],
        public_mean=[0.5, 0.5],
        covs=[[[1.0, 0.2], [0.2, 0.5]], [[0.8, 0.0], [0.0, 1.2]], [[1.0, 0.0], [0.0, 1.0]]],
        public_cov=[[2.0, 0.5], [0.5, 1.0]],
        alpha=0.6,
        beta=0.3,
        mixing=[[0.6, 0.4, 0.0], [0.0, 0.5, 0.5], [0.3, 0.0, 0.7]],
    )
    means, covs = limiting_fit(eco)
    run = numerics.iterate_population(eco, 300)
    for k in range(3):
        np.testing.assert_allclose(run.mean[-1, k], np.array(means[k], dtype=float).ravel(), atol=1e-10)
        np.testing.assert_allclose(run.fitted_cov[-1, k], np.array(covs[k], dtype=float), atol=1e-10)
    kl = np.array(cross_task_kl(eco), dtype=float)
    tasks = list(eco.private) + [eco.public]
    for k in range(3):
        for j, task in enumerate(tasks):
            mu0, s0 = np.array(task.mean, dtype=float).ravel(), np.array(task.cov, dtype=float)
            assert kl[k, j] == pytest.approx(gaussian_kl(mu0, s0, run.mean[-1, k], run.fitted_cov[-1, k]), rel=1e-9)


def test_cross_task_log_likelihood_against_sampled_task_data():
    """E_{x ~ task j} log N(x; m_k*, S_k*): closed form vs the average over 200,000 task samples (4 SE)."""
    eco = two_model_gaussian(alpha=0.5, beta=0.8, n=None)
    table = np.array(cross_task_log_likelihood(eco), dtype=float)
    means, covs = limiting_fit(eco)
    rng = np.random.default_rng(3)
    tasks = list(eco.private) + [eco.public]
    for k in range(2):
        model = stats.norm(float(means[k][0]), np.sqrt(float(covs[k][0, 0])))
        for j, task in enumerate(tasks):
            x = rng.normal(float(task.mean[0]), np.sqrt(float(task.cov[0, 0])), 200_000)
            values = model.logpdf(x)
            assert abs(values.mean() - table[k, j]) < 4 * values.std() / np.sqrt(x.size)
    # the cross-task matrix shows transfer: each model fits its own task better than the other's
    assert table[0, 0] > table[0, 1] and table[1, 1] > table[1, 0]


def test_stationary_spread_against_exact_iteration_and_monte_carlo():
    """E||m_1 - m_2||^2 at stationarity: fixed point of the moment recursion vs a long exact run and MC (4 SE)."""
    eco = two_model_gaussian(alpha=0.5, beta=0.5, n=20, estimator="unbiased", regime="fresh")
    spread = float(stationary_spread(eco)[0, 1])
    run = numerics.iterate_moments(eco, 200)
    assert run.squared_distance(0, 1)[-1] == pytest.approx(spread, rel=1e-10)
    mc = numerics.simulate(eco, 25, key=11, replicates=4000)
    distances = ((mc.means[:, -1, 0] - mc.means[:, -1, 1]) ** 2).sum(-1)
    exact_25 = run.squared_distance(0, 1)[25]
    assert exact_25 == pytest.approx(spread, rel=1e-6)  # stationary by round 25 (multiplier 1/2)
    assert abs(distances.mean() - spread) < 4 * distances.std() / np.sqrt(distances.size)
