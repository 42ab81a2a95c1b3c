"""Continuation of the Gaussian-mixture family's fixed points in alpha (numerics.gmm.continuation): the branch
against the solver and autodiff at points along it, and the two ends the mathematics fixes.

One small ecosystem, one compilation for the whole branch: K = 1 model (W = I), C = 2, a private source of two
components and a public one of two others (the real training mixture has four components, so the fit is not exact),
beta = 1/2, quadrature of 64 nodes, EM to 1e-13; from alpha = 0 to 0.9 in steps of 0.3.
"""

from __future__ import annotations

import functools

import jax.numpy as jnp
import numpy as np
import pytest

from interplay.numerics.gmm import continuation, population
from interplay.theory import Ecosystem, SpecError
from interplay.theory.spec import PerModel


@functools.cache
def ecosystem():
    return Ecosystem.gaussian_mixture(
        [([0.3, 0.7], [-4, 3], [1, 0.5])],
        ([0.5, 0.5], [-4, 4], [1, 1]),
        alpha=0,
        beta=0.5,
        n=1000,
        em_rounds=1000,
        em_tolerance=1e-13,
        quadrature=64,
    )


@functools.cache
def branch():
    """From a start away from the fixed point at alpha = 0 (the corrector solves for it), up to alpha <= 0.95."""
    start = population.iterate_population(ecosystem(), 0).theta()[0] + np.array([[0.05, -0.05, 0.3, -0.2, 0.1, 0.1]])
    return continuation.continue_alpha(ecosystem(), start, step=0.3, points=4, bounds=(0, 0.95))


def test_the_branch_equals_the_solver_and_autodiff_at_points_along_it():
    """At two alphas on the branch, find_fixed_point (Anderson, from a perturbed start) reaches the continued state
    (both solve F = x to ~1e-11), and the branch's multipliers are the autodiff eigenvalues there
    (numerics.gmm.population.multipliers); the branch spans [0, 0.9] and is stable throughout."""
    b = branch()
    assert b.values[0] == pytest.approx(0, abs=1e-12) and b.values[-1] > 0.85, b.values
    assert np.all(b.stable) and not b.bifurcations
    assert len(b.names) == 5 and b.to_xarray()["states"].dims == ("point", "symbol")
    for i in (1, 2):
        eco = ecosystem().with_options(alpha=float(b.values[i]))
        theta = np.asarray(population.expand(jnp.asarray(b.states[i]), 1, 2))
        found, solved = population.fixed_point(eco, start=theta + 0.01 * np.array([[1, -1, 1, 1, 1, 1]]))
        assert found.converged, found.failure()
        assert np.max(np.abs(np.asarray(found.x) - b.states[i])) < 1e-9
        expected = np.sort_complex(population.multipliers(eco, solved))
        assert np.max(np.abs(np.sort_complex(b.multipliers[i]) - expected)) < 1e-9


def test_the_ends_of_the_branch_are_the_real_fit_and_the_identity():
    """alpha = 0: no synthetic data, so the fixed point is the EM fit of the real mixture itself (the round-0 fit,
    EM from the moment start: a different start from the branch's) and the map is constant (every multiplier 0).
    alpha -> 1 with W = I: EM returns a model trained on itself unchanged, so the map tends to the identity. At a
    fixed point theta* the EM stationarity (1 - alpha) E_r[s] + alpha E_q[s] = 0 (s the score) differentiates to
    dF/dtheta = alpha (alpha I_F + (1 - alpha) A)^(-1) I_F (I_F the Fisher information, A = -E_r[Hessian]), whose
    eigenvalues mu = alpha lambda / (alpha lambda + 1 - alpha) (lambda > 0: I_F v = lambda A v) are real, in
    (0, 1), and 1 - mu = (1 - alpha) / (alpha lambda + 1 - alpha) -> 0 linearly in 1 - alpha; with the real mixture
    near a two-component one lambda is near 1, so 1 - mu <= 1.5 (1 - alpha) from alpha = 1/2 on."""
    b = branch()
    real_fit = population.reduce(jnp.asarray(population.iterate_population(ecosystem(), 0).theta()[0]))
    assert np.max(np.abs(b.states[0] - np.asarray(real_fit))) < 1e-9
    assert np.max(np.abs(b.multipliers[0])) < 1e-10
    mu = b.multipliers[1:]
    assert np.max(np.abs(mu.imag)) < 1e-12 and np.all((mu.real > 0) & (mu.real < 1))
    late = b.values >= 0.5
    assert np.all(np.abs(1 - b.multipliers[late]) <= 1.5 * (1 - b.values[late, None]))
    assert np.all(np.diff(mu.real.min(1)) > 0)  # the slowest direction approaches 1 along the branch


def test_continuation_refuses_a_per_model_or_scheduled_alpha_naming_alpha():
    for alpha, reason in ((PerModel([0.2]), "one common alpha"), ([0.2, 0.3], "constant alpha")):
        with pytest.raises(SpecError, match=f"^alpha: .*{reason}"):
            continuation.continue_alpha(ecosystem().with_options(alpha=alpha))
