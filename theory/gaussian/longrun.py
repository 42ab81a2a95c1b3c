"""Closed-form long-run quantities, from the fixed point of the population map and of the moment recursion.

* :func:`limiting_fit` -- each model's limiting mean m_k* and covariance S_k*;
* :func:`homogenisation` -- squared distances ||m_k* - m_l*||^2 between the models' limits, and at finite n the
  expected squared distance E||m_k - m_l||^2 = ||E m_k - E m_l||^2 + tr(C_kk + C_ll - 2 C_kl) at stationarity;
* :func:`cross_task_kl` -- KL(task_j || model_k) for every task j (the private sources, then the public one):
  KL(N(mu, Sigma) || N(m, S)) = (tr(S^-1 Sigma) + (m - mu)^T S^-1 (m - mu) - d + log det S - log det Sigma) / 2;
* :func:`cross_task_log_likelihood` -- E_{x ~ task j} log N(x; m_k, S_k), the expected log-likelihood.
"""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.gaussian.maps import block
from interplay.theory.maps import moment_map, population_map
from interplay.theory.spec import Ecosystem


def limiting_fit(eco: Ecosystem) -> tuple[list[sympy.Matrix], list[sympy.Matrix]]:
    """The population map's fixed point: ([m_1*, ..., m_K*], [S_1*, ..., S_K*])."""
    fmap = population_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    d = eco.dim
    return [block(parts["mean"], k, d) for k in range(eco.K)], [block(parts["cov"], k, d) for k in range(eco.K)]


def _pairwise(values: list[sympy.Expr], distance) -> sympy.Matrix:
    K = len(values)
    return sympy.Matrix(K, K, lambda k, l: sympy.simplify(distance(values[k], values[l])))


def homogenisation(eco: Ecosystem) -> sympy.Matrix:
    """K x K matrix of ||m_k* - m_l*||^2 between the limiting means of the population map."""
    means, _ = limiting_fit(eco)
    return _pairwise(means, lambda a, b: ((a - b).T @ (a - b))[0, 0])


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K matrix of E||m_k - m_l||^2 at the fixed point of the exact finite-n moment recursion."""
    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    mean, cov, d = parts["mean"], parts["cov"], eco.dim

    def spread(k, l):
        gap = block(mean, k, d) - block(mean, l, d)
        rows_k, rows_l = slice(k * d, (k + 1) * d), slice(l * d, (l + 1) * d)
        trace = (cov[rows_k, rows_k] + cov[rows_l, rows_l] - 2 * cov[rows_k, rows_l]).trace()
        return sympy.simplify((gap.T @ gap)[0, 0] + trace)

    return sympy.Matrix(eco.K, eco.K, spread)


def _tidy(expression: sympy.Expr) -> sympy.Expr:
    """Simplify a symbolic result; leave a number exact as it is (simplify can stall on logs of big rationals)."""
    return expression if expression.is_number else sympy.simplify(expression)


def _tasks(eco: Ecosystem):
    return list(eco.private) + [eco.public]


def cross_task_log_likelihood(eco: Ecosystem) -> sympy.Matrix:
    """K x (K+1) matrix: entry [k, j] is E_{x ~ task j} log N(x; m_k*, S_k*), tasks = private_1..K, public.

    = -(d log 2 pi + log det S + tr(S^-1 Sigma_j) + (m - mu_j)^T S^-1 (m - mu_j)) / 2.
    """
    means, covs = limiting_fit(eco)
    d = eco.dim

    def loglik(task, m, S):
        gap = m - task.mean
        S_inv = S.inv()
        quadratic = (S_inv * task.cov).trace() + (gap.T * S_inv * gap)[0, 0]
        return -(d * sympy.log(2 * sympy.pi) + sympy.log(S.det()) + quadratic) / 2

    tasks = _tasks(eco)
    return sympy.Matrix(eco.K, len(tasks), lambda k, j: _tidy(sympy.expand(loglik(tasks[j], means[k], covs[k]))))


def cross_task_kl(eco: Ecosystem) -> sympy.Matrix:
    """K x (K+1) matrix: entry [k, j] is KL(task j || model k*) = -E_{task j} log q_k - H(task j), with the
    task's entropy H = (d (1 + log 2 pi) + log det Sigma_j) / 2."""
    loglik = cross_task_log_likelihood(eco)
    d = eco.dim
    entropy = [(d * (1 + sympy.log(2 * sympy.pi)) + sympy.log(task.cov.det())) / 2 for task in _tasks(eco)]
    return sympy.Matrix(eco.K, len(entropy), lambda k, j: _tidy(sympy.expand(-loglik[k, j] - entropy[j])))


def long_run(eco: Ecosystem, fmap, point) -> dict:
    """What ``derive`` reports of the Gaussian long run: ``limiting_means`` and ``limiting_covariances`` (one
    per model), ``homogenisation`` ||m_k* - m_l*||^2 and ``cross_task_kl`` KL(task j || model k*) [k, j]."""
    means, covs = limiting_fit(eco)
    return {
        "limiting_means": means,
        "limiting_covariances": covs,
        "homogenisation": homogenisation(eco),
        "cross_task_kl": cross_task_kl(eco),
    }
