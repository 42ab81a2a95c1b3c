"""The Markov family's hooks for the numerics (the registry's :class:`numerics.family.NumericsFamily`).

The family has the verbs ``iterate_moments`` (rows design), ``iterate_population`` and ``simulate``, config files
(``examples/markov.toml``: ``configure``), the CLI's derive (closed form, rows design) and simulate jobs, the
trajectory figure and the homogenisation measures. Sweeps and the numerical fixed points of the sequences design are
not written yet: each refuses by name (SpecError naming ``family``, or ``family.design``)."""

from __future__ import annotations

from types import SimpleNamespace

from interplay.numerics.family import refused_hook
from interplay.numerics.markov import distances, figures, iterate, monte_carlo
from interplay.theory.spec import SpecError


def refused(what: str):
    return refused_hook("markov", what, " yet (derive, simulate; iterate_moments, iterate_population)")


def configure(family_table: dict, public) -> dict:
    """``m`` defaults to the public source's number of states."""
    return {"m": public.m} | family_table


def trajectory_arrays(exact, mc) -> tuple:
    """The fitted transition matrices are compared; the job saves the exact trajectory and every replicate's fits."""
    arrays = {"exact_mean": exact.mean, "exact_row_cov": exact.row_cov, "monte_carlo_transitions": mc.transitions}
    return mc.transitions, arrays


def numerical_population(eco):
    """The sequences design's population map is rational in P (:mod:`theory.markov.maps`): no fixed-point solver
    yet; refused naming ``family.design``."""
    raise SpecError(
        "family.design",
        "derive solves the rows design only; the sequences design has no fixed-point solver yet (simulate follows "
        "its population map)",
    )


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
    numerical_population=numerical_population,
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
    configure=configure,
    moments_close=rows_design,
    trajectory_arrays=trajectory_arrays,
    trajectory_figure=figures.trajectory_figure,
    closed_form=rows_design,
    parameters=distances.parameters,
    parameter_moments=distances.parameter_moments,
    divergences=distances.divergences,
    probabilities=None,
)
