"""The linear-Gaussian family's hooks for the numerics (:class:`~interplay.numerics.family.NumericsFamily`)."""

from __future__ import annotations

from types import SimpleNamespace

from interplay.numerics.linear import distances, figures, iterate, monte_carlo, sweep
from interplay.theory.linear.maps import Design


def fitted_values(eco) -> int:
    """A replicate keeps the K fitted parameters: K d numbers per round."""
    return eco.K * eco.dim


def configure(family_table: dict, public) -> dict:
    """``synthetic``: a design table, or a list of them (one per model), made Designs."""
    from interplay.numerics.cli.config import build_source

    if "synthetic" not in family_table:
        return family_table
    synthetic = family_table["synthetic"]
    tables = synthetic if isinstance(synthetic, list) else [synthetic]
    designs = [build_source(Design, t, f"family.synthetic[{j}]") for j, t in enumerate(tables)]
    return family_table | {"synthetic": designs if isinstance(synthetic, list) else designs[0]}


def trajectory_arrays(exact, mc) -> tuple:
    """The fitted parameters are compared; the job saves the exact moments and every replicate's fits."""
    return mc.thetas, {"exact_mean": exact.mean, "exact_cov": exact.cov, "monte_carlo_thetas": mc.thetas}


FAMILY = SimpleNamespace(
    name="linear-gaussian",
    methods=monte_carlo.METHODS,
    sweep_axes=("alpha", "beta", "K"),
    exact_quantities=sweep.EXACT_QUANTITIES,
    monte_carlo_quantities=sweep.MONTE_CARLO_QUANTITIES,
    quantity_dims=sweep.QUANTITY_DIMS,
    exact_point=None,
    exact_limits=sweep.exact_limits,
    numerical_population=None,
    iterate_moments=iterate.iterate_linear,
    iterate_summaries=None,
    iterate_population=iterate.iterate_population,
    simulate=monte_carlo.simulate_linear,
    drawn_per_source=monte_carlo.drawn_per_source,
    fitted_values=fitted_values,
    monte_carlo_sampler=sweep.monte_carlo_sampler,
    sweep_values=sweep.sweep_values,
    sweep_structure=sweep.sweep_structure,
    value_fields=sweep.VALUE_FIELDS,
    sweep_settings=sweep.sweep_settings,
    sweep_replicate_size=sweep.sweep_replicate_size,
    configure=configure,
    moments_close=lambda eco: True,
    trajectory_arrays=trajectory_arrays,
    trajectory_figure=figures.linear_theory_vs_monte_carlo,
    closed_form=lambda eco: True,
    parameters=distances.parameters,
    parameter_moments=distances.parameter_moments,
    divergences=distances.divergences,
    probabilities=None,
)
