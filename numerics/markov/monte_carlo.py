"""Monte Carlo of Markov ecosystems: the sampling process itself, transition by transition or sequence by sequence.

Each round, model k draws from each source c (private, public, the synthetic data of each model j) the N_kc items
of :func:`theory.markov.maps.source_sizes`: in the ``rows`` design N_kc transitions out of every state s (tokens
of Cat(Q_c[s])), in the ``sequences`` design N_kc chains of L states started from mu, whose transitions are
counted. The public source's items are drawn once per round and model k takes the first N_public,k (nested
prefixes, :mod:`theory.rounds`); every other item is drawn by the model that uses it. The fit is (module doc of
:mod:`theory.markov.maps`) P_k[s, i] = sum_c (w_kc / N_kc) c_kc[s, i] / sum_c (w_kc / N_kc) c_kc[s], a row with
no transitions keeping model k's previous row (uniform before round 0). Replicates are ``vmap``-ped, each with
its own key (``replicate_keys``), in chunks of at most :data:`CHUNK_BYTES` of draws (the results do not depend on
the chunks); the program is compiled once per structure (K, m, design, L, rounds, largest size): weights, sizes
and transition matrices are inputs.

>>> from interplay.theory.markov import markov_ecosystem
>>> alone = markov_ecosystem([[[0.5, 0.5], [0.5, 0.5]]], [[0.5, 0.5], [0.5, 0.5]], alpha=1, beta=1, mixing=[[1]], n=3)
>>> mc = simulate(alone, rounds=60, key=0, replicates=200)
>>> bool(((mc.transitions[:, -1] == 0) | (mc.transitions[:, -1] == 1)).mean() > 0.99)  # rows absorb: collapse
True
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.keys import prng_key, replicate_keys
from interplay.numerics.driver.limits import require_count, require_fits
from interplay.numerics.driver.results import SimulatedReplicates
from interplay.theory.markov.maps import real_transitions, source_sizes, source_weights
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError, floats

CHUNK_BYTES = 2**28  # the draws of the replicates run at once (one compiled chunk size; the last chunk is padded)


METHODS = ("tokens",)


@dataclass
class MarkovMonteCarlo(SimulatedReplicates):
    """transitions: (R, T+1, K, m, m), every replicate's fitted transition matrices after rounds 0..T; with the
    spec, the seed (None for a jax key) and the key that made them."""

    ecosystem: Ecosystem
    transitions: np.ndarray
    seed: int | None = None
    key: tuple[int, ...] = ()
    method: str = METHODS[0]
    checked = ("transitions",)
    dims = {"transitions": ("replicate", "round", "model", "state", "next")}

    @property
    def rounds(self) -> int:
        return self.transitions.shape[1] - 1


def round_inputs(eco: Ecosystem, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """(weights (T+1, K, 2K+1) float64, sizes (T+1, K, 2K+1) int) of rounds 0..T (:func:`theory.rounds.plan_at`)."""
    plans = [plan_at(eco, t) for t in range(rounds + 1)]
    weights = np.stack([floats(source_weights(p)) for p in plans])
    sizes = np.stack([np.array(source_sizes(p).tolist(), dtype=np.int64) for p in plans])
    return weights, sizes


def _counts(key, Q, initial, design: str, length: int, capacity: int):
    """(C, capacity, m, m): one-hot transition counts of ``capacity`` items drawn from each of the C transition
    matrices Q (C, m, m): a transition out of every state (rows) or a chain of ``length`` states (sequences)."""
    C, m, _ = Q.shape
    cdf = jnp.cumsum(Q, -1)[..., :-1]  # (C, m, m - 1): the next state is the number of cdf values below a uniform
    eye = jnp.eye(m)
    if design == "rows":
        u = jax.random.uniform(key, (C, capacity, m))
        tokens = (u[..., None] >= cdf[:, None]).sum(-1)  # out of each state s
        return eye[tokens]  # [c, item, s, i]: the transition s -> tokens[c, item, s]

    def step(carry, k):
        state, counts = carry
        u = jax.random.uniform(k, (C, capacity))
        nxt = (u[..., None] >= cdf[jnp.arange(C)[:, None], state]).sum(-1)  # (C, capacity)
        return (nxt, counts + eye[state][..., :, None] * eye[nxt][..., None, :]), None

    key, first = jax.random.split(key)
    start = (jax.random.uniform(first, (C, capacity, 1)) >= jnp.cumsum(initial)[:-1]).sum(-1)
    (_, counts), _ = jax.lax.scan(step, (start, jnp.zeros((C, capacity, m, m))), jax.random.split(key, length - 1))
    return counts


@compiled_cache
def _program(K: int, m: int, design: str, length: int, capacity: int):
    """The compiled simulator of one structure: f(keys (R, 2), real (K+1, m, m), initial (m,), weights, sizes)."""
    index = jnp.arange(capacity)

    def one(key, real, initial, weights, sizes):
        def one_round(P, inputs):
            key, w, N = inputs
            own, public = jax.random.split(key)
            sources = jnp.concatenate([real, P])  # (C, m, m)
            drawn = jax.vmap(lambda k: _counts(k, sources, initial, design, length, capacity))(
                jax.random.split(own, K)
            )  # (K, C, capacity, m, m): model k's own draws from every source
            shared = _counts(public, real[K:], initial, design, length, capacity)[0]  # the one public sample
            drawn = drawn.at[:, K].set(jnp.broadcast_to(shared, (K, *shared.shape)))
            kept = (index[None, None, :] < N[:, :, None])[..., None, None]
            counts = (drawn * kept).sum(2)  # (K, C, m, m)
            per_item = jnp.where(N > 0, w / jnp.maximum(N, 1), 0.0)
            numerator = (per_item[:, :, None, None] * counts).sum(1)
            total = numerator.sum(-1, keepdims=True)
            fitted = jnp.where(total > 0, numerator / jnp.where(total > 0, total, 1.0), P)
            return fitted, fitted

        keys = jax.random.split(key, weights.shape[0])
        uniform = jnp.full((K, m, m), 1.0 / m)
        _, trajectory = jax.lax.scan(one_round, uniform, (keys, weights, sizes))
        return trajectory

    return jax.jit(jax.vmap(one, in_axes=(0, None, None, None, None)))


def simulate(eco: Ecosystem, rounds: int, key, replicates: int = 1000, start=None, **options) -> MarkovMonteCarlo:
    """Simulate ``replicates`` independent runs of ``rounds`` update rounds from the initial fit (``key``: PRNG
    key or int seed). ``start`` is not supported (SpecError naming it); ``method`` must be ``"tokens"``."""
    if start is not None:
        raise SpecError("start", "the markov family starts from its initial fit only")
    method = options.pop("method", METHODS[0])
    if method not in METHODS or options:
        raise SpecError("method" if method not in METHODS else next(iter(options)), f"markov has methods {METHODS}")
    eco.check_rounds(rounds)
    replicates = require_count(replicates, "replicates", 1)
    seed, key = prng_key(key)
    weights, sizes = round_inputs(eco, rounds)
    family = eco.family
    length = family.length or 2
    initial = np.full(family.m, 1.0 / family.m) if family.initial is None else floats(family.initial).ravel()
    real = np.stack([floats(Q) for Q in real_transitions(eco)])
    K, m, capacity = eco.K, family.m, int(sizes.max())
    per_replicate = 3 * 8 * K * (2 * K + 1) * capacity * m * m  # one round's draws and counts, with headroom
    require_fits(per_replicate, "n", "one replicate's draws of a round")
    require_fits(replicates * (rounds + 1) * K * m * m * 8, "replicates", f"{replicates} replicates' fits")
    chunk = max(1, min(replicates, CHUNK_BYTES // per_replicate))
    program = _program(K, m, family.design, length, capacity)
    keys = np.asarray(replicate_keys(key, replicates))
    inputs = [jnp.asarray(x) for x in (real, initial, weights, sizes)]
    parts = []
    for first in range(0, replicates, chunk):
        block = keys[first : first + chunk]
        padded = np.concatenate([block, np.repeat(block[-1:], chunk - len(block), 0)])  # one compiled shape
        parts.append(np.asarray(program(jnp.asarray(padded), *inputs))[: len(block)])
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return MarkovMonteCarlo(eco, np.concatenate(parts), seed, key_data)
