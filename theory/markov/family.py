"""The Markov family's hooks for the theory (the registry's :class:`theory.family.TheoryFamily`)."""

from types import SimpleNamespace

from interplay.theory.markov import longrun, maps

FAMILY = SimpleNamespace(
    name="markov",
    constructor="markov",
    family_type=maps.Markov,
    source_type=maps.MarkovSource,
    ecosystem=maps.markov_ecosystem,
    population_map=maps.population_map,
    moment_map=maps.moment_map,
    initial_state=maps.initial_state,
    long_run=longrun.long_run,
    stationary_spread=longrun.stationary_spread,
)
