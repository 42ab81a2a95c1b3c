"""Sensitivities: implicit (fixed point) and unrolled (through the scan) derivatives agree with each other,
with central finite differences, and with the derivative of the symbolic closed form."""

import numpy as np
import pytest
import sympy

import interplay.numerics as numerics
from interplay.numerics.sensitivity import fixed_point_sensitivity, quantity_sensitivity, trajectory_sensitivity
from interplay.theory import Ecosystem, SpecError, fixed_point, moment_map, population_map

alpha, beta, mu = sympy.symbols("alpha beta mu_1", real=True)
POINT = {"alpha": 0.6, "beta": 0.3, "mu_1": -1.0}


def population_eco(**options):
    return Ecosystem.gaussian(
        means=[[mu], [1]], public_mean=[0], covs=[[[1]], [[2]]], alpha=alpha, beta=beta, **options
    )


def at(point: dict) -> dict:
    return {sympy.Symbol(k, real=True): sympy.nsimplify(v) for k, v in point.items()}


def central_difference(function, point: dict, name: str, h: float = 1e-6) -> np.ndarray:
    up, down = dict(point), dict(point)
    up[name] += h
    down[name] -= h
    return (function(up) - function(down)) / (2 * h)


def test_population_fixed_point_derivatives_four_ways():
    fmap = population_map(population_eco())
    implicit = fixed_point_sensitivity(fmap, POINT)
    assert [str(p) for p in implicit.parameters] == ["alpha", "beta", "mu_1"]
    closed_form = fixed_point(fmap)
    symbolic = np.array(
        [[float(sympy.diff(closed_form[s], p).xreplace(at(POINT))) for p in implicit.parameters] for s in fmap.state]
    )
    np.testing.assert_allclose(implicit.derivative, symbolic, atol=1e-10)
    np.testing.assert_allclose(
        implicit.state, [float(closed_form[s].xreplace(at(POINT))) for s in fmap.state], atol=1e-12
    )
    unrolled = trajectory_sensitivity(fmap, POINT, 300)  # multiplier 0.6: 0.6^300 is far below round-off
    np.testing.assert_allclose(unrolled.derivative[-1], implicit.derivative, atol=1e-10)
    for j, name in enumerate(["alpha", "beta", "mu_1"]):
        numeric = central_difference(lambda p: fixed_point_sensitivity(fmap, p).state, POINT, name)
        np.testing.assert_allclose(implicit.derivative[:, j], numeric, atol=1e-7)


def test_finite_n_moment_fixed_point_derivatives():
    """The exact moment recursion at n = 20 (sizes w n continuous in alpha): implicit vs unrolled vs closed form."""
    eco = Ecosystem.gaussian(
        means=[[-1], [1]], public_mean=[0], alpha=alpha, beta=beta, n=20, estimator="unbiased", regime="fresh"
    )
    fmap = moment_map(eco)
    point = {"alpha": 0.5, "beta": 0.5}
    implicit = fixed_point_sensitivity(fmap, point)
    unrolled = trajectory_sensitivity(fmap, point, 400)
    np.testing.assert_allclose(unrolled.derivative[-1], implicit.derivative, atol=1e-9)
    closed_form = fixed_point(fmap)
    cov = [s for s in fmap.state if str(s) == "C_{12}"][0]
    index = fmap.state.index(cov)
    for j, p in enumerate(implicit.parameters):
        exact = float(sympy.diff(closed_form[cov], p).xreplace(at(point)))
        assert implicit.derivative[index, j] == pytest.approx(exact, rel=1e-9)
    numeric = central_difference(lambda p: fixed_point_sensitivity(fmap, p).state, point, "beta")
    np.testing.assert_allclose(implicit.derivative[:, 1], numeric, atol=1e-6)


def test_trajectory_derivative_matches_finite_differences_and_the_iterated_map():
    eco = population_eco(regime="accumulate")
    fmap = population_map(eco)  # depends on t: the scan feeds the round
    sens = trajectory_sensitivity(fmap, POINT, 25)
    numeric = numerics.iterate_population(
        Ecosystem.gaussian(
            means=[[-1.0], [1]], public_mean=[0], covs=[[[1]], [[2]]], alpha=0.6, beta=0.3, regime="accumulate"
        ),
        25,
    )
    np.testing.assert_allclose(sens.part("mean"), numeric.mean[:, :, 0], atol=1e-12)
    for j, name in enumerate(["alpha", "beta", "mu_1"]):
        difference = central_difference(lambda p: trajectory_sensitivity(fmap, p, 25).state, POINT, name)
        np.testing.assert_allclose(sens.derivative[:, :, j], difference, atol=1e-7)
    assert sens.part("mean", of="derivative").shape == (26, 2, 3)


def test_bad_sensitivity_requests():
    fmap = population_map(population_eco())
    with pytest.raises(SpecError, match="missing"):
        fixed_point_sensitivity(fmap, {"alpha": 0.5, "beta": 0.5})
    with pytest.raises(SpecError, match="not free symbols"):
        fixed_point_sensitivity(fmap, POINT | {"gamma": 1.0})
    with pytest.raises(SpecError, match="accumulate"):
        fixed_point_sensitivity(population_map(population_eco(regime="accumulate")), POINT)
    moments = moment_map(
        Ecosystem.gaussian(means=[[0.0]], public_mean=[0], alpha=alpha, beta=0.5, mixing=[[1]], n=10, regime="fresh")
    )
    with pytest.raises(SpecError, match="alpha: .*a multiplier of the map is 1"):
        fixed_point_sensitivity(moments, {"alpha": 1.0})  # alpha = 1: Var(m) grows without bound
    with pytest.raises(SpecError, match="part"):
        fixed_point_sensitivity(fmap, POINT).part("nope")


def test_quantity_sensitivity_is_the_derivative_of_the_closed_form():
    """dq/dtheta of named population quantities against sympy's derivative of their closed form at the closed-form
    fixed point: the squared distance between the limits (through the state only) and the cross-task KL, which
    also depends on mu_1 directly (task 1's mean), so the chain rule's direct term is checked too."""
    from interplay.theory.gaussian.longrun import long_run as gaussian_long_run

    fmap = population_map(population_eco())
    closed_form = gaussian_long_run(fmap.ecosystem, fmap, fixed_point(fmap))
    results = {name: quantity_sensitivity(fmap, POINT, name) for name in ("squared_distance", "cross_task_kl")}
    for name, result in results.items():
        exact = closed_form[name]
        np.testing.assert_allclose(result.value, np.array(exact.xreplace(at(POINT)), dtype=float), atol=1e-12)
        for parameter in result.parameters:
            symbolic = np.array(exact.diff(parameter).xreplace(at(POINT)), dtype=float)
            np.testing.assert_allclose(result.wrt(str(parameter)), symbolic, atol=1e-10)
    assert np.abs(results["cross_task_kl"].wrt("mu_1")).max() > 0.1


def test_quantity_sensitivity_at_finite_n_is_the_derivative_of_the_closed_form():
    """E||m_1 - m_2||^2 in the stationary law of the exact recursion at n = 20 (sizes w n continuous in alpha):
    the chain-rule derivative against sympy's derivative of its closed form and against central differences of
    that closed form; a callable of the state gives the same."""
    from interplay.theory.gaussian.longrun import long_run as gaussian_long_run

    eco = Ecosystem.gaussian(
        means=[[-1], [1]], public_mean=[0], alpha=alpha, beta=sympy.Rational(1, 2), n=20, regime="fresh"
    )
    fmap = moment_map(eco)
    exact = gaussian_long_run(eco, fmap, fixed_point(fmap))["squared_distance"][0, 1]
    distance = quantity_sensitivity(fmap, {"alpha": 0.5}, "squared_distance")
    assert distance.value.shape == (2, 2) and distance.derivative.shape == (2, 2, 1)
    assert distance.value[0, 1] == pytest.approx(float(exact.subs(alpha, 0.5)), rel=1e-12)
    slope = distance.wrt("alpha")[0, 1]
    assert slope == pytest.approx(float(exact.diff(alpha).subs(alpha, 0.5)), rel=1e-9)
    h = sympy.Rational(1, 10**5)
    difference = (exact.subs(alpha, sympy.Rational(1, 2) + h) - exact.subs(alpha, sympy.Rational(1, 2) - h)) / (2 * h)
    assert slope == pytest.approx(float(difference), rel=1e-8) and slope < 0  # more synthetic data: closer models

    def gap(parts):
        mean, cov = parts["mean"], parts["cov"]
        return (mean[0] - mean[1]) ** 2 + cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]

    by_callable = quantity_sensitivity(fmap, {"alpha": 0.5}, gap)
    assert by_callable.name == "gap" and by_callable.derivative == pytest.approx(distance.derivative[0, 1], rel=1e-12)


def test_bad_quantity_requests():
    fmap = population_map(population_eco())
    for quantity in ("spectral_radius", "nu"):
        with pytest.raises(SpecError, match="quantity"):
            quantity_sensitivity(fmap, POINT, quantity)
    with pytest.raises(SpecError, match="parameter"):
        quantity_sensitivity(fmap, POINT, "mean").wrt("gamma")
