"""The linear-Gaussian maps of :mod:`theory.linear.maps` as jax array operations over the model axis.

The compiled programs are built from an ecosystem's :class:`Structure` alone (K, d, regime, whether the synthetic
data are the population limit n = None) and take its numbers, :class:`Values` (Grams, sizes, theta*, sigma^2,
1/m, W, beta_1), as array arguments: new designs, theta*, noise or W reuse the compiled program. Every step is
written with einsum and batched pseudo-inverses over the model axis (no Python loop over models), so the traced
graph does not grow with K.

With the round's weights A = [diag(w_private) | w_public] (K x (K + 1)) and w_synthetic = alpha W, model k's
normal matrix and the blocks of the theory's P, Q, N are (models k, j, real sources s)

    H_k = H_{k, t-1} + sum_s A_ks S_s + sum_j w_kj S_j,   (P)_ks = H_k^+ (A_ks S_s),
    (N)_kj = H_k^+ (w_kj S_j),   (Q)_kj = H_k^+ (w_kj S_j + delta_kj H_{k, t-1})

(H_{k, t-1} = 0 unless ``accumulate``), and the recursion M_t = P + Q M_{t-1}, C_t = Q C Q^T + N D N^T
(+ P Sigma_b P^T unless reuse), c_t = Q c_{t-1} (the offset of a given start) is evaluated on the stacked
Kd x (K + 1)d and Kd x Kd matrices, as in the theory. tests/numerics/linear/test_linear_vectorised.py checks
these steps against the sympy maps on random points.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.jax_ops import JAX
from interplay.numerics.driver.schedules import model_values
from interplay.theory.linear.maps import Dynamics, LinearMoments
from interplay.theory.spec import Ecosystem, floats

PINV_RTOL = 1e-10  # singular values below this fraction of the largest count as zero (rank-deficient designs)


class Structure(NamedTuple):
    """What shapes a linear program (hashable: the key of the compiled-function cache)."""

    K: int
    d: int
    regime: str
    population: bool  # n = None: noise-free synthetic labels (D = 0)


class Values(NamedTuple):
    """An ecosystem's numbers, float64 arrays passed into the compiled programs.

    real_grams (K + 1, d, d): S_s of private_1..K, public; real_sizes (K + 1,): n_s; synthetic_grams (K, d, d):
    S_j of generating model j; theta (d,): theta*; noise_var: sigma^2; synthetic_scale: 1/m (0 in the population
    limit); mixing (K, K): W; beta_1: the spec's beta_1 (it weighs the initial fit when there are no update
    rounds)."""

    real_grams: object
    real_sizes: object
    synthetic_grams: object
    theta: object
    noise_var: object
    synthetic_scale: object
    mixing: object
    beta_1: object


class Weights(NamedTuple):
    """The weights of one round (:class:`theory.rounds.RoundPlan` without sample sizes, the model axis flat)."""

    private: object  # (K,) (1 - alpha) beta
    public: object  # (K,) (1 - alpha)(1 - beta)
    synthetic: object  # (K, K) alpha W


def structure(eco: Ecosystem) -> Structure:
    return Structure(eco.K, eco.dim, eco.regime, eco.n is None)


def values(eco: Ecosystem) -> Values:
    """The ecosystem's numbers as float64 numpy arrays."""
    family = eco.family
    sources = (*eco.private, eco.public)
    return Values(
        np.stack([floats(s.gram) for s in sources]),
        np.array([float(s.size) for s in sources]),
        np.stack([floats(s.gram) for s in family.synthetic_designs(eco.K)]),
        floats(family.theta)[:, 0],
        floats(family.noise_var),
        np.float64(0.0 if eco.n is None else 1.0 / eco.n),
        floats(eco.mixing),
        model_values(eco, eco.beta_at(1)),
    )


def pinv(a):
    """The minimum-norm pseudo-inverse of symmetric PSD matrices (..., d, d), batched."""
    return jnp.linalg.pinv(a, rtol=PINV_RTOL, hermitian=True)


def initial_beta(v: Values, betas):
    """beta_1 = betas[0] (so sweeps can vmap over beta), the spec's own when there are no update rounds."""
    return betas[0] if betas.shape[0] else v.beta_1


def weights(v: Values, alpha, beta, *, initial: bool) -> Weights:
    """w_private = (1 - alpha) beta, w_public = (1 - alpha)(1 - beta), w_synthetic = alpha W (alpha = 0 at the
    initial fit)."""
    ones = jnp.ones(v.mixing.shape[0])
    alpha, beta = jnp.asarray(alpha, jnp.float64), jnp.asarray(beta, jnp.float64)
    if initial:
        alpha = 0 * alpha
    synthetic = JAX.column(alpha, ones.shape[0]) * jnp.asarray(v.mixing)  # alpha_k W[k, j]: alpha scalar or (K,)
    return Weights((1 - alpha) * beta * ones, (1 - alpha) * (1 - beta) * ones, synthetic)


def real_weights(w: Weights):
    """A (K, K + 1) = [diag(w_private) | w_public]: model k's weight on each real source."""
    return jnp.concatenate([jnp.diag(w.private), w.public[:, None]], axis=1)


def _block_diag(blocks):
    """(K, d, d) -> the Kd x Kd block-diagonal matrix."""
    K, d, _ = blocks.shape
    return (jnp.eye(K)[:, None, :, None] * blocks[:, :, None, :]).reshape(K * d, K * d)


def real_statistics(v: Values):
    """(E b, Sigma_b): E b_s = S_s^+ S_s theta* stacked ((K + 1)d,), Sigma_b = sigma^2 blockdiag((n_s S_s)^+)."""
    inverse = pinv(v.real_grams)
    mean_b = (inverse @ v.real_grams @ v.theta).reshape(-1)
    return mean_b, _block_diag((v.noise_var / v.real_sizes)[:, None, None] * inverse)


def synthetic_noise(v: Values):
    """D = sigma^2 blockdiag((m S_j)^+) = Cov(X_t^+ w_t); zero in the population limit."""
    return _block_diag(v.noise_var * v.synthetic_scale * pinv(v.synthetic_grams))


def dynamics(st: Structure, v: Values, w: Weights, previous_normal=None) -> Dynamics:
    """P_t, Q_t, N_t of a round with weights ``w``; ``previous_normal`` is H_{t-1} (Kd, d) (accumulate) or None."""
    K, d = st.K, st.d
    real = real_weights(w)[:, :, None, None] * v.real_grams  # (K, K + 1, d, d): A_ks S_s
    received = w.synthetic[:, :, None, None] * v.synthetic_grams  # (K, K, d, d): w_kj S_j
    previous = jnp.zeros((K, d, d)) if previous_normal is None else previous_normal.reshape(K, d, d)
    normal = previous + w.private[:, None, None] * v.real_grams[:K] + real[:, K] + received.sum(1)
    inverse = pinv(normal)
    P = jnp.einsum("kab,ksbc->kasc", inverse, real).reshape(K * d, (K + 1) * d)
    N = jnp.einsum("kab,kjbc->kajc", inverse, received).reshape(K * d, K * d)
    if previous_normal is None:
        Q = N
    else:
        own = received + jnp.eye(K)[:, :, None, None] * previous[:, None]  # w_kj S_j + delta_kj H_{k, t-1}
        Q = jnp.einsum("kab,kjbc->kajc", inverse, own).reshape(K * d, K * d)
    return Dynamics(P, Q, N, normal.reshape(K * d, d))


def zero_moments(st: Structure) -> LinearMoments:
    K, d = st.K, st.d
    return LinearMoments(
        jnp.zeros((K * d, (K + 1) * d)), jnp.zeros((K * d, K * d)), jnp.zeros((K * d, d)), jnp.zeros(K * d)
    )


def moment_step(st: Structure, v: Values, moments: LinearMoments, w: Weights) -> LinearMoments:
    """M_t = P_t + Q_t M_{t-1};  C_t = Q_t C_{t-1} Q_t^T + N_t D N_t^T  [+ P_t Sigma_b P_t^T unless reuse];
    c_t = Q_t c_{t-1} (the offset c: (Kd,))."""
    accumulate = st.regime == "accumulate"
    step = dynamics(st, v, w, moments.normal if accumulate else None)
    M = step.P + step.Q @ moments.M
    C = step.Q @ moments.C @ step.Q.T + step.N @ synthetic_noise(v) @ step.N.T
    if st.regime != "reuse":
        C = C + step.P @ real_statistics(v)[1] @ step.P.T
    return LinearMoments(M, C, step.normal if accumulate else moments.normal, step.Q @ moments.offset)


def parameter_moments(st: Structure, v: Values, moments: LinearMoments):
    """(E theta_t (Kd,), Cov theta_t (Kd, Kd)): M_t E b + c_t and M_t Sigma_b M_t^T + C_t (reuse) or C_t."""
    mean_b, sigma_b = real_statistics(v)
    cov = moments.C + moments.M @ sigma_b @ moments.M.T if st.regime == "reuse" else moments.C
    return moments.M @ mean_b + moments.offset, cov
