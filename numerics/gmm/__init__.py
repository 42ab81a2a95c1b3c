"""Numerics of the Gaussian-mixture family: the EM core (``em``), the computed population map with its fixed points
and multipliers (``population``), Monte Carlo of the sampling process (``monte_carlo``) and the registry's hooks
(``family``)."""

from interplay.numerics.gmm.monte_carlo import MixtureMonteCarlo, simulate
from interplay.numerics.gmm.population import (
    MixtureTrajectory,
    fixed_point,
    iterate_population,
    jacobian,
    multipliers,
    population_map,
)

__all__ = [
    "MixtureMonteCarlo",
    "MixtureTrajectory",
    "fixed_point",
    "iterate_population",
    "jacobian",
    "multipliers",
    "population_map",
    "simulate",
]
