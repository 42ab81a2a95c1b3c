"""interplay.theory: the interactive training process, answered exactly with sympy.

Describe the process once as an :class:`Ecosystem`; build its update maps; analyse them.
"""

from .analysis import (
    NoUniqueFixedPoint,
    eigenvalues,
    fixed_point,
    jacobian,
    spectral_radius,
    stability_condition,
    to_latex,
)
from .categorical import Categorical, CategoricalSource, categorical_ecosystem
from .gaussian import Gaussian, GaussianSource, gaussian_ecosystem
from .linear import Design, LinearGaussian, linear_ecosystem
from .maps import SymbolicMap, moment_map, population_map, t_symbol
from .spec import Ecosystem, SpecError

__all__ = [
    "Categorical",
    "CategoricalSource",
    "Design",
    "Ecosystem",
    "Gaussian",
    "GaussianSource",
    "LinearGaussian",
    "NoUniqueFixedPoint",
    "SpecError",
    "SymbolicMap",
    "categorical_ecosystem",
    "eigenvalues",
    "fixed_point",
    "gaussian_ecosystem",
    "jacobian",
    "linear_ecosystem",
    "moment_map",
    "population_map",
    "spectral_radius",
    "stability_condition",
    "t_symbol",
    "to_latex",
]
