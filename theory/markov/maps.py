"""The Markov (first-order n-gram) family: each model is a transition matrix P_k (m x m, rows stochastic), fitted
by transition counts normalised per row.

Model k's sources c in a round (weights w_kc, sizes N_kc from :mod:`theory.rounds`; fixed composition, own pool,
``fresh`` real data) are its private source, the round's public source (model k takes the first N_public,k draws of
its one sample) and the synthetic data of every model j. Source c has the transition matrix Q_c (a real source's,
or P_j for model j's synthetic data). Two sampling designs (``Markov.design``):

``"rows"`` (a given number of transitions per state): source c contributes N_kc transitions out of *every* state s,
    counts c_kc[s] ~ Mult(N_kc, Q_c[s]), independent across rows. The fit of row s is the categorical family's
    frequency f_k[s] = sum_c w_kc c_kc[s] / N_kc (:mod:`theory.categorical.maps`, no smoothing, tau = 1): row s of
    the ecosystem IS a categorical ecosystem whose sources are the rows s of the Q_c (:func:`row_ecosystem`), and
    the m rows evolve independently. So the exact finite-n moments close row by row (E P, and Cov within a row
    across models; zero across rows), and the population map is the row-wise mix P_k'[s] = sum_c w_kc Q_c[s].

``"sequences"`` (chains of a given length L): source c contributes N_kc sequences X_0..X_{L-1} of its chain, each
    started from the family's fixed initial distribution mu (``Markov.initial``, default uniform, full support
    required) whatever the source; the fit of row s pools the sources' transition counts c_kc[s, i] (transitions
    s -> i in its sequences), each sequence weighted w_kc / N_kc:

        P_k'[s, i] = sum_c (w_kc / N_kc) c_kc[s, i] / sum_c (w_kc / N_kc) c_kc[s]      (= pooled counts when w = N/n)

    and a row with no transitions (a state no sequence left) keeps model k's previous row (the uniform row at the
    initial fit). The number of visits to s is random, so the fit is a ratio of random counts and its finite-n
    moments do not close (:func:`moment_trajectory` refuses the design). Its population map (every N_kc infinite,
    the ratios w fixed) follows from E c_kc[s, i] / N_kc = v_c(s) Q_c[s, i], with v_c(s) = sum_{t=0}^{L-2}
    (mu Q_c^t)_s the expected number of transitions out of s in one sequence (:func:`visits`), by the law of
    large numbers on numerator and denominator:

        P_k'[s, i] = sum_c w_kc v_c(s) Q_c[s, i] / sum_c w_kc v_c(s),

    a mix of the sources' rows weighted by how often each source visits s (v_c(s) >= mu_s > 0, so the
    denominator is positive). Synthetic sources enter through v_j = v(P_j): the map is rational, not affine, in P.
    As L -> infinity, v_c(s) / (L - 1) -> the stationary distribution of Q_c (when Q_c is irreducible and aperiodic).

Collapse (:mod:`theory.markov.longrun`): with alpha = 1 (only synthetic data) and one model, each row of the
``rows`` design is the categorical Wright-Fisher chain: E P_t = P_0 (a martingale) and each row is absorbed at a
deterministic row e_i with probability P_0[s, i]; the fitted chain becomes a deterministic map of the states, whose
stationary laws sit on its cycles. With real data (alpha < 1) the population fixed point P* = (I - alpha W)^-1 R Q
(row-wise) keeps the real rows' support.

Only the ``fresh`` regime, the ``fixed`` composition and the ``own`` pool are modelled (the spec refuses others by
name), no smoothing, no temperature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.rounds import RoundPlan, plan_at
from interplay.theory.spec import EXACT_HINT, Ecosystem, SpecError, is_numeric, matrix, plain, show, sums_to_one
from interplay.theory.symbolic import Layout, SymbolicMap, plan_round, t_symbol

DESIGNS = ("rows", "sequences")


def _stochastic_rows(value, parameter: str, m: int | None) -> sympy.ImmutableMatrix:
    """An exact m x m matrix of numbers >= 0 whose rows sum to one (SpecError naming ``parameter``)."""
    P = matrix(value, parameter)
    if P.shape[0] != P.shape[1] or P.shape[0] < 2:
        raise SpecError(parameter, f"must be a square m x m transition matrix, m >= 2, got shape {P.shape}")
    if m is not None and P.shape[0] != m:
        raise SpecError(parameter, f"has {P.shape[0]} states, the family has m = {m}")
    if not is_numeric(P):
        raise SpecError(parameter, "must hold numbers (the Markov family has no symbolic sources)")
    if any(x < 0 for x in P):
        raise SpecError(parameter, "entries must be >= 0")
    for s in range(P.shape[0]):
        if not sums_to_one(P.row(s)):
            raise SpecError(parameter, f"row [{s}] must sum to 1, sums to {show(sum(P.row(s)))} ({EXACT_HINT})")
    return P


@dataclass(frozen=True)
class Markov:
    """First-order Markov chains over ``m`` states, fitted by transition counts normalised per row.

    ``design`` "rows": n transitions out of every state per model and round; "sequences": n sequences of
    ``length`` L >= 2 states, each started from ``initial`` (a probability vector with full support; default
    uniform). Module docstring: the two designs' maps.
    """

    m: int
    design: str = "rows"
    length: int | None = None
    initial: object = None
    name = "markov"
    estimators = ("mle",)
    compositions = ("fixed",)
    pools = ("own",)
    regimes = ("fresh",)

    def __post_init__(self):
        if isinstance(self.m, bool) or not isinstance(self.m, (int, np.integer)) or self.m < 2:
            raise SpecError("family.m", f"must be an integer >= 2 (number of states), got {self.m!r}")
        if self.design not in DESIGNS:
            raise SpecError("family.design", f"must be one of {DESIGNS}, got {self.design!r}")
        if self.design == "rows":
            if self.length is not None or self.initial is not None:
                raise SpecError("family.length", "the rows design samples transitions, not sequences: no length")
            return
        if isinstance(self.length, bool) or not isinstance(self.length, (int, np.integer)) or self.length < 2:
            raise SpecError("family.length", f"must be an integer >= 2 (states per sequence), got {self.length!r}")
        mu = matrix([sympy.Rational(1, self.m)] * self.m if self.initial is None else self.initial, "family.initial")
        if mu.shape != (self.m, 1) or not is_numeric(mu) or any(x <= 0 for x in mu) or not sums_to_one(mu):
            raise SpecError("family.initial", f"must be {self.m} probabilities > 0 summing to 1 ({EXACT_HINT})")
        object.__setattr__(self, "initial", mu)

    @property
    def dim(self) -> int:
        return self.m * self.m

    @property
    def source_type(self):
        return MarkovSource

    def check(self, eco: Ecosystem) -> None:
        for name, source in eco.named_sources():
            if source.m != self.m:
                raise SpecError(f"{name}.transitions", f"has {source.m} states, the family has m = {self.m}")

    def values(self) -> tuple[sympy.ImmutableMatrix, ...]:
        return () if self.initial is None else (self.initial,)

    def describe(self) -> dict:
        initial = None if self.initial is None else [plain(x) for x in self.initial]
        return {"name": self.name, "m": self.m, "design": self.design, "length": self.length, "initial": initial}


@dataclass(frozen=True)
class MarkovSource:
    """A real source: a first-order Markov chain with the m x m transition matrix ``transitions`` (exact numbers,
    rows summing to one). ``size`` must be None (the family has the ``fresh`` regime only)."""

    transitions: sympy.ImmutableMatrix
    size: int | None = None
    name: str = "source"

    def __post_init__(self):
        object.__setattr__(self, "transitions", _stochastic_rows(self.transitions, f"{self.name}.transitions", None))
        if self.size is not None:
            raise SpecError(f"{self.name}.size", "the Markov family draws fresh real data every round: no size")

    @property
    def m(self) -> int:
        return self.transitions.shape[0]

    @property
    def mean(self) -> sympy.ImmutableMatrix:
        return self.transitions

    def values(self) -> tuple[sympy.ImmutableMatrix, ...]:
        return (self.transitions,)

    def describe(self) -> dict:
        return {"transitions": [[plain(x) for x in row] for row in self.transitions.tolist()]}


def markov_ecosystem(transitions, public_transitions, design="rows", length=None, initial=None, **options):
    """A Markov ecosystem from one transition matrix per model (its private source) and the public one.

    ``design``, ``length`` and ``initial`` are the family's (:class:`Markov`); ``options`` the other
    :class:`~theory.spec.Ecosystem` fields (alpha, beta, mixing, n); the regime is ``fresh``.

    >>> eco = markov_ecosystem([[[1, 0], [0, 1]]], [[0.5, 0.5], [0.5, 0.5]], alpha=0.5, n=10)
    >>> eco.K, eco.family.name, eco.family.m
    (1, 'markov', 2)
    """
    public = MarkovSource(public_transitions, None, "public")
    if isinstance(transitions, (str, bytes)) or not hasattr(transitions, "__len__") or len(transitions) == 0:
        raise SpecError("transitions", "expected one m x m transition matrix per model")
    private = tuple(MarkovSource(P, None, f"private[{k}]") for k, P in enumerate(transitions))
    options.setdefault("regime", "fresh")
    return Ecosystem(Markov(public.m, design, length, initial), public, private, **options)


# -- shared pieces ----------------------------------------------------------------------------------------------


def real_transitions(eco: Ecosystem) -> list[sympy.ImmutableMatrix]:
    """[Q_1, ..., Q_K, Q_0]: the private sources' transition matrices, then the public one."""
    return [s.transitions for s in (*eco.private, eco.public)]


def source_weights(plan: RoundPlan) -> sympy.Matrix:
    """K x (2K + 1): model k's weight on each source c = (private 1..K, public, synthetic of model 1..K):
    [diag(w_private) | w_public | w_synthetic]."""
    return sympy.Matrix.hstack(sympy.diag(*plan.w_private), plan.w_public, sympy.Matrix(plan.w_synthetic))


def source_sizes(plan: RoundPlan) -> sympy.Matrix:
    """K x (2K + 1): N_kc, in the order of :func:`source_weights` (0 where model k does not draw from c)."""
    return sympy.Matrix.hstack(sympy.diag(*plan.n_private), plan.n_public, sympy.Matrix(plan.n_synthetic))


def visits(Q: np.ndarray, initial: np.ndarray, length: int) -> np.ndarray:
    """(..., m): v(s) = sum_{t=0}^{L-2} (mu Q^t)_s, the expected number of transitions out of state s in one
    sequence of L states started from mu, for a stack of transition matrices Q (..., m, m); exact for object
    arrays of sympy numbers, float64 for float arrays."""
    row = np.broadcast_to(np.asarray(initial).reshape(-1), Q.shape[:-1]).copy()
    total = row * 0
    for _ in range(length - 1):
        total = total + row
        row = (row[..., None] * Q).sum(-2)
    return total


def mix_rows(eco: Ecosystem, P: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(K, m, m): the population map P'[k, s] = sum_c w_kc v_c(s) Q_c[s] / sum_c w_kc v_c(s) (v = 1 for the rows
    design) for the models' transition matrices ``P`` (K, m, m) and the weights (K, 2K + 1) of
    :func:`source_weights`: object arrays give exact sympy values, float arrays float64."""
    family = eco.family
    dtype = object if P.dtype == object else np.float64
    real = np.array([np.array(Q.tolist(), dtype=object) for Q in real_transitions(eco)], dtype=dtype)
    sources = np.concatenate([real, P])
    if family.design == "rows":
        v = np.ones(sources.shape[:2], dtype=dtype)
    else:
        v = visits(sources, np.array(list(family.initial), dtype=dtype), family.length)
    w = np.asarray(weights, dtype=dtype)[:, :, None] * v[None]  # (K, C, m)
    return (w[..., None] * sources[None]).sum(1) / w.sum(1)[..., None]


def population_step(eco: Ecosystem, P: list, plan: RoundPlan) -> list[sympy.Matrix]:
    """The population map of one round (module docstring), exact: ``P`` the K current transition matrices (sympy,
    symbols allowed); ``plan`` a population plan (:func:`theory.rounds.plan_at` with ``population=True``)."""
    stacked = np.array([np.array(sympy.Matrix(Q).tolist(), dtype=object) for Q in P], dtype=object)
    weights = np.array(source_weights(plan).tolist(), dtype=object)
    return [sympy.Matrix(Q.tolist()).applyfunc(sympy.cancel) for Q in mix_rows(eco, stacked, weights)]


def uniform_transitions(eco: Ecosystem) -> list[sympy.Matrix]:
    """The state before the initial fit: every row uniform (read only by a row with no data, sequences design)."""
    return [sympy.ones(eco.family.m, eco.family.m) / eco.family.m] * eco.K


def _plan(eco: Ecosystem, t: int) -> RoundPlan:
    return plan_at(eco, t, population=True)


def population_trajectory(eco: Ecosystem, rounds: int) -> list[list[sympy.Matrix]]:
    """The K transition matrices after rounds 0..rounds of the population map, exact (round 0: the initial fit
    to infinite real data, alpha_0 = 0)."""
    eco.check_rounds(rounds)
    P = population_step(eco, uniform_transitions(eco), _plan(eco, 0))
    trajectory = [P]
    for t in range(1, rounds + 1):
        P = population_step(eco, P, _plan(eco, t))
        trajectory.append(P)
    return trajectory


def transition_symbols(K: int, m: int) -> list[sympy.Matrix]:
    """K matrices of symbols P^{(k)}_{si}, the last column 1 - the others (rows on the simplex)."""
    mats = []
    for k in range(K):
        free = [
            [sympy.Symbol(f"P^{{({k + 1})}}_{{{s + 1}{i + 1}}}", nonnegative=True) for i in range(m - 1)]
            for s in range(m)
        ]
        mats.append(sympy.Matrix([[*row, 1 - sum(row)] for row in free]))
    return mats


# -- the rows design: the categorical family row by row -------------------------------------------------------


def require_rows(eco: Ecosystem, what: str) -> None:
    if eco.family.design != "rows":
        raise SpecError(
            "family.design",
            f"{what} needs the rows design: with sequences the visits to a state are random and the fit is a ratio "
            "of random counts, so its finite-n moments do not close (use Monte Carlo and the population map)",
        )


def row_ecosystem(eco: Ecosystem, s: int) -> Ecosystem:
    """Row s of a rows-design ecosystem as the categorical ecosystem it is: sources the rows s of the real
    transition matrices, the same alpha, beta, mixing, n, fresh regime (no smoothing, tau = 1)."""
    require_rows(eco, "a row's categorical ecosystem")
    private = [list(Q.row(s)) for Q in real_transitions(eco)[:-1]]
    return categorical_ecosystem(
        private, list(eco.public.transitions.row(s)), alpha=eco.alpha, beta=eco.beta, mixing=eco.mixing, n=eco.n,
        regime="fresh",
    )  # fmt: skip


def moment_trajectory(eco: Ecosystem, rounds: int) -> list[tuple[np.ndarray, list[sympy.Matrix]]]:
    """Exact moments of the rows design over rounds 0..rounds: per round (E P as a K x m x m object array,
    [Cov of row s across models, Km x Km, for s in 0..m-1]); rows are independent (zero covariance across rows).
    From the categorical family's exact recursion on each :func:`row_ecosystem`."""
    from interplay.theory.categorical.maps import moment_trajectory as categorical_trajectory

    require_rows(eco, "the exact moment recursion")
    K, m = eco.K, eco.family.m
    rows = [categorical_trajectory(row_ecosystem(eco, s), rounds) for s in range(m)]
    out = []
    for t in range(rounds + 1):
        mean = np.empty((K, m, m), dtype=object)
        for s in range(m):
            mu = rows[s][t][0]
            for k in range(K):
                for i in range(m):
                    mean[k, s, i] = mu[k * m + i] if mu.shape[1] == 1 else mu[k, i]
        out.append((mean, [rows[s][t][1] for s in range(m)]))
    return out


# -- the hooks' symbolic maps (theory.family.TheoryFamily) -----------------------------------------------------


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The population map of round t >= 1 over the free entries P^(k)_{si}, i < m (each row's last entry is one
    minus the others). Its part ``transitions`` is the Km x m matrix of the K transition matrices stacked.

    Rows design only: the sequences design's map is rational in P (the visits v(P_j) divide), which the symbolic
    fixed-point solver does not take (SpecError naming ``family.design``; its exact rounds are
    :func:`population_trajectory`, in float64 ``numerics.iterate_population``)."""
    if eco.family.design != "rows":
        raise SpecError(
            "family.design",
            "the sequences design's population map is rational in P (no symbolic map or fixed point): use "
            "theory.markov.maps.population_trajectory or numerics.iterate_population",
        )
    K, m = eco.K, eco.family.m
    symbols = transition_symbols(K, m)
    stacked = sympy.Matrix.vstack(*symbols)
    layout = Layout()
    layout.add("transitions", ("transitions", stacked, [(r, i) for r in range(K * m) for i in range(m - 1)]))
    new = population_step(eco, symbols, plan_at(eco, plan_round(eco, t), population=True))
    return layout.build("population", eco, {"transitions": sympy.Matrix.vstack(*new)})


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """Refused: the sequences design's moments do not close, and the rows design's are the categorical family's
    on each row (:func:`row_ecosystem`, :func:`moment_trajectory`), not one map of this family's own."""
    require_rows(eco, "the exact moment recursion")
    raise SpecError(
        "of",
        "the markov family's exact moments are the categorical family's, row by row: use "
        "theory.categorical's moment_map(row_ecosystem(eco, s)) or theory.markov.maps.moment_trajectory",
    )


def initial_state(fmap: SymbolicMap, start=None) -> list:
    """The flat state of the population map at round 0 (the initial fit to infinite real data); a ``start`` is
    refused (SpecError naming it)."""
    if start is not None:
        raise SpecError("start", "the markov family starts from its initial fit only")
    if fmap.name != "population":
        moment_map(fmap.ecosystem)
    eco = fmap.ecosystem
    return fmap.pack(transitions=sympy.Matrix.vstack(*population_trajectory(eco, 0)[0]))
