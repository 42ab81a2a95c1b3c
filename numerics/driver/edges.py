"""The trains-on graph as an edge list: the pairs (consumer k, producer j) with W[k, j] > 0.

A Monte Carlo of the fixed composition and the ``own`` pool draws one synthetic source per edge e = 0..E-1, of
N_e = n_synthetic[c_e, p_e] samples of model p_e's fit with weight alpha_t W[c_e, p_e], and sums each consumer's
edges with segment sums: work and memory grow as E (2K for a ring), not K^2. Edges are in row-major order
(consumer, then producer ascending), so the consumer indices are sorted, and a W without zeros gives all K^2 pairs
in the order of the dense (K, K) table (the same draws as a dense simulation). The edges are read from the
spec's exact rows (:func:`theory.spec.integer_rows`, cached): no dense float copy of W is made.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.sizes import Sizes
from interplay.theory.spec import Ecosystem, floats, integer_rows


class Edges(NamedTuple):
    """Edges e = 0..E-1 of W: consumer c_e (sorted), producer p_e (int32 arrays, (E,)) and weight W[c_e, p_e]
    (float64, (E,), each rounded once from its exact value)."""

    consumer: np.ndarray
    producer: np.ndarray
    weight: np.ndarray


def graph_edges(eco: Ecosystem) -> Edges:
    """The nonzero entries of the spec's W, row by row."""
    exact = integer_rows(eco.mixing)
    if exact is None:  # irrational entries: the dense floats (W given that way is small)
        dense = floats(eco.mixing)
        consumer, producer = np.nonzero(dense)
        return Edges(consumer.astype(np.int32), producer.astype(np.int32), dense[consumer, producer])
    scale, rows = exact
    consumer = np.repeat(np.arange(len(rows), dtype=np.int32), [len(row) for row in rows])
    producer = np.array([j for row in rows for j, _ in row], dtype=np.int32)
    weight = np.array([w / scale for row in rows for _, w in row], dtype=np.float64)  # int / int: rounded once
    return Edges(consumer, producer, weight)


def edge_count(eco: Ecosystem) -> int:
    """E, the number of nonzero entries of W."""
    exact = integer_rows(eco.mixing)
    return sum(map(len, exact[1])) if exact is not None else int(np.count_nonzero(floats(eco.mixing)))


def all_pairs(mixing, sizes: Sizes):
    """(weight (K^2,), consumer, producer, sizes) of a dense W (K, K) and sizes whose n_synthetic is (..., K, K), as
    sweeps give them: every pair (k, j) an edge, in row-major order (the order of :func:`graph_edges` for a W
    without zeros), W and n_synthetic flattened to them (jax arrays; traceable)."""
    K = mixing.shape[0]
    pairs = jnp.arange(K * K, dtype=jnp.int32)

    def flat(part):
        return part._replace(n_synthetic=part.n_synthetic.reshape(part.n_synthetic.shape[:-2] + (K * K,)))

    return jnp.reshape(mixing, (K * K,)), pairs // K, pairs % K, Sizes(flat(sizes.initial), flat(sizes.rounds))
