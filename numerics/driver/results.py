"""What every family's results share: an exact trajectory's rounds and divergence, a Monte Carlo result's
replicates and divergence (:mod:`numerics.driver.divergence`), and their labelled form (:class:`Labelled`).

A family's result dataclass lists its arrays and inherits one of these, naming in ``checked`` the arrays whose
first non-finite round is its ``divergence``, and in ``dims`` the dimension names of each array it labels.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

import numpy as np

from interplay.numerics.driver.divergence import Divergence, first_divergence


class Labelled:
    """A result that converts to an ``xarray.Dataset`` (:mod:`numerics.labelled`): ``dims`` maps each array (an
    attribute or property) to its dimension names, declared once per class; an array with fewer axes than names
    takes the trailing ones (a fixed point's state drops the leading ``round`` of a trajectory's)."""

    dims: ClassVar[dict[str, tuple[str, ...]]]

    def coordinates(self) -> dict:
        """Coordinates other than the integer positions 0, 1, ... (and the rounds) that a dimension has."""
        return {}

    def attributes(self) -> dict:
        """Attributes of its own, besides those every result has (:func:`numerics.labelled.labelled`)."""
        return {}

    def to_xarray(self, **attrs):
        """This result as an ``xarray.Dataset`` with named dimensions and coordinates, the spec, the seed and key
        (Monte Carlo), the package versions and the given ``attrs`` as attributes (:func:`numerics.labelled.labelled`;
        ``ds.to_netcdf(path)`` or :func:`numerics.labelled.save_result` writes it, ``load_result`` reads it)."""
        from interplay.numerics.labelled import labelled

        return labelled(self, **attrs)


def _homogenisation(self, **attrs):
    """How alike the models are, round by round: the named measures of :mod:`numerics.homogenisation_measures` (squared
    distances between their parameters, KL and TV between their fitted distributions, diversity), as an
    ``xarray.Dataset``."""
    from interplay.numerics.homogenisation_measures import homogenisation

    return homogenisation(self, **attrs)


class ExactRounds(Labelled):
    """An exact trajectory: arrays leading with the round t = 0..T, among them ``mean``."""

    checked: ClassVar[tuple[str, ...]] = ("mean", "cov")
    homogenisation = _homogenisation

    @property
    def rounds(self) -> int:
        return self.mean.shape[0] - 1

    @cached_property
    def divergence(self) -> Divergence | None:
        """None, or the first round at which one of the ``checked`` arrays is not finite."""
        return first_divergence({name: getattr(self, name) for name in self.checked})


class ExactSummaryRounds(ExactRounds):
    """Per-round summaries of an exact recursion (``iterate_moments(..., summaries=True)``), for ecosystems whose
    full trajectory does not fit: per-model arrays and ``mean_squared_distance`` (T+1,), the mean over pairs
    k != l of E||theta_k - theta_l||^2, computed inside the recursion."""

    def homogenisation(self, **attrs):
        """The homogenisation measures that the summaries determine (:mod:`numerics.homogenisation_measures`):
        ``mean_squared_distance`` and E||D||_F^2 = K (K - 1) times it; the per-pair distances are not kept."""
        from interplay.numerics.labelled import derived_dataset

        K = self.ecosystem.K
        variables = {
            "mean_squared_distance": (("round",), self.mean_squared_distance),
            "squared_frobenius": (("round",), K * (K - 1) * self.mean_squared_distance),
        }
        not_computed = {
            "squared_distance": "per-pair distances are not kept by summaries (iterate with summaries=False)"
        }
        coordinates = {"round": np.arange(self.rounds + 1)}
        return derived_dataset(self, variables, coordinates, kind=self.kind, not_computed=not_computed, **attrs)


class SimulatedReplicates(Labelled):
    """A Monte Carlo result: arrays (replicates, rounds kept, ...) with every round 0..T, or round T alone
    (a result simulated without its trajectory); the first array of ``checked`` is the fitted parameters."""

    checked: ClassVar[tuple[str, ...]]
    homogenisation = _homogenisation

    @property
    def replicates(self) -> int:
        return getattr(self, self.checked[0]).shape[0]

    @cached_property
    def divergence(self) -> Divergence | None:
        """None, or the first round at which some replicate's fit is not finite."""
        kept = range(self.rounds + 1) if getattr(self, self.checked[0]).shape[1] > 1 else [self.rounds]
        return first_divergence({name: getattr(self, name) for name in self.checked}, round_axis=1, rounds=kept)
