"""Conditions and closed forms of the linear-Gaussian surrogate's long run, exactly
(Vu, Reeves & Wenger, arXiv 2505.21677).

For constant alpha, beta and fixed designs (``reuse`` or ``fresh``), one update is theta' = P b + Q theta + N X^+ w.

* Convergence: M_t, C_t converge to a unique limit iff rho(Q) < 1 (:func:`converges`). rho(Q) <= 1 always; for
  0 < alpha < 1 and full-rank synthetic Grams, rho(Q) < 1 iff no direction v != 0 is missed by every model's
  weighted real data, i.e. the intersection of null(beta S~_k + (1 - beta) S_*) over k is {0}
  (:func:`uncovered_directions`); at alpha = 1, rho(Q) = 1 (no real-data anchor).
* Unbiasedness: P E b = P (1 (x) theta*) because S S^+ S = S, and when every normal matrix A_k is invertible
  the rows of [P, Q] sum to the identity, P (1 (x) I) + Q (1 (x) I) = 1 (x) I. Hence with every A_{t,k}
  invertible, the bias e_t = E theta_t - 1 (x) theta* obeys e_t = Q_t e_{t-1}: it is zero at every round when
  the initial fits are full rank, and decays as Q^t e_0 in the low-rank setting (A_0 singular) when rho(Q) < 1.
  Otherwise the long-run bias is M E b - 1 (x) theta* (:func:`long_run_bias`).
* Limit: M = (I - Q)^-1 P, C = Q C Q^T + N D N^T (+ P Sigma_b P^T under ``fresh``) -- the fixed point of the
  moment map, a linear solve (:func:`limit`).
* Proportional case (every normalised Gram equal to S, equal shares W = J/K): closed forms of the error and of
  the between-model spread (:func:`proportional_error`, :func:`proportional_spread`).
* Relative efficiency: RE_k = sigma^2 tr((sum_s n_s S_s)^+) / lim E||theta_k - theta*||^2 (:func:`relative_efficiency`),
  against the ideal estimator that pools all real data.

:func:`long_run` names (:mod:`theory.named`), at the population map's fixed point: ``theta`` (model x component,
the limit of E theta_k) and ``uncovered_directions`` (direction x component: a basis, one row each, no rows when
every direction is seen); at the exact moment recursion's (finite n, the
limit law): ``theta`` (E theta_k), ``theta_covariance`` (model x component x component2, Cov theta_k), ``bias``
(E theta_k - theta*), ``mse`` (model, E||theta_k - theta*||^2), ``relative_efficiency`` (model, RE_k) and
``squared_distance`` (model x model2, E||theta_k - theta_l||^2).
"""

from __future__ import annotations

import sympy

from interplay.theory.analysis import fixed_point, spectral_radius
from interplay.theory.linear.maps import (
    SYMPY_LINEAR,
    block,
    linear_data,
    moment_map,
    population_map,
    real_statistics,
    synthetic_noise,
)
from interplay.theory.linear.maps import dynamics as round_dynamics
from interplay.theory.named import NamedAnswer, Quantity, diagonal_blocks, index_axis, model_axis, pairs, per_model
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.symbolic import SymbolicMap


def _require_stationary(eco: Ecosystem) -> None:
    if eco.family.name != "linear-gaussian":
        raise SpecError("family", f"this computation is for linear-Gaussian ecosystems, not {eco.family.name}")
    if not eco.is_constant or eco.regime == "accumulate":
        raise SpecError("ecosystem", "the long run needs constant alpha and beta and the reuse or fresh regime")


def stationary_dynamics(eco: Ecosystem):
    """(P, Q, N, D, E b, Sigma_b) of an update round t >= 1 (sympy)."""
    _require_stationary(eco)
    data = linear_data(eco)
    step = round_dynamics(eco, data, plan_at(eco, 1, population=True, ops=SYMPY_LINEAR))
    mean_b, sigma_b = real_statistics(eco, data)
    return step.P, step.Q, step.N, synthetic_noise(eco, data), mean_b, sigma_b


def normal_matrices(eco: Ecosystem, t: int) -> list[sympy.Matrix]:
    """A_{t,k} = w_priv S~_k + w_pub S_* + sum_j alpha W_kj S_j for each model (t = 0: the initial fit)."""
    step = round_dynamics(eco, linear_data(eco), plan_at(eco, t, population=True, ops=SYMPY_LINEAR))
    return [block(step.normal, k, eco.dim) for k in range(eco.K)]


def spectral_radius_of_Q(eco: Ecosystem) -> sympy.Expr:
    """rho(Q): the spectral radius of the Jacobian of the mean dynamics (an expression when alpha, beta are symbols)."""
    _require_stationary(eco)
    return spectral_radius(population_map(eco), at={})


def converges(eco: Ecosystem) -> bool:
    """rho(Q) < 1: M_t and C_t converge to a unique limit (numeric specs)."""
    return bool(float(spectral_radius_of_Q(eco)) < 1 - 1e-12)


def uncovered_directions(eco: Ecosystem) -> list[sympy.Matrix]:
    """A basis of the directions no model's weighted real data see: the common null space of beta S~_k +
    (1 - beta) S_* over k. Empty iff rho(Q) < 1 (for 0 < alpha < 1 and full-rank synthetic Grams)."""
    beta = eco.beta_at(1)
    real = [beta * s.gram + (1 - beta) * eco.public.gram for s in eco.private]
    return sympy.Matrix.vstack(*real).nullspace()


def _basis_rows(eco: Ecosystem, basis: list[sympy.Matrix]) -> Quantity:
    """The named quantity of a basis: one row per direction (0 x d when there is none)."""
    rows = sympy.Matrix.hstack(*basis).T if basis else sympy.zeros(0, eco.dim)
    directions = ("direction", tuple(str(i + 1) for i in range(len(basis))))
    meaning = "a basis of the directions no model's weighted real data see"
    return Quantity(rows, meaning, (directions, index_axis("component", eco.dim)))


def unbiased_at_every_round(eco: Ecosystem, rounds: int = 1) -> bool:
    """Every A_{t,k} invertible for t = 0..rounds: then E theta_{t,k} = theta* at every round (any theta*)."""
    return all(A.det() != 0 for t in range(rounds + 1) for A in normal_matrices(eco, t))


def unbiased_in_the_limit(eco: Ecosystem) -> bool:
    """Every A_k of the update rounds invertible and rho(Q) < 1: then lim E theta_{t,k} = theta* (any theta*)."""
    return converges(eco) and all(A.det() != 0 for A in normal_matrices(eco, 1))


def limit_multiplier(eco: Ecosystem) -> sympy.Matrix:
    """M = (I - Q)^-1 P, the limit of M_t."""
    P, Q, *_ = stationary_dynamics(eco)
    return (sympy.eye(Q.shape[0]) - Q).inv() @ P


def limit(eco: Ecosystem) -> dict[str, sympy.Matrix]:
    """The fixed point of the moment map: {'M': M_inf, 'C': C_inf} (C_inf solves the discrete Lyapunov equation)."""
    _require_stationary(eco)
    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    return {"M": parts["M"], "C": parts["C"]}


def _law(eco: Ecosystem, parts: dict) -> tuple[sympy.Matrix, sympy.Matrix]:
    """(E theta, Cov theta), Kd x 1 and Kd x Kd, of a state (M, c, C) of the moment map: theta = M b + c + xi,
    so E theta = M E b + c and Cov theta = M Sigma_b M^T + C under ``reuse`` (the real data drawn once), C
    otherwise (C then holds the real-label noise of every round)."""
    mean_b, sigma_b = real_statistics(eco, linear_data(eco))
    M, C = parts["M"], parts["C"]
    cov = M @ sigma_b @ M.T + C if eco.regime == "reuse" else C
    return M @ mean_b + parts["offset"], cov


def _errors(eco: Ecosystem, mean: sympy.Matrix, cov: sympy.Matrix) -> list:
    """E||theta_k - theta*||^2 = ||bias_k||^2 + tr Cov(theta_k), one per model."""
    d, theta = eco.dim, eco.family.theta
    errors = []
    for k in range(eco.K):
        gap = block(mean, k, d) - theta
        errors.append((gap.T @ gap)[0, 0] + cov[k * d : (k + 1) * d, k * d : (k + 1) * d].trace())
    return errors


def long_run_moments(eco: Ecosystem) -> tuple[sympy.Matrix, sympy.Matrix]:
    """(lim E theta, lim Cov theta), stacked Kd x 1 and Kd x Kd."""
    _require_stationary(eco)
    fmap = moment_map(eco)
    mean, cov = _law(eco, fmap.unpack(fixed_point(fmap)))
    return mean.applyfunc(sympy.simplify), cov.applyfunc(sympy.simplify)


def long_run_bias(eco: Ecosystem) -> sympy.Matrix:
    """lim E theta - 1 (x) theta* (Kd x 1): zero iff the models are unbiased in the limit."""
    mean, _ = long_run_moments(eco)
    return (mean - sympy.Matrix.vstack(*[eco.family.theta] * eco.K)).applyfunc(sympy.simplify)


def long_run_error(eco: Ecosystem) -> list[sympy.Expr]:
    """lim E||theta_k - theta*||^2 = ||bias_k||^2 + tr Cov(theta_k), one per model."""
    return [sympy.simplify(e) for e in _errors(eco, *long_run_moments(eco))]


def ideal_error(eco: Ecosystem) -> sympy.Expr:
    """The MSE of the ideal estimator pooling every real sample: sigma^2 tr((sum_s n_s S_s)^+)."""
    pooled = sum((s.size * s.gram for s in (*eco.private, eco.public)), sympy.zeros(eco.dim, eco.dim))
    return eco.family.noise_var * SYMPY_LINEAR.pinv(pooled).trace()


def relative_efficiency(eco: Ecosystem) -> list[sympy.Expr]:
    """RE_k = MSE_ideal / lim E||theta_k - theta*||^2 (1 is as good as pooling all real data)."""
    ideal = ideal_error(eco)
    return [sympy.simplify(ideal / error) for error in long_run_error(eco)]


# -- the proportional case (every normalised Gram the same) ------------------------------------------------------------


def _geometric(alpha, t):
    """sum_{i=1}^t alpha^(2i) = alpha^2 (1 - alpha^(2t)) / (1 - alpha^2) (t for alpha = 1)."""
    i = sympy.Symbol("i", integer=True, positive=True)
    return sympy.Sum(alpha ** (2 * i), (i, 1, t)).doit()


def proportional_error(alpha, beta, K, n_private, n_public, m, noise_var, trace_inverse, t):
    """E||theta_{t,k} - theta*||^2 when every normalised Gram is S (tr S^-1 = ``trace_inverse``), W = J/K:

    t = 0:  sigma^2 tr(S^-1) [beta^2 / n~ + (1-beta)^2 / n_*];
    t >= 1: sigma^2 tr(S^-1) [beta^2 ((1 - alpha + alpha/K)^2 + (K-1) alpha^2 / K^2) / n~ + (1-beta)^2 / n_*
            + sum_{i=1}^t alpha^(2i) / (m K)].
    """
    real = (1 - beta) ** 2 / n_public
    if t == 0:
        return noise_var * trace_inverse * (beta**2 / n_private + real)
    own = (1 - alpha + alpha / K) ** 2 + (K - 1) * alpha**2 / K**2
    return noise_var * trace_inverse * (beta**2 * own / n_private + real + _geometric(alpha, t) / (m * K))


def proportional_spread(alpha, beta, n_private, noise_var, trace_inverse, t):
    """E||theta_{t,k} - theta_{t,l}||^2 in the proportional case: 2 beta^2 sigma^2 tr(S^-1) / n~ at t = 0, times
    (1 - alpha)^2 at every t >= 1 (homogenisation by the factor 1 - alpha; the synthetic noise is common)."""
    factor = 1 if t == 0 else (1 - alpha) ** 2
    return 2 * factor * beta**2 * noise_var * trace_inverse / n_private


def long_run(eco: Ecosystem, fmap: SymbolicMap, point: dict) -> NamedAnswer:
    """The named quantities (module docstring) at ``point`` ({state symbol: value}), a state of the population
    map or of the moment recursion ``fmap`` of ``eco`` (reuse or fresh)."""
    parts = fmap.unpack(point)
    d, model = eco.dim, model_axis(eco)
    components = (index_axis("component", d), index_axis("component2", d))
    if fmap.name == "population":
        return NamedAnswer(
            "population",
            {
                "theta": Quantity(
                    per_model(eco, parts["theta"]), "the limit of model k's expected parameters", (model, components[0])
                ),
                "uncovered_directions": _basis_rows(eco, uncovered_directions(eco)),
            },
        )
    mean, cov = _law(eco, parts)
    errors = _errors(eco, mean, cov)
    ideal = ideal_error(eco)
    theta_star = sympy.Matrix.vstack(*[eco.family.theta] * eco.K)
    return NamedAnswer(
        "moments",
        {
            "theta": Quantity(
                per_model(eco, mean), "E[theta_k], model k's expected parameters", (model, components[0])
            ),
            "theta_covariance": Quantity(diagonal_blocks(eco, cov), "Cov(theta_k)", (model, *components)),
            "bias": Quantity(per_model(eco, mean - theta_star), "E[theta_k] - theta*", (model, components[0])),
            "mse": Quantity(sympy.Matrix(errors), "E||theta_k - theta*||^2, model k's error", (model,)),
            "relative_efficiency": Quantity(
                sympy.Matrix([ideal / e for e in errors]),
                "MSE of the ideal estimator pooling all real data / model k's MSE (1: as good as pooling)",
                (model,),
            ),
            "squared_distance": Quantity(
                _spread(eco, mean, cov), "E||theta_k - theta_l||^2 between the models' parameters", pairs(eco)
            ),
        },
    )


def _spread(eco: Ecosystem, mean: sympy.Matrix, cov: sympy.Matrix) -> sympy.Matrix:
    d = eco.dim

    def spread(k, l):
        rows_k, rows_l = slice(k * d, (k + 1) * d), slice(l * d, (l + 1) * d)
        gap = mean[rows_k, :] - mean[rows_l, :]
        return (gap.T @ gap)[0, 0] + (cov[rows_k, rows_k] + cov[rows_l, rows_l] - 2 * cov[rows_k, rows_l]).trace()

    return sympy.Matrix(eco.K, eco.K, spread)


def stationary_spread(eco: Ecosystem) -> sympy.Matrix:
    """K x K matrix of lim E||theta_k - theta_l||^2 under the exact limit law."""
    return _spread(eco, *long_run_moments(eco)).applyfunc(sympy.simplify)
