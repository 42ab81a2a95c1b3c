"""The ops of :mod:`theory.ops` for jax arrays (float64), so the theory's maps run compiled."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.scipy.linalg
import sympy

from interplay.theory.spec import floats


def _plain(value):
    if isinstance(value, sympy.MatrixBase):
        return floats(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, sympy.Basic):
        return float(value)
    return value


class JaxOps:
    @staticmethod
    def asarray(value):
        return jnp.asarray(_plain(value), dtype=jnp.float64)

    @staticmethod
    def scalar(value):
        return jnp.asarray(_plain(value), dtype=jnp.float64)

    @staticmethod
    def zeros(rows, cols):
        return jnp.zeros((rows, cols))

    @staticmethod
    def eye(size):
        return jnp.eye(size)

    @staticmethod
    def kron(a, b):
        return jnp.kron(a, b)

    @staticmethod
    def hstack(blocks):
        return jnp.hstack(blocks)

    @staticmethod
    def vstack(blocks):
        return jnp.vstack(blocks)

    @staticmethod
    def block_diag(blocks):
        return jax.scipy.linalg.block_diag(*blocks)

    @staticmethod
    def ndim(value) -> int:
        return jnp.ndim(value)

    @staticmethod
    def column(value, K: int):
        """K x 1: a per-model value (K,) as a column, or a scalar repeated."""
        return jnp.broadcast_to(jnp.asarray(_plain(value), dtype=jnp.float64), (K,)).reshape(K, 1)

    @staticmethod
    def diag(column):
        return column * jnp.eye(column.shape[0])

    @staticmethod
    def hadamard(a, b):
        return a * b

    @staticmethod
    def per_sample(value, size):
        """value / size elementwise (broadcast), 0 where size = 0 (a source of no samples contributes nothing),
        with finite gradients there."""
        empty = size == 0
        return jnp.where(empty, 0.0, value / jnp.where(empty, 1.0, size))

    @classmethod
    def elementwise_per_sample(cls, values, sizes):
        return cls.per_sample(values, sizes)

    @staticmethod
    def pairwise_max(column):
        """(K, K): max(c_k, c_l) of a (K, 1) column."""
        return jnp.maximum(column, column.T)

    @staticmethod
    def where_infinite(size, infinite, finite):
        """``infinite`` where the size is infinite (the population limit), else ``finite`` (elementwise)."""
        return jnp.where(jnp.isinf(size), infinite, finite)

    @staticmethod
    def tempered(rows, exponent):
        """p_i^e / sum_j p_j^e along the last axis, as exp(e (log p_i - max_j log p_j)) renormalised: finite for
        every e > 0, 0 where p_i = 0, with finite gradients. e is capped at 1e300, beyond which (tau < 1e-300) the
        result is already the uniform law on the argmax for any gap between two float64 logarithms."""
        positive = rows > 0
        logs = jnp.where(positive, jnp.log(jnp.where(positive, rows, 1.0)), -jnp.inf)
        gaps = logs - jax.lax.stop_gradient(logs.max(-1, keepdims=True))  # a common shift: no gradient (ties)
        weights = jnp.exp(jnp.minimum(exponent, 1e300) * gaps)
        return weights / weights.sum(-1, keepdims=True)


JAX = JaxOps()
