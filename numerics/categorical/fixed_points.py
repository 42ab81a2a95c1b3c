"""Fixed points of the categorical population map where sympy cannot solve it (sampling temperature tau != 1).

The map F(p) = R q + G pi(p), pi(p) = p^(1/tau) renormalised per model (:mod:`theory.categorical.maps`), makes
F(p) = p a system of degree 1/tau (or with roots p^(1/tau)), which has no closed-form solution in general.
Here the compiled map (the theory's definition with jax ops) is iterated from several starts -- the process's
own round-0 fit, the uniform point, a point near each category's corner, random points of the simplex -- and
each end point is polished by Newton's method (:func:`scipy.optimize.root` with the jax Jacobian) on the face
of the simplex it lies on (the categories it gives mass to: pi keeps a zero at zero, so that face is invariant
under F). A point is kept when every entry of F(p) - p is at most ``tolerance``; its multipliers are the
eigenvalues of dF on the face's tangent space (dF maps that space into itself), so it is linearly stable iff
they lie inside the unit circle. These are numbers, not a proof: a fixed point that no start reaches may be
missed, and the multipliers across the face (into categories it gives no mass to) are not reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import scipy.optimize

from interplay.numerics.categorical.iterate import require_categorical
from interplay.numerics.driver.jax_ops import JAX
from interplay.theory import NoUniqueFixedPoint
from interplay.theory.categorical import maps as categorical
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError

SUPPORT_FLOOR = 1e-12  # an entry at most this small is taken to be 0 (on its way there)


@dataclass(frozen=True)
class NumericalFixedPoint:
    """probs (K, m); multipliers: the eigenvalues of dF on the tangent space of its face; ``reached``: the
    process's own round-0 fit iterates to it."""

    probs: np.ndarray
    multipliers: np.ndarray
    reached: bool

    @property
    def spectral_radius(self) -> float:
        return float(np.max(np.abs(self.multipliers), initial=0.0))


def _face_basis(p: np.ndarray, K: int, m: int) -> np.ndarray:
    """Columns e_(k,i) - e_(k,last) spanning the tangent space of the face: i, last in model k's support."""
    columns = []
    for k in range(K):
        support = [k * m + i for i in range(m) if p[k * m + i] > SUPPORT_FLOOR]
        for i in support[:-1]:
            column = np.zeros(K * m)
            column[i], column[support[-1]] = 1.0, -1.0
            columns.append(column)
    return np.array(columns).reshape(-1, K * m).T


def categorical_fixed_points(
    eco: Ecosystem, *, random_starts: int = 8, rounds: int = 5000, seed: int = 0, tolerance: float = 1e-12
) -> list[NumericalFixedPoint]:
    """The distinct fixed points of the population map found from the starts (see the module doc)."""
    require_categorical(eco)
    categorical.require_population_map(eco)
    if not eco.is_numeric:
        raise SpecError("ecosystem", f"numerics needs numbers, the spec has symbols {sorted(map(str, eco.symbols))}")
    if not eco.is_constant or eco.regime == "accumulate":
        raise NoUniqueFixedPoint(
            "the population map changes with the round (a schedule or the accumulate regime): no fixed point"
        )
    K, m = eco.K, eco.dim
    plan = plan_at(eco, 1, population=True, ops=JAX)

    def step(p):  # (K m,) -> (K m,)
        return categorical.population_step(eco, p[:, None], plan, 1.0, JAX)[:, 0]

    uniform = jnp.full(K * m, 1.0 / m)
    round_0 = categorical.population_step(eco, uniform[:, None], plan_at(eco, 0, population=True, ops=JAX), 0.0, JAX)
    corners = [jnp.tile(0.9 * jnp.eye(m)[i] + 0.1 / m, K) for i in range(m)]
    dirichlet = jax.random.dirichlet(jax.random.PRNGKey(seed), jnp.ones(m), (random_starts, K))
    starts = jnp.stack([round_0[:, 0], uniform, *corners, *dirichlet.reshape(random_starts, K * m)])
    iterate = jax.jit(jax.vmap(lambda p: jax.lax.fori_loop(0, rounds, lambda _, x: step(x), p)))
    ends = np.asarray(iterate(starts))
    step_compiled, jacobian = jax.jit(step), jax.jit(jax.jacfwd(step))

    def residual(p):
        return float(np.max(np.abs(np.asarray(step_compiled(jnp.asarray(p))) - p)))

    def polish(p):
        p = np.where(p > SUPPORT_FLOOR, p, 0.0)
        basis = _face_basis(p, K, m)
        if basis.shape[1]:
            project = np.linalg.pinv(basis)
            identity = np.eye(K * m)

            def equations(x):
                q = p + basis @ x
                return project @ (np.asarray(step_compiled(jnp.asarray(q))) - q)

            def derivative(x):
                return project @ (np.asarray(jacobian(jnp.asarray(p + basis @ x))) - identity) @ basis

            solution = scipy.optimize.root(equations, np.zeros(basis.shape[1]), jac=derivative, method="hybr")
            polished = p + basis @ solution.x
            if np.all(np.isfinite(polished)) and np.all(polished >= -SUPPORT_FLOOR):
                polished = np.clip(polished, 0.0, None)
                p = polished if residual(polished) < residual(p) else p
        return p if np.all(np.isfinite(p)) and residual(p) <= tolerance else None

    points: list[np.ndarray] = []
    reached = None
    for index, end in enumerate(ends):
        if not np.all(np.isfinite(end)):
            continue
        point = polish(end)
        if point is None:
            continue
        same = [j for j, known in enumerate(points) if np.max(np.abs(known - point)) < 1e-8]
        if not same:
            points.append(point)
        if index == 0:
            reached = same[0] if same else len(points) - 1
    found = []
    for j, p in enumerate(points):
        basis = _face_basis(p, K, m)
        local = np.linalg.pinv(basis) @ np.asarray(jacobian(jnp.asarray(p))) @ basis
        multipliers = np.linalg.eigvals(local) if basis.shape[1] else np.zeros(0)
        found.append(NumericalFixedPoint(p.reshape(K, m), multipliers, j == reached))
    return found
