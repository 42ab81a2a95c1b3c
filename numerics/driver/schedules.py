"""The alpha and beta schedules of a run as float arrays, and the beta of the initial fit."""

from __future__ import annotations

import numpy as np

from interplay.theory.spec import Ecosystem, SpecError


def schedules(eco: Ecosystem, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """alpha_t and beta_t for t = 1..rounds as float arrays (a numeric spec is required)."""
    if not eco.is_numeric:
        raise SpecError("ecosystem", f"numerics needs numbers, the spec has symbols {sorted(map(str, eco.symbols))}")
    eco.check_rounds(rounds)
    if eco.is_constant:  # no per-round conversion: a long run starts at once
        return np.full(rounds, float(eco.alpha_at(1))), np.full(rounds, float(eco.beta_at(1)))
    alphas = np.array([float(eco.alpha_at(t)) for t in range(1, rounds + 1)])
    betas = np.array([float(eco.beta_at(t)) for t in range(1, rounds + 1)])
    return alphas, betas


def initial_beta(eco: Ecosystem, betas):
    """beta_1, which weighs the initial fit and sizes reused real data: betas[0] (so sweeps can vmap over beta),
    the spec's own when there are no update rounds."""
    return betas[0] if betas.shape[0] else float(eco.beta_at(1))
