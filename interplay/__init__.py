"""interplay: the mathematics of generative models that train on each other's outputs.

Two packages: :mod:`interplay.theory` answers exactly with sympy (update maps, exact moment recursions, fixed
points, stability); :mod:`interplay.numerics` answers with jax in float64 (trajectories, Monte Carlo, sweeps,
sensitivities) and holds the command line. Importing ``interplay`` imports neither (nor jax).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("interplay")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "unknown"

__all__ = ["__version__"]
