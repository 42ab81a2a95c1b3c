"""The Gaussian family's hooks for the numerics (:class:`~interplay.numerics.family.NumericsFamily`)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

from interplay.numerics.gaussian import derive, distances, figures, iterate, monte_carlo, sweep


def fitted_values(eco) -> int:
    """A replicate keeps the K means and K covariances: K (d + d^2) numbers per round."""
    return eco.K * (eco.dim + eco.dim**2)


def configure(family_table: dict, public) -> dict:
    """``dim`` defaults to the public source's."""
    return {"dim": public.dim} | family_table


def trajectory_arrays(exact, mc) -> tuple:
    """The fitted means are compared; the job saves the exact moments and every replicate's fits."""
    return mc.means, {
        "exact_mean": exact.mean,
        "exact_fitted_cov": exact.fitted_cov,
        "exact_mean_cov": exact.mean_cov,
        "monte_carlo_means": mc.means,
        "monte_carlo_covs": mc.covs,
    }


FAMILY = SimpleNamespace(
    name="gaussian",
    methods=monte_carlo.METHODS,
    sweep_axes=("alpha", "beta", "n", "K"),
    exact_quantities=sweep.EXACT_QUANTITIES,
    monte_carlo_quantities=sweep.MONTE_CARLO_QUANTITIES,
    quantity_dims=sweep.QUANTITY_DIMS,
    exact_point=sweep.exact_point,
    exact_limits=None,
    numerical_population=derive.numerical_population,  # under curation (no closed form)
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
    moments_close=lambda eco: eco.curation is None,  # curated moments are not affine: the population map
    trajectory_arrays=trajectory_arrays,
    trajectory_figure=figures.theory_vs_monte_carlo,
    closed_form=lambda eco: eco.curation is None,  # curated: erfc, the fixed point found numerically
    parameters=distances.parameters,
    parameter_moments=distances.parameter_moments,
    divergences=distances.divergences,
    probabilities=None,
)
