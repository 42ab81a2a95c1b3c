"""Exact sampling distributions of a Gaussian sample's sufficient statistics, so Monte Carlo costs O(1) in n.

For N iid draws x_i ~ N(mu, Sigma) the sample mean and the scatter are independent (Cochran),

    xbar = (1/N) sum x_i ~ N(mu, Sigma / N),    A = sum (x_i - xbar)(x_i - xbar)^T ~ Wishart_d(N - 1, Sigma),

and the fit needs only xbar and the scatter per sample A / N (positive semi-definite by construction, and
centred: it does not depend on mu, so no raw second moment is ever formed). The Wishart is
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

from interplay.numerics.driver.jax_ops import JAX


def standard_gamma(key, shape):
    """Gamma(shape, 1) draws, one per element of ``shape`` (> 0); element i's draw depends on ``key``, its index
    i (row-major) and its shape only, so the draws of a prefix of the elements do not change with what follows it.

    Marsaglia & Tsang (2000): for a >= 1 with c = a - 1/3, x ~ N(0, 1), v = (1 + x / sqrt(9c))^3 and
    u ~ U(0, 1), accept c v when v > 0 and log u < x^2 / 2 + c - c v + c log v (acceptance >= 95%); each
    element keeps its first accepted candidate. For a < 1, Gamma(a) = Gamma(a + 1) U^(1/a). The first candidate of
    every element is proposed at once (its two uniforms at position i of two streams); the (few) rejected
    elements are then gathered into a buffer of a 32nd of the size and proposed for alone until all accept
    (again, should more than a 32nd be rejected), element i's t-th further candidate from its own key
    fold_in(fold_in(key', i), t), so the cost is about one candidate per element and no element's stream depends
    on which others were rejected. A candidate's (x, u) come from two uniforms (x = sqrt(2) erfinv(2 u' - 1), as in
    ``jax.random.normal``); the boost's uniforms are drawn only when some a < 1.
    """
    shape = jnp.asarray(shape, dtype=jnp.float64)
    a = shape.ravel()
    size = a.size
    boosted = a < 1
    c = jnp.where(boosted, a + 1, a) - 1 / 3
    scale = 1 / jnp.sqrt(9 * c)
    retry_key = jax.random.fold_in(key, 2)

    def propose(normal_uniform, accept_uniform, c, scale):
        """(accepted, value) of the candidates made of two uniforms each."""
        x = jnp.sqrt(2.0) * jax.lax.erf_inv(2 * normal_uniform - 1)
        v = (1 + scale * x) ** 3
        positive = v > 0
        log_v = jnp.log(jnp.where(positive, v, 1.0))
        accepted = positive & (jnp.log(accept_uniform) < 0.5 * x**2 + c - c * v + c * log_v)
        return accepted, jnp.where(accepted, c * v, 0.0)

    def resolve(state):
        """Gather (up to ``buffer``) rejected elements once, and propose for them alone until all accept."""
        value, done = state
        waiting = _first_true(~done, buffer)  # index ``size``: padding, dropped
        c_waiting, scale_waiting = c.at[waiting].get(mode="clip"), scale.at[waiting].get(mode="clip")
        element_keys = jax.vmap(jax.random.fold_in, (None, 0))(retry_key, waiting)

        def another_pass(inner):
            attempt, value, done = inner
            draw = jax.vmap(lambda key: jax.random.uniform(jax.random.fold_in(key, attempt), (2,)))
            uniforms = draw(element_keys)
            accepted, proposal = propose(uniforms[:, 0], uniforms[:, 1], c_waiting, scale_waiting)
            return attempt + 1, jnp.where(done, value, proposal), done | accepted

        start = (jnp.uint32(1), jnp.zeros(buffer), waiting == size)
        _, found, _ = jax.lax.while_loop(lambda inner: ~jnp.all(inner[2]), another_pass, start)
        return value.at[waiting].set(found, mode="drop"), done.at[waiting].set(True, mode="drop")

    buffer = min(size, size // 32 + 16)
    first = [jax.random.uniform(jax.random.fold_in(key, stream), (size,)) for stream in (1, 3)]
    done, value = propose(*first, c, scale)
    value, _ = jax.lax.while_loop(lambda state: ~jnp.all(state[1]), resolve, (value, done))

    def boost(value):
        return jnp.where(boosted, value * jax.random.uniform(jax.random.fold_in(key, 0), a.shape) ** (1 / a), value)

    return jax.lax.cond(jnp.any(boosted), boost, lambda value: value, value).reshape(shape.shape)


def _first_true(mask, count: int):
    """The indices of the first ``count`` true entries of ``mask`` (M,), M where there are fewer. The mask is packed
    into words of 32 bits (bit j of word r: entry 32 r + j) and their running popcount taken, so the only pass over
    the M entries is the packing: the q-th true entry lies in the first word whose running count reaches q (a
    binary search over M / 32 words), at the bit where the popcount of the word's lower bits reaches q's rank in it
    (a binary search of 5 steps). On a CPU about a fourth of the time of a running count of the M entries and a tenth
    of ``jnp.nonzero``'s (benchmarks/README.md)."""
    size = mask.shape[0]
    bits = jnp.pad(mask, (0, -size % 32)).reshape(-1, 32).astype(jnp.uint32)
    words = (bits << jnp.arange(32, dtype=jnp.uint32)).sum(1, dtype=jnp.uint32)
    through = jnp.cumsum(jax.lax.population_count(words).astype(jnp.int32))  # true entries in words 0..r
    wanted = jnp.arange(1, count + 1, dtype=jnp.int32)
    row = jnp.searchsorted(through, wanted)  # the word holding the q-th true entry (len(words): none)
    held = jnp.minimum(row, words.shape[0] - 1)
    word = words[held]
    rank = wanted - (through[held] - jax.lax.population_count(word).astype(jnp.int32))
    bit = jnp.zeros_like(wanted)  # the smallest b with popcount(word & (2^(b+1) - 1)) >= rank
    for step in (16, 8, 4, 2, 1):
        lower = (jnp.uint32(2) << (bit + step - 1).astype(jnp.uint32)) - jnp.uint32(1)
        bit = jnp.where(jax.lax.population_count(word & lower).astype(jnp.int32) < rank, bit + step, bit)
    return jnp.where(row < words.shape[0], row * 32 + bit, size)


def chi_square(key, dof):
    """chi^2(dof) draws, elementwise; dof <= 0 gives exactly 0 (the degenerate chi^2(0))."""
    dof = jnp.asarray(dof, dtype=jnp.float64)
    positive = dof > 0
    return jnp.where(positive, 2 * standard_gamma(key, jnp.where(positive, dof / 2, 1.0)), 0.0)


def standard_draws(key, size, d: int):
    """The standard variates behind the statistics of N = ``size`` samples (any shape) in dimension d.

    Returns (normals (..., d + d(d-1)/2), chi2 (..., d)): d normals for the mean, one per strictly lower
    Bartlett entry, and B_jj^2 ~ chi^2(N - 1 - j) (0 where N - 1 - j <= 0). They do not depend on the
    distribution sampled, so a simulation can draw them ahead of the rounds that use them.
    """
    size = jnp.asarray(size, dtype=jnp.float64)
    key_normal, key_chi = jax.random.split(key)
    normals = jax.random.normal(key_normal, size.shape + (d + d * (d - 1) // 2,))
    return normals, chi_square(key_chi, (size - 1)[..., None] - jnp.arange(d))


def statistics_from_draws(mean, root, size, normals, chi2):
    """(xbar, A / N) from :func:`standard_draws`: xbar = mean + root z / sqrt(N) and the scatter A =
    (root B)(root B)^T, B the Bartlett factor (module docstring). mean (..., d), root (..., d, d), size (...).
    N = 0 (a source of weight 0, not sampled) gives the finite placeholders xbar = mean, A / N = 0."""
    d = mean.shape[-1]
    size = jnp.broadcast_to(jnp.asarray(size, dtype=jnp.float64), mean.shape[:-1])
    xbar = mean + JAX.per_sample(jnp.einsum("...ab,...b->...a", root, normals[..., :d]), jnp.sqrt(size)[..., None])
    bartlett = jnp.sqrt(chi2)[..., None, :] * jnp.eye(d)
    if d > 1:
        rows, cols = jnp.tril_indices(d, -1)
        column_used = (size - 1)[..., None] - cols > 0  # column j of B is zero once j >= N - 1
        bartlett = bartlett.at[..., rows, cols].set(normals[..., d:] * column_used)
    spread = root @ bartlett  # spread spread^T ~ Wishart(N - 1, root root^T), independent of xbar
    return xbar, JAX.per_sample(spread @ jnp.swapaxes(spread, -1, -2), size[..., None, None])


def gaussian_statistics(key, mean, root, size):
    """(xbar, A / N) of N iid samples of N(mean, root root^T) (A: the scatter about xbar), drawn exactly in
    O(d^2) work.

    mean (..., d), root (..., d, d), size (...) (a float array; N >= 1). Same law as the raw sample's.
    """
    size = jnp.broadcast_to(jnp.asarray(size, dtype=jnp.float64), mean.shape[:-1])
    return statistics_from_draws(mean, root, size, *standard_draws(key, size, mean.shape[-1]))
