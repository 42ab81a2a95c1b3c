"""The Markov family's hooks for the numerics (the registry's :class:`numerics.family.NumericsFamily`).

The family has the verbs ``iterate_moments`` (rows design), ``iterate_population`` and ``simulate``; sweeps,
config files, figures and the homogenisation measures are not written yet: each refuses the family by name
(SpecError naming ``family``)."""

from __future__ import annotations

from types import SimpleNamespace

from interplay.numerics.family import refused_hook
from interplay.numerics.markov import iterate, monte_carlo


def refused(what: str):
    return refused_hook("markov", what, " yet (iterate_moments, iterate_population, simulate)")


def rows_design(eco) -> bool:
    """The moments close, and the population fixed point is affine (closed form), in the rows design only."""
    return eco.family.design == "rows"


def fitted_values(eco) -> int:
    """A replicate keeps K transition matrices: K m^2 numbers per round."""
    return eco.K * eco.family.m**2


def drawn_per_source(eco, method: str) -> int:
    """The most items (transitions per state, or sequences) a replicate draws from one source in a round."""
    return eco.largest_n or 0


FAMILY = SimpleNamespace(
    name="markov",
    methods=monte_carlo.METHODS,
    sweep_axes=("alpha", "beta", "K"),
    exact_quantities=(),
    monte_carlo_quantities=(),
    quantity_dims={},
    value_fields={},
    exact_point=None,
    exact_limits=refused("sweeps"),
    numerical_population=None,
    iterate_moments=iterate.iterate_moments,
    iterate_summaries=None,
    iterate_population=iterate.iterate_population,
    simulate=monte_carlo.simulate,
    drawn_per_source=drawn_per_source,
    fitted_values=fitted_values,
    monte_carlo_sampler=refused("sweeps"),
    sweep_values=refused("sweeps"),
    sweep_structure=refused("sweeps"),
    sweep_settings=refused("sweeps"),
    sweep_replicate_size=refused("sweeps"),
    configure=refused("config files"),
    moments_close=rows_design,
    trajectory_arrays=refused("simulate jobs"),
    trajectory_figure=refused("figures"),
    closed_form=rows_design,
    parameters=refused("homogenisation measures"),
    parameter_moments=refused("homogenisation measures"),
    divergences=refused("homogenisation measures"),
    probabilities=None,
)
