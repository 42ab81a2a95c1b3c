"""Compile a :class:`theory.SymbolicMap` to a jitted jax function with ``sympy.lambdify``.

This is the map's symbolic expression, evaluated by jax: its ``jax.jacfwd`` checks the symbolic Jacobian, and
its values check the jax-ops evaluation used by :mod:`numerics.gaussian.iterate` (the same map reached two ways).
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import sympy

from interplay.theory import SymbolicMap


def compile_map(fmap: SymbolicMap) -> tuple[Callable, tuple[sympy.Symbol, ...]]:
    """``(f, parameters)`` with ``f(x, *parameter_values) -> F(x)``, x a flat vector in ``fmap.state`` order.

    ``parameters`` are the map's free symbols other than the state (e.g. alpha, beta, t), sorted by name.
    """
    parameters = tuple(sorted(fmap.parameters, key=str))
    expressions = sympy.lambdify(list(fmap.state) + list(parameters), list(fmap.update), modules="jax", cse=True)

    def f(x, *values):
        return jnp.stack([jnp.asarray(e, dtype=jnp.float64) for e in expressions(*x, *values)])

    return jax.jit(f), parameters
