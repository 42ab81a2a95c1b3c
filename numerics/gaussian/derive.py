"""What ``interplay derive`` reports of a Gaussian population map under threshold curation (:mod:`theory.curation`),
where sympy has no closed form (the truncated moments hold erfc): the fixed point the round-0 fit iterates to,
found by :func:`numerics.fixed_point.find_fixed_point` (Anderson) on the compiled map, with its multipliers, the
eigenvalues of the map's jax Jacobian there."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.schedules import model_values
from interplay.numerics.fixed_point import find_fixed_point
from interplay.numerics.gaussian import step
from interplay.theory.analysis import NoUniqueFixedPoint
from interplay.theory.gaussian.maps import Fit, origin
from interplay.theory.spec import Ecosystem

NEAR_ONE = 1e-6
"""A converged point whose largest multiplier is within this of 1 is refused: with curated outputs alone the map
tends to the identity as the mean moves many standard deviations above the threshold, so its residual falls below
any tolerance while the variance is still shrinking (theory.curation)."""


_population_step = jax.jit(step.population_step, static_argnums=0)  # the round-0 fit (eager: seconds of dispatch)


def curated_map(eco: Ecosystem):
    """(F, x0): the population map of round t >= 1 as a jax function of the flat state x = (m_1..m_K, S_1..S_K)
    (d = 1, centred coordinates) and the round-0 fit x0."""
    shape, values = step.structure(eco), step.values(eco)
    K = eco.K
    alpha, beta = model_values(eco, eco.alpha_at(1)), model_values(eco, eco.beta_at(1))
    plan = step.round_plan(values, alpha, beta, None, False)
    initial = step.round_plan(values, alpha, beta, None, True)

    def F(x):
        new = step.population_step(shape, values, Fit(x[:K, None], x[K:, None]), plan, 1.0)
        return jnp.concatenate([new.mean[:, 0], new.cov[:, 0]])

    zero = Fit(jnp.zeros((K, 1)), jnp.zeros((K, 1)))
    start = _population_step(shape, values, zero, initial, 0.0)
    return F, jnp.concatenate([start.mean[:, 0], start.cov[:, 0]])


def numerical_population(eco: Ecosystem) -> tuple[dict, list[str], list[str]]:
    """(the report's ``population`` entry, text lines, LaTeX lines): the fixed point reached from the round-0 fit
    and its multipliers; NoUniqueFixedPoint (which derive reports) where the iteration does not converge (e.g.
    curated outputs alone, alpha = 1: the mean converges and the variance tends to 0 only like 1 / log t)."""
    F, x0 = curated_map(eco)
    point = find_fixed_point(F, x0)
    if point.status != "converged" or not np.all(point.x[eco.K :] > 0):
        raise NoUniqueFixedPoint(
            f"under curation the population map iterated from the round-0 fit {point.status.replace('_', ' ')} to "
            f"a fixed point with a positive variance (residual {point.residual:.3g} after {point.rounds} rounds; "
            "with curated outputs alone the variance tends to 0 only like 1 / log t)"
        )
    multipliers = np.linalg.eigvals(np.asarray(jax.jit(jax.jacfwd(F))(jnp.asarray(point.x))))
    radius = float(np.abs(multipliers).max())
    if radius > 1 - NEAR_ONE:  # the residual is below tolerance because the map is the identity to rounding there
        raise NoUniqueFixedPoint(
            f"under curation the population map is the identity to rounding at {point.x.tolist()} (multiplier "
            f"{radius:.12g}): far above the threshold nearly nothing is cut, so the mean settles while the variance "
            "still shrinks, like 1 / log t (curated outputs alone: no fixed point with a positive variance)"
        )
    mean = (point.x[: eco.K] + float(origin(eco)[0])).tolist()
    note = (
        "no closed form under curation (the truncated moments hold erfc); the fixed point reached from the round-0 "
        "fit was found numerically (numerics.fixed_point, Anderson, on the compiled map) and its multipliers are "
        "eigenvalues of its jax Jacobian"
    )
    population = {
        "closed_form": False,
        "note": note,
        "fixed_points": [
            {
                "mean": mean,
                "cov": point.x[eco.K :].tolist(),
                "multipliers_real": multipliers.real.tolist(),
                "multipliers_imag": multipliers.imag.tolist(),
                "spectral_radius": radius,
                "stable": radius < 1,
                "reached_from_round_0": True,
            }
        ],
        "spectral_radius": radius,
    }
    kind = "stable" if radius < 1 else "unstable"
    text = [
        f"Population map: {note}.",
        f"  fixed point means {mean}, variances {point.x[eco.K :].tolist()}: spectral radius {radius:.6g} ({kind})",
    ]
    return population, text, [r"\text{population map: no closed form under curation}"]
