"""The categorical family's hooks for the theory (:class:`~interplay.theory.family.TheoryFamily`)."""

from types import SimpleNamespace

from interplay.theory.categorical import longrun, maps

FAMILY = SimpleNamespace(
    name="categorical",
    constructor="categorical",
    family_type=maps.Categorical,
    source_type=maps.CategoricalSource,
    ecosystem=maps.categorical_ecosystem,
    population_map=maps.population_map,
    moment_map=maps.moment_map,
    initial_state=maps.initial_state,
    long_run=longrun.long_run,
    stationary_spread=longrun.stationary_spread,
)
