"""The long run of the categorical family: the limiting distributions, how far apart they are, what they lose of
each task, and the stationary spread of the exact moment recursion."""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.categorical.maps import expected_squared_distance
from interplay.theory.maps import moment_map
from interplay.theory.spec import Ecosystem


def _kl(q, p, m: int):
    """KL(q || p) = sum_i q_i log(q_i / p_i): 0 where q_i = 0, inf where p_i = 0 < q_i."""
    terms = [0 if q[i] == 0 else (sympy.oo if p[i] == 0 else q[i] * sympy.log(q[i] / p[i])) for i in range(m)]
    return sympy.nsimplify(sum(terms)) if all(t.is_number for t in map(sympy.sympify, terms)) else sum(terms)


def long_run(eco: Ecosystem, fmap, point) -> dict:
    """At the population map's fixed point: ``limiting_probs`` (rows: models), ``total_variation`` between them,
    (1/2) sum_i |p_ki - p_li|, and ``cross_task_kl`` KL(task j || model k*) [k, j] (tasks: the private ones,
    then the public; inf where a model gives zero mass to a category the task has)."""
    probs = fmap.unpack(point)["probs"]
    K, m = eco.K, eco.dim
    tv = sympy.Matrix(K, K, lambda k, l: sum(abs(probs[k, i] - probs[l, i]) for i in range(m)) / 2)
    tasks = [s.probs for s in (*eco.private, eco.public)]
    kl = sympy.Matrix(K, len(tasks), lambda k, j: _kl(tasks[j], probs.row(k), m))
    return {"limiting_probs": probs, "total_variation": tv, "cross_task_kl": kl}


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K matrix of E||p_k - p_l||^2 at the fixed point of the exact moment recursion."""
    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    return sympy.Matrix(
        eco.K, eco.K, lambda k, l: sympy.simplify(expected_squared_distance(parts["mean"], parts["cov"], k, l, eco.dim))
    )
