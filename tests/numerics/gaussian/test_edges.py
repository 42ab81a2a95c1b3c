"""The fixed composition's Monte Carlo draws one synthetic source per edge of W (numerics.driver.edges): for a
sparse, non-uniform W its law is still the exact recursion's, and what the dense sizes table cannot fit is refused
naming K before it is built.

Tolerance: E m, E S and Cov m of K = 5 models at rounds 0..4, 4000 replicates, each within z = isf(0.01 / (2
comparisons)) standard errors (Bonferroni over the 175 comparisons of a setting, family-wise level 0.01).
Dropping one edge's contribution from its consumer's refit (the weight of edge 0 set to 0 in the segment sums)
makes the first setting fail (commit message)."""

import tracemalloc

import numpy as np
import pytest
from monte_carlo_checks import assert_gaussian_trajectory_agrees
from scipy import stats

import interplay.numerics as numerics
import interplay.numerics.gaussian.monte_carlo as monte_carlo
from interplay.numerics.driver import limits
from interplay.numerics.driver.edges import graph_edges
from interplay.numerics.driver.sizes import spec_sizes
from interplay.theory import Ecosystem, SpecError
from interplay.theory.graphs import ring

W5 = [  # zeros, unequal weights; model 1 trains on itself alone
    [0.5, 0.3, 0.0, 0.0, 0.2],
    [0.0, 1.0, 0.0, 0.0, 0.0],
    [0.1, 0.0, 0.6, 0.3, 0.0],
    [0.0, 0.25, 0.0, 0.0, 0.75],
    [0.0, 0.0, 0.4, 0.6, 0.0],
]
ROUNDS, REPLICATES = 4, 4000


def ecosystem(K, **options):
    means = [[(-1.0) ** k * (k + 1) * 0.5] for k in range(K)]
    covs = [[[1.0 + 0.4 * k]] for k in range(K)]
    return Ecosystem.gaussian(means=means, public_mean=[0.25], covs=covs, public_cov=[[2.0]], **options)


SETTINGS = {
    "fresh-mle-a.6-b.5": dict(alpha=0.6, beta=0.5, n=20, regime="fresh", estimator="mle"),
    "accumulate-unbiased-a.8-b1": dict(alpha=0.8, beta=1, n=30, regime="accumulate", estimator="unbiased"),
}


def test_edges_are_the_nonzero_entries_row_by_row():
    edges = graph_edges(ecosystem(5, mixing=W5, alpha=0.5, beta=0.5, n=10))
    rows, cols = np.nonzero(np.array(W5))
    np.testing.assert_array_equal(edges.consumer, rows)
    np.testing.assert_array_equal(edges.producer, cols)
    np.testing.assert_array_equal(edges.weight, np.array(W5)[rows, cols])


@pytest.mark.parametrize("name", list(SETTINGS))
def test_sparse_w_monte_carlo_matches_exact_recursion(name):
    eco = ecosystem(5, mixing=W5, **SETTINGS[name])
    exact = numerics.iterate_moments(eco, ROUNDS)
    mc = numerics.simulate(eco, ROUNDS, key=13, replicates=REPLICATES)
    K = 5
    comparisons = (ROUNDS + 1) * (K + K + K * K)
    assert_gaussian_trajectory_agrees(mc, exact, z_limit=stats.norm.isf(0.01 / (2 * comparisons)))


def test_a_round_draws_the_edges_only():
    """E + K + 1 sources a round (the memory before a run counts them): 2K edges for a ring, K^2 under the
    mixture composition, which still draws from the dense table."""
    ring_eco = ecosystem(6, mixing=ring(6), alpha=0.5, beta=0.5, n=10)
    assert limits.sources(ring_eco) == 12 + 6 + 1
    assert limits.sources(ring_eco.with_options(composition="mixture")) == 36 + 6 + 1
    assert limits.drawn_values(ring_eco, 32) == 19 * 32


def test_a_k_the_sizes_table_cannot_fit_is_refused_before_it_is_built(monkeypatch):
    """The mixture composition still draws from dense (K, K) tables: 2 of sizes on the host, W and 5 rounds' sizes
    on the device."""
    eco = ecosystem(300, mixing=ring(300), alpha=0.5, beta=0.5, n=10, composition="mixture")

    def built(*args, **kwargs):
        raise AssertionError("the sizes were built before refusing")

    monkeypatch.setattr(monte_carlo, "spec_sizes", built)
    with pytest.raises(SpecError, match=r"K: K = 300 models need 7 K x K float64 tables of 703.1 KiB each"):
        numerics.simulate(eco, 3, key=0, replicates=4, memory=10**6)


@pytest.mark.parametrize(
    "options",
    [
        dict(alpha=0.6, beta=0.5, n=20, regime="fresh"),
        dict(
            alpha={"per_model": [0.3, 0.6, 0.9, 0.5, 0.7]},
            beta=0.5,
            n={"per_model": [7, 20, 11, 30, 9]},
            regime="reuse",
            public_size=6,
        ),
        dict(alpha=[0.2, 0.7, 0.5], beta=[1, 0.5, 0.25], n=13, regime="accumulate"),  # a schedule
    ],
    ids=["fresh", "per-model-reuse", "schedule"],
)
def test_sizes_computed_on_the_edges_are_the_dense_table_on_them(options):
    """theory.rounds.sample_sizes(edges=True) never builds the K x K table; its numbers are the table's entries at
    W's nonzero entries, in the edges' order, every round and every other size unchanged."""
    eco = ecosystem(5, mixing=W5, **options)
    edges = graph_edges(eco)
    dense, on_edges = spec_sizes(eco, 3), spec_sizes(eco, 3, edges=True)
    for part, edged in ((dense.initial, on_edges.initial), (dense.rounds, on_edges.rounds)):
        np.testing.assert_array_equal(edged.n_synthetic, part.n_synthetic[..., edges.consumer, edges.producer])
        np.testing.assert_array_equal(edged.n_private, part.n_private)
        np.testing.assert_array_equal(edged.n_public, part.n_public)
    assert dense.rounds.n_synthetic[:, edges.consumer, edges.producer].min() > 0  # every edge drawn after round 0


def test_a_ring_sizes_its_edges_without_a_k_by_k_table():
    """On the edges a round's synthetic sizes are 2K numbers; the dense path builds K rows of K Python ints and a
    (K, K) float table (K = 10,000: 10^8 of each). At K = 1,000 the edge path's peak of Python allocations is under
    a twentieth of the dense path's (measured: 0.6 MB against 32 MB)."""
    K = 1000
    eco = Ecosystem.gaussian(
        means=[[(-1.0) ** k] for k in range(K)],
        public_mean=[0.0],
        covs=[[[1.0]]] * K,
        public_cov=[[1.0]],
        alpha=0.5,
        beta=0.5,
        n=100,
        mixing=ring(K),
    )
    peaks = {}
    for edges in (True, False):
        tracemalloc.start()
        sizes = spec_sizes(eco, 100, repeated=False, edges=edges)
        peaks[edges] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert sizes.rounds.n_synthetic.shape == ((2 * K,) if edges else (K, K))
    assert peaks[True] < peaks[False] / 20, peaks
