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

import jax
import jax.numpy as jnp

from interplay.numerics.driver.limits import replicate_keys
from interplay.numerics.driver.schedules import initial_beta
from interplay.numerics.driver.sizes import per_round
from interplay.numerics.poisson import iterate
from interplay.numerics.poisson.monte_carlo import METHODS, simulator, squared_distance
from interplay.theory.spec import Ecosystem

EXACT_QUANTITIES = ("mean", "variance", "spread")
MONTE_CARLO_QUANTITIES = ("mc_mean", "mc_spread")


def _moments(eco: Ecosystem, population: bool) -> bool:
    """Whether the exact quantities come from the moment recursion (finite n, not ``population``)."""
    return not population and eco.n is not None


def exact_point(eco: Ecosystem, rounds: int, population: bool, tolerance: float):
    """f(alpha, beta, sizes, quantities) -> {quantity: value} after ``rounds`` rounds at constant alpha, beta
    (``tolerance`` is not used: the quantities are those of the final round)."""
    moments = _moments(eco, population)
    shape, numbers, K = iterate.structure(eco), iterate.values(eco), eco.K
    run = (iterate.moment_recursion if moments else iterate.population_recursion)(shape)

    def at(alpha, beta, sizes, quantities):
        schedule = (beta, jnp.full(rounds, alpha), jnp.full(rounds, beta))
        if moments:
            mean, cov = jax.tree.map(lambda x: x[-1], run(numbers, *schedule, per_round(sizes, rounds)))
        else:
            mean, cov = run(numbers, *schedule)[-1], jnp.zeros((K, K))
        table = {"mean": mean, "variance": jnp.diagonal(cov), "spread": iterate.spread(mean, cov)}
        return {q: table[q] for q in quantities}

    return at


def monte_carlo_sampler(eco: Ecosystem, rounds: int, replicates: int, seed: int):
    """g(alphas (T,), betas (T,), sizes) -> {mc quantity: per-replicate values (R, ...)} at the final round, the
    draws of ``simulate(eco, rounds, key=seed, replicates=R)`` (method ``sufficient``)."""
    keys = replicate_keys(jax.random.PRNGKey(seed), replicates)
    run = simulator(iterate.structure(eco), METHODS[0], 0, False)
    numbers = iterate.values(eco)

    def poisson_samples(alphas, betas, sizes):
        rates = run(keys, numbers, initial_beta(eco, betas), alphas, betas, sizes)[:, -1]  # (R, K)
        return {"mc_mean": rates, "mc_spread": squared_distance(rates)}

    return poisson_samples


def sweep_settings(eco: Ecosystem, exact_population: bool, simulated: bool) -> dict:
    """Which exact computation ran, and the simulator of the Monte Carlo quantities."""
    settings = {"exact": "moment recursion" if _moments(eco, exact_population) else "population map"}
    return settings | ({"method": "numerics.poisson.simulate, sufficient"} if simulated else {})


def sweep_replicate_size(eco: Ecosystem, rounds: int) -> tuple[int, int]:
    """A replicate keeps its final round only and draws one count per source."""
    return 1, 1
