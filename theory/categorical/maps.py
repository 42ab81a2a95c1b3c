"""The categorical family: models are probability vectors over m categories, fitted by (smoothed) frequencies.

Model k's batch frequency in a round is the weighted mix of its sources' empirical frequencies (weights w_s,
sizes N_s from :mod:`theory.rounds`; multinomial counts c_s ~ Mult(N_s, q_s)):

    f_k = sum_s w_s c_s / N_s,          F_k = f_k  (``reuse``, ``fresh``),  F_k = (t F_k + f_k) / (t + 1)
                                                                                        (``accumulate``)

and its fit is the additively (Lidstone) smoothed frequency with pseudo-count lambda per category on a
training set of n_t samples (n_t = n, or (t + 1) n for the union under ``accumulate``):

    p_k = (n_t F_k + lambda) / (n_t + m lambda) = s_t F_k + (1 - s_t) / m,    s_t = n_t / (n_t + m lambda).

Synthetic data of model j are multinomial draws from pi(p_j) = p_j^(1/tau) / sum_i p_ji^(1/tau) (sampling
temperature tau; tau = 1 samples p_j itself). Stack F = (F_1; ...; F_K) and the real frequencies b =
(f_private_1; ...; f_private_K; f_public). One round is f = R b + G pi(p) + eps with the Gaussian family's
coefficients R = [diag(w_private) (x) I_m | w_public (x) I_m], G = w_synthetic (x) I_m, and the multinomial
noise Cov(eps | p) = blockdiag_k(sum_j w_kj^2 / N_kj (diag(pi_j) - pi_j pi_j^T)). For tau = 1 this is affine in
p with a noise covariance linear in E[p p^T], so the first two moments close exactly:

    E f      = R q + G E p,          Sigma_b = blockdiag_s((diag(q_s) - q_s q_s^T) / N_s),
    Cov f    = R Sigma_b R^T + G Cov(p) G^T + D [+ R X^T G^T + G X R^T,  X' = R Sigma_b + G s X   (reuse)]
    D        = blockdiag_k(sum_j w_kj^2 / N_kj (diag(E p_j) - Cov(p_j) - E p_j E p_j^T)),

with E p = s E F + (1 - s)/m, Cov p = s^2 Cov F.

Under ``composition="mixture"`` (:class:`theory.spec.Ecosystem`) each of model k's N synthetic samples comes from
model j with probability W[k, j]: a token of sum_j W[k, j] Cat(pi_j) is a token of Cat(pibar_k), pibar_k = sum_j
W[k, j] pi_j, so model k's synthetic counts are one Multinomial(N, pibar_k) (independent across models), weighed
alpha_t. The mean recursion is unchanged; by diag(pibar) - pibar pibar^T = sum_j W[k, j] (diag(pi_j) - pi_j pi_j^T) +
sum_j W[k, j] (pi_j - pibar_k)(pi_j - pibar_k)^T its noise is the fixed composition's D with the expected counts
N_kj = W[k, j] N (:func:`theory.rounds.sample_sizes`, so sum_j Q_kj = alpha_t^2 / N) plus the between-model spread

    D_mix = D + blockdiag_k((sum_j Q_kj) E spread_k(p)),   (:func:`theory.mixture.mixture_noise`, from E p, Cov p)

which is zero for a row of W with one nonzero (mixture = fixed there) and in the population limit.

Under ``pool="shared"`` (:mod:`theory.pools`) model k's counts from model j are those of the first N_kj tokens of
one sample of model j, so two scrapers k, l of model j see the same first min(N_kj, N_lj) tokens:
Cov(c_kj / N_kj, c_lj / N_lj | p) = (diag(pi_j) - pi_j pi_j^T) / max(N_kj, N_lj). The noise is then a full K x K
block matrix,

    D_shared[k, l] = sum_j w_kj w_lj / max(N_kj, N_lj) (diag(E p_j) - Cov(p_j) - E p_j E p_j^T),

whose diagonal blocks are D's (:func:`theory.pools.shared_rates`); the mean recursion, the cross moments with
reused real data and the ``accumulate`` union are unchanged.

Under ``pool="split"`` (:mod:`theory.pools`) model k's synthetic counts are those of its slice of N_k = sum_j N_kj
tokens of all models' pooled outputs (given the pool, a multivariate hypergeometric draw of its category counts): one
source of weight a_k = alpha_t whose frequency has the mean sum_j p_j pi_j (G = a p^T (x) I: the mean map mixes by
the pool's shares, not by W) and, with the one-hot token's V_j = diag(pi_j) - pi_j pi_j^T, the noise
:func:`theory.pools.split_noise` at E Vbar = sum_j p_j E[diag(p_j) - p_j p_j^T] and E spread (the mixture's with the
one row p): a full K x K block matrix, as the slices of one pool are negatively correlated.

For tau != 1 the population map (every N infinite) is exact but the moment recursion does not close (E pi(p) is
not a function of the moments): :func:`moment_map` then raises; use the exact chain
(:mod:`theory.categorical.chain`) or Monte Carlo.

Under ``regime="rolling"`` (Riis 2026, "Drift and selection in LLM text ecosystems") each model keeps a corpus
of n tokens and fits it: F_k = c_k / n, the corpus frequencies. Round 0's corpus is the initial training set, sized
and drawn as the ``fresh`` initial fit (beta_1 n private tokens and the (1 - beta_1) n of the one public sample that
every model shares, as the other regimes' initial fit). At update round t the corpus keeps M = M_t tokens, a
uniformly random subset drawn without replacement, and adds N_kj = N_kj,t tokens drawn from each model j's fit f_j
(:func:`theory.rounds.sample_sizes`: M + sum_j N_kj = n); no real data enter after round 0. Given the state, the
kept counts are multivariate hypergeometric and the synthetic ones multinomial, independent of each other and
across models:

    E[H_k | c_k] = M F_k,      Cov(H_k | c_k) = M (n - M) / (n - 1) (diag F_k - F_k F_k^T),
    E[S_kj | f_j] = N_kj f_j,  Cov(S_kj | f_j) = N_kj (diag f_j - f_j f_j^T),

so with f = s F + (1 - s)/m affine in F (s = n / (n + m lambda)), A = diag_k(M / n) (x) I_m and G = (N / n) (x) I_m,
the law of total covariance closes the first two moments exactly (:func:`rolling_step`):

    E F'   = A E F + G E f,          Cov F' = L Cov(F) L^T + D_kept + D,     L = A + s G,
    D_kept = blockdiag_k(M (n - M) / ((n - 1) n^2) (diag(E F_k) - Cov(F_k) - E F_k E F_k^T)),

with D the own pool's synthetic noise at w_kj = N_kj / n (Q_kj = N_kj / n^2). For K = 1 and lambda = 0, E[F' | F] =
F: F_t is a bounded martingale on the lattice of corpora, absorbed where one symbol fills the corpus, so symbol i
fixes with probability E F_0,i (neutral drift, as in the Wright-Fisher and Moran models), and E[F_i (1 - F_i)]
shrinks by the factor 1 - M (n - M) / ((n - 1) n^2) - (n - M) / n^2 per round. There is no population map: the
corpora are the state (refused by name wherever one is asked for).

A source of no samples (N_s = 0, weight 0: :func:`theory.rounds.sample_sizes`) contributes nothing: every
quotient by N_s is :mod:`theory.ops`' ``per_sample``, 0 for it. Every step is written against an ops object
(:mod:`theory.ops`): sympy gives the theory, jax the numerics.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy

from interplay.theory.analysis import fixed_point
from interplay.theory.curation import (
    BestOf,
    check_categories,
    curated_columns,
    model_curations,
    require_curated_process,
    require_kind,
)
from interplay.theory.mixture import expected_spread, mixture_noise
from interplay.theory.ops import SYMPY
from interplay.theory.pools import shared_rates, split_noise, split_plan, split_shares
from interplay.theory.rounds import RoundPlan, mixing_coefficients, plan_at, public_rates, synthetic_rates
from interplay.theory.spec import (
    EXACT_HINT,
    Ecosystem,
    PerModel,
    SpecError,
    exact,
    is_numeric,
    matrix,
    plain,
    show,
    sums_to_one,
)
from interplay.theory.start import require_distributions, start_array
from interplay.theory.symbolic import Layout, SymbolicMap, all_positions, plan_round, symmetric_symbols, t_symbol


def _positive_number(value, parameter: str, *, allow_zero: bool):
    """A number > 0 (>= 0 with ``allow_zero``), or a sympy expression, taken to be positive (for theory)."""
    if isinstance(value, sympy.Basic) and not value.is_number:
        return value
    value = exact(value, parameter)
    if value < 0 or (value == 0 and not allow_zero):
        raise SpecError(parameter, f"must be {'>= 0' if allow_zero else '> 0'}, got {show(value)}")
    return value


@dataclass(frozen=True)
class Categorical:
    """Probability vectors over ``m`` categories, fitted by (smoothed) frequencies.

    ``temperature`` tau > 0: synthetic data are drawn from p^(1/tau) renormalised (tau < 1 sharpens, tau > 1
    flattens). ``smoothing`` lambda >= 0: the Lidstone pseudo-count added to every category (lambda = 0 is the
    maximum-likelihood fit, the empirical frequencies; lambda = 1 is Laplace's rule). Either may be a sympy
    symbol for the theory (e.g. to continue fixed points in tau); numerics needs numbers.
    """

    m: int
    temperature: object = 1
    smoothing: object = 0
    name = "categorical"
    estimators = ("mle",)
    compositions = ("fixed", "mixture")
    pools = ("own", "shared", "split")
    regimes = ("reuse", "fresh", "accumulate", "rolling")
    curated = True  # takes the spec's ``curation`` (theory.curation)

    def __post_init__(self):
        if isinstance(self.m, bool) or not isinstance(self.m, (int, np.integer)) or self.m < 2:
            raise SpecError("family.m", f"must be an integer >= 2 (number of categories), got {self.m!r}")
        object.__setattr__(
            self, "temperature", _positive_number(self.temperature, "family.temperature", allow_zero=False)
        )
        object.__setattr__(self, "smoothing", _positive_number(self.smoothing, "family.smoothing", allow_zero=True))

    @property
    def dim(self) -> int:
        return self.m

    @property
    def source_type(self):
        return CategoricalSource

    def check(self, eco: Ecosystem) -> None:
        for name, source in eco.named_sources():
            if source.m != self.m:
                raise SpecError(f"{name}.probs", f"has {source.m} categories, the family has m = {self.m}")
        if isinstance(eco.n, PerModel) and self.smoothing != 0:
            raise SpecError(
                "n", "smoothing's factor n / (n + m lambda) is one for all models: per-model n needs smoothing 0"
            )
        if eco.regime == "rolling":
            _check_rolling(eco)
        if eco.curation is not None:
            _check_curation(eco)

    def values(self) -> tuple[sympy.Matrix, ...]:
        """The family's own parameters (for the spec's free symbols)."""
        return (sympy.Matrix([self.temperature, self.smoothing]),)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "m": self.m,
            "temperature": plain(self.temperature),
            "smoothing": plain(self.smoothing),
        }


def _check_rolling(eco: Ecosystem) -> None:
    """What ``regime="rolling"`` has exact maps and Monte Carlo for (module doc): one corpus size n >= 2, the
    fixed composition, each model's own draws (pool ``own``), tau = 1."""
    if eco.n is None or isinstance(eco.n, PerModel):
        raise SpecError("n", f"rolling corpora need one finite corpus size n >= 2 for all models, got {eco.n}")
    if eco.n < 2:
        raise SpecError("n", f"a rolling corpus needs n >= 2 tokens, got {eco.n}")
    if eco.pool != "own":
        raise SpecError(
            "pool", f"rolling corpora draw each model's own synthetic tokens (pool 'own'), got {eco.pool!r}"
        )
    if eco.composition != "fixed":
        raise SpecError("composition", f"rolling corpora take the fixed composition, got {eco.composition!r}")
    if eco.family.temperature != 1:
        raise SpecError("family.temperature", f"rolling corpora need tau = 1, got {show(eco.family.temperature)}")
    private = sympy.sympify(eco.beta_at(1)) * eco.n if not isinstance(eco.beta_at(1), PerModel) else None
    if private is None or (private.is_number and not private.is_integer):
        raise SpecError("beta", "round 0's corpus holds beta_1 n private tokens: one beta_1 with beta_1 n whole")


def _check_curation(eco: Ecosystem) -> None:
    """What curated outputs (:mod:`theory.curation`) have maps and Monte Carlo for: one reward per category, each
    model's own draws of the fixed composition (a mixture's or a shared sample's k-tuples would mix models or
    scrapers), not rolling corpora."""
    require_kind(eco.curation, BestOf, "categorical")
    check_categories(eco.curation, eco.dim)
    require_curated_process(eco, ("reuse", "fresh", "accumulate"), "curated outputs")


@dataclass(frozen=True)
class CategoricalSource:
    """A real data source: a probability vector over the categories (zeros allowed: categories it never shows).

    ``size`` is its dataset's sample count under ``reuse`` (default: its share of the initial fit's n).
    """

    probs: sympy.ImmutableMatrix
    size: int | None = None
    name: str = "source"

    def __post_init__(self):
        parameter = f"{self.name}.probs"
        probs = matrix(self.probs, parameter)
        if probs.shape[1] != 1 or probs.shape[0] < 2:
            raise SpecError(parameter, f"must be a vector of at least 2 probabilities, got shape {probs.shape}")
        if is_numeric(probs):
            if any(p < 0 for p in probs):
                raise SpecError(parameter, f"entries must be >= 0, got {[float(p) for p in probs]}")
            if not sums_to_one(probs):
                raise SpecError(parameter, f"must sum to 1, sums to {show(sum(probs))} ({EXACT_HINT})")
        elif sympy.simplify(sum(probs) - 1) != 0:
            raise SpecError(parameter, f"must sum to 1, sums to {sympy.simplify(sum(probs))}")
        if self.size is not None and (
            isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) or self.size < 1
        ):
            raise SpecError(f"{self.name}.size", f"must be an integer >= 1 or None, got {self.size!r}")
        object.__setattr__(self, "probs", probs)

    @property
    def m(self) -> int:
        return self.probs.shape[0]

    @property
    def mean(self) -> sympy.ImmutableMatrix:
        """E of one-hot draws: the probability vector (so code written for 'a source's mean' works)."""
        return self.probs

    def values(self) -> tuple[sympy.ImmutableMatrix, ...]:
        return (self.probs,)

    def describe(self) -> dict:
        return {"probs": plain(self.probs), "size": self.size}


def categorical_ecosystem(
    private_probs, public_probs, sizes=None, public_size=None, temperature=1, smoothing=0, **options
) -> Ecosystem:
    """A categorical ecosystem from one probability vector per model (its private source) and the public one.

    ``sizes`` are the reuse dataset sizes; ``temperature`` and ``smoothing`` are the family's; ``options`` are
    the other :class:`~theory.spec.Ecosystem` fields (alpha, beta, mixing, n, regime).
    """
    public = CategoricalSource(public_probs, public_size, "public")
    private_probs = list(private_probs)
    sizes = [None] * len(private_probs) if sizes is None else list(sizes)
    if len(sizes) != len(private_probs):
        raise SpecError("sizes", f"expected {len(private_probs)} dataset sizes, one per model, got {len(sizes)}")
    private = tuple(CategoricalSource(p, s, f"private[{k}]") for k, (p, s) in enumerate(zip(private_probs, sizes)))
    return Ecosystem(Categorical(public.m, temperature, smoothing), public, private, **options)


class Moments(NamedTuple):
    """Exact moments of the training frequencies F after a round (stacked over the K models).

    mean:  Km x 1, E[F];  cov: Km x Km, Cov(F);  cross: Km x (K+1)m, Cov(F, b) with the reused real
    frequencies b (zero unless ``reuse``). The fit is p = s F + (1 - s)/m (see :func:`smoothing_factor`).
    """

    mean: object
    cov: object
    cross: object


def smoothing_factor(eco: Ecosystem, t, population: bool = False, ops=SYMPY):
    """s_t = n_t / (n_t + m lambda), n_t = n (or (t + 1) n under ``accumulate``); 1 without smoothing."""
    lam = eco.family.smoothing
    if population or eco.n is None or lam == 0:
        return ops.scalar(1)
    total = (t + 1) * eco.n if eco.regime == "accumulate" else ops.scalar(eco.n)
    return total / (total + ops.scalar(eco.dim * lam))


def fitted_moments(eco: Ecosystem, moments: Moments, t, population: bool = False, ops=SYMPY):
    """(E p, Cov p) of the fits after round t: p = s_t F + (1 - s_t)/m."""
    s = smoothing_factor(eco, t, population, ops)
    floor = (1 - s) / eco.dim
    return s * moments.mean + floor * ops.asarray([[1]] * (eco.K * eco.dim)), (s * s) * moments.cov


def sampling_probs(eco: Ecosystem, probs, ops=SYMPY):
    """pi(p) = p^(1/tau) / sum p^(1/tau), per model (probs stacked Km x 1); under ``curation`` the law of model j's
    kept samples, q_j(pi(p_j)) (:func:`theory.curation.curated_columns`; numerics' steps vectorise it over models)."""
    tau, K, m = eco.family.temperature, eco.K, eco.dim
    if tau != 1:
        exponent = 1 / tau if isinstance(probs, sympy.MatrixBase) else float(1 / tau)
        probs = ops.tempered(probs.reshape(K, m), exponent).reshape(K * m, 1)
    if eco.curation is None:
        return probs
    exact = isinstance(probs, sympy.MatrixBase)
    blocks = []
    for j, curation in enumerate(model_curations(eco.curation, K)):  # model j's kept samples: q_j(pi(p_j))
        block = probs[j * m : (j + 1) * m, :]
        if curation is not None:
            weights = curation.weights() if exact else list(curation.float_weights())
            block = ops.asarray(
                [[x] for x in curated_columns([block[i, 0] for i in range(m)], weights, curation.best_of)]
            )
        blocks.append(block)
    return ops.vstack(blocks)


def _multinomial_cov(probs, ops):
    """diag(p) - p p^T for one probability vector (m x 1)."""
    diagonal = ops.block_diag([probs[i : i + 1, 0:1] for i in range(probs.shape[0])])
    return diagonal - probs @ probs.T


def real_sources(eco: Ecosystem, plan: RoundPlan, ops=SYMPY):
    """E b (stacked q_s: private_1..K, public) and Sigma_b = blockdiag((diag q_s - q_s q_s^T) / N_s)."""
    sources = list(eco.private) + [eco.public]
    sizes = [plan.n_private[k, 0] for k in range(eco.K)] + [plan.n_public[0, 0]]
    qs = [ops.asarray(s.probs) for s in sources]
    return ops.vstack(qs), ops.block_diag([ops.per_sample(_multinomial_cov(q, ops), n) for q, n in zip(qs, sizes)])


def zero_moments(eco: Ecosystem, ops=SYMPY) -> Moments:
    """The moments before the initial fit (it uses no synthetic data, so their values do not matter)."""
    size = eco.K * eco.dim
    return Moments(ops.zeros(size, 1), ops.zeros(size, size), ops.zeros(size, size + eco.dim))


def require_closed_moments(eco: Ecosystem) -> None:
    if eco.curation is not None:
        raise SpecError(
            "curation",
            "the moment recursion does not close under curation: the curated law q(p) is not affine in p, so "
            "E q(p) is not a function of the moments; use the population map or Monte Carlo",
        )
    if eco.family.temperature != 1:
        raise SpecError(
            "family.temperature",
            f"the moment recursion closes only for tau = 1 (got tau = {eco.family.temperature}): E[p^(1/tau)] is "
            "not a function of the moments; use the population map, the exact chain or Monte Carlo",
        )


def synthetic_noise(eco: Ecosystem, plan: RoundPlan, mean_p, cov_p, ops=SYMPY):
    """Km x Km: E Cov(eps | p) from the fits' E p and Cov p: D (own pool), D_mix (``mixture``), D_shared
    (``shared`` pool) or the split pool's (``plan`` its :func:`theory.pools.split_plan`), as in the module doc."""
    K, m = eco.K, eco.dim

    def second_central(j):  # E[diag(p_j) - p_j p_j^T]
        rows = slice(j * m, (j + 1) * m)
        return _multinomial_cov(mean_p[rows, :], ops) - cov_p[rows, rows]

    if eco.pool == "split":  # slices of one pool: E Vbar = sum_j p_j E[diag(p_j) - p_j p_j^T], E spread with row p
        shares = split_shares(plan, ops)
        pooled = sum((shares[0, j] * second_central(j) for j in range(K)), ops.zeros(m, m))
        return split_noise(plan, pooled, expected_spread(shares, mean_p, cov_p, m, ops)[0], ops)
    if eco.pool == "shared":  # two scrapers of model j share their first min(N_kj, N_lj) tokens
        rates = shared_rates(plan, ops)
        seconds = [second_central(j) for j in range(K)]
        rows = [
            ops.hstack([sum((rates[k][l][j] * seconds[j] for j in range(K)), ops.zeros(m, m)) for l in range(K)])
            for k in range(K)
        ]
        return ops.vstack(rows)
    rates = synthetic_rates(plan, ops)
    blocks = [sum((rates[k][j] * second_central(j) for j in range(K)), ops.zeros(m, m)) for k in range(K)]
    if eco.composition == "mixture":  # one Multinomial(N, sum_j W[k, j] p_j) per model: the spread adds
        spreads = mixture_noise(plan, ops.asarray(eco.mixing), mean_p, cov_p, m, ops)
        blocks = [block + spread for block, spread in zip(blocks, spreads)]
    return ops.block_diag(blocks)


def moment_step(eco: Ecosystem, moments: Moments, plan: RoundPlan, t, ops=SYMPY) -> Moments:
    """Exact moments of F after round t (tau = 1); t = 0 with the initial plan and :func:`zero_moments` is the
    initial fit. ``moments`` are those of round t - 1."""
    require_closed_moments(eco)
    if eco.regime == "rolling" and t != 0:
        return rolling_step(eco, moments, plan, t, ops)
    K, m = eco.K, eco.dim
    plan = split_plan(plan, ops) if eco.pool == "split" else plan  # G = a p^T (x) I
    R, G = mixing_coefficients(eco, plan, ops)
    mean_q, sigma_b = real_sources(eco, plan, ops)  # the public size of model 0: one for all under reuse
    s_prev = smoothing_factor(eco, t - 1, ops=ops)
    mean_p, cov_p = fitted_moments(eco, moments, t - 1, ops=ops)
    noise = synthetic_noise(eco, plan, mean_p, cov_p, ops)
    batch_mean = R @ mean_q + G @ mean_p
    private = slice(0, K * m)  # the private sources' part of R Sigma_b R^T, then the public prefixes' (module doc)
    public = _multinomial_cov(ops.asarray(eco.public.probs), ops)
    real_cov = R[:, private] @ sigma_b[private, private] @ R[:, private].T + ops.kron(public_rates(plan, ops), public)
    if eco.regime == "accumulate":
        H = (t * ops.eye(K * m) + s_prev * G) / (t + 1)
        return Moments(
            mean=(t * moments.mean + batch_mean) / (t + 1),
            cov=H @ moments.cov @ H.T + (real_cov + noise) / (t + 1) ** 2,
            cross=moments.cross,
        )
    cov = real_cov + G @ cov_p @ G.T + noise
    cross = moments.cross
    if eco.regime == "reuse":
        cross_p = s_prev * moments.cross  # Cov(p, b)
        cov = cov + R @ cross_p.T @ G.T + G @ cross_p @ R.T
        cross = R @ sigma_b + G @ cross_p
    return Moments(batch_mean, cov, cross)


def rolling_step(eco: Ecosystem, moments: Moments, plan: RoundPlan, t, ops=SYMPY) -> Moments:
    """Exact moments of the corpus frequencies F after update round t >= 1 of rolling corpora (module doc);
    ``plan``'s n_private holds the kept counts M, its n_synthetic the N_kj (:func:`theory.rounds.sample_sizes`)."""
    K, m, n = eco.K, eco.dim, eco.n
    synthetic = plan._replace(w_synthetic=plan.n_synthetic / n)  # the own pool's D at w_kj = N_kj / n
    A = ops.block_diag([(plan.n_private[k, 0] / n) * ops.eye(m) for k in range(K)])
    G = ops.kron(synthetic.w_synthetic, ops.eye(m))
    mean_p, cov_p = fitted_moments(eco, moments, t - 1, ops=ops)
    L = A + smoothing_factor(eco, t - 1, ops=ops) * G

    def kept_noise(k):
        rows, M = slice(k * m, (k + 1) * m), plan.n_private[k, 0]
        factor = M * (n - M) / ((n - 1) * n**2)
        return factor * (_multinomial_cov(moments.mean[rows, :], ops) - moments.cov[rows, rows])

    noise = ops.block_diag([kept_noise(k) for k in range(K)]) + synthetic_noise(eco, synthetic, mean_p, cov_p, ops)
    return Moments(A @ moments.mean + G @ mean_p, L @ moments.cov @ L.T + noise, moments.cross)


def require_population_map(eco: Ecosystem) -> None:
    """Rolling corpora have no population map (module doc): refused naming the regime."""
    if eco.regime == "rolling":
        raise SpecError("regime", "rolling corpora carry their tokens as the state: no population map (n is finite)")


def population_step(eco: Ecosystem, probs, plan: RoundPlan, t, ops=SYMPY):
    """The population (infinite-sample) map p -> p' (stacked Km x 1, any tau); ``plan`` has infinite sizes."""
    plan = split_plan(plan, ops) if eco.pool == "split" else plan  # G = a p^T (x) I
    R, G = mixing_coefficients(eco, plan, ops)
    mean_q = ops.vstack([ops.asarray(s.probs) for s in list(eco.private) + [eco.public]])
    batch = R @ mean_q + G @ sampling_probs(eco, probs, ops)
    if eco.regime == "accumulate":
        return (t * probs + batch) / (t + 1)
    return batch


# -- the maps as sympy expressions ---------------------------------------------------------------------------


def probability_symbols(K: int, m: int) -> tuple[sympy.Matrix, list[tuple[int, int]]]:
    """K x m matrix of p_{ki}, free for i < m, the last column 1 - sum of the others (the simplex)."""
    free = sympy.Matrix(K, m - 1, lambda k, i: sympy.Symbol(f"p_{{{k + 1}{i + 1}}}", nonnegative=True))
    last = sympy.Matrix([1 - sum(free.row(k)) for k in range(K)])
    return sympy.Matrix.hstack(free, last), all_positions(K, m - 1)


MAX_EXPANDED_TERMS = 1000


def require_small_powers(eco: Ecosystem) -> None:
    """The sympy population map expands p^(1/tau) for the last category, p = 1 - p_1 - ... - p_{m-1}: with
    e = floor(1/tau) that is C(e + m - 1, m - 1) terms (1/tau = 100, m = 4: 176,851; 1/tau = 1e300: never ends),
    so it is built only while that count is at most ``MAX_EXPANDED_TERMS``; numerics iterates the map at any tau."""
    tau = eco.family.temperature
    if not (isinstance(tau, sympy.Basic) and tau.is_number) or tau >= 1:
        return
    terms = math.comb(int(sympy.floor(1 / tau)) + eco.dim - 1, eco.dim - 1)
    if terms > MAX_EXPANDED_TERMS:
        raise SpecError(
            "family.temperature",
            f"the symbolic population map at tau = {float(tau):.6g} would expand p^(1/tau) into more than "
            f"{MAX_EXPANDED_TERMS} terms (the bound: e.g. tau >= 1/16 for m = 4); numerics iterates it at any tau > 0",
        )


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The population map of round t >= 1 over the free coordinates p_{k1..k,m-1} of each model's simplex.

    The part ``probs`` is the K x m matrix (last column 1 - sum of the others). Exact for every tau (within
    :func:`require_small_powers`).
    """
    require_small_powers(eco)
    require_population_map(eco)
    K, m = eco.K, eco.dim
    probs, positions = probability_symbols(K, m)
    layout = Layout()
    layout.add("probs", ("probs", probs, positions))
    plan = plan_at(eco, plan_round(eco, t), population=True)
    new = population_step(eco, probs.reshape(K * m, 1), plan, t)
    return layout.build("population", eco, {"probs": new.reshape(K, m)})


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact finite-n recursion of round t >= 1 (tau = 1 only). Its state's parts (:class:`Moments`), of
    the training frequencies F (the fit is p = s F + (1 - s)/m, :func:`fitted_moments`):

    ``mean``   Km x 1, E[F] (symbols mu_{k,i});
    ``cross``  Km x (K+1)m, Cov(F, b) with the reused real frequencies b (symbols X; zero unless ``reuse``);
    ``cov``    Km x Km, Cov(F) (symbols C).

    :func:`theory.long_run` (``of="moments"``) names what they give: :mod:`theory.categorical.longrun`.
    """
    require_closed_moments(eco)
    K, m = eco.K, eco.dim
    mean = sympy.Matrix([sympy.Symbol(f"\\mu_{{{k + 1},{i + 1}}}", real=True) for k in range(K) for i in range(m)])
    cov, cov_positions = symmetric_symbols("C", K * m)
    layout = Layout()
    layout.add("mean", ("mean", mean, all_positions(K * m, 1)))
    if eco.regime == "reuse":
        cross = sympy.Matrix(K * m, (K + 1) * m, lambda i, j: sympy.Symbol(f"X_{{{i + 1},{j + 1}}}", real=True))
        layout.add("cross", ("cross", cross, all_positions(K * m, (K + 1) * m)))
    else:
        cross = sympy.zeros(K * m, (K + 1) * m)
        layout.constant("cross", cross)
    layout.add("dispersion", ("cov", cov, cov_positions))
    plan = plan_at(eco, plan_round(eco, t))
    new = moment_step(eco, Moments(mean, cov, cross), plan, t)
    return layout.build("moments", eco, new._asdict())


def start_state(eco: Ecosystem, start) -> sympy.ImmutableMatrix:
    """A given round-0 state (:mod:`theory.start`): the K x m fitted probabilities p_0, one row per model, each
    a probability vector (exact; SpecError naming ``start`` otherwise)."""
    probs = start_array(start, (eco.K, eco.dim), f"K x m = {eco.K} x {eco.dim} probabilities, one row per model")
    require_distributions(probs)
    return sympy.ImmutableMatrix(probs.tolist())


def start_frequencies(eco: Ecosystem, probs):
    """The training frequencies F_0 (stacked Km x 1) whose fit of round 0 is ``probs`` (K x m, checked by
    :func:`start_state`): F_0 = (p_0 - (1 - s_0)/m) / s_0, p_0 itself without smoothing. Under ``accumulate``
    this stands for the batch of round 0 in the union."""
    s = smoothing_factor(eco, 0)
    return (sympy.Matrix(probs).reshape(eco.K * eco.dim, 1) - sympy.ones(eco.K * eco.dim, 1) * (1 - s) / eco.dim) / s


def initial_moments(eco: Ecosystem, ops=SYMPY, start=None) -> Moments:
    """The exact moments of round 0: the initial fit, or the deterministic ``start`` (p_0, K x m)."""
    if start is not None:
        K, m = eco.K, eco.dim
        frequencies = start_frequencies(eco, start_state(eco, start))
        return Moments(frequencies, sympy.zeros(K * m, K * m), sympy.zeros(K * m, (K + 1) * m))
    return moment_step(eco, zero_moments(eco, ops), plan_at(eco, 0, ops=ops), 0, ops)


def initial_state(fmap: SymbolicMap, start=None) -> list:
    """The flat state of ``fmap`` at round 0, as expressions of the spec's values: after the initial fit, or
    at the given ``start`` (the K x m probabilities p_0, :func:`start_state`)."""
    eco = fmap.ecosystem
    K, m = eco.K, eco.dim
    if fmap.name == "population":
        if start is not None:
            return fmap.pack(probs=start_state(eco, start))
        probs = population_step(eco, sympy.zeros(K * m, 1), plan_at(eco, 0, population=True), 0)
        return fmap.pack(probs=probs.reshape(K, m))
    return fmap.pack(**initial_moments(eco, start=start)._asdict())


# -- diversity and distances from the exact moments ---------------------------------------------------------


def expected_diversity(mean_p, cov_p, k: int, m: int):
    """E[1 - sum_i p_ki^2] = 1 - sum_i (Var p_ki + (E p_ki)^2) (Gini-Simpson diversity of model k).

    ``mean_p`` (Km, indexable by one integer) and ``cov_p`` (Km x Km) are E p and Cov p, sympy or numpy.
    """
    rows = range(k * m, (k + 1) * m)
    return 1 - sum(cov_p[i, i] + mean_p[i] ** 2 for i in rows)


def expected_squared_distance(mean_p, cov_p, k: int, l: int, m: int):
    """E||p_k - p_l||^2 = ||E p_k - E p_l||^2 + tr(C_kk + C_ll - 2 C_kl)."""
    pairs = [(k * m + i, l * m + i) for i in range(m)]
    return sum((mean_p[a] - mean_p[b]) ** 2 + cov_p[a, a] + cov_p[b, b] - 2 * cov_p[a, b] for a, b in pairs)


def moment_trajectory(eco: Ecosystem, rounds: int, start=None) -> list[tuple[sympy.Matrix, sympy.Matrix]]:
    """Exact (E p, Cov p) after rounds 0..rounds, by the sympy moment step (symbols allowed; tau = 1), from the
    initial fit or the given ``start`` (p_0, K x m)."""
    eco.check_rounds(rounds)
    moments = initial_moments(eco, start=start)
    trajectory = [fitted_moments(eco, moments, 0)]
    for t in range(1, rounds + 1):
        moments = Moments(*(sympy.expand(x) for x in moment_step(eco, moments, plan_at(eco, t), t)))
        trajectory.append(fitted_moments(eco, moments, t))
    return trajectory


def limiting_probs(eco: Ecosystem) -> sympy.Matrix:
    """The population map's fixed point as a K x m matrix (tau = 1 has it in closed form for alpha < 1)."""
    fmap = population_map(eco)
    return fmap.unpack(fixed_point(fmap))["probs"]
