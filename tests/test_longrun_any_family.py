"""interplay.theory.long_run and stationary_spread answer for every family through its hooks, and agree with
closed forms (the Gaussian fixed point of the README) and with the exact numerics iterated to stationarity."""

import functools

import numpy as np
import pytest
import sympy

import interplay.numerics as numerics
from interplay.theory import Ecosystem, SpecError, long_run, stationary_spread

ECOSYSTEMS = {
    "gaussian": lambda: Ecosystem.gaussian(means=[[-1], [1]], public_mean=[0], alpha=0.5, beta=0.5, n=50),
    "categorical": lambda: Ecosystem.categorical(
        [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]], [0.3, 0.4, 0.3], alpha=0.5, beta=0.5, n=20
    ),
    "poisson": lambda: Ecosystem.poisson([2, 5], 3, alpha=0.5, beta=0.5, n=20),
}


def test_the_gaussian_long_run_is_the_readme_fixed_point():
    """Means -1, 1 around a public 0: model 1's limiting mean is beta (alpha - 1) = -1/4, model 2's +1/4, so
    they end 1/4 apart in squared distance (homogenisation)."""
    values = long_run(ECOSYSTEMS["gaussian"]())
    assert values["mean"] == sympy.Matrix([[sympy.Rational(-1, 4)], [sympy.Rational(1, 4)]])
    assert values["squared_distance"][0, 1] == sympy.Rational(1, 4)
    assert values["spectral_radius"] == sympy.Rational(1, 2) and values["stability_condition"] is sympy.true


@functools.cache
def named(family: str, of: str):
    return long_run(ECOSYSTEMS[family](), of=of)


@pytest.mark.parametrize("of", ("population", "moments"))
@pytest.mark.parametrize("family", sorted(ECOSYSTEMS))
def test_every_named_quantity_has_a_meaning_and_labels_that_fit_its_value(family, of):
    answer = named(family, of)
    assert answer.kind == of and {"spectral_radius", "stability_condition", "squared_distance"} <= set(answer)
    for name in answer:
        quantity = answer.quantity(name)
        assert quantity.meaning and name in answer.describe()
        assert quantity.array().shape == tuple(len(labels) for _, labels in quantity.axes), name
    assert answer.quantity("squared_distance").labels("model2") == ("model 1", "model 2")
    with pytest.raises(SpecError, match="quantity"):
        answer.quantity("nu")
    with pytest.raises(SpecError, match="dim"):
        answer.quantity("squared_distance").labels("task")


@pytest.mark.parametrize("family", sorted(ECOSYSTEMS))
def test_the_stationary_answer_is_the_long_iteration_of_the_exact_recursion(family):
    """Each model's expected fit and the variance of its fit in the stationary law (named) equal the exact
    recursion's after 80 rounds (alpha = 1/2 contracts by about 1/2 a round)."""
    eco = ECOSYSTEMS[family]()
    answer = named(family, "moments")
    last = numerics.iterate_moments(eco, 80)

    def close(name, value):
        np.testing.assert_allclose(np.array(answer[name], dtype=float).reshape(np.shape(value)), value, rtol=1e-10)

    if family == "gaussian":
        close("mean", last.mean[-1])
        close("mean_variance", np.stack([last.mean_cov[-1][k, :, k, :] for k in range(2)]))
        close("covariance", last.fitted_cov[-1])
    elif family == "categorical":
        close("probs", last.mean[-1])
        close("probs_covariance", np.stack([last.cov[-1][k, :, k, :] for k in range(2)]))
        close("diversity", last.diversity()[-1])
    else:
        close("rate", last.mean[-1])
        close("rate_variance", last.variance()[-1])


@pytest.mark.parametrize("family", sorted(ECOSYSTEMS))
def test_the_stationary_spread_is_the_long_iteration_of_the_exact_recursion(family):
    """E||theta_k - theta_l||^2 in the stationary law equals the exact recursion's value after many rounds
    (alpha = 1/2 contracts by about 1/2 a round: 80 rounds leave 1e-24): a symmetric matrix, zero on the
    diagonal, positive between distinct models at finite n."""
    eco = ECOSYSTEMS[family]()
    spread = np.array(stationary_spread(eco), dtype=float)
    assert spread.shape == (2, 2) and np.allclose(spread, spread.T) and np.all(np.diag(spread) == 0)
    assert spread[0, 1] > 0
    last = numerics.iterate_moments(eco, 80)
    if family == "gaussian":
        mean, cov = last.mean[-1], last.mean_cov[-1]  # (K, d), (K, d, K, d)
        gap = mean[0] - mean[1]
        variance = np.trace(cov[0, :, 0, :] + cov[1, :, 1, :] - cov[0, :, 1, :] - cov[1, :, 0, :])
    else:
        mean, cov = last.mean[-1], last.cov[-1]  # (K[, m]), (K[, m], K[, m])
        gap = mean[0] - mean[1]
        if family == "categorical":
            variance = np.trace(cov[0, :, 0, :] + cov[1, :, 1, :] - cov[0, :, 1, :] - cov[1, :, 0, :])
        else:
            variance = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    np.testing.assert_allclose(spread[0, 1], np.sum(gap**2) + variance, rtol=1e-10)


def test_the_categorical_stationary_spread_is_of_the_smoothed_fits():
    """With Lidstone smoothing the fit is p = s F + (1 - s)/m: the stationary E||p_1 - p_2||^2 is s^2 times that
    of the frequencies F, and equals the exact recursion's after 80 rounds (it was F's before: 0.0508 vs 0.0384)."""
    eco = Ecosystem.categorical(
        [[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]], [0.3, 0.4, 0.3], alpha=0.5, beta=0.5, n=20, smoothing=1
    )
    iterated = numerics.iterate_moments(eco, 80).squared_distance(0, 1)[-1]
    assert float(stationary_spread(eco)[0, 1]) == pytest.approx(iterated, rel=1e-10)
