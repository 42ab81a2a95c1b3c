"""Symbolic maps, fixed points, Jacobians and stability, each checked by a second, independent route."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import interplay.numerics as numerics
from interplay.numerics.driver.compile import compile_map
from interplay.numerics.driver.jax_ops import JAX
from interplay.theory import (
    Ecosystem,
    NoUniqueFixedPoint,
    eigenvalues,
    fixed_point,
    jacobian,
    moment_map,
    population_map,
    spectral_radius,
    stability_condition,
    to_latex,
)
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.rounds import plan_at

alpha, beta = sympy.symbols("alpha beta", nonnegative=True)
W3 = [[0.6, 0.4, 0.0], [0.0, 0.5, 0.5], [0.3, 0.0, 0.7]]


def two_d(K=2, **options):
    means = [[k - 0.5, 0.5 * k] for k in range(K)]
    covs = [[[1.0 + 0.5 * k, 0.3], [0.3, 0.7]] for k in range(K)]
    return Ecosystem.gaussian(
        means=means, public_mean=[0.2, -0.1], covs=covs, public_cov=[[2.0, -0.4], [-0.4, 1.0]], **options
    )


def as_floats(point, state):
    return np.array([float(point[s]) for s in state])


@pytest.mark.parametrize(
    "eco",
    [
        two_d(alpha=0.6, beta=0.3),
        two_d(K=3, alpha=0.8, beta=0.7, mixing=W3, regime="fresh"),
        two_d(alpha=0.5, beta=1, mixing=[[0, 1], [1, 0]]),
    ],
)
def test_population_fixed_point_is_the_long_run_iterate(eco):
    fmap = population_map(eco)
    point = fixed_point(fmap)
    run = numerics.iterate_population(eco, 400)
    K, d = eco.K, eco.dim
    values = as_floats(point, fmap.state)
    np.testing.assert_allclose(run.mean[-1].ravel(), values[: K * d], atol=1e-10)
    upper = np.concatenate([run.fitted_cov[-1, k][np.triu_indices(d)] for k in range(K)])
    np.testing.assert_allclose(upper, values[K * d :], atol=1e-10)


@pytest.mark.parametrize(
    "eco",
    [
        two_d(alpha=0.5, beta=0.5, n=12, estimator="unbiased", regime="reuse"),
        two_d(K=3, alpha=0.7, beta=0.2, n=30, mixing=W3, estimator="mle", regime="fresh"),
    ],
)
def test_moment_fixed_point_is_the_long_run_exact_recursion(eco):
    fmap = moment_map(eco)
    parts = {name: np.array(value, dtype=float) for name, value in fmap.unpack(fixed_point(fmap)).items()}
    run = numerics.iterate_moments(eco, 600)
    K, d = eco.K, eco.dim
    np.testing.assert_allclose(run.mean[-1].ravel(), parts["mean"].ravel(), atol=1e-10)
    np.testing.assert_allclose(run.mean_cov[-1].reshape(K * d, K * d), parts["cov"], atol=1e-10)
    fixed = gaussian.Moments(*(parts[name] for name in gaussian.Moments._fields))
    np.testing.assert_allclose(
        run.fitted_cov[-1].reshape(K * d, d), gaussian.fitted_covariance(eco, fixed, JAX), atol=1e-10
    )


def test_symbolic_jacobian_equals_jacfwd_of_the_compiled_map():
    eco = two_d(K=3, alpha=alpha, beta=beta, mixing=W3)
    fmap = population_map(eco)
    f, parameters = compile_map(fmap)
    assert parameters == (alpha, beta)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.normal(size=len(fmap.state))
        a, b = rng.uniform(size=2)
        numeric = np.asarray(jax.jacfwd(f)(jnp.asarray(x), a, b))
        symbolic = np.array(jacobian(fmap, dict(zip(fmap.state, x))).subs({alpha: a, beta: b}), dtype=float)
        np.testing.assert_allclose(numeric, symbolic, atol=1e-12)


def test_compiled_symbolic_map_equals_the_jax_ops_map():
    """The lambdified sympy expression and the same map evaluated directly with jax ops agree."""
    eco = two_d(alpha=0.35, beta=0.6, mixing=[[0.2, 0.8], [0.9, 0.1]])
    fmap = population_map(eco)
    f, _ = compile_map(fmap)
    rng = np.random.default_rng(2)
    K, d = eco.K, eco.dim
    mean = rng.normal(size=(K * d, 1))
    covs = [a @ a.T + np.eye(d) for a in rng.normal(size=(K, d, d))]
    flat = np.concatenate([mean.ravel()] + [c[np.triu_indices(d)] for c in covs])
    new = gaussian.population_step(
        eco,
        gaussian.Fit(jnp.asarray(mean), jnp.asarray(np.vstack(covs))),
        plan_at(eco, 1, population=True, ops=JAX),
        1.0,
        JAX,
    )
    expected = np.concatenate(
        [np.asarray(new.mean).ravel()]
        + [np.asarray(new.cov)[k * d : (k + 1) * d][np.triu_indices(d)] for k in range(K)]
    )
    np.testing.assert_allclose(np.asarray(f(jnp.asarray(flat))), expected, atol=1e-12)


def test_population_spectrum_is_alpha_times_the_mixing_spectrum():
    """The Gaussian population map is affine in (m, E xx^T) with linear part alpha W: multipliers alpha * eig(W)."""
    eco = two_d(K=3, alpha=0.6, beta=0.5, mixing=W3)
    values = eigenvalues(population_map(eco))
    assert sum(values.values()) == 3 * 2 + 3 * 3
    expected = 0.6 * np.linalg.eigvals(np.array(W3))
    for value in values:
        assert np.min(np.abs(expected - complex(value))) < 1e-9
    assert spectral_radius(population_map(eco)) == sympy.Rational(3, 5)  # exact: rational inputs


def test_symbolic_stability_condition_and_latex():
    eco = two_d(alpha=alpha, beta=beta)
    fmap = population_map(eco)
    condition = stability_condition(fmap)
    assert condition == (alpha < 1)
    assert to_latex(condition) == r"\alpha < 1"
    assert spectral_radius(fmap) == alpha
    point = fixed_point(fmap)
    assert "\\alpha" in to_latex(point) and to_latex(point).count("&=") == len(fmap.state)
    assert fmap.latex().count("&=") == len(fmap.state)


def test_moment_recursion_stability_collapse_and_martingale():
    """K = 1 eating its own outputs: MLE contracts E S by (n-1)/n (stable, collapses to 0); unbiased has
    multiplier 1 (a martingale), so no unique fixed point."""
    n = 10
    self_loop = dict(means=[[0.0]], public_mean=[0.0], alpha=1, beta=1, mixing=[[1]], n=n, regime="fresh")
    mle = Ecosystem.gaussian(estimator="mle", **self_loop)
    with pytest.raises(NoUniqueFixedPoint):  # Var(m) grows without bound: multiplier 1 in the mean block
        fixed_point(moment_map(mle))
    dispersion = [ix for name, ix in moment_map(mle).blocks if name == "dispersion"][0]
    J = jacobian(moment_map(mle)).extract(list(dispersion), list(dispersion))
    assert set(J.eigenvals()) == {sympy.Rational(n - 1, n), 1}
    unbiased = Ecosystem.gaussian(estimator="unbiased", **self_loop)
    nu = sympy.Symbol("\\nu_{1}", real=True)
    J = jacobian(moment_map(unbiased), {nu: sympy.Rational(1, n)}).extract(list(dispersion), list(dispersion))
    assert set(J.eigenvals()) == {1}


def test_no_unique_fixed_point_at_alpha_one_and_under_accumulate():
    with pytest.raises(NoUniqueFixedPoint, match="continuum"):
        fixed_point(population_map(two_d(alpha=1, beta=0.5)))
    with pytest.raises(NoUniqueFixedPoint, match="accumulate"):
        fixed_point(population_map(two_d(alpha=0.5, beta=0.5, regime="accumulate")))


def test_population_limit_of_the_moment_recursion_is_the_population_map():
    eco = two_d(K=3, alpha=0.4, beta=0.6, mixing=W3)
    population = numerics.iterate_population(eco, 20)
    limit = numerics.iterate_moments(eco, 20)  # n = None: every sample infinite
    np.testing.assert_allclose(limit.mean, population.mean, atol=1e-12)
    np.testing.assert_allclose(limit.fitted_cov, population.fitted_cov, atol=1e-12)
    assert np.abs(limit.mean_cov).max() == 0
    gaps = [
        np.abs(numerics.iterate_moments(eco.with_options(n=n), 20).fitted_cov - population.fitted_cov).max()
        for n in (100, 1000, 10000)
    ]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] * 10000 == pytest.approx(gaps[1] * 1000, rel=0.1)  # O(1/n)


def test_initial_fit_matches_the_textbook_pooled_variance():
    """E S of the pooled MLE of groups: ((n-1)/n^2) sum_i sigma_i^2 + (1/n) sum_i (mu_i - mu_bar)^2 (ANOVA)."""
    eco = Ecosystem.gaussian(
        means=[[-1.0]], public_mean=[0.0], covs=[[[1.0]]], public_cov=[[2.0]], beta=0.5, n=10, regime="fresh"
    )
    exact = numerics.iterate_moments(eco, 1)
    mu = np.array([-1.0] * 5 + [0.0] * 5)
    sigma2 = np.array([1.0] * 5 + [2.0] * 5)
    n = 10
    textbook = (n - 1) / n**2 * sigma2.sum() + ((mu - mu.mean()) ** 2).sum() / n
    assert exact.fitted_cov[0, 0, 0, 0] == pytest.approx(textbook, rel=1e-14)
    assert exact.mean_cov[0, 0, 0, 0, 0] == pytest.approx(sigma2.sum() / n**2, rel=1e-14)


def test_schedules_need_an_integer_round():
    eco = two_d(alpha=[0.2, 0.9], beta=0.5)
    with pytest.raises(ValueError, match="t: "):
        population_map(eco)
    assert population_map(eco, 2).update != population_map(eco, 1).update
