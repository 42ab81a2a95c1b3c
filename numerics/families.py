"""Which numerics implement each family: the package-level verbs (``numerics.iterate_moments``,
``numerics.iterate_population``, ``numerics.simulate``) look the ecosystem's family up here."""

from __future__ import annotations

from theory.spec import Ecosystem, SpecError

from . import categorical, iterate, linear, monte_carlo

IMPLEMENTATIONS = {
    "gaussian": {
        "iterate_moments": iterate.iterate_moments,
        "iterate_population": iterate.iterate_population,
        "simulate": monte_carlo.simulate,
    },
    "categorical": {
        "iterate_moments": categorical.iterate_moments,
        "iterate_population": categorical.iterate_population,
        "simulate": categorical.simulate,
    },
    # its population map is the mean dynamics of the moment recursion (LinearTrajectory.mean)
    "linear-gaussian": {"iterate_moments": linear.iterate_linear, "simulate": linear.simulate_linear},
}


def implementation(eco: Ecosystem, verb: str):
    """The function doing ``verb`` for the ecosystem's family."""
    name = getattr(eco.family, "name", None)
    if name not in IMPLEMENTATIONS:
        raise SpecError("family", f"numerics has no implementation for the family {name!r}")
    if verb not in IMPLEMENTATIONS[name]:
        raise SpecError("family", f"{verb} is not available for {name} ecosystems")
    return IMPLEMENTATIONS[name][verb]


def iterate_moments(eco: Ecosystem, rounds: int):
    """The exact expected trajectory of the finite-n process over rounds 0..T (any family)."""
    return implementation(eco, "iterate_moments")(eco, rounds)


def iterate_population(eco: Ecosystem, rounds: int):
    """The deterministic trajectory of the population (infinite-sample) map over rounds 0..T (any family)."""
    return implementation(eco, "iterate_population")(eco, rounds)


def simulate(eco: Ecosystem, rounds: int, key, replicates: int = 1000, **options):
    """Monte Carlo of the sampling process: ``replicates`` runs of ``rounds`` rounds from the PRNG ``key``
    (an integer seed or a jax key); family-specific options (e.g. Gaussian ``method``) pass through."""
    return implementation(eco, "simulate")(eco, rounds, key, replicates, **options)
