"""The trains-on graph's closed classes (theory.graphs.trains_on_graph) predict what the exact moment recursion
(numerics.iterate_moments) does on random sparse graphs: with alpha = 1 (no real data after round 0) the models of a
closed class collapse (E[S_k] -> 0) and come together where the class is aperiodic (consensus: E||m_k - m_l||^2 -> 0)
or share a cyclic group of a periodic one, while models attached to different closed classes drift apart (their
limits are independent) and the variance of every mean grows; with alpha = 1/2 (real data) nothing collapses.
Gaussian d = 1, MLE, fresh real data, n = 10; K = 6 for every graph, so one compiled recursion serves them all (the
graphs are values)."""

import itertools

import numpy as np
import sympy

import interplay.numerics as numerics
from interplay.theory import Ecosystem, graph_mixing, trains_on_graph

K, ROUNDS = 6, 400
SEEDS = (23, 39, 52)  # directed Erdos-Renyi graphs with two closed classes and transient models


def ecosystem(W, alpha):
    return Ecosystem.gaussian(
        means=[[-1]] * K, public_mean=[0], covs=[[[1]]] * K, public_cov=[[2]], alpha=alpha, beta=0.5, n=10,
        mixing=W, estimator="mle", regime="fresh",
    )  # fmt: skip


def attachment(graph) -> dict[int, tuple[int, ...]]:
    """The closed classes each model trains on, eventually (its own for a model of a closed class)."""
    own = {k: (i,) for i, c in enumerate(graph.classes) for k in c.models}
    return own | graph.reaches


def test_closed_classes_without_real_data_collapse_and_drift_apart_as_the_exact_recursion_shows():
    for seed in SEEDS:
        W = graph_mixing("erdos_renyi", K, p=0.3, seed=seed, directed=True, isolated="self")
        graph = trains_on_graph(ecosystem(W, 1))
        assert len(graph.classes) == 2 and graph.transient and all(c.real_data is False for c in graph.classes)
        attached = attachment(graph)
        adrift, anchored = (
            numerics.iterate_moments(ecosystem(W, 1), ROUNDS),
            numerics.iterate_moments(ecosystem(W, 0.5), ROUNDS),
        )
        fitted = adrift.fitted_cov[-1, :, 0, 0]
        variance = adrift.mean_cov[-1, range(K), 0, range(K), 0]
        for k in range(K):
            if len(attached[k]) == 1:  # collapse: (1 - 1/n)^t ~ 5e-19 for a lone model, slower in a class
                assert fitted[k] < 1e-4, (seed, k, fitted[k])
            else:  # a mixture of two drifting classes keeps their spread
                assert fitted[k] > 0.1, (seed, k, fitted[k])
            assert variance[k] > 3 * anchored.mean_cov[-1, k, 0, k, 0], (seed, k)  # round 0: 0.15 for all
        for k, l in itertools.combinations(range(K), 2):
            spread = adrift.squared_distance(k, l)[-1]
            single = len(attached[k]) == 1 and graph.classes[attached[k][0]].period == 1
            if attached[k] == attached[l] and single:  # consensus within one aperiodic class
                assert spread < 1e-4, (seed, k, l, spread)
            elif attached[k] != attached[l]:  # independent limits
                assert spread > 0.1, (seed, k, l, spread)
        # with real data: a unique stable fixed point, reached (no collapse, no drift)
        assert np.all(anchored.fitted_cov[-1, :, 0, 0] > 1)
        classes = trains_on_graph(ecosystem(W, 0.5)).classes
        assert all(c.real_data is True and c.multiplier == sympy.Rational(1, 2) for c in classes)
        np.testing.assert_allclose(anchored.mean_cov[-1], anchored.mean_cov[-2], rtol=1e-12, atol=0)


def test_periodic_classes_keep_their_cyclic_groups_apart_as_the_exact_recursion_shows():
    """A class of period p falls into p cyclic groups, each training only on the next: with alpha = 1 the models of
    one group come together (E||m_k - m_l||^2 -> 0) and those of different groups do not (round 0's fits, passed
    round). The graph of the ecosystems notebook (a 3-cycle, a 2-cycle, a model training on both) and a ring (period
    2: the even and the odd models)."""
    six = {"edges": [[0, 1], [1, 2], [2, 0], [3, 4], [4, 3], [5, 2], [5, 3]]}  # [k, j]: model k trains on model j
    for mixing, groups in ((six, [((0,), (1,), (2,)), ((3,), (4,))]), ({"graph": "ring"}, [((0, 2, 4), (1, 3, 5))])):
        graph = trains_on_graph(ecosystem(mixing, 1))
        assert [c.groups for c in graph.classes] == groups
        words = "\n".join(graph.summary())
        assert all(f"(cyclic groups {[list(g) for g in c.groups]})" in words for c in graph.classes)
        adrift = numerics.iterate_moments(ecosystem(mixing, 1), ROUNDS)
        for c in graph.classes:
            group_of = {k: i for i, g in enumerate(c.groups) for k in g}
            for k, l in itertools.combinations(c.models, 2):
                spread = adrift.squared_distance(k, l)[-1]
                assert spread < 1e-4 if group_of[k] == group_of[l] else spread > 1, (mixing, k, l, spread)
