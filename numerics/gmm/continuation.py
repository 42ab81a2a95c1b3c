"""Continuation of the Gaussian-mixture family's fixed points in alpha (the synthetic share), the other parameters
fixed: the computed population map (:mod:`numerics.gmm.population`) with alpha a traced input, so the round's
weights w_private = (1 - alpha) beta, w_public = (1 - alpha)(1 - beta), w_synthetic = alpha W
(:func:`theory.rounds.round_plan`) are computed inside the compiled map and the whole branch compiles once; followed
by the pseudo-arclength core :func:`numerics.continuation.follow_branch`, the multipliers by autodiff through the EM
fixed points.

Two facts fix the ends of the branch: at alpha = 0 no model sees synthetic data, so the fixed point is the EM fit of
the real training mixture itself; at alpha = 1 with W = I each model trains on its own mixture, which EM returns
unchanged, so every state is fixed and every multiplier tends to 1.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import sympy

from interplay.numerics.continuation import Branch, follow_branch
from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.gmm.population import (
    device_real,
    expand,
    iterate_population,
    population_step,
    reduce,
    require_gmm,
    start_theta,
    structure,
)
from interplay.theory.rounds import RoundSizes, round_plan
from interplay.theory.spec import Ecosystem, PerModel, SpecError


def state_names(K: int, C: int) -> tuple[str, ...]:
    """The reduced state's coordinates (:func:`numerics.gmm.population.reduce`): per model k, pi[k,c] for
    c < C - 1, then mu[k,c] and s2[k,c]."""
    return tuple(
        f"{name}[{k},{c}]"
        for k in range(K)
        for name, count in (("pi", C - 1), ("mu", C), ("s2", C))
        for c in range(count)
    )


def alpha_map(eco: Ecosystem):
    """f(state, alpha) -> state: the population map on the reduced state with alpha (a scalar) traced."""
    require_gmm(eco)
    step = population_step(structure(eco))
    real = device_real(eco)
    K, C = eco.K, eco.family.components
    beta = eco.beta_at(1)
    zeros = RoundSizes(jnp.zeros((K, 1)), jnp.zeros((K, 1)), jnp.zeros((K, K)))  # population: sizes unused

    def f(state, alpha):
        plan = round_plan(eco, alpha, beta, initial=False, population=True, sizes=zeros, ops=JAX)
        weights = (plan.w_private[:, 0], plan.w_public[:, 0], plan.w_synthetic)
        return reduce(step(real, weights, expand(state, K, C), False)[0])

    return f


def continue_alpha(
    eco: Ecosystem,
    start=None,
    *,
    step: float = 0.02,
    direction: int = 1,
    points: int = 100,
    bounds: tuple[float, float] = (0.0, 1.0),
    tolerance: float = 1e-10,
    locate: float = 1e-9,
) -> Branch:
    """The branch of fixed points through ``start`` (K x 3C: pi, mu, s2 per model, near a fixed point; default the
    round-0 fit) at the spec's alpha, followed in alpha within ``bounds`` (options as in
    :func:`numerics.continuation.continue_fixed_points`): a :class:`~numerics.continuation.Branch` of the reduced
    state (names :func:`state_names`), its multipliers those of :func:`numerics.gmm.population.multipliers`."""
    require_gmm(eco)
    if not eco.is_constant:
        raise SpecError("alpha", "continuation needs a constant alpha and beta (no schedule)")
    alpha = eco.alpha_at(1)
    if isinstance(alpha, PerModel):
        raise SpecError("alpha", "continuation follows one common alpha; got one per model")
    x0 = start_theta(eco, start) if start is not None else iterate_population(eco, 0).theta()[0]
    values, states, multipliers, bifurcations = follow_branch(
        alpha_map(eco),
        np.asarray(reduce(jnp.asarray(x0))),
        float(alpha),
        step=step,
        direction=direction,
        points=points,
        bounds=bounds,
        tolerance=tolerance,
        locate=locate,
    )
    names = state_names(eco.K, eco.family.components)
    return Branch(None, sympy.Symbol("alpha"), values, states, multipliers, bifurcations, names)
