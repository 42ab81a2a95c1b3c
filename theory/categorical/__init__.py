"""The categorical family: models over m categories fitted by (smoothed) frequencies of multinomial counts.

``maps`` holds the population map and the exact moment recursion, ``longrun`` the limiting distributions and
the stationary spread, ``chain`` the exact law of the counts as a Markov chain, ``collapse`` when it loses
categories.
"""

from interplay.theory.categorical.maps import Categorical, CategoricalSource, categorical_ecosystem

__all__ = ["Categorical", "CategoricalSource", "categorical_ecosystem"]
