"""The debiased Gaussian estimator: a learner that knows the synthetic share (``estimator="debiased"``).

Our reading of Kanabar & Gastpar, "Model non-collapse" (IEEE Trans. Inf. Theory 2026; the repository's issue 15):
a learner that knows its round's synthetic share alpha_t and the models it trains on can remove the synthetic
part's pull towards the previous fits, and a learner that keeps its past estimates can average rounds. The paper's
exact estimator was not at hand; this is the one the issue describes, for the Gaussian mean (the covariance is the
plain MLE fit's, :mod:`theory.gaussian.maps`; the covariance part does not close as cleanly, so it is not debiased).

Round t, model k, real share r_k = 1 - alpha_{t,k} = w_private,k + w_public,k (:mod:`theory.rounds`). The plain
fit of the mean is m'_k = (R b)_k + alpha_t sum_j W[k, j] xbar_kj, xbar_kj the mean of its N_kj draws from model j's
fit N(m_j, S_j). The round's debiased estimate subtracts the known part and rescales,

    u_k = (m'_k - alpha_t sum_j W[k, j] m_j) / r_k = (R b + eps)_k / r_k,
    eps_k = alpha_t sum_j W[k, j] (xbar_kj - m_j),

so E[u_k | past] = (R E b)_k / r_k, the model's real target beta mu_k + (1 - beta) mu_public, whatever the past
fits: the synthetic noise eps has mean 0 given the past, hence is uncorrelated with every earlier quantity. Its
variance in units of a common per-sample covariance is batch_nu_k / r_k^2 (batch_nu_k = sum_s w_s^2 / N_s, exact
from the sample sizes), so the round's precision p_k = r_k^2 / batch_nu_k is deterministic. The model's estimate is
the precision-weighted average of its round estimates, P_k = sum of its p_k so far,

    m_t,k = (P_{t-1,k} m_{t-1,k} + p_t,k u_t,k) / (P_{t-1,k} + p_t,k) = Lam m_{t-1} + (I - Lam) u_t,

Lam = diag_k(P_{t-1,k} / P_t,k) (x) I (0 at the initial fit, where P_{-1} = 0 and u_0 is the plain fit). With
D = diag_k(1 / r_k) (x) I and the plain step's R, G, Sigma_b, Cov(R b) and Cov(eps) (:func:`theory.gaussian.maps.
round_parts`), the exact recursion of (E m, Cov m, Cov(m, b)) is linear and closes (:func:`theory.debiasing.combine`,
the family-independent part):

    E m'      = Lam E m + (I - Lam) D R E b
    Cov m'    = Lam C Lam + (I - Lam) D [Cov(R b) + Cov(eps)] D (I - Lam)
                [+ Lam X R^T D (I - Lam) + (I - Lam) D R X^T Lam,   X' = Lam X + (I - Lam) D R Sigma_b   (reuse)]

(under ``fresh`` b is drawn anew, X = 0). Cov(eps) uses E S_j, and E S_j = E U_j (the MLE's factor 1) is the plain
scatter of model j's training set, whose pieces' means are the same linear functions of (b, m, eps) as for the
plain fit, only with the debiased m: :func:`theory.gaussian.maps.round_parts` gives it from the debiased moments.

What it changes (the claim the notebook and tests/validation/test_kanabar_gastpar_2026.py check): under ``fresh``
real data the plain fit's mean-square error about the real target, E||m_t,k - target_k||^2, tends to a positive
constant (it *collapses* to a noise floor: new real data never lowers it further), while the debiased estimate's
tends to 0 like 1 / t (P_t grows linearly in t; the MSE stays within a factor of 1 / P_t). Under ``reuse`` both
stay bounded away from 0 (the real data never grows). alpha_t = 1 leaves no real data and is refused (naming
``alpha``), as are ``accumulate`` (its union already averages rounds), the ``mixture`` composition, the ``split``
pool (whose synthetic part is not a sum of draws from each model j with weight alpha_t W[k, j]) and the ``shared``
one (not derived here), the population limit n = None (infinite precision), and a per-model mix of "debiased" with
another estimator (:func:`theory.debiasing.check_debiased`).

Written against an ops object (:mod:`theory.ops`): sympy gives the exact recursion (:func:`debiased_map`), jax the
numerics (:mod:`numerics.gaussian.debiased`), from this one definition.
"""

from __future__ import annotations

from typing import NamedTuple

import sympy

from interplay.theory.debiasing import combine, real_scale
from interplay.theory.gaussian.maps import Moments, moment_symbols, real_sources, round_parts, zero_moments
from interplay.theory.ops import SYMPY
from interplay.theory.rounds import RoundPlan, plan_at
from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.symbolic import (
    Layout,
    SymbolicMap,
    all_positions,
    plan_round,
    t_symbol,
)


class DebiasedState(NamedTuple):
    """The exact state of the debiased estimator: the :class:`theory.gaussian.maps.Moments` of its fits and each
    model's accumulated precision P (K x 1, deterministic)."""

    moments: Moments
    precision: object


def debiased_step(eco: Ecosystem, state: DebiasedState, plan: RoundPlan, t, ops=SYMPY) -> DebiasedState:
    """The exact state after round t (t = 0 with the initial plan and :func:`zero_state` is the initial fit)."""
    moments, precision = state
    parts = round_parts(eco, moments, plan, t, ops)
    mean, cov, cross, total = combine(
        eco,
        plan,
        moments,
        precision,
        parts.R,
        parts.mean_b,
        parts.sigma_b,
        parts.real_cov + parts.noise,
        parts.batch_nu,
        ops,
    )
    new = Moments(mean=mean, cov=cov, cross=cross, scatter=parts.scatter, nu=parts.batch_nu)
    return DebiasedState(new, total)


def zero_state(eco: Ecosystem, ops=SYMPY) -> DebiasedState:
    """The state before the initial fit: zero moments, no precision."""
    return DebiasedState(zero_moments(eco, ops), ops.zeros(eco.K, 1))


def real_target(eco: Ecosystem, t: int = 1, ops=SYMPY):
    """Kd x 1: what each model's round estimate u_k is unbiased for, (R E b)_k / r_k at round t (beta_t mu_k +
    (1 - beta_t) mu_public), the point the mean-square error of the module doc is measured from."""
    plan = plan_at(eco, t, ops=ops)
    R = round_parts(eco, zero_moments(eco, ops), plan, t, ops).R
    return real_scale(eco, plan, ops) @ R @ real_sources(eco, ops)[0]


def debiased_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact recursion of update round t >= 1 of the debiased estimator: the parts of
    :func:`theory.gaussian.maps.moment_map` (``mean``, ``nu``, ``cross``, ``cov``, ``scatter``) and ``precision``
    (K x 1, each model's accumulated precision P_k)."""
    if "debiased" not in eco.model_estimators:
        raise SpecError("estimator", f'debiased_map is for estimator = "debiased", got {eco.estimator!r}')
    precision = sympy.Matrix([sympy.Symbol(f"P_{{{k + 1}}}", positive=True) for k in range(eco.K)])
    layout = Layout()
    layout.add("precision", ("precision", precision, all_positions(eco.K, 1)))
    moments = moment_symbols(eco, layout)
    plan = plan_at(eco, plan_round(eco, t))
    new = debiased_step(eco, DebiasedState(moments, precision), plan, t)
    return layout.build("debiased", eco, {**new.moments._asdict(), "precision": new.precision})


def debiased_initial_state(fmap: SymbolicMap) -> list:
    """The flat state of :func:`debiased_map` after the initial fit (the plain fit, P = 1 / nu_0)."""
    eco = fmap.ecosystem
    new = debiased_step(eco, zero_state(eco), plan_at(eco, 0), 0)
    return fmap.pack(**new.moments._asdict(), precision=new.precision)
