"""Collapse statistics of a categorical ecosystem, from its exact chain (:mod:`theory.categorical.chain`): when
categories are lost, and when the chain is absorbed.

Category i is *held* in round t when some model gives it positive mass (with ``model=k``: when model k does) and
*lost* otherwise; the rounds count from the initial fit (round 0). With alpha = 1 and no smoothing a lost
category never returns; with real data it can, and the times below are first passages. Write

    T_i     = min{t >= 0 : category i lost in round t}               (first loss of category i),
    T^(k)   = min{t >= 0 : at least k categories lost in round t}     (k = 1..m-1; "all survive t rounds": T^(1) > t),
    T_abs   = min{t >= 0 : the chain is in a closed class}           (absorption; for one self-consuming model
                                                                      without smoothing, the point masses: T^(m-1)),

each infinite when the event never happens. :class:`CollapseStatistics` gives P(T_i > t), P(T^(1) > t),
P(T^(k) <= t), P(T_abs <= t) for t = 0..T, and E T^(k), E T_abs, from first-passage sums and absorbing-set
solves of the chain (:meth:`ExactChain.hitting_time_survival`, :meth:`ExactChain.mean_hitting_time`): exact
rationals, or float64 with ``numeric=True`` for larger chains. Categories that every source and the start give
equal probabilities are lumped (:func:`theory.categorical.chain.exchangeable_categories`): the counts of lost
categories come from the chain of orbits, the loss of category i from the chain that keeps i apart. The Monte
Carlo estimates of the same statistics are :mod:`numerics.categorical.collapse`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from interplay.theory.categorical.chain import ExactChain, exact_chain, exchangeable_categories
from interplay.theory.spec import Ecosystem, SpecError


@dataclass(frozen=True)
class CollapseStatistics:
    """The collapse statistics of an ecosystem from the initial fit or ``start`` (p_0); see the module docstring.

    Probabilities over rounds t = 0..rounds are lists of sympy Rationals, or numpy float64 arrays when ``numeric``;
    means are Rationals (``oo`` when infinite), or floats (``inf``). ``lump=False`` uses the full chain (the same
    numbers, from more states).
    """

    ecosystem: Ecosystem
    start: object = None
    numeric: bool = False
    model: int | None = None
    lump: bool = True
    _chains: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def chain(self, apart: int | None = None) -> ExactChain:
        """The chain the statistics come from: lumped over the exchangeable categories, with category ``apart``
        (when given) kept out of its block; kept for reuse."""
        blocks = ()
        if self.lump:
            blocks = [tuple(i for i in block if i != apart) for block in exchangeable_categories(*self._spec)]
            blocks = tuple(block for block in blocks if len(block) > 1)
        if blocks not in self._chains:
            self._chains[blocks] = exact_chain(*self._spec, numeric=self.numeric, lump=blocks)
        return self._chains[blocks]

    @property
    def _spec(self):
        return self.ecosystem, self.start

    def _lost(self, fit, i) -> bool:
        models = range(self.ecosystem.K) if self.model is None else [self.model]
        return all(fit[k][i] == 0 for k in models)

    def _losing(self, k: int) -> tuple[ExactChain, set[int]]:
        """The lumped chain and its states in which at least k categories are lost."""
        m = self.ecosystem.dim
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= m - 1:
            raise SpecError("k", f"the number of lost categories must be an integer in 1..{m - 1}, got {k!r}")
        chain = self.chain()
        lost = [sum(self._lost(fit, i) for i in range(m)) for fit in chain.fits]
        return chain, {s for s, count in enumerate(lost) if count >= k}

    def survival(self, category: int, rounds: int):
        """P(T_i > t), t = 0..rounds: category i held in every round 0..t."""
        m = self.ecosystem.dim
        if isinstance(category, bool) or not isinstance(category, (int, np.integer)) or not 0 <= category < m:
            raise SpecError("category", f"must be an integer in 0..{m - 1}, got {category!r}")
        chain = self.chain(int(category))
        lost = {s for s, fit in enumerate(chain.fits) if self._lost(fit, category)}
        return chain.hitting_time_survival(lost, rounds)

    def all_survive(self, rounds: int):
        """P(T^(1) > t), t = 0..rounds: every category held in every round 0..t."""
        return self.chain().hitting_time_survival(self._losing(1)[1], rounds)

    def loss_distribution(self, k: int, rounds: int):
        """P(T^(k) <= t), t = 0..rounds: at least k categories lost in some round up to t (its differences are
        the law of T^(k))."""
        chain, losing = self._losing(k)
        return _complement(chain.hitting_time_survival(losing, rounds))

    def mean_loss_time(self, k: int):
        """E T^(k): the mean number of rounds until at least k categories are lost (infinite when they may never
        be)."""
        return self.chain().mean_hitting_time(self._losing(k)[1])

    def absorption_distribution(self, rounds: int):
        """P(T_abs <= t), t = 0..rounds: the chain in a closed class by round t."""
        chain = self.chain()
        return _complement(chain.hitting_time_survival(_closed_states(chain), rounds))

    def mean_absorption_time(self):
        """E T_abs from the initial law."""
        chain = self.chain()
        return chain.mean_hitting_time(_closed_states(chain))


def _closed_states(chain: ExactChain) -> set[int]:
    return {s for members in chain.closed_classes() for s in members}


def _complement(probabilities):
    return 1 - probabilities if isinstance(probabilities, np.ndarray) else [1 - p for p in probabilities]


def collapse_statistics(
    eco: Ecosystem, start=None, *, numeric: bool = False, model: int | None = None, lump: bool = True
) -> CollapseStatistics:
    """The collapse statistics of a ``reuse`` or ``fresh`` categorical ecosystem with constant alpha and beta
    (:func:`theory.categorical.chain.exact_chain`): loss of a category, of k categories, absorption. ``model``:
    None counts a category lost when every model lost it, k when model k did."""
    statistics = CollapseStatistics(eco, start, bool(numeric), model, bool(lump))
    statistics.chain()  # checks the spec (family, numbers, regime, start) before the model
    if model is not None and (
        isinstance(model, bool) or not isinstance(model, (int, np.integer)) or not 0 <= model < eco.K
    ):
        raise SpecError("model", f"must be None or an integer in 0..{eco.K - 1}, got {model!r}")
    return statistics
