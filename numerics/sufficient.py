"""Exact sampling distributions of a Gaussian sample's sufficient statistics, so Monte Carlo costs O(1) in n.

For N iid draws x_i ~ N(mu, Sigma) the sample mean and the scatter are independent (Cochran),

    xbar = (1/N) sum x_i ~ N(mu, Sigma / N),    A = sum (x_i - xbar)(x_i - xbar)^T ~ Wishart_d(N - 1, Sigma),

and the fit needs only xbar and the second moment (1/N) sum x_i x_i^T = A / N + xbar xbar^T. The Wishart is
drawn by the Bartlett decomposition: with any root M (M M^T = Sigma; a symmetric one when Sigma is singular)
and nu = N - 1 degrees of freedom, A = M B B^T M^T, where B is lower triangular with independent entries

    B_jj^2 ~ chi^2(nu - j)   (j = 0..d-1),     B_ij ~ N(0, 1)   (i > j),     column j of B zero when j >= nu.

The column rule makes the decomposition exact also for nu < d (the singular Wishart of fewer than d + 1
samples, down to A = 0 for N = 1): B B^T has the law of Z Z^T for a d x nu standard normal Z, whose LQ
factor is B's first nu columns. chi^2(k) = 2 Gamma(k / 2, 1), and Gamma is drawn by Marsaglia and Tsang's
exact rejection method, vectorised (one candidate per element per pass, passes until all are accepted), which
on a CPU is several times faster than ``jax.random.gamma`` (one while loop per element).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def standard_gamma(key, shape):
    """Gamma(shape, 1) draws, one per element of ``shape`` (> 0).

    Marsaglia & Tsang (2000): for a >= 1 with c = a - 1/3, x ~ N(0, 1), v = (1 + x / sqrt(9c))^3 and
    u ~ U(0, 1), accept c v when v > 0 and log u < x^2 / 2 + c - c v + c log v (acceptance >= 95%); each
    element keeps its first accepted candidate. For a < 1, Gamma(a) = Gamma(a + 1) U^(1/a). The first pass
    proposes for every element; later passes only for the (few) rejected ones, gathered into a buffer of a
    sixteenth of the size, so the cost is about one candidate per element. A candidate's (x, u) come from two
    uniforms (x = sqrt(2) erfinv(2 u' - 1), as in ``jax.random.normal``).
    """
    shape = jnp.asarray(shape, dtype=jnp.float64)
    a = shape.ravel()
    size = a.size
    boosted = a < 1
    c = jnp.where(boosted, a + 1, a) - 1 / 3
    scale = 1 / jnp.sqrt(9 * c)

    def propose(key, c, scale):
        uniforms = jax.random.uniform(key, (2,) + c.shape)
        x = jnp.sqrt(2.0) * jax.lax.erf_inv(2 * uniforms[0] - 1)
        v = (1 + scale * x) ** 3
        positive = v > 0
        log_v = jnp.log(jnp.where(positive, v, 1.0))
        accepted = positive & (jnp.log(uniforms[1]) < 0.5 * x**2 + c - c * v + c * log_v)
        return accepted, jnp.where(accepted, c * v, 0.0)

    def retry(state):
        passes, value, done = state
        (waiting,) = jnp.nonzero(~done, size=buffer, fill_value=size)  # index ``size`` is dropped below
        accepted, proposal = propose(
            jax.random.fold_in(key, passes), c.at[waiting].get(mode="clip"), scale.at[waiting].get(mode="clip")
        )
        value = value.at[waiting].set(proposal, mode="drop")
        return passes + 1, value, done.at[waiting].set(accepted, mode="drop")

    buffer = min(size, size // 16 + 16)
    done, value = propose(jax.random.fold_in(key, 1), c, scale)
    _, value, _ = jax.lax.while_loop(lambda state: ~jnp.all(state[2]), retry, (jnp.uint32(2), value, done))
    boost = jnp.exp(jnp.log(jax.random.uniform(jax.random.fold_in(key, 0), a.shape)) / a)
    return jnp.where(boosted, value * boost, value).reshape(shape.shape)


def chi_square(key, dof):
    """chi^2(dof) draws, elementwise; dof <= 0 gives exactly 0 (the degenerate chi^2(0))."""
    dof = jnp.asarray(dof, dtype=jnp.float64)
    positive = dof > 0
    return jnp.where(positive, 2 * standard_gamma(key, jnp.where(positive, dof / 2, 1.0)), 0.0)


def gaussian_statistics(key, mean, root, size):
    """(xbar, (1/N) sum x x^T) of N iid samples of N(mean, root root^T), drawn exactly in O(d^2) work.

    mean (..., d), root (..., d, d), size (...) (a float array; N >= 1). Same law as the raw sample's.
    xbar = mean + root z / sqrt(N); scatter = (root B)(root B)^T with B the Bartlett factor of N - 1 degrees
    of freedom (module docstring); all normals (z and B's off-diagonal) come from one draw.
    """
    size = jnp.broadcast_to(jnp.asarray(size, dtype=jnp.float64), mean.shape[:-1])
    d = mean.shape[-1]
    rows, cols = jnp.tril_indices(d, -1)
    key_normal, key_chi = jax.random.split(key)
    normals = jax.random.normal(key_normal, mean.shape[:-1] + (d + rows.size,))
    xbar = mean + jnp.einsum("...ab,...b->...a", root, normals[..., :d]) / jnp.sqrt(size)[..., None]
    column_dof = (size - 1)[..., None] - jnp.arange(d)  # B_jj^2 ~ chi^2(N - 1 - j); column j is 0 if that <= 0
    bartlett = jnp.sqrt(chi_square(key_chi, column_dof))[..., None, :] * jnp.eye(d)
    if d > 1:
        bartlett = bartlett.at[..., rows, cols].set(normals[..., d:] * (column_dof[..., cols] > 0))
    spread = root @ bartlett  # spread spread^T ~ Wishart(N - 1, root root^T), independent of xbar
    second = spread @ jnp.swapaxes(spread, -1, -2) / size[..., None, None] + xbar[..., :, None] * xbar[..., None, :]
    return xbar, second
