"""The exact trajectory of the debiased Gaussian estimator (``estimator="debiased"``), in jax.

The theory's one definition (:func:`theory.gaussian.debiased.debiased_step`, whose module doc derives it) run with
the jax ops in float64, in centred coordinates (:func:`theory.gaussian.maps.centred`), one jitted step with the
round's plan as an argument. :func:`numerics.gaussian.iterate.iterate_moments` calls it for a debiased ecosystem.
"""

from __future__ import annotations

import jax
import numpy as np

from interplay.numerics.driver.jax_ops import JAX
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.gaussian.debiased import debiased_step, zero_state
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError


def debiased_trajectory(eco: Ecosystem, rounds: int, start=None):
    """(centred E m (T+1, K, d), E S (T+1, K, d, d), Cov m (T+1, K, d, K, d), precision P (T+1, K)) of rounds 0..T."""
    if start is not None:
        raise SpecError("start", "the debiased estimator starts from its initial fit (a given start has no precision)")
    eco.check_rounds(rounds)
    centred = gaussian.centred(eco)
    K, d = eco.K, eco.dim

    @jax.jit
    def one_round(state, plan, t):
        return debiased_step(centred, state, plan, t, JAX)

    state = zero_state(centred, JAX)
    kept = []
    for t in range(rounds + 1):
        state = one_round(state, plan_at(centred, t, ops=JAX), float(t))
        kept.append(state)
    moments = [s.moments for s in kept]
    fitted = [gaussian.fitted_covariance(centred, m, JAX) for m in moments]
    return (
        np.stack([np.asarray(m.mean).reshape(K, d) for m in moments]),
        np.stack([np.asarray(f).reshape(K, d, d) for f in fitted]),
        np.stack([np.asarray(m.cov).reshape(K, d, K, d) for m in moments]),
        np.stack([np.asarray(s.precision).reshape(K) for s in kept]),
    )
