"""The long run of a Markov ecosystem: the stationary distribution of a fitted chain, the population fixed point
of the rows design and the collapse facts of the one-model, synthetic-only chain (:mod:`theory.markov.maps`).

* ``stationary_distribution(P)``: the row vector pi with pi P = pi, sum pi = 1 (unique when P has one closed
  class; SpecError naming ``transitions`` otherwise).
* ``population_fixed_point(eco)``: for constant alpha < 1 in the rows design, row s of the K models solves
  P[s] = R Q[s] + alpha W P[s], so P*[s] = (I - alpha W)^-1 R Q[s]: a mix of the real rows, never absorbing where
  the real rows are not (``theory.categorical``'s fixed point, row by row).
* ``wright_fisher_factor(n)``: with K = 1, alpha = 1 (so W = [[1]], no real data after the initial fit) every row
  of the rows design is refitted on n draws of itself: E[P_t[s, i] | P_{t-1}] = P_{t-1}[s, i] (a martingale) and
  E[P_t[s, i] (1 - P_t[s, i])] = (1 - 1/n) E[P_{t-1}[s, i] (1 - P_{t-1}[s, i])], so each row's heterozygosity
  decays geometrically to 0: the row is absorbed at a deterministic row e_i, with probability E P_0[s, i]
  (bounded martingale). The limit chain is a deterministic map of the states: its stationary laws are uniform
  on its cycles, and a state that is absorbing (P[s, s] = 1) carries a point mass (the stationary distribution
  collapses).
"""

from __future__ import annotations

import sympy

from interplay.theory.markov.maps import moment_map, real_transitions, require_rows, source_weights
from interplay.theory.named import NamedAnswer, Quantity, index_axis, model_axis, pairs
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError


def stationary_distribution(P: sympy.MatrixBase) -> sympy.Matrix:
    """1 x m: the unique pi >= 0 with pi P = pi, sum pi = 1 (exact); SpecError naming ``transitions`` when the
    chain has several stationary laws (more than one closed class)."""
    m = P.shape[0]
    system = (P.T - sympy.eye(m)).col_join(sympy.ones(1, m))
    rhs = sympy.zeros(m, 1).col_join(sympy.ones(1, 1))
    if system.rank() < m:
        raise SpecError("transitions", "the chain has several stationary distributions (several closed classes)")
    solution = (system.T * system).LUsolve(system.T * rhs)
    return sympy.simplify(solution.T)


def population_fixed_point(eco: Ecosystem) -> list[sympy.Matrix]:
    """The K transition matrices at the population map's fixed point, rows design, constant alpha < 1: row s of
    the models stacked is (I - G)^-1 R Q[s], G = alpha W (module docstring)."""
    require_rows(eco, "the closed-form fixed point")
    if not eco.is_constant:
        raise SpecError("alpha", "the fixed point needs constant alpha and beta")
    K, m = eco.K, eco.family.m
    W = source_weights(plan_at(eco, 1, population=True))
    G, Rw = W[:, K + 1 :], W[:, : K + 1]
    if (sympy.eye(K) - G).det() == 0:
        raise SpecError("alpha", "alpha = 1 has no unique fixed point (the rows are martingales: collapse)")
    inverse = (sympy.eye(K) - G).inv()
    Q = real_transitions(eco)
    rows = [inverse * Rw * sympy.Matrix([list(q.row(s)) for q in Q]) for s in range(m)]
    return [sympy.Matrix([list(rows[s].row(k)) for s in range(m)]) for k in range(K)]


def wright_fisher_factor(n) -> sympy.Expr:
    """1 - 1/n: the factor by which E[P[s, i] (1 - P[s, i])] shrinks per round (one model, alpha = 1, rows)."""
    return 1 - sympy.Integer(1) / n


def long_run(eco: Ecosystem, fmap, point: dict) -> NamedAnswer:
    """The named quantities at a state ``point`` of the population map (e.g. its fixed point):

    ``transitions``       model x state x next   P_k*
    ``stationary``        model x state          the stationary distribution of P_k* (where unique)
    ``squared_distance``  model x model2         ||P_k* - P_l*||_F^2 (homogenisation)

    The moment recursion is refused (:func:`theory.markov.maps.moment_map`)."""
    if fmap.name != "population":
        moment_map(eco)
    K, m = eco.K, eco.family.m
    stacked = fmap.unpack(point)["transitions"]
    P = [stacked[k * m : (k + 1) * m, :] for k in range(K)]
    states = index_axis("state", m)
    return NamedAnswer(
        "population",
        {
            "transitions": Quantity(
                P, "P_k*, model k's limiting transition matrix", (model_axis(eco), states, index_axis("next", m))
            ),
            "stationary": Quantity(
                sympy.Matrix.vstack(*(stationary_distribution(Q) for Q in P)),
                "the stationary distribution of model k's limiting chain",
                (model_axis(eco), states),
            ),
            "squared_distance": Quantity(
                sympy.Matrix(K, K, lambda k, l: sum(x**2 for x in P[k] - P[l])),
                "||P_k* - P_l*||^2 between the limiting transition matrices (Frobenius)",
                pairs(eco),
            ),
        },
    )


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """Refused: the family has no finite-n moment recursion of its own (:func:`theory.markov.maps.moment_map`)."""
    moment_map(eco)
