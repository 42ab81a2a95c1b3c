"""Continuation: follow a branch of fixed points x*(lambda) of a map as one parameter varies.

Pseudo-arclength continuation (as in AUTO, BifurcationKit, PyCont) of G(x, lambda) = F(x, lambda) - x = 0:
predict along the unit tangent v of the branch, (x, lambda) + ds v, then correct by Newton's method on
[G(x, lambda); v . ((x, lambda) - prediction)] = 0. Along the branch the multipliers (eigenvalues of dF/dx)
say the stability; a bifurcation is where one crosses the unit circle, detected by a change between
consecutive points of how many multipliers lie outside it (counted by kind, so repeated multipliers are
caught too, where a determinant's sign would not change) and located by bisection along the arclength:

* through +1 (real multipliers > 1): a fold when lambda turns back (the tangent's lambda component changes
  sign), else a branch point (pitchfork, transcritical, or a continuum of fixed points);
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
from interplay.numerics.sensitivity import _values, compile_parametric
from interplay.theory import SpecError, SymbolicMap, t_symbol


@dataclass(frozen=True)
class Bifurcation:
    kind: str  # "fold", "branch point", "period doubling", "neimark-sacker"
    parameter: float
    state: np.ndarray
    multipliers: np.ndarray


@dataclass(frozen=True)
class Branch(Labelled):
    """Points (parameter, state) along a branch with their multipliers, stability and bifurcations; labelled
    (``to_xarray``) by ``point``, ``symbol`` (of the state) and ``multiplier``, its bifurcations an attribute."""

    fmap: SymbolicMap
    parameter: sympy.Symbol
    values: np.ndarray  # (N,) the continuation parameter
    states: np.ndarray  # (N, n)
    multipliers: np.ndarray  # (N, n) complex
    bifurcations: list[Bifurcation] = field(default_factory=list)
    dims = {
        "values": ("point",),
        "states": ("point", "symbol"),
        "multipliers": ("point", "multiplier"),
        "stable": ("point",),
    }

    @property
    def stable(self) -> np.ndarray:
        return np.abs(self.multipliers).max(axis=1) < 1

    def coordinates(self) -> dict:
        return {"symbol": [str(x) for x in self.fmap.state]}

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
    if direction not in (1, -1):
        raise SpecError("direction", f"must be 1 or -1, got {direction!r}")
    if t_symbol in fmap.parameters:
        raise SpecError("fmap", "the map depends on the round t (accumulate regime): it has no fixed points")
    F, _, parameters = compile_parametric(fmap)
    theta0 = np.asarray(_values(parameters, values))
    names = [str(p) for p in parameters]
    if parameter not in names:
        raise SpecError("parameter", f"{parameter!r} is not a free symbol of the map; it has {names}")
    index = names.index(parameter)
    n = len(fmap.state)

    def G(z):
        theta = jnp.asarray(theta0).at[index].set(z[n])
        return F(z[:n], theta, 1.0) - z[:n]

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

    z = np.concatenate([np.asarray(start, dtype=float), [theta0[index]]])
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
                bifurcations.append(_locate(zs[i], zs[i + 1], kind_index, correct, multipliers, tangent_at, n, locate))
    return Branch(fmap, parameters[index], zs[:, n], zs[:, :n], mus, bifurcations)


def _locate(left, right, kind_index, correct, multipliers, tangent_at, n, precision) -> Bifurcation:
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
    point = (low + high) / 2
    kind = ["branch point", "period doubling", "neimark-sacker"][kind_index]
    if kind_index == 0:
        turn = np.sign(tangent_at(left, right - left)[n]) != np.sign(tangent_at(right, right - left)[n])
        kind = "fold" if turn else kind
    return Bifurcation(kind, float(point[n]), point[:n], multipliers(point))
