"""interplay.numerics: the theory's maps compiled with jax (float64), iterated, simulated, swept, differentiated.

One verb per problem: ``iterate_moments`` / ``iterate_population`` (exact trajectories), ``simulate`` (Monte
Carlo of the sampling process), ``sweep`` (a grid of parameters), ``trajectory_sensitivity`` /
``fixed_point_sensitivity`` / ``quantity_sensitivity`` (derivatives), ``continue_fixed_points`` (branches and
bifurcations), ``homogenisation`` (how alike the models of a trajectory are: distances, divergences,
diversity); ``clear_compiled`` releases the compiled functions kept for reuse. Every result converts to an
``xarray.Dataset`` (``to_xarray``); ``save_result`` / ``load_result`` write and read them as netCDF
(:mod:`numerics.labelled`).

Importing it turns on jax's float64 mode (``jax_enable_x64``) for the whole process, as jax offers no other way
for a library to compute in float64 by default: the exact recursions are compared with sympy to 1e-12 and the
Monte Carlo accumulates over thousands of rounds. Other jax code in the same process then gets float64 arrays
by default too. ``interplay`` and ``interplay.theory`` never import jax (tests/test_package.py).
"""

import jax

jax.config.update("jax_enable_x64", True)

from interplay.numerics import registry
from interplay.numerics.categorical.collapse import CollapseEstimates, collapse_estimates
from interplay.numerics.categorical.iterate import CategoricalTrajectory
from interplay.numerics.categorical.monte_carlo import CategoricalMonteCarlo
from interplay.numerics.continuation import Branch, continue_fixed_points
from interplay.numerics.driver.compiled_cache import clear_compiled
from interplay.numerics.gaussian.iterate import ExactSummaries, ExactTrajectory
from interplay.numerics.gaussian.monte_carlo import MonteCarlo, simulation_memory
from interplay.numerics.homogenisation_measures import homogenisation
from interplay.numerics.labelled import answer_dataset, load_result, save_result
from interplay.numerics.linear.iterate import LinearTrajectory
from interplay.numerics.linear.monte_carlo import LinearMonteCarlo
from interplay.numerics.markov.iterate import MarkovTrajectory
from interplay.numerics.markov.monte_carlo import MarkovMonteCarlo
from interplay.numerics.poisson.iterate import PoissonSummaries, PoissonTrajectory
from interplay.numerics.poisson.monte_carlo import PoissonMonteCarlo
from interplay.numerics.sensitivity import (
    QuantitySensitivity,
    Sensitivity,
    fixed_point_sensitivity,
    quantity_sensitivity,
    trajectory_sensitivity,
)
from interplay.numerics.sweeps import Grid, sweep
from interplay.numerics.verbs import iterate_moments, iterate_population, simulate

registry.families()  # import and check every registered family: a missing hook fails here

__all__ = [
    "Branch",
    "CategoricalMonteCarlo",
    "CategoricalTrajectory",
    "CollapseEstimates",
    "ExactSummaries",
    "ExactTrajectory",
    "Grid",
    "LinearMonteCarlo",
    "LinearTrajectory",
    "MarkovMonteCarlo",
    "MarkovTrajectory",
    "MonteCarlo",
    "PoissonMonteCarlo",
    "PoissonSummaries",
    "PoissonTrajectory",
    "QuantitySensitivity",
    "Sensitivity",
    "answer_dataset",
    "clear_compiled",
    "collapse_estimates",
    "continue_fixed_points",
    "fixed_point_sensitivity",
    "homogenisation",
    "iterate_moments",
    "iterate_population",
    "load_result",
    "quantity_sensitivity",
    "save_result",
    "simulate",
    "simulation_memory",
    "sweep",
    "trajectory_sensitivity",
]
