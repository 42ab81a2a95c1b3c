"""Fixed points x = F(x) found by a method that says what happened: converged, did not converge, or diverged.

Three methods on the residual g(x) = F(x) - x, each a ``lax.while_loop`` in float64 (jit-compiled; inside
:func:`jax.lax.custom_root` the fixed point is differentiable without differentiating the loop,
:func:`numerics.sensitivity.solve_fixed_point`):

* ``"iterate"`` -- x <- F(x). Converges at the rate of the largest multiplier |lambda| of dF/dx at x*, about
  log(tolerance) / log|lambda| rounds (some 30,000 at lambda = 0.999), and only to a stable fixed point;
* ``"anderson"`` -- Anderson acceleration, type II (Walker and Ni 2011, SIAM J. Numer. Anal. 49, 1715-1735).
  With the last m (``memory``) differences dX = [x_(i+1) - x_i], dG = [g_(i+1) - g_i] as rows,

      gamma = argmin |g_k - dG^T gamma|_2,        x_(k+1) = x_k + g_k - (dX + dG)^T gamma,

  a multisecant quasi-Newton step (on an affine map of dimension n <= m it reaches x* in about n + 1 rounds).
  Safeguard: the step is kept only when F is finite there and its residual max|g| is no larger than the current
  one; otherwise the plain step x_(k+1) = F(x_k) is taken;
* ``"newton"`` -- Newton's method on g with the jax Jacobian dF/dx - I and a backtracking line search (the step
  is halved, at most ``HALVINGS`` times, until max|g| falls by the factor 1 - 1e-4 t). Where the Newton direction
  is not finite (a singular Jacobian) or no step length reduces the residual, Anderson takes over from the
  current point for the rest of the budget (``FixedPoint.newton_rounds`` says when).

Anderson and Newton solve g = 0, so they also find fixed points that plain iteration is repelled from (a
multiplier outside the unit circle): stability is read from the multipliers, not from which method found x*.

The outcome (:class:`FixedPoint`), judged at every round:

* ``converged`` -- max|F(x) - x| <= tolerance * max(1, max|x|);
* ``diverged`` -- an iterate or its image is not finite, or max|x| exceeds ``growth`` * max(1, max|x_0|)
  (``growth`` = 1e8 by default);
* ``did_not_converge`` -- the budget of ``max_rounds`` rounds is spent with every iterate finite and within that
  bound (a cycle, a slow drift, a map whose residual stays away from 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from interplay.theory import SpecError

METHODS = ("iterate", "anderson", "newton")
STATUSES = ("converged", "did_not_converge", "diverged")
CONVERGED, DID_NOT_CONVERGE, DIVERGED = range(3)
MEMORY = 5  # Anderson's m: how many past differences enter the least-squares mixing
GROWTH = 1e8  # max|x| beyond GROWTH * max(1, max|x_0|): diverged
HALVINGS = 30  # Newton's line search: step lengths 1, 1/2, ..., 2^-HALVINGS
ARMIJO = 1e-4  # a step of length t is kept when max|g| falls to at most (1 - ARMIJO t) of its value


@dataclass(frozen=True)
class FixedPoint:
    """The last iterate ``x`` and what happened: ``status`` (one of :data:`STATUSES`, module doc), the ``rounds``
    used, the ``residual`` max|F(x) - x| and the ``size`` max|x| there (inf or nan when it is not finite), the
    ``bound`` on max|x| beyond which the iteration is said to diverge, and for ``method="newton"`` the rounds
    Newton ran before Anderson took over (``newton_rounds`` = ``rounds`` when it never did)."""

    x: np.ndarray
    status: str
    rounds: int
    residual: float
    size: float
    bound: float
    method: str
    newton_rounds: int | None = None

    @property
    def converged(self) -> bool:
        return self.status == "converged"

    def failure(self) -> str | None:
        """None when converged, else one line: "did not converge within N iterations (last residual r)" or
        "diverged (|x| reached s at iteration i)"."""
        if self.status == "did_not_converge":
            return f"did not converge within {self.rounds} iterations (last residual {self.residual:.3g})"
        if self.status == "diverged":
            if np.isfinite(self.size) and self.size > self.bound:
                return f"diverged (|x| reached {self.size:.3g} > {self.bound:.3g} at iteration {self.rounds})"
            if np.isfinite(self.size):
                return f"diverged (|x| reached {self.size:.3g} and F(x) is not finite at iteration {self.rounds})"
            return f"diverged (|x| reached {self.size} at iteration {self.rounds})"
        return None

    def require(self, parameter: str, what: str = "the fixed-point iteration", error: type = SpecError) -> np.ndarray:
        """``x`` when converged; else raises ``error`` (SpecError naming ``parameter``, or e.g.
        :class:`theory.NoUniqueFixedPoint`, whose message then starts with ``parameter``) with :meth:`failure`."""
        if self.converged:
            return self.x
        if error is SpecError:
            raise SpecError(parameter, f"{what} {self.failure()}")
        raise error(f"{parameter}: {what} {self.failure()}")


def _judge(x, g, bound, tolerance):
    """(status, max|g|, max|x|) of the iterate x with residual g at round ``count``."""
    residual, size = jnp.max(jnp.abs(g)), jnp.max(jnp.abs(x))
    finite = jnp.all(jnp.isfinite(x)) & jnp.all(jnp.isfinite(g))
    status = jnp.where(
        ~finite | (size > bound),
        DIVERGED,
        jnp.where(residual <= tolerance * jnp.maximum(1.0, size), CONVERGED, DID_NOT_CONVERGE),
    )
    return status, residual, size


def _start(F, x0, tolerance, growth):
    x0 = jnp.asarray(x0, dtype=jnp.float64)
    bound = growth * jnp.maximum(1.0, jnp.max(jnp.abs(x0)))
    g0 = F(x0) - x0
    status, residual, size = _judge(x0, g0, bound, tolerance)
    return {"x": x0, "g": g0, "count": jnp.asarray(0), "status": status, "residual": residual, "size": size}, bound


def _running(max_rounds):
    return lambda s: (s["status"] == DID_NOT_CONVERGE) & (s["count"] < max_rounds)


def _moved(s, x, g, bound, tolerance):
    count = s["count"] + 1
    status, residual, size = _judge(x, g, bound, tolerance)
    return s | {"x": x, "g": g, "count": count, "status": status, "residual": residual, "size": size}


def _iterate(F, s, bound, tolerance, max_rounds):
    def advance(s):
        x = s["x"] + s["g"]
        return _moved(s, x, F(x) - x, bound, tolerance)

    return jax.lax.while_loop(_running(max_rounds), advance, s)


def _anderson(F, s, bound, tolerance, max_rounds, memory):
    n = s["x"].shape[0]
    s = s | {"dX": jnp.zeros((memory, n)), "dG": jnp.zeros((memory, n))}

    def advance(s):
        x, g = s["x"], s["g"]
        gamma = jnp.linalg.lstsq(s["dG"].T, g)[0]
        candidate = x + g - (s["dX"] + s["dG"]).T @ gamma
        g_candidate = F(candidate) - candidate
        better = jnp.all(jnp.isfinite(g_candidate)) & (jnp.max(jnp.abs(g_candidate)) <= s["residual"])
        keep = better | jnp.all(gamma == 0)  # no history (gamma = 0): the candidate is the plain step

        def plain(_):
            y = x + g
            return y, F(y) - y

        new_x, new_g = jax.lax.cond(keep, lambda _: (candidate, g_candidate), plain, None)
        slot = s["count"] % memory
        s = s | {"dX": s["dX"].at[slot].set(new_x - x), "dG": s["dG"].at[slot].set(new_g - g)}
        return _moved(s, new_x, new_g, bound, tolerance)

    s = jax.lax.while_loop(_running(max_rounds), advance, s)
    return {k: v for k, v in s.items() if k not in ("dX", "dG")}


def _newton(F, s, bound, tolerance, max_rounds):
    """Newton rounds until converged, diverged, out of budget or stuck (``stuck``: no step reduces max|g|)."""
    jacobian = jax.jacfwd(F)
    s = s | {"stuck": jnp.asarray(False)}

    def advance(s):
        x, g, residual = s["x"], s["g"], s["residual"]
        direction = jnp.linalg.solve(jacobian(x) - jnp.eye(x.shape[0]), -g)

        def trial(t):
            y = x + t * direction
            return y, F(y) - y

        def short(search):
            t, _, g_y, halvings = search
            accepted = jnp.all(jnp.isfinite(g_y)) & (jnp.max(jnp.abs(g_y)) <= (1 - ARMIJO * t) * residual)
            return ~accepted & (halvings < HALVINGS)

        def halve(search):
            t, _, _, halvings = search
            y, g_y = trial(t / 2)
            return t / 2, y, g_y, halvings + 1

        y, g_y = trial(1.0)
        t, y, g_y, _ = jax.lax.while_loop(short, halve, (jnp.asarray(1.0), y, g_y, 0))
        accepted = (
            jnp.all(jnp.isfinite(direction))
            & jnp.all(jnp.isfinite(g_y))
            & (jnp.max(jnp.abs(g_y)) <= (1 - ARMIJO * t) * residual)
        )
        moved = _moved(s, y, g_y, bound, tolerance)
        return jax.tree_util.tree_map(lambda new, old: jnp.where(accepted, new, old), moved, s) | {"stuck": ~accepted}

    running = _running(max_rounds)
    s = jax.lax.while_loop(lambda s: running(s) & ~s["stuck"], advance, s)
    return {k: v for k, v in s.items() if k != "stuck"}


def solve(
    F: Callable,
    x0,
    *,
    method: str = "anderson",
    tolerance: float = 1e-13,
    max_rounds: int = 10_000,
    memory: int = MEMORY,
    growth: float = GROWTH,
) -> tuple[jax.Array, dict]:
    """(x, outcome): the jax core of :func:`find_fixed_point`, for use inside jit (and custom_root). ``outcome``
    holds float64 jax scalars: status (an index into :data:`STATUSES`), rounds, residual, size, bound and
    newton_rounds (-1 unless ``method="newton"``)."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    s, bound = _start(F, x0, tolerance, growth)
    newton_rounds = jnp.asarray(-1)
    if method == "iterate":
        s = _iterate(F, s, bound, tolerance, max_rounds)
    else:
        if method == "newton":
            s = _newton(F, s, bound, tolerance, max_rounds)
            newton_rounds = s["count"]
        s = _anderson(F, s, bound, tolerance, max_rounds, memory)
    outcome = {
        "status": s["status"],
        "rounds": s["count"],
        "residual": s["residual"],
        "size": s["size"],
        "bound": bound,
        "newton_rounds": newton_rounds,
    }  # all float64: custom_root's derivative rule refuses integer auxiliary outputs (jax 0.10)
    return s["x"], {name: jnp.asarray(value, dtype=jnp.float64) for name, value in outcome.items()}


def outcome_of(x, outcome: dict, method: str) -> FixedPoint:
    """The :class:`FixedPoint` of :func:`solve`'s (concrete) answer."""
    newton_rounds = int(outcome["newton_rounds"])
    return FixedPoint(
        x=np.asarray(x),
        status=STATUSES[int(outcome["status"])],
        rounds=int(outcome["rounds"]),
        residual=float(outcome["residual"]),
        size=float(outcome["size"]),
        bound=float(outcome["bound"]),
        method=method,
        newton_rounds=None if newton_rounds < 0 else newton_rounds,
    )


def find_fixed_point(
    F: Callable,
    x0,
    *,
    method: str = "anderson",
    tolerance: float = 1e-13,
    max_rounds: int = 10_000,
    memory: int = MEMORY,
    growth: float = GROWTH,
) -> FixedPoint:
    """A fixed point of the jax function F (a vector to a vector of the same size) from x0 by ``method`` (module
    doc), and what happened. A non-positive ``tolerance``, ``max_rounds`` or ``memory`` raises SpecError."""
    for name, value in (("tolerance", tolerance), ("max_rounds", max_rounds), ("memory", memory)):
        if not value > 0:
            raise SpecError(name, f"must be positive, got {value!r}")
    x0 = jnp.atleast_1d(jnp.asarray(x0, dtype=jnp.float64))
    options = {"method": method, "tolerance": tolerance, "max_rounds": max_rounds, "memory": memory, "growth": growth}
    x, outcome = jax.jit(lambda x0: solve(F, x0, **options))(x0)
    return outcome_of(x, outcome, method)
