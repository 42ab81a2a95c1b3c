"""Sweeps of ecosystems whose providers differ: a spec with alpha or beta per model swept over another axis, and
``alpha[k]`` / ``beta[k]`` axes (one model's value, the others keeping the spec's). Each grid point must equal the
exact recursion (or the Monte Carlo run, same seed) of the per-model spec built at it by hand, and the population
map's spectral radius must be that of diag(alpha) W (its multipliers, derived apart from the compiled Jacobian)."""

import numpy as np
import pytest
from sympy import Rational as Q

import interplay.numerics as numerics
from interplay.theory import Ecosystem, SpecError
from interplay.theory.categorical import categorical_ecosystem
from interplay.theory.poisson import poisson_ecosystem

W = [[Q(1, 2), Q(1, 2), 0], [Q(1, 4), Q(1, 2), Q(1, 4)], [0, Q(3, 5), Q(2, 5)]]
ROUNDS = 4


def gaussian(**spec):
    return Ecosystem.gaussian(means=[[0.0], [1.0], [3.0]], public_mean=[0.5], n=20, mixing=W, **spec)


def poisson(**spec):
    return poisson_ecosystem([1, 3, 6], 2, n=20, mixing=W, **spec)


def categorical(**spec):
    private = [["1/2", "1/4", "1/4"], ["1/10", "3/10", "3/5"], ["1/3", "1/3", "1/3"]]
    return categorical_ecosystem(private, ["1/5", "2/5", "2/5"], n=20, mixing=W, **spec)


FAMILIES = [gaussian, poisson, categorical]


@pytest.mark.parametrize("build", FAMILIES)
def test_a_per_model_spec_swept_over_beta_equals_the_recursion_at_each_point(build):
    eco = build(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(4, 5)]}, beta=Q(1, 2))
    betas = [0.25, 0.75]
    grid = numerics.sweep(eco, {"beta": betas}, ["mean", "spread"], rounds=ROUNDS, progress=False)
    for i, b in enumerate(betas):
        at = numerics.iterate_moments(eco.with_options(beta=b), ROUNDS)
        np.testing.assert_allclose(grid["mean"][i], at.mean[-1].reshape(grid["mean"][i].shape), rtol=1e-12)


@pytest.mark.parametrize("build", FAMILIES)
def test_one_models_alpha_swept_equals_the_per_model_spec_at_each_point(build):
    eco = build(alpha=Q(1, 2), beta=Q(1, 2), public_size=10)  # beta_1 per model: the public dataset's own size
    values = [0.1, 0.5, 0.9]
    grid = numerics.sweep(eco, {"alpha[1]": values, "beta[2]": [0.3]}, ["mean"], rounds=ROUNDS, progress=False)
    for i, a in enumerate(values):
        by_hand = eco.with_options(alpha={"per_model": [Q(1, 2), a, Q(1, 2)]}, beta={"per_model": [0.5, 0.5, 0.3]})
        at = numerics.iterate_moments(by_hand, ROUNDS)
        np.testing.assert_allclose(grid["mean"][i, 0], at.mean[-1].reshape(grid["mean"][i, 0].shape), rtol=1e-12)
    assert not np.allclose(grid["mean"][0, 0], grid["mean"][2, 0])  # the axis moves the numbers


def test_the_population_maps_spectral_radius_is_that_of_diag_alpha_w():
    eco = gaussian(alpha=Q(1, 2), beta=Q(1, 2)).with_options(n=None)
    values = [0.2, 0.7, 1.0]
    grid = numerics.sweep(eco, {"alpha[0]": values}, ["spectral_radius"], rounds=50, population=True, progress=False)
    for i, a in enumerate(values):
        multipliers = np.linalg.eigvals(np.diag([a, 0.5, 0.5]) @ np.array(W, dtype=float))
        assert grid["spectral_radius"][i] == pytest.approx(np.abs(multipliers).max(), abs=1e-12)


def test_a_monte_carlo_point_is_the_simulation_of_the_per_model_spec_with_the_same_seed():
    """A W without zeros: simulate draws one source per edge of W, a sweep's point all K^2 pairs (W is a value it
    may sweep), the same sources in the same order only where W has no zeros (numerics.poisson.monte_carlo)."""
    full = [[Q(1, 2), Q(1, 4), Q(1, 4)], [Q(1, 4), Q(1, 2), Q(1, 4)], [Q(1, 5), Q(2, 5), Q(2, 5)]]
    eco = poisson(alpha=Q(1, 2), beta=Q(1, 2)).with_options(mixing=full)
    grid = numerics.sweep(eco, {"alpha[2]": [0.9]}, ["mc_mean"], rounds=ROUNDS, progress=False, replicates=64, seed=3)
    by_hand = eco.with_options(alpha={"per_model": [Q(1, 2), Q(1, 2), Q(9, 10)]})
    run = numerics.simulate(by_hand, ROUNDS, key=3, replicates=64)
    np.testing.assert_allclose(grid["mc_mean"][0], run.rates[:, -1].mean(0), rtol=1e-12)


@pytest.mark.parametrize(
    ("spec", "axes", "message"),
    [
        ({}, {"alpha[3]": [0.5]}, "axes.alpha[3]: names model 3; the models are 0..2"),
        ({}, {"alpha": [0.5], "alpha[0]": [0.2]}, "axes.alpha: cannot sweep alpha and one model's alpha together"),
        ({}, {"beta[1]": [1.5]}, "axes.beta[1]: values must lie in [0, 1]"),
        ({"alpha": {"per_model": [0.1, 0.2, 0.3]}}, {"alpha": [0.5]}, "sweep one model's as alpha[k]"),
        ({}, {"alpha[1]": [0.2], "K": [2, 3]}, "axes.alpha[1]: a K axis takes one alpha and beta for all models"),
        ({}, {"beta[1]": [0.2]}, "axes.beta[1]: at 0.2: public.size: the models' public shares"),
    ],
)
def test_bad_per_model_axes_are_refused_naming_the_axis(spec, axes, message):
    eco = poisson(**({"alpha": Q(1, 2), "beta": Q(1, 2)} | spec))
    with pytest.raises(SpecError, match=message.replace("[", r"\[").replace("]", r"\]")):
        numerics.sweep(eco, axes, ["mean"], rounds=ROUNDS, progress=False)
