"""Sample sizes as data: the compiled functions receive them, they never round anything themselves.

Every round's sample sizes (n apportioned to the sources' weights by largest remainder, 0 for a weight of 0: a source
of weight 0 is not sampled, and every quotient by its size is ``per_sample``'s 0, :mod:`theory.ops`) are computed
once, in exact arithmetic, on the host by :func:`theory.rounds.sample_sizes`, and passed into the jitted (and vmapped)
functions as float64 arrays of exact integers next to alpha_t and beta_t. So the exact recursions, every Monte Carlo
path and the sweeps use the theory's numbers: quotas of 31.5 and 3.5 samples tie exactly everywhere (a float
computation of 0.7 x 0.1 x 50 gives 3.4999999999999996 and would lose the tie).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.theory.rounds import FROM_SPEC, RoundSizes, sample_sizes
from interplay.theory.spec import Ecosystem, SpecError


class Sizes(NamedTuple):
    """The sample sizes of a run, each a :class:`theory.rounds.RoundSizes` of float64 arrays: ``initial`` of
    round 0, ``rounds`` of the update rounds t = 1..T (leading axis T; without it, for a constant schedule, the
    one size of every update round)."""

    initial: RoundSizes
    rounds: RoundSizes


def _arrays(sizes: RoundSizes, edges: bool = False) -> RoundSizes:
    """Python ints (or sympy.oo) -> float64 arrays: n_private (K, 1), n_public (K, 1), n_synthetic (K, K), or with
    ``edges`` its rows on W's nonzero entries one after the other, (E,) in the edges' order
    (:mod:`numerics.driver.edges`)."""
    private, public = (np.asarray(x, dtype=np.float64) for x in sizes[:2])
    if edges:
        synthetic = np.fromiter(itertools.chain.from_iterable(sizes.n_synthetic), dtype=np.float64)
    else:
        synthetic = np.asarray(sizes.n_synthetic, dtype=np.float64)
    return RoundSizes(private, public, synthetic)


def _stack(rounds: list[RoundSizes]) -> RoundSizes:
    return RoundSizes(*(np.stack(parts) for parts in zip(*rounds)))


def run_sizes(eco: Ecosystem, alphas, betas, *, n=FROM_SPEC, constant: bool = False, edges: bool = False) -> Sizes:
    """The sizes of rounds 0..T for alpha_t, beta_t, t = 1..T (exact values, or floats taken at their exact value).

    beta_1 = betas[0] (the spec's own when T = 0) weighs the initial fit and sizes the reused real data. With
    ``constant``, ``alphas`` and ``betas`` are single values and every update round has the same sizes. With
    ``edges``, n_synthetic holds the sizes on W's edges only, (..., E) (:func:`theory.rounds.sample_sizes`): no
    K x K table is built.
    """
    if constant:
        alphas, betas = [alphas], [betas]
    beta_1 = betas[0] if len(betas) else eco.beta_at(1)
    table: dict = {}  # the sizes of each distinct (alpha, beta): a constant schedule is computed once

    def at(alpha, beta):
        key = (alpha, beta)
        if key not in table:
            sizes = sample_sizes(eco, alpha, beta, initial=False, n=n, initial_beta=beta_1, edges=edges)
            table[key] = _arrays(sizes, edges)
        return table[key]

    initial = _arrays(sample_sizes(eco, 0, beta_1, initial=True, n=n, initial_beta=beta_1, edges=edges), edges)
    rounds = [at(a, b) for a, b in zip(alphas, betas)]
    if constant:
        return Sizes(initial, rounds[0])
    if not rounds:
        return Sizes(initial, RoundSizes(*(np.zeros((0,) + np.shape(x)) for x in initial)))
    return Sizes(initial, _stack(rounds))


def spec_sizes(eco: Ecosystem, rounds: int, repeated: bool = True, edges: bool = False) -> Sizes:
    """The sizes of the spec's own schedule over rounds 0..``rounds`` (its exact alpha_t, beta_t); a constant
    schedule's one size of every update round is repeated along a leading axis of length ``rounds`` unless not
    ``repeated`` (then it is held once: memory that does not grow with the rounds); ``edges``: n_synthetic on W's
    edges (:func:`run_sizes`)."""
    if eco.is_constant:  # one computation, repeated over the rounds
        sizes = run_sizes(eco, eco.alpha_at(1), eco.beta_at(1), constant=True, edges=edges)
        if not repeated:
            return sizes
        return sizes._replace(rounds=RoundSizes(*(np.broadcast_to(x, (rounds,) + x.shape) for x in sizes.rounds)))
    ts = range(1, rounds + 1)
    return run_sizes(eco, [eco.alpha_at(t) for t in ts], [eco.beta_at(t) for t in ts], edges=edges)


def stack_runs(runs: list[Sizes]) -> Sizes:
    """Sizes of several runs (e.g. the points of a sweep) stacked along a new leading axis."""
    return jax.tree.map(lambda *parts: np.stack(parts), *runs)


def device(sizes: Sizes) -> Sizes:
    """The arrays as jax float64 arrays."""
    return jax.tree.map(jnp.asarray, sizes)


def per_round(sizes: Sizes, rounds: int) -> Sizes:
    """A constant run's sizes with the update rounds' repeated along a leading axis of length ``rounds``."""
    return sizes._replace(rounds=jax.tree.map(lambda x: jnp.broadcast_to(x, (rounds,) + jnp.shape(x)), sizes.rounds))


def mixture_size(n_synthetic):
    """N_syn of each model under the ``mixture`` composition, (..., K) from n_synthetic (..., K, K): its expected
    counts W[k, j] N_syn (:func:`theory.rounds.sample_sizes`) summed, their float64 sum rounded to the whole number
    it is (numpy or jax arrays)."""
    return n_synthetic.sum(-1).round()


def split_pool_size(eco: Ecosystem) -> int:
    """A static bound on the ``split`` pool's M = sum_k N_k for any alpha and beta: sum_k max(n_k, K + 2) (a
    training set holds n_k samples, or one per source where n_k is smaller than their number: :mod:`theory.rounds`)."""
    return sum(max(n, eco.K + 2) for n in eco.training_sizes)


def split_pool_share(eco: Ecosystem, per_position: int, per: int = 1) -> int:
    """The split pool's positions (:func:`split_pool_size`), ``per_position`` numbers each, spread over the K^2
    synthetic sources that :func:`numerics.driver.limits.drawn_values` counts, per ``per`` (a dimension or a
    category): ceil(P per_position / (K^2 per)); 0 without a split pool."""
    if eco.pool != "split" or eco.n is None:
        return 0
    return -(-split_pool_size(eco) * per_position // (eco.K**2 * per))


def largest(sizes: Sizes, mixture: bool = False) -> dict[str, int]:
    """The largest size of each kind of source over the rounds (static array bounds), as Python ints. ``mixture``:
    a model's synthetic part is one sample of :func:`mixture_size` N_syn (the row sums of n_synthetic, also the
    size of a model's slice of the ``split`` pool)."""
    kinds = {"private": "n_private", "public": "n_public", "synthetic": "n_synthetic"}

    def of(part, field):
        values = getattr(part, field)
        return mixture_size(values) if mixture and field == "n_synthetic" else values

    return {
        kind: int(max(np.max(of(sizes.initial, field)), np.max(of(sizes.rounds, field), initial=0)))
        for kind, field in kinds.items()
    }


def public_levels(sizes: Sizes) -> int:
    """The largest number of distinct public sizes N_public,k among the models in any round of ``sizes`` (at least
    1): the places at which the models' prefixes of the round's one public sample end (:mod:`theory.rounds`), a
    static bound on the public sample's increments."""

    def distinct(n_public):  # (..., K, 1) -> per round
        ordered = np.sort(np.asarray(n_public).reshape(np.shape(n_public)[:-2] + (-1,)), axis=-1)
        return 1 + np.count_nonzero(np.diff(ordered, axis=-1), axis=-1)

    return int(max(np.max(distinct(sizes.initial.n_public)), np.max(distinct(sizes.rounds.n_public), initial=1)))


def public_increments(n_public, levels: int):
    """(ends, counts) of the round's one public sample, in the compiled program: the distinct public sizes N_k of the
    models (K,) in increasing order, padded with the largest to ``levels`` entries (:func:`public_levels`, or any
    larger bound: the increments are array shapes), and the draws each adds to the previous prefix (N_(1), N_(2) -
    N_(1), ...; 0 for the padding): independent samples. Model k's prefix ends at ``jnp.searchsorted(ends, N_k)``.
    Models of equal N_k share one prefix, so alike models draw one public sample, not K increments of which K - 1
    are empty."""
    ends = jnp.unique(n_public, size=levels, fill_value=jnp.max(n_public))
    return ends, jnp.diff(ends, prepend=0.0)


def static_sizes(eco: Ecosystem, rounds: int, sizes: Sizes | None = None) -> dict[str, int]:
    """The largest sample size of each kind over the rounds (array shapes must be static), of ``sizes`` (default:
    the spec's, :func:`numerics.driver.sizes.spec_sizes`); a model's synthetic part is one sample under the
    ``mixture`` composition and the ``split`` pool."""
    if eco.n is None:
        raise SpecError("n", "Monte Carlo needs finite sample sizes; n = None is the population limit")
    one_sample = eco.composition == "mixture" or eco.pool == "split"
    return largest(spec_sizes(eco, rounds) if sizes is None else sizes, one_sample)
