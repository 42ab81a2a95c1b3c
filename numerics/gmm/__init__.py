"""Numerics of the Gaussian-mixture family: the EM core (``em``), the computed population map with its fixed points
and multipliers (``population``), their continuation in alpha (``continuation``), Monte Carlo of the sampling
process (``monte_carlo``) and the registry's hooks (``family``)."""

from interplay.numerics.gmm.continuation import continue_alpha
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
    "continue_alpha",
    "fixed_point",
    "iterate_population",
    "jacobian",
    "multipliers",
    "population_map",
    "simulate",
]
