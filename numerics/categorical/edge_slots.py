"""The edges of W (:mod:`numerics.driver.edges`) as the categorical Monte Carlo takes them: edge e is slot s_e of its
consumer c_e (its place among c_e's edges, producers ascending), so a consumer's edges fill the first slots of a row
of D = the largest number of edges of a consumer (its in-degree in the trains-on graph).

A round draws one synthetic sample per edge, (E, m) counts, and model k's synthetic part is sum_e [c_e = k] alpha_t
W[c_e, p_e] F_e (:func:`consumer_sums`). While the rows of D slots hold about as many entries as there are edges
(:func:`compact`: a ring, a lattice, a dense W) that sum is an einsum over the padded (K, D) rows, which for a W
without zeros (D = K, slot = producer) is the dense path's einsum over (K, K) bit for bit; else (a hub that trains on
many models) a segment sum over the consumers, so memory stays O(E). A dense W and (K, K) sizes, as sweeps give
them, are all K^2 pairs in row-major order (:func:`dense_pairs`): the same samples in the same order.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.edges import Edges, all_pairs
from interplay.numerics.driver.sizes import Sizes

COMPACT = 2  # padded rows while K D <= this x E


class EdgeArrays(NamedTuple):
    """Edge e's consumer c_e (sorted), producer p_e and slot s_e, (E,) int32 arrays."""

    consumer: object
    producer: object
    slot: object


def edge_arrays(edges: Edges) -> tuple[EdgeArrays, int]:
    """(the edges' consumers, producers and slots, D the largest number of edges of a consumer, at least 1)."""
    consumer = np.asarray(edges.consumer, dtype=np.int32)
    first = np.searchsorted(consumer, consumer, side="left")  # consumers are sorted: each one's first edge
    slot = (np.arange(consumer.size) - first).astype(np.int32)
    degree = int(slot.max()) + 1 if slot.size else 1
    return EdgeArrays(consumer, np.asarray(edges.producer, dtype=np.int32), slot), degree


def dense_pairs(v, sizes: Sizes):
    """(values, sizes, edges) of a dense W (K, K) and n_synthetic (..., K, K): all K^2 pairs (k, j) in row-major
    order (:func:`numerics.driver.edges.all_pairs`), slot j of consumer k."""
    weight, consumer, producer, sizes = all_pairs(v.mixing, sizes)
    return v._replace(mixing=weight), sizes, EdgeArrays(consumer, producer, producer)


def compact(K: int, degree: int, E: int) -> bool:
    """Whether rows of ``degree`` slots hold few more entries than the E edges (:data:`COMPACT`)."""
    return K * degree <= COMPACT * max(E, 1)


def padded(values, edges: EdgeArrays, K: int, degree: int):
    """(K, degree, ...): edge e's ``values[e]`` at [c_e, s_e], 0 in the slots of no edge (a reshape where every
    consumer has ``degree`` edges: a ring, a dense W)."""
    if values.shape[0] == K * degree:
        return values.reshape((K, degree) + values.shape[1:])
    return jnp.zeros((K, degree) + values.shape[1:], values.dtype).at[edges.consumer, edges.slot].set(values)


def consumer_sums(weights, values, edges: EdgeArrays, K: int, degree: int):
    """(K, m): sum over consumer k's edges of weights[e] values[e] (``weights`` (E,), ``values`` (E, m)): an einsum
    over the padded rows where they are :func:`compact`, else a segment sum (module doc)."""
    if compact(K, degree, weights.shape[0]):
        return jnp.einsum("kd,kdi->ki", padded(weights, edges, K, degree), padded(values, edges, K, degree))
    return jax.ops.segment_sum(weights[:, None] * values, edges.consumer, num_segments=K, indices_are_sorted=True)
