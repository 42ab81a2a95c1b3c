"""The Poisson family's hooks for the numerics (the registry's :class:`numerics.family.NumericsFamily`)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from interplay.numerics.poisson import distances, figures, iterate, monte_carlo, sweep


def fitted_values(eco) -> int:
    """A replicate keeps the K rates: K numbers per round."""
    return eco.K


def configure(family_table: dict, public) -> dict:
    """The [family] table as it is: the family has no parameters to infer from the public source."""
    return dict(family_table)


def always(eco) -> bool:
    """The moment recursion closes and sympy solves the population map's (affine) fixed point, for every spec."""
    return True


def trajectory_arrays(exact, mc) -> tuple:
    """The fitted rates are compared; the job saves the exact moments and every replicate's rates."""
    return mc.rates, {"exact_mean": exact.mean, "exact_cov": exact.cov, "monte_carlo_rates": mc.rates}


FAMILY = SimpleNamespace(
    name="poisson",
    methods=monte_carlo.METHODS,
    sweep_axes=("alpha", "beta", "n", "K"),
    exact_quantities=sweep.EXACT_QUANTITIES,
    monte_carlo_quantities=sweep.MONTE_CARLO_QUANTITIES,
    quantity_dims=sweep.QUANTITY_DIMS,
    exact_point=sweep.exact_point,
    exact_limits=None,
    numerical_population=None,
    iterate_moments=iterate.iterate_moments,
    iterate_summaries=functools.partial(iterate.iterate_moments, summaries=True),
    iterate_population=iterate.iterate_population,
    simulate=monte_carlo.simulate,
    drawn_per_source=monte_carlo.drawn_per_source,
    fitted_values=fitted_values,
    monte_carlo_sampler=sweep.monte_carlo_sampler,
    sweep_values=sweep.sweep_values,
    sweep_structure=sweep.sweep_structure,
    value_fields=sweep.VALUE_FIELDS,
    sweep_settings=sweep.sweep_settings,
    sweep_replicate_size=sweep.sweep_replicate_size,
    configure=configure,
    moments_close=always,
    trajectory_arrays=trajectory_arrays,
    trajectory_figure=figures.trajectory_figure,
    closed_form=always,
    parameters=distances.parameters,
    parameter_moments=distances.parameter_moments,
    divergences=distances.divergences,
    probabilities=None,
)
