"""The Gaussian family: models fitted by weighted (or unbiased) maximum likelihood to Gaussian data.

``maps`` holds the population map and the exact finite-n moment recursion (in centred quantities), ``longrun``
the closed forms of the long run.
"""

from interplay.theory.gaussian.maps import Gaussian, GaussianSource, gaussian_ecosystem

__all__ = ["Gaussian", "GaussianSource", "gaussian_ecosystem"]
