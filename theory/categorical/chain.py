"""The exact Markov chain of a categorical ecosystem with small n and m, in exact rational arithmetic (or float64).

Every fit is a rational vector: model k's training frequencies F_k are sums of counts c / N with weights w
(see :mod:`theory.categorical.maps`). From a state (the K frequency vectors F, and under ``reuse`` the real counts
drawn once) the next state's law is the product of the multinomial laws of the round's draws,

    P(c) = N! / prod_i c_i! * prod_i pi_i^c_i     (each real source: pi = q_s; each synthetic draw k <- j:
                                                    pi = p_j^(1/tau) / sum p_j^(1/tau); under the ``mixture``
                                                    composition one draw per model k of its N_syn samples:
                                                    pi = sum_j W[k, j] pi_j, a token of the mixture),

pushed through F' = sum_s w_s c_s / N_s (or the running union under ``accumulate``). Draws of weight zero do not
enter the fit and are not enumerated. Under the ``shared`` pool (:mod:`theory.pools`) scraper k of model j counts
the first N_kj tokens of one sample: the sample is drawn as consecutive independent blocks between the scrapers'
sorted sizes, each block's counts added to every scraper whose prefix covers it. All probabilities stay rational
when 1/tau is a positive integer.

* :func:`distributions` -- the exact law of the fits after rounds 0..T (any regime, schedules included);
* :func:`exact_chain` -- the time-homogeneous chain (``reuse`` / ``fresh``, constant alpha and beta) with its
  closed classes (the absorbing states are one-state classes), absorption probabilities, expected absorption
  times, stationary laws and first passages into any set of states (:class:`ExactChain`); its laws are kept
  round after round. ``numeric=True`` keeps the states exact and the probabilities in float64 (scipy sparse),
  for chains too large for rationals; ``lump`` merges the states that differ by a permutation of exchangeable
  categories (:func:`exchangeable_categories`). The collapse statistics built on it are
  :mod:`theory.categorical.collapse`.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import exp, factorial, inf, lcm, lgamma, log, prod

import numpy as np
import sympy
from scipy.sparse import csr_matrix, identity
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import spsolve
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix
from tqdm import tqdm

from interplay.theory.categorical.maps import smoothing_factor, start_frequencies, start_state
from interplay.theory.curation import require_uncurated
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
    if eco.regime == "rolling":
        raise SpecError("regime", "the exact chain's state is the fits; rolling corpora keep tokens (not implemented)")
    if eco.pool == "split":
        raise SpecError("pool", "the exact chain does not enumerate a split pool's slices: use the moments or simulate")
    require_uncurated(eco, "the exact chain")
    power = 1 / eco.family.temperature
    if not (power.is_integer and power >= 1):
        raise SpecError(
            "family.temperature", f"the exact chain needs 1/tau a positive integer (rational pi), got tau = {1 / power}"
        )


@lru_cache(maxsize=4096)
def _outcomes(probs: tuple[Fraction, ...], size: int, numeric: bool = False) -> tuple:
    """Every count vector of Mult(size, probs) with positive probability, and its probability: a Fraction, or
    (``numeric``) a float64 from logarithms, exp(log N! - sum log c_i! + sum c_i log pi_i), which underflows to
    0 but never overflows."""
    support = [i for i, p in enumerate(probs) if p > 0]
    result = []
    for cuts in itertools.combinations(range(size + len(support) - 1), len(support) - 1):
        parts = [b - a - 1 for a, b in zip((-1, *cuts), (*cuts, size + len(support) - 1))]
        counts = [0] * len(probs)
        for i, c in zip(support, parts):
            counts[i] = c
        if numeric:
            logs = lgamma(size + 1) + sum(c * _log(probs[i]) - lgamma(c + 1) for i, c in zip(support, parts))
            result.append((tuple(counts), exp(logs)))
        else:
            weight = Fraction(factorial(size), prod(factorial(c) for c in parts))
            result.append((tuple(counts), weight * prod(probs[i] ** c for i, c in zip(support, parts))))
    return tuple(result)


def _log(p: Fraction) -> float:
    """log p of a positive rational, also where p itself is below the smallest float."""
    return log(p.numerator) - log(p.denominator)


def _prefix_blocks(j: int, weights, sizes) -> list:
    """The draws of model j's one sample under the ``shared`` pool, scraper k taking its first N_kj tokens: with the
    scrapers' sizes sorted, N_(0) <= N_(1) <= ..., block i holds tokens N_(i-1) + 1..N_(i), independent of the
    others, and is seen by every scraper of place >= i (each with its own w / N)."""
    scrapers = sorted((int(sizes[k]), k, _fraction(w)) for k, w in enumerate(weights) if w != 0)
    draws, taken = [], 0
    for place, (size, _, _) in enumerate(scrapers):
        if size > taken:
            users = [(k, w / n) for n, k, w in scrapers[place:]]
            draws.append((((j, Fraction(1)),), size - taken, users))
        taken = size
    return draws


def _public_blocks(eco: Ecosystem, plan) -> list:
    """The round's one public sample, model k taking its first N_k tokens (nested prefixes, :mod:`theory.rounds`;
    one size for all under ``reuse``): with the distinct sizes sorted, block i holds tokens N_(i-1) + 1..N_(i),
    independent of the others, seen by every model whose prefix reaches it (each with its own w / N)."""
    K = eco.K
    probs = tuple(_fraction(p) for p in eco.public.probs)
    sizes = [int(plan.n_public[k, 0]) for k in range(K)]
    blocks, taken = [], 0
    for size in sorted(set(sizes) - {0}):
        users = [
            (k, _fraction(plan.w_public[k, 0]) / sizes[k])
            for k in range(K)
            if plan.w_public[k, 0] != 0 and sizes[k] >= size
        ]
        blocks.append((probs, size - taken, users))
        taken = size
    return blocks


class _Round:
    """The draws of one round: real ones (source probabilities, size, [(model k, w / N)]) and synthetic ones
    (producers [(model j, share)], size, [(model k, w / N)]): a draw from the mixture sum_j share_j pi_j, one
    producer of share 1 under the ``fixed`` composition, row k of W under ``mixture`` (N = N_syn, w = alpha_t);
    under the ``shared`` pool the blocks of one sample per model that its scrapers' prefixes share
    (:func:`_prefix_blocks`); the public sample's blocks likewise (:func:`_public_blocks`)."""

    def __init__(self, eco: Ecosystem, t: int):
        plan = plan_at(eco, t)
        K = eco.K
        self.eco, self.t = eco, t
        self.real, self.synthetic = [], []
        real_sources = [(eco.private[k].probs, plan.n_private[k, 0], [(k, plan.w_private[k, 0])]) for k in range(K)]
        for probs, size, users in real_sources:
            users = [(k, _fraction(w) / int(size)) for k, w in users if w != 0]
            self.real.append((tuple(_fraction(p) for p in probs), int(size), users))
        self.real += _public_blocks(eco, plan)
        if eco.composition == "mixture":
            for k in range(K):
                w, size = sum(plan.w_synthetic.row(k)), sum(plan.n_synthetic.row(k))  # alpha_t, N_syn (exact)
                if w != 0:
                    producers = tuple((j, _fraction(eco.mixing[k, j])) for j in range(K) if eco.mixing[k, j] != 0)
                    self.synthetic.append((producers, int(size), [(k, _fraction(w) / int(size))]))
            return
        if eco.pool == "shared":
            for j in range(K):
                self.synthetic += _prefix_blocks(j, plan.w_synthetic.col(j), plan.n_synthetic.col(j))
            return
        for k, j in itertools.product(range(K), range(K)):
            w = plan.w_synthetic[k, j]
            if w != 0:
                size = int(plan.n_synthetic[k, j])
                self.synthetic.append((((j, Fraction(1)),), size, [(k, _fraction(w) / size)]))

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


def _convolve(law: dict, draws, m, numeric: bool) -> dict:
    """Push a law over partial batch sums through independent draws (probs, size, users)."""
    for probs, size, users in draws:
        new = defaultdict(Fraction)
        for partial, p in law.items():
            for outcome, q in _outcomes(probs, size, numeric):
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


def _mixed(sources, producers) -> tuple[Fraction, ...]:
    """sum_j share_j pi_j over the producers [(j, share)]: pi_j itself for one producer of share 1."""
    if len(producers) == 1 and producers[0][1] == 1:
        return sources[producers[0][0]]
    return tuple(sum(share * sources[j][i] for j, share in producers) for i in range(len(sources[0])))


def _step(eco: Ecosystem, state: State, plan: _Round, reuse: bool, numeric: bool = False) -> dict:
    """The law of the next state (round plan.t) from ``state`` (of round plan.t - 1); probabilities in float64
    when ``numeric`` (the states stay exact)."""
    K, m, t = eco.K, eco.dim, plan.t
    frequencies, real_counts = state
    zero = tuple(tuple(Fraction(0) for _ in range(m)) for _ in range(K))
    if reuse:  # the real counts drawn once, with this round's weights
        law = {_add_all(zero, real_counts, plan.real, m): Fraction(1)}
    else:
        law = _convolve({zero: Fraction(1)}, [draw for draw in plan.real if draw[2]], m, numeric)
    if plan.synthetic:
        sources = [_sampling(eco, p) for p in fitted(eco, frequencies, t - 1)]
        draws = [(_mixed(sources, producers), size, users) for producers, size, users in plan.synthetic]
        law = _convolve(law, draws, m, numeric)
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


def _initial_law(eco: Ecosystem, later_rounds, start=None, numeric: bool = False) -> tuple[dict, bool]:
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
        outcomes = _outcomes(probs, size, numeric) if needed else (((None), Fraction(1)),)
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


def exchangeable_categories(eco: Ecosystem, start=None) -> tuple[tuple[int, ...], ...]:
    """The categories the chain cannot tell apart, in blocks: i and j share a block when every real source (each
    private q_k and the public q) and the ``start`` p_0 (when given) give them equal probabilities.

    Smoothing, temperature and mixing treat all categories alike, so a permutation sigma of a block maps the chain
    onto itself, P(sigma x, sigma y) = P(x, y), and leaves its initial law unchanged: the orbits of the states
    then form a Markov chain (the chain is lumpable on them; Kemeny & Snell, *Finite Markov Chains*, 1960, 6.3).
    """
    _check(eco)
    rows = [tuple(_fraction(p) for p in source.probs) for source in (*eco.private, eco.public)]
    if start is not None:
        rows += list(_start_frequencies(eco, start))
    blocks = defaultdict(list)
    for i in range(eco.dim):
        blocks[tuple(row[i] for row in rows)].append(i)
    return tuple(sorted(tuple(block) for block in blocks.values()))


def _lumping(eco: Ecosystem, start, lump) -> tuple[tuple[int, ...], ...]:
    """The blocks of two or more categories to lump: none (``lump`` False), every exchangeable block (True) or the
    given blocks, each inside an exchangeable block."""
    if lump is False or lump is None:
        return ()
    exchangeable = exchangeable_categories(eco, start)
    if lump is True:
        return tuple(block for block in exchangeable if len(block) > 1)
    try:
        blocks = tuple(tuple(sorted(block)) for block in lump)
        indices = all(isinstance(i, int | np.integer) and not isinstance(i, bool) for block in blocks for i in block)
    except TypeError:
        indices = False
    if not indices:
        raise SpecError("lump", f"must be True, False or blocks of category indices, got {lump!r}")
    blocks = tuple(tuple(int(i) for i in block) for block in blocks)
    members = [i for block in blocks for i in block]
    if len(set(members)) != len(members) or not set(members) <= set(range(eco.dim)):
        raise SpecError("lump", f"must be disjoint blocks of categories 0..{eco.dim - 1}, got {lump!r}")
    block_of = {i: block for block in exchangeable for i in block}
    for block in blocks:
        if any(block_of[i] != block_of[block[0]] for i in block):
            raise SpecError(
                "lump",
                f"categories {block} are not exchangeable (a source or the start gives them different probabilities); "
                f"the exchangeable blocks are {exchangeable}",
            )
    return tuple(block for block in blocks if len(block) > 1)


def _canonical(state: State, blocks) -> State:
    """The representative of a state's orbit under the permutations of each block of categories: the block's
    columns (a category's frequencies in every model, and its reused real counts) in decreasing order."""
    if not blocks:
        return state
    frequencies, real_counts = state
    drawn = [counts for counts in real_counts if counts is not None]
    order = list(range(len(frequencies[0])))

    def column(i):
        return tuple(row[i] for row in frequencies), tuple(counts[i] for counts in drawn)

    for block in blocks:
        for position, i in zip(block, sorted(block, key=column, reverse=True)):
            order[position] = i

    def permuted(vector):
        return None if vector is None else tuple(vector[i] for i in order)

    return tuple(permuted(row) for row in frequencies), tuple(permuted(counts) for counts in real_counts)


@dataclass(frozen=True)
class ExactChain:
    """The chain of the fits after the initial fit: states, transition probabilities, initial law.

    ``fits[i]`` is state i's K x m tuple of fitted probabilities (under ``reuse`` several states can share a fit:
    they differ in the reused real counts). ``transition`` is {i: {j: P(i -> j)}} in exact rationals, or in
    float64 when ``numeric`` (the states and which transitions are possible stay exact, so the closed classes are
    exact too). ``lumped``: the blocks of exchangeable categories whose permutations were lumped
    (:func:`exchangeable_categories`); each state is then an orbit and ``fits[i]`` its representative (each
    block's columns in decreasing order), so the chain gives the law of what such permutations leave unchanged.

    Exact results are sympy (Rational, Matrix, ``oo``), numeric ones numpy float64 (arrays, floats, ``inf``) and
    a scipy sparse matrix. The laws of the rounds are computed one from the other and kept: law(t) after
    law(t - 1) costs one step (exact: integer numerators over the common denominator D0 D^t).
    """

    ecosystem: Ecosystem
    fits: tuple[Fit, ...]
    transition: dict
    initial: dict
    numeric: bool = False
    lumped: tuple[tuple[int, ...], ...] = ()
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def size(self) -> int:
        return len(self.fits)

    def _value(self, p):
        """A probability as this chain returns it: sympy.Rational, or float when numeric."""
        return float(p) if self.numeric else sympy.Rational(p.numerator, p.denominator)

    def _kept(self, name, compute):
        if name not in self._cache:
            self._cache[name] = compute()
        return self._cache[name]

    def matrix(self):
        """The transition matrix P (rows sum to one): a sympy Matrix, or a scipy CSR float64 matrix when numeric."""
        if self.numeric:
            return self._sparse()
        P = sympy.zeros(self.size, self.size)
        for i, row in self.transition.items():
            for j, p in row.items():
                P[i, j] = sympy.Rational(p.numerator, p.denominator)
        return P

    def _sparse(self) -> csr_matrix:
        def build():
            entries = [(i, j, float(p)) for i, row in self.transition.items() for j, p in row.items()]
            rows, cols, values = zip(*entries)
            return csr_matrix((values, (rows, cols)), shape=(self.size, self.size))

        return self._kept("sparse", build)

    def closed_classes(self) -> list[tuple[int, ...]]:
        """The closed communicating classes (a chain that enters one never leaves); absorbing states are the
        one-state classes."""
        return list(self._kept("closed", self._closed_classes))

    def _closed_classes(self) -> list[tuple[int, ...]]:
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

    def _reaching(self, targets, within) -> set[int]:
        """The states ``targets`` and those with a path to them whose other states all lie in ``within``."""

        def predecessors():
            result = defaultdict(list)
            for i, row in self.transition.items():
                for j in row:
                    result[j].append(i)
            return result

        before = self._kept("predecessors", predecessors)
        found, frontier = set(targets), list(targets)
        while frontier:
            for i in before[frontier.pop()]:
                if i in within and i not in found:
                    found.add(i)
                    frontier.append(i)
        return found

    def _certain_to_enter(self, target: set[int]) -> list[int]:
        """The states outside ``target`` from which the chain enters it with probability one: those with no path
        avoiding ``target`` to a state that cannot reach it (a property of the graph, so exact in both modes)."""
        outside = set(range(self.size)) - target
        stranded = outside - self._reaching(target, outside)
        return sorted(outside - self._reaching(stranded, outside))

    def _solve_before(self, target: set[int], right_hand_sides) -> tuple[list[int], object]:
        """(states, X): X solves (I - Q) X = B over the states that enter ``target`` with probability one, Q being
        P among them and row i of B right_hand_sides(i); a sympy Matrix, or a numpy array when numeric."""
        states = self._certain_to_enter(target)
        n = len(states)
        if n == 0:
            return states, None
        B = [right_hand_sides(i) for i in states]
        if self.numeric:
            Q = self._sparse()[states][:, states]
            X = spsolve((identity(n, format="csc") - Q).tocsc(), np.array(B, dtype=float))
            return states, np.asarray(X).reshape(n, -1)
        index = {s: a for a, s in enumerate(states)}
        A = [[QQ(int(a == b)) for b in range(n)] for a in range(n)]
        for a, i in enumerate(states):
            for j, p in self.transition[i].items():
                if j in index:
                    A[a][index[j]] -= QQ(p.numerator, p.denominator)
        B = [[QQ(v.numerator, v.denominator) for v in row] for row in B]
        return states, DomainMatrix(A, (n, n), QQ).lu_solve(DomainMatrix(B, (n, len(B[0])), QQ)).to_Matrix()

    def _zeros(self, *shape):
        return np.zeros(shape) if self.numeric else sympy.zeros(*shape)

    def absorption_probabilities(self) -> tuple[list[tuple[int, ...]], object]:
        """(classes, A) with A[i, c] = P(the chain started in state i ends in closed class c)."""
        classes = self.closed_classes()
        member = {i: c for c, members in enumerate(classes) for i in members}

        def into(i):
            row = [Fraction(0)] * len(classes)
            for j, p in self.transition[i].items():
                if j in member:
                    row[member[j]] += p
            return row

        transient, solution = self._solve_before(set(member), into)
        A = self._zeros(self.size, len(classes))
        for i, c in member.items():
            A[i, c] = 1
        for a, i in enumerate(transient):
            A[i, :] = solution[a, :]
        return classes, A

    def absorption_times(self):
        """E[rounds until the chain enters a closed class], per starting state (0 in a closed class): a column."""
        closed = {i for c in self.closed_classes() for i in c}
        transient, solution = self._solve_before(closed, lambda i: [Fraction(1)])
        times = self._zeros(self.size, 1)
        for a, i in enumerate(transient):
            times[i, 0] = solution[a, 0]
        return times

    def mean_hitting_time(self, target):
        """E[T_A] from the initial law, T_A = min{t >= 0: X_t in A} the first round the chain is in ``target`` A (a
        set of states); infinite (``oo``) when the chain may never enter A."""
        target = set(target)
        states, solution = self._solve_before(target, lambda i: [Fraction(1)])
        index = {s: a for a, s in enumerate(states)}
        total = 0
        for i, p in self.initial.items():
            if i not in target:
                if i not in index:
                    return inf if self.numeric else sympy.oo
                total += self._value(p) * solution[index[i], 0]
        return total

    def hitting_time_survival(self, target, rounds: int):
        """P(T_A > t) for t = 0..rounds: the probability that the chain is outside ``target`` A (a set of states)
        in every round 0..t, i.e. the mass of the chain stopped on entering A. A list of sympy Rationals, or a numpy
        array; kept per A, so a longer horizon continues from the last round computed."""
        self.ecosystem.check_rounds(rounds)
        outside = frozenset(target)
        if self.numeric:
            return np.array([self._weights(t, outside).sum() for t in range(rounds + 1)])
        D0, D, _ = self._integers()
        return [sympy.Rational(sum(self._weights(t, outside).values()), D0 * D**t) for t in range(rounds + 1)]

    def _integers(self) -> tuple[int, int, dict]:
        """(D0, D, rows): the initial law's common denominator D0, the transition's D and the rows D P(i -> j)."""

        def build():
            D0 = lcm(*(p.denominator for p in self.initial.values()))
            D = lcm(*(p.denominator for row in self.transition.values() for p in row.values()))
            rows = {
                i: {j: p.numerator * (D // p.denominator) for j, p in row.items()} for i, row in self.transition.items()
            }
            return D0, D, rows

        return self._kept("integers", build)

    def _weights(self, t: int, stop: frozenset = frozenset(), progress: bool = False):
        """P(X_t = i, X_0..X_t all outside ``stop``) per state i: a numpy vector, or exact numerators {i: D0 D^t P}.
        Computed round after round from the initial law and kept; ``progress``: a bar over the rounds computed."""
        evolutions = self._kept("evolutions", dict)
        if stop not in evolutions:
            if self.numeric:
                start = np.zeros(self.size)
                for i, p in self.initial.items():
                    start[i] = 0.0 if i in stop else p
            else:
                D0 = self._integers()[0]
                start = {i: p.numerator * (D0 // p.denominator) for i, p in self.initial.items() if i not in stop}
            evolutions[stop] = [start]
        history = evolutions[stop]
        pending = range(len(history), t + 1)
        for _ in tqdm(pending, desc="exact law", unit="round", file=sys.stderr, disable=not progress):
            history.append(self._advance(history[-1], stop))
        return history[t]

    def _advance(self, weights, stop: frozenset):
        """One round of the chain stopped on entering ``stop``."""
        if self.numeric:
            following = self._kept("transposed", lambda: self._sparse().T.tocsr()) @ weights
            following[list(stop)] = 0.0
            return following
        rows = self._integers()[2]
        following = defaultdict(int)
        for i, x in weights.items():
            for j, a in rows[i].items():
                if j not in stop:
                    following[j] += x * a
        return dict(following)

    def law(self, t: int, progress: bool = False) -> dict:
        """The law of the fits {fit: probability} after round t (t = 0: the initial fit), exact or float64;
        ``progress``: a bar on stderr over the rounds not computed before (each multiplies the law by P)."""
        self.ecosystem.check_rounds(t)
        weights = self._weights(t, progress=progress)
        result = defaultdict(Fraction)
        if self.numeric:
            for i in np.flatnonzero(weights):
                result[self.fits[i]] += float(weights[i])
            return dict(result)
        D0, D, _ = self._integers()
        for i, x in weights.items():
            result[self.fits[i]] += x
        return {fit: sympy.Rational(x, D0 * D**t) for fit, x in result.items()}

    def initial_vector(self):
        """The initial law as a row: a 1 x size sympy Matrix, or a numpy vector."""
        v = np.zeros(self.size) if self.numeric else sympy.zeros(1, self.size)
        for i, p in self.initial.items():
            v[i] = self._value(p)
        return v

    def stationary(self, members: tuple[int, ...]) -> dict:
        """The stationary law of a closed class: pi P = pi on its states, sum pi = 1."""
        n = len(members)
        if self.numeric:
            P = self._sparse()[list(members)][:, list(members)].toarray()
            A = np.vstack([P.T - np.eye(n), np.ones((1, n))])
            solution = np.linalg.lstsq(A, np.eye(n + 1)[n], rcond=None)[0]
            return {i: float(solution[a]) for a, i in enumerate(members)}
        index = {s: a for a, s in enumerate(members)}
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


def exact_chain(eco: Ecosystem, start=None, *, numeric: bool = False, lump=False) -> ExactChain:
    """The time-homogeneous chain of a ``reuse`` or ``fresh`` ecosystem with constant alpha and beta, started
    from the initial fit or the given ``start`` (p_0, K x m rationals).

    ``numeric``: transition probabilities in float64, for chains too large for rationals (the states stay exact;
    results are numpy/scipy). ``lump``: True lumps every block of :func:`exchangeable_categories` (a state is then
    an orbit, see :class:`ExactChain`); a list of blocks lumps those, each inside an exchangeable block.
    """
    _check(eco)
    if not _homogeneous(eco):
        raise SpecError(
            "regime",
            "the exact chain is time-homogeneous only for reuse/fresh with constant alpha, beta; "
            "use distributions() for accumulate or schedules",
        )
    blocks = _lumping(eco, start, lump)
    plan = _Round(eco, 1)
    initial_law, reuse = _initial_law(eco, [1], start, numeric)
    index: dict = {}
    states: list = []

    def number(state):
        state = _canonical(state, blocks)
        if state not in index:
            index[state] = len(states)
            states.append(state)
        return index[state]

    def values(law):
        return {i: float(p) if numeric else p for i, p in law.items()}

    initial = defaultdict(Fraction)
    for state, p in initial_law.items():
        initial[number(state)] += p
    transition = {}
    frontier = list(range(len(states)))
    while frontier:
        i = frontier.pop()
        row = defaultdict(Fraction)
        known = len(states)
        for successor, p in _step(eco, states[i], plan, reuse, numeric).items():
            row[number(successor)] += p
        frontier += range(known, len(states))
        transition[i] = values(row)
    fits = tuple(fitted(eco, frequencies, 1) for frequencies, _ in states)
    return ExactChain(eco, fits, transition, values(initial), numeric, blocks)
