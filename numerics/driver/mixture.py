"""The ``mixture`` composition's between-model spread over the model axis (jax): the vectorised twin of
:func:`theory.mixture.expected_spread`, whose module doc derives it.

    E spread_k = sum_j W[k, j] (mu_j - mu_bar_k)(mu_j - mu_bar_k)^T + sum_j W[k, j] C_jj - (W C W^T)_kk,

the same sum with the covariance part expanded (sum_j W[k, j] L_kj C L_kj^T over the K^2 pairs would cost K^3 d^2
memory). The gaps of the means are differences of means, never of raw moments; the covariance part is a difference
of covariances, which for models drawn from one model only (a row of W with one nonzero) is exactly zero.
"""

from __future__ import annotations

import jax.numpy as jnp


def expected_spread(mixing, mean, cov):
    """E spread_k of every model: (K, d, d), from W (K, K), E theta (K, d) and Cov theta viewed (K, d, K, d)."""
    gaps = mean[None, :, :] - (mixing @ mean)[:, None, :]  # (k, j, d): mu_j - mu_bar_k
    of_means = jnp.einsum("kj,kja,kjb->kab", mixing, gaps, gaps)
    own = jnp.einsum("kj,jajb->kab", mixing, cov)
    mixed = jnp.einsum("kj,jalb,kl->kab", mixing, cov, mixing)
    return of_means + own - mixed
