"""The Gaussian-mixture family (d = 1, C components fitted by EM): ``maps`` holds the spec
(:class:`GaussianMixture`, :class:`GaussianMixtureSource`, :func:`gaussian_mixture_ecosystem`) and what is exact;
the maps themselves are computed in :mod:`numerics.gmm`; ``family`` the hooks the registry reads (``FAMILY``).
"""

from interplay.theory.gmm.family import FAMILY
from interplay.theory.gmm.maps import GaussianMixture, GaussianMixtureSource, gaussian_mixture_ecosystem

__all__ = ["FAMILY", "GaussianMixture", "GaussianMixtureSource", "gaussian_mixture_ecosystem"]
