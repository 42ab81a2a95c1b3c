"""Value axes (numerics.value_axes): a sweep over any numeric value of the spec equals, point by point, the
exact recursion (and the Monte Carlo, same seed) of the ecosystem built with that value, and compiles once for
all the values (issue 12: "Sweeps can then vmap over any numeric value")."""

import itertools
import re

import numpy as np
import pytest
import sympy
from linear_cases import W3, general

import interplay.numerics as numerics
from interplay.numerics import sweeps, value_axes
from interplay.numerics.driver import compiled_cache
from interplay.numerics.linear.longrun import long_run_linear
from interplay.numerics.sweeps import sweep
from interplay.theory import SpecError
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.examples import two_model_gaussian
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.spec import Ecosystem

ROUNDS = 5


def _at(eco, names, point):
    """The ecosystem at one grid point, built by setting each value in turn."""
    changes = {name: value for name, value in zip(names, point) if name in ("alpha", "beta")}
    eco = eco.with_options(**changes) if changes else eco
    for name, value in zip(names, point):
        if name not in ("alpha", "beta"):
            eco = value_axes.ecosystem_with(eco, value_axes.parse(name), value)
    return eco


def _points(axes):
    for index in itertools.product(*(range(len(v)) for v in axes.values())):
        yield index, [values[i] for values, i in zip(axes.values(), index)]


def _gaussian():
    return Ecosystem.gaussian(
        means=[[1.0, 0.0], [-1.0, 0.5]],
        public_mean=[0.25, 0.0],
        covs=[[[1.0, 0.2], [0.2, 2.0]], [[1.0, 0.0], [0.0, 1.0]]],
        alpha=0.5,
        beta=0.5,
        n=20,
    )


@pytest.mark.parametrize(
    "axes",
    [
        {"public.mean[0]": [-1.0, 0.25, 3.0], "alpha": [0.3, 0.8]},
        {"private[0].cov[0][1]": [-0.5, 0.0, 0.7]},
        {"mixing[0][1]": [0.1, 0.9], "beta": [0.2, 1.0]},
    ],
)
def test_gaussian_value_axes_equal_the_recursion_of_the_ecosystem_at_each_value(axes):
    eco = _gaussian()
    quantities = ["mean", "fitted_cov", "mean_cov", "spread", "task_error"]
    grid = sweep(eco, axes, quantities, rounds=ROUNDS, progress=False)
    names = list(axes)
    for index, point in _points(axes):
        at = _at(eco, names, point)
        exact = numerics.iterate_moments(at, ROUNDS)
        np.testing.assert_allclose(grid["mean"][index], exact.mean[-1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grid["fitted_cov"][index], exact.fitted_cov[-1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grid["mean_cov"][index], exact.mean_cov[-1].reshape(4, 4), rtol=1e-12, atol=1e-12)
        spread = exact.squared_distance(0, 1)[-1]
        assert grid["spread"][index][0, 1] == pytest.approx(spread, rel=1e-12, abs=1e-12)
        public = np.asarray(at.public.mean, dtype=float).ravel()
        variance = np.trace(exact.mean_cov[-1, 1, :, 1, :])
        error = ((exact.mean[-1, 1] - public) ** 2).sum() + variance
        assert grid["task_error"][index][1, 2] == pytest.approx(error, rel=1e-12, abs=1e-12)


def test_a_value_axis_compiles_once_for_all_its_values_and_for_other_values():
    """The compiled sweep is found by structure: one trace for every value of the axis, and a second sweep over
    other values (of another ecosystem of the same structure) adds no compiled function."""
    eco = _gaussian()
    numerics.clear_compiled()
    sweep(eco, {"public.mean[1]": [0.0, 1.0, 2.0, 5.0]}, ["spread"], rounds=ROUNDS, progress=False)
    count = compiled_cache.compiled_count()
    other = eco.with_options(alpha=0.25, private=(eco.private[1], eco.private[0]))
    grid = sweep(other, {"public.mean[1]": [-3.0, 0.5, 7.0, 9.0]}, ["spread"], rounds=ROUNDS, progress=False)
    assert compiled_cache.compiled_count() == count
    compiled = sweeps._compiled(sweeps._Structure(other), ROUNDS, False, 1e-12, ("spread",), 0, 0, True)
    assert compiled._cache_size() == 1  # traced once for both sweeps' eight values
    exact = numerics.iterate_moments(_at(other, ["public.mean[1]"], [7.0]), ROUNDS)
    assert grid["spread"][2, 0, 1] == pytest.approx(exact.squared_distance(0, 1)[-1], rel=1e-12)


def test_gaussian_monte_carlo_on_a_value_axis_equals_simulate_at_that_value():
    eco = two_model_gaussian(n=20, estimator="unbiased", regime="fresh", alpha=0.8, beta=0.5)
    axes = {"private[1].mean[0]": [0.0, 2.0]}
    grid = sweep(eco, axes, ["mc_mean", "mc_spread"], rounds=4, replicates=200, seed=3, progress=False)
    final = numerics.simulate(_at(eco, list(axes), [2.0]), 4, key=3, replicates=200).means[:, -1]
    np.testing.assert_allclose(grid["mc_mean"][1], final.mean(0), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(
        grid["mc_spread"][1, 0, 1], ((final[:, 0] - final[:, 1]) ** 2).sum(-1).mean(), rtol=1e-10
    )


def test_a_public_value_axis_beside_a_k_axis_is_set_in_the_k_model_ecosystem():
    eco = Ecosystem.gaussian(means=[[1.0]], public_mean=[0.0], alpha=0.5, beta=0.5, n=10)
    axes = {"K": [2, 3], "public.mean[0]": [0.0, 2.0]}
    grid = sweep(eco, axes, ["mean", "spread"], rounds=ROUNDS, progress=False)
    for (i, K), (j, mean) in itertools.product(enumerate(axes["K"]), enumerate(axes["public.mean[0]"])):
        at = _at(sweeps._with_models(eco, K), ["public.mean[0]"], [mean])
        exact = numerics.iterate_moments(at, ROUNDS)
        np.testing.assert_allclose(grid["mean"][i, j], exact.mean[-1, 0], rtol=1e-12, atol=1e-12)
        assert grid["spread"][i, j] == pytest.approx(exact.squared_distance(0, 1)[-1], rel=1e-12, abs=1e-12)


def _categorical(**options):
    return categorical_ecosystem(
        [[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]], [0.3, 0.3, 0.4], alpha=0.5, beta=0.5, n=10, **options
    )


def test_categorical_value_axes_equal_the_recursion_of_the_ecosystem_at_each_value():
    eco = _categorical()
    axes = {"private[0].probs[2]": [0.1, 0.5, 0.9], "mixing[1][0]": [0.0, 0.7]}
    grid = sweep(eco, axes, ["mean", "diversity", "spread"], rounds=ROUNDS, progress=False)
    for index, point in _points(axes):
        exact = numerics.iterate_moments(_at(eco, list(axes), point), ROUNDS)
        np.testing.assert_allclose(grid["mean"][index], exact.mean[-1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grid["diversity"][index], exact.diversity()[-1], rtol=1e-12, atol=1e-12)
        assert grid["spread"][index][0, 1] == pytest.approx(exact.squared_distance(0, 1)[-1], rel=1e-12, abs=1e-12)


def test_poisson_value_axes_equal_the_recursion_and_simulate_at_each_value():
    eco = poisson_ecosystem([2, 6], 4, alpha=0.5, beta=0.5, n=20)
    axes = {"public.rate": [0.5, 4.0, 10.0], "private[1].rate": [1.0, 3.0]}
    quantities = ["mean", "variance", "spread", "mc_mean", "mc_spread"]
    grid = sweep(eco, axes, quantities, rounds=ROUNDS, replicates=100, seed=5, progress=False)
    for index, point in _points(axes):
        at = _at(eco, list(axes), point)
        exact = numerics.iterate_moments(at, ROUNDS)
        np.testing.assert_allclose(grid["mean"][index], exact.mean[-1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grid["variance"][index], exact.variance()[-1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(grid["spread"][index], exact.spread()[-1], rtol=1e-12, atol=1e-12)
        rates = numerics.simulate(at, ROUNDS, key=5, replicates=100).rates[:, -1]
        np.testing.assert_allclose(grid["mc_mean"][index], rates.mean(0), rtol=1e-12, atol=1e-14)


def _linear():
    """Rank-1 private designs and beta = 1: the initial fits are biased, so after a few rounds theta* still
    matters (the limit is unbiased)."""
    return general(3, 2, seed=2, low_rank=True, alpha=0.5, beta=1, n=6, mixing=W3)


LINEAR_QUANTITIES = ["spread", "error", "spectral_radius", "mc_error", "mc_spread"]


@pytest.mark.parametrize(
    "axes",
    [
        {"family.theta[0]": [-1.0, 2.5], "alpha": [0.3, 0.8]},
        {"beta": [0.2, 0.9], "family.noise_var": [0.5, 3.0]},
        {"mixing[0][2]": [0.0, 0.3], "family.theta[1]": [0.0, 1.0]},
    ],
)
def test_linear_value_axes_equal_the_limits_and_simulate_at_each_value(axes):
    """The exact limits at each point are those of the ecosystem built with the point's values; the Monte Carlo
    draws what simulate draws from the same seed."""
    eco = _linear()
    grid = sweep(eco, axes, LINEAR_QUANTITIES, rounds=3, replicates=50, seed=7, progress=False)
    for index, point in _points(axes):
        at = _at(eco, list(axes), point)
        law = long_run_linear(at)
        assert grid["spectral_radius"][index] == pytest.approx(law.spectral_radius, rel=1e-12)
        np.testing.assert_allclose(grid["error"][index], law.task_error(), rtol=1e-12)
        spread = [[law.squared_distance(k, l) for l in range(3)] for k in range(3)]
        np.testing.assert_allclose(grid["spread"][index], spread, rtol=1e-12, atol=1e-15)
        thetas = numerics.simulate(at, 3, key=7, replicates=50).thetas[:, -1]
        theta = np.asarray(at.family.theta, dtype=float)[:, 0]
        np.testing.assert_allclose(grid["mc_error"][index], ((thetas - theta) ** 2).sum(-1).mean(0), rtol=1e-10)
        gaps = ((thetas[:, :, None] - thetas[:, None]) ** 2).sum(-1).mean(0)
        np.testing.assert_allclose(grid["mc_spread"][index], gaps, rtol=1e-10, atol=1e-13)
    for position, name in enumerate(axes):  # each value axis moves the limits or the Monte Carlo
        if name not in ("alpha", "beta"):
            moved = [np.take(grid[q], 1, position) - np.take(grid[q], 0, position) for q in ("error", "mc_error")]
            assert max(np.abs(x).max() for x in moved) > 1e-3, name


def test_a_linear_value_axis_compiles_once_for_all_its_values_and_for_other_values():
    eco = _linear()
    numerics.clear_compiled()
    sweep(eco, {"family.noise_var": [0.5, 1.0, 2.0, 3.0]}, LINEAR_QUANTITIES, rounds=3, replicates=8, progress=False)
    count = compiled_cache.compiled_count()
    other = eco.with_options(alpha=0.25)
    axes = {"family.noise_var": [0.1, 4.0], "mixing[1][0]": [0.2, 0.4]}
    sweep(other, axes, LINEAR_QUANTITIES, rounds=3, replicates=8, progress=False)
    assert compiled_cache.compiled_count() == count
    compiled = sweeps._compiled(sweeps._Structure(other), 3, False, 1e-12, ("mc_error", "mc_spread"), 8, 0, True)
    assert compiled._cache_size() == 1  # traced once for both sweeps' four points


def test_the_rules_that_keep_a_spec_valid():
    """probs: the other entries keep their proportions; W: the diagonal absorbs; cov: symmetric."""
    eco = _categorical(mixing=[[0.5, 0.5], [0.25, 0.75]])
    probs = value_axes.ecosystem_with(eco, value_axes.parse("private[0].probs[2]"), 0.8).private[0].probs
    assert list(probs) == [sympy.Rational(2, 25), sympy.Rational(3, 25), sympy.Rational(4, 5)]  # 0.2, 0.3 x 0.4
    mixing = value_axes.ecosystem_with(eco, value_axes.parse("mixing[1][0]"), 0.1).mixing
    assert mixing.tolist() == [[sympy.Rational(1, 2)] * 2, [sympy.Rational(1, 10), sympy.Rational(9, 10)]]
    cov = value_axes.ecosystem_with(_gaussian(), value_axes.parse("private[0].cov[1][0]"), -0.3).private[0].cov
    assert cov[0, 1] == cov[1, 0] == sympy.Rational(-3, 10) and cov[0, 0] == 1


@pytest.mark.parametrize(
    ("eco", "axes", "problem"),
    [
        (_gaussian(), {"public.mean[2]": [0.0]}, "out of range"),
        (_gaussian(), {"public.mean": [0.0]}, "one index"),
        (_gaussian(), {"public.size": [3.0]}, "no sweepable field 'size'"),
        (_gaussian(), {"private[2].mean[0]": [0.0]}, "2 models"),
        (_gaussian(), {"publik.mean[0]": [0.0]}, "such as public.mean[0]"),
        (_gaussian(), {"private[0].cov[0][1]": [0.0, 1.5]}, "at 1.5: private[0].cov"),  # not positive definite
        (_gaussian(), {"mixing[0][0]": [0.5]}, "off-diagonal"),
        (_gaussian(), {"mixing[0][1]": [1.2]}, "diagonal"),
        (_gaussian(), {"private[0].mean[0]": [0.0], "K": [2, 3]}, "public source"),
        (_categorical(), {"public.probs[0]": [1.5]}, "at 1.5"),
        (poisson_ecosystem([2, 6], 4, n=20), {"public.rate": [-1.0]}, "at -1"),
        (_gaussian(), {"family.dim": [2.0]}, "gaussian spec has no sweepable field 'dim' (sweepable: none)"),
        (_linear(), {"family.thetta[0]": [0.0]}, "no sweepable field 'thetta' (sweepable: family.noise_var, "),
        (_linear(), {"family.theta[2]": [0.0]}, "out of range: theta has 2 entries"),
        (_linear(), {"family.noise_var": [1.0, -1.0]}, "at -1: family.noise_var: must be > 0"),
        (_linear(), {"public.gram[0][0]": [1.0]}, "linear-gaussian sources have no sweepable field 'gram'"),
        (_linear(), {"mixing[1][0]": [0.7]}, "diagonal"),
        (_linear(), {"family.noise_var[0]": [1.0]}, "noise_var is a number: no index, got 1"),
        (poisson_ecosystem([2, 6], 4, n=20), {"public.rate[0]": [3.0]}, "rate is a number: no index, got 1"),
        (two_model_gaussian(), {"public.mean": [0.5]}, "mean is a vector: one index, got 0"),  # d = 1: 1 x 1
    ],
)
def test_bad_value_axes_are_refused_naming_the_axis(eco, axes, problem):
    name = next(n for n in axes if n != "K")
    quantities = ["spread"] if eco.family.name == "linear-gaussian" else ["mean"]
    with pytest.raises(SpecError, match=f"^{re.escape(f'axes.{name}: ')}.*{re.escape(problem)}"):
        sweep(eco, axes, quantities, rounds=2, progress=False)
