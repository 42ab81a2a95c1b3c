"""The long run of a Poisson ecosystem: the named quantities (:mod:`theory.named`) ``derive`` reports.

At the population map's fixed point (for constant alpha < 1, lambda* = (I - alpha W)^-1 R r):

====================  ==============  ====================================================================
``rate``              model           lambda_k*
``squared_distance``  model x model2  (lambda_k* - lambda_l*)^2 (homogenisation)
``cross_task_kl``     model x task    KL(Poisson(r_j) || Poisson(lambda_k*)) = r_j log(r_j / lambda_k*) - r_j
                                      + lambda_k*, tasks j: private 1..K, public (0 log 0 = 0; inf where
                                      lambda_k* = 0 < r_j)
====================  ==============  ====================================================================

At the exact moment recursion's fixed point (finite n; reached from any start when alpha < 1, as its linear part
has spectral radius rho(alpha W)^2 < 1):

====================  ==============  ====================================================================
``rate``              model           E lambda_k
``rate_variance``     model           Var lambda_k
``squared_distance``  model x model2  E(lambda_k - lambda_l)^2 = (E lambda_k - E lambda_l)^2 + C_kk + C_ll - 2 C_kl
====================  ==============  ====================================================================
"""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.named import NamedAnswer, Quantity, model_axis, pairs, task_axis
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


def long_run(eco: Ecosystem, fmap: SymbolicMap, point: dict) -> NamedAnswer:
    """The named quantities (module docstring) at ``point`` ({state symbol: value}, e.g. the fixed point of
    ``fmap``), a state of the population map or of the moment recursion of ``eco``."""
    parts = fmap.unpack(point)
    K, model = eco.K, model_axis(eco)
    if fmap.name == "population":
        rates = parts["rates"]
        tasks = [s.rate for s in (*eco.private, eco.public)]
        return NamedAnswer(
            "population",
            {
                "rate": Quantity(rates, "lambda_k*, model k's limiting rate", (model,)),
                "squared_distance": Quantity(
                    sympy.Matrix(K, K, lambda k, l: (rates[k] - rates[l]) ** 2),
                    "(lambda_k* - lambda_l*)^2 between the limiting rates",
                    pairs(eco),
                ),
                "cross_task_kl": Quantity(
                    sympy.Matrix(K, K + 1, lambda k, j: _kl(tasks[j], rates[k])),
                    "KL(Poisson(r_j) || Poisson(lambda_k*)): what model k's limit loses on task j",
                    (model, task_axis(eco)),
                ),
            },
        )
    mean, cov = parts["mean"], parts["cov"]
    return NamedAnswer(
        "moments",
        {
            "rate": Quantity(mean, "E[lambda_k], model k's expected fitted rate", (model,)),
            "rate_variance": Quantity(
                sympy.Matrix(K, 1, lambda k, _: cov[k, k]), "Var(lambda_k), the variance of model k's rate", (model,)
            ),
            "squared_distance": Quantity(
                sympy.Matrix(K, K, lambda k, l: (mean[k] - mean[l]) ** 2 + cov[k, k] + cov[l, l] - 2 * cov[k, l]),
                "E(lambda_k - lambda_l)^2 between the fitted rates",
                pairs(eco),
            ),
        },
    )


def stationary_moments(eco: Ecosystem) -> NamedAnswer:
    """``rate``, ``rate_variance`` and ``squared_distance`` at the fixed point of the exact moment recursion
    (finite n), simplified; raises :class:`theory.NoUniqueFixedPoint` where there is none (alpha = 1: the
    variance grows without bound)."""
    fmap = moment_map(eco)
    return long_run(eco, fmap, fixed_point(fmap)).tidied()


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K: E(lambda_k - lambda_l)^2 at the fixed point of the exact moment recursion."""
    return stationary_moments(eco)["squared_distance"]
