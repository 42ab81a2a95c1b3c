"""Sensitivities: derivatives of trajectories and fixed points with respect to any symbol of the spec.

Leave the parameters of interest symbolic in the spec (alpha, beta, a mean, a variance, ...), build its map
(:func:`theory.population_map` or :func:`theory.moment_map`) and give the symbols' values:

* :func:`trajectory_sensitivity` -- d x_t / d theta for t = 0..T, forward-mode autodiff through the ``lax.scan``;
* :func:`fixed_point_sensitivity` -- d x* / d theta at x* = F(x*, theta) by the implicit function theorem,
  d x*/d theta = (I - dF/dx)^{-1} dF/d theta, through ``jax.lax.custom_root``: no differentiation through the
  rounds that find x* (Anderson acceleration by default, :mod:`numerics.fixed_point`), and
  :func:`solve_fixed_point` stays differentiable inside any jax code;
* :func:`quantity_sensitivity` -- the derivative of one named long-run quantity (a model's mean, a distance, a
  cross-task loss, a diversity...; :func:`theory.long_run`) at x*, by the chain rule on d x* / d theta.

In the finite-n moment map a symbolic alpha or beta makes the sample sizes w n continuous (no rounding): its
derivatives are those of that relaxation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import sympy

from interplay.numerics import fixed_point
from interplay.numerics.driver.results import Labelled
from interplay.theory import SpecError, SymbolicMap, t_symbol
from interplay.theory import registry as theory_registry
from interplay.theory.maps import initial_state
from interplay.theory.named import Quantity, index_axis
from interplay.theory.spec import Ecosystem

UNIT_MULTIPLIER = 1e-9  # |1 - lambda| below this: I - dF/dx is singular at x*


@dataclass(frozen=True)
class Sensitivity(Labelled):
    """A state and its derivative with respect to ``parameters`` (at ``values``).

    Trajectories: state (T+1, n), derivative (T+1, n, p); fixed points: state (n,), derivative (n, p). Entries
    follow ``fmap.state``; ``part`` extracts a named part (e.g. ``"mean"``) as matrices. Labelled
    (``to_xarray``) by ``round``, ``symbol`` (of the state) and ``parameter``.
    """

    fmap: SymbolicMap
    parameters: tuple[sympy.Symbol, ...]
    values: np.ndarray
    state: np.ndarray
    derivative: np.ndarray
    dims = {"state": ("round", "symbol"), "derivative": ("round", "symbol", "parameter"), "values": ("parameter",)}

    def coordinates(self) -> dict:
        return {"symbol": [str(x) for x in self.fmap.state], "parameter": [str(p) for p in self.parameters]}

    def part(self, name: str, of: str = "state") -> np.ndarray:
        """The named part of the state (``of="state"``) or of d/d(parameter j) (``of="derivative"``)."""
        array = self.state if of == "state" else self.derivative
        names = [part for part, _, _ in self.fmap.parts]
        if name not in names:
            raise SpecError("part", f"unknown part {name!r}; the map has {names}")
        start = sum(len(positions) for part, _, positions in self.fmap.parts[: names.index(name)])
        size = len(self.fmap.parts[names.index(name)][2])
        return array[..., start : start + size, :] if of == "derivative" else array[..., start : start + size]


def compile_step(fmap: SymbolicMap):
    """(F(x, theta, t), parameters): the map as a jax function of the state and of the parameter vector theta
    (the map's free symbols other than t, sorted by name). Any map of state symbols will do (no ecosystem
    needed: :func:`numerics.continuation.continue_fixed_points` follows scalar normal forms too)."""
    parameters = tuple(sorted(fmap.parameters - {t_symbol}, key=str))
    arguments = list(fmap.state) + list(parameters) + [t_symbol]
    update = sympy.lambdify(arguments, list(fmap.update), modules="jax", cse=True)

    def step(x, theta, t):
        return jnp.stack([jnp.asarray(e, dtype=jnp.float64) for e in update(*x, *theta, t)])

    return step, parameters


def compile_parametric(fmap: SymbolicMap):
    """(F(x, theta, t), x_0(theta), parameters): :func:`compile_step` and the map's initial state as a jax
    function of theta."""
    step, parameters = compile_step(fmap)
    start = sympy.lambdify(list(parameters), [sympy.sympify(e) for e in initial_state(fmap)], modules="jax", cse=True)

    def initial(theta):
        return jnp.stack([jnp.asarray(e, dtype=jnp.float64) for e in start(*theta)])

    return step, initial, parameters


def _values(parameters, values: dict) -> jnp.ndarray:
    by_name = {str(k): v for k, v in values.items()}
    missing = [str(p) for p in parameters if str(p) not in by_name]
    if missing:
        raise SpecError("values", f"give a value for every free symbol of the map; missing {missing}")
    extra = sorted(set(by_name) - {str(p) for p in parameters})
    if extra:
        raise SpecError("values", f"{extra} are not free symbols of the map")
    return jnp.asarray([float(by_name[str(p)]) for p in parameters], dtype=jnp.float64)


def _substitute(value, substitution: dict):
    """``value`` (a spec, a source, a matrix, a tuple of them) with its symbols replaced; dataclasses are rebuilt,
    so the spec's own checks run again on the values."""
    if hasattr(value, "xreplace"):
        return value.xreplace(substitution)
    if isinstance(value, tuple):
        return tuple(_substitute(v, substitution) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value) if f.init]
        changed = {name: _substitute(getattr(value, name), substitution) for name in fields}
        if all(changed[name] is getattr(value, name) for name in fields):
            return value
        return dataclasses.replace(value, **changed)
    return value


def spec_at(fmap: SymbolicMap, parameters, theta) -> Ecosystem:
    """The map's spec with the parameters at their values, checked as the spec checks its inputs (a fraction
    outside [0, 1], a covariance that is not positive semi-definite, ... raise SpecError naming the field)."""
    substitution = {p: sympy.Float(float(v), 17) for p, v in zip(parameters, np.asarray(theta))}
    return _substitute(fmap.ecosystem, substitution)


def trajectory_sensitivity(fmap: SymbolicMap, values: dict, rounds: int) -> Sensitivity:
    """x_t and d x_t / d theta for t = 0..rounds, by forward-mode autodiff through the scan."""
    step, initial, parameters = compile_parametric(fmap)
    theta = _values(parameters, values)

    def trajectory(theta):
        def body(x, t):
            new = step(x, theta, t)
            return new, new

        start = initial(theta)
        _, path = jax.lax.scan(body, start, jnp.arange(1.0, rounds + 1))
        return jnp.concatenate([start[None], path])

    path, derivative = jax.jit(lambda th: (trajectory(th), jax.jacfwd(trajectory)(th)))(theta)
    return Sensitivity(fmap, parameters, np.asarray(theta), np.asarray(path), np.asarray(derivative))


def solve_fixed_point(
    step: Callable,
    x0,
    theta,
    *,
    tolerance: float = 1e-13,
    max_rounds: int = 200_000,
    method: str = "anderson",
    outcome: bool = False,
):
    """x* = step(x*, theta, 1) from x0 by ``method`` (Anderson acceleration by default; :mod:`numerics.fixed_point`),
    differentiable in theta by the implicit function theorem. With ``outcome=True``, (x*, outcome): the solver's
    status, rounds, residual and size as jax scalars (:func:`numerics.fixed_point.outcome_of` reads them), not
    differentiated."""

    def residual(x):
        return step(x, theta, 1.0) - x

    def forward(residual_fn, x):
        return fixed_point.solve(
            lambda y: y + residual_fn(y), x, method=method, tolerance=tolerance, max_rounds=max_rounds
        )

    def tangent_solve(linearised, b):
        jacobian = jax.jacfwd(linearised)(jnp.zeros_like(b))  # = dF/dx - I at x*
        return jnp.linalg.solve(jacobian, b)

    x, report = jax.lax.custom_root(residual, x0, forward, tangent_solve, has_aux=True)
    return (x, report) if outcome else x


def fixed_point_sensitivity(
    fmap: SymbolicMap,
    values: dict,
    *,
    tolerance: float = 1e-13,
    method: str = "anderson",
    max_rounds: int = 200_000,
) -> Sensitivity:
    """x* and d x* / d theta by the implicit function theorem (the map must be autonomous, I - dF/dx invertible at
    x*). x* is found by ``method`` (:mod:`numerics.fixed_point`: ``"anderson"``, ``"newton"`` or ``"iterate"``)
    within ``max_rounds`` rounds; where it does not converge, or diverges, SpecError says which, in one line."""
    if t_symbol in fmap.parameters:
        raise SpecError("fmap", "the map depends on the round t (accumulate regime): it has no fixed point")
    step, initial, parameters = compile_parametric(fmap)
    theta = _values(parameters, values)
    eco = spec_at(fmap, parameters, theta)

    def point(theta):
        x, report = solve_fixed_point(
            step, initial(theta), theta, tolerance=tolerance, max_rounds=max_rounds, method=method, outcome=True
        )
        return x, (x, report)

    derivative, (x, report) = jax.jit(jax.jacfwd(point, has_aux=True))(theta)  # one solve, one compilation
    found = fixed_point.outcome_of(x, report, method)
    multipliers = np.linalg.eigvals(np.asarray(jax.jacfwd(lambda x: step(x, theta, 1.0))(x)))  # finite at a
    # diverged x too where dF/dx does not depend on x (alpha = 1 in the finite-n map: F(x_0) is NaN, dF/dx is not)
    if np.all(np.isfinite(multipliers)) and np.min(np.abs(1 - multipliers), initial=np.inf) < UNIT_MULTIPLIER:
        alphas = eco.alpha if isinstance(eco.alpha, tuple) else (eco.alpha,)  # a schedule, per model, or one value
        name = "alpha" if all(getattr(a, "is_number", False) and float(a) == 1 for a in alphas) else "values"
        raise SpecError(
            name, f"at {values}: a multiplier of the map is 1, so I - dF/dx is singular: no unique fixed point"
        )
    found.require("values", f"at {values}: the {method} fixed-point iteration")
    return Sensitivity(fmap, parameters, np.asarray(theta), np.asarray(x), np.asarray(derivative))


@dataclass(frozen=True)
class QuantitySensitivity:
    """A named long-run quantity at the fixed point and its derivative with respect to ``parameters``.

    value: the quantity's shape (its axes, :class:`theory.named.Quantity`); derivative: that shape + (p,), the
    last axis following ``parameters``.
    """

    name: str
    parameters: tuple[sympy.Symbol, ...]
    value: np.ndarray
    derivative: np.ndarray

    def wrt(self, parameter: str) -> np.ndarray:
        """d(quantity)/d(parameter), the quantity's shape."""
        names = [str(p) for p in self.parameters]
        if parameter not in names:
            raise SpecError("parameter", f"{parameter!r} is not a parameter of the map; it has {names}")
        return self.derivative[..., names.index(parameter)]


def _quantity_of_state(fmap: SymbolicMap, quantity) -> tuple[str, np.ndarray]:
    """(name, object array of sympy expressions in the state symbols and the parameters): a named quantity of
    the family's long run (:func:`theory.long_run`) at the symbolic state, or ``quantity(parts)`` for a
    callable of the map's named parts (matrices of state symbols, ``fmap.unpack``)."""
    symbolic = {s: s for s in fmap.state}
    if callable(quantity):
        name, value = getattr(quantity, "__name__", "quantity"), quantity(fmap.unpack(symbolic))
        array = Quantity(value, name, _natural_axes(value)).array()
    else:
        eco = fmap.ecosystem
        answer = theory_registry.family(eco).long_run(eco, fmap, symbolic)
        if quantity not in answer:
            raise SpecError(
                "quantity",
                f"{quantity!r} is not a quantity of the {fmap.name} map's state; it has {list(answer)} "
                "(the spectral radius and the stability condition are not functions of the state)",
            )
        name, array = quantity, answer.quantity(quantity).array()
    if not all(isinstance(sympy.sympify(e), sympy.Expr) for e in array.flat):
        raise SpecError("quantity", f"{name!r} is not a number (or an array of numbers) of the state")
    return name, array


def _natural_axes(value):
    """Unlabelled axes of a callable's value (for its shape): none for a scalar, rows and columns for a matrix."""
    if isinstance(value, sympy.MatrixBase):
        return tuple(index_axis(f"axis{i}", n) for i, n in enumerate(value.shape))
    if isinstance(value, list | tuple):
        rows, cols = sympy.Matrix(value[0]).shape
        return index_axis("axis0", len(value)), index_axis("axis1", rows), index_axis("axis2", cols)
    return ()


def quantity_sensitivity(fmap: SymbolicMap, values: dict, quantity, *, tolerance: float = 1e-13) -> QuantitySensitivity:
    """A long-run quantity q(x*(theta), theta) at the fixed point of ``fmap`` and its derivative with respect to
    the map's free symbols (``values`` gives them), by the chain rule on the implicit derivative:

        dq/dtheta = dq/dx (x*) dx*/dtheta + dq/dtheta (x*),   dx*/dtheta = (I - dF/dx)^-1 dF/dtheta

    (:func:`fixed_point_sensitivity`; the second term where q depends on a parameter directly, e.g. a
    cross-task loss on a task whose mean is a parameter). ``quantity``: a name of the family's long run at
    this map (``theory.long_run(eco, of=...)``; e.g. ``"squared_distance"``, ``"cross_task_kl"``, ``"mean"``)
    or a callable of the map's named parts (sympy matrices of the state symbols) returning a sympy expression
    or matrix, e.g. ``lambda parts: (parts["mean"][0] - parts["mean"][1]) ** 2``.
    """
    name, array = _quantity_of_state(fmap, quantity)
    sensitivity = fixed_point_sensitivity(fmap, values, tolerance=tolerance)
    parameters = sensitivity.parameters
    extra = set().union(*(sympy.sympify(e).free_symbols for e in array.flat)) - set(fmap.state) - set(parameters)
    if extra:
        raise SpecError("quantity", f"{name!r} depends on {sorted(map(str, extra))}, which the map does not")
    entries = sympy.lambdify([*fmap.state, *parameters], list(array.flat), modules="jax", cse=True)

    def evaluate(x, theta):
        return jnp.stack([jnp.asarray(e, dtype=jnp.float64) for e in entries(*x, *theta)])

    x, theta = jnp.asarray(sensitivity.state), jnp.asarray(sensitivity.values)
    value, (by_state, by_parameter) = jax.jit(lambda x, th: (evaluate(x, th), jax.jacfwd(evaluate, (0, 1))(x, th)))(
        x, theta
    )
    value, by_state, by_parameter = np.asarray(value), np.asarray(by_state), np.asarray(by_parameter)
    derivative = by_state @ sensitivity.derivative + by_parameter
    return QuantitySensitivity(
        name, parameters, value.reshape(array.shape), derivative.reshape(*array.shape, len(parameters))
    )
