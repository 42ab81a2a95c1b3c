"""What each model trains on in one round: the weight and the sample size of every source.

For model k at update round t >= 1 (the paper's weights; alpha_t = 0 at the initial fit t = 0):

    w_private[k] = (1 - alpha_t) beta_t,   w_public[k] = (1 - alpha_t)(1 - beta_t),
    w_synthetic[k, j] = alpha_t W[k, j].

Sample sizes: a source of weight w > 0 in a training set of n samples contributes N = max(1, round(w n)) samples
(a half rounds up), so when every w n is an integer the weighted fit is the plain fit of the pooled n samples. A
source of weight exactly 0 (the public source when beta_t = 1, the private one when beta_t = 0, model j's outputs
for model k when W[k, j] = 0, every synthetic source at the initial fit) has N = 0: it is not sampled, and every
recursion divides by its size through ``ops.per_sample`` (:mod:`theory.ops`), so it contributes nothing.
:func:`sample_sizes` computes them once, in exact rational arithmetic; `numerics` receives them as data
(exact integers held in float64 arrays), so theory and every numerical path use the same numbers. Under the
``reuse`` regime each real dataset is drawn once, with its ``size`` (default: its share of the initial fit,
beta_1 n private and (1 - beta_1) n public), and enters every round whole, with its weight; a dataset of no
samples (beta_1 = 1 for the public one, beta_1 = 0 for the private ones) that a later beta_t gives a positive
weight is refused (:class:`theory.spec.SpecError` naming ``beta``). The public sample of a round is shared by all
models.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import NamedTuple

import sympy

from interplay.theory.ops import SYMPY
from interplay.theory.spec import Ecosystem, SpecError, exact, show


class RoundSizes(NamedTuple):
    """Sample sizes of model k's sources in one round: exact integers (sympy.oo in the population limit)."""

    n_private: object  # K x 1
    n_public: object  # scalar: the public sample is shared
    n_synthetic: object  # K x K


class RoundPlan(NamedTuple):
    """Weights (summing to one per model) and sample sizes of model k's sources in one round."""

    w_private: object  # K x 1
    w_public: object  # K x 1
    w_synthetic: object  # K x K
    n_private: object  # K x 1
    n_public: object  # scalar: the public sample is shared
    n_synthetic: object  # K x K


FROM_SPEC = "from the spec"


def sample_size(weight, n):
    """max(1, round(w n)) with a half rounding up for w > 0, and 0 for w = 0 (a source of weight 0 is not sampled),
    in exact arithmetic (an int for rational w and n); sympy.oo when n is None (the population limit); w n itself
    when w or n is a symbol."""
    if n is None:
        return sympy.oo
    if weight == 0:
        return 0
    if isinstance(weight, Fraction | int) and isinstance(n, Fraction | int):  # floor(w n + 1/2) in integers
        top, bottom = weight.numerator * n.numerator, weight.denominator * n.denominator
        return max(1, (2 * top + bottom) // (2 * bottom))
    size = sympy.sympify(weight * n)
    if not size.is_number:
        return size
    return max(1, int(sympy.floor(size + sympy.Rational(1, 2))))


@functools.lru_cache(maxsize=4096)
def _number(value, parameter: str):
    """The exact value (:func:`theory.spec.exact`) as a Fraction when rational (fast exact arithmetic; cached: a
    sweep's points share their axes' values)."""
    value = exact(value, parameter)
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else value


def sample_sizes(
    eco: Ecosystem, alpha, beta, *, initial: bool, n=FROM_SPEC, initial_beta=FROM_SPEC, population: bool = False
) -> RoundSizes:
    """The sample sizes of one round for alpha_t, beta_t: the one computation of them (see the module doc).

    Returns plain Python: n_private as K rows [N], n_public, n_synthetic as K rows of K: ints for numbers
    (sympy.oo in the population limit, expressions w n for symbols). Floats are taken at their exact value
    (:func:`theory.spec.exact`), so a sweep's grid value 0.7 gives the sizes of the spec's alpha = 0.7.
    ``initial`` is the t = 0 fit (no synthetic data); ``population`` makes every sample infinite. ``n`` and
    ``initial_beta`` (beta_1, which sizes the reused real datasets) default to the spec's.
    """
    K = eco.K
    if population or eco.n is None:
        return RoundSizes([[sympy.oo]] * K, sympy.oo, [[sympy.oo] * K] * K)
    n = _number(eco.n if n is FROM_SPEC else n, "n")
    alpha = 0 if initial else _number(alpha, "alpha")
    beta = _number(beta, "beta")
    n_synthetic = _synthetic_sizes(eco.mixing, alpha, n)
    if eco.regime == "reuse":
        beta_1 = _number(eco.beta_at(1) if initial_beta is FROM_SPEC else initial_beta, "beta")
        n_private = [[_dataset_size(s.size, beta_1, n)] for s in eco.private]
        n_public = _dataset_size(eco.public.size, 1 - beta_1, n)
        _require_drawn(any(row[0] == 0 for row in n_private), (1 - alpha) * beta, "private", beta_1, beta)
        _require_drawn(n_public == 0, (1 - alpha) * (1 - beta), "public", beta_1, beta)
    else:
        n_private = [[sample_size((1 - alpha) * beta, n)]] * K
        n_public = sample_size((1 - alpha) * (1 - beta), n)
    return RoundSizes(n_private, n_public, n_synthetic)


@functools.lru_cache(maxsize=4096)
def _synthetic_sizes(mixing: sympy.ImmutableMatrix, alpha, n) -> tuple[tuple, ...]:
    """K rows of K: the sizes of the synthetic samples alpha W[k, j] n (cached: a sweep's points share them)."""
    return tuple(tuple(sample_size(alpha * _number(w, "mixing"), n) for w in row) for row in mixing.tolist())


def _dataset_size(size, initial_share, n):
    """A reused dataset: its own ``size``, else its share of the initial fit's n samples."""
    return int(size) if size is not None else sample_size(initial_share, n)


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
    """The plan of one round for the given alpha_t, beta_t (scalars of the ops backend).

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
        sizes = RoundSizes(ops.asarray(private), ops.scalar(public), ops.asarray(synthetic))
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


def synthetic_rates(plan: RoundPlan, ops=SYMPY) -> list[list]:
    """Q_kj = w_synthetic[k, j]^2 / N_kj (K rows of K): the factor of model j's sampling noise in model k's fit,
    0 for a source of no samples (``ops.per_sample``)."""
    K = plan.w_synthetic.shape[0]
    return [[ops.per_sample(plan.w_synthetic[k, j] ** 2, plan.n_synthetic[k, j]) for j in range(K)] for k in range(K)]


def plan_at(eco: Ecosystem, t: int, *, population: bool = False, ops=SYMPY) -> RoundPlan:
    """The plan of round t (t = 0 is the initial fit) with the spec's own alpha_t and beta_t."""
    return round_plan(eco, eco.alpha_at(t), eco.beta_at(t), initial=t == 0, population=population, ops=ops)
