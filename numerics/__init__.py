"""interplay.numerics: the theory's maps compiled with jax (float64), iterated, and simulated."""

import jax

jax.config.update("jax_enable_x64", True)

from .iterate import ExactTrajectory, iterate_moments, iterate_population  # noqa: E402
from .simulate import MonteCarlo, simulate  # noqa: E402

__all__ = ["ExactTrajectory", "MonteCarlo", "iterate_moments", "iterate_population", "simulate"]
