"""The linear-Gaussian surrogate's dynamics, conditions and closed forms, each checked a second way."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import sympy
from linear_cases import W3, general, proportional

from interplay.numerics.driver.compile import compile_map
from interplay.numerics.linear.iterate import iterate_linear
from interplay.numerics.linear.longrun import long_run_linear, relative_efficiency_grid
from interplay.theory import NoUniqueFixedPoint, fixed_point, jacobian
from interplay.theory.linear import longrun as lr
from interplay.theory.linear.maps import (
    Design,
    exact_moments,
    linear_data,
    linear_ecosystem,
    parameter_moments,
    population_map,
)

alpha, beta = sympy.symbols("alpha beta", nonnegative=True)


def floats(matrix):
    return np.array(sympy.Matrix(matrix).evalf(), dtype=float)


def test_stacked_form_equals_direct_weighted_least_squares():
    """theta_t = P b + Q theta_{t-1} + Q X^+ w equals the minimum-norm solution of the stacked weighted problem
    (numpy lstsq on sqrt(w_s / n_s) X_s rows), with rank-deficient private data and general mixing."""
    rng = np.random.default_rng(0)
    K, d, a, bb, m = 3, 3, 0.6, 0.7, 5
    Xp = [rng.normal(size=(4, 2)) @ rng.normal(size=(2, d)) for _ in range(K)]  # rank 2 < d
    Xs, Xsyn = rng.normal(size=(7, d)), [rng.normal(size=(m, d)) for _ in range(K)]
    eco = linear_ecosystem(
        rng.normal(size=d), [Design.from_data(x) for x in Xp], Design.from_data(Xs),
        synthetic=[Design.from_data(x) for x in Xsyn], alpha=a, beta=bb, mixing=W3, n=m,
    )  # fmt: skip
    P, Q, N, *_ = (floats(x) for x in lr.stationary_dynamics(eco))
    np.testing.assert_allclose(N, Q, atol=1e-14)
    ys = [rng.normal(size=x.shape[0]) for x in Xp + [Xs]]
    previous = rng.normal(size=(K, d))
    noise = [rng.normal(size=m) for _ in range(K)]
    b = np.concatenate([np.linalg.pinv(x) @ y for x, y in zip(Xp + [Xs], ys)])
    stacked = P @ b + Q @ previous.ravel() + Q @ np.concatenate([np.linalg.pinv(x) @ w for x, w in zip(Xsyn, noise)])
    for k in range(K):
        rows, labels = [np.sqrt((1 - a) * bb / 4) * Xp[k], np.sqrt((1 - a) * (1 - bb) / 7) * Xs], []
        labels += [rows[0] @ np.linalg.pinv(rows[0]) @ (np.sqrt((1 - a) * bb / 4) * ys[k])]
        labels += [np.sqrt((1 - a) * (1 - bb) / 7) * ys[K]]
        for j in range(K):
            scale = np.sqrt(a * W3[k][j] / m)
            rows.append(scale * Xsyn[j])
            labels.append(scale * (Xsyn[j] @ previous[j] + noise[j]))
        direct = np.linalg.lstsq(np.vstack(rows), np.concatenate(labels), rcond=None)[0]
        np.testing.assert_allclose(stacked[k * d : (k + 1) * d], direct, atol=1e-10)


@pytest.mark.parametrize(
    "eco",
    [
        general(3, 2, seed=1, alpha=alpha, beta=beta, mixing=W3),
        general(2, 3, seed=2, low_rank=True, synthetic="specific", alpha=0.3, beta=1, n=4),
    ],
)
def test_rows_of_P_and_Q_preserve_theta_star(eco):
    """P (1 (x) I) + Q (1 (x) I) = 1 (x) I exactly, for symbolic alpha, beta and for low-rank private data."""
    P, Q, *_ = lr.stationary_dynamics(eco)
    K, d = eco.K, eco.dim
    ones = sympy.Matrix.vstack(*[sympy.eye(d)] * K)
    total = P @ sympy.Matrix.vstack(*[sympy.eye(d)] * (K + 1)) + Q @ ones
    assert (total - ones).applyfunc(sympy.simplify).is_zero_matrix


def lyapunov_growth(eco, rounds=400):
    """tr C_t over rounds from the compiled exact recursion."""
    return np.trace(iterate_linear(eco, rounds).C, axis1=1, axis2=2)


@pytest.mark.parametrize(
    "case, expect",
    [
        ("covered", True),
        ("disjoint-privates-beta1", True),
        ("uncovered-direction", False),
        ("alpha-one", False),
    ],
)
def test_convergence_iff_spectral_radius_below_one(case, expect):
    """rho(Q) < 1 exactly where the exact recursion converges, and exactly where every direction is covered by
    some model's weighted real data; otherwise tr C_t grows linearly (checked on the iteration itself)."""
    d = 3
    lowrank = [np.diag([1, 1, 0]), np.diag([0, 1, 1])]
    if case == "covered":
        eco = general(2, d, seed=3, alpha=0.7, beta=0.5, n=6)
    elif case == "disjoint-privates-beta1":
        eco = linear_ecosystem([1, 2, 3], [Design(g, 4) for g in lowrank], Design(np.diag([1, 0, 0]), 4),
                               alpha=0.5, beta=1, n=6)  # fmt: skip
    elif case == "uncovered-direction":
        eco = linear_ecosystem([1, 2, 3], [Design(np.diag([1, 1, 0]), 4)] * 2, Design(np.diag([1, 0, 0]), 4),
                               alpha=0.5, beta=0.5, n=6)  # fmt: skip
    else:
        eco = general(2, d, seed=3, alpha=1, beta=0.5, n=6)
    assert lr.converges(eco) is expect
    radius = float(lr.spectral_radius_of_Q(eco))
    assert radius <= 1 + 1e-12
    if 0 < float(eco.alpha) < 1:
        assert (len(lr.uncovered_directions(eco)) == 0) is expect
    trace = lyapunov_growth(eco)
    late = np.diff(trace[300:])
    if expect:
        limit = long_run_linear(eco)
        np.testing.assert_allclose(iterate_linear(eco, 400).C[-1], limit.C, atol=1e-10)
        assert np.abs(late).max() < 1e-10
    else:
        assert radius == pytest.approx(1, abs=1e-12)
        assert late.min() > 1e-3 and np.ptp(late) < 1e-6 * late.mean()  # linear growth: constant increments
        with pytest.raises(NoUniqueFixedPoint):
            long_run_linear(eco)


def test_spectral_radius_is_alpha_for_full_coverage_limits():
    """rho(Q) = 0 at alpha = 0 (no interaction), 1 at alpha = 1, strictly increasing in between (a covered case)."""
    radii = [float(lr.spectral_radius_of_Q(general(2, 2, seed=4, alpha=a, beta=0.5))) for a in (0, 0.3, 0.6, 0.9, 1)]
    assert radii[0] == 0 and radii[-1] == pytest.approx(1)
    assert all(x < y for x, y in zip(radii, radii[1:]))


UNBIASED_CASES = {
    "full-rank": (general(2, 2, seed=5, alpha=0.5, beta=0.5), True),
    "low-rank-beta1-covered": (
        linear_ecosystem(
            [1, -2],
            [Design(np.diag([1, 0]), 3), Design(np.diag([0, 1]), 3)],
            Design(np.eye(2), 5),
            alpha=0.4,
            beta=1,
            n=5,
        ),  # fmt: skip
        True,
    ),
    "alpha0-low-rank-beta1": (
        linear_ecosystem(
            [1, -2],
            [Design(np.diag([1, 0]), 3), Design(np.diag([0, 1]), 3)],
            Design(np.eye(2), 5),
            alpha=0,
            beta=1,
            n=5,
        ),  # fmt: skip
        False,
    ),
    "uncovered-by-everything": (
        linear_ecosystem(
            [1, -2],
            [Design(np.diag([1, 0]), 3)] * 2,
            Design(np.diag([1, 0]), 5),
            synthetic=np.diag([1, 0]),
            alpha=0.5,
            beta=0.5,
            n=5,
        ),  # fmt: skip
        False,
    ),
}


@pytest.mark.parametrize("name", list(UNBIASED_CASES))
def test_unbiased_in_the_limit_exactly_where_the_long_run_mean_is_theta_star(name):
    eco, expect = UNBIASED_CASES[name]
    assert lr.unbiased_in_the_limit(eco) is expect
    assert lr.long_run_bias(eco).is_zero_matrix is expect


def test_full_rank_designs_are_unbiased_at_every_round():
    eco = general(3, 2, seed=6, alpha=0.6, beta=0.3, n=5, mixing=W3)
    assert lr.unbiased_at_every_round(eco, 4)
    data = linear_data(eco)
    target = sympy.Matrix.vstack(*[eco.family.theta] * 3)
    for moments in exact_moments(eco, 4):
        assert parameter_moments(eco, data, moments)[0] == target


def test_low_rank_initial_bias_decays_as_Q_power_t():
    """beta = 1 with private data on disjoint coordinates: the min-norm initial fit misses the other model's
    direction (bias e_0 != 0); afterwards e_t = Q^t e_0 exactly, which vanishes as rho(Q) < 1."""
    eco = UNBIASED_CASES["low-rank-beta1-covered"][0]
    assert not lr.unbiased_at_every_round(eco)
    data = linear_data(eco)
    target = sympy.Matrix.vstack(*[eco.family.theta] * 2)
    _, Q, *_ = lr.stationary_dynamics(eco)
    trajectory = exact_moments(eco, 5)
    e0 = parameter_moments(eco, data, trajectory[0])[0] - target
    assert e0 == sympy.Matrix([0, 2, -1, 0])  # model 1 misses theta*_2 = -2, model 2 misses theta*_1 = 1
    for t, moments in enumerate(trajectory):
        assert parameter_moments(eco, data, moments)[0] - target == Q**t @ e0
    assert float(lr.spectral_radius_of_Q(eco)) < 1


@pytest.mark.parametrize(
    "eco", [general(2, 2, seed=7, alpha=0.5, beta=0.4, n=5), general(3, 1, seed=8, alpha=0.7, beta=0.6, n=3, mixing=W3)]
)
def test_limit_closed_form_fixed_point_lyapunov_and_long_iterate_agree(eco):
    """M = (I - Q)^-1 P equals the moment map's fixed point (sympy linear solve); C_inf from that solve equals
    scipy's discrete Lyapunov solution and the 600th iterate of the compiled recursion."""
    limit = lr.limit(eco)
    assert (limit["M"] - lr.limit_multiplier(eco)).applyfunc(sympy.simplify).is_zero_matrix
    numeric = long_run_linear(eco)
    np.testing.assert_allclose(floats(limit["C"]), numeric.C, atol=1e-12)
    _, Q, _, D, *_ = (floats(x) for x in lr.stationary_dynamics(eco))
    np.testing.assert_allclose(scipy.linalg.solve_discrete_lyapunov(Q, Q @ D @ Q.T), numeric.C, atol=1e-12)
    run = iterate_linear(eco, 600)
    np.testing.assert_allclose(run.M[-1], floats(limit["M"]), atol=1e-12)
    np.testing.assert_allclose(run.C[-1], numeric.C, atol=1e-12)
    mean, cov = lr.long_run_moments(eco)
    np.testing.assert_allclose(numeric.mean.ravel(), floats(mean).ravel(), atol=1e-12)
    np.testing.assert_allclose(numeric.cov.reshape(cov.shape), floats(cov), atol=1e-12)


def test_symbolic_and_numeric_jacobians_and_fixed_points_agree():
    eco = general(2, 2, seed=9, alpha=alpha, beta=beta, mixing=[[0.3, 0.7], [0.6, 0.4]])
    fmap = population_map(eco)
    f, parameters = compile_map(fmap)
    assert parameters == (alpha, beta)
    rng = np.random.default_rng(3)
    for a, b in rng.uniform(0.05, 0.95, size=(3, 2)):
        x = rng.normal(size=len(fmap.state))
        numeric = np.asarray(jax.jacfwd(f)(jnp.asarray(x), a, b))
        symbolic = floats(jacobian(fmap).subs({alpha: a, beta: b}))
        np.testing.assert_allclose(numeric, symbolic, atol=1e-12)
        concrete = general(2, 2, seed=9, alpha=a, beta=b, mixing=[[0.3, 0.7], [0.6, 0.4]], n=4)
        _, Q, *_ = lr.stationary_dynamics(concrete)
        np.testing.assert_allclose(numeric, floats(Q), atol=1e-12)  # the Jacobian of the mean dynamics is Q
        point = fixed_point(population_map(concrete))
        np.testing.assert_allclose(
            [float(point[s]) for s in fmap.state], long_run_linear(concrete).mean.ravel(), atol=1e-12
        )


def test_proportional_case_closed_forms():
    """The proportional case, derived by the library with symbolic alpha, beta: rho(Q) = alpha, M_t = M_inf for t >= 1,
    the error formula at t = 0..3 and the homogenisation factor (1 - alpha) of the between-model spread."""
    K, d, n_private, n_public, m = 3, 2, 8, 12, 5
    eco = proportional(K, d, alpha=alpha, beta=beta, n=m, n_private=n_private, n_public=n_public)
    S = eco.public.gram
    assert sympy.simplify(lr.spectral_radius_of_Q(eco) - alpha) == 0
    trajectory = exact_moments(eco, 3)
    data = linear_data(eco)
    assert all((mm.M - trajectory[1].M).applyfunc(sympy.simplify).is_zero_matrix for mm in trajectory[2:])
    for t, moments in enumerate(trajectory):
        mean, cov = parameter_moments(eco, data, moments)
        assert (mean - sympy.Matrix.vstack(*[eco.family.theta] * K)).applyfunc(sympy.simplify).is_zero_matrix
        expected = lr.proportional_error(alpha, beta, K, n_private, n_public, m, eco.family.noise_var,
                                         S.inv().trace(), t)  # fmt: skip
        spread = lr.proportional_spread(alpha, beta, n_private, eco.family.noise_var, S.inv().trace(), t)
        for k in range(K):
            assert sympy.simplify(cov[k * d : (k + 1) * d, k * d : (k + 1) * d].trace() - expected) == 0
        gap = cov[:d, :d] + cov[d : 2 * d, d : 2 * d] - cov[:d, d : 2 * d] - cov[d : 2 * d, :d]
        assert sympy.simplify(gap.trace() - spread) == 0


def test_relative_efficiency_theory_numerics_and_gauss_markov():
    """RE from sympy equals the numeric grid. The models are unbiased here (full-rank designs) and linear in the
    real labels plus independent synthetic noise, so by Gauss-Markov the pooled OLS is at least as good: RE <= 1
    everywhere on the grid (strictly, as no model's estimate is the pooled one)."""
    eco = general(2, 2, seed=10, alpha=0.5, beta=0.5, n=6)
    exact = [float(x) for x in lr.relative_efficiency(eco)]
    grid = relative_efficiency_grid(eco, [0.5], [0.5])
    np.testing.assert_allclose(grid["per_model"][0, 0], exact, rtol=1e-12)
    sweep = relative_efficiency_grid(eco, np.linspace(0, 0.95, 8), np.linspace(0, 1, 6))
    assert np.all(sweep["per_model"] < 1) and np.all(sweep["per_model"] > 0)
    assert np.all(sweep["radius"] < 1)
