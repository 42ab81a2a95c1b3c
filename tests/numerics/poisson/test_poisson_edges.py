"""The Poisson Monte Carlo of the fixed composition and the ``own`` pool draws one synthetic source per edge of W
(numerics.driver.edges): for a W without zeros the edge path and the dense path draw the same numbers; for a
sparse, non-uniform W its law is still the exact recursion's; it builds no K x K table, and the dense tables that
cannot fit are refused naming K before they are built.

Tolerance: E lambda_k and Cov(lambda_k, lambda_l), k <= l, of K = 5 models at rounds 0..4 (100 comparisons),
4000 replicates, each within z = isf(0.01 / (2 x 100)) standard errors (Bonferroni, family-wise level 0.01).
Summing each edge into its producer's refit instead of its consumer's (segment sums by producer) makes it fail
(commit message).
"""

import functools
import tracemalloc

import numpy as np
import pytest
from monte_carlo_checks import assert_poisson_trajectory_agrees
from scipy import stats
from sympy import Rational as Q

import interplay.numerics.poisson as npo
from interplay.numerics.driver import limits
from interplay.numerics.driver.keys import prng_key, replicate_keys
from interplay.numerics.poisson import monte_carlo
from interplay.theory import SpecError
from interplay.theory.graphs import ring
from interplay.theory.poisson import poisson_ecosystem

W5 = [  # zeros, unequal weights; model 1 trains on itself alone
    [Q(1, 2), Q(3, 10), 0, 0, Q(1, 5)],
    [0, 1, 0, 0, 0],
    [Q(1, 10), 0, Q(3, 5), Q(3, 10), 0],
    [0, Q(1, 4), 0, 0, Q(3, 4)],
    [0, 0, Q(2, 5), Q(3, 5), 0],
]
RATES, PUBLIC_RATE = [1, 4, 2, Q(1, 2), 3], 2
ROUNDS, REPLICATES = 4, 4000


def ecosystem(mixing, **options):
    return poisson_ecosystem(RATES, PUBLIC_RATE, mixing=mixing, **options)


def test_a_w_without_zeros_draws_the_same_numbers_on_edges_and_dense():
    """The edge path (simulate: W and the sizes on its 25 edges) and the dense path (compiled_simulation: W (5, 5)
    flattened to its 25 pairs in row-major order) of one spec and one key give identical arrays."""
    entries = [[1 + (3 * k + j) % 4 for j in range(5)] for k in range(5)]
    full = [[Q(w, sum(row)) for w in row] for row in entries]
    eco = ecosystem(full, alpha=Q(3, 5), beta=Q(1, 2), n=12, regime="accumulate")
    assert limits.draws_edges(eco) and limits.sources(eco) == 25 + 5 + 1
    edged = npo.simulate(eco, 3, key=5, replicates=70).rates  # two chunks of 64, the last padded
    run, inputs = monte_carlo.compiled_simulation(eco, 3)
    dense = np.asarray(run(replicate_keys(prng_key(5)[1], 70), *inputs))
    assert edged.shape == dense.shape == (70, 4, 5)
    np.testing.assert_array_equal(edged, dense)


SPARSE = dict(alpha={"per_model": [Q(3, 10), Q(3, 5), Q(9, 10), Q(1, 2), Q(7, 10)]}, beta=Q(1, 2), n=20, regime="fresh")


def test_sparse_w_monte_carlo_matches_exact_recursion():
    eco = ecosystem(W5, **SPARSE)
    assert limits.sources(eco) == 11 + 5 + 1  # the 11 edges of W5
    exact = npo.iterate_moments(eco, ROUNDS)
    mc = npo.simulate(eco, ROUNDS, key=13, replicates=REPLICATES)
    comparisons = (ROUNDS + 1) * (5 + 5 * 6 // 2)
    assert_poisson_trajectory_agrees(mc, exact, z_limit=stats.norm.isf(0.01 / (2 * comparisons)))


@functools.cache
def ring_ecosystem(K):
    return poisson_ecosystem([1 + k % 3 for k in range(K)], 2, alpha=0.5, beta=0.5, n=100, mixing=ring(K))


def test_a_ring_builds_no_k_by_k_table():
    """At K = 1,000 the host inputs of the edge path (W and the sample sizes on the 2K edges) peak under a tenth of
    the dense path's Python allocations (W (K, K) and the sizes' K rows of K; measured: 2.2 MB, O(K), against 41
    MB), and count no dense table. The dense path runs first, so that one-time costs fall on it."""
    eco, rounds = ring_ecosystem(1000), 10
    assert monte_carlo.dense_tables(eco, rounds, edged=True) == 0
    peaks = {}
    for edged in (False, True):
        tracemalloc.start()
        _, inputs = monte_carlo._compiled(eco, rounds, "sufficient", True, None, edged)
        peaks[edged] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert inputs[0].mixing.shape == ((2000,) if edged else (1000, 1000))
        assert inputs[4].rounds.n_synthetic.shape == ((rounds, 2000) if edged else (rounds, 1000, 1000))
    assert peaks[True] < peaks[False] / 10, peaks


def test_a_budget_the_dense_tables_exceed_refuses_k_on_the_dense_path_only(monkeypatch):
    """K = 1,000, 5 rounds, 100 MiB: the mixture composition's 16 dense tables of 7.6 MiB are refused naming K
    before the sizes are computed; the ring's edge path (about 53 MiB, its chunk of replicates) passes every check
    of the same budget and builds its inputs (the run itself stopped there: its numbers are the tests' above)."""
    eco, budget = ring_ecosystem(1000), 100 * 2**20

    class Reached(Exception):
        pass

    def reached(run, keys, chunk, numbers, *inputs):
        assert numbers.mixing.shape == (2000,) and chunk == limits.REPLICATE_CHUNK
        raise Reached

    with monkeypatch.context() as patched:
        patched.setattr(monte_carlo, "run_in_chunks", reached)
        with pytest.raises(Reached):
            npo.simulate(eco, 5, key=0, replicates=3, memory=budget)

    def built(*args, **kwargs):
        raise AssertionError("the sizes were built before refusing")

    monkeypatch.setattr(monte_carlo, "spec_sizes", built)
    with pytest.raises(SpecError, match=r"K: K = 1000 models need 16 K x K float64 tables of 7.629 MiB each"):
        npo.simulate(eco.with_options(composition="mixture"), 5, key=0, replicates=3, memory=budget)
