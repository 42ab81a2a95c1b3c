"""Numerics of the Markov family: Monte Carlo of the sampling process (``monte_carlo``), the exact trajectories
(``iterate``: the population map in float64, the rows design's moments from the categorical family row by row), the
homogenisation measures' parameters (``distances``) and the trajectory figure (``figures``)."""
