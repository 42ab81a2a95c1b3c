"""Monte Carlo collapse statistics (numerics/categorical/collapse.py) on trajectories built by hand: first passages
(a category that returns stays lost), censoring at the horizon, per-model losses, standard errors. Against the
exact chain: tests/numerics/categorical/test_categorical_monte_carlo.py
(test_collapse_matches_exact_absorption_probabilities_and_times)."""

import numpy as np
import pytest

from interplay.numerics.categorical.collapse import collapse_estimates
from interplay.numerics.categorical.monte_carlo import CategoricalMonteCarlo
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.spec import SpecError

EVEN, TWO, FIRST, SECOND = [0.5, 0.25, 0.25], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
TRAJECTORIES = [  # replicate, round, model: two models, three categories, rounds 0..3
    [[EVEN, EVEN], [TWO, TWO], [EVEN, EVEN], [FIRST, TWO]],  # category 3 lost in round 1, back in 2, lost in 3
    [[EVEN, EVEN]] * 4,  # nothing lost: censored
    [[FIRST, SECOND], [FIRST, FIRST], [FIRST, FIRST], [FIRST, FIRST]],  # one lost in round 0, two from round 1
]


def estimates(model=None, probs=TRAJECTORIES):
    eco = categorical_ecosystem([EVEN, EVEN], EVEN, alpha=1, beta=1, n=4, regime="fresh")
    return collapse_estimates(CategoricalMonteCarlo(eco, 0, (0, 0), "raw", 3, np.array(probs)), model)


def test_first_passages_censoring_and_standard_errors():
    est = estimates()
    np.testing.assert_array_equal(est.loss_times(1), [1, 4, 0])  # 4 = rounds + 1: censored
    np.testing.assert_array_equal(est.loss_times(2), [4, 4, 1])
    survival = est.survival(2)
    np.testing.assert_allclose(survival.value, [2 / 3, 1 / 3, 1 / 3, 1 / 3])  # its return in round 2 does not count
    np.testing.assert_allclose(survival.se, np.sqrt(survival.value * (1 - survival.value) / 3))
    np.testing.assert_allclose(est.survival(1).value, [1, 2 / 3, 2 / 3, 2 / 3])  # model 2 holds it in replicate 1
    np.testing.assert_allclose(est.all_survive().value, [2 / 3, 1 / 3, 1 / 3, 1 / 3])
    np.testing.assert_allclose(est.loss_distribution(1).value, [1 / 3, 2 / 3, 2 / 3, 2 / 3])
    mean = est.mean_loss_time(1)
    assert (mean.value, mean.censored) == pytest.approx((5 / 3, 1 / 3))
    assert mean.se == pytest.approx(np.std([1, 4, 0], ddof=1) / np.sqrt(3))


def test_losses_of_one_model():
    est = estimates(model=0)
    np.testing.assert_array_equal(est.held, np.array(TRAJECTORIES)[:, :, 0] > 0)
    np.testing.assert_array_equal(est.loss_times(2), [3, 4, 0])
    np.testing.assert_allclose(est.survival(1).value, [2 / 3, 2 / 3, 2 / 3, 1 / 3])


def test_bad_input_names_the_parameter():
    with pytest.raises(SpecError, match="trajectory: collapse statistics need every round"):
        estimates(probs=np.array(TRAJECTORIES)[:, -1:])
    with pytest.raises(SpecError, match="replicates: must be an integer >= 2"):
        estimates(probs=TRAJECTORIES[:1])
    with pytest.raises(SpecError, match="model: must be None or an integer in 0..1"):
        estimates(model=2)
    with pytest.raises(SpecError, match="k: the number of lost categories must be an integer in 1..2"):
        estimates().loss_distribution(3)
    with pytest.raises(SpecError, match="category: must be an integer in 0..2"):
        estimates().survival(-1)
