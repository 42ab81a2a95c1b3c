"""Learners that know the synthetic share: the debiased estimator's round estimate and its inverse-variance average.

The family-independent part of ``estimator="debiased"`` (our reading of Kanabar & Gastpar, "Model non-collapse",
IEEE Trans. Inf. Theory 2026; :mod:`theory.gaussian.debiased` derives it for the Gaussian mean). A family
whose plain fit of a mean parameter is theta'_k = (R b)_k + alpha_t sum_j W[k, j] xbar_kj (xbar_kj the mean of
model k's N_kj draws from model j, of mean theta_j) has the round estimate

    u = D (R b + eps),   D = diag_k(1 / r_k) (x) I,   r_k = 1 - alpha_t,k,
    eps_k = alpha_t sum_j W[k, j] (xbar_kj - theta_j),

unbiased for (R E b)_k / r_k given the past, with eps of mean 0 given the past. Its precision in units of a common
per-sample variance is p_k = r_k^2 / nu_k, nu_k = sum_s w_s^2 / N_s, deterministic; the model keeps
P_k = the sum of its p_k so far and theta_t = Lam theta_{t-1} + (I - Lam) u_t, Lam = diag_k(P_{t-1,k} / P_t,k) (x) I.
So, with the plain step's Cov(R b) + Cov(eps) = ``fresh_cov``, Sigma_b = Cov(b) and X = Cov(theta, b) (reuse):

    E theta'   = Lam E theta + (I - Lam) D R E b
    Cov theta' = Lam C Lam + (I - Lam) D fresh_cov D (I - Lam) [+ Lam X R^T D (I - Lam) + its transpose]
    X'         = Lam X + (I - Lam) D R Sigma_b                                                     (reuse)

(:func:`combine`; under ``fresh`` X = 0, as b is new each round and eps is uncorrelated with the past).
"""

from __future__ import annotations

from interplay.theory.ops import SYMPY
from interplay.theory.rounds import RoundPlan
from interplay.theory.spec import Ecosystem, PerModel, SpecError, round_values, show

REGIMES = ("reuse", "fresh")


def check_debiased(eco: Ecosystem) -> None:
    """SpecError naming the parameter where ``eco`` has no debiased recursion (module doc)."""
    if isinstance(eco.estimator, PerModel) and set(eco.estimator) != {"debiased"}:
        raise SpecError("estimator.per_model", f'"debiased" is for every model or none, got {list(eco.estimator)}')
    if eco.n is None:
        raise SpecError("n", "the debiased estimator weighs rounds by their sample sizes: it needs a finite n")
    if eco.regime not in REGIMES:
        raise SpecError("regime", f"the debiased estimator has {REGIMES} only, got {eco.regime!r}")
    if eco.composition != "fixed":
        raise SpecError("composition", f"the debiased estimator takes the fixed composition, got {eco.composition!r}")
    if eco.pool != "own":
        raise SpecError("pool", f"the debiased estimator takes the own pool, got {eco.pool!r}")
    for t, value in enumerate(round_values(eco.alpha), start=1):
        for a in value if isinstance(value, PerModel) else (value,):
            if a.is_number and a == 1:
                where = f" (round {t})" if eco.schedule_length else ""
                raise SpecError(
                    "alpha",
                    f"the debiased estimator divides by the real share 1 - alpha: alpha = {show(a)}{where} "
                    "leaves no real data",
                )


def real_shares(eco: Ecosystem, plan: RoundPlan, ops=SYMPY) -> list:
    """r_k = w_private,k + w_public,k = 1 - alpha_t,k: each model's real share of the round."""
    return [plan.w_private[k, 0] + plan.w_public[k, 0] for k in range(eco.K)]


def round_precision(eco: Ecosystem, plan: RoundPlan, batch_nu, ops=SYMPY) -> list:
    """p_k = r_k^2 / batch_nu_k: the precision of the round's debiased estimate u_k in units of a common per-sample
    covariance (Var u_k = batch_nu_k / r_k^2 when every source and fit has that covariance)."""
    return [r**2 / batch_nu[k, 0] for k, r in enumerate(real_shares(eco, plan, ops))]


def real_scale(eco: Ecosystem, plan: RoundPlan, ops=SYMPY):
    """D = diag_k(1 / r_k) (x) I: what turns the plain fit's real part R b + eps into the round estimate u."""
    return _diagonal([1 / r for r in real_shares(eco, plan, ops)], eco.dim, ops)


def _diagonal(values: list, d: int, ops):
    """diag(values) (x) I_d."""
    return ops.block_diag([v * ops.eye(d) for v in values])


def combine(eco: Ecosystem, plan: RoundPlan, moments, precision, R, mean_b, sigma_b, fresh_cov, batch_nu, ops=SYMPY):
    """(E theta', Cov theta', Cov(theta', b), P') after a round, from the moments before it (``.mean``, ``.cov``,
    ``.cross``), the precision P (K x 1) and the plain step's R, E b, Sigma_b, Cov(R b) + Cov(eps) and nu (module
    doc); at the initial fit (P = 0) theta' = u, the plain fit."""
    K, d = eco.K, eco.dim
    p = round_precision(eco, plan, batch_nu, ops)
    total = [precision[k, 0] + p[k] for k in range(K)]
    keep = _diagonal([precision[k, 0] / total[k] for k in range(K)], d, ops)  # Lam
    take = _diagonal([p[k] / total[k] for k in range(K)], d, ops) @ real_scale(eco, plan, ops)  # (I - Lam) D
    mean = keep @ moments.mean + take @ R @ mean_b
    cov = keep @ moments.cov @ keep + take @ fresh_cov @ take.T
    cross = moments.cross
    if eco.regime == "reuse":
        coupling = keep @ moments.cross @ R.T @ take.T
        cov = cov + coupling + coupling.T
        cross = keep @ moments.cross + take @ R @ sigma_b
    return mean, cov, cross, ops.vstack([ops.asarray([[1]]) * x for x in total])
