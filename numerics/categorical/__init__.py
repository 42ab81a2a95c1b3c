"""Numerics of the categorical family: exact trajectories (``iterate``), Monte Carlo (``monte_carlo``, short
samples as tokens in ``tokens``), numerical fixed points at any temperature (``fixed_points``), figures."""

from interplay.numerics.categorical.iterate import CategoricalTrajectory, iterate_moments, iterate_population
from interplay.numerics.categorical.monte_carlo import (
    METHODS,
    CategoricalMonteCarlo,
    compiled_simulation,
    drawn_per_source,
    simulate,
)

__all__ = [
    "METHODS",
    "CategoricalMonteCarlo",
    "CategoricalTrajectory",
    "compiled_simulation",
    "drawn_per_source",
    "iterate_moments",
    "iterate_population",
    "simulate",
]
