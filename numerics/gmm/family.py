"""The Gaussian-mixture family's hooks for the numerics (the registry's :class:`numerics.family.NumericsFamily`).

What it has: the computed population map (``iterate_population``; fixed points and multipliers in
:mod:`numerics.gmm.population`), the Monte Carlo (``simulate``) and the fitted parameters. What it does not have
yet (sweeps, the exact moments, which do not close, figures, the derive verb's numerical fixed points, the CLI's
simulate job) refuses the family by name with a SpecError naming ``family``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from interplay.numerics.family import refused_hook
from interplay.numerics.gmm import monte_carlo, population
from interplay.theory.spec import Ecosystem, SpecError


def refused(what: str):
    """A hook the family does not have yet: SpecError naming ``family`` (:func:`numerics.family.refused_hook`)."""
    return refused_hook(
        "gaussian-mixture", what, " (not yet: numerics.gmm.population has the map, fixed points and multipliers)"
    )


def iterate_moments(eco: Ecosystem, rounds: int, start=None):
    """The moments of the fitted mixtures do not close (EM is not linear in its data): refused naming ``family``."""
    raise SpecError("family", "the gaussian-mixture family's moments do not close: use simulate (Monte Carlo)")


def drawn_per_source(eco: Ecosystem, method: str) -> int:
    """Every sample is drawn: the largest training set."""
    return int(eco.largest_n or 1)


def fitted_values(eco: Ecosystem) -> int:
    """A replicate keeps 3C numbers (pi, mu, s2) per model and round."""
    return 3 * eco.family.components * eco.K


def configure(family_table: dict, public) -> dict:
    return dict(family_table)


def never(eco: Ecosystem) -> bool:
    """Neither do the moments close nor has the population map a closed form."""
    return False


def parameters(result) -> np.ndarray:
    """theta (..., K, 3C): (pi, mu, s2) of every fitted mixture."""
    return np.concatenate([result.weights, result.means, result.variances], axis=-1)


def divergences(result) -> dict:
    text = "no closed form between Gaussian mixtures"
    return {"kl": text, "tv": text}


FAMILY = SimpleNamespace(
    name="gaussian-mixture",
    methods=monte_carlo.METHODS,
    sweep_axes=("alpha", "beta", "K"),  # declared by every family; the sweep itself refuses this one (exact_limits)
    exact_quantities=(),
    monte_carlo_quantities=(),
    quantity_dims={},
    value_fields={},
    exact_point=None,
    exact_limits=refused("sweeps"),
    numerical_population=refused("derive report of numerical fixed points"),
    iterate_moments=iterate_moments,
    iterate_summaries=None,
    iterate_population=population.iterate_population,
    simulate=monte_carlo.simulate,
    drawn_per_source=drawn_per_source,
    fitted_values=fitted_values,
    monte_carlo_sampler=refused("sweeps"),
    sweep_values=refused("sweeps"),
    sweep_structure=refused("sweeps"),
    sweep_settings=refused("sweeps"),
    sweep_replicate_size=refused("sweeps"),
    configure=configure,
    parameters=parameters,
    parameter_moments=refused("exact parameter moments"),
    divergences=divergences,
    probabilities=None,
    moments_close=never,
    trajectory_arrays=refused("simulate job of the command line"),
    trajectory_figure=refused("trajectory figure"),
    closed_form=never,
)
