"""The shared pool's synthetic noise over the model axis (jax): the vectorised twin of
:func:`theory.pools.shared_noise`, whose module doc derives it."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from interplay.numerics.driver.jax_ops import JAX


def shared_noise(w_synthetic, n_synthetic, variances):
    """(K, K, ...): Cov(eps_k, eps_l) = sum_j w_kj w_lj / max(N_kj, N_lj) V_j for per-sample covariances
    ``variances`` (K, ...) of the models, summed over j one model at a time (memory K^2, not K^3)."""

    def add(total, j):
        rates = JAX.per_sample(
            w_synthetic[:, None, j] * w_synthetic[None, :, j],
            jnp.maximum(n_synthetic[:, None, j], n_synthetic[None, :, j]),
        )
        return total + rates.reshape(rates.shape + (1,) * (variances.ndim - 1)) * variances[j], None

    K = w_synthetic.shape[0]
    return jax.lax.scan(add, jnp.zeros((K, K) + variances.shape[1:]), jnp.arange(K))[0]
