"""What a distribution family provides to the theory: :class:`TheoryFamily`, the contract every family's
``theory/<family>/family.py`` fulfils with one object ``FAMILY`` (see docs/adding-a-family.md).

The registry (:mod:`interplay.theory.registry`) checks at import that a family has every member declared here.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import sympy

from interplay.theory.named import NamedAnswer
from interplay.theory.spec import Ecosystem
from interplay.theory.symbolic import SymbolicMap


@runtime_checkable
class TheoryFamily(Protocol):
    """A family of the theory: its spec types, its ecosystem constructor, its maps and its long run."""

    name: str  # the config name, e.g. "gaussian", "linear-gaussian"
    constructor: str  # the name of its Ecosystem constructor: Ecosystem.<constructor>(...), e.g. "linear"
    family_type: type  # the spec dataclass of the family, e.g. Gaussian
    source_type: type  # the class of its real sources, e.g. GaussianSource

    def ecosystem(self, *args, **options) -> Ecosystem:
        """An ecosystem of the family from its natural arguments (``Ecosystem.<constructor>``)."""

    def population_map(self, eco: Ecosystem, t) -> SymbolicMap:
        """The population (infinite-sample) update map of round t >= 1."""

    def moment_map(self, eco: Ecosystem, t) -> SymbolicMap:
        """The exact finite-n recursion of the moments of the fitted parameters, round t >= 1."""

    def initial_state(self, fmap: SymbolicMap, start=None) -> list:
        """The flat state of ``fmap`` at round 0: after the initial fit, or at the given ``start`` (the family's
        fitted parameters, :mod:`interplay.theory.start`; SpecError naming ``start`` if bad or unsupported)."""

    def long_run(self, eco: Ecosystem, fmap: SymbolicMap, point: dict) -> NamedAnswer:
        """The named long-run quantities (:mod:`theory.named`: values with meanings and axis labels) at a state
        ``point`` ({state symbol: value}) of ``fmap``, the population map or the moment recursion of ``eco``:
        sympy values (numbers, matrices, lists of them, booleans or relations), as ``derive`` reports them; raw
        expressions (:func:`theory.long_run` simplifies them), so that a symbolic ``point`` gives each quantity
        as a function of the state (:func:`numerics.quantity_sensitivity`)."""

    def stationary_spread(self, eco: Ecosystem) -> sympy.Matrix:
        """K x K: E||theta_k - theta_l||^2 at the fixed point of the exact moment recursion at finite n."""
