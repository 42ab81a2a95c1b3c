"""The update maps of an ecosystem, whatever its family: each family builds its own (its hooks in
:mod:`interplay.theory.registry`).

* :func:`population_map` -- the infinite-sample map over the fitted parameters;
* :func:`moment_map` -- the exact finite-n recursion of the moments of the fitted parameters.

Both are the map of an update round t >= 1; with a schedule or under ``accumulate`` they depend on t, given
as an integer or left as the symbol ``t``.
"""

from __future__ import annotations

from interplay.theory import registry
from interplay.theory.spec import Ecosystem
from interplay.theory.symbolic import SymbolicMap, t_symbol

__all__ = ["SymbolicMap", "initial_state", "moment_map", "population_map", "t_symbol"]


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The population (infinite-sample) update map of round t >= 1 of the ecosystem's family."""
    return registry.family(eco).population_map(eco, t)


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact finite-n moment recursion of round t >= 1 of the ecosystem's family."""
    return registry.family(eco).moment_map(eco, t)


def initial_state(fmap: SymbolicMap, start=None) -> list:
    """The flat state of ``fmap`` at round 0, as expressions of the spec's values: after the initial fit, or at
    the given ``start`` (the family's fitted parameters, deterministic: :mod:`theory.start`)."""
    return registry.family(fmap.ecosystem).initial_state(fmap, start)
