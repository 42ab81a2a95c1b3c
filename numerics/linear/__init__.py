"""Numerics of the linear-Gaussian family: exact trajectories (``iterate``), Monte Carlo (``monte_carlo``), the limit
law (``longrun``), the paper's settings and figures (``paper``, ``figures``)."""

from interplay.numerics.linear.iterate import LinearTrajectory, iterate_linear
from interplay.numerics.linear.longrun import long_run_linear
from interplay.numerics.linear.monte_carlo import (
    METHODS,
    LinearMonteCarlo,
    compiled_simulation,
    drawn_per_source,
    simulate_linear,
)

__all__ = [
    "METHODS",
    "LinearMonteCarlo",
    "LinearTrajectory",
    "compiled_simulation",
    "drawn_per_source",
    "iterate_linear",
    "long_run_linear",
    "simulate_linear",
]
