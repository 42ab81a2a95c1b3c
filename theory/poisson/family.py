"""What the Poisson family provides to theory (the registry's :class:`theory.family.TheoryFamily`): its spec and
source types, its constructor, its maps and its named long-run quantities."""

from __future__ import annotations

from interplay.theory.poisson import longrun, maps


class PoissonTheory:
    """The Poisson family's theory hooks (``FAMILY``, the one instance)."""

    name = "poisson"
    constructor = "poisson"
    family_type = maps.Poisson
    source_type = maps.PoissonSource
    ecosystem = staticmethod(maps.poisson_ecosystem)
    population_map = staticmethod(maps.population_map)
    moment_map = staticmethod(maps.moment_map)
    initial_state = staticmethod(maps.initial_state)
    long_run = staticmethod(longrun.long_run)


FAMILY = PoissonTheory()
