"""The ecosystem: one immutable, validated description of an interactive training process.

K models share one public real source (the paper's D*) and each holds a private real source (D~_k). At the
initial fit (t = 0) model k trains on weight beta of its private data and 1 - beta of the public data. At each
update t >= 1 its training mix has the weights (Vu, Reeves & Wenger, arXiv 2505.21677, section 2)

    private (1 - alpha_t) beta_t,   public (1 - alpha_t)(1 - beta_t),   model j's outputs alpha_t W[k, j],

where W is a row-stochastic K x K mixing matrix (the paper's equal shares are W = J / K; W = I is the
classic single-model self-consuming loop). Numbers may be sympy symbols, so that `theory` answers in closed
form; `numerics` needs them numeric.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import sympy
from sympy.polys.matrices import DomainMatrix

Regime = Literal["reuse", "fresh", "accumulate", "rolling"]
REGIMES = ("reuse", "fresh", "accumulate", "rolling")
CLASSIC_REGIMES = REGIMES[:3]  # every family has these; "rolling" corpora only the families that list it
COMPOSITIONS = ("fixed", "mixture")
POOLS = ("own", "shared", "split")


class SpecError(ValueError):
    """An ecosystem parameter is invalid; the message names the parameter."""

    def __init__(self, parameter: str, problem: str):
        self.parameter = parameter
        super().__init__(f"{parameter}: {problem}")


class Family(Protocol):
    """What the ecosystem needs of a distribution family."""

    name: str
    source_type: type  # the class of its real sources; each source validates itself and has .name, .size
    estimators: tuple[str, ...]  # the estimators it knows; the first is the default
    compositions: tuple[str, ...]  # the compositions of the synthetic part it has exact maps and Monte Carlo for
    pools: tuple[str, ...]  # where its models' synthetic samples come from (:mod:`theory.pools`); the first the default
    # regimes: tuple[str, ...], optional: the regimes it has maps for where not all (:data:`CLASSIC_REGIMES` if absent)

    def check(self, eco: Ecosystem) -> None:
        """Raise SpecError for what is wrong with ``eco`` for this family (sources, n for the estimator)."""

    # Its update maps, constructor and long run are its TheoryFamily's (interplay.theory.family), registered
    # in interplay.theory.registry.


EXACT_HINT = 'floats are taken at their exact value; give exact fractions, e.g. sympy.Rational(1, 3) or "1/3"'
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/0*[1-9]\d*)?")


def exact(value, parameter: str):
    """A sympy number or expression holding exactly the value given, never a nearby simpler one.

    A float becomes the rational its shortest decimal representation spells (``repr``): 0.1 -> 1/10,
    0.99999999 -> 99999999/100000000. A string spells an exact number: "1/3", "0.25", "2e-3".
    """
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, str):
        number = sympy.Rational(value.strip()) if _NUMBER.fullmatch(value.strip()) else sympy.nan
        if not number.is_finite:
            raise SpecError(parameter, f'expected a number or a fraction such as "1/3", got {value!r}')
        return number
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(parameter, f"expected a number or a sympy expression, got {value!r}")
    if not np.isfinite(value):
        raise SpecError(parameter, f"must be finite, got {value}")
    if isinstance(value, (float, np.floating)):
        return sympy.Rational(repr(float(value)))
    return sympy.Integer(int(value))


def show(value) -> str:
    """A number as stored, exactly: "100000001/100000000 = 1.00000001" (never a rounded 1)."""
    value = sympy.sympify(value)
    if value.is_Integer or not value.is_number:
        return str(value)
    return f"{value} = {float(value)!r}"


def sums_to_one(values) -> bool:
    """Whether numbers sum to exactly 1 (an exact comparison; the values are exact sympy numbers)."""
    return sympy.simplify(sum(values, sympy.Integer(0)) - 1) == 0


IMMUTABLE = (sympy.ImmutableDenseMatrix, sympy.ImmutableSparseMatrix)
"""W is stored dense when given dense (a matrix, J / K), sparse when given sparse (an edge list, a graph generator, a
scipy.sparse matrix): a K = 10,000 ring holds 2 K entries, not K^2 sympy numbers."""


def integer_rows(matrix: sympy.MatrixBase) -> tuple[int, tuple[tuple[tuple[int, int], ...], ...]] | None:
    """(L, rows) with the matrix = rows / L, when every entry is a rational number (else None): L the least common
    denominator of the entries, rows[k] the nonzero entries of row k as (column, L M[k, j]) in column order, Python
    ints. Exact arithmetic at machine speed where sympy numbers entry by entry take minutes (a K = 1,000 W: about a
    second). Cached for large immutable matrices (W is read in several places); small ones (a source's mean) are
    converted each time, so that they never push W out of the cache."""
    cached = isinstance(matrix, IMMUTABLE) and len(matrix) > 64
    return _integer_rows(matrix) if cached else _integer_rows.__wrapped__(matrix)


@functools.lru_cache(maxsize=16)
def _integer_rows(matrix: sympy.MatrixBase):
    dm = matrix.to_DM()
    if not (dm.domain.is_ZZ or dm.domain.is_QQ):
        return None
    nonzero = dm.convert_to(sympy.QQ).to_dod()
    scale = math.lcm(*{int(w.denominator) for row in nonzero.values() for w in row.values()})
    rows = tuple(
        tuple((j, int(w.numerator) * (scale // int(w.denominator))) for j, w in sorted(nonzero.get(k, {}).items()))
        for k in range(matrix.rows)
    )
    return scale, rows


def floats(value) -> np.ndarray:
    """A sympy matrix or number of exact values as float64, each entry rounded once from its exact value."""
    if not isinstance(value, sympy.MatrixBase):
        return np.float64(float(value))
    exact_rationals = integer_rows(value)
    if exact_rationals is None:
        return np.array([[float(x) for x in row] for row in value.tolist()], dtype=np.float64).reshape(value.shape)
    scale, rows = exact_rationals
    array = np.zeros(value.shape)
    for k, row in enumerate(rows):
        for j, w in row:
            array[k, j] = w / scale  # a quotient of Python ints: correctly rounded
    return array


def matrix(value, parameter: str) -> sympy.ImmutableMatrix:
    if isinstance(value, sympy.MatrixBase) and integer_rows(value) is not None:
        return value if isinstance(value, IMMUTABLE) else value.as_immutable()  # exact rationals already
    if isinstance(value, sympy.MatrixBase):
        rows = value.tolist()
    else:
        array = np.asarray(value, dtype=object)
        if array.ndim == 1:
            array = array.reshape(-1, 1)
        if array.ndim != 2:
            raise SpecError(parameter, f"expected a vector or a matrix, got an array of shape {array.shape}")
        rows = array.tolist()
    return sympy.ImmutableMatrix([[exact(x, parameter) for x in row] for row in rows])


def _fraction(value, parameter: str):
    """A number in [0, 1], or a sympy expression (assumed to lie in [0, 1])."""
    value = exact(value, parameter)
    if value.is_number and not (0 <= value <= 1):
        raise SpecError(parameter, f"must lie in [0, 1], got {show(value)}")
    return value


def equal_shares(K: int) -> sympy.ImmutableMatrix:
    """J / K, the paper's default W, built over the rationals (sympy's entry-by-entry constructor takes ~40 s at
    K = 1,000, this ~3 s)."""
    share = sympy.QQ(1, K)
    return DomainMatrix([[share] * K for _ in range(K)], (K, K), sympy.QQ).to_Matrix().as_immutable()


def is_numeric(matrix: sympy.MatrixBase) -> bool:
    return all(x.is_number for x in matrix)


class PerModel(tuple):
    """A value given per model, one entry per model k = 0..K-1 (a tuple marked as such, never taken for a schedule
    over the rounds): fractions for alpha_t or beta_t, names for the estimator."""

    def __repr__(self) -> str:
        return f"PerModel({tuple(self)!r})"

    def __str__(self) -> str:
        """As reports and titles write it: ``(50, 100) per model``."""
        return f"({', '.join(map(str, self))}) per model"


def _schedule(value, parameter: str):
    """A constant fraction; a schedule, one fraction per update round 1..T (a tuple); or per model,
    ``{"per_model": [v_0, ..., v_{K-1}]}`` with each v_k a fraction or a schedule (schedules of one length): stored
    as a :class:`PerModel`, or a schedule of them."""
    if isinstance(value, PerModel):
        return PerModel(_fraction(v, f"{parameter}.per_model[{k}]") for k, v in enumerate(value))
    if isinstance(value, Mapping):
        return _per_model(value, parameter)
    if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
        if len(value) == 0:
            raise SpecError(parameter, "a schedule needs at least one round")
        if any(isinstance(v, PerModel) for v in value):
            return tuple(_schedule(PerModel(v), f"{parameter}[{i}]") for i, v in enumerate(value))
        return tuple(_fraction(v, f"{parameter}[{i}]") for i, v in enumerate(value))
    return _fraction(value, parameter)


def _per_model_entries(value, parameter: str, form: str, K: int | None = None, counted: str = "values") -> list:
    """The entries of ``{"per_model": [v_0, ...]}`` (or of a stored :class:`PerModel`), K of them where K is given;
    a SpecError naming ``parameter`` for any other form (``form``: how the message spells the right one; ``counted``:
    what it calls the entries when their number is wrong)."""
    entries = value if isinstance(value, PerModel) else value.get("per_model") if set(value) == {"per_model"} else None
    if not isinstance(entries, (Sequence, np.ndarray)) or isinstance(entries, str) or len(entries) == 0:
        raise SpecError(parameter, f"{form}, got {value!r}")
    if K is not None and len(entries) != K:
        raise SpecError(f"{parameter}.per_model", f"has {len(entries)} {counted}, one per model is {K}")
    return list(entries)


def _per_model(value: Mapping, parameter: str):
    """``{"per_model": [v_0, ...]}`` (:func:`_schedule`) as a PerModel or a schedule (a tuple) of them."""
    entries = _per_model_entries(value, parameter, 'per-model values are {"per_model": [one value per model]}')
    values = []
    for k, entry in enumerate(entries):
        if isinstance(entry, Mapping):
            raise SpecError(f"{parameter}.per_model[{k}]", "expected a fraction or a schedule, got a table")
        values.append(_schedule(entry, f"{parameter}.per_model[{k}]"))
    lengths = sorted({len(v) for v in values if isinstance(v, tuple)})
    if len(lengths) > 1:
        raise SpecError(f"{parameter}.per_model", f"the models' schedules have different lengths {lengths}")
    if not lengths:
        return PerModel(values)
    return tuple(PerModel(v[t] if isinstance(v, tuple) else v for v in values) for t in range(lengths[0]))


def _training_size(value, K: int):
    """n: a whole number >= 1, None (the population limit), or one per model, ``{"per_model": [n_0, ..., n_{K-1}]}``
    (a :class:`PerModel` of whole numbers)."""
    if isinstance(value, Mapping | PerModel):
        entries = _per_model_entries(value, "n", 'per-model sizes are {"per_model": [one n per model]}', K)
        return PerModel(_whole_size(entry, f"n.per_model[{k}]") for k, entry in enumerate(entries))
    return None if value is None else _whole_size(value, "n")


def _whole_size(value, parameter: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SpecError(parameter, f"must be an integer or None (population limit), got {value!r}")
    if value < 1:
        raise SpecError(parameter, f"must be >= 1, got {value}")
    return int(value)


def _estimator(value, known: tuple[str, ...], K: int):
    """One of the family's estimators (``known``; None: its first), or one per model, ``{"per_model": [e_0, ...,
    e_{K-1}]}``, stored as a :class:`PerModel` of their names."""
    if value is None:
        return known[0]
    if isinstance(value, Mapping | PerModel):
        entries = _per_model_entries(
            value, "estimator", 'per-model estimators are {"per_model": [one name per model]}', K, "names"
        )
        for k, entry in enumerate(entries):
            if entry not in known:
                raise SpecError(f"estimator.per_model[{k}]", f"must be one of {known}, got {entry!r}")
        return PerModel(entries)
    if not isinstance(value, str) or value not in known:
        raise SpecError("estimator", f'must be one of {known} or {{"per_model": [...]}}, got {value!r}')
    return value


def round_values(value) -> tuple:
    """The values of alpha or beta in its rounds (one for a constant)."""
    return value if isinstance(value, tuple) and not isinstance(value, PerModel) else (value,)


def _described(value):
    """alpha or beta as the plain data it was given as (:func:`plain`; per model: ``{"per_model": [...]}``, one
    entry per model, a schedule where it has rounds)."""
    if isinstance(value, PerModel):
        return {"per_model": plain(tuple(value))}
    if isinstance(value, tuple) and any(isinstance(v, PerModel) for v in value):
        K = len(next(v for v in value if isinstance(v, PerModel)))
        per_round = [v if isinstance(v, PerModel) else (v,) * K for v in value]
        return {"per_model": [plain(tuple(row[k] for row in per_round)) for k in range(K)]}
    return plain(value)


def _check_stochastic(mixing: sympy.ImmutableMatrix) -> None:
    """SpecError naming ``mixing`` unless W >= 0 with rows summing to one (entries that are symbols are assumed
    to be fine); a rational W is checked in integers (:func:`integer_rows`)."""
    exact_rationals = integer_rows(mixing)
    if exact_rationals is not None:
        scale, nonzero = exact_rationals
        rows = [{j: sympy.Rational(w, scale) for j, w in row if w < 0} for row in nonzero]
        sums = [sympy.Rational(sum(w for _, w in row), scale) for row in nonzero]
        empty = [not row for row in nonzero]
    else:
        rows = [dict(enumerate(mixing.row(i))) for i in range(mixing.rows)]
        sums = [sum(row.values(), sympy.Integer(0)) if is_numeric(row.values()) else None for row in rows]
        empty = [all(w.is_zero for w in row.values()) for row in rows]
    for i, row in enumerate(rows):
        for j, w in row.items():
            if w.is_number and w < 0:
                raise SpecError("mixing", f"entries must be >= 0, got {show(w)} at [{i}, {j}]")
    for i in range(mixing.rows):
        if empty[i]:
            raise SpecError(
                "mixing", f"row {i} is all zeros: model {i} trains on no model's outputs (W[{i}, {i}] = 1: on its own)"
            )
        if sums[i] is not None and not sums_to_one([sums[i]]):
            raise SpecError("mixing", f"must be row-stochastic, row {i} sums to {show(sums[i])} ({EXACT_HINT})")


class _Constructors(type):
    """``Ecosystem.<constructor>(...)`` for every registered family (``Ecosystem.gaussian``,
    ``Ecosystem.categorical``, ``Ecosystem.linear``...): each family's ``ecosystem`` hook, looked up in
    :mod:`interplay.theory.registry` by its ``constructor`` name, so a new family needs no edit here."""

    def __getattr__(cls, name):
        if not name.startswith("_") and "__dataclass_fields__" in vars(cls):  # not while the class is being made
            from interplay.theory.registry import by_constructor

            family = by_constructor(name)
            if family is not None:
                return family.ecosystem
        raise AttributeError(f"type object {cls.__name__!r} has no attribute {name!r}")

    def __dir__(cls):
        from interplay.theory.registry import families

        return sorted(set(super().__dir__()) | {family.constructor for family in families()})


@dataclass(frozen=True)
class Ecosystem(metaclass=_Constructors):
    """K models retraining on real data and on each other's outputs.

    Parameters
    ----------
    family
        the distribution family the models fit (e.g. :class:`theory.gaussian.maps.Gaussian`).
    public
        the public real source shared by every model (D*), of the family's source type.
    private
        one private real source per model (D~_k); K = len(private).
    alpha
        synthetic fraction of each update, in [0, 1]; a constant or a schedule (alpha_1, ..., alpha_T).
    beta
        private share of the real part, in [0, 1]; a constant or a schedule (beta_1, ..., beta_T), whose
        first entry also sets the initial fit.
    mixing
        row-stochastic K x K matrix W; model k takes share W[k, j] of its synthetic data from model j.
        ``None`` is the paper's equal split W = J / K. It may be given sparse (a scipy.sparse matrix, an edge
        list ``{(k, j): w}`` or ``{"edges": [[k, j, w], ...]}``) or by a named generator,
        ``{"graph": "ring", ...}`` (:mod:`theory.graphs`); it is stored as the exact matrix.
    n
        training-set size per model per update, or ``None`` for the population (infinite-sample) limit; or one per
        model, ``{"per_model": [n_0, ..., n_{K-1}]}`` (:attr:`training_sizes`).
    estimator
        one of the family's estimators (default its first), e.g. Gaussian ``"mle"`` or ``"unbiased"``, or one per
        model, ``{"per_model": ["mle", "unbiased"]}`` (:attr:`model_estimators`).
    regime
        real data ``"reuse"`` (drawn once, reused every round, as in the paper's theory), ``"fresh"``
        (new real samples every round) or ``"accumulate"`` (every round's data kept, refit on the union); or
        ``"rolling"`` (categorical only: each model keeps a corpus of n tokens, round 0's its real training set, and
        each update keeps a random round((1 - alpha_t) n) of them, without replacement, and adds alpha_t n tokens of
        the models' outputs; no real data after round 0: :mod:`theory.categorical.maps`).
    composition
        how a model's synthetic samples are drawn: ``"fixed"`` counts per model j (W[k, j] of the synthetic part,
        apportioned: :mod:`theory.rounds`) or ``"mixture"``, each synthetic sample from model j with probability
        W[k, j] (a sample of the mixture sum_j W[k, j] f_j; the convention of Bertrand et al. 2024 and Kanabar &
        Gastpar 2026), so the counts per model are random and any number of models fits in a small sample.
    pool
        where model j's outputs come from for the models that scrape them (:mod:`theory.pools`): ``"own"``, each
        model draws its own samples, ``"shared"``, one sample of model j per round of which each model takes its
        first N_kj (the paper's public synthetic data D_t), or ``"split"``, the pooled outputs of all models (model j
        generates sum_k N_kj) partitioned at random into one slice per model, without replacement (a shared data
        budget; its mean map mixes by the pool's shares, not by W); default: the family's first (``"shared"`` for
        the linear surrogate, ``"own"`` for the others).
    curation
        reward-based filtering of the models' outputs before anyone trains on them (:mod:`theory.curation`; Ferbach
        et al. 2024): ``{"best_of": k, "reward": [r_1, ..., r_m]}``, each synthetic sample of a model the winner of
        a Bradley-Terry choice among k of its samples (kept with probability proportional to exp(r)), or
        ``{"per_model": [c_0, ..., c_{K-1}]}``, model j's outputs curated by c_j (``None``: not curated); default
        ``None``. Categorical: fixed composition, own pool, not rolling. Gaussian (d = 1): ``{"threshold": c}``,
        only outputs x > c kept (each a draw of N(m_j, s_j^2) truncated to (c, inf)); fixed composition, own pool,
        reuse or fresh, MLE or unbiased. No finite-n moment recursion.

    Example
    -------
    >>> eco = Ecosystem.gaussian(means=[[0], [2]], public_mean=[1], alpha=0.5, beta=0.5, n=100)
    >>> eco.K, eco.dim, eco.alpha_at(1)
    (2, 1, 1/2)
    """

    family: Family
    public: object
    private: tuple
    alpha: object = sympy.Rational(1, 2)
    beta: object = sympy.Rational(1, 2)
    mixing: object = None
    n: int | PerModel | None = None
    estimator: str | PerModel | None = None
    regime: Regime = "reuse"
    composition: str = "fixed"
    pool: str | None = None
    curation: object = None
    schedule_length: int | None = field(init=False, default=None)

    def __post_init__(self):
        family = self.family
        if not all(hasattr(family, a) for a in ("name", "source_type", "estimators", "check")):
            raise SpecError("family", f"expected a distribution family (e.g. Gaussian(dim=1)), got {family!r}")
        if not isinstance(self.public, family.source_type):
            raise SpecError("public", f"expected a {family.source_type.__name__}")
        private = tuple(self.private) if isinstance(self.private, Sequence) else None
        if not private:
            raise SpecError("private", "needs one source per model, K >= 1 (got none)")
        for k, source in enumerate(private):
            if not isinstance(source, family.source_type):
                raise SpecError(f"private[{k}]", f"expected a {family.source_type.__name__}")
        object.__setattr__(self, "private", private)

        alpha = _schedule(self.alpha, "alpha")
        beta = _schedule(self.beta, "beta")
        lengths = [len(s) for s in (alpha, beta) if isinstance(s, tuple) and not isinstance(s, PerModel)]
        if len(set(lengths)) > 1:
            raise SpecError("beta", f"schedule has {len(beta)} rounds but alpha's has {len(alpha)}")
        object.__setattr__(self, "alpha", alpha)
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "schedule_length", lengths[0] if lengths else None)

        K = len(private)
        for name, value in (("alpha", alpha), ("beta", beta)):
            for v in round_values(value):
                if isinstance(v, PerModel) and len(v) != K:
                    raise SpecError(f"{name}.per_model", f"has {len(v)} values, one per model is {K}")
        mixing = equal_shares(K) if self.mixing is None else None
        if mixing is None:
            from interplay.theory.graphs import mixing_matrix  # sparse forms and generators; it imports this module

            mixing = mixing_matrix(self.mixing, K)
            if mixing.shape != (K, K):
                raise SpecError("mixing", f"must be {K} x {K} for K = {K} models, got shape {mixing.shape}")
            _check_stochastic(mixing)
        object.__setattr__(self, "mixing", mixing)

        object.__setattr__(self, "n", _training_size(self.n, K))
        object.__setattr__(self, "estimator", _estimator(self.estimator, family.estimators, K))
        if self.regime not in REGIMES:
            raise SpecError("regime", f"must be one of {REGIMES}, got {self.regime!r}")
        regimes = getattr(family, "regimes", CLASSIC_REGIMES)
        if self.regime not in regimes:
            raise SpecError("regime", f"the {family.name} family has {regimes} only, got {self.regime!r}")
        self._check_shared_public_sample()
        if self.composition not in COMPOSITIONS:
            raise SpecError("composition", f"must be one of {COMPOSITIONS}, got {self.composition!r}")
        if self.composition not in family.compositions:
            raise SpecError(
                "composition", f"the {family.name} family has {family.compositions} only, got {self.composition!r}"
            )
        pool = family.pools[0] if self.pool is None else self.pool
        if pool not in POOLS:
            raise SpecError("pool", f"must be one of {POOLS}, got {pool!r}")
        if pool not in family.pools:
            raise SpecError("pool", f"the {family.name} family has {family.pools} only, got {pool!r}")
        if pool == "shared" and self.composition != "fixed":
            raise SpecError(
                "pool", "a shared pool takes the fixed composition (each model takes a prefix of one sample of model j)"
            )
        if pool == "split" and self.composition != "fixed":
            raise SpecError(
                "pool", "a split pool takes the fixed composition (its sizes N_kj set how much each model generates)"
            )
        object.__setattr__(self, "pool", pool)
        if self.curation is not None:
            from interplay.theory.curation import curation_option  # it imports this module

            if not getattr(family, "curated", False):
                raise SpecError(
                    "curation", f"the {family.name} family has no curated maps (categorical and Gaussian d = 1 only)"
                )
            object.__setattr__(self, "curation", curation_option(self.curation, K))
        family.check(self)

    # -- convenience -------------------------------------------------------------------------------------
    def named_sources(self) -> list[tuple[str, object]]:
        """[("public", source), ("private[0]", source), ...]: every real source with its parameter name."""
        return [("public", self.public)] + [(f"private[{k}]", s) for k, s in enumerate(self.private)]

    @property
    def K(self) -> int:
        return len(self.private)

    @property
    def dim(self) -> int:
        """The dimension of the family (Gaussian dim, categories m, ...)."""
        return self.family.dim

    def _check_shared_public_sample(self) -> None:
        """Models whose alpha, beta or n differ draw different numbers of public samples. Under ``reuse`` every model
        uses the whole public dataset, drawn once; its size is the public share of the initial fit, (1 - beta_1) n,
        so models whose beta_1 or n differ need the dataset's ``public.size``. Under ``fresh`` and ``accumulate``
        model k takes the first N_k = round((1 - alpha_t)(1 - beta_t) n_k) draws of the round's one public sample
        (nested prefixes, :mod:`theory.rounds`); shares that differ and are not numbers (symbols: no max of the
        sizes) are refused, naming ``regime``, as are nested prefixes where the family has none
        (:meth:`refuse_nested_public`)."""
        if self.regime != "reuse":
            differ = self._public_shares_differ()
            if differ is not None and not all(sympy.sympify(x).is_number for x in differ[1]):
                raise SpecError(
                    "regime",
                    f"under {self.regime} the models' public shares (1 - alpha)(1 - beta) n differ at round "
                    f"{differ[0]} ({', '.join(map(show, differ[1]))}); nested public samples need numbers "
                    '(use regime = "reuse")',
                )
            return
        sizes = isinstance(self.n, PerModel) and len(set(self.n)) > 1
        if not (self.per_model or sizes) or self.n is None:
            return
        first = self.beta_at(1)
        shares = {(1 - model_value(first, k)) * self.training_sizes[k] for k in range(self.K)}
        if len(shares) > 1 and self.public.size is None:
            differ = "n" if sizes else "beta_1"
            values = self.n if sizes else first
            raise SpecError(
                "public.size",
                f"the models' {differ} differ ({', '.join(map(show, values))}), so the public dataset's size is "
                "not (1 - beta_1) n: give it",
            )

    def _public_shares_differ(self) -> tuple[int, list] | None:
        """(t, the shares) of the first update round whose public shares (1 - alpha_t)(1 - beta_t) n_k differ
        between models, None where none does (or n = None)."""
        if self.n is None or not (self.per_model or len(set(self.training_sizes)) > 1):
            return None
        n = self.training_sizes
        for t in range(1, (self.schedule_length or 1) + 1):
            a, b = self.alpha_at(t), self.beta_at(t)
            shares = {sympy.simplify((1 - model_value(a, k)) * (1 - model_value(b, k)) * n[k]) for k in range(self.K)}
            if len(shares) > 1:
                return t, sorted(shares, key=str)
        return None

    def refuse_nested_public(self, what: str) -> None:
        """SpecError naming ``regime`` where the models take nested prefixes of a round's public sample (``fresh`` or
        ``accumulate`` with public shares that differ: :mod:`theory.rounds`) and ``what`` (a family, a path) has no
        maps for them; a family calls it from its ``check``."""
        differ = None if self.regime == "reuse" else self._public_shares_differ()
        if differ is not None:
            t, shares = differ
            raise SpecError(
                "regime",
                f"under {self.regime} the models' public shares (1 - alpha)(1 - beta) n differ at round {t} "
                f"({', '.join(map(show, shares))}): nested public samples, which {what} does not take "
                '(use regime = "reuse")',
            )

    def _each_model(self, value) -> tuple:
        """A spec value as K entries, one per model: its own for a :class:`PerModel`, else the value K times."""
        return tuple(value) if isinstance(value, PerModel) else (value,) * self.K

    @functools.cached_property
    def training_sizes(self) -> tuple[int, ...] | None:
        """Each model's training-set size n_k (the spec's n, or its per-model sizes); None in the population limit."""
        return None if self.n is None else self._each_model(self.n)

    @property
    def largest_n(self) -> int | None:
        """The largest training-set size, max_k n_k (None in the population limit): the bound of array shapes."""
        return None if self.n is None else max(self.training_sizes)

    @functools.cached_property
    def model_estimators(self) -> tuple[str, ...]:
        """The estimator of each model k = 0..K-1 (the spec's one, or its per-model names)."""
        return self._each_model(self.estimator)

    @functools.cached_property
    def per_model(self) -> bool:
        """True when alpha or beta is given per model (in some round); read once (the numerics ask it every round)."""
        return any(isinstance(v, PerModel) for value in (self.alpha, self.beta) for v in round_values(value))

    def _at(self, value, t: int, parameter: str):
        if not isinstance(value, tuple) or isinstance(value, PerModel):
            return value
        if not 1 <= max(t, 1) <= len(value):
            raise SpecError(parameter, f"schedule covers rounds 1..{len(value)}, round {t} was asked for")
        return value[max(t, 1) - 1]

    def alpha_at(self, t: int):
        """alpha_t for update round t >= 1 (the initial fit t = 0 has no synthetic data): a fraction, or a
        :class:`PerModel` of K."""
        return sympy.Integer(0) if t == 0 else self._at(self.alpha, t, "alpha")

    def beta_at(self, t: int):
        """beta_t (a fraction, or a :class:`PerModel` of K); the initial fit (t = 0) uses beta_1."""
        return self._at(self.beta, t, "beta")

    @property
    def is_constant(self) -> bool:
        """True when alpha and beta are the same in every round (so the update map is time-homogeneous)."""
        return self.schedule_length is None

    def check_rounds(self, rounds: int) -> None:
        if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 0:
            raise SpecError("rounds", f"must be an integer >= 0, got {rounds!r}")
        if self.schedule_length is not None and rounds > self.schedule_length:
            raise SpecError(
                "rounds", f"{rounds} rounds asked for but the alpha/beta schedule covers {self.schedule_length}"
            )

    @property
    def symbols(self) -> set[sympy.Symbol]:
        """The free symbols of the spec (empty when every value is a number)."""
        values = [] if integer_rows(self.mixing) is not None else [self.mixing]
        values += [m for s in (self.public, *self.private) for m in s.values()]
        values += list(self.family.values()) if hasattr(self.family, "values") else []
        values += [sympy.Matrix(list(round_values(v))) for v in (self.alpha, self.beta)]
        return set().union(*(v.free_symbols for v in values))

    @property
    def is_numeric(self) -> bool:
        return not self.symbols

    def with_options(self, **changes) -> Ecosystem:
        """A copy with some fields replaced (validated again)."""
        fields = {
            name: getattr(self, name)
            for name in (
                "family",
                "public",
                "private",
                "alpha",
                "beta",
                "mixing",
                "n",
                "estimator",
                "regime",
                "composition",
                "pool",
                "curation",
            )
        }
        fields.update(changes)
        return Ecosystem(**fields)

    def describe(self) -> dict:
        """The spec as plain JSON-friendly data (numbers as floats, symbols as strings)."""
        return {
            "family": self.family.describe(),
            "K": self.K,
            "public": self.public.describe(),
            "private": [s.describe() for s in self.private],
            "alpha": _described(self.alpha),
            "beta": _described(self.beta),
            "mixing": _described_mixing(self.mixing),
            "n": {"per_model": list(self.n)} if isinstance(self.n, PerModel) else self.n,
            "estimator": {"per_model": list(self.estimator)}
            if isinstance(self.estimator, PerModel)
            else self.estimator,
            "regime": self.regime,
            "composition": self.composition,
            "pool": self.pool,
        } | self._described_curation()

    def _described_curation(self) -> dict:
        """``{"curation": ...}`` where the outputs are curated (:mod:`theory.curation`), else nothing (so the
        descriptions of uncurated ecosystems are unchanged)."""
        if self.curation is None:
            return {}
        from interplay.theory.curation import described

        return {"curation": described(self.curation)}


def model_value(value, k: int):
    """Model k's value of an alpha_t or beta_t that may be per model (a PerModel, or a tuple of its K values)."""
    return value[k] if isinstance(value, tuple) else value


def _described_mixing(mixing: sympy.MatrixBase):
    """W as plain data: rows when stored dense, the edges ``{"edges": [[k, j, W[k, j]], ...]}`` (a form the spec
    takes) when stored sparse, so a K = 10,000 ring is described by its 2 K entries."""
    if isinstance(mixing, sympy.ImmutableSparseMatrix):
        return {"edges": [[k, j, plain(w)] for (k, j), w in sorted(mixing.todok().items())]}
    return plain(mixing)


def plain(x):
    """JSON-friendly: sympy numbers as floats, symbols as strings, matrices and tuples as lists."""
    if isinstance(x, sympy.MatrixBase):
        return [[plain(v) for v in row] for row in x.tolist()]
    if isinstance(x, tuple):
        return [plain(v) for v in x]
    x = sympy.sympify(x)
    return float(x) if x.is_number else str(x)
