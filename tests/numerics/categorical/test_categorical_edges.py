"""The categorical Monte Carlo draws one synthetic sample per edge of W (issue 13, numerics.categorical.edge_slots):
for a W without zeros :func:`simulate`'s edge path gives the dense program's numbers bit for bit (the dense
program's numbers are those of the code before the edge path: checked when it was written); for a sparse,
non-uniform W its law is still the exact recursion's; the dense path's K x K tables are refused naming K, the edge
path builds none.

Tolerance: E p (15) and the centred products of the 15 fitted entries (120) at rounds 0..3 of K = 5 models, m = 3,
4000 replicates, each within z = isf(0.01 / (2 x 1080)) standard errors (Bonferroni over both settings' 1080
comparisons, family-wise level 0.01: 4.43). Putting each edge's sample in its producer's training set instead of
its consumer's (the edges' consumers replaced by their producers) fails both settings: max |z| 39.6 (sparse, token
lists) and 101.9 (hub, segment sums), against 3.15 and 2.28 for the code as it is (seed 31).
"""

import tracemalloc

import jax
import numpy as np
import pytest
from monte_carlo_checks import assert_categorical_trajectory_agrees
from scipy import stats

import interplay.numerics.categorical as nc
from interplay.numerics.categorical import edge_slots
from interplay.numerics.categorical import monte_carlo as categorical_mc
from interplay.numerics.driver import limits
from interplay.numerics.driver.edges import graph_edges
from interplay.numerics.driver.keys import prng_key, replicate_keys
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.graphs import ring
from interplay.theory.spec import SpecError

PRIVATE = [
    ["1/2", "1/3", "1/6"],
    ["1/5", "3/5", "1/5"],
    ["1/3", "1/3", "1/3"],
    ["1/10", "1/10", "4/5"],
    ["2/5", "0", "3/5"],
]
PUBLIC = ["1/4", "1/4", "1/2"]
SPARSE = [  # zeros, unequal weights; model 1 trains on itself alone; every consumer's edges fit 3 slots
    ["1/2", "3/10", "0", "0", "1/5"],
    ["0", "1", "0", "0", "0"],
    ["1/10", "0", "3/5", "3/10", "0"],
    ["0", "1/4", "0", "0", "3/4"],
    ["0", "0", "2/5", "3/5", "0"],
]
HUB = [  # model 0 trains on every model: rows of 5 slots would be mostly empty, so its sums are segment sums
    ["1/5", "1/5", "1/5", "1/5", "1/5"],
    ["1/2", "1/2", "0", "0", "0"],
    ["0", "0", "1", "0", "0"],
    ["0", "0", "0", "1/4", "3/4"],
    ["1", "0", "0", "0", "0"],
]
FULL = [["1/2", "1/4", "1/4"], ["1/5", "3/5", "1/5"], ["1/3", "1/6", "1/2"]]
ROUNDS, REPLICATES = 3, 4000
LAW = {  # token lists in padded slots (n = 4: samples of at most 1.5 m tokens); counts summed by segments
    "sparse-token-lists": dict(mixing=SPARSE, alpha="3/5", beta="1/2", n=4, regime="fresh"),
    "hub-counts-per-model-alpha": dict(
        mixing=HUB, alpha={"per_model": ["4/5", "1/2", "1/5", "3/5", "2/5"]}, beta="1/2", n=12, regime="accumulate"
    ),
}
SAME = {  # a W without zeros, alpha per model: token lists (the counts programs' and curation's equality with the
    #       code before the edge path was checked when it was written; the categorical tests run them on edges)
    "token-lists-per-model": dict(alpha={"per_model": ["3/5", "1/5", "1/2"]}, beta="1/2", n=4, regime="fresh"),
}


def flat(trajectory):
    T1, K, m = trajectory.mean.shape
    return trajectory.mean.reshape(T1, K * m), trajectory.cov.reshape(T1, K * m, K * m)


@pytest.mark.parametrize("name", SAME)
def test_a_w_without_zeros_draws_the_dense_programs_numbers(name):
    eco = categorical_ecosystem(PRIVATE[:3], PUBLIC, mixing=FULL, **SAME[name])
    assert limits.draws_edges(eco)
    edged = nc.simulate(eco, 2, key=7, replicates=5).probs
    run, alphas, betas, sizes = nc.compiled_simulation(eco, 2)  # W and the sizes as (K, K) tables
    assert sizes.rounds.n_synthetic.shape == (2, 3, 3)
    dense = np.asarray(run(replicate_keys(prng_key(7)[1], 5), alphas, betas, sizes))
    np.testing.assert_array_equal(edged, dense)


@pytest.mark.parametrize("name", LAW)
def test_a_sparse_w_simulated_on_its_edges_matches_the_exact_moments(name):
    eco = categorical_ecosystem(PRIVATE, PUBLIC, **LAW[name])
    edges = graph_edges(eco)
    degree = edge_slots.edge_arrays(edges)[1]
    assert edge_slots.compact(5, degree, len(edges.consumer)) == (name == "sparse-token-lists")
    mc = nc.simulate(eco, ROUNDS, key=31, replicates=REPLICATES)
    comparisons = len(LAW) * (ROUNDS + 1) * (15 + 15 * 16 // 2)
    z_limit = stats.norm.isf(0.01 / (2 * comparisons))
    assert_categorical_trajectory_agrees(mc.probs, *flat(nc.iterate_moments(eco, ROUNDS)), z_limit=z_limit)


def test_padded_and_segment_sums_agree():
    """The two ways of summing a consumer's edges (edge_slots.consumer_sums) on the same edges: equal up to the
    order of the additions."""
    edges, degree = edge_slots.edge_arrays(graph_edges(categorical_ecosystem(PRIVATE, PUBLIC, mixing=SPARSE)))
    rng = np.random.default_rng(0)
    weights, values = rng.random(len(edges.consumer)), rng.random((len(edges.consumer), 3))
    padded = edge_slots.consumer_sums(weights, values, edges, 5, degree)
    segments = edge_slots.consumer_sums(weights, values, edges, 5, 5 * degree)  # not compact: segment sums
    expected = np.zeros((5, 3))
    np.add.at(expected, edges.consumer, weights[:, None] * values)
    np.testing.assert_allclose(padded, expected, rtol=1e-15)
    np.testing.assert_allclose(segments, expected, rtol=1e-15)


def ring_ecosystem(K, **options):
    private = [["1/2", "1/4", "1/4"] if k % 2 else ["1/4", "1/4", "1/2"] for k in range(K)]
    return categorical_ecosystem(private, PUBLIC, alpha="1/2", beta="1/2", n=100, mixing=ring(K), **options)


def test_a_ring_builds_no_k_by_k_table():
    """K = 1,000 ring: the edge path's host inputs (W and the sample sizes on the 2K edges) peak under a twentieth
    of the dense path's Python allocations (measured: 0.8 MB against 41 MB) and hold no (K, K) array; a memory
    budget far below the dense path's K x K tables refuses only the dense path (the mixture composition's) naming
    K, the edge path being refused for its replicates instead."""
    K = 1000
    eco = ring_ecosystem(K)
    peaks, inputs = {}, {}
    categorical_mc._host_inputs(eco, 10, graph_edges(eco))  # first-call allocations (imports, caches) apart
    for edged in (True, False):
        tracemalloc.start()
        inputs[edged] = categorical_mc._host_inputs(eco, 10, graph_edges(eco) if edged else None)
        peaks[edged] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[True] < peaks[False] / 20, peaks
    shapes = [np.shape(x) for x in jax.tree.leaves(inputs[True])]
    assert (2 * K,) in shapes and all(shape[-2:] != (K, K) for shape in shapes), shapes
    assert categorical_mc.dense_tables(eco, 10, edged=True) == 0
    with pytest.raises(SpecError, match=r"^replicates:"):
        nc.simulate(eco, 10, key=0, replicates=1000, memory=10**8)
    with pytest.raises(SpecError, match=r"^K: K = 1000 models need 14 K x K float64 tables"):
        nc.simulate(eco.with_options(composition="mixture"), 10, key=0, replicates=1000, memory=10**8)
