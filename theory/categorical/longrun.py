"""The long run of the categorical family: the named quantities (:mod:`theory.named`) at a fixed point.

Population map (n infinite; p_k* model k's limiting distribution over the m categories):

====================  ==================  ===========================================================
``probs``             model x category    p_k*
``squared_distance``  model x model2      ||p_k* - p_l*||^2
``total_variation``   model x model2      (1/2) sum_i |p_ki* - p_li*|
``cross_task_kl``     model x task        KL(task j || p_k*), tasks: private 1..K, public (inf where
                                          p_k* gives zero mass to a category task j has)
====================  ==================  ===========================================================

Exact moment recursion (finite n, tau = 1; its stationary law; p = s F + (1 - s)/m the smoothed fit):

====================  ==========================  ===================================================
``probs``             model x category            E[p_k]
``probs_covariance``  model x category x cat.2    Cov(p_k)
``squared_distance``  model x model2              E||p_k - p_l||^2
``diversity``         model                       E[1 - sum_i p_ki^2] (Gini-Simpson)
====================  ==========================  ===================================================
"""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.categorical.maps import (
    Moments,
    expected_diversity,
    expected_squared_distance,
    fitted_moments,
)
from interplay.theory.maps import moment_map
from interplay.theory.named import NamedAnswer, Quantity, diagonal_blocks, index_axis, model_axis, pairs, task_axis
from interplay.theory.spec import Ecosystem
from interplay.theory.symbolic import SymbolicMap


def _kl(q, p, m: int):
    """KL(q || p) = sum_i q_i log(q_i / p_i): 0 where q_i = 0, inf where p_i = 0 < q_i (a float 0.0 too)."""

    def zero(x):
        return sympy.sympify(x).is_zero is True

    terms = [0 if zero(q[i]) else (sympy.oo if zero(p[i]) else q[i] * sympy.log(q[i] / p[i])) for i in range(m)]
    exact = all(t.is_number and not t.atoms(sympy.Float) for t in map(sympy.sympify, terms))
    return sympy.nsimplify(sum(terms)) if exact else sum(terms)


def population_quantities(eco: Ecosystem, probs: sympy.Matrix) -> NamedAnswer:
    """The population quantities (module docstring) of the limiting distributions ``probs`` (K x m, exact or
    float: :mod:`numerics.categorical.derive` passes the fixed points it finds numerically)."""
    K, m = eco.K, eco.dim
    probs = sympy.Matrix(probs)
    tv = sympy.Matrix(K, K, lambda k, l: sum(abs(probs[k, i] - probs[l, i]) for i in range(m)) / 2)
    tasks = [s.probs for s in (*eco.private, eco.public)]
    kl = sympy.Matrix(K, len(tasks), lambda k, j: _kl(tasks[j], probs.row(k), m))
    model = model_axis(eco)
    return NamedAnswer(
        "population",
        {
            "probs": Quantity(probs, "p_k*, model k's limiting distribution", (model, index_axis("category", m))),
            "squared_distance": Quantity(
                sympy.Matrix(K, K, lambda k, l: sum((probs[k, i] - probs[l, i]) ** 2 for i in range(m))),
                "||p_k* - p_l*||^2 between the limits",
                pairs(eco),
            ),
            "total_variation": Quantity(tv, "(1/2) sum_i |p_ki* - p_li*| between the limits", pairs(eco)),
            "cross_task_kl": Quantity(
                kl, "KL(task j || p_k*): what model k's limit loses on task j", (model, task_axis(eco))
            ),
        },
    )


def long_run(eco: Ecosystem, fmap: SymbolicMap, point: dict) -> NamedAnswer:
    """The named quantities (module docstring) at ``point`` ({state symbol: value}), a state of the population
    map or of the moment recursion ``fmap`` of ``eco``."""
    parts = fmap.unpack(point)
    if fmap.name == "population":
        return population_quantities(eco, parts["probs"])
    K, m = eco.K, eco.dim
    mean, cov = fitted_moments(eco, Moments(parts["mean"], parts["cov"], parts["cross"]), 1)
    model, categories = model_axis(eco), (index_axis("category", m), index_axis("category2", m))
    return NamedAnswer(
        "moments",
        {
            "probs": Quantity(
                mean.reshape(K, m), "E[p_k], model k's expected fitted distribution", (model, categories[0])
            ),
            "probs_covariance": Quantity(diagonal_blocks(eco, cov), "Cov(p_k)", (model, *categories)),
            "squared_distance": Quantity(
                sympy.Matrix(K, K, lambda k, l: expected_squared_distance(mean, cov, k, l, m)),
                "E||p_k - p_l||^2 between the fitted distributions",
                pairs(eco),
            ),
            "diversity": Quantity(
                sympy.Matrix(K, 1, lambda k, _: expected_diversity(mean, cov, k, m)),
                "E[1 - sum_i p_ki^2], model k's expected Gini-Simpson diversity",
                (model,),
            ),
        },
    )


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K matrix of E||p_k - p_l||^2 at the fixed point of the exact moment recursion."""
    fmap = moment_map(eco)
    return long_run(eco, fmap, fixed_point(fmap))["squared_distance"].applyfunc(sympy.simplify)
