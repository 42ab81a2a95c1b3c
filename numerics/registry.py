"""The families of the numerics, registered once: ``family(name or ecosystem)``, ``names()``, ``register``.

Adding a family is one entry of :data:`FAMILY_PACKAGES`: the package ``interplay.numerics.<package>`` has a module
``family`` whose ``FAMILY`` fulfils :class:`~interplay.numerics.family.NumericsFamily`; imported and checked on
first use (``import interplay.numerics`` does it), as on the theory side (:mod:`interplay.theory.registry`).
"""

from __future__ import annotations

from interplay.numerics.family import NumericsFamily
from interplay.theory.registry import Registry

FAMILY_PACKAGES = ("gaussian", "categorical", "linear", "poisson", "markov", "gmm")

NUMERICS = Registry(NumericsFamily, "interplay.numerics", FAMILY_PACKAGES)
register, names, families, family = NUMERICS.register, NUMERICS.names, NUMERICS.families, NUMERICS.family
