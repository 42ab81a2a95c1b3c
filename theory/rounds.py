"""What each model trains on in one round: the weight and the sample size of every source.

For model k at update round t >= 1 (the paper's weights; alpha_t = 0 at the initial fit t = 0):

    w_private[k] = (1 - alpha_t) beta_t,   w_public[k] = (1 - alpha_t)(1 - beta_t),
    w_synthetic[k, j] = alpha_t W[k, j].

Sample sizes add up to n: a training set of n samples holds exactly n. The public sample is sized first,
N_public = round((1 - alpha_t)(1 - beta_t) n) (a half rounds up; at least 1 for a positive weight, and at most what
leaves one sample for every other source of positive weight, where n can); each model k then shares the remaining
n - N_public among its private source and its synthetic sources (weights (1 -
alpha_t) beta_t and alpha_t W[k, j]) by the largest-remainder (Hamilton) apportionment of :func:`apportion`: quotas
proportional to the weights, their integer parts, then one more sample to each of the largest fractional parts, ties
going to the sources met first in the order private, synthetic k, k + 1, ..., K, 1, ..., k - 1 (so that exchangeable
models keep the same sizes up to relabelling); a source of positive weight left with none takes one from the source
furthest above its quota. The one exception: an n smaller than the number of sources of positive weight gives each
of them its quota rounded half up, at least one sample (n = 1 or 2 with private, public and synthetic sources: one
each; 1,000 models on J / K sharing 75 samples: the private source keeps its 25, each synthetic source 1), so the
training set holds more than n (a source of positive weight is never dropped: that would change the weights). When
every w n is an integer these are the sizes w n, and the weighted fit is the plain fit of the pooled n samples. A
source of weight exactly 0 (the public source when beta_t = 1, the private one when beta_t = 0, model j's outputs
for model k when W[k, j] = 0, every synthetic source at the initial fit) has N = 0: it is not sampled, and every
recursion divides by its size through ``ops.per_sample`` (:mod:`theory.ops`), so it contributes nothing.
:func:`sample_sizes` computes them once, in exact arithmetic; `numerics` receives them as data (exact integers held
in float64 arrays), so theory and every numerical path use the same numbers. Under the ``reuse`` regime each real
dataset is drawn once, with its ``size`` (default: its size in the initial fit, as above), and enters every round
whole, with its weight, the synthetic samples keeping the sizes of a fresh round; a dataset of no samples (beta_1 =
1 for the public one, beta_1 = 0 for the private ones) that a later beta_t gives a positive weight is refused
(:class:`theory.spec.SpecError` naming ``beta``). Weights or an n that are symbols give the sizes w n themselves.
Where alpha, beta or n are given per model (:class:`theory.spec.PerModel`) model k's sizes are those of a round at
its own alpha_k, beta_k, n_k, its public size N_k = N_public of that round among them (``n_public`` holds one per
model). Under ``reuse`` every model takes the whole public dataset (the reused dataset's size:
:meth:`theory.spec.Ecosystem._check_shared_public_sample`). Under ``fresh`` and ``accumulate`` the round draws ONE
public sample of max_k N_k draws and model k takes its first N_k (nested prefixes, as the ``shared`` pool's synthetic
samples: :mod:`theory.pools`). Model k's prefix is an iid sample of N_k draws, so nothing changes within a model;
two models' prefix means of a per-sample statistic of covariance V share the min(N_k, N_l) draws of the smaller
prefix, and the draws are independent, so

    Cov(xbar_k, xbar_l) = (1 / (N_k N_l)) sum_{i <= N_k} sum_{i' <= N_l} Cov(x_i, x_i') = min(N_k, N_l) V / (N_k N_l)
                        = V / max(N_k, N_l),

and the public source's part of Cov(theta_k', theta_l') in a round is w_public,k w_public,l V / max(N_k, N_l)
(:func:`public_rates`), which is today's w_public,k w_public,l V / N_public when the sizes are equal (under
``reuse`` they are).

Under the ``rolling`` regime (:mod:`theory.categorical.maps`) round 0 is sized as under ``fresh`` and an update
round t has no real source: model k's corpus of n keeps M_t = round((1 - alpha_t) n) of its tokens (a half up),
held in ``n_private`` (K rows [M_t]), and its n - M_t synthetic tokens are apportioned over its models j as above
(weights alpha_t W[k, j], ties in the same order) into ``n_synthetic``; ``n_public`` is K rows [0]. M_t + sum_j
N_kj = n exactly: an alpha_t n too small to give one token to each model of positive weight is refused (naming
``n``).
An alpha_t or W of symbols gives the sizes (1 - alpha_t) n and alpha_t W[k, j] n themselves.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction
from typing import NamedTuple

import sympy

from interplay.theory.ops import SYMPY
from interplay.theory.spec import Ecosystem, PerModel, SpecError, exact, integer_rows, model_value, show


class RoundSizes(NamedTuple):
    """Sample sizes of model k's sources in one round: exact integers (sympy.oo in the population limit)."""

    n_private: object  # K x 1
    n_public: object  # K x 1: model k's prefix of the round's one public sample (module doc)
    n_synthetic: object  # K x K


class RoundPlan(NamedTuple):
    """Weights (summing to one per model) and sample sizes of model k's sources in one round."""

    w_private: object  # K x 1
    w_public: object  # K x 1
    w_synthetic: object  # K x K
    n_private: object  # K x 1
    n_public: object  # K x 1: model k's prefix of the round's one public sample (module doc)
    n_synthetic: object  # K x K


FROM_SPEC = "from the spec"


def _round_half_up(x) -> int:
    """floor(x + 1/2) of an exact non-negative number (a Fraction or a sympy number)."""
    return math.floor(x + (Fraction(1, 2) if isinstance(x, Fraction) else sympy.Rational(1, 2)))


def apportion(weights: list, total: int) -> list[int]:
    """Whole sizes N_c >= 0 with sum N_c = ``total`` for exact weights w_c >= 0 (a positive sum; listed in the
    order that breaks ties), by the largest-remainder (Hamilton) method: quotas q_c = total w_c / sum w, their
    integer parts, then one more to each of the largest fractional parts (ties: first listed). A weight of 0 gets
    0; a positive weight left with 0 gets 1, taken from the source whose N_c - q_c is largest among those with
    N_c >= 2. When ``total`` is smaller than the number of positive weights, each positive weight gets its quota
    rounded half up, at least 1 (the sum then exceeds ``total``: the module doc's one exception)."""
    positive = [c for c, w in enumerate(weights) if w > 0]
    weight_sum = sum(weights[c] for c in positive)
    quotas = [total * w / weight_sum if w > 0 else 0 for w in weights]
    if total < len(positive):
        return [max(1, _round_half_up(q)) if w > 0 else 0 for q, w in zip(quotas, weights)]
    sizes = [math.floor(q) for q in quotas]
    left = total - sum(sizes)
    for c in sorted(positive, key=lambda c: -(quotas[c] - sizes[c]))[:left]:  # a stable sort: ties by order
        sizes[c] += 1
    for c in positive:
        if sizes[c] == 0:
            donor = max((d for d in positive if sizes[d] >= 2), key=lambda d: sizes[d] - quotas[d])
            sizes[donor], sizes[c] = sizes[donor] - 1, 1
    return sizes


@functools.lru_cache(maxsize=4096)
def _number(value, parameter: str):
    """The exact value (:func:`theory.spec.exact`) as a Fraction when rational (fast exact arithmetic; cached: a
    sweep's points share their axes' values)."""
    value = exact(value, parameter)
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else value


def sample_sizes(
    eco: Ecosystem,
    alpha,
    beta,
    *,
    initial: bool,
    n=FROM_SPEC,
    initial_beta=FROM_SPEC,
    population: bool = False,
    edges: bool = False,
) -> RoundSizes:
    """The sample sizes of one round for alpha_t, beta_t: the one computation of them (see the module doc).

    Returns plain Python: n_private and n_public as K rows [N], n_synthetic as K rows of K: ints for numbers
    (sympy.oo in the population limit, expressions w n for symbols). Floats are taken at their exact value
    (:func:`theory.spec.exact`), so a sweep's grid value 0.7 gives the sizes of the spec's alpha = 0.7.
    ``initial`` is the t = 0 fit (no synthetic data); ``population`` makes every sample infinite. ``n`` and
    ``initial_beta`` (beta_1, which sizes the reused real datasets) default to the spec's. With ``edges``,
    n_synthetic holds only the sizes on W's nonzero entries: row k those of its entries W[k, j] != 0 in ascending j
    (the edges of a Monte Carlo on the trains-on graph), so that a sparse W of K = 10,000 models never builds a
    K x K table (:func:`sizes_on_edges`).
    """
    sizes = _sample_sizes(eco, alpha, beta, initial, n, initial_beta, population, edges)
    return sizes._replace(n_synthetic=sizes_on_edges(eco.mixing, sizes.n_synthetic)) if edges else sizes


def sizes_on_edges(mixing: sympy.ImmutableMatrix, n_synthetic) -> tuple[tuple, ...]:
    """K rows of the sizes on W's nonzero entries (row k: W[k, j] != 0, ascending j) from K rows of K (a row
    already on them, of their length, is kept: the two agree where a row has no zero)."""
    pattern = _nonzero_columns(mixing)
    return tuple(
        tuple(row) if len(row) == len(columns) else tuple(row[j] for j in columns)
        for row, columns in zip(n_synthetic, pattern)
    )


@functools.lru_cache(maxsize=64)
def _nonzero_columns(mixing: sympy.ImmutableMatrix) -> tuple[tuple[int, ...], ...]:
    """Row k's columns j with W[k, j] != 0, ascending."""
    return tuple(tuple(j for j, _ in row) for row in _nonzero_rows(mixing)[1])


def _sample_sizes(eco: Ecosystem, alpha, beta, initial, n, initial_beta, population, edges) -> RoundSizes:
    """:func:`sample_sizes`; a round that draws every source by the fixed composition gives n_synthetic on W's
    nonzero entries itself where ``edges`` (no K x K table), every other kind K rows of K."""
    K = eco.K
    if population or eco.n is None:
        return RoundSizes([[sympy.oo]] * K, [[sympy.oo]] * K, [[sympy.oo] * K] * K)
    n = _model_values(eco.n if n is FROM_SPEC else n, "n")
    alpha = Fraction(0) if initial else _model_values(alpha, "alpha")
    beta = _model_values(beta, "beta")
    numbers = all(_is_number(x) for x in (*_listed(n), *_listed(alpha), *_listed(beta))) and _numbers(eco.mixing)
    if eco.regime == "rolling" and not initial:
        return _rolling_sizes(eco.mixing, alpha, n) if numbers else _symbolic_rolling_sizes(eco, alpha, n)
    if not numbers:
        return _symbolic_sizes(eco, alpha, beta, n)
    fresh_sizes = _mixture_sizes if eco.composition == "mixture" else functools.partial(_fresh_sizes, edges=edges)
    n_private, n_public, n_synthetic = _model_sizes(fresh_sizes, eco.mixing, alpha, beta, n)
    if eco.regime == "reuse":
        beta_1 = _model_values(eco.beta_at(1) if initial_beta is FROM_SPEC else initial_beta, "beta")
        initial_private, initial_public, _ = _model_sizes(fresh_sizes, eco.mixing, Fraction(0), beta_1, n)
        n_private = [[_dataset_size(s.size, row[0])] for s, row in zip(eco.private, initial_private)]
        if eco.public.size is None and len({row[0] for row in initial_public}) > 1:  # a sweep's point can make
            raise SpecError(  # them differ (alpha[k], beta[k] axes); the spec itself refuses it
                "public.size", "the models' public shares of the initial fit, (1 - beta_1) n, differ: give the size"
            )
        n_public = [[_dataset_size(eco.public.size, initial_public[0][0])]] * K  # one dataset, used whole by all
        for kind, empty in (
            ("private", [row[0] == 0 for row in n_private]),
            ("public", [row[0] == 0 for row in n_public]),
        ):
            for k in _differing((alpha, beta, beta_1), K):
                a, b = model_value(alpha, k), model_value(beta, k)
                weight = (1 - a) * b if kind == "private" else (1 - a) * (1 - b)
                _require_drawn(empty[k], weight, kind, model_value(beta_1, k), b)
    return RoundSizes(n_private, n_public, n_synthetic)


def _model_values(value, parameter: str):
    """The exact value (:func:`_number`) of alpha_t, beta_t or n, a tuple of them when it is given per model."""
    return tuple(_number(v, parameter) for v in value) if isinstance(value, PerModel) else _number(value, parameter)


def _listed(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _differing(values: tuple, K: int):
    """The models whose values may differ: all K when any is per model, else model 0 (the same for all)."""
    return range(K) if any(isinstance(v, tuple) for v in values) else range(1)


def _model_sizes(fresh_sizes, mixing: sympy.ImmutableMatrix, alpha, beta, n):
    """``fresh_sizes(mixing, alpha, beta, n)`` where alpha, beta or n may be per model (tuples): model k's sizes
    are those of a round at (alpha_k, beta_k, n_k) (cached per distinct triple); the public sizes as K rows [N_k]."""
    if not any(isinstance(v, tuple) for v in (alpha, beta, n)):
        private, public, synthetic = fresh_sizes(mixing, alpha, beta, n)
        return private, [[public]] * mixing.rows, synthetic
    rounds = [
        fresh_sizes(mixing, model_value(alpha, k), model_value(beta, k), model_value(n, k)) for k in range(mixing.rows)
    ]
    private = [sizes[0][k] for k, sizes in enumerate(rounds)]
    synthetic = tuple(sizes[2][k] for k, sizes in enumerate(rounds))
    return private, [[sizes[1]] for sizes in rounds], synthetic


def _is_number(x) -> bool:
    return isinstance(x, Fraction) or bool(sympy.sympify(x).is_number)


@functools.lru_cache(maxsize=64)
def _numbers(mixing: sympy.ImmutableMatrix) -> bool:
    return integer_rows(mixing) is not None or all(w.is_number for w in mixing)


@functools.lru_cache(maxsize=64)
def _rows_in_tie_order(mixing: sympy.ImmutableMatrix) -> tuple[object, tuple[tuple[tuple[int, object], ...], ...]]:
    """(L, rows): W = rows / L, each row k its nonzero (that is, positive) entries as (j - k mod K, L W[k, j]) in
    tie order (synthetic k, k + 1, ..., k - 1). For a rational W these are integers (:func:`theory.spec.integer_rows`),
    so the rows of an exchangeable or circulant W are equal and fast to compare as cache keys; else L = 1 and the
    entries are :func:`_number` s."""
    K = mixing.rows
    scale, rows = _nonzero_rows(mixing)
    return scale, tuple(tuple(sorted(((j - k) % K, w) for j, w in row)) for k, row in enumerate(rows))


def _nonzero_rows(mixing: sympy.ImmutableMatrix):
    """(L, rows): W = rows / L, row k its nonzero entries as (j, L W[k, j]): integers for a rational W
    (:func:`theory.spec.integer_rows`), else L = 1 and :func:`_number` s."""
    return integer_rows(mixing) or (
        1,
        [[(j, _number(w, "mixing")) for j, w in enumerate(row) if w != 0] for row in mixing.tolist()],
    )


@functools.lru_cache(maxsize=4096)
def _apportioned(w_private, alpha, synthetic: tuple, total: int) -> tuple[int, ...]:
    """:func:`apportion` of (w_private, alpha w for each (offset, w) of ``synthetic``, a row of
    :func:`_rows_in_tie_order`), cached: the rows of an exchangeable or circulant W share it."""
    return tuple(apportion([w_private, *(alpha * w for _, w in synthetic)], total))


def _symbolic_sizes(eco: Ecosystem, alpha, beta, n) -> RoundSizes:
    """Sizes w n where a weight or n is a symbol (no apportionment: the expressions themselves)."""
    K = eco.K
    synthetic = [
        [sympy.sympify(model_value(alpha, k) * w * model_value(n, k)) for w in row]
        for k, row in enumerate(eco.mixing.tolist())
    ]
    private = [
        [sympy.sympify((1 - model_value(alpha, k)) * model_value(beta, k) * model_value(n, k))] for k in range(K)
    ]
    publics = {
        sympy.simplify((1 - model_value(alpha, k)) * (1 - model_value(beta, k)) * model_value(n, k)) for k in range(K)
    }
    if len(publics) > 1:
        raise SpecError("beta", "symbolic per-model alpha and beta need equal public weights (1 - alpha)(1 - beta)")
    return RoundSizes(private, [[publics.pop()]] * K, synthetic)


@functools.lru_cache(maxsize=4096)
def _fresh_sizes(mixing: sympy.ImmutableMatrix, alpha, beta, n, edges: bool = False):
    """(n_private K rows [N], n_public, n_synthetic K rows of K) of a round that draws every source, apportioned
    as the module doc says (cached: a sweep's points share them); with ``edges`` n_synthetic's rows hold only the
    sizes on W's nonzero entries, in ascending column order (:func:`sizes_on_edges`)."""
    K, n = mixing.shape[0], int(n)
    scale, rows = _rows_in_tie_order(mixing) if alpha > 0 else (1, ((),) * K)  # no synthetic source at alpha 0
    columns = _nonzero_columns(mixing) if edges else None
    w_private, w_public = (1 - alpha) * beta, (1 - alpha) * (1 - beta)
    n_public = _public_size(w_public, (w_private > 0) + max(len(row) for row in rows), n)
    n_private, n_synthetic = [], []
    for k, row in enumerate(rows):
        sizes = _apportioned(scale * w_private, alpha, row, max(n - n_public, 0))  # weights times the scale L of W
        n_private.append([sizes[0]])
        if edges:
            by_column = {(k + offset) % K: size for (offset, _), size in zip(row, sizes[1:])}
            n_synthetic.append(tuple(by_column.get(j, 0) for j in columns[k]))
            continue
        synthetic = [0] * K
        for (offset, _), size in zip(row, sizes[1:]):
            synthetic[(k + offset) % K] = size
        n_synthetic.append(tuple(synthetic))
    return n_private, n_public, tuple(n_synthetic)


def _public_size(w_public, others: int, n: int) -> int:
    """N_public = round(w_public n), a half up: at least 1 for a positive weight, at most what leaves a sample for
    each of the ``others`` sources of positive weight, where n can."""
    room = n - others if n - others >= 1 else n
    return 0 if w_public == 0 else max(1, min(_round_half_up(w_public * n), room))


@functools.lru_cache(maxsize=4096)
def _mixture_sizes(mixing: sympy.ImmutableMatrix, alpha, beta, n):
    """The sizes of a round under the ``mixture`` composition: each model's synthetic part is one source of weight
    alpha_t and N_syn samples (n - N_public apportioned between it and the private source, as in the module doc),
    each of them from model j with probability W[k, j]; ``n_synthetic[k][j] = W[k, j] N_syn`` is the expected
    number from model j (an exact rational), so Q_kj = w_kj^2 / N_kj = alpha_t^2 W[k, j] / N_syn is the part of
    model j's sampling noise in model k's fit that the fixed composition would have; the families add the
    between-model spread of the mixture (:mod:`theory.mixture`)."""
    K, n = mixing.shape[0], int(n)
    w_private, w_public = (1 - alpha) * beta, (1 - alpha) * (1 - beta)
    n_public = _public_size(w_public, bool(w_private > 0) + bool(alpha > 0), n)
    private, synthetic = apportion([w_private, alpha], max(n - n_public, 0))
    scale, rows = _nonzero_rows(mixing)
    expected = [[0] * K for _ in range(K)]
    for k, row in enumerate(rows):
        for j, w in row:
            expected[k][j] = Fraction(w * synthetic, scale) if isinstance(w, int) else w * synthetic
    return [[private]] * K, n_public, tuple(tuple(row) for row in expected)


def _rolling_sizes(mixing: sympy.ImmutableMatrix, alpha, n: int) -> RoundSizes:
    """An update round of rolling corpora (module doc): ([[M_k]] kept tokens, [[0]] public, N_kj synthetic tokens)."""
    K, n = mixing.shape[0], int(n)
    scale, rows = _rows_in_tie_order(mixing)
    kept, synthetic = [], []
    for k, row in enumerate(rows):
        a = model_value(alpha, k)
        M = _round_half_up((1 - a) * n)
        sizes = _apportioned(0, a, row, n - M)[1:] if a > 0 else (0,) * len(row)
        if sum(sizes) != n - M:
            raise SpecError(
                "n",
                f"a rolling corpus of n = {n} keeps {M} tokens at alpha = {show(a)}, too few new ones to take one "
                f"from each of the {len(row)} models model {k} trains on",
            )
        kept.append([M])
        synthetic.append([0] * K)
        for (offset, _), size in zip(row, sizes):
            synthetic[k][(k + offset) % K] = size
    return RoundSizes(kept, [[0]] * K, synthetic)


def _symbolic_rolling_sizes(eco: Ecosystem, alpha, n) -> RoundSizes:
    """Rolling sizes (1 - alpha_t) n kept and alpha_t W[k, j] n synthetic where a value is a symbol."""
    rows = eco.mixing.tolist()
    kept = [[sympy.sympify((1 - model_value(alpha, k)) * n)] for k in range(eco.K)]
    return RoundSizes(
        kept, [[0]] * eco.K, [[sympy.sympify(model_value(alpha, k) * w * n) for w in row] for k, row in enumerate(rows)]
    )


def _dataset_size(size, initial_size: int) -> int:
    """A reused dataset: its own ``size``, else its size in the initial fit."""
    return int(size) if size is not None else initial_size


def _require_drawn(empty: bool, weight, kind: str, beta_1, beta) -> None:
    """Refuse a reused dataset of no samples (``empty``: drawn once, at beta_1, with weight 0) that this round gives
    a positive ``weight``: it has nothing to contribute."""
    if empty and sympy.sympify(weight).is_nonzero:
        raise SpecError(
            "beta",
            f"under reuse the {kind} data are drawn once, at beta_1 = {show(beta_1)}, which gives them no samples, "
            f"but beta = {show(beta)} later weighs them {show(weight)}; give the {kind} source(s) a size",
        )


def round_plan(
    eco: Ecosystem, alpha, beta, *, initial: bool, population: bool = False, sizes=None, ops=SYMPY
) -> RoundPlan:
    """The plan of one round for the given alpha_t, beta_t (scalars of the ops backend, or per model: a
    :class:`theory.spec.PerModel`, a (K,) array of the numerics), w_private[k] = (1 - alpha_k) beta_k,
    w_public[k] = (1 - alpha_k)(1 - beta_k), w_synthetic[k, j] = alpha_k W[k, j].

    ``initial`` is the t = 0 fit (no synthetic data); ``population`` makes every sample infinite. ``sizes``
    (a :class:`RoundSizes` of the ops backend) are the round's sample sizes; by default they are computed here
    by :func:`sample_sizes` from the spec and the exact alpha, beta. Compiled numerics, whose alpha and beta
    are traced, pass the sizes :func:`sample_sizes` gave for them on the host.
    """
    K = eco.K
    ones = ops.asarray([[1]] * K)
    W = ops.asarray(eco.mixing)
    if sizes is None:
        private, public, synthetic = sample_sizes(eco, alpha, beta, initial=initial, population=population)
        sizes = RoundSizes(ops.asarray(private), ops.asarray(public), ops.asarray(synthetic))
    if isinstance(alpha, PerModel) or isinstance(beta, PerModel) or ops.ndim(alpha) or ops.ndim(beta):
        alpha, beta = ops.column(alpha, K), ops.column(beta, K)  # per model: weights as K x 1 columns
        if initial:
            alpha = 0 * alpha
        w_private, w_public = ops.hadamard(ones - alpha, beta), ops.hadamard(ones - alpha, ones - beta)
        return RoundPlan(w_private, w_public, ops.hadamard(alpha @ ops.asarray([[1] * K]), W), *sizes)
    alpha, beta = ops.scalar(alpha), ops.scalar(beta)
    if initial:
        alpha = 0 * alpha
    w_private = (1 - alpha) * beta * ones
    w_public = (1 - alpha) * (1 - beta) * ones
    return RoundPlan(w_private, w_public, alpha * W, *sizes)


def mixing_coefficients(eco: Ecosystem, plan: RoundPlan, ops=SYMPY):
    """The linear maps of one round on stacked per-model parameter vectors of length d = eco.dim:

    theta' = R b + G theta,  R = [diag(w_private) (x) I_d | w_public (x) I_d],  G = w_synthetic (x) I_d,

    with b = (real estimate of private_1; ...; private_K; public). Returns (R, G).
    """
    eye = ops.eye(eco.dim)
    R = ops.hstack([ops.block_diag([plan.w_private[k, 0] * eye for k in range(eco.K)]), ops.kron(plan.w_public, eye)])
    return R, ops.kron(plan.w_synthetic, eye)


def public_rates(plan: RoundPlan, ops=SYMPY):
    """K x K: P_kl = w_public[k] w_public[l] / max(N_k, N_l), the factor of the public per-sample covariance in
    Cov(theta_k', theta_l') (nested prefixes of the round's one public sample, module doc); 0 for no samples."""
    w, sizes = plan.w_public, plan.n_public
    return ops.elementwise_per_sample(w @ w.T, ops.pairwise_max(sizes))


def synthetic_rates(plan: RoundPlan, ops=SYMPY) -> list[list]:
    """Q_kj = w_synthetic[k, j]^2 / N_kj (K rows of K): the factor of model j's sampling noise in model k's fit,
    0 for a source of no samples (``ops.per_sample``)."""
    K = plan.w_synthetic.shape[0]
    return [[ops.per_sample(plan.w_synthetic[k, j] ** 2, plan.n_synthetic[k, j]) for j in range(K)] for k in range(K)]


def plan_at(eco: Ecosystem, t: int, *, population: bool = False, ops=SYMPY) -> RoundPlan:
    """The plan of round t (t = 0 is the initial fit) with the spec's own alpha_t and beta_t."""
    return round_plan(eco, eco.alpha_at(t), eco.beta_at(t), initial=t == 0, population=population, ops=ops)
