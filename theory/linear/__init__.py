"""The linear-Gaussian family: the paper's surrogate, minimum-norm weighted least squares on fixed designs.

``maps`` holds the dynamics of a round and the exact moment recursion, ``longrun`` the limit law and the
closed forms of the paper's settings.
"""

from interplay.theory.linear.maps import Design, LinearGaussian, linear_ecosystem

__all__ = ["Design", "LinearGaussian", "linear_ecosystem"]
