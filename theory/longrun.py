"""The long run of an ecosystem, whatever its family (each family's hooks in :mod:`interplay.theory.registry`).

* :func:`long_run` -- the named quantities at the population map's fixed point (limiting fits, how far the models
  end apart, cross-task losses...; each family's ``longrun`` module names its own), as ``interplay derive``
  reports them;
* :func:`stationary_spread` -- the models' diversity at finite n: E||theta_k - theta_l||^2 at the fixed point
  of the exact moment recursion, a K x K matrix.
"""

from __future__ import annotations

import sympy

from interplay.theory import registry
from interplay.theory.analysis import fixed_point
from interplay.theory.maps import population_map
from interplay.theory.spec import Ecosystem


def long_run(eco: Ecosystem) -> dict:
    """{name: sympy value} at the fixed point of the population map of round t (raises
    :class:`~interplay.theory.analysis.NoUniqueFixedPoint` where there is none or several)."""
    fmap = population_map(eco)
    return registry.family(eco).long_run(eco, fmap, fixed_point(fmap))


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K: E||theta_k - theta_l||^2 between the models' fitted parameters in the stationary law of the exact
    finite-n process (zero on the diagonal)."""
    return registry.family(eco).stationary_spread(eco)
