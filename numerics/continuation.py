"""Continuation: follow a branch of fixed points x*(lambda) of a map as one parameter varies.

Pseudo-arclength continuation (as in AUTO, BifurcationKit, PyCont) of G(x, lambda) = F(x, lambda) - x = 0:
predict along the unit tangent v of the branch, (x, lambda) + ds v, then correct by Newton's method on
[G(x, lambda); v . ((x, lambda) - prediction)] = 0. Along the branch the multipliers (eigenvalues of dF/dx)
say the stability; a bifurcation is where one crosses the unit circle, detected by a change between
consecutive points of how many multipliers lie outside it (counted by kind, so repeated multipliers are
caught too, where a determinant's sign would not change) and located by bisection along the arclength:

* through +1 (real multipliers > 1): named from the normal form, as BifurcationKit does (Kuznetsov, Elements
  of Applied Bifurcation Theory, chapter 4: bifurcations of fixed points of maps). With J = dF/dx at the point, v and w
  its right and left eigenvectors of the multiplier 1 (|v| = 1, w . v = 1), the map reduced to the centre
  manifold x = x* + s v + s^2 h + dp psi is s -> s + a dp + b1 s dp + b2 s^2 + b3 s^3 + ..., with

      a  = <w, F_p>,                          (J - I) psi = a v - F_p,
      b2 = <w, D2F[v, v]> / 2,                (J - I) h   = b2 v - D2F[v, v] / 2    (w . psi = w . h = 0),
      b1 = <w, D_p J v + D2F[v, psi]>,        b3 = <w, D2F[v, h] + D3F[v, v, v] / 6>;

  a != 0: a **fold** (saddle-node: the branch turns back in the parameter); a = 0 (a branch of fixed points
  crosses another) and b2 != 0: **transcritical** (the two exchange stability); a = b2 = 0 (a symmetry) and
  b3 != 0: **pitchfork**. A multiplier 1 that is not simple, or all of a, b2, b3 zero, stays a **branch
  point** (e.g. a continuum of fixed points). The coefficients come with the event;
* through -1 (real multipliers < -1): period doubling (flip);
* a complex pair through the circle: Neimark-Sacker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np
import sympy

from interplay.numerics.driver.results import Labelled
from interplay.numerics.sensitivity import _values, compile_step
from interplay.theory import SpecError, SymbolicMap, t_symbol

NORMAL_FORM_ZERO = 1e-6  # a coefficient below this (times the largest of 1, |b1|, |b2|, |b3|) is zero
SIMPLE = 1e-6  # another multiplier within this of 1: the multiplier 1 is not simple


@dataclass(frozen=True)
class Bifurcation:
    """A crossing of the unit circle: ``kind`` "fold", "transcritical", "pitchfork", "branch point" (multiplier
    +1, named from the normal form's ``coefficients`` a, b1, b2, b3; module docstring), "period doubling"
    (-1) or "neimark-sacker" (a complex pair)."""

    kind: str
    parameter: float
    state: np.ndarray
    multipliers: np.ndarray
    coefficients: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Branch(Labelled):
    """Points (parameter, state) along a branch with their multipliers, stability and bifurcations; labelled
    (``to_xarray``) by ``point``, ``symbol`` (of the state) and ``multiplier``, its bifurcations an attribute.
    A branch of a computed map (no :class:`SymbolicMap`: ``fmap`` None) names its state by ``names``."""

    fmap: SymbolicMap | None
    parameter: sympy.Symbol
    values: np.ndarray  # (N,) the continuation parameter
    states: np.ndarray  # (N, n)
    multipliers: np.ndarray  # (N, n) complex
    bifurcations: list[Bifurcation] = field(default_factory=list)
    names: tuple[str, ...] = ()
    dims = {
        "values": ("point",),
        "states": ("point", "symbol"),
        "multipliers": ("point", "multiplier"),
        "stable": ("point",),
    }

    @property
    def stable(self) -> np.ndarray:
        return np.abs(self.multipliers).max(axis=1) < 1

    @property
    def symbols(self) -> list[sympy.Symbol]:
        """The state's symbols: the map's, or ``names`` as symbols for a computed map."""
        return list(self.fmap.state) if self.fmap is not None else [sympy.Symbol(name) for name in self.names]

    def coordinates(self) -> dict:
        return {"symbol": [str(x) for x in self.symbols]}

    def attributes(self) -> dict:
        """The continuation parameter's name and the bifurcations (a complex multiplier as [real, imaginary])."""
        events = [
            {
                "kind": b.kind,
                "parameter": b.parameter,
                "state": np.asarray(b.state).tolist(),
                "multipliers": [[float(z.real), float(z.imag)] for z in np.asarray(b.multipliers)],
            }
            for b in self.bifurcations
        ]
        return {"parameter": str(self.parameter), "bifurcations": events}


def _test_functions(multipliers: np.ndarray) -> np.ndarray:
    """How many multipliers lie outside the unit circle: (real > 1, real < -1, complex)."""
    real = np.abs(multipliers.imag) < 1e-9
    return np.array(
        [
            np.sum(real & (multipliers.real > 1)),
            np.sum(real & (multipliers.real < -1)),
            np.sum(~real & (np.abs(multipliers) > 1)),
        ]
    )


def continue_fixed_points(
    fmap: SymbolicMap,
    parameter: str,
    values: dict,
    start,
    *,
    step: float = 0.01,
    direction: int = 1,
    points: int = 200,
    bounds: tuple[float, float] = (-np.inf, np.inf),
    tolerance: float = 1e-11,
    locate: float = 1e-9,
) -> Branch:
    """Follow the fixed point through ``start`` (a state near a fixed point at ``values[parameter]``).

    ``values`` gives every free symbol of the map; ``parameter`` (a symbol name) is the one continued, from
    ``values[parameter]`` towards larger (``direction=1``) or smaller (``-1``) values, for ``points`` steps of
    arclength ``step`` or until it leaves ``bounds``.
    """
    if t_symbol in fmap.parameters:
        raise SpecError("fmap", "the map depends on the round t (accumulate regime): it has no fixed points")
    F, parameters = compile_step(fmap)
    theta0 = np.asarray(_values(parameters, values))
    names = [str(p) for p in parameters]
    if parameter not in names:
        raise SpecError("parameter", f"{parameter!r} is not a free symbol of the map; it has {names}")
    index = names.index(parameter)

    def f(x, p):
        return F(x, jnp.asarray(theta0).at[index].set(p), 1.0)

    values_, states, mus, bifurcations = follow_branch(
        f,
        start,
        theta0[index],
        step=step,
        direction=direction,
        points=points,
        bounds=bounds,
        tolerance=tolerance,
        locate=locate,
    )
    return Branch(fmap, parameters[index], values_, states, mus, bifurcations)


def follow_branch(
    f,
    start,
    value: float,
    *,
    step: float = 0.01,
    direction: int = 1,
    points: int = 200,
    bounds: tuple[float, float] = (-np.inf, np.inf),
    tolerance: float = 1e-11,
    locate: float = 1e-9,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Bifurcation]]:
    """The pseudo-arclength core (module docstring) for any jax map ``f(x (n,), p) -> x'`` with the parameter p a
    traced scalar (so G and its Jacobian compile once for the whole branch): from ``start`` near a fixed point at
    p = ``value``, (parameter values (N,), states (N, n), multipliers (N, n), bifurcations). The options as in
    :func:`continue_fixed_points`."""
    if direction not in (1, -1):
        raise SpecError("direction", f"must be 1 or -1, got {direction!r}")
    n = len(np.asarray(start))

    def G(z):
        return f(z[:n], z[n]) - z[:n]

    G = jax.jit(G)
    jacobian = jax.jit(jax.jacfwd(G))

    def multipliers(z):
        return np.linalg.eigvals(np.asarray(jacobian(jnp.asarray(z)))[:, :n] + np.eye(n))

    def correct(prediction, tangent):
        z = prediction.copy()
        for _ in range(50):
            residual = np.concatenate([np.asarray(G(jnp.asarray(z))), [tangent @ (z - prediction)]])
            if np.max(np.abs(residual)) < tolerance:
                return z
            system = np.vstack([np.asarray(jacobian(jnp.asarray(z))), tangent])
            z = z - np.linalg.lstsq(system, residual, rcond=None)[0]
        raise SpecError("start", f"Newton's method did not converge near parameter {prediction[n]:.6g}")

    def tangent_at(z, previous):
        J = np.asarray(jacobian(jnp.asarray(z)))
        _, _, vh = np.linalg.svd(J)
        v = vh[-1]  # the null direction of the n x (n+1) Jacobian
        return v if v @ previous >= 0 else -v

    z = np.concatenate([np.asarray(start, dtype=float), [float(value)]])
    z = correct(z, np.eye(n + 1)[n])  # fix the parameter, solve for x
    tangent = tangent_at(z, direction * np.eye(n + 1)[n])
    zs, mus = [z], [multipliers(z)]
    for _ in range(points):
        new = correct(z + step * tangent, tangent)
        if not bounds[0] <= new[n] <= bounds[1]:
            break
        tangent = tangent_at(new, tangent)
        z = new
        zs.append(z)
        mus.append(multipliers(z))
    zs, mus = np.array(zs), np.array(mus)

    bifurcations = []
    tests = np.array([_test_functions(m) for m in mus])
    for i in range(len(zs) - 1):
        for kind_index in range(3):
            if tests[i, kind_index] != tests[i + 1, kind_index]:
                point = _locate(zs[i], zs[i + 1], kind_index, correct, multipliers, locate)
                bifurcations.append(_named(point, kind_index, multipliers(point), f, n))
    return zs[:, n], zs[:, :n], mus, bifurcations


def _locate(left, right, kind_index, correct, multipliers, precision) -> np.ndarray:
    """Bisect the arclength between two branch points until the change of the count is pinned."""

    def test(z):
        return _test_functions(multipliers(z))[kind_index]

    low, high, low_value = left, right, test(left)
    while np.linalg.norm(high - low) > precision:
        direction = (high - low) / np.linalg.norm(high - low)
        middle = correct((low + high) / 2, direction)
        value = test(middle)
        if value == low_value:
            low, low_value = middle, value
        else:
            high = middle
    return (low + high) / 2


def _named(point, kind_index, multipliers, f, n) -> Bifurcation:
    """The event at ``point`` (state, parameter), a crossing of +1 named from its normal form."""
    if kind_index:
        kind = ["period doubling", "neimark-sacker"][kind_index - 1]
        return Bifurcation(kind, float(point[n]), point[:n], multipliers)
    coefficients = normal_form(f, point[:n], point[n])
    if coefficients is None:
        return Bifurcation("branch point", float(point[n]), point[:n], multipliers)
    scale = max(1.0, *(abs(coefficients[c]) for c in ("b1", "b2", "b3")))
    zero = {c: abs(value) < NORMAL_FORM_ZERO * scale for c, value in coefficients.items()}
    if not zero["a"]:
        kind = "fold"
    elif not zero["b2"]:
        kind = "transcritical"
    elif not zero["b3"]:
        kind = "pitchfork"
    else:
        kind = "branch point"
    return Bifurcation(kind, float(point[n]), point[:n], multipliers, coefficients)


def normal_form(G, x, p) -> dict[str, float] | None:
    """The coefficients a, b1, b2, b3 of the map G(., p) (a jax function of the state and the parameter) reduced
    to the centre manifold of a simple multiplier 1 at its fixed point x (module docstring); None when the
    multiplier 1 is not simple there."""
    x = jnp.asarray(x)

    J = np.asarray(jax.jacfwd(G)(x, p))
    values, right = np.linalg.eig(J)
    nearest = np.argsort(np.abs(values - 1))
    if len(values) > 1 and abs(values[nearest[1]] - 1) < SIMPLE:
        return None
    v = np.real(right[:, nearest[0]])
    v = v / np.linalg.norm(v)
    left_values, left = np.linalg.eig(J.T)
    w = np.real(left[:, np.argmin(np.abs(left_values - 1))])
    w = w / (w @ v)

    def along(*directions):
        """D^k F[directions] at (x, p): nested directional derivatives."""

        def derivative(f, u):
            return lambda y: jax.jvp(f, (y,), (jnp.asarray(u),))[1]

        f = lambda y: G(y, p)  # noqa: E731
        for u in directions:
            f = derivative(f, u)
        return np.asarray(f(x))

    def centre(rhs):
        """h with (J - I) h = rhs and w . h = 0 (rhs is in the range of J - I: w . rhs = 0)."""
        system = np.vstack([J - np.eye(len(v)), w])
        return np.linalg.lstsq(system, np.concatenate([rhs, [0.0]]), rcond=None)[0]

    F_p = np.asarray(jax.jacfwd(G, argnums=1)(x, p))
    a = float(w @ F_p)
    psi = centre(a * v - F_p)
    Jv_p = np.asarray(jax.jacfwd(lambda q: jax.jvp(lambda y: G(y, q), (x,), (jnp.asarray(v),))[1])(p))
    b1 = float(w @ (Jv_p + along(v, psi)))
    second = along(v, v)
    b2 = float(w @ second) / 2
    h = centre(b2 * v - second / 2)
    b3 = float(w @ (along(v, h) + along(v, v, v) / 6))
    return {"a": a, "b1": b1, "b2": b2, "b3": b3}
