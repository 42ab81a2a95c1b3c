"""The Poisson family: models of count data, each fitted by its rate, the weighted mean of its training samples.

Model k trains on its sources s (weights w_s summing to one, sample sizes N_s from :mod:`theory.rounds`): the
private and the public real samples (rates r_s) and the synthetic samples of every model j, drawn from
Poisson(lambda_j). Its maximum-likelihood rate is the weighted mean of the samples,

    lambda_k' = w_private b_k + w_public b_0 + sum_j w_kj e_kj,     b_s = C_s / N_s,   e_kj = C_kj / N_kj,

whose counts are sufficient: a sample of N draws of Poisson(r) sums to C ~ Poisson(N r). (The MLE is unbiased,
so the family has one estimator.) Model k takes the first N_public,k draws of the round's one public sample (nested
prefixes, :mod:`theory.rounds`; one size for all under ``reuse``); each model draws its own synthetic samples.
Stack lambda = (lambda_1; ...; lambda_K), the real rates r = (r_1; ...; r_K; r_0) and their sample means b (model
k's public mean b_0k). One round is

    lambda' = R b + G lambda + eps,     R = [diag(w_private) | w_public],   G = w_synthetic = alpha W,

with E[eps | lambda] = 0 and, as a Poisson count's variance is its mean, Cov(eps | lambda) = diag(Q lambda),
Q_kj = w_kj^2 / N_kj. By the laws of total expectation and total covariance the first two moments close exactly
(the noise is linear in lambda, so its expected covariance is diag(Q E lambda)); the real means' part is
B = diag(w_private^2 r_k / N_k) + P r_0, P_kl = w_public,k w_public,l / max(N_public,k, N_public,l) (the public
prefixes' covariance r_0 / max(N_k, N_l): :func:`theory.rounds.public_rates`); with one public size N_0, B =
R Sigma_b R^T, Sigma_b = diag(r_s / N_s):

    E lambda'   = R r + G E lambda
    Cov lambda' = B + G Cov(lambda) G^T + diag(Q E lambda)
                  [+ R X^T G^T + G X R^T,   X' = Cov(lambda', b) = R Sigma_b + G X          (``reuse``)]

Under the ``mixture`` composition (:class:`theory.spec.Ecosystem`) model k's N_syn synthetic samples each come
from model j with probability W[k, j]: their count is Poisson(sum of the chosen rates), so Cov(eps_k | lambda) =
(alpha^2 / N_syn) [sum_j W[k, j] lambda_j + sum_j W[k, j] (lambda_j - lambdabar_k)^2], lambdabar = W lambda: the
fixed composition's term with the expected counts N_kj = W[k, j] N_syn plus the spread of the rates model k draws
from, whose expectation :mod:`theory.mixture` forms from E lambda and Cov lambda. The recursion still closes (the
spread is quadratic in E lambda, linear in Cov lambda), the mean recursion is unchanged, and so is the population
map (every N infinite).

Under the ``shared`` pool (:mod:`theory.pools`) the models that scrape model j take prefixes of one sample of it, so
their noises correlate: Cov(eps_k, eps_l | lambda) = sum_j w_kj w_lj lambda_j / max(N_kj, N_lj), linear in lambda
again (E of it at E lambda); the diagonal is the own pool's diag(Q lambda).

Under the ``split`` pool (:mod:`theory.pools`) model k trains on a random slice of N_k = sum_j N_kj of the pooled
outputs (model j generating M_j = sum_k N_kj): G = a p^T (a_k = alpha_t, p_j = M_j / M the pool's shares; not
alpha W) and Cov(eps_k, eps_l | lambda) = a_k a_l [delta_kl p^T lambda / N_k + (delta_kl M - N_l) / (N_l (M - 1))
S], S = sum_j p_j (lambda_j - p^T lambda)^2, whose expectation is the spread of :mod:`theory.mixture` with the one
row p: the recursion closes as under the mixture.

Under ``reuse`` b is drawn once (at the initial fit) and enters every round, so lambda stays correlated with it
(X = Cov(lambda, b)); under ``fresh`` b is new every round (X = 0). Under ``accumulate`` every round's batch (with
fresh real samples) is kept and the rate is refitted on the union of batches 0..t, each of weight 1/(t+1):

    lambda' = ((t I + G) lambda + R b + eps) / (t + 1),
    E lambda'   = (t E lambda + R r + G E lambda) / (t + 1),
    Cov lambda' = H Cov(lambda) H^T + (B + diag(Q E lambda)) / (t + 1)^2,   H = (t I + G) / (t + 1).

The initial fit (t = 0: alpha = 0, so G = 0) is lambda = R b. The population map (every N infinite) is the mean
recursion itself, lambda' = R r + G lambda (accumulate: ((t I + G) lambda + R r) / (t + 1)): the map is affine,
so E lambda follows it exactly at any n. With alpha = 1 and W = I (one model on its own outputs) E lambda stays
the initial rate (a martingale) while Var lambda' = Var lambda + E lambda / N grows without bound; the rate
is absorbed at 0 with probability one (Var grows linearly while the rate stays >= 0: collapse).

The numbers of the spec enter as :class:`PoissonValues` (the real rates and W), so the same step serves sympy
(the theory) and compiled jax with the numbers as inputs; of the ecosystem a step reads only K and the regime.
Every step is written against an ops object with the extras of :class:`PoissonSympyOps` (a diagonal matrix from a
vector, elementwise products and quotients), so no step loops over the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy

from interplay.theory.mixture import expected_spread
from interplay.theory.ops import SympyOps
from interplay.theory.pools import shared_noise, split_noise, split_plan, split_shares
from interplay.theory.rounds import RoundPlan, plan_at, public_rates
from interplay.theory.spec import Ecosystem, SpecError, exact, plain, show
from interplay.theory.start import require_nonnegative, start_array
from interplay.theory.symbolic import Layout, SymbolicMap, all_positions, plan_round, symmetric_symbols, t_symbol


class PoissonSympyOps(SympyOps):
    """Sympy ops plus the shared pool's noise and the spread the Poisson steps use (exact)."""

    @staticmethod
    def shared_noise(plan, rates):
        """K x K: the shared pool's synthetic noise for the rates' per-sample variances (:mod:`theory.pools`)."""
        return shared_noise(plan, rates)

    @staticmethod
    def spread(mixing, mean, cov):
        """rows x 1: E sum_j W[k, j] (lambda_j - lambdabar_k)^2 for each row k of ``mixing`` (W, or the split pool's
        shares p) from E lambda and Cov lambda (:func:`theory.mixture.expected_spread`)."""
        return sympy.Matrix([s[0, 0] for s in expected_spread(mixing, mean, cov, 1)])


SYMPY_POISSON = PoissonSympyOps()


@dataclass(frozen=True)
class Poisson:
    """The family of Poisson laws on the counts 0, 1, 2, ..., each model fitted by its rate (the weighted mean
    of its samples, the maximum-likelihood and unbiased estimate: one estimator, ``"mle"``)."""

    name = "poisson"
    estimators = ("mle",)
    compositions = ("fixed", "mixture")
    pools = ("own", "shared", "split")
    dim = 1

    @property
    def source_type(self):
        return PoissonSource

    def check(self, eco: Ecosystem) -> None:
        """Nothing beyond what the sources check: every rate >= 0 and any n >= 1 fits the family."""

    def values(self) -> tuple[sympy.Matrix, ...]:
        """The family's own parameters (none)."""
        return ()

    def describe(self) -> dict:
        return {"name": self.name}


@dataclass(frozen=True)
class PoissonSource:
    """A real source of counts, Poisson(rate), rate >= 0 (a number, or a sympy symbol taken to be >= 0).

    ``size`` is its dataset's sample count under ``reuse`` (drawn once, reused every round); by default it is the
    source's share of the initial fit's n samples.
    """

    rate: object
    size: int | None = None
    name: str = "source"

    def __post_init__(self):
        parameter = f"{self.name}.rate"
        rate = self.rate
        if isinstance(rate, (list, tuple, np.ndarray)):
            raise SpecError(parameter, f"must be one number (a rate), got {rate!r}")
        rate = exact(rate, parameter)
        if rate.is_number and not (rate.is_real and rate >= 0):
            raise SpecError(parameter, f"must be a number >= 0, got {show(rate)}")
        if self.size is not None and (
            isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) or self.size < 1
        ):
            raise SpecError(f"{self.name}.size", f"must be an integer >= 1 or None, got {self.size!r}")
        object.__setattr__(self, "rate", rate)

    @property
    def mean(self) -> sympy.ImmutableMatrix:
        """E of one draw, as a 1 x 1 matrix (the rate), so code written for 'a source's mean' works."""
        return sympy.ImmutableMatrix([[self.rate]])

    def values(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """The source's parameters (for the spec's free symbols)."""
        return (self.mean,)

    def describe(self) -> dict:
        return {"rate": plain(self.rate), "size": self.size}


def poisson_ecosystem(rates, public_rate, sizes=None, public_size=None, **options) -> Ecosystem:
    """A Poisson ecosystem from one rate per model (its private source) and the public rate.

    ``sizes`` are the reuse dataset sizes (one per model); ``options`` are the other
    :class:`~theory.spec.Ecosystem` fields (alpha, beta, mixing, n, regime).

    >>> eco = poisson_ecosystem([2, 6], 4, alpha=0.5, beta=0.5, n=20)
    >>> eco.K, eco.family.name
    (2, 'poisson')
    """
    rates = list(np.atleast_1d(np.asarray(rates, dtype=object)))
    sizes = [None] * len(rates) if sizes is None else list(sizes)
    if len(sizes) != len(rates):
        raise SpecError("sizes", f"expected {len(rates)} dataset sizes, one per model, got {len(sizes)}")
    public = PoissonSource(public_rate, public_size, "public")
    private = tuple(PoissonSource(r, s, f"private[{k}]") for k, (r, s) in enumerate(zip(rates, sizes)))
    return Ecosystem(Poisson(), public, private, **options)


class PoissonValues(NamedTuple):
    """The numbers of an ecosystem that its steps read, as arrays of one ops backend.

    rates:  (K+1) x 1, the real rates r = (r_1; ...; r_K; r_0): private sources, then the public one;
    mixing: K x K, W.
    """

    rates: object
    mixing: object


def spec_values(eco: Ecosystem, ops=SYMPY_POISSON, mixing=None) -> PoissonValues:
    """The spec's own numbers (exact with sympy ops; float64 inputs of the compiled functions with jax ops); W, or
    ``mixing`` given in its place (e.g. W's nonzero entries alone: no K x K array is made)."""
    rates = [[s.rate] for s in (*eco.private, eco.public)]
    return PoissonValues(ops.asarray(rates), ops.asarray(eco.mixing if mixing is None else mixing))


class Moments(NamedTuple):
    """Exact moments of the fitted rates after a round: mean K x 1, E lambda; cov K x K, Cov lambda; cross
    K x (K+1), Cov(lambda, b) with the reused real sample means b (zero unless ``reuse``)."""

    mean: object
    cov: object
    cross: object


def zero_moments(eco: Ecosystem, ops=SYMPY_POISSON) -> Moments:
    """The moments before the initial fit (it uses no synthetic data, so their values do not matter)."""
    K = eco.K
    return Moments(ops.zeros(K, 1), ops.zeros(K, K), ops.zeros(K, K + 1))


def _real_coefficients(values: PoissonValues, plan: RoundPlan, ops):
    """R = [diag(w_private) | w_public] (K x (K+1)) and Sigma_b = diag(r_s / N_s) ((K+1) x (K+1)), the public
    source's N its first model's (one size for all under ``reuse``, where Sigma_b is read)."""
    R = ops.hstack([ops.diag(plan.w_private), plan.w_public])
    sizes = ops.vstack([plan.n_private, plan.n_public[:1, :]])
    return R, ops.diag(ops.elementwise_per_sample(values.rates, sizes))


def real_noise(values: PoissonValues, plan: RoundPlan, ops=SYMPY_POISSON):
    """B = Cov(R b): diag(w_private^2 r_k / N_k) + r_0 P, P the nested public prefixes' factor
    (:func:`theory.rounds.public_rates`); R Sigma_b R^T where the public sizes are equal."""
    K = plan.w_private.shape[0]
    private = ops.elementwise_per_sample(
        ops.hadamard(ops.hadamard(plan.w_private, plan.w_private), values.rates[:K, :]), plan.n_private
    )
    return ops.diag(private) + values.rates[K, 0] * public_rates(plan, ops)


def synthetic_noise(eco: Ecosystem, values: PoissonValues, moments: Moments, plan: RoundPlan, ops=SYMPY_POISSON):
    """E Cov(eps | lambda) = diag(Q E lambda), Q_kj = w_kj^2 / N_kj: model k's draws from every model j; under the
    ``mixture`` composition plus diag((Q 1) E spread), the spread of the rates model k draws from
    (:mod:`theory.mixture`; Q 1 = alpha_t^2 / N_syn); under the ``shared`` pool the models' noises correlate:
    sum_j w_kj w_lj E lambda_j / max(N_kj, N_lj); under the ``split`` pool (``plan`` its
    :func:`theory.pools.split_plan`) :func:`theory.pools.split_noise` at E V = p^T E lambda and E S
    (:mod:`theory.pools`)."""
    G = plan.w_synthetic
    if eco.pool == "split":  # plan: the split_plan; V_j = lambda_j, so E V = p^T E lambda
        shares = split_shares(plan, ops)
        return split_noise(plan, shares @ moments.mean, ops.spread(shares, moments.mean, moments.cov), ops)
    if eco.pool == "shared":  # the per-sample variance of Poisson(lambda_j) is lambda_j, E of it E lambda_j
        return ops.shared_noise(plan, moments.mean)
    Q = ops.elementwise_per_sample(ops.hadamard(G, G), plan.n_synthetic)
    noise = Q @ moments.mean
    if eco.composition == "mixture":
        ones = ops.asarray([[1]] * eco.K)
        noise = noise + ops.hadamard(Q @ ones, ops.spread(values.mixing, moments.mean, moments.cov))
    return ops.diag(noise)


def pooled(eco: Ecosystem, plan: RoundPlan, ops=SYMPY_POISSON):
    """The round's plan as the steps read it: under the ``split`` pool its :func:`theory.pools.split_plan` (an
    idempotent map: a plan already split is kept), else ``plan``."""
    return split_plan(plan, ops) if eco.pool == "split" else plan


def population_step(eco: Ecosystem, values: PoissonValues, rates, plan: RoundPlan, t, ops=SYMPY_POISSON):
    """The population map lambda -> R r + G lambda (accumulate: ((t I + G) lambda + R r) / (t + 1)); it is also
    the recursion of E lambda at any n. ``rates``: K x 1. Under the ``split`` pool G = a p^T
    (:func:`theory.pools.split_plan`)."""
    plan = pooled(eco, plan, ops)
    R, _ = _real_coefficients(values, plan, ops)
    batch = R @ values.rates + plan.w_synthetic @ rates
    if eco.regime == "accumulate":
        return (t * rates + batch) / (t + 1)
    return batch


def moment_step(eco: Ecosystem, values: PoissonValues, moments: Moments, plan: RoundPlan, t, ops=SYMPY_POISSON):
    """Exact moments after round t from those of round t - 1 (module docstring); t = 0 with the initial plan and
    :func:`zero_moments` is the initial fit."""
    plan = pooled(eco, plan, ops)
    R, sigma_b = _real_coefficients(values, plan, ops)
    G = plan.w_synthetic
    mean = population_step(eco, values, moments.mean, plan, t, ops)
    fresh = real_noise(values, plan, ops) + synthetic_noise(eco, values, moments, plan, ops)
    if eco.regime == "accumulate":
        H = (t * ops.eye(eco.K) + G) / (t + 1)
        return Moments(mean, H @ moments.cov @ H.T + fresh / (t + 1) ** 2, moments.cross)
    cov = fresh + G @ moments.cov @ G.T
    if eco.regime == "reuse":
        cov = cov + R @ moments.cross.T @ G.T + G @ moments.cross @ R.T
        return Moments(mean, cov, R @ sigma_b + G @ moments.cross)
    return Moments(mean, cov, moments.cross)


def initial_moments(eco: Ecosystem, values: PoissonValues, plan: RoundPlan, ops=SYMPY_POISSON) -> Moments:
    """The exact moments of the initial fit lambda = R b (``plan``: round 0's)."""
    return moment_step(eco, values, zero_moments(eco, ops), plan, 0, ops)


def start_state(eco: Ecosystem, start) -> sympy.ImmutableMatrix:
    """A given round-0 state (:mod:`theory.start`): the K fitted rates, each >= 0, as a K x 1 matrix (exact;
    SpecError naming ``start`` otherwise)."""
    rates = start_array(start, (eco.K,), f"K = {eco.K} rates, one per model")
    require_nonnegative(rates, "rates")
    return sympy.ImmutableMatrix(eco.K, 1, list(rates))


def started_moments(eco: Ecosystem, rates, ops=SYMPY_POISSON) -> Moments:
    """The moments of the deterministic state ``rates`` (K x 1): no dispersion, no correlation with the real
    samples (under ``reuse`` those are drawn at round 0, independently of a given start)."""
    zero = zero_moments(eco, ops)
    return zero._replace(mean=rates)


def initial_rates(eco: Ecosystem, values: PoissonValues, plan: RoundPlan, ops=SYMPY_POISSON):
    """The population map's start: the initial fit to infinite real samples, R r (``plan``: round 0's)."""
    return population_step(eco, values, ops.zeros(eco.K, 1), plan, 0, ops)


# -- the maps as sympy expressions ---------------------------------------------------------------------------


def rate_symbols(K: int) -> sympy.Matrix:
    return sympy.Matrix([sympy.Symbol(f"\\lambda_{{{k + 1}}}", nonnegative=True) for k in range(K)])


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The population map of round t >= 1 over the rates (lambda_1, ..., lambda_K), part ``rates`` (K x 1)."""
    rates = rate_symbols(eco.K)
    layout = Layout()
    layout.add("rates", ("rates", rates, all_positions(eco.K, 1)))
    plan = plan_at(eco, plan_round(eco, t), population=True)
    return layout.build("population", eco, {"rates": population_step(eco, spec_values(eco), rates, plan, t)})


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact finite-n recursion of round t >= 1. Its state's parts (:class:`Moments`):

    ``mean``   K x 1, E[lambda] (symbols mu_k);
    ``cross``  K x (K+1), Cov(lambda, b) with the reused real sample means b (symbols X; zero unless ``reuse``);
    ``cov``    K x K, Cov(lambda) (symbols C).

    :func:`theory.long_run` (``of="moments"``) names what they give: :mod:`theory.poisson.longrun`.
    """
    K = eco.K
    mean = sympy.Matrix([sympy.Symbol(f"\\mu_{{{k + 1}}}", real=True) for k in range(K)])
    cov, cov_positions = symmetric_symbols("C", K)
    layout = Layout()
    layout.add("mean", ("mean", mean, all_positions(K, 1)))
    if eco.regime == "reuse":
        cross = sympy.Matrix(K, K + 1, lambda i, j: sympy.Symbol(f"X_{{{i + 1},{j + 1}}}", real=True))
        layout.add("cross", ("cross", cross, all_positions(K, K + 1)))
    else:
        cross = sympy.zeros(K, K + 1)
        layout.constant("cross", cross)
    layout.add("dispersion", ("cov", cov, cov_positions))
    plan = plan_at(eco, plan_round(eco, t))
    new = moment_step(eco, spec_values(eco), Moments(mean, cov, cross), plan, t)
    return layout.build("moments", eco, new._asdict())


def initial_state(fmap: SymbolicMap, start=None) -> list:
    """The flat state of ``fmap`` at round 0, as expressions of the spec's values: after the initial fit, or at
    the given ``start`` (the K rates, :func:`start_state`)."""
    eco = fmap.ecosystem
    values = spec_values(eco)
    if fmap.name == "population":
        if start is not None:
            return fmap.pack(rates=start_state(eco, start))
        return fmap.pack(rates=initial_rates(eco, values, plan_at(eco, 0, population=True)))
    return fmap.pack(**_round_zero(eco, values, start)._asdict())


def _round_zero(eco: Ecosystem, values: PoissonValues, start) -> Moments:
    """The exact moments of round 0: the initial fit's, or those of the given ``start``."""
    if start is None:
        return initial_moments(eco, values, plan_at(eco, 0))
    return started_moments(eco, start_state(eco, start))


def moment_trajectory(eco: Ecosystem, rounds: int, start=None) -> list[Moments]:
    """Exact moments after rounds 0..rounds by the sympy step (symbols allowed), for tests and small exact work,
    from the initial fit or the given ``start`` (the K rates)."""
    eco.check_rounds(rounds)
    values = spec_values(eco)
    moments = _round_zero(eco, values, start)
    trajectory = [moments]
    for t in range(1, rounds + 1):
        moments = Moments(*(sympy.expand(x) for x in moment_step(eco, values, moments, plan_at(eco, t), t)))
        trajectory.append(moments)
    return trajectory
