"""Graphs of models: the mixing matrix W given sparse or by a named generator, and the "trains-on" graph it defines.

Model k trains on model j's outputs when W[k, j] > 0: the edge k -> j of the trains-on graph (the data flow from j
to k). W may be given (the ``mixing`` of :class:`theory.spec.Ecosystem`, also in a TOML config) as

* a K x K matrix (nested lists, a numpy array, a sympy or a scipy.sparse matrix: absent entries are 0);
* an edge list: ``{(k, j): w}``, or ``{"edges": [[k, j, w], ...]}`` (weights given) or ``{"edges": [[k, j], ...]}``
  (no weights: model k takes equal shares 1 / |in(k)| of its in-neighbours in(k) = {j : k -> j});
* a named generator, ``{"graph": name, parameter: value, ...}`` (:func:`graph_mixing`):

  ``complete``          every model trains on every other one (``self_loops`` true by default: the paper's J / K)
  ``ring``              on its two neighbours k - 1, k + 1 mod K (``directed``: on k - 1 only)
  ``k_nearest``         the ring lattice: on its ``degree`` nearest neighbours, degree / 2 on each side (even
                        ``degree``; ``directed``: on k - 1, ..., k - degree)
  ``star``              the ``center`` trains on every leaf (unless ``hub_trains_on_leaves`` is false), every leaf
                        on the center
  ``erdos_renyi``       each pair {k, j} an edge with probability ``p`` (``directed``: each ordered pair)
  ``stochastic_block``  ``blocks`` (a number of contiguous blocks of near-equal sizes, larger first, or the list
                        of their sizes); a pair within a block an edge with probability ``p_in``, across ``p_out``

  with the options every generator takes: ``self_loops`` (each model also trains on its own outputs, one more
  in-neighbour) and ``isolated``: a model with no in-neighbour is an error (``"error"``, the default) or trains on
  its own outputs alone (``"self"``: W[k, k] = 1). The random ones draw from numpy's
  ``Generator(PCG64(seed))`` (``seed``, default 0; one uniform per ordered pair, the upper triangle for undirected
  graphs), so a seed gives the same graph on every machine. Shares are exact rationals: rows sum to exactly 1.

:func:`trains_on_graph` reads the graph as a Markov chain with transition matrix W (Seneta, *Non-negative Matrices
and Markov Chains*, ch. 1): its closed classes (sets of models that train only on each other: the closed
communicating classes, the strongly connected components no edge leaves) and the transient models (the others,
which train, eventually, on one or more closed classes). W restricted to a closed class C is stochastic and
irreducible, so its spectral radius is exactly 1; restricted to the transient models it is below 1. Whether a
class is anchored depends on the real data its models receive after the initial fit: under ``reuse`` and
``fresh`` the real share of model k at round t is 1 - alpha_t (beta only splits it between private and public data,
and a reused dataset that a later beta weighs always has samples), so a class receives real data iff alpha_t < 1 (then
its synthetic part, alpha W_C, has spectral radius alpha < 1: it contracts, a unique stable fixed point). With alpha
given per model (``{"per_model": [...]}``) a class receives real data iff one of its models has alpha_k < 1: its
synthetic part diag(alpha) W_C is then an irreducible substochastic matrix with a row summing below 1, of spectral
radius below 1 (computed). With alpha = 1 nothing anchors it: at finite n its parameters random-walk (collapse), and
in the population limit its models never forget their initial fits: no unique fixed point. An aperiodic class drifts
together (a consensus of the initial fits in the population limit). A class of period p falls into p cyclic groups
(models a number of edges apart that is a multiple of p, Seneta ch. 1): a model trains on the next group only, so the
groups pass their states round with period p; at finite n the models of one group drift together, those of different
groups need not. Under
``accumulate`` the union of all rounds keeps round 0's real data (weight at least 1 / (t + 1)), so every class
keeps an anchor (Gerstgrasser et al. 2024, arXiv 2404.01413: accumulating data avoids collapse; the exact Gaussian
recursion at alpha = 1 keeps E[S] and Var(m) bounded). A transient model that trains on several closed classes mixes
their states: where they drift apart, its fit keeps their spread.

Under the ``split`` pool (:mod:`theory.pools`) a model trains on a random slice of all models' pooled outputs, so its
transitions are not W but the pool's shares: the matrix 1 p^T (:func:`transitions`, p_j = sum_k w_kj / sum_kj w_kj
at round 1 in the population limit), whose support is every model j that some model scrapes: one closed class (all
of them train on it), the other models transient.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse
import sympy
from scipy.sparse.csgraph import breadth_first_order, connected_components

from interplay.theory.spec import (
    Ecosystem,
    SpecError,
    exact,
    floats,
    is_numeric,
    matrix,
    model_value,
    round_values,
    show,
)

ISOLATED = ("error", "self")


# -- W from an edge list or a generator --------------------------------------------------------------------------


def _model_count(K) -> int:
    if isinstance(K, bool) or not isinstance(K, int | np.integer) or K < 1:
        raise SpecError("K", f"the number of models must be an integer >= 1, got {K!r}")
    return int(K)


def _index(value, K: int, parameter: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise SpecError(parameter, f"a model index must be an integer, got {value!r}")
    if not 0 <= value < K:
        raise SpecError(parameter, f"model {value} does not exist (K = {K} models: 0..{K - 1})")
    return int(value)


def mixing_from_edges(K: int, edges) -> sympy.ImmutableSparseMatrix:
    """W from an edge list: ``{(k, j): w}`` or a sequence of ``(k, j, w)`` (W[k, j] = w, the rest 0) or of
    ``(k, j)`` (equal shares over each model's in-neighbours). Rows are checked by :class:`theory.spec.Ecosystem`
    (non-negative, summing to exactly 1, none empty)."""
    K = _model_count(K)
    if isinstance(edges, Mapping):
        items = [((*key, w) if isinstance(key, tuple) else (key, w)) for key, w in edges.items()]
    elif isinstance(edges, list | tuple):
        items = list(edges)
    else:
        raise SpecError("mixing.edges", f"expected a list of [k, j] or [k, j, weight] edges, got {edges!r}")
    lengths = {len(e) if isinstance(e, list | tuple) else None for e in items}
    if not items or None in lengths or not lengths <= {2, 3} or len(lengths) != 1:
        raise SpecError(
            "mixing.edges", "give one or more edges, all [k, j] (equal shares) or all [k, j, weight] (k trains on j)"
        )
    weighted = lengths == {3}
    entries: dict[tuple[int, int], object] = {}
    for i, edge in enumerate(items):
        parameter = f"mixing.edges[{i}]"
        k, j = _index(edge[0], K, parameter), _index(edge[1], K, parameter)
        if (k, j) in entries:
            raise SpecError(parameter, f"the edge {k} -> {j} is given twice")
        entries[(k, j)] = exact(edge[2], parameter) if weighted else 1
    if not weighted:
        degree = np.bincount([k for k, _ in entries], minlength=K)
        entries = {(k, j): sympy.Rational(1, int(degree[k])) for k, j in entries}
    return sympy.ImmutableSparseMatrix(K, K, {key: w for key, w in entries.items() if w != 0})


def _flag(value, name: str, graph: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(f"mixing.{name}", f"the {graph} graph's {name} must be true or false, got {value!r}")
    return value


def _integer(value, name: str, graph: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise SpecError(f"mixing.{name}", f"the {graph} graph's {name} must be an integer, got {value!r}")
    return int(value)


def _probability(value, name: str, graph: str) -> float:
    p = exact(value, f"mixing.{name}")
    if not p.is_number or not 0 <= p <= 1:
        raise SpecError(f"mixing.{name}", f"the {graph} graph's {name} must be a probability in [0, 1], got {value!r}")
    return float(p)


def _from_neighbours(
    neighbours: list[set[int]], self_loops: bool, isolated: str, graph: str
) -> sympy.ImmutableSparseMatrix:
    """W with equal shares over each model's in-neighbours (itself too with ``self_loops``)."""
    self_loops = _flag(self_loops, "self_loops", graph)
    if not isinstance(isolated, str) or isolated not in ISOLATED:
        raise SpecError("mixing.isolated", f"must be one of {ISOLATED}, got {isolated!r}")
    K = len(neighbours)
    W = {}
    for k, ins in enumerate(neighbours):
        ins = set(ins) | ({k} if self_loops else set())
        if not ins:
            if isolated == "error":
                raise SpecError(
                    "mixing.isolated",
                    f'model {k} of the {graph} graph (K = {K}) trains on no model; give isolated = "self" (it '
                    "trains on its own outputs) or self_loops = true",
                )
            ins = {k}
        for j in ins:
            W[k, j] = sympy.Rational(1, len(ins))
    return sympy.ImmutableSparseMatrix(K, K, W)


def complete(K: int, *, self_loops: bool = True, isolated: str = "error") -> sympy.ImmutableSparseMatrix:
    """Every model trains on every other one, and on itself with ``self_loops`` (then W = J / K)."""
    return _from_neighbours([set(range(K)) - {k} for k in range(K)], self_loops, isolated, "complete")


def _lattice(K: int, offsets, directed: bool, graph: str) -> list[set[int]]:
    signs = (1,) if _flag(directed, "directed", graph) else (1, -1)
    return [{(k - s * o) % K for o in offsets for s in signs} - {k} for k in range(K)]


def ring(
    K: int, *, directed: bool = False, self_loops: bool = False, isolated: str = "error"
) -> sympy.ImmutableSparseMatrix:
    """Model k trains on k - 1 and k + 1 (mod K; one neighbour at K = 2), or on k - 1 alone when ``directed``."""
    return _from_neighbours(_lattice(K, [1], directed, "ring"), self_loops, isolated, "ring")


def k_nearest(
    K: int, *, degree: int, directed: bool = False, self_loops: bool = False, isolated: str = "error"
) -> sympy.ImmutableSparseMatrix:
    """The ring lattice: model k trains on k +- 1, ..., k +- degree / 2 (``degree`` even), or on k - 1, ...,
    k - degree when ``directed``; 1 <= degree <= K - 1."""
    degree = _integer(degree, "degree", "k_nearest")
    if not 1 <= degree <= K - 1:
        raise SpecError("mixing.degree", f"the k_nearest graph's degree must lie in 1..K - 1 = {K - 1}, got {degree}")
    if not _flag(directed, "directed", "k_nearest") and degree % 2:
        raise SpecError("mixing.degree", f"an undirected ring lattice needs an even degree, got {degree}")
    offsets = range(1, (degree if directed else degree // 2) + 1)
    return _from_neighbours(_lattice(K, offsets, directed, "k_nearest"), self_loops, isolated, "k_nearest")


def star(
    K: int, *, center: int = 0, hub_trains_on_leaves: bool = True, self_loops: bool = False, isolated: str = "error"
) -> sympy.ImmutableSparseMatrix:
    """Every leaf trains on the ``center``; the center trains on every leaf (unless ``hub_trains_on_leaves`` is
    false: then it has no in-neighbour but itself, see ``isolated``)."""
    center = _index(center, K, "mixing.center")
    neighbours = [{center} if k != center else set() for k in range(K)]
    if _flag(hub_trains_on_leaves, "hub_trains_on_leaves", "star"):
        neighbours[center] = set(range(K)) - {center}
    return _from_neighbours(neighbours, self_loops, isolated, "star")


def _random_pairs(probability: np.ndarray, seed: int, directed: bool, graph: str) -> list[set[int]]:
    """In-neighbours: k -> j with probability[k, j], one uniform per ordered pair from Generator(PCG64(seed)); an
    undirected graph uses the upper triangle for both directions."""
    K = len(probability)
    uniform = np.random.Generator(np.random.PCG64(seed)).random((K, K))
    if not _flag(directed, "directed", graph):
        uniform = np.triu(uniform, 1) + np.triu(uniform, 1).T
    edge = (uniform < probability) & ~np.eye(K, dtype=bool)
    return [set(np.flatnonzero(row).tolist()) for row in edge]


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError("mixing.seed", f"must be an integer >= 0, got {seed!r}")
    return int(seed)


def erdos_renyi(
    K: int, *, p, seed: int = 0, directed: bool = False, self_loops: bool = False, isolated: str = "error"
) -> sympy.ImmutableSparseMatrix:
    """Each pair {k, j} (each ordered pair when ``directed``) an edge with probability ``p``."""
    p = _probability(p, "p", "erdos_renyi")
    neighbours = _random_pairs(np.full((K, K), p), _seed(seed), directed, "erdos_renyi")
    return _from_neighbours(neighbours, self_loops, isolated, "erdos_renyi")


def block_sizes(K: int, blocks) -> list[int]:
    """The sizes of the stochastic block graph's blocks: ``blocks`` given as sizes summing to K, or as a number
    of contiguous blocks of near-equal sizes (the larger first)."""
    if isinstance(blocks, list | tuple):
        if not blocks or any(isinstance(b, bool) or not isinstance(b, int | np.integer) or b < 1 for b in blocks):
            raise SpecError("mixing.blocks", f"block sizes must be integers >= 1, got {blocks!r}")
        if sum(blocks) != K:
            raise SpecError("mixing.blocks", f"block sizes {list(blocks)} sum to {sum(blocks)}, not K = {K}")
        return [int(b) for b in blocks]
    if isinstance(blocks, bool) or not isinstance(blocks, int | np.integer) or not 1 <= blocks <= K:
        raise SpecError("mixing.blocks", f"give a number of blocks in 1..K = {K} or their sizes, got {blocks!r}")
    return [K // blocks + (b < K % blocks) for b in range(blocks)]


def stochastic_block(
    K: int,
    *,
    blocks,
    p_in,
    p_out,
    seed: int = 0,
    directed: bool = False,
    self_loops: bool = False,
    isolated: str = "error",
) -> sympy.ImmutableSparseMatrix:
    """Models in contiguous blocks (:func:`block_sizes`); a pair within a block an edge with probability ``p_in``,
    across blocks ``p_out``."""
    label = np.repeat(np.arange(len(sizes := block_sizes(K, blocks))), sizes)
    inside, across = _probability(p_in, "p_in", "stochastic_block"), _probability(p_out, "p_out", "stochastic_block")
    probability = np.where(label[:, None] == label[None, :], inside, across)
    neighbours = _random_pairs(probability, _seed(seed), directed, "stochastic_block")
    return _from_neighbours(neighbours, self_loops, isolated, "stochastic_block")


GRAPHS = {
    "complete": complete,
    "ring": ring,
    "k_nearest": k_nearest,
    "star": star,
    "erdos_renyi": erdos_renyi,
    "stochastic_block": stochastic_block,
}


def graph_mixing(name: str, K: int, **parameters) -> sympy.ImmutableSparseMatrix:
    """The row-stochastic W of the named generator (see the module doc) for K models, in exact rationals."""
    if not isinstance(name, str) or name not in GRAPHS:
        raise SpecError("mixing.graph", f"unknown graph {name!r} (known: {', '.join(GRAPHS)})")
    K = _model_count(K)
    generator = GRAPHS[name]
    signature = inspect.signature(generator).parameters
    known = [p for p in signature if p != "K"]
    for parameter in parameters:
        if parameter not in known:
            raise SpecError(f"mixing.{parameter}", f"unknown parameter of the {name} graph (known: {', '.join(known)})")
    for parameter in known:
        if signature[parameter].default is inspect.Parameter.empty and parameter not in parameters:
            raise SpecError(f"mixing.{parameter}", f"the {name} graph needs {parameter}")
    return generator(K, **parameters)


def mixing_matrix(value, K: int) -> sympy.MatrixBase:
    """Any accepted form of W (see the module doc) as an exact K x K matrix (not yet checked stochastic)."""
    if isinstance(value, Mapping) and "graph" in value:
        parameters = dict(value)
        return graph_mixing(parameters.pop("graph"), K, **parameters)
    if isinstance(value, Mapping) and "edges" in value:
        if set(value) != {"edges"}:
            extra = sorted(set(value) - {"edges"})
            raise SpecError(f"mixing.{extra[0]}", "an edge list takes only edges = [[k, j, weight], ...]")
        return mixing_from_edges(K, value["edges"])
    if isinstance(value, Mapping):
        if not all(isinstance(key, tuple) and len(key) == 2 for key in value):
            raise SpecError("mixing", 'a mapping of W is {(k, j): weight}, {"edges": [...]} or {"graph": name, ...}')
        return mixing_from_edges(K, value)
    if scipy.sparse.issparse(value):
        if value.shape != (K, K):
            raise SpecError("mixing", f"must be {K} x {K} for K = {K} models, got shape {value.shape}")
        return mixing_from_edges(K, {key: w.item() for key, w in value.todok().items()})
    return matrix(value, "mixing")


# -- the trains-on graph -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosedClass:
    """Models that train only on each other's outputs (a closed communicating class of W).

    ``radius``: the spectral radius of W restricted to the class, exactly 1 (an irreducible stochastic matrix);
    ``groups``: its cyclic groups, one per unit of its period p (a model trains only on models of the next group;
    one group when p = 1); ``period``: p, the gcd of its cycle lengths (its models cycle with this period where
    nothing damps them);
    ``real_data``: whether its models receive real data after round 0 (a sympy condition when alpha is a
    symbol); ``multiplier``: the spectral radius of its synthetic part diag(alpha) W_C per round, alpha where its
    models' alphas are equal (None under
    ``accumulate`` or a schedule, where the map depends on the round); ``fate``: what follows, in words.
    """

    models: tuple[int, ...]
    groups: tuple[tuple[int, ...], ...]
    radius: sympy.Expr
    real_data: object
    multiplier: object
    fate: str

    @property
    def period(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class TrainsOnGraph:
    """The trains-on graph of an ecosystem (:func:`trains_on_graph`): the edges k -> j (W[k, j] != 0), its closed
    classes, the transient models (in no closed class), the closed classes each transient model trains on,
    eventually (indices into ``classes``), and the spectral radius of W restricted to the transient models (a
    float, below 1; None when there are none)."""

    K: int
    edges: tuple[tuple[int, int], ...]
    classes: tuple[ClosedClass, ...]
    transient: tuple[int, ...]
    reaches: dict[int, tuple[int, ...]]
    transient_radius: float | None

    def describe(self) -> dict:
        """Plain JSON-friendly data (conditions as strings; ``edges``: their number, W itself is in the spec)."""

        def plain(value):
            if value is None or isinstance(value, bool | int | float):
                return value
            value = sympy.sympify(value)
            if value in (sympy.true, sympy.false):
                return bool(value)
            return float(value) if value.is_number else str(value)

        return {
            "K": self.K,
            "edges": len(self.edges),
            "closed_classes": [
                {
                    "models": list(c.models),
                    "period": c.period,
                    "groups": [list(g) for g in c.groups],
                    "radius": plain(c.radius),
                    "real_data": plain(c.real_data),
                    "multiplier": plain(c.multiplier),
                    "fate": c.fate,
                }
                for c in self.classes
            ],
            "transient": list(self.transient),
            "reaches": {str(k): list(v) for k, v in self.reaches.items()},
            "transient_radius": self.transient_radius,
        }

    def summary(self) -> list[str]:
        """The graph in words, one line each."""
        lines = [
            f"{self.K} models, {len(self.edges)} trains-on edges, {len(self.classes)} closed class(es) "
            f"(the multiplicity of W's eigenvalue 1), {len(self.transient)} transient model(s)"
        ]
        for i, c in enumerate(self.classes):
            cyclic = f" (cyclic groups {[list(g) for g in c.groups]})" if c.period > 1 else ""
            lines.append(
                f"closed class {i}: models {list(c.models)}, period {c.period}{cyclic}, radius of W on it 1: {c.fate}"
            )
        for k in self.transient:
            several = len(self.reaches[k]) > 1
            mixes = "; it mixes their states (where they drift apart, its fit keeps their spread)" if several else ""
            lines.append(f"transient model {k}: trains, eventually, on closed class(es) {list(self.reaches[k])}{mixes}")
        if self.transient_radius is not None:
            lines.append(
                f"W restricted to the transient models has spectral radius {self.transient_radius:.6g} < 1: they "
                "forget their own start and follow the closed classes they train on"
            )
        return lines


def _class_alphas(eco: Ecosystem, members: list[int]) -> list:
    """alpha_t of each of the class's models in each round."""
    return [model_value(a, k) for a in round_values(eco.alpha) for k in members]


def _real_data(eco: Ecosystem, members: list[int]):
    """Whether the class's models receive real data after round 0 (see the module doc): a bool, or a sympy condition
    when alpha is a symbol: some alpha_t of one of its models below 1."""
    if eco.regime == "accumulate":
        return True
    conditions = [sympy.Lt(a, 1) if not a.is_number else bool(a < 1) for a in _class_alphas(eco, members)]
    return sympy.Or(*conditions) if any(isinstance(c, sympy.Basic) for c in conditions) else any(conditions)


def _cyclic_groups(members: list[int], support: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """The class's cyclic groups: its period p is the gcd over its edges u -> v of level(u) + 1 - level(v), levels
    from a breadth-first search, and group i holds the models of level = i modulo p (Seneta, ch. 1)."""
    level = {members[0]: 0}
    frontier = [members[0]]
    while frontier:
        following = []
        for u in frontier:
            for v in np.flatnonzero(support[u]).tolist():
                if v not in level:
                    level[v] = level[u] + 1
                    following.append(v)
        frontier = following
    period = int(np.gcd.reduce([level[u] + 1 - level[v] for u in members for v in np.flatnonzero(support[u]).tolist()]))
    return tuple(tuple(sorted(k for k in members if level[k] % period == i)) for i in range(period))


def _fate(eco: Ecosystem, members: list[int], real_data, period: int) -> tuple[object, str]:
    """(the multiplier of the class's synthetic part, its spectral radius: alpha, or that of diag(alpha) W_C where
    its models' alphas differ; None under accumulate or a schedule; the consequence in words)."""
    if eco.regime == "accumulate":
        return None, (
            "receives real data: under accumulate the union keeps round 0's real data (weight >= 1/(t + 1)), so it "
            "does not collapse"
        )
    if not eco.is_constant:
        return None, (
            "receives real data at the rounds where alpha_t < 1 (a schedule: the map depends on the round)"
            if real_data
            else "receives no real data after round 0 (alpha_t = 1 in every round): it drifts (collapse)"
        )
    alphas = set(_class_alphas(eco, members))
    alpha = alphas.pop() if len(alphas) == 1 else None
    cycle = (
        f"its {period} cyclic groups (each trains on the next) pass their states round with period {period}: "
        "the models of one group drift together, those of different groups need not; in the population limit the "
        "groups cycle their initial fits"
    )
    consensus = "its models drift together; in the population limit they settle on a consensus of their initial fits"
    unanchored = (
        "no real data after round 0: W on it is stochastic (radius 1), nothing anchors it; at finite n the variance "
        f"of its models' parameters grows every round (collapse) and {cycle if period > 1 else consensus}: no "
        "unique fixed point"
    )
    if alpha is None and not all(a.is_number for a in eco.alpha):
        return None, f"if {real_data}: anchored, its synthetic part diag(alpha) W contracts; else: {unanchored}"
    if alpha is None:
        block = np.diag([float(eco.alpha[k]) for k in members]) @ floats(transitions(eco).extract(members, members))
        radius = float(np.max(np.abs(np.linalg.eigvals(block))))
        anchored = (
            f"real share 1 - alpha_k for its models with alpha_k < 1; its synthetic part diag(alpha) W contracts by "
            f"its spectral radius {radius:.6g} < 1 per round: no collapse"
        )
        return radius, anchored if real_data else unanchored
    anchored = (
        f"real share 1 - alpha per round; its synthetic part contracts by alpha = {show(alpha)} < 1 per round: "
        "no collapse"
    )
    if real_data is True:
        return alpha, anchored
    if real_data is False:
        return alpha, unanchored
    return alpha, f"if {real_data}: {anchored}; if alpha = 1: {unanchored}"


def transitions(eco: Ecosystem) -> sympy.MatrixBase:
    """The trains-on graph's transition matrix: W, or under the ``split`` pool 1 p^T, every model mixing by the
    pool's shares (:func:`theory.pools.split_shares` of round 1 in the population limit, exact)."""
    if eco.pool != "split":
        return eco.mixing
    from interplay.theory.pools import split_shares  # it imports theory.rounds, which imports theory.spec
    from interplay.theory.rounds import plan_at

    shares = split_shares(plan_at(eco, 1, population=True))
    return sympy.ImmutableMatrix(sympy.ones(eco.K, 1) @ shares.applyfunc(sympy.simplify))


def trains_on_graph(eco: Ecosystem) -> TrainsOnGraph:
    """The trains-on graph of ``eco`` read as a Markov chain with transition matrix W (see the module doc): its
    closed classes, which receive real data and what follows for collapse and for the spectral radius. A
    symbolic entry of W counts as an edge unless it is zero."""
    K = eco.K
    mixing = transitions(eco)
    support = np.array([[w.is_zero is not True for w in row] for row in mixing.tolist()], dtype=bool)
    count, label = connected_components(scipy.sparse.csr_matrix(support), directed=True, connection="strong")
    components = [np.flatnonzero(label == c).tolist() for c in range(count)]
    closed = [m for m in components if all(set(np.flatnonzero(support[u]).tolist()) <= set(m) for u in m)]
    closed.sort()
    classes = []
    for members in closed:
        groups = _cyclic_groups(members, support)
        real_data = _real_data(eco, members)
        multiplier, fate = _fate(eco, members, real_data, len(groups))
        classes.append(ClosedClass(tuple(members), groups, sympy.Integer(1), real_data, multiplier, fate))
    transient = sorted(set(range(K)) - {k for m in closed for k in m})
    graph = scipy.sparse.csr_matrix(support)
    reached = {k: set(breadth_first_order(graph, k, return_predecessors=False).tolist()) for k in transient}
    reaches = {k: tuple(i for i, m in enumerate(closed) if set(m) & reached[k]) for k in transient}
    radius = None
    if transient and is_numeric(mixing.extract(transient, transient)):
        block = np.asarray(mixing.extract(transient, transient).evalf(), dtype=float)
        radius = float(np.max(np.abs(np.linalg.eigvals(block))))
    edges = tuple((int(k), int(j)) for k, j in zip(*np.nonzero(support)))
    return TrainsOnGraph(K, edges, tuple(classes), tuple(transient), reaches, radius)
