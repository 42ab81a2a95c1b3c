"""interplay.theory: the interactive training process, answered exactly with sympy.

Describe the process once as an :class:`Ecosystem` (``Ecosystem.gaussian``, ``.categorical``, ``.linear``,
``.poisson``); build its update maps (:func:`population_map`, :func:`moment_map`); analyse them
(:func:`fixed_point`, :func:`stability_condition`, :func:`spectral_radius`); read the long run
(:func:`long_run`: named quantities, a :class:`NamedAnswer`; :func:`stationary_spread`); the categorical
process's exact law (:func:`exact_chain`) and when it loses categories (:func:`collapse_statistics`); who trains on
whom (:func:`graph_mixing`, :func:`mixing_from_edges`, :func:`trains_on_graph`).
"""

from interplay.theory import registry
from interplay.theory.analysis import (
    NoUniqueFixedPoint,
    eigenvalues,
    fixed_point,
    jacobian,
    latex_table,
    spectral_radius,
    stability_condition,
    to_latex,
)
from interplay.theory.categorical.chain import ExactChain, exact_chain
from interplay.theory.categorical.collapse import CollapseStatistics, collapse_statistics
from interplay.theory.categorical.maps import Categorical, CategoricalSource, categorical_ecosystem
from interplay.theory.gaussian.maps import Gaussian, GaussianSource, gaussian_ecosystem
from interplay.theory.graphs import ClosedClass, TrainsOnGraph, graph_mixing, mixing_from_edges, trains_on_graph
from interplay.theory.linear.maps import Design, LinearGaussian, linear_ecosystem
from interplay.theory.longrun import long_run, stationary_spread
from interplay.theory.maps import SymbolicMap, moment_map, population_map, t_symbol
from interplay.theory.named import NamedAnswer, Quantity
from interplay.theory.poisson.maps import Poisson, PoissonSource, poisson_ecosystem
from interplay.theory.spec import Ecosystem, SpecError

registry.families()  # import and check every registered family: a missing hook fails here

__all__ = [
    "Categorical",
    "CategoricalSource",
    "ClosedClass",
    "CollapseStatistics",
    "Design",
    "Ecosystem",
    "ExactChain",
    "Gaussian",
    "GaussianSource",
    "LinearGaussian",
    "NamedAnswer",
    "NoUniqueFixedPoint",
    "Poisson",
    "PoissonSource",
    "Quantity",
    "SpecError",
    "SymbolicMap",
    "TrainsOnGraph",
    "categorical_ecosystem",
    "collapse_statistics",
    "eigenvalues",
    "exact_chain",
    "fixed_point",
    "gaussian_ecosystem",
    "graph_mixing",
    "jacobian",
    "latex_table",
    "linear_ecosystem",
    "long_run",
    "mixing_from_edges",
    "moment_map",
    "poisson_ecosystem",
    "population_map",
    "spectral_radius",
    "stability_condition",
    "stationary_spread",
    "t_symbol",
    "to_latex",
    "trains_on_graph",
]
