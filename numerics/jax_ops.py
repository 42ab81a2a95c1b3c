"""The ops of :mod:`theory.ops` for jax arrays (float64), so the theory's maps run compiled."""

from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.linalg
import sympy


def _plain(value):
    if isinstance(value, sympy.MatrixBase):
        value = value.tolist()
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


JAX = JaxOps()
