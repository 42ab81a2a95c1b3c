"""The Markov (first-order n-gram) family: each model a transition matrix fitted by transition counts per row.

``maps`` holds the spec (:class:`Markov`, :class:`MarkovSource`, :func:`markov_ecosystem`), the population map of
both designs and the exact moments of the rows design (the categorical family row by row); ``longrun`` the
stationary distribution and the collapse facts; ``family`` the hooks the registry reads (``FAMILY``).
"""

from interplay.theory.markov.family import FAMILY
from interplay.theory.markov.maps import Markov, MarkovSource, markov_ecosystem

__all__ = ["FAMILY", "Markov", "MarkovSource", "markov_ecosystem"]
