"""The named long-run quantities of a Poisson ecosystem, at a fixed point of its population map or of its exact
moment recursion (what ``derive`` reports):

* ``mean``      K x 1, each model's E lambda_k (the limiting rate lambda_k* of the population map);
* ``variance``  K x 1, Var lambda_k (0 for the population map);
* ``spread``    K x K, E(lambda_k - lambda_l)^2 = (E lambda_k - E lambda_l)^2 + C_kk + C_ll - 2 C_kl
                (homogenisation; (lambda_k* - lambda_l*)^2 for the population map).

For constant alpha < 1 the population map's fixed point is lambda* = (I - alpha W)^-1 R r; the moment
recursion's is reached from any start as its linear part G (x) G has spectral radius rho(G)^2 < 1.
"""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.poisson.maps import population_map
from interplay.theory.spec import Ecosystem
from interplay.theory.symbolic import SymbolicMap


def long_run(eco: Ecosystem, fmap: SymbolicMap, point: dict) -> dict[str, sympy.Matrix]:
    """{"mean", "variance", "spread"} at ``point`` ({state symbol: value}, e.g. :func:`theory.fixed_point` of
    ``fmap``), a state of the population map or of the moment recursion of ``eco``."""
    parts = fmap.unpack(point)
    K = eco.K
    if fmap.name == "population":
        mean, cov = parts["rates"], sympy.zeros(K, K)
    else:
        mean, cov = parts["mean"], parts["cov"]

    def spread(k, l):
        return sympy.simplify((mean[k] - mean[l]) ** 2 + cov[k, k] + cov[l, l] - 2 * cov[k, l])

    return {
        "mean": sympy.Matrix(K, 1, lambda k, _: sympy.simplify(mean[k])),
        "variance": sympy.Matrix(K, 1, lambda k, _: sympy.simplify(cov[k, k])),
        "spread": sympy.Matrix(K, K, spread),
    }


def limiting_rates(eco: Ecosystem) -> sympy.Matrix:
    """The population map's fixed point lambda* (K x 1); raises :class:`theory.NoUniqueFixedPoint` where there is
    none (alpha = 1: every consensus is fixed)."""
    fmap = population_map(eco)
    return fmap.unpack(fixed_point(fmap))["rates"]
