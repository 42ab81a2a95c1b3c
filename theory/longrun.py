"""The long run of an ecosystem, whatever its family (each family's hooks in :mod:`interplay.theory.registry`).

* :func:`long_run` -- the named quantities (:mod:`theory.named`) at the fixed point of the population map
  (``of="population"``: the limiting fits, how far the models end apart, cross-task losses...) or of the exact
  finite-n moment recursion (``of="moments"``: each model's expected fit, the variance of its fit, expected
  distances...), each family's ``longrun`` module naming its own, with the ``spectral_radius`` of the map's
  Jacobian there and the ``stability_condition`` rho < 1, as ``interplay derive`` reports them;
* :func:`stationary_spread` -- the models' diversity at finite n: E||theta_k - theta_l||^2 at the fixed point
  of the exact moment recursion, a K x K matrix.
"""

from __future__ import annotations

import sympy

from interplay.theory import registry
from interplay.theory.analysis import fixed_point, spectral_radius, stability_condition
from interplay.theory.maps import moment_map, population_map
from interplay.theory.named import NamedAnswer, Quantity
from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.symbolic import SymbolicMap

KINDS = ("population", "moments")


def named_quantities(fmap: SymbolicMap, point: dict) -> NamedAnswer:
    """The family's named quantities at ``point`` ({state symbol: value}, a fixed point of ``fmap``),
    simplified, with the ``spectral_radius`` and the ``stability_condition`` of ``fmap`` there."""
    eco = fmap.ecosystem
    answer = registry.family(eco).long_run(eco, fmap, point).tidied()
    return answer.with_quantities(
        spectral_radius=Quantity(spectral_radius(fmap, point), "rho, the largest |multiplier| of the map there"),
        stability_condition=Quantity(stability_condition(fmap, point), "rho < 1: the fixed point is linearly stable"),
    )


def long_run(eco: Ecosystem, of: str = "population") -> NamedAnswer:
    """The named long-run quantities at the fixed point of the population map (``of="population"``) or of the
    exact moment recursion at finite n (``of="moments"``); ``answer.describe()`` lists their meanings. Raises
    :class:`~interplay.theory.analysis.NoUniqueFixedPoint` where there is no fixed point or several."""
    if of not in KINDS:
        raise SpecError("of", f"must be one of {KINDS}, got {of!r}")
    if of == "population" and hasattr(eco.family, "require_closed_population"):
        eco.family.require_closed_population(eco)  # e.g. Gaussian threshold curation: erfc, no closed-form solution
    fmap = population_map(eco) if of == "population" else moment_map(eco)
    return named_quantities(fmap, fixed_point(fmap))


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K: E||theta_k - theta_l||^2 between the models' fitted parameters in the stationary law of the exact
    finite-n process (zero on the diagonal)."""
    return registry.family(eco).stationary_spread(eco)
