"""The between-model spread that the ``mixture`` composition adds to the synthetic sampling noise.

Under ``composition="mixture"`` (:class:`theory.spec.Ecosystem`) each of model k's N synthetic samples of a round
comes from model j with probability W[k, j]: a sample of the mixture sum_j W[k, j] f_j. A fit that is linear in
the samples' sufficient statistic (a mean, counts, a rate) then sees a synthetic mean whose conditional mean is
theta_bar_k = sum_j W[k, j] theta_j, as under the fixed composition, and whose conditional covariance is, by the
law of total covariance over the source of a sample,

    Cov(synthetic mean_k | theta) = (1 / N) [sum_j W[k, j] Var_j + sum_j W[k, j] (theta_j - theta_bar_k)(theta_j
                                    - theta_bar_k)^T],

Var_j the covariance of one sample of model j. The first sum is the fixed composition's noise with the expected
counts N_kj = W[k, j] N (:func:`theory.rounds.sample_sizes`); the second, the *spread* of the models model k draws
from, is what a mixture adds. In expectation over the fitted parameters (mean mu = E theta, C = Cov theta, stacked
Kd x 1 and Kd x Kd):

    E spread_k = sum_j W[k, j] [(mu_j - mu_bar_k)(mu_j - mu_bar_k)^T + L_kj C L_kj^T],   L_kj = (e_j - W[k, :]) (x) I_d,

every term formed from its coefficients first (exactly zero where model k draws from one model only), never as
E[theta theta^T] minus a product of means. The factor 1 / N times the synthetic weight squared, alpha_t^2 / N, is
sum_j Q_kj (:func:`theory.rounds.synthetic_rates`), as sum_j W[k, j] = 1.
"""

from __future__ import annotations

from interplay.theory.ops import SYMPY
from interplay.theory.rounds import RoundPlan, synthetic_rates


def expected_spread(mixing, mean, cov, d: int, ops=SYMPY) -> list:
    """E spread_k (module doc) of every row k of ``mixing``: one matrix d x d per row, from mixing weights (rows x K:
    W, or the ``split`` pool's one row of shares p, :mod:`theory.pools`), E theta (Kd x 1) and Cov theta (Kd x Kd) of
    the ops backend."""
    rows, K = mixing.shape
    eye = ops.eye(d)
    spreads = []
    for k in range(rows):
        total = ops.zeros(d, d)
        for j in range(K):
            unit = ops.asarray([[1 if i == j else 0 for i in range(K)]])
            L = ops.kron(unit - mixing[k : k + 1, :], eye)
            gap = L @ mean
            total = total + mixing[k, j] * (gap @ gap.T + L @ cov @ L.T)
        spreads.append(total)
    return spreads


def mixture_noise(plan: RoundPlan, mixing, mean, cov, d: int, ops=SYMPY) -> list:
    """The noise a mixture adds to each model's fitted statistic: (sum_j Q_kj) E spread_k (K matrices d x d), with
    ``plan`` the round's (its synthetic weights alpha_t W) and W, E theta, Cov theta as in :func:`expected_spread`."""
    rates = synthetic_rates(plan, ops)
    return [sum(row, ops.scalar(0)) * spread for row, spread in zip(rates, expected_spread(mixing, mean, cov, d, ops))]
