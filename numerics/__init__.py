"""interplay.numerics: the theory's maps compiled with jax (float64), iterated, simulated, swept, differentiated.

One verb per problem: ``iterate_moments`` / ``iterate_population`` (exact trajectories), ``simulate`` (Monte
Carlo of the sampling process), ``sweep`` (a grid of parameters), ``trajectory_sensitivity`` /
``fixed_point_sensitivity`` (derivatives), ``continue_fixed_points`` (branches and bifurcations);
``clear_compiled`` releases the compiled functions kept for reuse.
"""

import jax

jax.config.update("jax_enable_x64", True)

from .categorical import CategoricalMonteCarlo, CategoricalTrajectory  # noqa: E402
from .compiled_cache import clear_compiled  # noqa: E402
from .continuation import Branch, continue_fixed_points  # noqa: E402
from .families import iterate_moments, iterate_population, simulate  # noqa: E402
from .iterate import ExactTrajectory  # noqa: E402
from .linear import LinearMonteCarlo, LinearTrajectory  # noqa: E402
from .monte_carlo import MonteCarlo, simulation_memory  # noqa: E402
from .sensitivity import Sensitivity, fixed_point_sensitivity, trajectory_sensitivity  # noqa: E402
from .sweeps import Grid, sweep  # noqa: E402

__all__ = [
    "Branch",
    "CategoricalMonteCarlo",
    "CategoricalTrajectory",
    "ExactTrajectory",
    "Grid",
    "LinearMonteCarlo",
    "LinearTrajectory",
    "MonteCarlo",
    "Sensitivity",
    "clear_compiled",
    "continue_fixed_points",
    "fixed_point_sensitivity",
    "iterate_moments",
    "iterate_population",
    "simulate",
    "simulation_memory",
    "sweep",
    "trajectory_sensitivity",
]
