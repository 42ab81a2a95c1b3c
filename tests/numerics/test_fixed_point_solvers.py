"""Fixed-point solvers (numerics.fixed_point): Anderson and Newton reach the closed-form fixed point of a slowly
contracting map in a few rounds where plain iteration needs thousands; failures are told apart (did not converge:
bounded; diverged: unbounded or not finite) in distinct one-line messages; the implicit derivative through
custom_root still equals the derivative of the closed form."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize
import sympy

import interplay.numerics  # noqa: F401  (float64)
from interplay.numerics.fixed_point import GROWTH, find_fixed_point
from interplay.numerics.sensitivity import _values, compile_step, fixed_point_sensitivity, solve_fixed_point
from interplay.theory import Ecosystem, NoUniqueFixedPoint, SpecError, fixed_point, population_map

alpha, beta, mu = sympy.symbols("alpha beta mu_1", real=True)
SLOW = {"alpha": 0.999, "beta": 0.3, "mu_1": -1.0}  # multipliers 0.999 (twice) and 0.4995 (twice)
MIXING = [[sympy.Rational(3, 4), sympy.Rational(1, 4)], [sympy.Rational(1, 4), sympy.Rational(3, 4)]]
TOLERANCE = 1e-13


@pytest.fixture(scope="module")
def slow():
    """The Gaussian population map at alpha = 0.999 as a jax function, and its closed-form fixed point (sympy)."""
    fmap = population_map(
        Ecosystem.gaussian(
            means=[[mu], [1]], public_mean=[0], covs=[[[1]], [[2]]], alpha=alpha, beta=beta, mixing=MIXING
        )
    )
    step, parameters = compile_step(fmap)
    theta = _values(parameters, SLOW)
    at = {sympy.Symbol(k, real=True): sympy.nsimplify(v) for k, v in SLOW.items()}
    closed_form = fixed_point(fmap)
    exact = np.array([float(closed_form[s].xreplace(at)) for s in fmap.state])
    return fmap, (lambda x: step(x, theta, 1.0)), exact, closed_form, at


def test_anderson_and_newton_reach_the_closed_form_in_rounds_where_iteration_crawls(slow):
    _, F, exact, _, _ = slow
    x0 = jnp.asarray(exact) + jnp.array([1.0, -2.0, 0.5, 1.0])
    plain = find_fixed_point(F, x0, method="iterate", max_rounds=100_000)
    anderson = find_fixed_point(F, x0, method="anderson")
    newton = find_fixed_point(F, x0, method="newton")
    # |x - x*| <= |F(x) - x| / (1 - 0.999) near x*: the residual tolerance, amplified by the slow contraction
    error = TOLERANCE * np.abs(exact).max() / (1 - SLOW["alpha"])
    for found in (plain, anderson, newton):
        assert found.converged and found.residual <= TOLERANCE * max(1.0, found.size)
        np.testing.assert_allclose(found.x, exact, rtol=0, atol=error)
    assert plain.rounds > 10_000  # log(1e-13) / log(0.999), about 3e4
    assert anderson.rounds <= 20 and newton.rounds <= 5 and newton.newton_rounds == newton.rounds  # no fallback
    budget = find_fixed_point(F, x0, method="iterate", max_rounds=anderson.rounds)
    assert budget.status == "did_not_converge" and budget.rounds == anderson.rounds


def test_a_multiplier_of_one_and_a_half_diverges_under_iteration_and_its_fixed_point_is_still_found():
    """F(x) = 1.5 x + 1 from 0: x_k = 2 (1.5^k - 1), past 1e8 at the first k with 1.5^k > 5e7 + 1. Anderson and
    Newton solve F(x) = x, so they find the repelling fixed point -2 that iteration flees."""
    F = lambda x: 1.5 * x + 1  # noqa: E731
    plain = find_fixed_point(F, [0.0], method="iterate")
    first = next(k for k in range(1, 100) if 2 * (1.5**k - 1) > GROWTH)
    assert plain.status == "diverged" and plain.rounds == first and plain.size > GROWTH
    assert plain.failure() == f"diverged (|x| reached {plain.size:.3g} > 1e+08 at iteration {first})"
    for method in ("anderson", "newton"):
        found = find_fixed_point(F, [0.0], method=method)
        assert found.converged and found.x == pytest.approx([-2.0], abs=1e-14)


def test_a_map_without_a_fixed_point_overflows_under_iteration_but_stays_bounded_under_anderson():
    """F(x) = exp(x): x_3 = e^(e^e) ~ 3.8e6, F(x_3) = inf. F(x) - x >= 1, so no method converges; Anderson, whose kept
    steps never raise the residual, stays near its minimum at 0: did not converge, not diverged."""
    plain = find_fixed_point(jnp.exp, [1.0], method="iterate")
    assert plain.status == "diverged" and plain.rounds == 3 and not np.isfinite(plain.residual)
    assert plain.failure() == "diverged (|x| reached 3.81e+06 and F(x) is not finite at iteration 3)"
    anderson = find_fixed_point(jnp.exp, [1.0], method="anderson", max_rounds=300)
    assert anderson.status == "did_not_converge" and anderson.rounds == 300
    assert abs(anderson.x[0]) < 5 and anderson.residual >= 1


def test_bounded_maps_that_never_settle_did_not_converge():
    """The logistic map at r = 3.2 from 0.3 iterates to its 2-cycle (iteration does not converge; Anderson finds
    the repelling fixed point 1 - 1/r); x -> R x / |x| with R a rotation by 0.7 has no fixed point (|F(x) - x|
    >= sin 0.7, so max|F(x) - x| >= sin 0.7 / sqrt 2) and |F(x)| = 1: every method runs out of rounds, none
    says diverged."""
    r = 3.2
    logistic = lambda x: r * x * (1 - x)  # noqa: E731
    cycle = find_fixed_point(logistic, [0.3], method="iterate", max_rounds=2000)
    assert cycle.status == "did_not_converge" and cycle.rounds == 2000 and 0 < cycle.x[0] < 1
    lower, upper = sorted(np.roots([r**2, -r * (r + 1), r + 1]))  # the 2-cycle: r^2 x^2 - r(r+1) x + r + 1 = 0
    assert min(abs(cycle.x[0] - lower), abs(cycle.x[0] - upper)) < 1e-9
    assert find_fixed_point(logistic, [0.3], method="anderson").x == pytest.approx([1 - 1 / r], abs=1e-13)
    angle = 0.7
    rotation = jnp.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    for method in ("iterate", "anderson", "newton"):
        found = find_fixed_point(lambda x: rotation @ x / jnp.linalg.norm(x), [1.0, 0.5], method=method, max_rounds=500)
        assert found.status == "did_not_converge" and found.rounds == 500
        assert found.size < 10 and found.residual >= np.sin(angle) / np.sqrt(2) - 1e-12
        assert found.failure() == f"did not converge within 500 iterations (last residual {found.residual:.3g})"


def test_anderson_keeps_the_plain_step_where_its_extrapolation_leaves_the_domain():
    """x = sqrt x from 0.01: the first secant through (0.01, 0.09) and (0.1, 0.216) extrapolates to x = -0.054,
    where sqrt is NaN; the safeguard takes the plain step there and Anderson reaches x* = 1."""
    found = find_fixed_point(jnp.sqrt, [0.01], method="anderson")
    assert found.converged and found.x == pytest.approx([1.0], abs=1e-13)


def test_newton_at_a_singular_jacobian_falls_back_to_anderson_and_converges():
    """x = cos x from -pi/2, where d(cos x - x)/dx = -sin x - 1 = 0: the Newton step is not finite, so Anderson
    takes over at round 0 and reaches the root that scipy's brentq finds."""
    found = find_fixed_point(jnp.cos, [-np.pi / 2], method="newton")
    assert found.newton_rounds == 0 and found.converged and found.rounds < 30
    dottie = scipy.optimize.brentq(lambda x: np.cos(x) - x, 0, 1, xtol=1e-15)
    assert found.x[0] == pytest.approx(dottie, abs=1e-13)


def test_the_two_failures_raise_distinct_one_line_messages_naming_the_parameter(slow):
    fmap = slow[0]
    with pytest.raises(SpecError) as short:
        fixed_point_sensitivity(fmap, SLOW, method="iterate", max_rounds=10)  # needs 40 from x_0
    assert short.value.parameter == "values"
    assert str(short.value).startswith(f"values: at {SLOW}: the iterate fixed-point iteration did not converge within")
    assert "10 iterations (last residual " in str(short.value) and "\n" not in str(short.value)
    with pytest.raises(SpecError, match="^method: must be one of"):
        find_fixed_point(jnp.cos, [0.0], method="bisection")
    with pytest.raises(SpecError, match="^max_rounds: must be positive"):
        find_fixed_point(jnp.cos, [0.0], max_rounds=0)
    diverged = find_fixed_point(lambda x: 1.5 * x + 1, [0.0], method="iterate")
    with pytest.raises(SpecError, match=r"^alpha: the iteration diverged \(\|x\| reached 1.\d+e\+08 > 1e\+08 at it"):
        diverged.require("alpha", "the iteration")
    with pytest.raises(NoUniqueFixedPoint, match=r"^alpha: the map did not converge within 7 iterations \(last"):
        find_fixed_point(lambda x: 1.5 * x + 1, [0.0], method="iterate", max_rounds=7).require(
            "alpha", "the map", NoUniqueFixedPoint
        )


@pytest.mark.parametrize("method", ["anderson", "newton"])
def test_implicit_derivative_at_a_slow_contraction_is_the_closed_forms(slow, method):
    fmap, _, exact, closed_form, at = slow
    found = fixed_point_sensitivity(fmap, SLOW, method=method)
    symbolic = np.array(
        [[float(sympy.diff(closed_form[s], p).xreplace(at)) for p in found.parameters] for s in fmap.state]
    )
    # |x - x*| <= tolerance |x*| / (1 - alpha); dx*/dtheta = (I - dF/dx)^-1 dF/dtheta taken at x amplifies it by
    # 1 / (1 - alpha) again
    error = TOLERANCE * np.abs(exact).max() / (1 - SLOW["alpha"])
    np.testing.assert_allclose(found.state, exact, rtol=0, atol=error)
    np.testing.assert_allclose(found.derivative, symbolic, rtol=0, atol=error / (1 - SLOW["alpha"]))


def test_solve_fixed_point_differentiates_by_the_implicit_function_theorem_in_both_modes():
    """x* = b / (1 - a) of x -> a x + b at a = 0.999 (Anderson in custom_root's forward solve): jacfwd and grad
    both give (b / (1 - a)^2, 1 / (1 - a)); |x - x*| <= 1e-13 |x*| / (1 - a) bounds their relative error by 1e-10."""

    def x_star(theta):
        return solve_fixed_point(lambda x, th, t: th[0] * x + th[1], jnp.zeros(1), theta)[0]

    a, b = 0.999, 1.0
    exact = np.array([b / (1 - a) ** 2, 1 / (1 - a)])
    theta = jnp.array([a, b])
    assert float(x_star(theta)) == pytest.approx(b / (1 - a), rel=1e-10)
    np.testing.assert_allclose(jax.jacfwd(x_star)(theta), exact, rtol=1e-9)
    np.testing.assert_allclose(jax.grad(x_star)(theta), exact, rtol=1e-9)
