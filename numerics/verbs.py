"""The package-level verbs (``numerics.iterate_moments``, ``numerics.iterate_population``, ``numerics.simulate``)
for any family: each looks the ecosystem's family up in :mod:`numerics.registry`.

``start`` (every verb): None, round 0 is the initial fit to real data; or the state of round 0, the fitted
parameters of every model, the same in every replicate (zero covariance), rounds 1.. proceeding as usual
(:mod:`theory.start`):

* categorical: the K x m probabilities p_0 (K = 1, alpha = 1, W = [[1]], ``fresh``: the Wright-Fisher chain);
* poisson: the K rates;
* gaussian: ``{"mean": K x d means, "cov": K x d x d covariances}``;
* linear-gaussian: not supported;
* gaussian-mixture: K x 3C numbers, (pi_1..pi_C, mu_1..mu_C, s2_1..s2_C) per model.

A bad start (wrong shape, probabilities not summing to 1, a negative rate, a covariance not positive
semi-definite) or one the family cannot take is a SpecError naming ``start``.

>>> import interplay.numerics as numerics
>>> from interplay.theory import Ecosystem
>>> wright_fisher = Ecosystem.categorical([[0.5, 0.5]], [0.5, 0.5], alpha=1, beta=1, mixing=[[1]], n=10)
>>> exact = numerics.iterate_moments(wright_fisher, 3, start=[[0.2, 0.8]])
>>> [round(float(v), 6) for v in exact.cov[:, 0, 0, 0, 0]]  # p_0 (1 - p_0) (1 - (1 - 1/n)^t)
[0.0, 0.016, 0.0304, 0.04336]
"""

from __future__ import annotations

from interplay.numerics import registry
from interplay.numerics.driver.limits import (
    Estimate,
    replicate_chunk,
    require_fits,
    simulation_bytes,
    simulation_seconds,
    summary_bytes,
    trajectory_bytes,
)
from interplay.theory.spec import Ecosystem, SpecError


def implementation(eco: Ecosystem, verb: str):
    """The function doing ``verb`` for the ecosystem's family (its hook in :mod:`numerics.registry`)."""
    return getattr(registry.family(eco), verb)


def _require_trajectory_fits(eco: Ecosystem, rounds: int, memory: int | None) -> None:
    eco.check_rounds(rounds)
    what = f"an exact trajectory of {rounds} rounds"
    if registry.family(eco).iterate_summaries is not None:
        what += " (summaries=True keeps per-model values only)"
    require_fits(trajectory_bytes(eco, rounds), "rounds", what, memory)


def iterate_moments(eco: Ecosystem, rounds: int, memory: int | None = None, start=None, summaries: bool = False):
    """The exact expected trajectory of the finite-n process over rounds 0..T (any family), from the initial fit
    or the given ``start`` (module doc); refused up front when it cannot fit in ``memory`` bytes (default: the
    memory available). ``summaries``: keep each round's per-model moments and mean pairwise distance and the last
    round's covariance across models only (families with ``iterate_summaries``: Gaussian, Poisson), for ecosystems
    whose full trajectory (the K d x K d covariance of every round) does not fit."""
    if not summaries:
        function = implementation(eco, "iterate_moments")
        _require_trajectory_fits(eco, rounds, memory)
        return function(eco, rounds, start=start)
    function = registry.family(eco).iterate_summaries
    if function is None:
        raise SpecError("summaries", f"the {eco.family.name} family keeps full trajectories only (summaries=False)")
    eco.check_rounds(rounds)
    require_fits(summary_bytes(eco, rounds), "rounds", f"keeping the summaries of {rounds} rounds", memory)
    return function(eco, rounds, start=start)


def iterate_population(eco: Ecosystem, rounds: int, memory: int | None = None, start=None):
    """The deterministic trajectory of the population (infinite-sample) map over rounds 0..T (any family), from
    the initial fit or the given ``start`` (module doc); refused up front when it cannot fit in ``memory`` bytes
    (default: the memory available)."""
    function = implementation(eco, "iterate_population")
    _require_trajectory_fits(eco, rounds, memory)
    return function(eco, rounds, start=start)


def simulate(eco: Ecosystem, rounds: int, key, replicates: int = 1000, start=None, **options):
    """Monte Carlo of the sampling process: ``replicates`` runs of ``rounds`` rounds from the PRNG ``key``
    (an integer seed or a jax key), from the initial fit or the given ``start`` (module doc); family-specific
    options (e.g. Gaussian ``method``) pass through."""
    return implementation(eco, "simulate")(eco, rounds, key, replicates, start=start, **options)


def require_simulation_fits(
    eco: Ecosystem, rounds: int, replicates: int, method: str = "sufficient", extra: int = 0, memory=None
) -> int:
    """The replicates per chunk of ``simulate``; SpecError (naming replicates or rounds) when the results, one
    chunk and ``extra`` bytes (e.g. the exact trajectory beside them) cannot fit in ``memory`` (default:
    available). Arithmetic only: answers at once, before anything is compiled."""
    eco.check_rounds(rounds)
    return replicate_chunk(eco, rounds, replicates, extra=extra, memory=memory, **_simulation_shape(eco, method))


def simulation_estimate(eco: Ecosystem, rounds: int, replicates: int, method: str = "sufficient") -> Estimate:
    """Rough seconds and the bytes of ``simulate`` (:mod:`numerics.driver.limits`); arithmetic only."""
    shape = _simulation_shape(eco, method)
    _, needed, _ = simulation_bytes(eco, rounds, replicates, **shape)
    return Estimate(simulation_seconds(eco, rounds, replicates, shape["drawn_per_source"]), needed)


def _simulation_shape(eco: Ecosystem, method: str) -> dict:
    """What sizes a simulation: the numbers a source draws (the family's ``drawn_per_source``)."""
    return {"drawn_per_source": registry.family(eco).drawn_per_source(eco, method)}
