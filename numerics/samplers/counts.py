"""Counts of categorical samples: N draws from p, reported as how often each of the m categories came up.

Two exact routes to the same law, Multinomial(N, p):

* **tokens**: N uniforms located in the cumulative probabilities (inverse CDF, ``searchsorted``) and counted;
  cost O(N log m), it materialises the sample itself (the reference; the categorical "raw" path);
* **multinomial**: the counts drawn directly (:func:`numerics.samplers.binomial.multinomial`); cost O(m) whatever N is.

:func:`prepare` readies rows of probabilities for a route (the cumulative sums, once per distribution);
:func:`draw_counts` then draws a batch of samples from them (a row per sample, traced sizes, a static capacity
>= every size); :func:`cheaper_route` picks the cheaper route for a capacity. A category of probability zero
never receives a count on either route: the cumulative sums are formed so that adding a zero changes nothing
(:func:`cumulative`), and a uniform that rounds onto the top of the last interval is put in the last category
of positive probability.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.samplers.binomial import multinomial

ROUTES = ("tokens", "multinomial")
TOKENS_PER_CATEGORY = 4.0  # tokens are cheaper while N <= this x m (measured at m = 1,000: benchmarks/README.md)
TOKEN_BLOCK = 512  # tokens located and counted per step, so memory stays O(block) whatever N is
_CUMULATIVE_BLOCK = 32


def cheaper_route(capacity: int, m: int) -> str:
    """The route with the smaller cost for samples of up to ``capacity`` tokens over ``m`` categories."""
    return "tokens" if capacity <= TOKENS_PER_CATEGORY * m else "multinomial"


def cumulative(probs):
    """c_i = p_1 + ... + p_i along the last axis, with c_i = c_(i-1) exactly where p_i = 0.

    Sequential additions inside blocks of 32 categories, then sequential block offsets (a tree-shaped scan, as
    ``jnp.cumsum`` uses, can round c_i above c_(i-1) for p_i = 0 and so give an absent category mass).
    """
    m, b = probs.shape[-1], _CUMULATIVE_BLOCK
    blocks = -(-m // b)
    x = jnp.pad(probs, [(0, 0)] * (probs.ndim - 1) + [(0, blocks * b - m)]).reshape(probs.shape[:-1] + (blocks, b))
    within = [x[..., 0]]
    for i in range(1, b):
        within.append(within[-1] + x[..., i])
    within = jnp.stack(within, -1)
    offsets = [jnp.zeros(within.shape[:-2])]
    for j in range(1, blocks):
        offsets.append(offsets[-1] + within[..., j - 1, -1])
    total = jnp.stack(offsets, -1)[..., None] + within
    return total.reshape(probs.shape[:-1] + (blocks * b,))[..., :m]


class Distributions(NamedTuple):
    """Rows of probabilities (D, m) and, for the token route, their cumulative sums and last positive category."""

    probs: jax.Array
    cdf: jax.Array | None
    last_positive: jax.Array | None


def prepare(probs, route: str) -> Distributions:
    """What ``route`` needs to sample from the rows of ``probs``; prepare once, draw many samples."""
    if route not in ROUTES:
        raise ValueError(f"route must be one of {ROUTES}, got {route!r}")
    if route == "multinomial":
        return Distributions(probs, None, None)
    last_positive = probs.shape[-1] - 1 - jnp.argmax(probs[:, ::-1] > 0, axis=-1)
    return Distributions(probs, cumulative(probs), last_positive)


def concatenate(first: Distributions, second: Distributions) -> Distributions:
    """The rows of two :class:`Distributions` prepared for the same route, one after the other."""
    if (first.cdf is None) != (second.cdf is None):
        raise ValueError("distributions prepared for different routes")
    joined = [None if a is None else jnp.concatenate([a, b]) for a, b in zip(first, second)]
    return Distributions(*joined)


def locate_tokens(key, cdf, last_positive, shape):
    """Categories of uniform tokens by inverse CDF: (S,) + shape indices, row s drawn from row s of ``cdf``."""
    S = cdf.shape[0]
    u = jax.random.uniform(key, (S,) + tuple(shape)).reshape(S, -1) * cdf[:, -1:]
    index = jax.vmap(lambda c, x: jnp.searchsorted(c, x, side="right"))(cdf, u)
    return jnp.minimum(index, last_positive[:, None]).reshape((S,) + tuple(shape))


def alias_tables(probs) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias tables (Vose's construction) of the rows of ``probs`` (S, m), computed once in numpy.

    Column i keeps itself with probability ``keep[s, i]`` and otherwise gives ``alias[s, i]``: a token is one
    uniform u, column floor(u m), and its fraction compared with ``keep``. A category of probability zero has
    keep 0 and is no other column's alias, so it is never drawn.
    """
    probs = np.asarray(probs, dtype=np.float64)
    S, m = probs.shape
    keep, alias = np.zeros((S, m)), np.zeros((S, m), dtype=np.int64)
    for s, row in enumerate(probs / probs.sum(-1, keepdims=True)):
        scaled = row * m
        small = [i for i in range(m) if scaled[i] < 1]
        large = [i for i in range(m) if scaled[i] >= 1]
        while small and large:
            low, high = small.pop(), large.pop()
            keep[s, low], alias[s, low] = scaled[low], high
            scaled[high] += scaled[low] - 1
            (small if scaled[high] < 1 else large).append(high)
        for i in small + large:  # left over by rounding: they keep themselves, unless they have no mass at all
            keep[s, i], alias[s, i] = (1.0, i) if row[i] > 0 else (0.0, int(np.argmax(row)))
    return keep, alias


def alias_tokens(key, keep, alias, shape):
    """(S,) + shape tokens, row s drawn from the alias tables of row s (:func:`alias_tables`)."""
    S, m = keep.shape
    u = jax.random.uniform(key, (S,) + tuple(shape)).reshape(S, -1) * m
    column = jnp.minimum(jnp.floor(u), m - 1).astype(jnp.int32)
    stays = u - column < jnp.take_along_axis(keep, column, axis=1)
    return jnp.where(stays, column, jnp.take_along_axis(alias, column, axis=1)).reshape((S,) + tuple(shape))


def token_counts(key, cdf, last_positive, sizes, capacity: int):
    """Counts of ``sizes[s]`` tokens located by inverse CDF in row s of ``cdf`` (S, m); ``capacity`` (static)
    bounds the sizes. Tokens are handled in blocks of :data:`TOKEN_BLOCK`."""
    S, m = cdf.shape
    if capacity == 0:  # sources of weight 0 only: nothing drawn
        return jnp.zeros((S, m))
    block = min(capacity, TOKEN_BLOCK)
    steps = -(-capacity // block)
    rows = jnp.broadcast_to(jnp.arange(S)[:, None], (S, block))

    def add_block(i, counts):
        index = locate_tokens(jax.random.fold_in(key, i), cdf, last_positive, (block,))
        kept = (i * block + jnp.arange(block))[None] < sizes[:, None]
        return counts.at[rows, index].add(kept.astype(counts.dtype))

    return jax.lax.fori_loop(0, steps, add_block, jnp.zeros((S, m)))


def draw_counts(key, distributions: Distributions, rows, sizes, capacity: int):
    """Multinomial(sizes[s], p_rows[s]) counts for every sample s, by the route the distributions were prepared
    for; ``rows`` (S,) picks each sample's distribution."""
    if distributions.cdf is None:
        return multinomial(key, sizes, distributions.probs[rows])
    return token_counts(key, distributions.cdf[rows], distributions.last_positive[rows], sizes, capacity)
