"""The Gaussian-mixture family's hooks for the theory (the registry's :class:`theory.family.TheoryFamily`).

Its maps have no closed form, so the symbolic hooks refuse it naming ``family``; :mod:`numerics.gmm` computes
the population map, its fixed points and multipliers, and the Monte Carlo.
"""

from types import SimpleNamespace

from interplay.theory.gmm import maps

FAMILY = SimpleNamespace(
    name="gaussian-mixture",
    constructor="gaussian_mixture",
    family_type=maps.GaussianMixture,
    source_type=maps.GaussianMixtureSource,
    ecosystem=maps.gaussian_mixture_ecosystem,
    population_map=maps.refuse("symbolic population map"),
    moment_map=maps.refuse("moment recursion"),
    initial_state=maps.no_initial_state,
    long_run=maps.refuse("symbolic long run"),
    stationary_spread=maps.refuse("stationary spread"),
)
