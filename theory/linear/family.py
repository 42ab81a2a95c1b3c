"""The linear-Gaussian family's hooks for the theory (:class:`~interplay.theory.family.TheoryFamily`)."""

from types import SimpleNamespace

from interplay.theory.linear import longrun, maps

FAMILY = SimpleNamespace(
    name="linear-gaussian",
    constructor="linear",
    family_type=maps.LinearGaussian,
    source_type=maps.Design,
    ecosystem=maps.linear_ecosystem,
    population_map=maps.population_map,
    moment_map=maps.moment_map,
    initial_state=maps.initial_state,
    long_run=longrun.long_run,
    stationary_spread=longrun.stationary_spread,
)
