"""The package-level verbs (``numerics.iterate_moments``, ``numerics.iterate_population``, ``numerics.simulate``)
for any family: each looks the ecosystem's family up in :mod:`numerics.registry`."""

from __future__ import annotations

from interplay.numerics import registry
from interplay.numerics.driver.limits import replicate_chunk, require_fits, trajectory_bytes
from interplay.theory.spec import Ecosystem


def implementation(eco: Ecosystem, verb: str):
    """The function doing ``verb`` for the ecosystem's family (its hook in :mod:`numerics.registry`)."""
    return getattr(registry.family(eco), verb)


def _require_trajectory_fits(eco: Ecosystem, rounds: int, memory: int | None) -> None:
    eco.check_rounds(rounds)
    require_fits(trajectory_bytes(eco, rounds), "rounds", f"an exact trajectory of {rounds} rounds", memory)


def iterate_moments(eco: Ecosystem, rounds: int, memory: int | None = None):
    """The exact expected trajectory of the finite-n process over rounds 0..T (any family); refused up front
    when it cannot fit in ``memory`` bytes (default: the memory available)."""
    function = implementation(eco, "iterate_moments")
    _require_trajectory_fits(eco, rounds, memory)
    return function(eco, rounds)


def iterate_population(eco: Ecosystem, rounds: int, memory: int | None = None):
    """The deterministic trajectory of the population (infinite-sample) map over rounds 0..T (any family);
    refused up front when it cannot fit in ``memory`` bytes (default: the memory available)."""
    function = implementation(eco, "iterate_population")
    _require_trajectory_fits(eco, rounds, memory)
    return function(eco, rounds)


def simulate(eco: Ecosystem, rounds: int, key, replicates: int = 1000, **options):
    """Monte Carlo of the sampling process: ``replicates`` runs of ``rounds`` rounds from the PRNG ``key``
    (an integer seed or a jax key); family-specific options (e.g. Gaussian ``method``) pass through."""
    return implementation(eco, "simulate")(eco, rounds, key, replicates, **options)


def require_simulation_fits(
    eco: Ecosystem, rounds: int, replicates: int, method: str = "sufficient", extra: int = 0, memory=None
) -> int:
    """The replicates per chunk of ``simulate``; SpecError (naming replicates or rounds) when the results, one
    chunk and ``extra`` bytes (e.g. the exact trajectory beside them) cannot fit in ``memory`` (default:
    available). Arithmetic only: answers at once, before anything is compiled."""
    eco.check_rounds(rounds)
    family = registry.family(eco)
    largest = family.drawn_per_source(eco, method)
    return replicate_chunk(
        eco, rounds, replicates, drawn_per_source=largest, extra=extra, memory=memory, chunked=family.chunked
    )
