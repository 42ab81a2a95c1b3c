"""Monte Carlo of Gaussian-mixture ecosystems: the actual samples, each model refitted by EM every round.

Round t draws, for model k, N_private,k samples of its private source, the first N_public,k draws of the round's
one public sample (nested prefixes, :mod:`theory.rounds`) and N_kj samples of model j's mixture (its own sample of
every model: the ``own`` pool), sizes from :func:`theory.rounds.sample_sizes`; each draw of source s weighs
w_s / N_s, and the model is the weighted EM fit of its draws (:func:`numerics.gmm.em.em_fit`, to the family's
tolerance within its budget), from the moment start at t = 0 and from its previous fit afterwards (as the
population map, :mod:`numerics.gmm.population`). A draw of a mixture picks its component with one uniform and
adds sqrt(s2) times one normal. Replicates are ``vmap``-ped, each with its own key
(:func:`numerics.driver.keys.replicate_keys`, round t's draws from ``fold_in(key, t)``); the rounds run on the
host, one compiled round for every round of one layout.

>>> from interplay.theory.gmm import gaussian_mixture_ecosystem
>>> eco = gaussian_mixture_ecosystem([([0.5, 0.5], [-2, 2], [1, 1])], ([1], [0], [1]), alpha=1, beta=1,
...                                  mixing=[[1]], n=20, em_rounds=100, em_tolerance=1e-6)
>>> mc = simulate(eco, rounds=3, key=0, replicates=8)
>>> mc.weights.shape, bool(np.allclose(mc.weights.sum(-1), 1))
((8, 4, 1, 2), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.keys import prng_key, replicate_keys
from interplay.numerics.driver.limits import require_count
from interplay.numerics.gmm.em import em_fit, moment_start, responsibilities
from interplay.numerics.gmm.population import MixtureTrajectory, require_gmm, start_theta
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError, floats

METHODS = ("samples",)


@dataclass(frozen=True)
class MixtureMonteCarlo(MixtureTrajectory):
    """Per replicate: weights, means, variances (R, T+1, K, C), em_steps and em_converged (R, T+1, K); with the
    seed that made them."""

    seed: int | None = None


def round_layout(eco: Ecosystem, t: int, length: int):
    """(stream (K, L), index (K, L), weight (K, L)) of round t: slot i of model k holds draw ``index`` of stream
    ``stream`` (0..K-1 the private samples, K the public one, K + 1 + k K + j model k's sample of model j), of
    weight w_s / N_s (0 for an unused slot); L = ``length``, at least the largest training set of the round."""
    K = eco.K
    plan = plan_at(eco, t)
    w_private, w_public, w_synthetic = (
        floats(plan.w_private)[:, 0],
        floats(plan.w_public)[:, 0],
        floats(plan.w_synthetic),
    )
    n_private, n_public = floats(plan.n_private)[:, 0], floats(plan.n_public)[:, 0]
    n_synthetic = floats(plan.n_synthetic)
    rows = []
    for k in range(K):
        parts = [(k, n_private[k], w_private[k]), (K, n_public[k], w_public[k])]
        parts += [(K + 1 + k * K + j, n_synthetic[k, j], w_synthetic[k, j]) for j in range(K)]
        row = [(s, i, w / n) for s, n, w in parts if n > 0 for i in range(int(n))]
        rows.append(row)
    L = max([length] + [len(r) for r in rows])
    stream, index, weight = (np.zeros((K, L), dtype=dtype) for dtype in (np.int64, np.int64, np.float64))
    for k, row in enumerate(rows):
        for i, (s, position, w) in enumerate(row):
            stream[k, i], index[k, i], weight[k, i] = s, position, w
    return stream, index, weight


def real_table(eco: Ecosystem, width: int):
    """(weights, means, variances) (K + 1, width) of the real sources (private k, then public), padded with
    components of weight 0 and variance 1."""
    sources = (*eco.private, eco.public)
    table = np.zeros((3, len(sources), width))
    table[2] = 1.0
    for s, source in enumerate(sources):
        for c, (w, m, v) in enumerate(zip(source.weights, source.means, source.variances)):
            table[:, s, c] = float(w), float(m), float(v)
    return tuple(jnp.asarray(x) for x in table)


def structure(eco: Ecosystem) -> tuple:
    f = eco.family
    width = max([f.components] + [len(s.weights) for s in (*eco.private, eco.public)])
    return (eco.K, f.components, width, f.em_tolerance, f.em_rounds, f.variance_floor)


@compiled_cache
def simulator(shape: tuple, length: int, responsibilities=responsibilities):
    """A jitted f(keys (R, 2), real table, stream, index, weight, theta (R, K, 3C), initial) -> (theta' (R, K, 3C),
    steps (R, K), converged (R, K)): one round of every replicate (module doc; ``initial``: the round-0 fit from the
    moment start); ``length`` the longest stream and training set a round draws (the slots of ``stream``),
    ``responsibilities`` the E step's (a test swaps in a mutant)."""
    K, C, width, tolerance, budget, floor = shape
    streams = 2 * K + 1 + K * K - K  # K private, 1 public, K^2 synthetic

    def one(key, real, stream, index, weight, theta, initial):
        pi, mu, s2 = theta[:, :C], theta[:, C : 2 * C], theta[:, 2 * C :]
        pad = ((0, 0), (0, width - C))
        models = (jnp.pad(pi, pad), jnp.pad(mu, pad), jnp.pad(s2, pad, constant_values=1.0))  # (K, width) each
        source_of = jnp.concatenate([jnp.arange(K + 1), K + 1 + jnp.tile(jnp.arange(K), K)])  # stream -> source
        table = [jnp.concatenate([r, m])[source_of] for r, m in zip(real, models)]  # (streams, width)
        u_key, z_key = jax.random.split(key)
        u = jax.random.uniform(u_key, (streams, length))
        z = jax.random.normal(z_key, (streams, length))
        edges = jnp.cumsum(table[0], axis=1)[:, :-1]  # (streams, width - 1)
        component = (u[:, :, None] > edges[:, None, :]).sum(-1)  # (streams, length)
        mean = jnp.take_along_axis(table[1], component, axis=1)
        var = jnp.take_along_axis(table[2], component, axis=1)
        draws = mean + jnp.sqrt(var) * z
        x = draws[stream, index]  # (K, L)

        def fit(start, xk, ak):
            start = jnp.where(initial, moment_start(xk, ak, C), start)
            return em_fit(start, xk, ak, floor, tolerance, budget, responsibilities)

        return jax.vmap(fit)(theta, x, weight)

    return jax.jit(jax.vmap(one, in_axes=(0, None, None, None, None, 0, None)))


def simulate(
    eco: Ecosystem, rounds: int, key, replicates: int = 1000, method: str = "samples", start=None, **options
) -> MixtureMonteCarlo:
    """Simulate ``replicates`` runs for ``rounds`` update rounds (``key``: PRNG key or int seed), from the round-0
    fit or, given ``start`` (K x 3C: pi, mu, s2 per model), from it in every replicate."""
    require_gmm(eco)
    replicates = require_count(replicates, "replicates", 1)
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    if options:
        raise SpecError(next(iter(options)), "is not an option of the gaussian-mixture Monte Carlo")
    eco.check_rounds(rounds)
    if eco.n is None:
        raise SpecError("n", "Monte Carlo needs finite sample sizes; n = None is the population limit")
    return run(eco, rounds, key, replicates, start, responsibilities)


def run(eco: Ecosystem, rounds: int, key, replicates: int, start, responsibility) -> MixtureMonteCarlo:
    """:func:`simulate` with the E step's ``responsibility`` function given (tests pass a mutant)."""
    seed, key = prng_key(key)
    keys = jnp.asarray(replicate_keys(key, replicates))
    shape = structure(eco)
    K, C, width = shape[:3]
    real = real_table(eco, width)
    layouts = {}

    def round_inputs(t):
        cache_key = (eco.alpha_at(t), eco.beta_at(t), t == 0)
        if cache_key not in layouts:  # slots for n draws (more where rounding gives a model more): one compilation
            layouts[cache_key] = tuple(jnp.asarray(x) for x in round_layout(eco, t, eco.largest_n))
        return layouts[cache_key]

    def advance(theta, t):
        stream, index, weight = round_inputs(t)
        f = simulator(shape, stream.shape[1], responsibility)
        round_keys = jax.vmap(lambda k: jax.random.fold_in(k, t))(keys)
        return f(round_keys, real, stream, index, weight, theta, t == 0)

    if start is None:
        theta, steps, converged = advance(jnp.ones((replicates, K, 3 * C)), 0)
    else:
        given = jnp.asarray(start_theta(eco, start))
        theta = jnp.broadcast_to(given, (replicates, K, 3 * C))
        steps, converged = jnp.zeros((replicates, K)), jnp.ones((replicates, K))
    kept = [(theta, steps, converged)]
    for t in range(1, rounds + 1):
        theta, steps, converged = advance(theta, t)
        kept.append((theta, steps, converged))
    thetas, steps, converged = (np.stack([np.asarray(k[i]) for k in kept], axis=1) for i in range(3))
    return MixtureMonteCarlo(
        eco, thetas[..., :C], thetas[..., C : 2 * C], thetas[..., 2 * C :], steps, converged > 0, seed
    )
