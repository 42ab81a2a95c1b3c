"""Closed-form long-run quantities, from the fixed point of the population map and of the moment recursion.

* :func:`long_run` -- the named quantities (:mod:`theory.named`) at a fixed point of either map:

  population map (n infinite; m_k*, S_k* model k's limiting fit):

  ===================  ===========================  =====================================================
  ``mean``             model x component            m_k*, the limiting mean
  ``covariance``       model x component x comp.2   S_k*, the limiting covariance
  ``squared_distance`` model x model2               ||m_k* - m_l*||^2 (homogenisation)
  ``cross_task_kl``    model x task                 KL(task j || N(m_k*, S_k*)), tasks: private 1..K, public
  ===================  ===========================  =====================================================

  moment recursion (finite n; its stationary law):

  ===================  ===========================  =====================================================
  ``mean``             model x component            E[m_k]
  ``mean_variance``    model x component x comp.2   Cov(m_k), the variance of model k's fitted mean
  ``covariance``       model x component x comp.2   E[S_k] = c_k E[U_k] (the estimator's factor c_k)
  ``squared_distance`` model x model2               E||m_k - m_l||^2 = ||E m_k - E m_l||^2 + tr(C_kk + C_ll - 2 C_kl)
  ===================  ===========================  =====================================================

* :func:`limiting_fit` -- each model's limiting mean m_k* and covariance S_k*;
* :func:`homogenisation` -- squared distances ||m_k* - m_l*||^2 between the models' limits, and
  :func:`stationary_spread` at finite n the expected squared distance E||m_k - m_l||^2 at stationarity;
* :func:`cross_task_kl` -- KL(task_j || model_k) for every task j (the private sources, then the public one):
  KL(N(mu, Sigma) || N(m, S)) = (tr(S^-1 Sigma) + (m - mu)^T S^-1 (m - mu) - d + log det S - log det Sigma) / 2;
* :func:`cross_task_log_likelihood` -- E_{x ~ task j} log N(x; m_k, S_k), the expected log-likelihood.
"""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.gaussian.maps import block, estimator_factor
from interplay.theory.maps import moment_map, population_map
from interplay.theory.named import (
    NamedAnswer,
    Quantity,
    diagonal_blocks,
    index_axis,
    model_axis,
    pairs,
    per_model,
    task_axis,
    tidy,
)
from interplay.theory.spec import Ecosystem
from interplay.theory.symbolic import SymbolicMap


def _fit(eco: Ecosystem, parts: dict) -> tuple[list[sympy.Matrix], list[sympy.Matrix]]:
    d = eco.dim
    return [block(parts["mean"], k, d) for k in range(eco.K)], [block(parts["cov"], k, d) for k in range(eco.K)]


def limiting_fit(eco: Ecosystem) -> tuple[list[sympy.Matrix], list[sympy.Matrix]]:
    """The population map's fixed point: ([m_1*, ..., m_K*], [S_1*, ..., S_K*])."""
    fmap = population_map(eco)
    return _fit(eco, fmap.unpack(fixed_point(fmap)))


def _pairwise(values: list[sympy.Expr], distance) -> sympy.Matrix:
    K = len(values)
    return sympy.Matrix(K, K, lambda k, l: distance(values[k], values[l]))


def _squared_distances(means: list[sympy.Matrix]) -> sympy.Matrix:
    return _pairwise(means, lambda a, b: ((a - b).T @ (a - b))[0, 0])


def homogenisation(eco: Ecosystem) -> sympy.Matrix:
    """K x K matrix of ||m_k* - m_l*||^2 between the limiting means of the population map."""
    return _squared_distances(limiting_fit(eco)[0]).applyfunc(sympy.simplify)


def _expected_squared_distances(eco: Ecosystem, mean: sympy.Matrix, cov: sympy.Matrix) -> sympy.Matrix:
    """E||m_k - m_l||^2 from E m (Kd x 1) and Cov m (Kd x Kd)."""
    d = eco.dim

    def spread(k, l):
        gap = block(mean, k, d) - block(mean, l, d)
        rows_k, rows_l = slice(k * d, (k + 1) * d), slice(l * d, (l + 1) * d)
        trace = (cov[rows_k, rows_k] + cov[rows_l, rows_l] - 2 * cov[rows_k, rows_l]).trace()
        return (gap.T @ gap)[0, 0] + trace

    return sympy.Matrix(eco.K, eco.K, spread)


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K matrix of E||m_k - m_l||^2 at the fixed point of the exact finite-n moment recursion."""
    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    return _expected_squared_distances(eco, parts["mean"], parts["cov"]).applyfunc(sympy.simplify)


def _tasks(eco: Ecosystem):
    return list(eco.private) + [eco.public]


def _log_likelihoods(eco: Ecosystem, means, covs) -> sympy.Matrix:
    """[k, j] = E_{x ~ task j} log N(x; m_k, S_k) = -(d log 2 pi + log det S + tr(S^-1 Sigma_j)
    + (m - mu_j)^T S^-1 (m - mu_j)) / 2."""
    d = eco.dim

    def loglik(task, m, S):
        gap = m - task.mean
        S_inv = S.inv()
        quadratic = (S_inv * task.cov).trace() + (gap.T * S_inv * gap)[0, 0]
        return -(d * sympy.log(2 * sympy.pi) + sympy.log(S.det()) + quadratic) / 2

    tasks = _tasks(eco)
    return sympy.Matrix(eco.K, len(tasks), lambda k, j: sympy.expand(loglik(tasks[j], means[k], covs[k])))


def _kl_table(eco: Ecosystem, means, covs) -> sympy.Matrix:
    """[k, j] = KL(task j || N(m_k, S_k)) = -E_{task j} log q_k - H(task j), with the task's entropy
    H = (d (1 + log 2 pi) + log det Sigma_j) / 2."""
    loglik = _log_likelihoods(eco, means, covs)
    d = eco.dim
    entropy = [(d * (1 + sympy.log(2 * sympy.pi)) + sympy.log(task.cov.det())) / 2 for task in _tasks(eco)]
    return sympy.Matrix(eco.K, len(entropy), lambda k, j: sympy.expand(-loglik[k, j] - entropy[j]))


def cross_task_log_likelihood(eco: Ecosystem) -> sympy.Matrix:
    """K x (K+1) matrix: entry [k, j] is E_{x ~ task j} log N(x; m_k*, S_k*), tasks = private_1..K, public."""
    return tidy(_log_likelihoods(eco, *limiting_fit(eco)))


def cross_task_kl(eco: Ecosystem) -> sympy.Matrix:
    """K x (K+1) matrix: entry [k, j] is KL(task j || model k*) (module docstring)."""
    return tidy(_kl_table(eco, *limiting_fit(eco)))


def long_run(eco: Ecosystem, fmap: SymbolicMap, point: dict) -> NamedAnswer:
    """The named quantities (module docstring) at ``point`` ({state symbol: value}), a state of the population
    map or of the moment recursion ``fmap`` of ``eco`` (raw expressions: :func:`theory.long_run` tidies them)."""
    parts = fmap.unpack(point)
    d = eco.dim
    model, components = model_axis(eco), (index_axis("component", d), index_axis("component2", d))
    if fmap.name == "population":
        means, covs = _fit(eco, parts)
        return NamedAnswer(
            "population",
            {
                "mean": Quantity(
                    per_model(eco, parts["mean"]), "m_k*, model k's limiting mean", (model, components[0])
                ),
                "covariance": Quantity(covs, "S_k*, model k's limiting covariance", (model, *components)),
                "squared_distance": Quantity(
                    _squared_distances(means), "||m_k* - m_l*||^2 between the limiting means", pairs(eco)
                ),
                "cross_task_kl": Quantity(
                    _kl_table(eco, means, covs),
                    "KL(task j || N(m_k*, S_k*)): what model k's limit loses on task j",
                    (model, task_axis(eco)),
                ),
            },
        )
    factor = estimator_factor(eco, parts["nu"])
    return NamedAnswer(
        "moments",
        {
            "mean": Quantity(
                per_model(eco, parts["mean"]), "E[m_k], model k's expected fitted mean", (model, components[0])
            ),
            "mean_variance": Quantity(
                diagonal_blocks(eco, parts["cov"]),
                "Cov(m_k), the variance of model k's fitted mean",
                (model, *components),
            ),
            "covariance": Quantity(
                [factor[k, 0] * block(parts["scatter"], k, d) for k in range(eco.K)],
                "E[S_k], model k's expected fitted covariance",
                (model, *components),
            ),
            "squared_distance": Quantity(
                _expected_squared_distances(eco, parts["mean"], parts["cov"]),
                "E||m_k - m_l||^2 between the fitted means",
                pairs(eco),
            ),
        },
    )
