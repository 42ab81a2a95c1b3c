"""The categorical family's hooks for the numerics (:class:`~interplay.numerics.family.NumericsFamily`)."""

from __future__ import annotations

from types import SimpleNamespace

from interplay.numerics.categorical import derive, distances, figures, iterate, monte_carlo, sweep


def fitted_values(eco) -> int:
    """A replicate keeps the K probability vectors: K m numbers per round."""
    return eco.K * eco.dim


def configure(family_table: dict, public) -> dict:
    """``m`` defaults to the public source's number of categories."""
    return {"m": public.m} | family_table


def closed_form(eco) -> bool:
    """sympy solves the population map's fixed point at temperature 1 only (p^(1/tau) otherwise), without curation
    (whose law q(p) is a polynomial of degree k and makes the moment recursion open)."""
    return eco.family.temperature == 1 and eco.curation is None


def trajectory_arrays(exact, mc) -> tuple:
    """The fitted probabilities are compared; the job saves the exact moments and every replicate's fits."""
    return mc.probs, {"exact_mean": exact.mean, "exact_cov": exact.cov, "monte_carlo_probs": mc.probs}


def trajectory_figure(exact, mc, title: str):
    return figures.categorical_theory_vs_monte_carlo(exact, mc, title=title)


FAMILY = SimpleNamespace(
    name="categorical",
    methods=monte_carlo.METHODS,
    sweep_axes=("alpha", "beta", "K", "temperature"),
    exact_quantities=sweep.EXACT_QUANTITIES,
    monte_carlo_quantities=sweep.MONTE_CARLO_QUANTITIES,
    quantity_dims=sweep.QUANTITY_DIMS,
    exact_point=sweep.exact_point,
    exact_limits=None,
    numerical_population=derive.numerical_population,
    iterate_moments=iterate.iterate_moments,
    iterate_summaries=None,
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
    moments_close=closed_form,  # the moment recursion closes at temperature 1
    trajectory_arrays=trajectory_arrays,
    trajectory_figure=trajectory_figure,
    closed_form=closed_form,
    parameters=distances.probabilities,
    parameter_moments=distances.parameter_moments,
    divergences=distances.divergences,
    probabilities=distances.probabilities,
)
