"""The categorical family's part of a sweep (:mod:`numerics.sweeps`; p_k: model k's probabilities over m
categories): its exact quantities at a grid point and its Monte Carlo sampler.

==================  ================  ==============================================================
``mean``            (K, m)            E p_k (exact moment recursion; see below for the population map)
``diversity``       (K,)              E[1 - sum_i p_ki^2]
``spread``          (K, K)            E||p_k - p_l||^2
``mc_mean``         (K, m)            Monte Carlo mean of p_k at the final round
``mc_diversity``    (K,)              Monte Carlo mean of 1 - sum_i p_ki^2
``mc_spread``       (K, K)            Monte Carlo mean of ||p_k - p_l||^2
``mc_support``      (K,)              Monte Carlo mean of #{i: p_ki > 0}, categories model k still holds
==================  ================  ==============================================================

The exact quantities use the moment recursion when it closes (tau = 1, finite n, not ``population``) and the
population map otherwise; ``Grid.settings["exact"]`` says which. On a ``temperature`` axis they are the
population map at every tau (tau = 1 included, so the axis never changes its meaning mid-way); the Monte Carlo
quantities run the actual sampling at each tau, with arrays sized for any alpha and beta
(``compiled_simulation(..., any_schedule=True)``: the same law, the same draws only where the spec's own samples
are the largest).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.categorical import iterate as categorical_iterate
from interplay.numerics.categorical import steps
from interplay.numerics.categorical.monte_carlo import compiled_simulation
from interplay.numerics.driver.keys import replicate_keys
from interplay.numerics.driver.schedules import constant_schedule
from interplay.numerics.driver.sizes import per_round
from interplay.numerics.homogenisation_measures import expected_squared_distance, squared_distance
from interplay.theory.spec import Ecosystem

EXACT_QUANTITIES = ("mean", "diversity", "spread")
MONTE_CARLO_QUANTITIES = ("mc_mean", "mc_diversity", "mc_spread", "mc_support")
QUANTITY_DIMS = {  # their dimensions beyond the swept axes (numerics.labelled)
    "mean": ("model", "category"),
    "diversity": ("model",),
    "spread": ("model", "model2"),
    "mc_mean": ("model", "category"),
    "mc_diversity": ("model",),
    "mc_spread": ("model", "model2"),
    "mc_support": ("model",),
}
VALUE_FIELDS = {"probs": "simplex", "mixing": "row-stochastic"}


class SweepValues(NamedTuple):
    """The numbers a sweep point reads: :class:`numerics.categorical.steps.Values`, and the values the Monte Carlo
    program takes (the values again, with the sources' alias tables where it samples token lists; empty in the
    population limit)."""

    numbers: steps.Values
    simulation: tuple


def _simulation(eco: Ecosystem, rounds: int = 1):
    """The Monte Carlo program of a sweep for ``eco``'s structure: ``compiled_simulation`` sized for any alpha
    and beta, a ``functools.partial`` of the structure's compiled program and ``eco``'s values."""
    return compiled_simulation(eco, rounds, trajectory=False, any_schedule=True)[0]


def sweep_values(eco: Ecosystem) -> SweepValues:
    simulation = _simulation(eco).args if eco.n is not None else ()
    return SweepValues(steps.values(eco), jax.tree.map(np.asarray, simulation))


def sweep_structure(eco: Ecosystem) -> tuple:
    """K, m, regime, smoothing, tempering, and the sizes that bound the Monte Carlo's arrays."""
    sizes = tuple(s.size for s in (*eco.private, eco.public))
    return steps.structure(eco), eco.n, sizes


def _closed(eco: Ecosystem, population: bool) -> bool:
    """Whether the exact quantities come from the moment recursion (tau = 1, finite n, not ``population``)."""
    return not population and eco.n is not None and eco.family.temperature == 1 and eco.curation is None


def exact_point(eco: Ecosystem, rounds: int, population: bool, tolerance: float):
    """f(values, alpha, beta, sizes, quantities) -> {quantity: value}: the exact moment recursion (tau = 1, finite
    n) or else the population map, after ``rounds`` rounds, for every ecosystem of ``eco``'s structure
    (``values``: the point's :func:`sweep_values`)."""
    exact = _closed(eco, population)
    run = (categorical_iterate.moment_recursion if exact else categorical_iterate.population_recursion)(eco).func
    K, m = eco.K, eco.dim

    def at(v: SweepValues, alpha, beta, sizes, quantities):
        schedule = (constant_schedule(alpha, rounds), constant_schedule(beta, rounds))
        out = run(v.numbers, *schedule, per_round(sizes, rounds)) if exact else run(v.numbers, *schedule)
        mean, cov = (out[0][-1], out[1][-1]) if exact else (out[-1], jnp.zeros((K * m, K * m)))
        probs, blocks = mean.reshape(K, m), cov.reshape(K, m, K, m)
        variance = jnp.einsum("kiki->ki", blocks)
        table = {
            "mean": probs,
            "diversity": 1 - (variance + probs**2).sum(-1),
            "spread": expected_squared_distance(probs, blocks),
        }
        return {q: table[q] for q in quantities}

    return at


def monte_carlo_sampler(eco: Ecosystem, rounds: int, replicates: int, seed: int):
    """g(values, alphas (T,), betas (T,), sizes) -> {mc quantity: per-replicate values (R, ...)} at the final
    round, with the keys ``simulate(eco, rounds, key=seed, replicates=R)`` splits, for every ecosystem of
    ``eco``'s structure (``values``: the point's :func:`sweep_values`)."""
    keys = replicate_keys(jax.random.PRNGKey(seed), replicates)
    program = _simulation(eco, rounds).func

    def categorical_samples(v: SweepValues, alphas, betas, sizes):
        probs = program(*v.simulation, keys, alphas, betas, sizes)[:, -1]  # (R, K, m)
        return {
            "mc_mean": probs,
            "mc_diversity": 1 - (probs**2).sum(-1),
            "mc_spread": squared_distance(probs),
            "mc_support": (probs > 0).sum(-1).astype(jnp.float64),
        }

    return categorical_samples


def sweep_settings(eco: Ecosystem, exact_population: bool, simulated: bool) -> dict:
    """Which exact computation ran, and the simulator of the Monte Carlo quantities."""
    settings = {"exact": "moment recursion" if _closed(eco, exact_population) else "population map"}
    return settings | ({"method": "numerics.categorical.simulate"} if simulated else {})


def sweep_replicate_size(eco: Ecosystem, rounds: int) -> tuple[int, int]:
    """A replicate keeps its final round only and draws up to n tokens per source."""
    return 1, int(eco.largest_n)
