"""Numerics of the Gaussian family: exact trajectories (``iterate``), Monte Carlo (``monte_carlo``), figures."""

from interplay.numerics.gaussian.iterate import ExactSummaries, ExactTrajectory, iterate_moments, iterate_population
from interplay.numerics.gaussian.monte_carlo import METHODS, MonteCarlo, compiled_simulation, drawn_per_source, simulate

__all__ = [
    "METHODS",
    "ExactSummaries",
    "ExactTrajectory",
    "MonteCarlo",
    "compiled_simulation",
    "drawn_per_source",
    "iterate_moments",
    "iterate_population",
    "simulate",
]
