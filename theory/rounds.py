"""What each model trains on in one round: the weight and the sample size of every source.

For model k at update round t >= 1 (the paper's weights; alpha_t = 0 at the initial fit t = 0):

    w_private[k] = (1 - alpha_t) beta_t,   w_public[k] = (1 - alpha_t)(1 - beta_t),
    w_synthetic[k, j] = alpha_t W[k, j].

Sample sizes: a source of weight w in a training set of n samples contributes N = max(1, round(w n)) samples,
so when every w n is an integer the weighted fit is the plain fit of the pooled n samples. Under the
``reuse`` regime each real dataset is drawn once, with its ``size`` (default: its share of the initial fit,
beta_1 n private and (1 - beta_1) n public), and enters every round whole, with its weight. The public
sample of a round is shared by all models.
"""

from __future__ import annotations

from typing import NamedTuple

from .ops import SYMPY
from .spec import Ecosystem


class RoundPlan(NamedTuple):
    """Weights (summing to one per model) and sample sizes of model k's sources in one round."""

    w_private: object  # K x 1
    w_public: object  # K x 1
    w_synthetic: object  # K x K
    n_private: object  # K x 1
    n_public: object  # scalar: the public sample is shared
    n_synthetic: object  # K x K


FROM_SPEC = "from the spec"


def round_plan(
    eco: Ecosystem,
    alpha,
    beta,
    *,
    initial: bool,
    population: bool = False,
    n=FROM_SPEC,
    initial_beta=FROM_SPEC,
    ops=SYMPY,
) -> RoundPlan:
    """The plan of one round for the given alpha_t, beta_t (scalars of the ops backend).

    ``initial`` is the t = 0 fit (no synthetic data); ``population`` makes every sample infinite. ``n`` and
    ``initial_beta`` (beta_1, which sizes the reused real datasets) default to the spec's; numerics passes
    them as traced values to sweep over them.
    """
    K = eco.K
    ones = ops.asarray([[1]] * K)
    W = ops.asarray(eco.mixing)
    alpha, beta = ops.scalar(alpha), ops.scalar(beta)
    if initial:
        alpha = 0 * alpha
    w_private = (1 - alpha) * beta * ones
    w_public = (1 - alpha) * (1 - beta) * ones
    w_synthetic = alpha * W
    n = None if population else (eco.n if n is FROM_SPEC else n)
    n_synthetic = ops.sample_size(w_synthetic, n)
    if eco.regime == "reuse":
        beta_1 = eco.beta_at(1) if initial_beta is FROM_SPEC else initial_beta
        n_private = ops.asarray([[_dataset_size(s.size, beta_1, n, population, ops)] for s in eco.private])
        n_public = _dataset_size(eco.public.size, 1 - beta_1, n, population, ops)
    else:
        n_private = ops.sample_size(w_private, n)
        n_public = ops.sample_size(w_public[0:1, 0:1], n)[0, 0]
    return RoundPlan(w_private, w_public, w_synthetic, n_private, n_public, n_synthetic)


def mixing_coefficients(eco: Ecosystem, plan: RoundPlan, ops=SYMPY):
    """The linear maps of one round on stacked per-model parameter vectors of length d = eco.dim:

    theta' = R b + G theta,  R = [diag(w_private) (x) I_d | w_public (x) I_d],  G = w_synthetic (x) I_d,

    with b = (real estimate of private_1; ...; private_K; public). Returns (R, G).
    """
    eye = ops.eye(eco.dim)
    R = ops.hstack([ops.block_diag([plan.w_private[k, 0] * eye for k in range(eco.K)]), ops.kron(plan.w_public, eye)])
    return R, ops.kron(plan.w_synthetic, eye)


def _dataset_size(size, initial_share, n, population, ops):
    if population:
        return ops.sample_size(ops.asarray([[initial_share]]), None)[0, 0]
    if size is not None:
        return size
    return ops.sample_size(ops.asarray([[initial_share]]), n)[0, 0]


def plan_at(eco: Ecosystem, t: int, *, population: bool = False, ops=SYMPY) -> RoundPlan:
    """The plan of round t (t = 0 is the initial fit) with the spec's own alpha_t and beta_t."""
    return round_plan(eco, eco.alpha_at(t), eco.beta_at(t), initial=t == 0, population=population, ops=ops)
