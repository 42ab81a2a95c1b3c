"""The paper's two-model linear experiment and the relative-efficiency plane: the claimed effects, exactly.

Exact recursion for all nine (alpha, beta) cells over 15 rounds; Monte Carlo for the alpha = beta = 0.5 cell
(2000 replicates; task errors are quadratic forms of a Gaussian, light-tailed; 4 SE per round and cell entry).
"""

import numpy as np
import pytest

from interplay.numerics.linear.paper import (
    low_rank_ecosystem,
    plot_relative_efficiency,
    plot_two_task,
    relative_efficiency_plane,
    two_task_experiment,
)


@pytest.fixture(scope="module")
def experiment():
    return two_task_experiment(rounds=15)


def test_cross_task_transfer_needs_synthetic_data(experiment):
    """alpha = 0: model k's error on the other task never changes; alpha = 0.5 (beta > 0): it falls by round 15."""
    e = experiment["error"]  # [alpha, beta, t, model, task]
    for b in range(3):
        np.testing.assert_allclose(e[0, b, :, 0, 1], e[0, b, 0, 0, 1], rtol=1e-12)
    for b in (1, 2):
        assert e[1, b, 15, 0, 1] < 0.75 * e[1, b, 0, 0, 1] and e[1, b, 15, 1, 0] < 0.75 * e[1, b, 0, 1, 0]


def test_alpha_one_harms_the_own_task(experiment):
    """alpha = 1 (no real-data anchor): own-task error grows over the rounds and ends above alpha = 0.5's."""
    e = experiment["error"]
    for b in range(3):
        own = e[2, b, :, 0, 0]
        assert np.all(np.diff(own[1:]) > 0) and own[15] > e[1, b, 15, 0, 0]


def test_homogenisation(experiment):
    """E||theta_1 - theta_2||^2 at round 15 decreases in alpha for beta > 0: constant at alpha = 0, zero at 1."""
    s = experiment["spread"]
    for b in (1, 2):
        np.testing.assert_allclose(s[0, b], s[0, b, 0], rtol=1e-12)
        assert s[0, b, 15] > s[1, b, 15] > s[2, b, 15] and s[2, b, 15] < 1e-12


def test_monte_carlo_of_the_half_half_cell():
    result = two_task_experiment(alphas=(0.5,), betas=(0.5,), rounds=15, replicates=2000, key=3)
    z = np.abs(result["mc_error"] - result["error"]) / result["mc_se"]
    assert z.max() < 4


def test_relative_efficiency_plane_and_figures():
    """RE in (0, 1] on the grid, 0 only at alpha = 1 (excluded by default); the optimum moves with the synthetic
    sample size (Vu, Reeves & Wenger, arXiv 2505.21677): larger m moves the best alpha up."""
    small = relative_efficiency_plane(low_rank_ecosystem(m=100))
    large = relative_efficiency_plane(low_rank_ecosystem(m=10_000))
    for plane in (small, large):
        assert np.all(plane["overall"] > 0) and np.all(plane["overall"] <= 1)
        assert plane["at_half"] <= plane["best"][2]
    assert large["best"][0] > small["best"][0] and large["best"][2] > small["best"][2]
    assert plot_relative_efficiency(small).axes and plot_two_task(two_task_experiment(rounds=3)).axes
