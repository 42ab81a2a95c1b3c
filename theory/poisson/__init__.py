"""The Poisson family: count data, each model fitted by its rate (the weighted mean of its training samples).

``maps`` holds the spec (:class:`Poisson`, :class:`PoissonSource`, :func:`poisson_ecosystem`), the population map
and the exact moment recursion of the fitted rates across models; ``longrun`` the named long-run quantities;
``family`` the hooks the registry reads (``FAMILY``).
"""

from interplay.theory.poisson.family import FAMILY
from interplay.theory.poisson.maps import Poisson, PoissonSource, poisson_ecosystem

__all__ = ["FAMILY", "Poisson", "PoissonSource", "poisson_ecosystem"]
