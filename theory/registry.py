"""The families of the theory, registered once: ``family(name or ecosystem)``, ``names()``, ``register``.

Adding a family is one entry of :data:`FAMILY_PACKAGES`: the package ``interplay.theory.<package>`` has a module
``family`` whose ``FAMILY`` fulfils :class:`~interplay.theory.family.TheoryFamily`. The packages are imported on
first use (``import interplay.theory`` does it), and a family missing a member of the contract is refused then,
with a TypeError naming the family and the member. :class:`Registry` serves the numerics side as well.
"""

from __future__ import annotations

import importlib
import inspect

from interplay.theory.family import TheoryFamily
from interplay.theory.spec import SpecError

FAMILY_PACKAGES = ("gaussian", "categorical", "linear", "poisson", "markov", "gmm")


def members(protocol: type) -> tuple[str, ...]:
    """The names a Protocol declares: its annotated attributes and its methods, in the order written."""
    names = list(inspect.get_annotations(protocol))
    names += [name for name, value in vars(protocol).items() if not name.startswith("_") and callable(value)]
    return tuple(dict.fromkeys(names))


class Registry:
    """The families of one side (theory or numerics), keyed by ``name``, each checked against ``protocol``."""

    def __init__(self, protocol: type, package: str, packages: tuple[str, ...]):
        self.protocol, self.package, self.packages = protocol, package, packages
        self._families: dict[str, object] = {}
        self._loaded = False

    def register(self, family) -> None:
        """Add ``family``; TypeError naming the first member of the contract it lacks."""
        label = getattr(family, "name", repr(family))
        for member in members(self.protocol):
            if not hasattr(family, member):
                raise TypeError(f"family {label!r} lacks {member!r} of {self.protocol.__name__}")
        self._families[family.name] = family

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            for package in self.packages:
                self.register(importlib.import_module(f"{self.package}.{package}.family").FAMILY)

    def names(self) -> tuple[str, ...]:
        self._load()
        return tuple(self._families)

    def families(self) -> tuple:
        self._load()
        return tuple(self._families.values())

    def family(self, which):
        """The family named ``which``, or of an ecosystem or a spec family (``eco.family``); SpecError if none."""
        self._load()
        name = which if isinstance(which, str) else getattr(getattr(which, "family", which), "name", None)
        if name not in self._families:
            raise SpecError("family", f"unknown family {name!r} (known: {', '.join(self._families)})")
        return self._families[name]


THEORY = Registry(TheoryFamily, "interplay.theory", FAMILY_PACKAGES)
register, names, families, family = THEORY.register, THEORY.names, THEORY.families, THEORY.family


def by_constructor(constructor: str):
    """The family whose ``Ecosystem.<constructor>`` is asked for, or None."""
    return next((f for f in families() if f.constructor == constructor), None)
