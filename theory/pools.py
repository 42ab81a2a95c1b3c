"""Where a model's synthetic samples come from: its own draws, a pool of model j's outputs shared by every model
that scrapes them, or a slice of the pooled outputs of all models (the ``pool`` option of
:class:`theory.spec.Ecosystem`).

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
* ``split``: ecosystems that share a fixed data budget (issue 13): the pooled outputs of all models at round t are
  partitioned at random among the models, each training set a slice of the pool, without replacement. Model j
  generates M_j = sum_k N_kj samples (N_kj the fixed composition's sizes, :func:`theory.rounds.sample_sizes`, so the
  pool holds exactly what the models consume), the pool of M = sum_j M_j samples is shuffled and cut into slices of
  N_k = sum_j N_kj samples, and model k trains on its slice as ONE synthetic source of weight a_k = sum_j w_kj
  (alpha_t): like the ``mixture`` composition, a slice's make-up is random. The count table C (C_kj = model j's
  samples in slice k) is a uniformly random table with row sums N_k and column sums M_j, of moments

      E C_kj = N_k p_j,   p_j = M_j / M,
      Cov(C_kj, C_lj') = (delta_kl M - N_l) N_k (delta_jj' M - M_j') M_j / (M^2 (M - 1))

  (k = l, j = j': the hypergeometric variance N_k p_j (1 - p_j)(M - N_k) / (M - 1)). Given C and the fits the
  samples are independent (disjoint draws), so for a per-sample statistic of mean m_j and variance V_j under model j
  the laws of total expectation and covariance over C give for the slice means xbar_k

      E[xbar_k | theta] = sum_j p_j m_j = mbar,
      Cov(xbar_k, xbar_l | theta) = delta_kl (sum_j p_j V_j) / N_k + (delta_kl M - N_l) / (N_l (M - 1)) S,
      S = sum_j p_j (m_j - mbar)^2.

  **The mean map therefore mixes by the effective matrix 1 p^T, not by W**: every model's synthetic part has the
  mean of the pool, whatever W says (for W = J / K, p = 1 / K and 1 p^T = W). The first term is the noise of a
  sample of N_k draws from the pool's mixture; the second is the between-model spread S with a finite-population
  correction (M - N_k) / (M - 1) on the diagonal and the covariance -S / (M - 1) between two different slices
  (drawn without replacement from one pool). In expectation over the fits S is the ``mixture`` composition's spread
  with the coefficients e_j - p in place of e_j - W[k, :] (:func:`theory.mixture.expected_spread` with the one row
  p). The synthetic noise of the weighted fits is Cov(eps_k, eps_l | theta) = a_k a_l Cov(xbar_k, xbar_l | theta).
  In the population limit (every size infinite) p_j = sum_k w_kj / sum_kj w_kj, the limit of M_j / M.

  A fit that also reads the slice's scatter A_k = sum_i (x_i - xbar_k)(x_i - xbar_k)^T (the Gaussian family) sees,
  given C (the slice holds C_kj draws of model j, mean m_j and covariance V_j; mbar_C = sum_j C_kj m_j / N_k),
  E[A_k | C, theta] = sum_j C_kj V_j + sum_j C_kj (m_j - mbar_C)(m_j - mbar_C)^T - sum_j C_kj V_j / N_k; over C,
  with E[sum_j C_kj m_j m_j^T / N_k] - E[mbar_C mbar_C^T] = S - Cov(mbar_C) = S - (M - N_k) S / (N_k (M - 1)):

      E[A_k / N_k | theta] = (1 - 1/N_k) Vbar + M (N_k - 1) / (N_k (M - 1)) S,   Vbar = sum_j p_j V_j,

  the ``mixture`` composition's (1 - 1/N)(Vbar + S) as M grows (:func:`slice_factors`).
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


def split_shares(plan: RoundPlan, ops=SYMPY):
    """1 x K: the pool's shares p_j = M_j / M of the ``split`` pool (module doc), M_j = sum_k N_kj; in the
    population limit (M infinite) sum_k w_kj / sum_kj w_kj; 0 when the round has no synthetic samples (M = 0)."""
    K = plan.w_synthetic.shape[0]
    ones = ops.asarray([[1] * K])
    counts, weights = ones @ plan.n_synthetic, ones @ plan.w_synthetic
    total, weight = (counts @ ones.T)[0, 0], (weights @ ones.T)[0, 0]
    return ops.where_infinite(total, ops.per_sample(weights, weight), ops.per_sample(counts, total))


def split_plan(plan: RoundPlan, ops=SYMPY) -> RoundPlan:
    """The ``split`` pool's round as the steps read it: the synthetic weights a p^T (a_k = sum_j w_kj, the effective
    mixing 1 p^T of the module doc), the sizes N_kj kept (they set N_k and M_j)."""
    K = plan.w_synthetic.shape[0]
    alphas = plan.w_synthetic @ ops.asarray([[1]] * K)
    return plan._replace(w_synthetic=alphas @ split_shares(plan, ops))


def split_coefficients(plan: RoundPlan, ops=SYMPY):
    """(own, cross), K x K each, with Cov(eps_k, eps_l | theta) = own_kl V + cross_kl S (module doc): own =
    diag(a_k^2 / N_k) and cross = (1 + 1 / (M - 1)) own - a a^T / (M - 1), whose entries are a_k a_l (delta_kl M -
    N_l) / (N_l (M - 1)), written so that infinite sizes give 0 (and M = 1, where S = 0, no 0 / 0). ``plan``: the
    :func:`split_plan` (its rows sum to a_k)."""
    K = plan.w_synthetic.shape[0]
    column = ops.asarray([[1]] * K)
    alphas, slices = plan.w_synthetic @ column, plan.n_synthetic @ column
    beyond = ops.per_sample(1, (column.T @ slices)[0, 0] - 1)  # 1 / (M - 1)
    own = ops.diag(ops.asarray([[ops.per_sample(alphas[k, 0] ** 2, slices[k, 0])] for k in range(K)]))
    return own, (1 + beyond) * own - beyond * (alphas @ alphas.T)


def split_noise(plan: RoundPlan, variance, spread, ops=SYMPY):
    """Kd x Kd: Cov(eps_k, eps_l) = a_k a_l [delta_kl V / N_k + (delta_kl M - N_l) / (N_l (M - 1)) S] (module doc)
    for the pool's per-sample covariance V = sum_j p_j V_j and spread S (d x d, or their expectations over the fits),
    with ``plan`` the :func:`split_plan`."""
    own, cross = split_coefficients(plan, ops)
    return ops.kron(own, variance) + ops.kron(cross, spread)


def slice_factors(plan: RoundPlan, ops=SYMPY) -> list:
    """For each model k, (f_V, f_S, g_V, g_S): its slice mean's noise Cov(xbar_k | theta) = f_V V + f_S S and its
    scatter E[A_k / N_k | theta] = g_V V + g_S S (module doc): f_V = 1 / N_k, f_S = (M - N_k) / (N_k (M - 1)),
    g_V = 1 - 1 / N_k, g_S = M (N_k - 1) / (N_k (M - 1)), written so that infinite sizes give (0, 0, 1, 1)."""
    K = plan.w_synthetic.shape[0]
    column = ops.asarray([[1]] * K)
    slices = plan.n_synthetic @ column
    beyond = ops.per_sample(1, (column.T @ slices)[0, 0] - 1)  # 1 / (M - 1)
    factors = []
    for k in range(K):
        inverse = ops.per_sample(1, slices[k, 0])
        factors.append((inverse, inverse * (1 + beyond) - beyond, 1 - inverse, (1 - inverse) * (1 + beyond)))
    return factors
