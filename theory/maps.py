"""The update maps of an ecosystem, whatever its family: each family's module builds its own.

* :func:`population_map` -- the infinite-sample map over the fitted parameters;
* :func:`moment_map` -- the exact finite-n recursion of the moments of the fitted parameters.

Both are the map of an update round t >= 1; with a schedule or under ``accumulate`` they depend on t, given
as an integer or left as the symbol ``t``.
"""

from __future__ import annotations

import importlib

from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.symbolic import SymbolicMap, t_symbol

FAMILY_MODULES = {"gaussian": "gaussian.maps", "categorical": "categorical.maps", "linear-gaussian": "linear.maps"}


def _module(eco: Ecosystem):
    """The module of theory that builds the family's maps (imported on first use: they import analysis)."""
    name = eco.family.name
    if name not in FAMILY_MODULES:
        raise SpecError("family", f"theory has no maps for the family {name!r}")
    return importlib.import_module(f"{__package__}.{FAMILY_MODULES[name]}")


__all__ = ["SymbolicMap", "initial_state", "moment_map", "population_map", "t_symbol"]


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The population (infinite-sample) update map of round t >= 1 of the ecosystem's family."""
    return _module(eco).population_map(eco, t)


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact finite-n moment recursion of round t >= 1 of the ecosystem's family."""
    return _module(eco).moment_map(eco, t)


def initial_state(fmap: SymbolicMap) -> list:
    """The flat state of ``fmap`` after the initial fit (round 0), as expressions of the spec's values."""
    return _module(fmap.ecosystem).initial_state(fmap)
