"""The Poisson family's hooks for the theory (the registry's :class:`theory.family.TheoryFamily`)."""

from types import SimpleNamespace

from interplay.theory.poisson import longrun, maps

FAMILY = SimpleNamespace(
    name="poisson",
    constructor="poisson",
    family_type=maps.Poisson,
    source_type=maps.PoissonSource,
    ecosystem=maps.poisson_ecosystem,
    population_map=maps.population_map,
    moment_map=maps.moment_map,
    initial_state=maps.initial_state,
    long_run=longrun.long_run,
    stationary_spread=longrun.stationary_spread,
)
