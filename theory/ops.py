"""The few array operations the update maps are written against.

Every map in `theory` is one Python function over matrices that uses only ``+``, ``-``, ``*`` by scalars,
``@``, ``.T``, slicing and the operations of an *ops* object. Called with :data:`SYMPY` it returns exact
sympy expressions (the theory); `numerics` calls the same function with its jax ops (the compiled map). So
the two answers come from one definition of the map.

Every quotient by a sample size goes through ``ops.per_sample(value, size)``: value / size, and 0 for a source of
no samples (size 0, which only a source of weight 0 has: :func:`theory.rounds.sample_sizes`), so such a source
contributes nothing where it used to give 0 / 0 or 0 x oo.
"""

from __future__ import annotations

import sympy


class SympyOps:
    """Exact matrices: sympy ``Matrix`` objects, scalars are sympy expressions."""

    @staticmethod
    def asarray(value):
        return sympy.Matrix(value)

    @staticmethod
    def scalar(value):
        return sympy.sympify(value)

    @staticmethod
    def zeros(rows, cols):
        return sympy.zeros(rows, cols)

    @staticmethod
    def eye(size):
        return sympy.eye(size)

    @staticmethod
    def kron(a, b):
        return sympy.kronecker_product(a, b)

    @staticmethod
    def hstack(blocks):
        return sympy.Matrix.hstack(*blocks)

    @staticmethod
    def vstack(blocks):
        return sympy.Matrix.vstack(*blocks)

    @staticmethod
    def block_diag(blocks):
        return sympy.diag(*blocks)

    @staticmethod
    def ndim(value) -> int:
        """0 for a scalar (alpha_t, beta_t the same for every model)."""
        return 0

    @staticmethod
    def column(value, K: int):
        """K x 1: a per-model value (a tuple of K) as a column, or a scalar repeated."""
        return sympy.Matrix([[v] for v in value]) if isinstance(value, tuple) else sympy.Matrix([[value]] * K)

    @staticmethod
    def diag(column):
        """The square matrix with the column vector on its diagonal."""
        return sympy.diag(*column)

    @staticmethod
    def hadamard(a, b):
        """The elementwise product of two matrices of one shape."""
        return sympy.Matrix(a).multiply_elementwise(sympy.Matrix(b))

    @staticmethod
    def per_sample(value, size):
        """value / size, and 0 when the size is exactly 0 (a source of no samples contributes nothing); a
        symbolic size is divided by as it is."""
        return value * 0 if sympy.sympify(size).is_zero else value / size

    @classmethod
    def elementwise_per_sample(cls, values, sizes):
        """:meth:`per_sample` entry by entry of two matrices of one shape."""
        values, sizes = sympy.Matrix(values), sympy.Matrix(sizes)
        return sympy.Matrix(values.rows, values.cols, lambda i, j: cls.per_sample(values[i, j], sizes[i, j]))

    @staticmethod
    def pairwise_max(column):
        """K x K: max(c_k, c_l) of a K x 1 column."""
        return sympy.Matrix(len(column), len(column), lambda k, l: sympy.Max(column[k], column[l]))

    @staticmethod
    def where_infinite(size, infinite, finite):
        """``infinite`` where the size is infinite (the population limit), else ``finite``."""
        return infinite if sympy.sympify(size).is_infinite else finite

    @staticmethod
    def tempered(rows, exponent):
        """Each row p of probabilities raised to the power e and renormalised: p_i^e / sum_j p_j^e."""
        powered = sympy.Matrix(rows).applyfunc(lambda x: x**exponent)
        return sympy.Matrix.vstack(*[powered.row(k) / sum(powered.row(k)) for k in range(powered.rows)])


SYMPY = SympyOps()
