"""The Gaussian family: the exact moment recursion of the fitted parameters, and the population map.

Model k fits N(m_k, S_k) by weighted maximum likelihood to its sources s (weights w_s summing to one, sizes
N_s, see :mod:`theory.rounds`). With xbar_s a source's sample mean and A_s = sum_i (x_i - xbar_s)(x_i -
xbar_s)^T its scatter about that mean,

    m_k = sum_s w_s xbar_s,    U_k = sum_s w_s [A_s / N_s + (xbar_s - m_k)(xbar_s - m_k)^T],    S_k = c_k U_k,

with c_k = 1 for the MLE and c_k = 1 / (1 - nu_k), nu_k = sum_s w_s^2 / N_s, for the unbiased estimator
(reliability weights; c_k = n / (n - 1) for a pooled sample of n). U_k is the weighted scatter of the training
set about m_k (the raw second moment minus m_k m_k^T, written as a sum of positive semi-definite terms).
Synthetic samples of model j are drawn from N(m_j, S_j); each model draws its own (the ``own`` pool) or takes the
first N_kj of one sample of model j per round (the ``shared`` pool, below). Under ``accumulate`` the fit at round t
is on the union of the batches 0..t, each of weight 1/(t+1).

Stack the fitted means m = (m_1; ...; m_K) and the real sample means b = (xbar_private_1; ...; xbar_public).
One round is m' = R b + G m + eps, with R = [diag(w_private) (x) I | w_public (x) I], G = w_synthetic (x) I and
eps the synthetic sampling noise, Cov(eps) = D = blockdiag_k(sum_j w_kj^2 / N_kj E S_j) (own pool). The exact recursion
tracks (E m, Cov m, Cov(m, b), E U, nu):

    E m'       = R E b + G E m
    Cov m'     = B + G Cov(m) G^T + D  [+ R X^T G^T + G X R^T,  X' = R Sigma_b + G X   (reuse)]

with Sigma_b = blockdiag(Sigma_s / N_s) and B = Cov(R b) = blockdiag_k(w_private,k^2 Sigma_k / N_k) + P (x)
Sigma_public, P_kl = w_public,k w_public,l / max(N_public,k, N_public,l): model k takes the first N_public,k draws of
the round's one public sample (nested prefixes, :func:`theory.rounds.public_rates`; B = R Sigma_b R^T when the public
sizes are equal, as under ``reuse``). Within model k nothing changes: its public piece is a sample of N_public,k
draws. Under ``accumulate`` m' = ((t I + G) m + R b + eps) / (t + 1) instead.

E U' involves only covariances and differences of means, never raw second moments. Model k's training set is
made of *pieces* p with weights w_p (summing to one), means xbar_p and scatters about them: the real samples
(xbar_p = b_s, E A_s / N_s = (1 - 1/N_s) Sigma_s), the synthetic samples of each model j (xbar_p = m_j + eps_kj,
E[A / N | S_j] = (1 - 1/N) S_j), and under ``accumulate`` the union of the earlier batches (weight t/(t+1),
xbar_p = the previous m_k, scatter U_k; the batch's pieces are weighted 1/(t+1)). Then

    E U_k' = sum_p w_p [E scatter_p / N_p + (mu_p - mu_k')(mu_p - mu_k')^T + Cov(xbar_p - m_k')],

with mu_p = E xbar_p and mu_k' = sum_p w_p mu_p (as E[(xbar_p - m_k')(xbar_p - m_k')^T] = Cov + mean mean^T).
The pieces' sample means are xbar = A z, A a 0/1 selection, for z = (b, m, eps_k) with Cov(z) = [[Sigma_b,
X^T, 0], [X, Cov m, 0], [0, 0, blockdiag_j(E S_j / N_kj)]], so xbar_p - m_k' = L_p A z with L_p =
(e_p - w)^T (x) I and Cov(xbar_p - m_k') = L_p A Cov(z) A^T L_p^T: the coefficients are formed first, and are
exactly zero for a piece that is the whole training set (no cancellation as a fit collapses). Since
sum_p w_p = 1 this equals the raw-moment form E V_k' - Cov(m_k') - mu_k' mu_k'^T (V the weighted second
moment), which loses everything to rounding once the means are large against the spreads. The population map
over (m, S) is the same recursion with every N_s infinite.

Under ``composition="mixture"`` (:mod:`theory.mixture`) model k's synthetic part is one piece of weight alpha_t and
N = N_syn samples (the sum of the expected counts ``n_synthetic[k, j] = W[k, j] N``), each from model j with
probability W[k, j]: its mean is mbar_k + eps_k, mbar_k = sum_j W[k, j] m_j, with E[eps_k | m, S] = 0 and
Cov(eps_k | m, S) = V_k / N, V_k = sum_j W[k, j] S_j + sum_j W[k, j] (m_j - mbar_k)(m_j - mbar_k)^T the mixture's
covariance, and E[A / N | m, S] = (1 - 1/N) V_k. eps_k is uncorrelated with every function of (b, m, S), so the
mean recursion is unchanged, D's block k is (sum_j Q_kj) E V_k = sum_j Q_kj E S_j + (sum_j Q_kj) E spread_k (E V_k
= sum_j W[k, j] E S_j + :func:`theory.mixture.expected_spread`), nu_k keeps its form (sum_j Q_kj = alpha_t^2 / N),
and in E U_k' the draws from each model are replaced by the one piece: in z = (b, m, eps_k) eps_k is one block of
covariance E V_k / N, the piece's selection row is W[k, :] on the m blocks and 1 on eps_k, its mean sum_j W[k, j]
E m_j, its scatter (1 - 1/N) E V_k. With every N infinite the two compositions give the same population map.

Under ``pool="shared"`` (:mod:`theory.pools`) the models that scrape model j take prefixes of one sample of it, so
two scrapers' draws from model j have Cov(xbar_kj, xbar_lj | m, S) = S_j / max(N_kj, N_lj) and the synthetic noises
of two models correlate: D's block (k, l) is sum_j w_kj w_lj E S_j / max(N_kj, N_lj)
(:func:`theory.pools.shared_rates`), its diagonal blocks the own pool's. Nothing else changes: the mean recursion,
nu, Cov(m, b), and E U_k', since a model's own pieces come from different models j, independent under both pools,
and its scatter involves only its own training set.

Under ``pool="split"`` (:mod:`theory.pools`) model k trains on a random slice of N_k = sum_j N_kj of all models'
pooled outputs, one piece of weight a_k = alpha_t like the mixture's, with the pool's shares p in place of W[k, :]
(G = a p^T (x) I: the mean map mixes by 1 p^T, not W), noise Cov(xbar_k | m, S) = f_V Vbar + f_S spread and scatter
E[A_k / N_k | m, S] = g_V Vbar + g_S spread (:func:`theory.pools.slice_factors`; Vbar = sum_j p_j S_j, spread =
sum_j p_j (m_j - mbar)(m_j - mbar)^T, E spread by :func:`theory.mixture.expected_spread` with the one row p), the
noises of two models correlated through the spread (:func:`theory.pools.split_noise`), and nu_k = ... + a_k^2 / N_k.

Under ``curation={"threshold": c}`` (d = 1, :mod:`theory.curation`) the outputs of model j are its samples above c,
N(m_j, S_j) truncated to (c, inf): the population map takes their moments (:func:`curated_fit`) in place of
(m_j, S_j) wherever model j's outputs are a source (:func:`population_step`; reuse or fresh, so the fit enters only
as the synthetic sources); the finite-n recursion does not close under it (refused naming ``curation``).

A source of no samples (N_s = 0, weight 0: :func:`theory.rounds.sample_sizes`) is no piece: every quotient by
N_s is :func:`theory.ops` ``per_sample``, 0 for it, so its terms vanish (not 0 / 0).

The numerics run these maps in *centred coordinates* (:func:`centred`): every mean measured from the public
mean, computed exactly before any rounding, so a common shift of all means changes nothing but the origin.

Every function here is written against an ops object (:mod:`theory.ops`): sympy gives the theory, jax the
numerics, from this one definition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import sympy

from interplay.theory.curation import (
    Threshold,
    model_curations,
    require_curated_process,
    require_kind,
    require_uncurated,
    shifted,
    sympy_inverse_mills,
    truncated_moments,
)
from interplay.theory.debiasing import check_debiased
from interplay.theory.mixture import expected_spread
from interplay.theory.ops import SYMPY
from interplay.theory.pools import shared_rates, slice_factors, split_noise, split_plan, split_shares
from interplay.theory.rounds import RoundPlan, mixing_coefficients, plan_at, public_rates, synthetic_rates
from interplay.theory.spec import Ecosystem, PerModel, SpecError, is_numeric, matrix, plain
from interplay.theory.start import require_positive_semidefinite, start_array
from interplay.theory.symbolic import (
    Layout,
    SymbolicMap,
    all_positions,
    plan_round,
    stacked_symmetric_symbols,
    symmetric_symbols,
    t_symbol,
)


@dataclass(frozen=True)
class Gaussian:
    """The family of d-dimensional Gaussians N(m, S), fitted by weighted maximum likelihood.

    Estimators: ``"mle"`` (divide by n), ``"unbiased"`` (divide by n - 1; reliability weights in general) and
    ``"debiased"`` (a learner that knows the synthetic share: :mod:`theory.gaussian.debiased`).
    """

    dim: int
    name = "gaussian"
    estimators = ("mle", "unbiased", "debiased")
    compositions = ("fixed", "mixture")
    pools = ("own", "shared", "split")
    curated = True  # takes the spec's ``curation`` {"threshold": c} in d = 1 (theory.curation)

    def __post_init__(self):
        if isinstance(self.dim, bool) or not isinstance(self.dim, (int, np.integer)) or self.dim < 1:
            raise SpecError("family.dim", f"must be an integer >= 1, got {self.dim!r}")

    @property
    def source_type(self):
        return GaussianSource

    def check(self, eco: Ecosystem) -> None:
        for name, source in eco.named_sources():
            if source.dim != self.dim:
                raise SpecError(f"{name}.mean", f"has dimension {source.dim}, the family has {self.dim}")
        for k, (estimator, n) in enumerate(zip(eco.model_estimators, eco.training_sizes or ())):
            if estimator == "unbiased" and n < 2:
                parameter = f"n.per_model[{k}]" if isinstance(eco.n, PerModel) else "n"
                raise SpecError(parameter, f"the unbiased estimator needs n >= 2 samples, got n = {n}")
        if "debiased" in eco.model_estimators:
            check_debiased(eco)
        if eco.curation is not None:
            _check_curation(eco)

    def require_closed_population(self, eco: Ecosystem) -> None:
        """SpecError naming ``curation`` where the population map's fixed point has no closed form: the truncated
        moments of threshold curation hold erfc (numerics.gaussian.derive finds the point numerically)."""
        if eco.curation is not None:
            raise SpecError(
                "curation",
                "the population map under threshold curation (erfc) has no closed-form fixed point: "
                "numerics.gaussian.derive (interplay derive) finds it numerically",
            )

    def describe(self) -> dict:
        return {"name": self.name, "dim": self.dim}


def _check_curation(eco: Ecosystem) -> None:
    """What threshold curation (:mod:`theory.curation`) has maps and Monte Carlo for: d = 1; each model's own
    draws of the fixed composition; reuse or fresh (the fit then enters the map only as the synthetic sources);
    the MLE or unbiased estimator."""
    require_kind(eco.curation, Threshold, "Gaussian")
    if eco.dim != 1:
        raise SpecError("curation", f"threshold curation is for d = 1 Gaussians, got d = {eco.dim}")
    require_curated_process(eco, ("reuse", "fresh"), "curated Gaussian outputs")
    if "debiased" in eco.model_estimators:
        raise SpecError("estimator", "curated Gaussian outputs take the MLE or unbiased estimator, not debiased")


@dataclass(frozen=True)
class GaussianSource:
    """A real data source N(mean, cov).

    ``size`` is the number of samples of its dataset under the ``reuse`` regime (drawn once, reused every
    round). ``None`` (the default) means the source's share of the initial fit's n samples: beta n for a private
    source, (1 - beta) n for the public one, with round 1's beta (:func:`theory.rounds.sample_sizes`); the source
    is infinite only when the ecosystem's n is None.
    """

    mean: sympy.ImmutableMatrix
    cov: sympy.ImmutableMatrix
    size: int | None = None
    name: str = "source"

    def __post_init__(self):
        mean = matrix(self.mean, f"{self.name}.mean")
        cov = matrix(self.cov, f"{self.name}.cov")
        if mean.shape[1] != 1:
            raise SpecError(f"{self.name}.mean", f"must be a vector, got shape {mean.shape}")
        d = mean.shape[0]
        if cov.shape != (d, d):
            raise SpecError(f"{self.name}.cov", f"must be {d} x {d} to match the mean, got shape {cov.shape}")
        if cov != cov.T:
            raise SpecError(f"{self.name}.cov", "must be symmetric")
        if is_numeric(cov):
            eigenvalues = np.linalg.eigvalsh(np.asarray(cov.evalf(), dtype=float))
            if eigenvalues.min() <= 1e-12 * max(1.0, abs(eigenvalues).max()):
                raise SpecError(
                    f"{self.name}.cov", f"must be positive definite, smallest eigenvalue {eigenvalues.min():g}"
                )
        if self.size is not None and (
            isinstance(self.size, bool) or not isinstance(self.size, (int, np.integer)) or self.size < 1
        ):
            raise SpecError(f"{self.name}.size", f"must be an integer >= 1 or None, got {self.size!r}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "cov", cov)

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    def values(self) -> tuple[sympy.ImmutableMatrix, ...]:
        """The source's parameters (for the spec's free symbols)."""
        return (self.mean, self.cov)

    def describe(self) -> dict:
        return {"mean": plain(self.mean), "cov": plain(self.cov), "size": self.size}


def gaussian_ecosystem(
    means, public_mean, covs=None, public_cov=None, sizes=None, public_size=None, **options
) -> Ecosystem:
    """A Gaussian ecosystem from the private means (one row per model) and the public mean.

    Covariances default to the identity; ``sizes`` are the reuse dataset sizes; ``options`` are the other
    :class:`~theory.spec.Ecosystem` fields (alpha, beta, mixing, n, estimator, regime).
    """
    means = [np.atleast_1d(np.asarray(m, dtype=object)) for m in means]
    d = len(np.atleast_1d(public_mean))
    for k, mean in enumerate(means):
        if len(mean) != d:
            raise SpecError(f"private[{k}].mean", f"has dimension {len(mean)}, the public mean has {d}")
    covs = [np.eye(d, dtype=int)] * len(means) if covs is None else list(covs)
    sizes = [None] * len(means) if sizes is None else list(sizes)
    if len(covs) != len(means) or len(sizes) != len(means):
        raise SpecError("covs", f"expected {len(means)} covariances and sizes, one per model")
    public = GaussianSource(
        public_mean, np.eye(d, dtype=int) if public_cov is None else public_cov, public_size, "public"
    )
    private = tuple(GaussianSource(m, c, s, f"private[{k}]") for k, (m, c, s) in enumerate(zip(means, covs, sizes)))
    return Ecosystem(Gaussian(d), public, private, **options)


class Moments(NamedTuple):
    """Exact first and second moments of the fitted parameters after a round (stacked over the K models).

    mean:    Kd x 1, E[m]
    cov:     Kd x Kd, Cov(m) (across models and within)
    cross:   Kd x (K+1)d, Cov(m, b) with the reused real sample means b (zero unless ``reuse``)
    scatter: Kd x d, E[U_k] stacked, U_k the weighted scatter of model k's training data about m_k (S_k / c_k)
    nu:      K x 1, nu_k = sum_s w_s^2 / N_s of model k's current training set (deterministic)
    """

    mean: object
    cov: object
    cross: object
    scatter: object
    nu: object


class Fit(NamedTuple):
    """The fitted parameters of all K models: means stacked Kd x 1, covariances stacked Kd x d."""

    mean: object
    cov: object


def block(matrix, k: int, d: int):
    """Rows k*d .. (k+1)*d of a stacked matrix: model k's block."""
    return matrix[k * d : (k + 1) * d, :]


def centred(eco: Ecosystem) -> Ecosystem:
    """The same ecosystem with every mean measured from the public mean (computed exactly): a common shift of
    all means leaves it unchanged. Its fitted means are the original ones minus :func:`origin`."""

    def moved(source):
        return dataclasses.replace(source, mean=centred_mean(eco, source.mean))

    return eco.with_options(
        public=moved(eco.public), private=tuple(moved(s) for s in eco.private), curation=centred_curation(eco)
    )


def centred_mean(eco: Ecosystem, mean) -> sympy.ImmutableMatrix:
    """A mean (d x 1) in :func:`centred` coordinates, exactly: mean - :func:`origin`."""
    return mean - origin(eco)


def centred_curation(eco: Ecosystem):
    """The spec's curation option in :func:`centred` coordinates (thresholds lowered by the origin)."""
    return shifted(eco.curation, origin(eco)[0])


def origin(eco: Ecosystem) -> sympy.ImmutableMatrix:
    """The point :func:`centred` measures means from: the public mean (d x 1)."""
    return eco.public.mean


def real_sources(eco: Ecosystem, ops=SYMPY):
    """The real sources in the order of b: private_1, ..., private_K, public. Returns (E b, [Sigma_s])."""
    sources = list(eco.private) + [eco.public]
    mean_b = ops.vstack([ops.asarray(s.mean) for s in sources])
    return mean_b, [ops.asarray(s.cov) for s in sources]


def _real_sizes(eco: Ecosystem, plan: RoundPlan, model: int = 0) -> list:
    """N_s of b's sources, the public one's as ``model`` takes it (its prefix: one size for all under ``reuse``)."""
    return [plan.n_private[k, 0] for k in range(eco.K)] + [plan.n_public[model, 0]]


def _real_noise(eco: Ecosystem, covariances, plan: RoundPlan, ops):
    """Sigma_b = blockdiag(Sigma_s / N_s) as ``model`` k sees it, for every k (K of them)."""
    return [
        ops.block_diag([ops.per_sample(c, size) for c, size in zip(covariances, _real_sizes(eco, plan, k))])
        for k in range(eco.K)
    ]


def estimator_factor(eco: Ecosystem, nu, ops=SYMPY):
    """c_k per model (K x 1): 1 / (1 - nu_k) for the unbiased estimator, 1 for the MLE and the debiased one (whose
    covariance is the MLE's, :mod:`theory.gaussian.debiased`), each model's own."""
    return ops.asarray([[1 / (1 - nu[k, 0]) if e == "unbiased" else 1] for k, e in enumerate(eco.model_estimators)])


def fitted_covariance(eco: Ecosystem, moments: Moments, ops=SYMPY):
    """E[S_k] stacked (Kd x d): c_k E U_k."""
    d = eco.dim
    factor = estimator_factor(eco, moments.nu, ops)
    return ops.vstack([factor[k, 0] * block(moments.scatter, k, d) for k in range(eco.K)])


def zero_moments(eco: Ecosystem, ops=SYMPY) -> Moments:
    """The moments before the initial fit: all zero (the initial fit uses no synthetic data)."""
    K, d = eco.K, eco.dim
    return Moments(
        ops.zeros(K * d, 1),
        ops.zeros(K * d, K * d),
        ops.zeros(K * d, (K + 1) * d),
        ops.zeros(K * d, d),
        ops.zeros(K, 1),
    )


def _expected_scatter(weights, means, scatters, selection, cov_z, ops):
    """E U of a fit on pieces p (module docstring): sum_p w_p [E scatter_p + (mu_p - mu)(mu_p - mu)^T
    + Cov(xbar_p - m)], with mu = sum_p w_p mu_p and m = sum_p w_p xbar_p.

    weights: P x 1; means: stacked Pd x 1; scatters: [E scatter_p / N_p] (d x d each); the pieces' sample means
    are xbar = selection z (selection: Pd x Zd), Cov(z) = cov_z. xbar_p - m = row block p of
    ((I - 1 w^T) (x) I) xbar: its covariance is formed from these coefficients, which are exactly zero for a
    piece that is the whole training set.
    """
    P, d = len(scatters), scatters[0].shape[0]
    deviation = ops.kron(ops.eye(P) - ops.asarray([[1]] * P) @ weights.T, ops.eye(d))
    gaps, spreads = deviation @ means, deviation @ selection
    total = ops.zeros(d, d)
    for p in range(P):
        gap, spread = gaps[p * d : (p + 1) * d, :], spreads[p * d : (p + 1) * d, :]
        total = total + weights[p, 0] * (scatters[p] + gap @ gap.T + spread @ cov_z @ spread.T)
    return total


def _model_scatters(eco: Ecosystem, moments: Moments, plan: RoundPlan, t, fitted, pieces, ops):
    """E U_k' of every model (stacked Kd x d): its pieces are its private and the public sample and its draws
    from every model (under ``mixture`` and the ``split`` pool its one synthetic piece, ``pieces[k]`` = (its weights
    on the fitted means m_j, the Cov of its noise, its E scatter / N)); under
    ``accumulate`` also the union of the earlier batches (weight t / (t + 1), the batch's pieces 1 / (t + 1)).
    z = (b, m, eps_k): real sample means (the public one model k's prefix), fitted means, model k's synthetic noise."""
    K, d = eco.K, eco.dim
    mean_b, covariances = real_sources(eco, ops)
    accumulate = eco.regime == "accumulate"
    blocks = []
    for k, sigma_b in enumerate(_real_noise(eco, covariances, plan, ops)):
        sizes = _real_sizes(eco, plan, k)
        joint = ops.vstack([ops.hstack([sigma_b, moments.cross.T]), ops.hstack([moments.cross, moments.cov])])
        size = 3 * K + 1 if pieces is None else 2 * K + 2  # blocks of z (below)
        rows = [_indicator([k], size), _indicator([K], size)]  # the private and the public sample: b_k, b_public
        weights = [plan.w_private[k, 0], plan.w_public[k, 0]]
        means = [block(mean_b, k, d), block(mean_b, K, d)]
        scatters = [(1 - ops.per_sample(1, sizes[s])) * covariances[s] for s in (k, K)]
        if pieces is None:  # blocks of z: b_1..b_K, b_public, m_1..m_K, eps_k1..eps_kK
            noise = [ops.per_sample(block(fitted, j, d), plan.n_synthetic[k, j]) for j in range(K)]
            rows += [_indicator([K + 1 + j, 2 * K + 1 + j], size) for j in range(K)]  # draws from j: m_j + eps_kj
            weights += [plan.w_synthetic[k, j] for j in range(K)]
            means += [block(moments.mean, j, d) for j in range(K)]
            scatters += [(1 - ops.per_sample(1, plan.n_synthetic[k, j])) * block(fitted, j, d) for j in range(K)]
        else:  # blocks of z: b_1..b_K, b_public, m_1..m_K, eps_k; the piece's mean is sum_j row_j m_j + eps_k
            row, piece_noise, piece_scatter = pieces[k]
            noise = [piece_noise]
            rows += [[0] * (K + 1) + list(row) + [1]]
            weights += [sum((plan.w_synthetic[k, j] for j in range(K)), ops.scalar(0))]
            means += [sum((row[j] * block(moments.mean, j, d) for j in range(K)), ops.zeros(d, 1))]
            scatters += [piece_scatter]
        cov_z = ops.block_diag([joint, *noise])
        if accumulate:
            rows = [_indicator([K + 1 + k], size)] + rows  # the union's mean: m_k
            weights = [t / (t + 1)] + [w / (t + 1) for w in weights]
            means = [block(moments.mean, k, d)] + means
            scatters = [block(moments.scatter, k, d)] + scatters
        selection = ops.kron(ops.asarray(rows), ops.eye(d))
        weights = ops.vstack([ops.asarray([[1]]) * w for w in weights])
        blocks.append(_expected_scatter(weights, ops.vstack(means), scatters, selection, cov_z, ops))
    return ops.vstack(blocks)


def _mixture_size(plan: RoundPlan, k: int):
    """N_syn of model k's one synthetic piece under ``mixture``: the sum of its expected counts W[k, j] N_syn (under
    the ``split`` pool its slice's N_k = sum_j N_kj)."""
    return sum(plan.n_synthetic[k, j] for j in range(plan.n_synthetic.shape[1]))


def _indicator(positions: list[int], size: int) -> list[int]:
    """A 0/1 row of length ``size`` with ones at ``positions``."""
    return [1 if j in positions else 0 for j in range(size)]


class RoundParts(NamedTuple):
    """The pieces of one round's exact step (:func:`round_parts`): m' = R b + G m + eps before any regime's
    combination. R, G the linear maps (:func:`theory.rounds.mixing_coefficients`, the split pool's G = a p^T);
    mean_b = E b; sigma_b = Cov(b) (blockdiag(Sigma_s / N_s)); real_cov = Cov(R b) (nested public prefixes); noise =
    Cov(eps) (D); batch_nu = sum_s w_s^2 / N_s of the round's training set; scatter = E U' of the plain fit."""

    R: object
    G: object
    mean_b: object
    sigma_b: object
    real_cov: object
    noise: object
    batch_nu: object
    scatter: object


def moment_step(eco: Ecosystem, moments: Moments, plan: RoundPlan, t, ops=SYMPY) -> Moments:
    """Exact moments after round t (t = 0 with the initial plan and :func:`zero_moments` is the initial fit)."""
    if "debiased" in eco.model_estimators:
        raise SpecError(
            "estimator", "the debiased estimator has its own recursion: theory.gaussian.debiased (debiased_map)"
        )
    R, G, mean_b, sigma_b, real_cov, noise, batch_nu, scatter = round_parts(eco, moments, plan, t, ops)
    K, d = eco.K, eco.dim
    batch_mean = R @ mean_b + G @ moments.mean
    if eco.regime == "accumulate":
        H = (t * ops.eye(K * d) + G) / (t + 1)
        return Moments(
            mean=(t * moments.mean + batch_mean) / (t + 1),
            cov=H @ moments.cov @ H.T + (real_cov + noise) / (t + 1) ** 2,
            cross=moments.cross,
            scatter=scatter,
            nu=(t**2 * moments.nu + batch_nu) / (t + 1) ** 2,
        )
    cov = real_cov + G @ moments.cov @ G.T + noise
    cross = moments.cross
    if eco.regime == "reuse":
        cov = cov + R @ moments.cross.T @ G.T + G @ moments.cross @ R.T
        cross = R @ sigma_b + G @ moments.cross
    return Moments(mean=batch_mean, cov=cov, cross=cross, scatter=scatter, nu=batch_nu)


def round_parts(eco: Ecosystem, moments: Moments, plan: RoundPlan, t, ops=SYMPY) -> RoundParts:
    """The parts of round t's exact step from the moments before it (:class:`RoundParts`; the module doc)."""
    K, d = eco.K, eco.dim
    split = eco.pool == "split"
    if split:  # G = a p^T (x) I
        plan = split_plan(plan, ops)
    R, G = mixing_coefficients(eco, plan, ops)
    mean_b, covariances = real_sources(eco, ops)
    sigma_b = _real_noise(eco, covariances, plan, ops)[0]  # the public size of model 0: one for all under reuse
    fitted = fitted_covariance(eco, moments, ops)

    rates = synthetic_rates(plan, ops)
    own_noise = [sum((rates[k][j] * block(fitted, j, d) for j in range(K)), ops.zeros(d, d)) for k in range(K)]
    pieces = None
    if eco.composition == "mixture":  # E V_k = sum_j W[k, j] E S_j + E spread_k; noise (sum_j Q_kj) E V_k
        mixing = ops.asarray(eco.mixing)
        spreads = expected_spread(mixing, moments.mean, moments.cov, d, ops)
        variances = [
            sum((mixing[k, j] * block(fitted, j, d) for j in range(K)), ops.zeros(d, d)) + spreads[k] for k in range(K)
        ]
        own_noise = [own_noise[k] + sum(rates[k], ops.scalar(0)) * spreads[k] for k in range(K)]
        pieces = [
            (
                [mixing[k, j] for j in range(K)],
                ops.per_sample(variances[k], _mixture_size(plan, k)),
                (1 - ops.per_sample(1, _mixture_size(plan, k))) * variances[k],
            )
            for k in range(K)
        ]
    if split:  # the slices of one pool: Vbar = sum_j p_j E S_j, E spread with the row p (theory.pools)
        shares = split_shares(plan, ops)
        pooled = sum((shares[0, j] * block(fitted, j, d) for j in range(K)), ops.zeros(d, d))
        spread = expected_spread(shares, moments.mean, moments.cov, d, ops)[0]
        row = [shares[0, j] for j in range(K)]
        factors = slice_factors(plan, ops)
        pieces = [(row, fv * pooled + fs * spread, gv * pooled + gs * spread) for fv, fs, gv, gs in factors]
        noise = split_noise(plan, pooled, spread, ops)
        alphas = [sum((plan.w_synthetic[k, j] for j in range(K)), ops.scalar(0)) for k in range(K)]
        rates = [[ops.per_sample(alphas[k] ** 2, _mixture_size(plan, k))] for k in range(K)]  # nu: a_k^2 / N_k
    elif eco.pool == "shared":  # block (k, l): sum_j w_kj w_lj E S_j / max(N_kj, N_lj); block (k, k) = own_noise[k]
        F = shared_rates(plan, ops)
        pair = [
            [sum((F[k][l][j] * block(fitted, j, d) for j in range(K)), ops.zeros(d, d)) for l in range(K)]
            for k in range(K)
        ]
        noise = ops.vstack([ops.hstack(row) for row in pair])
    else:
        noise = ops.block_diag(own_noise)
    batch_nu = ops.asarray(
        [
            [
                ops.per_sample(plan.w_private[k, 0] ** 2, plan.n_private[k, 0])
                + ops.per_sample(plan.w_public[k, 0] ** 2, plan.n_public[k, 0])
                + sum(rates[k])
            ]
            for k in range(K)
        ]
    )
    private = slice(0, K * d)  # the private sources' part of R Sigma_b R^T, then the public prefixes'
    real_cov = R[:, private] @ sigma_b[private, private] @ R[:, private].T + ops.kron(
        public_rates(plan, ops), covariances[K]
    )
    scatter = _model_scatters(eco, moments, plan, t, fitted, pieces, ops)
    return RoundParts(R, G, mean_b, sigma_b, real_cov, noise, batch_nu, scatter)


def moments_of_fit(eco: Ecosystem, fit: Fit, ops=SYMPY) -> Moments:
    """The moments of a deterministic fit (no dispersion; nu = 0, so U = S): the population map's state."""
    zero = zero_moments(eco, ops)
    return Moments(fit.mean, zero.cov, zero.cross, fit.cov, zero.nu)


def start_state(eco: Ecosystem, start) -> Fit:
    """A given round-0 state (:mod:`theory.start`): ``{"mean": K x d means, "cov": K x d x d covariances}``, each
    covariance symmetric positive semi-definite, as a stacked :class:`Fit` (exact; SpecError naming ``start``)."""
    K, d = eco.K, eco.dim
    expected = f'{{"mean": K x d = {K} x {d} means, "cov": K x d x d = {K} x {d} x {d} covariances}}'
    if not isinstance(start, Mapping) or set(start) != {"mean", "cov"}:
        raise SpecError("start", f"expected {expected}, got {start!r}")
    means = start_array(start["mean"], (K, d), f"means K x d = {K} x {d}")
    covs = start_array(start["cov"], (K, d, d), f"covariances K x d x d = {K} x {d} x {d}")
    require_positive_semidefinite(covs)
    return Fit(sympy.Matrix(K * d, 1, list(means.ravel())), sympy.Matrix(covs.reshape(K * d, d).tolist()))


def population_step(eco: Ecosystem, fit: Fit, plan: RoundPlan, t, ops=SYMPY) -> Fit:
    """The population (infinite-sample) update map (m, S) -> (m', S'); ``plan`` must have infinite sizes. Under
    ``curation`` model j's outputs are drawn from :func:`curated_fit` (the initial fit, which draws none, from the
    zero state as without it)."""
    if eco.curation is not None and not all(w == 0 for w in plan.w_synthetic):
        fit = curated_fit(eco, fit)
    moments = moment_step(eco, moments_of_fit(eco, fit, ops), plan, t, ops)
    return Fit(moments.mean, fitted_covariance(eco, moments, ops))


def round_from_fit(eco: Ecosystem, fit: Fit, t=1) -> Moments:
    """Exact moments of round t's fit from a given deterministic fit (round t - 1's, as a Monte Carlo from a given
    ``start`` has it), at any n and under ``curation`` too: a round's fit sees each source only through its sample
    mean and scatter, and E xbar = mu, Var xbar = sigma^2 / N, E[A / N] = (1 - 1/N) sigma^2 hold for any iid sample,
    so the moment step from the law of model j's outputs (:func:`curated_fit`) is exact for one round (the next
    rounds' fits are random, and curated moments are not affine in them: no recursion)."""
    if eco.curation is not None:
        fit = curated_fit(eco, fit)
    return moment_step(eco, moments_of_fit(eco, fit), plan_at(eco, t), t)


def curated_fit(eco: Ecosystem, fit: Fit) -> Fit:
    """The law of each model's outputs (d = 1, exact): (m_j, S_j) where they are not curated, the moments of
    N(m_j, S_j) truncated to (c_j, inf) where ``{"threshold": c_j}`` filters them (:func:`theory.curation.
    truncated_moments`, with erfc). The jax twin is :func:`numerics.gaussian.step.curated_fit`."""
    means, covs = list(fit.mean), list(fit.cov)
    for j, curation in enumerate(model_curations(eco.curation, eco.K)):
        if curation is not None:
            means[j], covs[j] = truncated_moments(
                means[j], covs[j], curation.threshold, sympy.sqrt, sympy_inverse_mills
            )
    return Fit(sympy.Matrix(means), sympy.Matrix(covs))


# -- the maps as sympy expressions ---------------------------------------------------------------------------


def population_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The population update map (m_k, S_k)_k -> (m_k', S_k')_k of update round t >= 1: parts ``mean`` (Kd x 1,
    the stacked fitted means m_{ki}) and ``cov`` (Kd x d, the stacked fitted covariances S<k>_{ij}).

    It depends on t only under ``accumulate`` or with a schedule.
    """
    K, d = eco.K, eco.dim
    mean = sympy.Matrix([sympy.Symbol(f"m_{{{k + 1}{i + 1}}}", real=True) for k in range(K) for i in range(d)])
    cov, cov_positions = stacked_symmetric_symbols("S", K, d)
    layout = Layout()
    layout.add("mean", ("mean", mean, all_positions(K * d, 1)))
    layout.add("cov", ("cov", cov, cov_positions))
    plan = plan_at(eco, plan_round(eco, t), population=True)
    new = population_step(eco, Fit(mean, cov), plan, t)
    return layout.build("population", eco, new._asdict())


def moment_map(eco: Ecosystem, t=t_symbol) -> SymbolicMap:
    """The exact finite-n moment recursion of update round t >= 1. Its state's parts (:class:`Moments`):

    ``mean``     Kd x 1, E[m] (symbols mu_i), the stacked expected fitted means;
    ``nu``       K x 1, nu_k = sum_s w_s^2 / N_s of model k's training set (the unbiased estimator's
                 c_k = 1 / (1 - nu_k));
    ``cross``    Kd x (K+1)d, Cov(m, b) with the reused real sample means b (symbols X; a zero constant unless
                 ``reuse``);
    ``cov``      Kd x Kd, Cov(m) (symbols C), within and across models;
    ``scatter``  Kd x d, E[U_k] stacked (symbols U<k>), so E[S_k] = c_k E[U_k].

    :func:`theory.long_run` (``of="moments"``) names what they give: :mod:`theory.gaussian.longrun`.
    """
    require_uncurated(eco, "the finite-n moment recursion (curated moments are not affine in the fit)")
    layout = Layout()
    moments = moment_symbols(eco, layout)
    new = moment_step(eco, moments, plan_at(eco, plan_round(eco, t)), t)
    return layout.build("moments", eco, new._asdict())


def moment_symbols(eco: Ecosystem, layout: Layout) -> Moments:
    """The symbols of :func:`moment_map`'s state, added to ``layout`` in its order: ``mean``, ``nu``, ``cross``
    (a zero constant unless ``reuse``), then ``cov`` and ``scatter`` as one symmetric ``dispersion`` part."""
    K, d = eco.K, eco.dim
    mean = sympy.Matrix([sympy.Symbol(f"\\mu_{{{i + 1}}}", real=True) for i in range(K * d)])
    nu = sympy.Matrix([sympy.Symbol(f"\\nu_{{{k + 1}}}", real=True) for k in range(K)])
    cov, cov_positions = symmetric_symbols("C", K * d)
    scatter, scatter_positions = stacked_symmetric_symbols("U", K, d)
    layout.add("mean", ("mean", mean, all_positions(K * d, 1)))
    layout.add("nu", ("nu", nu, all_positions(K, 1)))
    if eco.regime == "reuse":
        cross = sympy.Matrix(K * d, (K + 1) * d, lambda i, j: sympy.Symbol(f"X_{{{i + 1},{j + 1}}}", real=True))
        layout.add("cross", ("cross", cross, all_positions(K * d, (K + 1) * d)))
    else:
        cross = sympy.zeros(K * d, (K + 1) * d)
        layout.constant("cross", cross)
    layout.add("dispersion", ("cov", cov, cov_positions), ("scatter", scatter, scatter_positions))
    return Moments(mean, cov, cross, scatter, nu)


def initial_state(fmap: SymbolicMap, start=None) -> list:
    """The flat state of ``fmap`` at round 0, as expressions of the spec's values: after the initial fit, or at
    the given ``start`` (:func:`start_state`; the moments of a deterministic fit, :func:`moments_of_fit`)."""
    eco = fmap.ecosystem
    if start is not None:
        fit = start_state(eco, start)
        return fmap.pack(**(fit if fmap.name == "population" else moments_of_fit(eco, fit))._asdict())
    if fmap.name == "population":
        K, d = eco.K, eco.dim
        fit = population_step(
            eco, Fit(sympy.zeros(K * d, 1), sympy.zeros(K * d, d)), plan_at(eco, 0, population=True), 0
        )
        return fmap.pack(**fit._asdict())
    return fmap.pack(**moment_step(eco, zero_moments(eco), plan_at(eco, 0), 0)._asdict())
