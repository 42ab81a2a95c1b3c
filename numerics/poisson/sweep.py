"""The Poisson family's part of a sweep (:mod:`numerics.sweeps`; lambda_k: model k's fitted rate): its exact
quantities at a grid point and its Monte Carlo sampler, from the final round.

==================  ================  ==============================================================
``mean``            (K,)              E lambda_k (the exact moment recursion; lambda_k itself for the
                                      population map)
``variance``        (K,)              Var lambda_k (0 for the population map)
``spread``          (K, K)            E(lambda_k - lambda_l)^2 (homogenisation; 0 on the diagonal)
``mc_mean``         (K,)              Monte Carlo mean of lambda_k
``mc_spread``       (K, K)            Monte Carlo mean of (lambda_k - lambda_l)^2
==================  ================  ==============================================================

The exact quantities use the moment recursion at finite n and the population map with ``population`` or
n = None. The compiled functions take the spec's numbers as inputs (:mod:`numerics.poisson.iterate`), and the
sufficient-statistics simulator has no array sized by n, so every alpha, beta and n of a grid shares one
compilation.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.keys import replicate_keys
from interplay.numerics.driver.schedules import constant_schedule
from interplay.numerics.homogenisation_measures import squared_distance
from interplay.numerics.poisson import iterate
from interplay.numerics.poisson.monte_carlo import METHODS, simulator, synthetic_capacities
from interplay.theory.spec import Ecosystem

EXACT_QUANTITIES = ("mean", "variance", "spread")
MONTE_CARLO_QUANTITIES = ("mc_mean", "mc_spread")
QUANTITY_DIMS = {  # their dimensions beyond the swept axes (numerics.labelled)
    "mean": ("model",),
    "variance": ("model",),
    "spread": ("model", "model2"),
    "mc_mean": ("model",),
    "mc_spread": ("model", "model2"),
}
VALUE_FIELDS = {"rate": "entry", "mixing": "row-stochastic"}


class SweepValues(NamedTuple):
    """The numbers a sweep point reads: the real rates and W (:func:`numerics.poisson.iterate.values`)."""

    numbers: object


def sweep_values(eco: Ecosystem) -> SweepValues:
    return SweepValues(jax.tree.map(np.asarray, iterate.values(eco)))


def sweep_structure(eco: Ecosystem) -> tuple:
    """K, the regime and whether n is finite (the moment recursion or the population map)."""
    return eco.K, eco.regime, eco.n is None


def _moments(eco: Ecosystem, population: bool) -> bool:
    """Whether the exact quantities come from the moment recursion (finite n, not ``population``)."""
    return not population and eco.n is not None


def exact_point(eco: Ecosystem, rounds: int, population: bool, tolerance: float):
    """f(values, alpha, beta, sizes, quantities) -> {quantity: value} after ``rounds`` rounds at constant alpha,
    beta (``tolerance`` is not used: the quantities are those of the final round), for every ecosystem of
    ``eco``'s structure (``values``: the point's :func:`sweep_values`)."""
    moments = _moments(eco, population)
    shape, K = iterate.structure(eco), eco.K
    run = (iterate.moment_recursion if moments else iterate.population_recursion)(shape)

    def at(v: SweepValues, alpha, beta, sizes, quantities):
        numbers = v.numbers
        schedule = (beta, constant_schedule(alpha, rounds), constant_schedule(beta, rounds))
        if moments:
            final, _ = run(numbers, *schedule, sizes)  # constant sizes: held once
            mean, cov = final.mean[:, 0], final.cov
        else:
            mean, cov = run(numbers, *schedule)[-1], jnp.zeros((K, K))
        table = {"mean": mean, "variance": jnp.diagonal(cov), "spread": iterate.spread(mean, cov)}
        return {q: table[q] for q in quantities}

    return at


def monte_carlo_sampler(eco: Ecosystem, rounds: int, replicates: int, seed: int):
    """g(values, alphas (T,), betas (T,), sizes) -> {mc quantity: per-replicate values (R, ...)} at the final
    round, the draws of ``simulate(eco, rounds, key=seed, replicates=R)`` (method ``sufficient``), for every
    ecosystem of ``eco``'s structure (``values``: the point's :func:`sweep_values`; a sweep has rounds >= 1, so
    beta_1 = betas[0])."""
    keys = replicate_keys(jax.random.PRNGKey(seed), replicates)
    run = simulator(
        iterate.structure(eco), METHODS[0], 0, False, eco.K, *synthetic_capacities(eco)
    )  # any point's levels

    def poisson_samples(v: SweepValues, alphas, betas, sizes):
        rates = run(keys, v.numbers, betas[0], alphas, betas, sizes)[:, -1]  # (R, K)
        return {"mc_mean": rates, "mc_spread": squared_distance(rates[..., None])}

    return poisson_samples


def sweep_settings(eco: Ecosystem, exact_population: bool, simulated: bool) -> dict:
    """Which exact computation ran, and the simulator of the Monte Carlo quantities."""
    settings = {"exact": "moment recursion" if _moments(eco, exact_population) else "population map"}
    return settings | ({"method": "numerics.poisson.simulate, sufficient"} if simulated else {})


def sweep_replicate_size(eco: Ecosystem, rounds: int) -> tuple[int, int]:
    """A replicate keeps its final round only and draws one count per source."""
    return 1, 1
