"""The Gaussian family's hooks for the theory (:class:`~interplay.theory.family.TheoryFamily`)."""

from types import SimpleNamespace

from interplay.theory.gaussian import longrun, maps

FAMILY = SimpleNamespace(
    name="gaussian",
    constructor="gaussian",
    family_type=maps.Gaussian,
    source_type=maps.GaussianSource,
    ecosystem=maps.gaussian_ecosystem,
    population_map=maps.population_map,
    moment_map=maps.moment_map,
    initial_state=maps.initial_state,
    long_run=longrun.long_run,
    stationary_spread=longrun.stationary_spread,
)
