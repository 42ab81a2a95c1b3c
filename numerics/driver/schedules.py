"""The alpha and beta schedules of a run as float arrays, and the beta of the initial fit."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from interplay.theory.spec import Ecosystem, SpecError


def model_values(eco: Ecosystem, value) -> np.ndarray:
    """alpha_t or beta_t as float64: a scalar, or (K,) when the spec gives alpha or beta per model (both are then
    per model, so that a step sees one shape)."""
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (eco.K,)).copy() if eco.per_model else np.float64(value)


def schedules(eco: Ecosystem, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """alpha_t and beta_t for t = 1..rounds as float arrays, (rounds,) or (rounds, K) per model (a numeric spec
    is required)."""
    if not eco.is_numeric:
        raise SpecError("ecosystem", f"numerics needs numbers, the spec has symbols {sorted(map(str, eco.symbols))}")
    eco.check_rounds(rounds)
    shape = (rounds,) + (eco.K,) * eco.per_model
    if eco.is_constant:  # no per-round conversion: a long run starts at once
        alpha, beta = model_values(eco, eco.alpha_at(1)), model_values(eco, eco.beta_at(1))
        return np.broadcast_to(alpha, shape).copy(), np.broadcast_to(beta, shape).copy()
    alphas = np.array([model_values(eco, eco.alpha_at(t)) for t in range(1, rounds + 1)]).reshape(shape)
    betas = np.array([model_values(eco, eco.beta_at(t)) for t in range(1, rounds + 1)]).reshape(shape)
    return alphas, betas


def initial_beta(eco: Ecosystem, betas):
    """beta_1, which weighs the initial fit and sizes reused real data: betas[0] (so sweeps can vmap over beta),
    the spec's own when there are no update rounds."""
    return betas[0] if betas.shape[0] else model_values(eco, eco.beta_at(1))


def constant_schedule(value, rounds: int):
    """A constant alpha or beta, a scalar or (K,) per model, repeated over ``rounds`` rounds: (rounds,) or
    (rounds, K), as a schedule's arrays are (jax, inside compiled functions)."""
    return jnp.broadcast_to(value, (rounds,) + jnp.shape(value))
