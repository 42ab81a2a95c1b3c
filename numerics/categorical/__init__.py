"""Categorical ecosystems in numbers: the theory's maps iterated with ``lax.scan``, and Monte Carlo by counts.

* :func:`iterate_moments` -- the exact moment recursion (:func:`theory.categorical.maps.moment_step`, tau = 1);
* :func:`iterate_population` -- the population map (:func:`theory.categorical.maps.population_step`, any tau);
* :func:`simulate` -- the sampling process itself: every source contributes Multinomial(N, p) counts, drawn by
  the cheaper exact route for N (tokens, or the counts directly, :mod:`numerics.samplers.counts`), every model refits
  its (smoothed) frequencies (under ``composition="mixture"`` model k's synthetic counts are one
  Multinomial(N, sum_j W[k, j] pi_j); under ``pool="shared"`` those of the first N_kj tokens of one sample of model
  j); replicates are ``vmap``-ped and the PRNG key is explicit;
* :func:`collapse_estimates` -- when simulated runs lose categories, with standard errors
  (:mod:`numerics.categorical.collapse`; exact: :mod:`theory.categorical.collapse`).

Example: collapse, rescue by fresh data, and two vocabularies teaching each other while converging

>>> from interplay.theory.categorical.maps import categorical_ecosystem
>>> import interplay.numerics.categorical as nc
>>> alone = categorical_ecosystem([[0.5, 0.3, 0.2]], [0.5, 0.3, 0.2], alpha=1, beta=1, n=20, regime="fresh")
>>> mc = nc.simulate(alone, rounds=100, key=0, replicates=500)
>>> bool(mc.support_size()[:, -1].mean() < 1.5)  # collapse: categories lost for good
True
>>> rescued = alone.with_options(alpha=0.5)  # half fresh real data every round
>>> bool(nc.iterate_moments(rescued, 100).diversity()[-1, 0] > 0.55)  # stationary, non-degenerate
True
>>> pair = categorical_ecosystem([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]], [0.0, 1.0, 0.0], alpha=0.5, beta=0.8, n=40)
>>> exact = nc.iterate_moments(pair, 30)  # model 2 never saw category 1; model 1 never saw category 3
>>> bool(exact.mean[-1, 1, 0] > 0.05), bool(exact.squared_distance(0, 1)[-1] < exact.squared_distance(0, 1)[0])
(True, True)
>>> float(nc.simulate(pair, 30, key=1, replicates=500).holds(1, 0)[-1]) > 0.9  # P(model 2 has category 1)
True
"""

from interplay.numerics.categorical.collapse import CollapseEstimates, collapse_estimates
from interplay.numerics.categorical.iterate import CategoricalTrajectory, iterate_moments, iterate_population
from interplay.numerics.categorical.monte_carlo import (
    METHODS,
    CategoricalMonteCarlo,
    compiled_simulation,
    drawn_per_source,
    simulate,
)

__all__ = [
    "METHODS",
    "CategoricalMonteCarlo",
    "CategoricalTrajectory",
    "CollapseEstimates",
    "collapse_estimates",
    "compiled_simulation",
    "drawn_per_source",
    "iterate_moments",
    "iterate_population",
    "simulate",
]
