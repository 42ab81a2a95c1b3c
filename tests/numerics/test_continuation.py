"""Continuation of fixed points: the branch solves the map, stability follows the multipliers, and crossings of
the unit circle are found where the closed form puts them."""

import numpy as np
import pytest
import sympy

from interplay.numerics.continuation import continue_fixed_points
from interplay.numerics.plots import bifurcation_diagram
from interplay.theory import Ecosystem, SpecError, SymbolicMap, fixed_point, population_map

alpha = sympy.Symbol("alpha", real=True)


def swap_map():
    """Two Gaussian models that train only on each other's outputs (W = [[0, 1], [1, 0]]): multipliers
    +-alpha (each twice: means and variances), so at alpha = 1 one pair crosses +1 and one crosses -1, while
    the fixed point m* = (I + alpha W)^-1-type closed form stays smooth through it."""
    eco = Ecosystem.gaussian(means=[[-1], [1]], public_mean=[0], alpha=alpha, beta=0.5, mixing=[[0, 1], [1, 0]])
    return population_map(eco)


def test_branch_follows_the_closed_form_and_finds_both_crossings_at_alpha_one():
    fmap = swap_map()
    branch = continue_fixed_points(
        fmap, "alpha", {"alpha": 0.2}, [0.0, 0.0, 1.0, 1.0], step=0.05, points=100, bounds=(0, 1.5)
    )
    assert branch.values[0] == pytest.approx(0.2) and 1.4 < branch.values[-1] <= 1.5
    closed_form = fixed_point(fmap)
    for value, state in zip(branch.values[::5], branch.states[::5]):
        expected = [float(closed_form[s].subs(alpha, value)) for s in fmap.state]
        np.testing.assert_allclose(state, expected, atol=1e-9)
    np.testing.assert_array_equal(branch.stable, branch.values < 1)
    kinds = sorted(b.kind for b in branch.bifurcations)
    assert kinds == ["branch point", "period doubling"]  # +1 is a double multiplier (means and variances): unnamed
    for event in branch.bifurcations:
        assert event.parameter == pytest.approx(1.0, abs=1e-8)
        np.testing.assert_allclose(sorted(np.abs(event.multipliers)), [1, 1, 1, 1], atol=1e-7)


def test_bifurcation_diagram_marks_the_events():
    branch = continue_fixed_points(
        swap_map(), "alpha", {"alpha": 0.5}, [0.0, 0.0, 1.0, 1.0], step=0.1, points=20, bounds=(0, 1.4)
    )
    figure = bifurcation_diagram(branch, coordinate=2)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.texts] == [b.kind for b in branch.bifurcations]
    solid = ax.lines[0].get_ydata()
    assert np.isnan(np.asarray(solid, dtype=float)[branch.values > 1]).all()


def test_bad_continuation_requests():
    with pytest.raises(SpecError, match="parameter"):
        continue_fixed_points(swap_map(), "beta", {"alpha": 0.2}, [0, 0, 1, 1])
    with pytest.raises(SpecError, match="missing"):
        continue_fixed_points(swap_map(), "alpha", {}, [0, 0, 1, 1])


def test_categorical_temperature_pitchfork_at_tau_equal_alpha():
    """One categorical model (m = 2) trained on symmetric real data and a share alpha of its own outputs drawn at
    temperature tau: p' = (1 - alpha)/2 + alpha pi_tau(p). The symmetric fixed point p = 1/2 has multiplier
    alpha / tau (pi_tau'(1/2) = 1/tau), so it loses stability at tau = alpha in a pitchfork: a branch point at
    +1 with no turn in tau. Checked against the closed form and against brute-force iteration on both sides."""
    from interplay.theory.categorical.maps import categorical_ecosystem

    tau = sympy.Symbol("tau", positive=True)
    alpha_value = 0.6
    eco = categorical_ecosystem([[0.5, 0.5]], [0.5, 0.5], alpha=alpha_value, beta=1, mixing=[[1]], temperature=tau)
    fmap = population_map(eco)
    branch = continue_fixed_points(
        fmap, "tau", {"tau": 1.2}, [0.5], step=0.02, direction=-1, points=60, bounds=(0.3, 2)
    )
    assert branch.values[-1] < 0.32 and np.allclose(branch.states, 0.5, atol=1e-10)  # symmetric branch throughout
    np.testing.assert_allclose(branch.multipliers[:, 0].real, alpha_value / branch.values, atol=1e-9)
    np.testing.assert_array_equal(branch.stable, branch.values > alpha_value)
    (event,) = branch.bifurcations
    assert event.kind == "pitchfork" and event.parameter == pytest.approx(alpha_value, abs=1e-8)
    # the normal form by hand: with r = 1/tau, pi_tau(1/2 + s) = 1/2 + r s + (4/3) r (1 - r^2) s^3 + O(s^5), so
    # at tau = alpha: a = b2 = 0 (symmetry), b1 = d(alpha r)/d tau = -alpha / tau^2, b3 = (4/3) alpha r (1 - r^2)
    r = 1 / alpha_value
    expected = {"a": 0, "b1": -alpha_value / alpha_value**2, "b2": 0, "b3": 4 / 3 * alpha_value * r * (1 - r**2)}
    assert event.coefficients == pytest.approx(expected, abs=1e-6)

    def iterate(tau_value, p, rounds=4000):
        for _ in range(rounds):
            powered = np.array([p, 1 - p]) ** (1 / tau_value)
            p = (1 - alpha_value) / 2 + alpha_value * powered[0] / powered.sum()
        return p

    assert iterate(0.65, 0.51) == pytest.approx(0.5, abs=1e-9)  # above tau = alpha: back to the symmetric point
    assert abs(iterate(0.55, 0.51) - 0.5) > 0.05  # below: pushed to an asymmetric fixed point


def scalar_map(update) -> SymbolicMap:
    """x -> update(x, p): a one-dimensional map of no ecosystem (continuation needs only the map)."""
    return SymbolicMap(
        "normal form", (x,), (update,), (("x", (0,)),), (("x", sympy.ImmutableMatrix([[x]]), ((0, 0),)),), None
    )


x, p = sympy.symbols("x p", real=True)


@pytest.mark.parametrize(
    "update, start, value, direction, kind, coefficients",
    [
        (x + p * x - x**2, 0.0, -0.3, 1, "transcritical", {"a": 0, "b1": 1, "b2": -1, "b3": 0}),
        (x + p * x - x**3, 0.0, -0.3, 1, "pitchfork", {"a": 0, "b1": 1, "b2": 0, "b3": -1}),
        (x + p - x**2, 1.0, 1.0, -1, "fold", {"a": 1, "b1": 0, "b2": -1, "b3": 0}),
    ],
    ids=["transcritical", "pitchfork", "fold"],
)
def test_branch_points_of_the_scalar_normal_forms_are_named(update, start, value, direction, kind, coefficients):
    """The three normal forms at (x, p) = (0, 0): along x = 0 through the transcritical and the pitchfork, and
    around the fold x = +-sqrt(p) from x = 1 (multiplier 1 - 2x crosses 1 where the branch turns back). Their
    coefficients are those of the map itself (v = w = 1, no centre-manifold correction at x = 0)."""
    branch = continue_fixed_points(
        scalar_map(update), "p", {"p": value}, [start], step=0.1, direction=direction, points=30, bounds=(-0.5, 1.5)
    )
    (event,) = branch.bifurcations
    assert event.kind == kind and event.parameter == pytest.approx(0, abs=1e-8)
    assert event.state == pytest.approx([0], abs=1e-8) and event.coefficients == pytest.approx(coefficients, abs=1e-8)
