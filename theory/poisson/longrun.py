"""The long run of a Poisson ecosystem: the named quantities ``derive`` reports.

At the population map's fixed point (for constant alpha < 1, lambda* = (I - alpha W)^-1 R r):

* ``limiting_rates``  K x 1, lambda_k*;
* ``squared_gaps``    K x K, (lambda_k* - lambda_l*)^2 (homogenisation);
* ``cross_task_kl``   K x (K+1), KL(Poisson(r_j) || Poisson(lambda_k*)) = r_j log(r_j / lambda_k*) - r_j + lambda_k*
                      [k, j], tasks j: the private sources, then the public one (0 log 0 = 0; inf where
                      lambda_k* = 0 < r_j).

At the exact moment recursion's fixed point (finite n; reached from any start when alpha < 1, as its linear part
has spectral radius rho(alpha W)^2 < 1):

* ``mean``      K x 1, E lambda_k;
* ``variance``  K x 1, Var lambda_k;
* ``spread``    K x K, E(lambda_k - lambda_l)^2 = (E lambda_k - E lambda_l)^2 + C_kk + C_ll - 2 C_kl.
"""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.poisson.maps import moment_map
from interplay.theory.spec import Ecosystem
from interplay.theory.symbolic import SymbolicMap


def _kl(task, rate):
    """KL(Poisson(task) || Poisson(rate))."""
    if task == 0:
        return rate
    if rate == 0:
        return sympy.oo
    return sympy.simplify(task * sympy.log(task / rate) - task + rate)


def long_run(eco: Ecosystem, fmap: SymbolicMap, point: dict) -> dict[str, sympy.Matrix]:
    """The named quantities (module docstring) at ``point`` ({state symbol: value}, e.g. the fixed point of
    ``fmap``), a state of the population map or of the moment recursion of ``eco``."""
    parts = fmap.unpack(point)
    K = eco.K
    if fmap.name == "population":
        rates = parts["rates"].applyfunc(sympy.simplify)
        tasks = [s.rate for s in (*eco.private, eco.public)]
        return {
            "limiting_rates": rates,
            "squared_gaps": sympy.Matrix(K, K, lambda k, l: sympy.simplify((rates[k] - rates[l]) ** 2)),
            "cross_task_kl": sympy.Matrix(K, K + 1, lambda k, j: _kl(tasks[j], rates[k])),
        }
    mean, cov = parts["mean"], parts["cov"]

    def spread(k, l):
        return sympy.simplify((mean[k] - mean[l]) ** 2 + cov[k, k] + cov[l, l] - 2 * cov[k, l])

    return {
        "mean": mean.applyfunc(sympy.simplify),
        "variance": sympy.Matrix(K, 1, lambda k, _: sympy.simplify(cov[k, k])),
        "spread": sympy.Matrix(K, K, spread),
    }


def stationary_moments(eco: Ecosystem) -> dict[str, sympy.Matrix]:
    """``mean``, ``variance`` and ``spread`` at the fixed point of the exact moment recursion (finite n); raises
    :class:`theory.NoUniqueFixedPoint` where there is none (alpha = 1: the variance grows without bound)."""
    fmap = moment_map(eco)
    return long_run(eco, fmap, fixed_point(fmap))


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K: E(lambda_k - lambda_l)^2 at the fixed point of the exact moment recursion."""
    return stationary_moments(eco)["spread"]
