"""The categorical maps of :mod:`theory.categorical.maps` as jax array operations over the model axis.

The compiled programs are built from an ecosystem's :class:`Structure` alone (K, m, regime, whether fits are
smoothed, whether synthetic data are tempered) and take its numbers, :class:`Values`, as array arguments: a new
probability vector, W, smoothing or temperature reuses the compiled program. Every step is written with
einsum over the model axes (no Python loop over models), so the traced graph does not grow with K.

With the mixing of one round written as R = A (x) I_m, G = w_synthetic (x) I_m (A = [diag(w_private) |
w_public], K x (K + 1)), the theory's blocks become (models k, l, j, sources s, categories a, b)

    (R Sigma_b R^T)[ka, lb] = sum_s A_ks A_ls Sigma_s[a, b],   (G C G^T)[ka, lb] = sum_ij W_ki C[ia, jb] W_lj,
    D[ka, lb] = delta_kl sum_j w_kj^2 / N_kj (diag(E p_j) - Cov(p_j) - E p_j E p_j^T)[a, b],

and so on for the reuse cross-moments (the module doc of :mod:`theory.categorical.maps` has the recursion). Under
the ``mixture`` composition D gains delta_kl (sum_j Q_kj) E spread_k[a, b], Q_kj = w_kj^2 / N_kj with the expected
counts N_kj = W[k, j] N, the spread from E p and Cov p by :func:`numerics.driver.mixture.expected_spread`. Under
the ``shared`` pool D is full, D[ka, lb] = sum_j w_kj w_lj / max(N_kj, N_lj) (...)[a, b]
(:func:`numerics.driver.pools.shared_noise`). Under the ``split`` pool the plan's w_synthetic is a p^T
(:func:`theory.pools.split_plan`) and D is :func:`theory.pools.split_noise` at E Vbar = sum_j p_j (...)_j and the
spread with the one row p.
Under the ``rolling`` regime :func:`rolling_step` is the theory's (kept fraction a_k = M_k / n, B = N / n):
E F' = a E F + B E p, Cov F' = (L (x) I) C (L (x) I)^T + D_kept + D, L = diag(a) + s B.
tests/test_categorical_vectorised.py checks these steps against the sympy maps on random points.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver import mixture
from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.driver.pools import shared_noise
from interplay.numerics.driver.schedules import model_values
from interplay.theory.categorical.maps import Moments
from interplay.theory.curation import curated_columns, model_curations
from interplay.theory.pools import split_noise, split_plan, split_shares
from interplay.theory.rounds import RoundPlan, RoundSizes, public_rates
from interplay.theory.spec import Ecosystem, floats


class Structure(NamedTuple):
    """What shapes a categorical program (hashable: the key of the compiled-function cache)."""

    K: int
    m: int
    regime: str
    smoothed: bool  # finite n and a pseudo-count lambda > 0
    tempered: bool  # sampling temperature tau != 1
    mixture: bool = False  # composition "mixture": each synthetic sample from model j with probability W[k, j]
    shared: bool = False  # pool "shared": model k takes the first N_kj tokens of one sample of model j
    split: bool = False  # pool "split": model k trains on a random slice of all models' pooled outputs
    curation: tuple[int, ...] = ()  # best-of-k of each model's outputs (1: not curated); () none is curated


class Values(NamedTuple):
    """An ecosystem's numbers, float64 arrays passed into the compiled programs.

    sources (K + 1, m): the real distributions q (private_1..K, public); mixing (K, K): W; n: the synthetic
    sample size (1 in the population limit); pseudo_counts: m lambda; floor: (1 - s)/m of a smoothed fit on n
    samples, s = n / (n + m lambda), divided on the host (compiled, XLA turns a division by the constant m into
    a multiplication by its rounded reciprocal, a last-bit change); exponent: 1/tau; beta_1: the spec's beta_1
    (it weighs the initial fit when there are no update rounds); curation_weights (K, m): the Bradley-Terry weights
    of model j's curation (:mod:`theory.curation`), ones where its outputs are not curated."""

    sources: jax.Array
    mixing: jax.Array
    n: jax.Array
    pseudo_counts: jax.Array
    floor: jax.Array
    exponent: jax.Array
    beta_1: jax.Array
    curation_weights: jax.Array | None = None  # (K, m) exp(r - max r) of each model's curation, ones if none


def structure(eco: Ecosystem) -> Structure:
    family = eco.family
    smoothed = eco.n is not None and family.smoothing != 0
    return Structure(
        eco.K,
        eco.dim,
        eco.regime,
        bool(smoothed),
        bool(family.temperature != 1),
        eco.composition == "mixture",
        eco.pool == "shared",
        eco.pool == "split",
        tuple(1 if c is None else c.best_of for c in model_curations(eco.curation, eco.K)) if eco.curation else (),
    )


def values(eco: Ecosystem, mixing=None) -> Values:
    """The ecosystem's numbers; ``mixing``: W's weights on its edges (E,) (:mod:`numerics.driver.edges`) in place of
    the dense (K, K) W (the Monte Carlo's edge path, which never builds it)."""
    family = eco.family
    sources = [[float(x) for x in s.probs] for s in (*eco.private, eco.public)]
    n, pseudo_counts = 1.0 if eco.n is None else float(eco.largest_n), float(eco.dim * family.smoothing)
    floor = (1 - np.float64(n) / (n + pseudo_counts)) / eco.dim
    scalars = (n, pseudo_counts, floor, float(1 / family.temperature), model_values(eco, eco.beta_at(1)))
    weights = [np.ones(eco.dim) if c is None else c.float_weights() for c in model_curations(eco.curation, eco.K)]
    return Values(
        jnp.asarray(sources),
        jnp.asarray(floats(eco.mixing) if mixing is None else mixing, dtype=jnp.float64),
        *(jnp.asarray(x, dtype=jnp.float64) for x in scalars),
        jnp.asarray(np.array(weights), dtype=jnp.float64),
    )


def initial_beta(v: Values, betas):
    """beta_1 = betas[0] (so sweeps can vmap over beta), the spec's own when there are no update rounds."""
    return betas[0] if betas.shape[0] else v.beta_1


def round_plan(v: Values, alpha, beta, sizes: RoundSizes | None, *, initial: bool, consumer=None) -> RoundPlan:
    """:func:`theory.rounds.round_plan` with W from ``v``: weights (1 - alpha) beta, (1 - alpha)(1 - beta) and
    alpha W (alpha = 0 at the initial fit; alpha, beta scalars or per model, (K,)); ``sizes`` None in the population
    limit (infinite samples). Given the edges' consumers ``consumer`` (E,) (:mod:`numerics.driver.edges`),
    ``v.mixing`` holds the edges' weights W[c_e, p_e] (E,) and the synthetic weights are the edges',
    alpha_{c_e} W[c_e, p_e] (E,), the sizes' n_synthetic the edges' N_e (E,)."""
    K = v.sources.shape[0] - 1
    alpha, beta = JAX.column(alpha, K), JAX.column(beta, K)  # K x 1: a scalar repeated, or per model
    if initial:
        alpha = 0 * alpha
    if sizes is None:
        sizes = RoundSizes(jnp.full((K, 1), jnp.inf), jnp.inf, jnp.full(v.mixing.shape, jnp.inf))
    synthetic = alpha * v.mixing if consumer is None else alpha[consumer, 0] * v.mixing
    return RoundPlan((1 - alpha) * beta, (1 - alpha) * (1 - beta), synthetic, *sizes)


def real_weights(plan: RoundPlan):
    """A (K, K + 1) = [diag(w_private) | w_public]: model k's weight on each real source."""
    return jnp.concatenate([jnp.diag(plan.w_private[:, 0]), plan.w_public], axis=1)


def smoothing_factor(st: Structure, v: Values, t):
    """s_t = n_t / (n_t + m lambda), n_t = n (or (t + 1) n under ``accumulate``); 1 without smoothing."""
    if not st.smoothed:
        return jnp.asarray(1.0)
    total = (t + 1) * v.n if st.regime == "accumulate" else v.n
    return total / (total + v.pseudo_counts)


def _floor(st: Structure, v: Values, s):
    """(1 - s_t) / m, the mass smoothing gives every category."""
    return v.floor if st.smoothed and st.regime != "accumulate" else (1 - s) / st.m


def fit(st: Structure, v: Values, frequencies, t):
    """p = s_t F + (1 - s_t) / m."""
    s = smoothing_factor(st, v, t)
    return s * frequencies + _floor(st, v, s)


def frequencies_of_fit(st: Structure, v: Values, probs, t):
    """The training frequencies F whose fit of round t is ``probs``: F = (p - (1 - s_t)/m) / s_t (a given start,
    :func:`theory.categorical.maps.start_frequencies`)."""
    s = smoothing_factor(st, v, t)
    return (probs - _floor(st, v, s)) / s


def sampling_probs(st: Structure, v: Values, probs):
    """pi(p) = p^(1/tau) / sum p^(1/tau) per model (rows of ``probs``); under curation the law of model j's kept
    samples, q_j(pi(p_j)) (:func:`theory.curation.curated_columns`, vectorised over the models of one k)."""
    return curated_probs(st, v, tempered_probs(st, v, probs))


def tempered_probs(st: Structure, v: Values, probs):
    """pi(p) = p^(1/tau) / sum p^(1/tau) per model: what a model draws from before any curation."""
    return JAX.tempered(probs, v.exponent) if st.tempered else probs


def curated_probs(st: Structure, v: Values, sampled):
    """Row j: q_j(p_j) of its curation (p_j itself where model j's outputs are not curated, k = 1)."""
    for k in sorted(set(st.curation) - {1}):
        columns = [sampled[:, i] for i in range(st.m)]
        weights = [v.curation_weights[:, i] for i in range(st.m)]
        curated = jnp.stack(curated_columns(columns, weights, k), axis=1)
        sampled = jnp.where(np.array([b == k for b in st.curation])[:, None], curated, sampled)
    return sampled


def _sandwich(left, cov, right):
    """(L (x) I) C (R (x) I)^T for C of shape (K, m, K, m)."""
    return jnp.einsum("ki,iajb,lj->kalb", left, cov, right)


def _multinomial_cov(probs):
    """diag(p) - p p^T for each row of ``probs`` (..., m) -> (..., m, m)."""
    return probs[..., :, None] * jnp.eye(probs.shape[-1]) - probs[..., :, None] * probs[..., None, :]


def zero_moments(st: Structure) -> Moments:
    """The moments before the initial fit (shapes (K, m), (K, m, K, m), (K, m, K + 1, m))."""
    K, m = st.K, st.m
    return Moments(jnp.zeros((K, m)), jnp.zeros((K, m, K, m)), jnp.zeros((K, m, K + 1, m)))


def fitted_moments(st: Structure, v: Values, moments: Moments, t):
    """(E p, Cov p) of the fits after round t."""
    s = smoothing_factor(st, v, t)
    return s * moments.mean + _floor(st, v, s), (s * s) * moments.cov


def moment_step(st: Structure, v: Values, moments: Moments, plan: RoundPlan, t) -> Moments:
    """:func:`theory.categorical.maps.moment_step` (tau = 1) on the blocks of the module doc."""
    K = st.K
    plan = split_plan(plan, JAX) if st.split else plan  # w_synthetic = a p^T
    A, W = real_weights(plan), plan.w_synthetic
    sizes = jnp.concatenate([plan.n_private[:, 0], plan.n_public[:1, 0]])  # the public size of model 0 (reuse)
    covariances = _multinomial_cov(v.sources)
    sigma_b = JAX.per_sample(covariances, sizes[:, None, None])
    s_prev = smoothing_factor(st, v, t - 1)
    mean_p, cov_p = fitted_moments(st, v, moments, t - 1)
    second = _multinomial_cov(mean_p) - jnp.einsum("jajb->jab", cov_p)  # E[diag(p_j) - p_j p_j^T]
    if st.split:  # slices of one pool (theory.pools): E Vbar = sum_j p_j second_j, E spread with the row p
        shares = split_shares(plan, JAX)
        spread = mixture.expected_spread(shares, mean_p, cov_p)[0]
        noise = split_noise(plan, jnp.einsum("j,jab->ab", shares[0], second), spread, JAX).reshape(K, st.m, K, st.m)
    elif st.shared:  # (K, K, m, m): two scrapers of model j share their first min(N_kj, N_lj) tokens
        noise = shared_noise(W, plan.n_synthetic, second).transpose(0, 2, 1, 3)
    else:
        rates = JAX.per_sample(W**2, plan.n_synthetic)  # Q_kj
        blocks = jnp.einsum("kj,jab->kab", rates, second)
        if st.mixture:  # one Multinomial(N, sum_j W[k, j] p_j) per model: (sum_j Q_kj) E spread_k adds
            blocks = blocks + rates.sum(1)[:, None, None] * mixture.expected_spread(v.mixing, mean_p, cov_p)
        noise = jnp.einsum("kab,kl->kalb", blocks, jnp.eye(K))
    batch_mean = A @ v.sources + W @ mean_p
    real_cov = jnp.einsum("ks,sab,ls->kalb", A[:, :K], sigma_b[:K], A[:, :K])  # the private sources'
    real_cov = real_cov + jnp.einsum("kl,ab->kalb", public_rates(plan, JAX), covariances[K])  # nested prefixes
    if st.regime == "accumulate":
        H = (t * jnp.eye(K) + s_prev * W) / (t + 1)
        return Moments(
            mean=(t * moments.mean + batch_mean) / (t + 1),
            cov=_sandwich(H, moments.cov, H) + (real_cov + noise) / (t + 1) ** 2,
            cross=moments.cross,
        )
    cov = real_cov + _sandwich(W, cov_p, W) + noise
    cross = moments.cross
    if st.regime == "reuse":
        cross_p = s_prev * moments.cross  # Cov(p, b)
        G_X_Rt = jnp.einsum("kj,jasb,ls->kalb", W, cross_p, A)
        cov = cov + G_X_Rt.transpose(2, 3, 0, 1) + G_X_Rt
        cross = jnp.einsum("ks,sab->kasb", A, sigma_b) + jnp.einsum("kj,jasb->kasb", W, cross_p)
    return Moments(batch_mean, cov, cross)


def rolling_step(st: Structure, v: Values, moments: Moments, plan: RoundPlan, t) -> Moments:
    """:func:`theory.categorical.maps.rolling_step`: the corpus frequencies' moments after update round t (the
    plan's n_private holds the kept counts M, its n_synthetic the N_kj)."""
    n, M = v.n, plan.n_private[:, 0]
    kept, B = M / n, plan.n_synthetic / n
    mean_p, cov_p = fitted_moments(st, v, moments, t - 1)
    L = jnp.diag(kept) + smoothing_factor(st, v, t - 1) * B
    second_kept = _multinomial_cov(moments.mean) - jnp.einsum("kakb->kab", moments.cov)
    second = _multinomial_cov(mean_p) - jnp.einsum("jajb->jab", cov_p)
    blocks = (M * (n - M) / ((n - 1) * n**2))[:, None, None] * second_kept
    blocks = blocks + jnp.einsum("kj,jab->kab", JAX.per_sample(B**2, plan.n_synthetic), second)
    noise = jnp.einsum("kab,kl->kalb", blocks, jnp.eye(st.K))
    return Moments(kept[:, None] * moments.mean + B @ mean_p, _sandwich(L, moments.cov, L) + noise, moments.cross)


def population_step(st: Structure, v: Values, probs, plan: RoundPlan, t):
    """The population map p -> p' (``probs`` (K, m), any tau)."""
    plan = split_plan(plan, JAX) if st.split else plan  # w_synthetic = a p^T
    batch = real_weights(plan) @ v.sources + plan.w_synthetic @ sampling_probs(st, v, probs)
    if st.regime == "accumulate":
        return (t * probs + batch) / (t + 1)
    return batch
