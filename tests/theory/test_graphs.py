"""Graphs of models (theory/graphs.py): W from edge lists, sparse matrices and named generators (exact rows summing to
1, the structure each generator promises, seeds that reproduce), the trains-on graph's closed classes checked
against a brute-force reading of the same graph (transitive closure, eigenvalues of W, periods from powers), the
real data each class receives per regime, and every bad input named by its parameter."""

import math

import numpy as np
import pytest
import scipy.sparse
import sympy
from sympy import Rational as Q

from interplay.theory import (
    Ecosystem,
    SpecError,
    graph_mixing,
    mixing_from_edges,
    trains_on_graph,
)
from interplay.theory.poisson import poisson_ecosystem

W3 = [["3/5", "2/5", 0], [0, "1/2", "1/2"], ["3/10", 0, "7/10"]]  # the sparse W of tests/numerics/gaussian MC


def gaussian(K, **options):
    return Ecosystem.gaussian(means=[[0]] * K, public_mean=[1], **({"alpha": 1, "beta": 0.5, "n": 10} | options))


def support(W) -> np.ndarray:
    return np.array([[w != 0 for w in row] for row in W.tolist()], dtype=bool)


def assert_exact_stochastic(W, K):
    assert W.shape == (K, K)
    assert all(w.is_Rational and w >= 0 for w in W)
    assert all(sum(W.row(k)) == 1 for k in range(K))


# -- W given sparse ----------------------------------------------------------------------------------------------


def test_edge_lists_and_sparse_matrices_give_the_dense_matrix():
    dense = Ecosystem.gaussian(means=[[0]] * 3, public_mean=[0], mixing=W3).mixing
    weighted = {(0, 0): "3/5", (0, 1): "2/5", (1, 1): "1/2", (1, 2): "1/2", (2, 0): "3/10", (2, 2): "7/10"}
    forms = [
        weighted,
        {"edges": [[k, j, w] for (k, j), w in weighted.items()]},
        scipy.sparse.csr_matrix(np.array([[0.6, 0.4, 0], [0, 0.5, 0.5], [0.3, 0, 0.7]])),
    ]
    for form in forms:
        assert Ecosystem.gaussian(means=[[0]] * 3, public_mean=[0], mixing=form).mixing == dense
    unweighted = mixing_from_edges(3, [[0, 1], [0, 2], [1, 0], [2, 2]])  # equal shares over in-neighbours
    assert unweighted == sympy.Matrix([[0, sympy.Rational(1, 2), sympy.Rational(1, 2)], [1, 0, 0], [0, 0, 1]])


def test_w_given_sparse_is_stored_and_described_by_its_edges():
    """A generator's or an edge list's W holds its nonzero entries only (a K = 1,000 ring: 2,000, not 10^6 sympy
    numbers); the spec describes it as edges, a form it takes back, giving the same W; a dense W stays rows."""
    ring = poisson_ecosystem([1] * 1000, 2, alpha=Q(1, 2), beta=Q(1, 2), n=10, mixing={"graph": "ring"})
    assert isinstance(ring.mixing, sympy.ImmutableSparseMatrix) and len(ring.mixing.todok()) == 2000
    assert ring.mixing[0, 999] == ring.mixing[0, 1] == Q(1, 2) and ring.mixing[0, 2] == 0
    weighted = {"edges": [[0, 0, "3/5"], [0, 1, "2/5"], [1, 1, "1/2"], [1, 2, "1/2"], [2, 0, "3/10"], [2, 2, "7/10"]]}
    sparse = Ecosystem.gaussian(means=[[0]] * 3, public_mean=[0], mixing=weighted)
    described = sparse.describe()["mixing"]
    assert described == {"edges": [[k, j, float(Q(w))] for k, j, w in weighted["edges"]]}
    assert Ecosystem.gaussian(means=[[0]] * 3, public_mean=[0], mixing=described).mixing == sparse.mixing
    assert Ecosystem.gaussian(means=[[0]] * 3, public_mean=[0], mixing=W3).describe()["mixing"] == [
        [0.6, 0.4, 0.0],
        [0.0, 0.5, 0.5],
        [0.3, 0.0, 0.7],
    ]


# -- generators -----------------------------------------------------------------------------------------------


def test_complete_ring_k_nearest_and_star_have_their_structure():
    K, third = 7, sympy.Rational(1, 3)
    assert graph_mixing("complete", K) == sympy.ones(K, K) / K  # the paper's J / K
    assert graph_mixing("complete", K, self_loops=False) == (sympy.ones(K, K) - sympy.eye(K)) / (K - 1)
    ring = graph_mixing("ring", K)
    directed = graph_mixing("ring", K, directed=True)
    lattice = graph_mixing("k_nearest", K, degree=4)
    star = graph_mixing("star", K, center=2)
    star_in = graph_mixing("star", K, center=2, hub_trains_on_leaves=False, isolated="self")
    looped = graph_mixing("ring", K, self_loops=True)
    for W in (ring, directed, lattice, star, star_in, looped):
        assert_exact_stochastic(W, K)
    for k in range(K):
        assert {j for j in range(K) if ring[k, j]} == {(k - 1) % K, (k + 1) % K}
        assert directed[k, (k - 1) % K] == 1
        assert {j for j in range(K) if lattice[k, j]} == {(k + o) % K for o in (-2, -1, 1, 2)}
        assert {j: looped[k, j] for j in range(K) if looped[k, j]} == {(k - 1) % K: third, k: third, (k + 1) % K: third}
        assert star[k, 2] == (1 if k != 2 else 0) and star_in[k, 2] == 1  # the center trains on itself alone
    assert list(star.row(2)) == [sympy.Rational(1, 6)] * 2 + [0] + [sympy.Rational(1, 6)] * 4
    assert graph_mixing("ring", 2) == sympy.Matrix([[0, 1], [1, 0]])  # the two neighbours are one model
    assert graph_mixing("k_nearest", 5, degree=3, directed=True)[0, :] == sympy.Matrix([[0, 0, third, third, third]])


def test_random_graphs_are_reproducible_by_seed_and_have_their_edge_probabilities():
    K = 40
    first = graph_mixing("erdos_renyi", K, p=0.3, seed=5, isolated="self")
    assert first == graph_mixing("erdos_renyi", K, p=0.3, seed=5, isolated="self")
    assert first != graph_mixing("erdos_renyi", K, p=0.3, seed=6, isolated="self")
    assert_exact_stochastic(first, K)
    edges = support(first) & ~np.eye(K, dtype=bool)
    assert np.array_equal(edges, edges.T)  # undirected: k trains on j iff j trains on k
    pairs = K * (K - 1) / 2  # Binomial(780, 0.3): mean 234, sd 12.8; within 4 sd
    assert abs(edges.sum() / 2 - 0.3 * pairs) < 4 * math.sqrt(pairs * 0.3 * 0.7)
    directed = support(graph_mixing("erdos_renyi", K, p=0.3, seed=5, directed=True, isolated="self"))
    assert not np.array_equal(directed, directed.T)
    assert graph_mixing("erdos_renyi", 4, p=1) == graph_mixing("complete", 4, self_loops=False)
    assert graph_mixing("erdos_renyi", 4, p=0, isolated="self") == sympy.eye(4)

    blocks = graph_mixing("stochastic_block", 8, blocks=3, p_in=1, p_out=0)  # blocks {0,1,2} {3,4,5} {6,7}
    assert_exact_stochastic(blocks, 8)
    label = [0, 0, 0, 1, 1, 1, 2, 2]
    expected = np.array([[label[k] == label[j] and k != j for j in range(8)] for k in range(8)])
    assert np.array_equal(support(blocks), expected)
    sbm = graph_mixing("stochastic_block", 30, blocks=[10, 20], p_in=0.8, p_out=0.05, seed=1, isolated="self")
    block, pair = np.arange(30) >= 10, ~np.eye(30, dtype=bool)
    inside = (block[:, None] == block[None, :]) & pair
    edges = support(sbm)
    assert edges[inside].mean() > 0.6 and edges[~inside & pair].mean() < 0.15  # 0.8 and 0.05 over 470 / 400 pairs


# -- the trains-on graph against brute force ------------------------------------------------------------------


def brute_force_classes(S: np.ndarray):
    """Closed classes and, per transient model, the closed classes it reaches, by the transitive closure of the
    support S (k reaches j by a path of >= 1 edges) computed by plain iteration; periods from powers of S, and the
    cyclic groups: group i holds the models that walks of length t = i modulo the period reach from the class's first
    model."""
    K = len(S)
    reach = S.copy()
    while True:
        wider = reach | (reach.astype(int) @ S.astype(int) > 0)
        if np.array_equal(wider, reach):
            break
        reach = wider
    mutual = reach & reach.T
    closed = []
    for k in range(K):  # k is in a closed class iff every model it reaches reaches it back
        members = np.flatnonzero(mutual[k]).tolist()
        if mutual[k, k] and set(np.flatnonzero(reach[k])) <= set(members) and members not in closed:
            closed.append(members)
    closed.sort()
    transient = sorted(set(range(K)) - {k for c in closed for k in c})
    reaches = {k: tuple(i for i, c in enumerate(closed) if reach[k, c].any()) for k in transient}
    periods, groups = [], []
    for c in closed:  # gcd of the lengths t <= 2 K of closed walks at the class's first model
        step, power, lengths, walks = S[np.ix_(c, c)].astype(int), np.eye(len(c), dtype=int), [], [(0, c[0])]
        for t in range(1, 2 * K + 1):
            power = (power @ step > 0).astype(int)
            walks += [(t, c[i]) for i in np.flatnonzero(power[0])]
            if power[0, 0]:
                lengths.append(t)
        period = int(np.gcd.reduce(lengths))
        periods.append(period)
        groups.append(tuple(tuple(sorted({k for t, k in walks if t % period == i})) for i in range(period)))
    return closed, transient, reaches, periods, groups


def random_sparse_mixing(rng, K):
    """A random sparse W with random exact weights: each model trains on a few random models (itself maybe)."""
    edges = {}
    for k in range(K):
        ins = rng.choice(K, size=rng.integers(1, 3), replace=False)
        weights = rng.integers(1, 5, size=len(ins))
        edges |= {(k, int(j)): sympy.Rational(int(w), int(weights.sum())) for j, w in zip(ins, weights)}
    return edges


def test_closed_classes_agree_with_brute_force_on_random_sparse_graphs():
    """Classes, transient models, what they reach, periods and cyclic groups equal the brute-force reading; the
    groups partition the class and a model trains only on models of the next group; the number of closed classes is
    the multiplicity of W's eigenvalue 1 and the sum of their periods the number of eigenvalues on the unit circle
    (Perron-Frobenius); W on the transient models has spectral radius < 1."""
    rng = np.random.default_rng(13)
    seen = set()
    for trial in range(40):
        K = int(rng.integers(2, 9))
        eco = gaussian(K, mixing=random_sparse_mixing(rng, K))
        graph = trains_on_graph(eco)
        S = support(eco.mixing)
        closed, transient, reaches, periods, groups = brute_force_classes(S)
        assert [list(c.models) for c in graph.classes] == closed, trial
        assert list(graph.transient) == transient and graph.reaches == reaches, trial
        assert [c.period for c in graph.classes] == periods, trial
        assert [c.groups for c in graph.classes] == groups, trial
        for c in graph.classes:
            group_of = {k: i for i, g in enumerate(c.groups) for k in g}
            assert sorted(group_of) == list(c.models), trial  # a partition of the class
            for u in c.models:
                assert all(group_of[v] == (group_of[u] + 1) % c.period for v in np.flatnonzero(S[u])), trial
        eigenvalues = np.linalg.eigvals(np.asarray(eco.mixing, dtype=float))
        assert np.sum(np.abs(eigenvalues - 1) < 1e-7) == len(closed), trial
        assert np.sum(np.abs(np.abs(eigenvalues) - 1) < 1e-7) == sum(periods), trial
        assert (graph.transient_radius is None) == (not transient)
        assert graph.transient_radius is None or graph.transient_radius < 1 - 1e-7
        seen |= {(len(closed) > 1, bool(transient), max(periods) > 1)}
    assert len(seen) >= 4  # several closed classes, transient models and periodic classes all occurred


def test_real_data_and_multipliers_per_regime():
    """reuse / fresh: a class receives real data iff alpha < 1 (its synthetic part then contracts by alpha);
    accumulate keeps round 0's real data; a symbol gives the condition; a schedule: some round with alpha_t < 1."""
    ring = {"graph": "ring"}
    anchored = trains_on_graph(gaussian(4, alpha=sympy.Rational(1, 2), mixing=ring)).classes
    assert [(c.models, c.real_data, c.multiplier, c.radius, c.period) for c in anchored] == [
        ((0, 1, 2, 3), True, sympy.Rational(1, 2), 1, 2)
    ]
    for regime in ("reuse", "fresh"):
        (adrift,) = trains_on_graph(gaussian(4, alpha=1, regime=regime, mixing=ring)).classes
        assert adrift.real_data is False and adrift.multiplier == 1 and "collapse" in adrift.fate
        assert "period 2" in adrift.fate and "2 cyclic groups" in adrift.fate
        assert adrift.groups == ((0, 2), (1, 3))
    (kept,) = trains_on_graph(gaussian(4, alpha=1, regime="accumulate", mixing=ring)).classes
    assert kept.real_data is True and kept.multiplier is None and "accumulate" in kept.fate
    alpha = sympy.Symbol("alpha", nonnegative=True)
    (symbolic,) = trains_on_graph(gaussian(3, alpha=alpha)).classes
    assert symbolic.real_data == (alpha < 1) and symbolic.multiplier == alpha
    assert trains_on_graph(gaussian(3, alpha=[1, 0.5])).classes[0].real_data is True
    assert trains_on_graph(gaussian(3, alpha=[1, 1])).classes[0].real_data is False
    two = trains_on_graph(gaussian(3, mixing={"edges": [[0, 0], [1, 1], [2, 0], [2, 1]]}))
    assert [c.models for c in two.classes] == [(0,), (1,)] and two.reaches == {2: (0, 1)}
    assert two.describe()["closed_classes"][0] | {"fate": None} == {
        "models": [0], "period": 1, "groups": [[0]], "radius": 1.0, "real_data": False, "multiplier": 1.0, "fate": None
    }  # fmt: skip
    words = "\n".join(two.summary())
    assert "2 closed class(es)" in words and "transient model 2" in words and "mixes their states" in words


# -- bad input ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build, parameter, words",
    [
        (lambda: gaussian(2, mixing=[[1, 0], [0, 0]]), "mixing", "row 1 is all zeros"),
        (lambda: gaussian(2, mixing={"edges": [[0, 1]]}), "mixing", "row 1 is all zeros"),
        (lambda: gaussian(2, mixing=[[0.5, 0.4], [0, 1]]), "mixing", "row-stochastic"),
        (lambda: gaussian(2, mixing=[[1.5, -0.5], [0, 1]]), "mixing", ">= 0"),
        (lambda: gaussian(2, mixing={(0, 0): 1.5, (0, 1): -0.5, (1, 1): 1}), "mixing", ">= 0"),
        (lambda: gaussian(3, mixing={"edges": [[0, 5, 1], [1, 1, 1], [2, 2, 1]]}), "mixing.edges[0]", "model 5"),
        (lambda: gaussian(2, mixing={"edges": [[0, -1, 1], [1, 1, 1]]}), "mixing.edges[0]", "model -1"),
        (lambda: gaussian(2, mixing={"edges": [[0, 0], [0, 0], [1, 1]]}), "mixing.edges[1]", "twice"),
        (lambda: gaussian(2, mixing={"edges": [[0, 0], [1, 1, 1]]}), "mixing.edges", "all [k, j]"),
        (lambda: gaussian(2, mixing={"edges": [[0, 0.5]]}), "mixing.edges[0]", "integer"),
        (lambda: gaussian(2, mixing={"edges": [[0, 0]], "weights": 1}), "mixing.weights", "only edges"),
        (lambda: gaussian(2, mixing={0: 1}), "mixing", "(k, j)"),
        (lambda: gaussian(2, mixing=scipy.sparse.eye(3)), "mixing", "2 x 2"),
        (lambda: graph_mixing("ring", 0), "K", ">= 1"),
        (lambda: graph_mixing("complete", 2.0), "K", ">= 1"),
        (lambda: gaussian(2, mixing={"graph": "lattice"}), "mixing.graph", "unknown graph 'lattice'"),
        (lambda: gaussian(4, mixing={"graph": "ring", "degree": 2}), "mixing.degree", "unknown parameter of the ring"),
        (lambda: gaussian(4, mixing={"graph": "erdos_renyi"}), "mixing.p", "needs p"),
        (lambda: gaussian(4, mixing={"graph": "erdos_renyi", "p": 1.5}), "mixing.p", "probability"),
        (lambda: gaussian(4, mixing={"graph": "erdos_renyi", "p": "x"}), "mixing.p", "number"),
        (lambda: gaussian(4, mixing={"graph": "erdos_renyi", "p": 0.5, "seed": -1}), "mixing.seed", ">= 0"),
        (lambda: gaussian(4, mixing={"graph": "erdos_renyi", "p": 0}), "mixing.isolated", "trains on no model"),
        (lambda: gaussian(1, mixing={"graph": "ring"}), "mixing.isolated", "model 0 of the ring graph"),
        (lambda: gaussian(4, mixing={"graph": "ring", "directed": "yes"}), "mixing.directed", "true or false"),
        (lambda: gaussian(4, mixing={"graph": "ring", "isolated": "drop"}), "mixing.isolated", "one of"),
        (lambda: gaussian(4, mixing={"graph": "complete", "self_loops": 1}), "mixing.self_loops", "true or false"),
        (lambda: gaussian(5, mixing={"graph": "k_nearest", "degree": 3}), "mixing.degree", "even degree"),
        (lambda: gaussian(4, mixing={"graph": "k_nearest", "degree": 4}), "mixing.degree", "1..K - 1 = 3"),
        (lambda: gaussian(4, mixing={"graph": "k_nearest", "degree": 2.0}), "mixing.degree", "integer"),
        (lambda: gaussian(4, mixing={"graph": "star", "center": 4}), "mixing.center", "model 4 does not exist"),
        (
            lambda: gaussian(4, mixing={"graph": "stochastic_block", "blocks": [2, 3], "p_in": 1, "p_out": 0}),
            "mixing.blocks",
            "sum to 5",
        ),
        (
            lambda: gaussian(4, mixing={"graph": "stochastic_block", "blocks": 5, "p_in": 1, "p_out": 0}),
            "mixing.blocks",
            "1..K = 4",
        ),
    ],
)
def test_bad_graphs_are_one_line_naming_the_parameter(build, parameter, words):
    with pytest.raises(SpecError) as error:
        build()
    assert error.value.parameter == parameter and words in str(error.value) and "\n" not in str(error.value)
