"""The Gaussian moment step and population step as array operations over the model axis (jax).

The same maps as :func:`theory.gaussian.maps.moment_step` and :func:`theory.gaussian.maps.population_step` (the
one symbolic definition, whose module docstring derives them), written with einsums over the model axis
instead of Python loops over models and sources, so the traced graph and the compile time do not grow with K.
The ecosystem enters in two parts: its :class:`Structure` (K, d, regime, estimator, composition, pool: static, a
compiled function is built per structure) and its :class:`Values` (source means and covariances, W: arrays, arguments
of the compiled function), so a new value never recompiles. tests/test_gaussian_vectorised.py checks both
steps against the sympy maps on random points.

States keep the stacked layout of :class:`theory.gaussian.maps.Moments` and :class:`theory.gaussian.maps.Fit`
(mean Kd x 1, cov Kd x Kd, ...), so the rest of numerics reads them as before. Inside a step every stacked
matrix is viewed with the model and the coordinate as separate axes (e.g. Cov(m) as (K, d, K, d)).

The expected scatter E U_k' (:func:`theory.gaussian.maps._expected_scatter`) is sum_p w_p [E scatter_p / N_p +
gap_p gap_p^T] + sum_{p,q} Q_pq Cov(xbar_p, xbar_q) over model k's pieces p, with gap = (I - 1 w^T) mu and
Q = (I - 1 w^T)^T diag(w) (I - 1 w^T) = diag(w) - (2 - sum w) w w^T. The quadratic form is computed as
sum_p w_p Var(xbar_p) - (2 - sum w) Var(sum_p w_p xbar_p), each variance from the pieces' parts (fitted means,
real means, the draws' noise), so memory grows as K^2 d^2, not as the K^3 d^2 of every pair of pieces of every
model; for a piece that is the whole training set (a unit w) both variances are the same sums and cancel exactly,
as the coefficients do in the theory. Under ``composition="mixture"`` model k's synthetic part is one piece of
weight alpha_t, mean sum_j W[k, j] m_j + eps_k and N_syn = sum_j n_synthetic[k, j] samples: its variance W_k Cov(m)
W_k^T + E V_k / N_syn, its weights alpha_t W[k, j] on the fitted means, E V_k = sum_j W[k, j] E S_j + E spread_k
(:func:`numerics.driver.mixture.expected_spread`), which also gives the noise of Cov m' its (sum_j Q_kj) E spread_k.
Under ``pool="shared"`` the noise of Cov m' has the blocks (k, l) sum_j w_kj w_lj E S_j / max(N_kj, N_lj)
(:func:`numerics.driver.pools.shared_noise`), the own pool's on the diagonal; E U' is the own pool's map of the state.
Under ``pool="split"`` (:mod:`theory.pools`) model k's synthetic part is one piece as under the mixture, with the
pool's shares p in place of W[k, :] (the plan's w_synthetic is a p^T: :func:`theory.pools.split_plan`), N_k = sum_j
n_synthetic[k, j] samples, noise f_V Vbar + f_S E spread and scatter g_V Vbar + g_S E spread
(:func:`theory.pools.slice_factors`), and the noise of Cov m' is :func:`theory.pools.split_noise`.
Under threshold ``curation`` (d = 1, :mod:`theory.curation`) the population step draws model j's outputs from
:func:`curated_fit`, the truncated moments computed in log space (the inverse Mills ratio exp(log phi(a) -
log Phi(-a)), finite for any a).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.driver.mixture import expected_spread
from interplay.numerics.driver.pools import shared_noise
from interplay.numerics.driver.sizes import mixture_size
from interplay.theory.curation import model_curations, truncated_moments
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.gaussian.maps import Fit, Moments
from interplay.theory.pools import slice_factors, split_noise, split_plan, split_shares
from interplay.theory.rounds import RoundPlan, RoundSizes, public_rates
from interplay.theory.spec import Ecosystem, SpecError, floats


class Structure(NamedTuple):
    """What a compiled Gaussian function is specialised on (hashable): everything but the numbers."""

    K: int
    d: int
    regime: str
    estimator: str | tuple[str, ...]  # the spec's one, or one per model (a PerModel)
    composition: str
    pool: str
    curated: bool = False  # some model's outputs pass a threshold (theory.curation); the thresholds are Values


class Values(NamedTuple):
    """The numbers of a Gaussian ecosystem in centred coordinates (:func:`theory.gaussian.maps.centred`: means
    measured from the public mean, computed exactly before rounding to float64)."""

    private_mean: object  # (K, d)
    private_cov: object  # (K, d, d)
    public_mean: object  # (d,)
    public_cov: object  # (d, d)
    mixing: object  # (K, K), W
    threshold: object = None  # (K,) each model's curation threshold (centred), -inf where not curated


class Plan(NamedTuple):
    """Weights and sample sizes of one round (:class:`theory.rounds.RoundPlan` with the model axis flat)."""

    w_private: object  # (K,)
    w_public: object  # (K,)
    w_synthetic: object  # (K, K), or (E,) on the edges
    n_private: object  # (K,)
    n_public: object  # (K,): model k's prefix of the round's one public sample (theory.rounds)
    n_synthetic: object  # (K, K), or (E,) on the edges


per_sample = JAX.per_sample  # value / N, 0 for a source of no samples (theory.ops)


def refuse_debiased(structure: Structure) -> None:
    """SpecError naming ``estimator`` for a debiased structure: its exact recursion is its own
    (:mod:`theory.gaussian.debiased`), not this step's."""
    names = (structure.estimator,) if isinstance(structure.estimator, str) else structure.estimator
    if "debiased" in names:
        raise SpecError(
            "estimator", "the debiased estimator has its own exact recursion (iterate_moments), not this path's"
        )


def structure(eco: Ecosystem) -> Structure:
    return Structure(eco.K, eco.dim, eco.regime, eco.estimator, eco.composition, eco.pool, eco.curation is not None)


def values(eco: Ecosystem, mixing=None) -> Values:
    """The ecosystem's numbers in centred coordinates, as float64 numpy arrays; W dense (K, K), or ``mixing``
    given in its place (the edges' weights, :mod:`numerics.driver.edges`). Each centred mean is computed exactly
    and rounded once, as in :func:`theory.gaussian.maps.centred`, without building the centred spec (whose K
    sources are validated again: seconds at K = 10,000)."""
    curations = model_curations(gaussian.centred_curation(eco), eco.K)
    return Values(
        np.stack([floats(gaussian.centred_mean(eco, s.mean))[:, 0] for s in eco.private]),
        np.stack([floats(s.cov) for s in eco.private]),
        floats(gaussian.centred_mean(eco, eco.public.mean))[:, 0],
        floats(eco.public.cov),
        floats(eco.mixing) if mixing is None else mixing,
        np.array([-np.inf if c is None else float(c.threshold) for c in curations]),
    )


def round_plan(values: Values, alpha, beta, sizes: RoundSizes | None, initial: bool, consumer=None) -> Plan:
    """The plan of a round for alpha_t, beta_t (:func:`theory.rounds.round_plan`): w_private = (1 - alpha) beta,
    w_public = (1 - alpha)(1 - beta), w_synthetic = alpha W (alpha, beta scalars or per model, (K,)); ``sizes``
    None: every sample infinite (population); ``initial``: the round-0 fit, alpha = 0. Given the edges' consumers
    ``consumer`` (E,) (:mod:`numerics.driver.edges`), ``values.mixing`` holds the edges' weights W[c_e, p_e] (E,)
    and the synthetic weights and sizes are the edges', alpha_{c_e} W[c_e, p_e] and N_e (E,)."""
    K = values.private_mean.shape[0]
    alpha, beta = jnp.asarray(alpha, jnp.float64), jnp.asarray(beta, jnp.float64)
    if initial:
        alpha = 0 * alpha
    ones = jnp.ones(K)
    if sizes is None:
        n_private, n_public = jnp.full(K, jnp.inf), jnp.full(K, jnp.inf)
        n_synthetic = jnp.full(jnp.shape(values.mixing), jnp.inf)
    else:
        n_private, n_public = jnp.reshape(sizes.n_private, (K,)), jnp.reshape(sizes.n_public, (K,))
        n_synthetic = sizes.n_synthetic
    alphas = JAX.column(alpha, K)
    return Plan(
        (1 - alpha) * beta * ones,
        (1 - alpha) * (1 - beta) * ones,
        (alphas if consumer is None else alphas[consumer, 0]) * jnp.asarray(values.mixing),
        n_private,
        jnp.asarray(n_public),
        jnp.asarray(n_synthetic),
    )


def estimator_factor(structure: Structure, nu):
    """c_k (K, ...): 1 for the MLE, 1 / (1 - nu_k) for the unbiased estimator (each model's own; nu_k < 1 is read
    only where model k is unbiased, so a MLE model's nu_k = 1 gives no infinity, nor a NaN gradient)."""
    names = (structure.estimator,) * structure.K if isinstance(structure.estimator, str) else structure.estimator
    unbiased = np.array([name == "unbiased" for name in names]).reshape((structure.K,) + (1,) * (jnp.ndim(nu) - 1))
    if not unbiased.any():
        return jnp.ones_like(nu)
    return jnp.where(unbiased, 1 / (1 - jnp.where(unbiased, nu, 0)), 1.0)


def fitted_covariance(structure: Structure, moments: Moments):
    """E[S_k] stacked (Kd x d): c_k E U_k."""
    K, d = structure.K, structure.d
    factor = estimator_factor(structure, jnp.reshape(moments.nu, (K,)))
    return (factor[:, None, None] * jnp.reshape(moments.scatter, (K, d, d))).reshape(K * d, d)


def zero_moments(structure: Structure) -> Moments:
    """The moments before the initial fit: all zero."""
    K, d = structure.K, structure.d
    return Moments(
        jnp.zeros((K * d, 1)),
        jnp.zeros((K * d, K * d)),
        jnp.zeros((K * d, (K + 1) * d)),
        jnp.zeros((K * d, d)),
        jnp.zeros((K, 1)),
    )


def _sandwich(H, C):
    """H C H^T for H (K, K) acting on the model axes of C (K, d, K, d)."""
    HC = jnp.einsum("kj,jalb->kalb", H, C)
    return jnp.einsum("kalb,ml->kamb", HC, H)


def _outer(v):
    return v[..., :, None] * v[..., None, :]


def _piece_indices(K: int, accumulate: bool, mixture: bool):  # mixture: one synthetic piece (also the split pool)
    """For model k's pieces (the union under ``accumulate``, private, public, the draws from each model j, or
    under ``mixture`` the one synthetic piece): the index of the fitted mean m_j each contains (K: none; the
    mixture's piece holds sum_j W[k, j] m_j, added apart), of the real sample mean b_s (K + 1: none), and whether
    it is synthetic draws (numpy, static)."""
    models = np.arange(K)
    none_m, none_b = np.full(K, K), np.full(K, K + 1)
    synthetic = 1 if mixture else K
    m_index = [none_m[:, None], none_m[:, None], none_m[:, None] if mixture else np.broadcast_to(models, (K, K))]
    b_index = [models[:, None], np.full((K, 1), K), np.broadcast_to(none_b[:, None], (K, synthetic))]
    draws = [np.zeros((K, 2), bool), np.ones((K, synthetic), bool)]
    if accumulate:
        m_index, b_index = [models[:, None]] + m_index, [none_b[:, None]] + b_index
        draws = [np.zeros((K, 1), bool)] + draws
    return np.concatenate(m_index, 1), np.concatenate(b_index, 1), np.concatenate(draws, 1)


def _scatters(structure: Structure, v: Values, mean, cov, cross, scatter, fitted, piece, sigma_b, p: Plan, t):
    """E U_k' (K, d, d) of every model from its pieces (module docstring; the theory's ``_model_scatters``);
    ``piece``: the one synthetic piece of each model under the mixture and the split pool, (its weights on the
    fitted means (K, K): W or 1 p^T, its E scatter / N (K, d, d), the Cov of its noise (K, d, d)); None for the
    fixed composition."""
    K, d = structure.K, structure.d
    accumulate = structure.regime == "accumulate"
    mixture = piece is not None
    # the synthetic pieces' weights (K, P_s), means (K, P_s, d), E scatter / N and Cov of the draws' noise
    if mixture:  # one piece: weight alpha_t, mean sum_j rows[k, j] m_j
        rows_m, piece_scatter, piece_noise = piece
        synthetic = (p.w_synthetic.sum(1)[:, None], (rows_m @ mean)[:, None], piece_scatter[:, None])
        synthetic += (piece_noise[:, None],)
    else:
        synthetic = (p.w_synthetic, jnp.broadcast_to(mean, (K, K, d)))
        synthetic += (
            (1 - per_sample(1.0, p.n_synthetic))[:, :, None, None] * fitted[None],
            per_sample(fitted[None], p.n_synthetic[:, :, None, None]),  # Cov(eps_kj) (K, K, d, d)
        )
    synthetic_weights, synthetic_means, synthetic_scatters, draw_noise = synthetic
    # the pieces' weights w (K, P), means mu (K, P, d), E scatter / N (K, P, d, d)
    weights = jnp.concatenate([p.w_private[:, None], p.w_public[:, None], synthetic_weights], 1)
    means = jnp.concatenate([v.private_mean[:, None], jnp.broadcast_to(v.public_mean, (K, 1, d)), synthetic_means], 1)
    scatters = jnp.concatenate(
        [
            ((1 - per_sample(1.0, p.n_private))[:, None, None] * v.private_cov)[:, None],
            ((1 - per_sample(1.0, p.n_public))[:, None, None] * v.public_cov)[:, None],
            synthetic_scatters,
        ],
        1,
    )
    if accumulate:
        weights = jnp.concatenate([jnp.broadcast_to(t / (t + 1), (K, 1)), weights / (t + 1)], 1)
        means = jnp.concatenate([mean[:, None], means], 1)
        scatters = jnp.concatenate([scatter[:, None], scatters], 1)
    gaps = means - jnp.einsum("kq,kqa->ka", weights, means)[:, None]  # mu_p - sum_q w_q mu_q
    total = jnp.einsum("kp,kpab->kab", weights, scatters + _outer(gaps))

    # sum_pq Q_pq Cov(xbar_p, xbar_q) = sum_p w_p Var(xbar_p) - (2 - sum w) Var(sum_p w_p xbar_p), piece p's sample
    # mean xbar_p = m_j (fitted) + b_s (real) + eps_kj (draws' noise): K^2 numbers per model pair, never the K^3 of
    # every pair of pieces (a unit w, one piece the whole training set, gives exactly 0: the same sums either way)
    m_index, b_index, draws = _piece_indices(K, accumulate, mixture)
    cov_m = jnp.pad(cov, ((0, 1), (0, 0), (0, 1), (0, 0)))  # index K: no fitted mean
    cross_m = jnp.pad(cross, ((0, 1), (0, 0), (0, 1), (0, 0)))  # (K + 1, d, K + 2, d); index K + 1: no real mean
    real = jnp.pad(sigma_b.at[K].set(0.0), ((0, 1), (0, 0), (0, 0)))  # the public mean's apart: model k's prefix
    public = per_sample(v.public_cov, p.n_public[:, None, None])  # (K, d, d): Cov of model k's public mean
    noise = jnp.zeros((K,) + draws.shape[1:] + (d, d)).at[:, np.flatnonzero(draws[0])].set(draw_noise)
    own_fitted = cov_m[m_index, :, m_index, :]  # Var of each piece's parts (K, P, d, d)
    if mixture:  # the mixture's piece holds sum_j W[k, j] m_j: W_k Cov(m) W_k^T
        mixed = jnp.einsum("kj,jalb,kl->kab", rows_m, cov, rows_m)
        own_fitted = own_fitted.at[:, np.flatnonzero(draws[0])].add(mixed[:, None])
    own_cross = cross_m[m_index, :, b_index, :]
    own = own_fitted + own_cross + jnp.swapaxes(own_cross, -1, -2) + real[b_index]
    own = own + (b_index == K)[:, :, None, None] * public[:, None]
    rows = np.arange(K)[:, None]
    a = jnp.zeros((K, K + 1)).at[rows, m_index].add(weights)  # the weight on each fitted mean m_j
    if mixture:  # its weights on each m_j (the batch's share 1 / (t + 1) of them under ``accumulate``)
        a = a.at[:, :K].add(p.w_synthetic / (t + 1) if accumulate else p.w_synthetic)
    r = jnp.zeros((K, K + 2)).at[rows, b_index].add(weights)  # on each real mean b_s
    combined_cross = jnp.einsum("kj,jasb,ks->kab", a, cross_m, r)
    combined = jnp.einsum("kj,jalb,kl->kab", a, cov_m, a) + combined_cross + jnp.swapaxes(combined_cross, -1, -2)
    combined = combined + jnp.einsum("ks,sab->kab", r**2, real) + r[:, K, None, None] ** 2 * public
    each = jnp.einsum("kp,kpab->kab", weights, own + noise)
    combined = combined + jnp.einsum("kp,kpab->kab", weights**2, noise)
    return total + each - (2 - weights.sum(1))[:, None, None] * combined


def moment_step(structure: Structure, v: Values, moments: Moments, p: Plan, t) -> Moments:
    """Exact moments after round t (:func:`theory.gaussian.maps.moment_step`, vectorised over the models)."""
    refuse_debiased(structure)
    K, d = structure.K, structure.d
    split = structure.pool == "split"
    if split:  # w_synthetic = a p^T (theory.pools.split_plan)
        p = p._replace(w_synthetic=_split_weights(p))
    mean = moments.mean.reshape(K, d)
    cov = moments.cov.reshape(K, d, K, d)
    cross = moments.cross.reshape(K, d, K + 1, d)
    scatter = moments.scatter.reshape(K, d, d)
    nu = moments.nu.reshape(K)
    fitted = estimator_factor(structure, nu)[:, None, None] * scatter

    real_mean = jnp.concatenate([v.private_mean, v.public_mean[None]])  # E b (K + 1, d)
    sizes = jnp.concatenate([p.n_private, p.n_public[:1]])  # the public size of model 0: one for all under reuse
    sigma_b = per_sample(jnp.concatenate([v.private_cov, v.public_cov[None]]), sizes[:, None, None])  # Sigma_b
    R = jnp.concatenate([jnp.diag(p.w_private), p.w_public[:, None]], 1)  # (K, K + 1); R = this (x) I
    G = p.w_synthetic  # G = this (x) I
    rate = per_sample(G**2, p.n_synthetic)
    own_noise = jnp.einsum("kj,jab->kab", rate, fitted)
    piece = None
    if structure.composition == "mixture":  # E V_k = sum_j W[k, j] E S_j + E spread_k; noise (sum_j Q_kj) E V_k
        spread = expected_spread(v.mixing, mean, cov)
        variances = jnp.einsum("kj,jab->kab", v.mixing, fitted) + spread
        own_noise = own_noise + rate.sum(1)[:, None, None] * spread
        n_mixture = mixture_size(p.n_synthetic)[:, None, None]
        piece = (v.mixing, (1 - per_sample(1.0, n_mixture)) * variances, per_sample(variances, n_mixture))
    synthetic_nu = rate.sum(1)
    if split:  # one pool's slices: Vbar = sum_j p_j E S_j, E spread with the row p (theory.pools)
        plan = _round_plan(p)
        shares = split_shares(plan, JAX)[0]
        pooled = jnp.einsum("j,jab->ab", shares, fitted)
        spread = expected_spread(shares[None], mean, cov)[0]
        f_v, f_s, g_v, g_s = (jnp.stack(f)[:, None, None] for f in zip(*slice_factors(plan, JAX)))
        piece = (jnp.broadcast_to(shares, (K, K)), g_v * pooled + g_s * spread, f_v * pooled + f_s * spread)
        noise = split_noise(plan, pooled, spread, JAX).reshape(K, d, K, d)
        synthetic_nu = per_sample(G.sum(1) ** 2, p.n_synthetic.sum(1))  # a_k^2 / N_k
    elif structure.pool == "shared":  # (K, K, d, d) -> (K, d, K, d); its diagonal blocks are own_noise
        noise = jnp.transpose(shared_noise(G, p.n_synthetic, fitted), (0, 2, 1, 3))
    else:
        noise = jnp.einsum("kl,kab->kalb", jnp.eye(K), own_noise)
    batch_nu = per_sample(p.w_private**2, p.n_private) + per_sample(p.w_public**2, p.n_public) + synthetic_nu
    batch_mean = R @ real_mean + G @ mean
    real_cov = jnp.einsum("k,kab,kl->kalb", p.w_private**2, sigma_b[:K], jnp.eye(K))  # the private sources'
    real_cov = real_cov + jnp.einsum("kl,ab->kalb", public_rates(_round_plan(p), JAX), v.public_cov)  # nested prefixes
    new_scatter = _scatters(structure, v, mean, cov, cross, scatter, fitted, piece, sigma_b, p, t)

    if structure.regime == "accumulate":
        H = (t * jnp.eye(K) + G) / (t + 1)
        new_mean = (t * mean + batch_mean) / (t + 1)
        new_cov = _sandwich(H, cov) + (real_cov + noise) / (t + 1) ** 2
        new_nu = (t**2 * nu + batch_nu) / (t + 1) ** 2
    else:
        new_mean, new_nu = batch_mean, batch_nu
        new_cov = real_cov + _sandwich(G, cov) + noise
        if structure.regime == "reuse":
            reused = jnp.einsum("kalb,ml->kamb", jnp.einsum("ks,lbsa->kalb", R, cross), G)  # R X^T G^T
            new_cov = new_cov + reused + jnp.transpose(reused, (2, 3, 0, 1))
            cross = jnp.einsum("ks,sab->kasb", R, sigma_b) + jnp.einsum("kl,lasb->kasb", G, cross)
    return Moments(
        new_mean.reshape(K * d, 1),
        new_cov.reshape(K * d, K * d),
        cross.reshape(K * d, (K + 1) * d),
        new_scatter.reshape(K * d, d),
        new_nu.reshape(K, 1),
    )


def _round_plan(p: Plan) -> RoundPlan:
    """The synthetic part of ``p`` as a :class:`theory.rounds.RoundPlan` (what :mod:`theory.pools` reads)."""
    K = p.w_synthetic.shape[0]
    zero = jnp.zeros((K, 1))
    return RoundPlan(zero, p.w_public[:, None], p.w_synthetic, zero, p.n_public[:, None], p.n_synthetic)


def _split_weights(p: Plan):
    """a p^T (K, K): the split pool's synthetic weights (:func:`theory.pools.split_plan`)."""
    return split_plan(_round_plan(p), JAX).w_synthetic


def population_step(structure: Structure, v: Values, fit: Fit, p: Plan, t) -> Fit:
    """The population map (m, S) -> (m', S') (:func:`theory.gaussian.maps.population_step`); ``p`` has infinite
    sizes. Under curation model j's outputs are drawn from :func:`curated_fit`."""
    zero = zero_moments(structure)
    if structure.curated:
        fit = curated_fit(fit, v.threshold)
    moments = moment_step(structure, v, Moments(fit.mean, zero.cov, zero.cross, fit.cov, zero.nu), p, t)
    return Fit(moments.mean, fitted_covariance(structure, moments))


def inverse_mills(a):
    """lambda(a) = phi(a) / (1 - Phi(a)) = exp(log phi(a) - log Phi(-a)), finite for every finite a."""
    return jnp.exp(-0.5 * a**2 - 0.5 * np.log(2 * np.pi) - jax.scipy.special.log_ndtr(-a))


def curated_fit(fit: Fit, threshold) -> Fit:
    """The law of each model's outputs (d = 1): (m_j, S_j), or where ``threshold[j]`` is finite the moments of
    N(m_j, S_j) truncated to (c_j, inf) (:func:`theory.curation.truncated_moments`; the exact map is
    :func:`theory.gaussian.maps.curated_fit`). A point mass (S_j = 0, the initial fit's zero state) is kept as it is;
    masked inputs keep the gradient finite."""
    mean, var = fit.mean[:, 0], fit.cov[:, 0]
    curated = jnp.isfinite(threshold) & (var > 0)
    safe_var = jnp.where(curated, var, 1.0)
    safe_threshold = jnp.where(curated, threshold, mean - 1.0)
    new_mean, new_var = truncated_moments(mean, safe_var, safe_threshold, jnp.sqrt, inverse_mills)
    return Fit(jnp.where(curated, new_mean, mean)[:, None], jnp.where(curated, new_var, var)[:, None])
