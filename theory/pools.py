"""Where a model's synthetic samples come from: its own draws, or a pool of model j's outputs shared by every model
that scrapes them (the ``pool`` option of :class:`theory.spec.Ecosystem`).

* ``own``: model k draws its own N_kj samples of every model j it trains on; the synthetic noises of two models are
  independent.
* ``shared``: the paper's public synthetic data D_t = union_j D_{t,j} (Vu, Reeves & Wenger, arXiv 2505.21677; its
  linear surrogate multiplies one noise vector for all models): model j's outputs of round t are one sample, of which
  model k takes the first N_kj (nested prefixes; the sample holds max_k N_kj draws). Two models that scrape model j see
  the same draws as far as the smaller of their sizes goes, so for a statistic that is a mean of per-sample values of
  covariance V_j (given the fits), Cov(xbar_kj, xbar_lj | theta) = min(N_kj, N_lj) V_j / (N_kj N_lj) =
  V_j / max(N_kj, N_lj), and the synthetic noise of the weighted fits is

      Cov(eps_k, eps_l | theta) = sum_j F_klj V_j,   F_klj = w_kj w_lj / max(N_kj, N_lj),

  0 where a size is 0 (``ops.per_sample``). For k = l, F_kkj = w_kj^2 / N_kj = Q_kj
  (:func:`theory.rounds.synthetic_rates`): each model's own noise is the same under both pools; the pool only
  correlates the models. A model's fit on its own training set (its scatter) sees its pieces from different models,
  independent under both.
"""

from __future__ import annotations

import sympy

from interplay.theory.ops import SYMPY
from interplay.theory.rounds import RoundPlan


def shared_rates(plan: RoundPlan, ops=SYMPY) -> list:
    """F_klj = w_kj w_lj / max(N_kj, N_lj) (module doc): K rows of K rows of K, of the ops backend's scalars."""
    K = plan.w_synthetic.shape[0]
    w, N = plan.w_synthetic, plan.n_synthetic
    return [
        [[ops.per_sample(w[k, j] * w[l, j], sympy.Max(N[k, j], N[l, j])) for j in range(K)] for l in range(K)]
        for k in range(K)
    ]


def shared_noise(plan: RoundPlan, variances, ops=SYMPY):
    """K x K: Cov(eps_k, eps_l) = sum_j F_klj V_j for a scalar per-sample variance V_j of each model (``variances``,
    K x 1)."""
    K = plan.w_synthetic.shape[0]
    rates = shared_rates(plan, ops)
    return ops.asarray([[sum(rates[k][l][j] * variances[j, 0] for j in range(K)) for l in range(K)] for k in range(K)])
