"""interplay.theory: the interactive training process, answered exactly with sympy.

Describe the process once as an :class:`Ecosystem`; build its update maps; analyse them.
"""

from interplay.theory import registry
from interplay.theory.analysis import (
    NoUniqueFixedPoint,
    eigenvalues,
    fixed_point,
    jacobian,
    spectral_radius,
    stability_condition,
    to_latex,
)
from interplay.theory.categorical.maps import Categorical, CategoricalSource, categorical_ecosystem
from interplay.theory.gaussian.maps import Gaussian, GaussianSource, gaussian_ecosystem
from interplay.theory.linear.maps import Design, LinearGaussian, linear_ecosystem
from interplay.theory.maps import SymbolicMap, moment_map, population_map, t_symbol
from interplay.theory.spec import Ecosystem, SpecError

registry.families()  # import and check every registered family: a missing hook fails here

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
