"""The Gaussian-mixture family's population map, computed (:mod:`theory.gmm.maps`): its trajectory, fixed points
by :func:`numerics.fixed_point.find_fixed_point` and multipliers by autodiff.

Model k's training distribution p_k is a finite mixture of Gaussians (its real sources' components and the
models' components, weighted by the round's plan, :mod:`theory.rounds` with every sample infinite). Its EM step
needs E_p[r_c], E_p[r_c x], E_p[r_c x^2]: each is a sum over the Gaussian components of p_k of a
quadrature (``family.quadrature`` nodes, :func:`numerics.gmm.em.nodes`), so the map is smooth in theta and jax
differentiates it. One round runs EM to convergence from the previous fit (round 0 from the moment start),
differentiated by the implicit function theorem (:func:`numerics.gmm.em.em_fixed_point`); EM runs that did not stop
within the budget are reported (``em_converged``).

The fixed-point and multiplier functions act on the reduced state (pi_1..pi_{C-1}, mu, s2) per model (pi_C = 1 -
the others), so no multiplier belongs to the constraint sum_c pi_c = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.fixed_point import FixedPoint, find_fixed_point
from interplay.numerics.gmm.em import em_fixed_point, moment_start, nodes
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError, floats


def require_gmm(eco: Ecosystem) -> None:
    if eco.family.name != "gaussian-mixture":
        raise SpecError("family", f"this computation is for gaussian-mixture ecosystems, not {eco.family.name}")


def real_components(eco: Ecosystem) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(source index (S,), weight, mean, variance) of every component of the real sources: private k is source k,
    the public source K."""
    require_gmm(eco)
    rows = [
        (s, float(w), float(m), float(v))
        for s, source in enumerate((*eco.private, eco.public))
        for w, m, v in zip(source.weights, source.means, source.variances)
    ]
    return tuple(np.asarray(column, dtype=np.int64 if i == 0 else np.float64) for i, column in enumerate(zip(*rows)))


def round_weights(eco: Ecosystem, t: int, population: bool = True):
    """(w_private (K,), w_public (K,), w_synthetic (K, K)) of round t as float64 (t = 0: the initial fit)."""
    plan = plan_at(eco, t, population=population)
    return floats(plan.w_private)[:, 0], floats(plan.w_public)[:, 0], floats(plan.w_synthetic)


def training_points(real, weights, theta, z, h):
    """(x (P,), a (K, P)): the quadrature points of every Gaussian component of every p_k and their weights.
    ``real``: the arrays of :func:`real_components`; ``theta`` (K, 3C) the models."""
    source, w, m, v = real
    w_private, w_public, w_synthetic = weights
    K, C = theta.shape[0], theta.shape[1] // 3
    source_weight = jnp.concatenate([jnp.diag(w_private), w_public[:, None]], axis=1)  # (K, K + 1)
    real_x = m[:, None] + jnp.sqrt(v)[:, None] * z  # (S, Q)
    real_a = (source_weight[:, source] * w)[:, :, None] * h  # (K, S, Q)
    pi, mu, s2 = theta[:, :C], theta[:, C : 2 * C], theta[:, 2 * C :]
    model_x = mu[:, :, None] + jnp.sqrt(s2)[:, :, None] * z  # (K, C, Q)
    model_a = (w_synthetic[:, :, None] * pi[None])[..., None] * h  # (K, K, C, Q)
    x = jnp.concatenate([real_x.ravel(), model_x.ravel()])
    return x, jnp.concatenate([real_a.reshape(K, -1), model_a.reshape(K, -1)], axis=1)


def structure(eco: Ecosystem) -> tuple:
    """What a compiled population step depends on: K, C, the real components' count and the EM settings."""
    require_gmm(eco)
    f = eco.family
    return (
        eco.K,
        f.components,
        len(real_components(eco)[0]),
        f.quadrature,
        f.em_tolerance,
        f.em_rounds,
        f.variance_floor,
    )


@compiled_cache
def population_step(shape: tuple):
    """f(real, weights, theta (K, 3C), initial) -> (theta' (K, 3C), steps (K,), converged (K,)): one round of the
    population map (``initial``: the round-0 fit from the moment start, with no synthetic data)."""
    K, C, _, order, tolerance, budget, floor = shape
    z, h = (jnp.asarray(x) for x in nodes(order))

    def run(real, weights, theta, initial):
        x, a = training_points(real, weights, theta, z, h)
        starts = jnp.where(initial, jax.vmap(lambda ak: moment_start(x, ak, C))(a), theta)

        def fit(start, ak):
            return em_fixed_point(start, x, ak, floor, tolerance, budget)

        new, (steps, converged) = jax.vmap(fit)(starts, a)
        return new, steps, converged

    return jax.jit(run)


def device_real(eco: Ecosystem):
    return tuple(jnp.asarray(x) for x in real_components(eco))


def device_weights(eco: Ecosystem, t: int):
    return tuple(jnp.asarray(x) for x in round_weights(eco, t))


@dataclass(frozen=True)
class MixtureTrajectory:
    """Fitted mixtures over rounds 0..T: weights, means, variances (T+1, K, C); em_steps and em_converged (T+1, K):
    how many EM steps each fit took and whether it stopped within the budget."""

    ecosystem: Ecosystem
    weights: np.ndarray
    means: np.ndarray
    variances: np.ndarray
    em_steps: np.ndarray
    em_converged: np.ndarray

    def theta(self) -> np.ndarray:
        """(T+1, K, 3C): (pi, mu, s2) per model."""
        return np.concatenate([self.weights, self.means, self.variances], axis=-1)

    def total_variance(self) -> np.ndarray:
        """(T+1, K): Var x of each fitted mixture."""
        mean = (self.weights * self.means).sum(-1)
        return (self.weights * (self.variances + self.means**2)).sum(-1) - mean**2


def start_theta(eco: Ecosystem, start) -> np.ndarray:
    """A given round-0 state: K x 3C numbers (pi, mu, s2 per model), weights >= 0 summing to 1, variances > 0;
    SpecError naming ``start`` otherwise."""
    K, C = eco.K, eco.family.components
    try:
        theta = np.asarray(start, dtype=np.float64)
    except (TypeError, ValueError):
        raise SpecError("start", f"expected K x 3C = {K} x {3 * C} numbers, got {start!r}") from None
    if theta.shape != (K, 3 * C) or not np.all(np.isfinite(theta)):
        raise SpecError(
            "start", f"expected K x 3C = {K} x {3 * C} finite numbers (pi, mu, s2 per model), got shape {theta.shape}"
        )
    if np.any(theta[:, :C] < 0) or not np.allclose(theta[:, :C].sum(1), 1, rtol=0, atol=1e-12):
        raise SpecError("start", "each model's weights must be >= 0 and sum to 1")
    if np.any(theta[:, 2 * C :] <= 0):
        raise SpecError("start", "variances must be > 0")
    return theta


def trajectory(eco: Ecosystem, thetas, steps, converged) -> MixtureTrajectory:
    thetas = np.asarray(thetas)
    C = eco.family.components
    return MixtureTrajectory(
        eco, thetas[..., :C], thetas[..., C : 2 * C], thetas[..., 2 * C :], np.asarray(steps), np.asarray(converged) > 0
    )


def iterate_population(eco: Ecosystem, rounds: int, start=None) -> MixtureTrajectory:
    """The population map's trajectory over rounds 0..T from the round-0 fit to the real sources, or from ``start``
    (K x 3C: pi, mu, s2 per model)."""
    require_gmm(eco)
    eco.check_rounds(rounds)
    step = population_step(structure(eco))
    real = device_real(eco)
    K, C = eco.K, eco.family.components
    if start is None:
        theta, steps, converged = step(real, device_weights(eco, 0), jnp.ones((K, 3 * C)), True)
    else:
        theta, steps, converged = jnp.asarray(start_theta(eco, start)), jnp.zeros(K), jnp.ones(K)
    kept = [(theta, steps, converged)]
    for t in range(1, rounds + 1):
        theta, steps, converged = step(real, device_weights(eco, t), theta, False)
        kept.append((theta, steps, converged))
    return trajectory(eco, *(np.stack([np.asarray(k[i]) for k in kept]) for i in range(3)))


# -- the reduced state: fixed points and multipliers -----------------------------------------------------------


def reduce(theta):
    """(K, 3C) -> (K (3C - 1),): drop pi_C."""
    C = theta.shape[-1] // 3
    return jnp.concatenate([theta[:, : C - 1], theta[:, C:]], axis=1).ravel()


def expand(state, K: int, C: int):
    """(K (3C - 1),) -> (K, 3C): pi_C = 1 - the other weights."""
    state = state.reshape(K, 3 * C - 1)
    return jnp.concatenate([state[:, : C - 1], 1 - state[:, : C - 1].sum(1, keepdims=True), state[:, C - 1 :]], axis=1)


def population_map(eco: Ecosystem, t: int = 1):
    """F(state) -> state: round t's population map on the reduced state (K (3C - 1),) (module doc), a jax function
    (jit, jacfwd and the fixed-point solvers take it)."""
    require_gmm(eco)
    if t < 1:
        raise SpecError("t", f"an update round t >= 1 has a map, got {t!r}")
    step = population_step(structure(eco))
    real, weights = device_real(eco), device_weights(eco, t)
    K, C = eco.K, eco.family.components

    def F(state):
        return reduce(step(real, weights, expand(state, K, C), False)[0])

    return F


def fixed_point(eco: Ecosystem, start=None, method: str = "anderson", tolerance: float = 1e-11, max_rounds: int = 2000):
    """(FixedPoint of the reduced state, theta* (K, 3C)): a fixed point of the (time-homogeneous) population map
    found by :func:`numerics.fixed_point.find_fixed_point` from ``start`` (K x 3C; default: the round-0 fit)."""
    if not eco.is_constant:
        raise SpecError("alpha", "a fixed point needs a constant alpha and beta (no schedule)")
    x0 = start_theta(eco, start) if start is not None else iterate_population(eco, 0).theta()[0]
    found: FixedPoint = find_fixed_point(
        population_map(eco), reduce(jnp.asarray(x0)), method=method, tolerance=tolerance, max_rounds=max_rounds
    )
    return found, np.asarray(expand(jnp.asarray(found.x), eco.K, eco.family.components))


def jacobian(eco: Ecosystem, theta) -> np.ndarray:
    """dF/dstate at theta (K x 3C) by forward-mode autodiff through the EM fixed points (implicit function theorem)."""
    state = reduce(jnp.asarray(start_theta(eco, theta)))
    return np.asarray(jax.jacfwd(population_map(eco))(state))


def multipliers(eco: Ecosystem, theta) -> np.ndarray:
    """The eigenvalues of dF/dstate at theta (K x 3C), largest modulus first: the multipliers at a fixed point."""
    values = np.linalg.eigvals(jacobian(eco, theta))
    return values[np.argsort(-np.abs(values))]
