"""The exact Markov chain of a categorical ecosystem with small n and m, in exact rational arithmetic.

Every fit is a rational vector: model k's training frequencies F_k are sums of counts c / N with weights w
(see :mod:`theory.categorical.maps`). From a state (the K frequency vectors F, and under ``reuse`` the real counts
drawn once) the next state's law is the product of the multinomial laws of the round's draws,

    P(c) = N! / prod_i c_i! * prod_i pi_i^c_i     (each real source: pi = q_s; each synthetic draw k <- j:
                                                    pi = p_j^(1/tau) / sum p_j^(1/tau)),

pushed through F' = sum_s w_s c_s / N_s (or the running union under ``accumulate``). Draws of weight zero do not
enter the fit and are not enumerated. All probabilities stay rational when 1/tau is a positive integer.

* :func:`distributions` -- the exact law of the fits after rounds 0..T (any regime, schedules included);
* :func:`exact_chain` -- the time-homogeneous chain (``reuse`` / ``fresh``, constant alpha and beta) with its
  closed classes (the absorbing states are one-state classes), absorption probabilities, expected absorption
  times and stationary laws (:class:`ExactChain`).
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import factorial, prod

import numpy as np
import sympy
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix
from tqdm import tqdm

from interplay.theory.categorical.maps import smoothing_factor, start_frequencies, start_state
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError

Fit = tuple[tuple[Fraction, ...], ...]  # K x m rational probability vectors
State = tuple  # (F: Fit, real counts under reuse or ())


def _fraction(value) -> Fraction:
    value = sympy.sympify(value)
    if not value.is_Rational:
        raise SpecError("ecosystem", f"the exact chain needs rational values, got {value}")
    return Fraction(int(value.p), int(value.q))


def _check(eco: Ecosystem) -> None:
    if eco.family.name != "categorical":
        raise SpecError("family", f"the exact chain is for categorical ecosystems, not {eco.family.name}")
    if not eco.is_numeric:
        raise SpecError(
            "ecosystem", f"the exact chain needs numbers, the spec has symbols {sorted(map(str, eco.symbols))}"
        )
    if eco.n is None:
        raise SpecError("n", "the exact chain needs a finite n (n = None is the population limit)")
    power = 1 / eco.family.temperature
    if not (power.is_integer and power >= 1):
        raise SpecError(
            "family.temperature", f"the exact chain needs 1/tau a positive integer (rational pi), got tau = {1 / power}"
        )


@lru_cache(maxsize=4096)
def _outcomes(probs: tuple[Fraction, ...], size: int) -> tuple[tuple[tuple[int, ...], Fraction], ...]:
    """Every count vector of Mult(size, probs) with positive probability, and its probability."""
    support = [i for i, p in enumerate(probs) if p > 0]
    result = []
    for cuts in itertools.combinations(range(size + len(support) - 1), len(support) - 1):
        parts = [b - a - 1 for a, b in zip((-1, *cuts), (*cuts, size + len(support) - 1))]
        counts = [0] * len(probs)
        for i, c in zip(support, parts):
            counts[i] = c
        weight = Fraction(factorial(size), prod(factorial(c) for c in parts))
        result.append((tuple(counts), weight * prod(probs[i] ** c for i, c in zip(support, parts))))
    return tuple(result)


class _Round:
    """The draws of one round: each (source probabilities or a producer index, size, [(model k, w / N)])."""

    def __init__(self, eco: Ecosystem, t: int):
        plan = plan_at(eco, t)
        K = eco.K
        self.eco, self.t = eco, t
        self.real, self.synthetic = [], []
        real_sources = [(eco.private[k].probs, plan.n_private[k, 0], [(k, plan.w_private[k, 0])]) for k in range(K)]
        real_sources.append((eco.public.probs, plan.n_public, [(k, plan.w_public[k, 0]) for k in range(K)]))
        for probs, size, users in real_sources:
            users = [(k, _fraction(w) / int(size)) for k, w in users if w != 0]
            self.real.append((tuple(_fraction(p) for p in probs), int(size), users))
        for k, j in itertools.product(range(K), range(K)):
            w = plan.w_synthetic[k, j]
            if w != 0:
                size = int(plan.n_synthetic[k, j])
                self.synthetic.append((j, size, [(k, _fraction(w) / size)]))

    @property
    def uses_real(self) -> bool:
        return any(users for _, _, users in self.real)


def _add(partial, outcome, users, m):
    values = [list(row) for row in partial]
    for k, coefficient in users:
        for i in range(m):
            if outcome[i]:
                values[k][i] += coefficient * outcome[i]
    return tuple(tuple(row) for row in values)


def _convolve(law: dict, draws, m) -> dict:
    """Push a law over partial batch sums through independent draws (probs, size, users)."""
    for probs, size, users in draws:
        new = defaultdict(Fraction)
        for partial, p in law.items():
            for outcome, q in _outcomes(probs, size):
                new[_add(partial, outcome, users, m)] += p * q
        law = new
    return law


def fitted(eco: Ecosystem, frequencies: Fit, t) -> Fit:
    """The fits p_k = s_t F_k + (1 - s_t)/m of round t from the training frequencies."""
    s = _fraction(smoothing_factor(eco, t))
    floor = (1 - s) / eco.dim
    return tuple(tuple(s * f + floor for f in row) for row in frequencies)


def _sampling(eco: Ecosystem, probs: tuple[Fraction, ...]) -> tuple[Fraction, ...]:
    power = int(1 / eco.family.temperature)
    powered = [p**power for p in probs]
    total = sum(powered)
    return tuple(p / total for p in powered)


def _step(eco: Ecosystem, state: State, plan: _Round, reuse: bool) -> dict:
    """The law of the next state (round plan.t) from ``state`` (of round plan.t - 1)."""
    K, m, t = eco.K, eco.dim, plan.t
    frequencies, real_counts = state
    zero = tuple(tuple(Fraction(0) for _ in range(m)) for _ in range(K))
    if reuse:  # the real counts drawn once, with this round's weights
        law = {_add_all(zero, real_counts, plan.real, m): Fraction(1)}
    else:
        law = _convolve({zero: Fraction(1)}, [draw for draw in plan.real if draw[2]], m)
    if plan.synthetic:
        sources = [_sampling(eco, p) for p in fitted(eco, frequencies, t - 1)]
        law = _convolve(law, [(sources[j], size, users) for j, size, users in plan.synthetic], m)
    result = defaultdict(Fraction)
    for batch, p in law.items():
        if eco.regime == "accumulate":
            batch = tuple(tuple((t * f + b) / (t + 1) for f, b in zip(fr, br)) for fr, br in zip(frequencies, batch))
        result[(batch, real_counts)] += p
    return result


def _add_all(zero, real_counts, real_draws, m):
    """The batch sums of real counts (one vector or None per real source) with the draws' weights."""
    batch = zero
    for counts, (_, _, users) in zip(real_counts, real_draws):
        if counts is not None:
            batch = _add(batch, counts, users, m)
    return batch


def _start_frequencies(eco: Ecosystem, start) -> Fit:
    """The training frequencies F_0 whose fit of round 0 is the given ``start`` (p_0, K x m; rational)."""
    frequencies = start_frequencies(eco, start_state(eco, start)).reshape(eco.K, eco.dim)
    return tuple(tuple(_fraction(f) for f in frequencies.row(k)) for k in range(eco.K))


def _initial_law(eco: Ecosystem, later_rounds, start=None) -> tuple[dict, bool]:
    """The law of the state of round 0, and whether states carry the real counts: the initial fit's, or the
    given ``start`` (p_0, K x m) with probability one.

    Under ``reuse`` the real datasets are drawn once, here, and the state keeps their counts when a later round
    uses them; a source no round uses is not drawn (its counts are None).
    """
    plan = _Round(eco, 0)
    K, m = eco.K, eco.dim
    keep = eco.regime == "reuse" and any(_Round(eco, t).uses_real for t in later_rounds)
    used = [bool(users) for _, _, users in plan.real]
    if keep:
        for t in later_rounds:
            used = [u or bool(users) for u, (_, _, users) in zip(used, _Round(eco, t).real)]
    law = {(): Fraction(1)}
    for (probs, size, _), needed in zip(plan.real, used):
        outcomes = _outcomes(probs, size) if needed else (((None), Fraction(1)),)
        law = {counts + (outcome,): p * q for counts, p in law.items() for outcome, q in outcomes}
    result = defaultdict(Fraction)
    zero = tuple(tuple(Fraction(0) for _ in range(m)) for _ in range(K))
    given = None if start is None else _start_frequencies(eco, start)
    for counts, p in law.items():
        frequencies = _add_all(zero, counts, plan.real, m) if given is None else given
        result[(frequencies, counts if keep else ())] += p
    return result, keep


def distributions(eco: Ecosystem, rounds: int, start=None, progress: bool = False) -> list[dict[Fit, sympy.Rational]]:
    """The exact law of the fits {p (K x m rational tuple): probability} after each round 0..rounds, from the
    initial fit or the given ``start`` (p_0, K x m rationals: :func:`theory.categorical.maps.start_state`);
    ``progress``: a bar over the rounds on stderr."""
    _check(eco)
    eco.check_rounds(rounds)
    if _homogeneous(eco):
        chain = exact_chain(eco, start)
        rounds_shown = tqdm(range(rounds + 1), desc="exact laws", unit="round", file=sys.stderr, disable=not progress)
        return [chain.law(t) for t in rounds_shown]
    law, reuse = _initial_law(eco, range(1, rounds + 1), start)
    laws = [_fit_law(eco, law, 0)]
    for t in tqdm(range(1, rounds + 1), desc="exact laws", unit="round", file=sys.stderr, disable=not progress):
        plan = _Round(eco, t)
        new = defaultdict(Fraction)
        for state, p in law.items():
            for successor, q in _step(eco, state, plan, reuse).items():
                new[successor] += p * q
        law = new
        laws.append(_fit_law(eco, law, t))
    return laws


def _fit_law(eco, law, t) -> dict:
    result = defaultdict(Fraction)
    for (frequencies, _), p in law.items():
        result[fitted(eco, frequencies, t)] += p
    return {fit: sympy.Rational(p.numerator, p.denominator) for fit, p in result.items()}


def probability(law: dict, event) -> sympy.Rational:
    """P(event) under a law of fits; ``event(fit)`` gets the K x m tuple of probabilities."""
    return expectation(law, lambda fit: int(bool(event(fit))))


def expectation(law: dict, function) -> sympy.Rational:
    """E[function(fit)] under a law of fits (``function`` of rationals returning a rational)."""
    total = sum((Fraction(int(p.p), int(p.q)) * function(fit) for fit, p in law.items()), Fraction(0))
    return sympy.Rational(total.numerator, total.denominator)


# -- the time-homogeneous chain ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactChain:
    """The chain of the fits after the initial fit: states, transition probabilities, initial law.

    ``fits[i]`` is state i's K x m tuple of fitted probabilities (under ``reuse`` several states can share a fit:
    they differ in the reused real counts). ``transition`` is {i: {j: P(i -> j)}} in exact rationals.
    """

    ecosystem: Ecosystem
    fits: tuple[Fit, ...]
    transition: dict
    initial: dict

    @property
    def size(self) -> int:
        return len(self.fits)

    def matrix(self) -> sympy.Matrix:
        """The transition matrix P (rows sum to one)."""
        P = sympy.zeros(self.size, self.size)
        for i, row in self.transition.items():
            for j, p in row.items():
                P[i, j] = sympy.Rational(p.numerator, p.denominator)
        return P

    def closed_classes(self) -> list[tuple[int, ...]]:
        """The closed communicating classes (a chain that enters one never leaves); absorbing states are the
        one-state classes."""
        rows, cols = zip(*[(i, j) for i, row in self.transition.items() for j in row])
        graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(self.size, self.size))
        _, labels = connected_components(graph, directed=True, connection="strong")
        classes = defaultdict(list)
        for i, label in enumerate(labels):
            classes[label].append(i)
        return sorted(
            (
                tuple(members)
                for members in classes.values()
                if all(labels[j] == labels[members[0]] for i in members for j in self.transition[i])
            ),
            key=lambda c: c[0],
        )

    def absorbing_states(self) -> list[int]:
        return [c[0] for c in self.closed_classes() if len(c) == 1]

    def _transient_solve(self, right_hand_sides) -> tuple[list[int], DomainMatrix]:
        """Solve (I - Q) X = B over the transient states (those in no closed class)."""
        closed = {i for c in self.closed_classes() for i in c}
        transient = [i for i in range(self.size) if i not in closed]
        index = {s: a for a, s in enumerate(transient)}
        n = len(transient)
        A = [[QQ(int(a == b)) for b in range(n)] for a in range(n)]
        for a, i in enumerate(transient):
            for j, p in self.transition[i].items():
                if j in index:
                    A[a][index[j]] -= QQ(p.numerator, p.denominator)
        B = [[QQ(v.numerator, v.denominator) for v in right_hand_sides(i)] for i in transient]
        if n == 0:
            return transient, None
        return transient, DomainMatrix(A, (n, n), QQ).lu_solve(DomainMatrix(B, (n, len(B[0])), QQ))

    def absorption_probabilities(self) -> tuple[list[tuple[int, ...]], sympy.Matrix]:
        """(classes, A) with A[i, c] = P(the chain started in state i ends in closed class c)."""
        classes = self.closed_classes()
        member = {i: c for c, members in enumerate(classes) for i in members}

        def into(i):
            row = [Fraction(0)] * len(classes)
            for j, p in self.transition[i].items():
                if j in member:
                    row[member[j]] += p
            return row

        transient, solution = self._transient_solve(into)
        A = sympy.zeros(self.size, len(classes))
        for i, c in member.items():
            A[i, c] = 1
        for a, i in enumerate(transient):
            A[i, :] = solution.to_Matrix()[a, :]
        return classes, A

    def absorption_times(self) -> sympy.Matrix:
        """E[rounds until the chain enters a closed class], per starting state (0 in a closed class)."""
        transient, solution = self._transient_solve(lambda i: [Fraction(1)])
        times = sympy.zeros(self.size, 1)
        for a, i in enumerate(transient):
            times[i] = solution.to_Matrix()[a, 0]
        return times

    def law(self, t: int, progress: bool = False) -> dict[Fit, sympy.Rational]:
        """The exact law of the fits {fit: probability} after round t (t = 0: the initial fit); ``progress``: a
        bar over the rounds on stderr (each round multiplies the law by P in exact rationals)."""
        weights = dict(self.initial)
        for _ in tqdm(range(t), desc="exact law", unit="round", file=sys.stderr, disable=not progress):
            new = defaultdict(Fraction)
            for i, p in weights.items():
                for j, q in self.transition[i].items():
                    new[j] += p * q
            weights = new
        result = defaultdict(Fraction)
        for i, p in weights.items():
            result[self.fits[i]] += p
        return {fit: sympy.Rational(p.numerator, p.denominator) for fit, p in result.items()}

    def initial_vector(self) -> sympy.Matrix:
        v = sympy.zeros(1, self.size)
        for i, p in self.initial.items():
            v[i] = sympy.Rational(p.numerator, p.denominator)
        return v

    def stationary(self, members: tuple[int, ...]) -> dict[int, sympy.Rational]:
        """The stationary law of a closed class: pi P = pi on its states, sum pi = 1."""
        index = {s: a for a, s in enumerate(members)}
        n = len(members)
        A = [[QQ(0)] * n for _ in range(n + 1)]
        for a, i in enumerate(members):
            A[a][a] -= 1
            for j, p in self.transition[i].items():
                A[index[j]][a] += QQ(p.numerator, p.denominator)
        A[n] = [QQ(1)] * n
        b = [[QQ(0)] for _ in range(n)] + [[QQ(1)]]
        M = DomainMatrix(A, (n + 1, n), QQ)
        rhs = DomainMatrix(b, (n + 1, 1), QQ)
        solution = (M.transpose() * M).lu_solve(M.transpose() * rhs)  # consistent, full column rank: exact
        return {i: solution.to_Matrix()[a, 0] for a, i in enumerate(members)}


def _homogeneous(eco: Ecosystem) -> bool:
    return eco.regime != "accumulate" and eco.is_constant


def exact_chain(eco: Ecosystem, start=None) -> ExactChain:
    """The time-homogeneous chain of a ``reuse`` or ``fresh`` ecosystem with constant alpha and beta, started
    from the initial fit or the given ``start`` (p_0, K x m rationals)."""
    _check(eco)
    if not _homogeneous(eco):
        raise SpecError(
            "regime",
            "the exact chain is time-homogeneous only for reuse/fresh with constant alpha, beta; "
            "use distributions() for accumulate or schedules",
        )
    plan = _Round(eco, 1)
    initial_law, reuse = _initial_law(eco, [1], start)
    index: dict = {}
    states: list = []

    def number(state):
        if state not in index:
            index[state] = len(states)
            states.append(state)
        return index[state]

    initial = defaultdict(Fraction)
    for state, p in initial_law.items():
        initial[number(state)] += p
    transition = {}
    frontier = list(range(len(states)))
    while frontier:
        i = frontier.pop()
        row = defaultdict(Fraction)
        known = len(states)
        for successor, p in _step(eco, states[i], plan, reuse).items():
            row[number(successor)] += p
        frontier += range(known, len(states))
        transition[i] = dict(row)
    fits = tuple(fitted(eco, frequencies, 1) for frequencies, _ in states)
    return ExactChain(eco, fits, transition, dict(initial))
