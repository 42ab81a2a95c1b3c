"""The categorical population map where it has no closed form (tau != 1): p^(1/tau) computed stably at any tau,
numerical fixed points equal to the closed form where there is one, and a bounded symbolic map."""

import numpy as np
import pytest
import sympy

import interplay.numerics as numerics
from interplay.numerics.categorical.fixed_points import categorical_fixed_points
from interplay.numerics.driver.jax_ops import JAX
from interplay.theory import SpecError, eigenvalues, fixed_point, population_map
from interplay.theory.categorical.maps import categorical_ecosystem


def pair(temperature=1, **options):
    """Model 1 never sees category 4, model 2 never category 1; the public data show categories 2 and 3."""
    options = {"alpha": 0.5, "beta": 0.8} | options
    return categorical_ecosystem(
        [[0.4, 0.3, 0.3, 0.0], [0.0, 0.3, 0.3, 0.4]], [0.0, 0.5, 0.5, 0.0], temperature=temperature, **options
    )


def test_tempered_probabilities_are_finite_at_any_temperature():
    rows = np.array([[0.7, 0.2, 0.1, 0.0], [0.25, 0.25, 0.5, 0.0]])
    np.testing.assert_allclose(JAX.tempered(rows, 2.0), (rows**2) / (rows**2).sum(1, keepdims=True), rtol=1e-15)
    # 1/tau = 1e300 (p^(1e300) is 0/0 in floats): the argmax; beyond (tau = 5e-324, 1/tau = inf) the same
    for exponent in (1e300, np.inf):
        np.testing.assert_array_equal(JAX.tempered(rows, exponent), [[1, 0, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_allclose(JAX.tempered(rows, 1e-300), [[1 / 3, 1 / 3, 1 / 3, 0]] * 2, rtol=1e-15)


def test_population_map_and_monte_carlo_at_a_vanishing_temperature_are_finite():
    eco = pair(temperature=1e-300)
    limit = numerics.iterate_population(eco, 50).mean[-1]  # NaN before: p^(1e300) underflows to 0 / 0
    np.testing.assert_allclose(limit, [[0.16, 0.42, 0.42, 0.0], [0.0, 0.42, 0.42, 0.16]], atol=1e-15)
    mc = numerics.simulate(eco.with_options(n=20), 3, key=0, replicates=8)
    assert np.all(np.isfinite(mc.probs)) and np.allclose(mc.probs.sum(-1), 1, atol=1e-12)


def test_numerical_fixed_points_equal_the_closed_form_at_temperature_one():
    eco = pair()
    fmap = population_map(eco)
    point = fixed_point(fmap)
    exact = np.array(fmap.unpack(point)["probs"], dtype=float)
    (found,) = categorical_fixed_points(eco)
    assert found.reached
    np.testing.assert_allclose(found.probs, exact, atol=1e-14)
    moduli = sorted(abs(complex(v)) for v, count in eigenvalues(fmap, point).items() for _ in range(count))
    np.testing.assert_allclose(sorted(np.abs(found.multipliers)), moduli, atol=1e-12)


def test_numerical_fixed_points_and_multipliers_solve_the_symbolic_map_at_tau_one_half():
    """tau = 1/2 (pi = p^2 renormalised): three interior fixed points; each solves the sympy map F(p) = p, and its
    multipliers are the eigenvalues of the sympy Jacobian there. The round-0 fit, symmetric in categories 2 and
    3, reaches the symmetric one, which is unstable across that symmetry (the other two are stable)."""
    eco = pair(temperature=0.5)
    fmap = population_map(eco)
    points = categorical_fixed_points(eco)
    assert len(points) == 3 and sum(p.reached for p in points) == 1
    for p in points:
        free = np.asarray(p.probs)[:, :-1].ravel()  # the map's state: p_k1 .. p_k,m-1
        at = dict(zip(fmap.state, map(sympy.Float, free)))
        np.testing.assert_allclose([float(u.xreplace(at)) for u in fmap.update], free, atol=1e-12)
        moduli = sorted(abs(complex(v)) for v, count in eigenvalues(fmap, at).items() for _ in range(count))
        np.testing.assert_allclose(sorted(np.abs(p.multipliers)), moduli, atol=1e-9)
    assert [p.spectral_radius > 1 for p in points] == [p.reached for p in points]


def test_the_symbolic_map_refuses_powers_it_cannot_expand():
    with pytest.raises(SpecError, match=r"family.temperature: the symbolic population map at tau = 1e-300"):
        population_map(pair(temperature=1e-300))
    with pytest.raises(SpecError, match=r"family.temperature: .* at tau = 0.01 would expand"):
        population_map(pair(temperature=0.01))
    assert len(population_map(pair(temperature=sympy.Rational(1, 8))).update) == 6  # within the bound
