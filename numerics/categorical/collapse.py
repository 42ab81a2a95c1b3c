"""Collapse statistics of a categorical ecosystem by Monte Carlo, with standard errors: the estimates of what
:mod:`theory.categorical.collapse` computes from the exact chain.

From simulated trajectories (:func:`numerics.categorical.simulate` with ``trajectory=True``), category i is held
in round t of a replicate when some model gives it positive mass (``model=k``: model k), lost otherwise; T_i is its
first loss and T^(k) the first round with at least k categories lost (t = 0 is the initial fit; for one
self-consuming model without smoothing T^(m-1) is the absorption time, a point mass). A probability p
over rounds is the share of replicates, with the binomial standard error sqrt(p (1 - p) / R). A time is censored
at the horizon: a replicate where it does not happen by round T counts as T + 1, so the mean estimates the
restricted mean E min(T^(k), T + 1) = sum_{t=0..T} P(T^(k) > t) (which is E T^(k) only when P(T^(k) > T) is
negligible), with the standard error of a mean, std / sqrt(R), and the censored share stated beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interplay.numerics.categorical.monte_carlo import CategoricalMonteCarlo
from interplay.numerics.driver.limits import require_standard_errors
from interplay.theory.spec import SpecError


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate and its standard error (arrays of one shape); ``censored``: the share of replicates
    whose time lies beyond the horizon (0 for probabilities)."""

    value: np.ndarray
    se: np.ndarray
    censored: float = 0.0


@dataclass(frozen=True)
class CollapseEstimates:
    """Loss of categories in simulated trajectories: ``held`` (R, T + 1, m), category i held in round t of a
    replicate (by some model, or by ``model``)."""

    monte_carlo: CategoricalMonteCarlo
    model: int | None
    held: np.ndarray

    @property
    def rounds(self) -> int:
        return self.held.shape[1] - 1

    def _share(self, events: np.ndarray) -> Estimate:
        """The share of replicates with the event (R, ...), with its binomial standard error."""
        p = events.mean(0)
        return Estimate(p, np.sqrt(p * (1 - p) / events.shape[0]))

    def _k(self, k: int) -> int:
        m = self.held.shape[2]
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= m - 1:
            raise SpecError("k", f"the number of lost categories must be an integer in 1..{m - 1}, got {k!r}")
        return int(k)

    def survival(self, category: int) -> Estimate:
        """P(T_i > t), t = 0..T: category i held in every round up to t."""
        m = self.held.shape[2]
        if isinstance(category, bool) or not isinstance(category, (int, np.integer)) or not 0 <= category < m:
            raise SpecError("category", f"must be an integer in 0..{m - 1}, got {category!r}")
        return self._share(np.logical_and.accumulate(self.held[:, :, category], axis=1))

    def all_survive(self) -> Estimate:
        """P(T^(1) > t), t = 0..T: every category held in every round up to t."""
        return self._share(np.logical_and.accumulate(self.held.all(-1), axis=1))

    def loss_times(self, k: int) -> np.ndarray:
        """(R,) T^(k) per replicate, T + 1 where fewer than k categories are lost in every round up to T."""
        reached = (~self.held).sum(-1) >= self._k(k)
        return np.where(reached.any(1), reached.argmax(1), self.rounds + 1)

    def loss_distribution(self, k: int) -> Estimate:
        """P(T^(k) <= t), t = 0..T."""
        return self._share(self.loss_times(k)[:, None] <= np.arange(self.rounds + 1))

    def mean_loss_time(self, k: int) -> Estimate:
        """E min(T^(k), T + 1) (see the module docstring), with the censored share."""
        times = self.loss_times(k)
        return Estimate(times.mean(), times.std(ddof=1) / np.sqrt(times.size), float((times > self.rounds).mean()))


def collapse_estimates(mc: CategoricalMonteCarlo, model: int | None = None) -> CollapseEstimates:
    """The collapse statistics of simulated trajectories (``simulate(..., trajectory=True)``, R >= 2 replicates)."""
    if mc.probs.shape[1] != mc.rounds + 1:
        raise SpecError("trajectory", "collapse statistics need every round: simulate with trajectory=True")
    require_standard_errors(mc.probs.shape[0])
    K = mc.ecosystem.K
    if model is not None and (
        isinstance(model, bool) or not isinstance(model, (int, np.integer)) or not 0 <= model < K
    ):
        raise SpecError("model", f"must be None or an integer in 0..{K - 1}, got {model!r}")
    positive = mc.probs > 0
    held = positive.any(2) if model is None else positive[:, :, model]
    return CollapseEstimates(mc, model, held)
