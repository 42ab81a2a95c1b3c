"""Numerics of the Poisson family: exact trajectories (``iterate``), Monte Carlo from sufficient statistics or
raw samples (``monte_carlo``), its part of a sweep (``sweep``), figures, and the registry's hooks (``family``)."""

from interplay.numerics.poisson.iterate import PoissonSummaries, PoissonTrajectory, iterate_moments, iterate_population
from interplay.numerics.poisson.monte_carlo import METHODS, PoissonMonteCarlo, drawn_per_source, simulate

__all__ = [
    "METHODS",
    "PoissonMonteCarlo",
    "PoissonSummaries",
    "PoissonTrajectory",
    "drawn_per_source",
    "iterate_moments",
    "iterate_population",
    "simulate",
]
