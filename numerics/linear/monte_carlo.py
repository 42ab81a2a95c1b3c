"""Monte Carlo of the linear-Gaussian surrogate: labels drawn from the real sources or the models' previous
fits, every model refitted by minimum-norm weighted least squares (:class:`LinearMonteCarlo`). The program is
compiled once per :class:`~numerics.linear.steps.Structure` and row counts; the ecosystem's numbers and its
designs' rows are arguments, and every source of a round is drawn and refitted in one batched operation."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.keys import prng_key, replicate_keys
from interplay.numerics.driver.limits import replicate_chunk, require_count, run_in_chunks
from interplay.numerics.driver.results import SimulatedReplicates
from interplay.numerics.driver.schedules import schedules
from interplay.numerics.linear import steps
from interplay.numerics.linear.iterate import given_start, require_linear
from interplay.theory.spec import Ecosystem, SpecError

# -- Monte Carlo of the sampling process -----------------------------------------------------------------------


@dataclass(frozen=True)
class LinearMonteCarlo(SimulatedReplicates):
    """Simulated fitted parameters theta_{t,k}: thetas (R, T+1, K, d), R replicates, with what made them."""

    ecosystem: Ecosystem
    seed: int | None
    key: tuple[int, ...]
    method: str
    thetas: np.ndarray
    checked = ("thetas",)
    dims = {"thetas": ("replicate", "round", "model", "component")}

    @property
    def rounds(self) -> int:
        return self.thetas.shape[1] - 1

    def task_error(self, gram=None) -> np.ndarray:
        """(R, T+1, K): (theta_k - theta*)^T S (theta_k - theta*) per replicate."""
        theta = np.asarray(self.ecosystem.family.theta.evalf(), dtype=float).ravel()
        S = np.eye(theta.size) if gram is None else np.asarray(gram, dtype=float)
        gap = self.thetas - theta
        return np.einsum("...i,ij,...j->...", gap, S, gap)


METHODS = ("sufficient", "raw")
EMBEDDING_SEED = 0  # fixes the orthonormal embedding of a Gram-only design's raw rows


def design_rows(design, size: int, method: str) -> np.ndarray:
    """The rows whose labels the simulation draws, for a design of ``size`` samples.

    The fit sees a design only through X^T X = size S and X^T y ~ N(X^T X theta, sigma^2 X^T X). ``"sufficient"``:
    the d root rows R (R^T R = size S), so a round draws d labels per source whatever the size. ``"raw"``: all
    ``size`` rows -- the data when the spec holds them, else Q R with Q (size x d) orthonormal columns (Q^T Q = I,
    from a QR factorisation with a fixed seed), which has the same Gram.
    """
    if method == "sufficient":
        return design.root_rows(size)
    if design.data is not None:
        return design.rows()
    root = design.root_rows(size)
    gaussian = np.random.default_rng(EMBEDDING_SEED).standard_normal((size, root.shape[0]))
    return np.linalg.qr(gaussian)[0] @ root


class Rows(NamedTuple):
    """The rows whose labels a simulation draws (:func:`design_rows`), zero-padded to the structure's row counts
    (a zero row adds nothing to X^T X nor to X^T y): real (K + 1, r, d) of private_1..K, public; synthetic
    (K, r', d) of generating model j; synthetic_size: m."""

    real: object
    synthetic: object
    synthetic_size: object


def _padded(blocks: list[np.ndarray], count: int) -> np.ndarray:
    return np.stack([np.concatenate([X, np.zeros((count - X.shape[0], X.shape[1]))]) for X in blocks])


def design_arrays(eco: Ecosystem, method: str) -> tuple[tuple[int, int], Rows]:
    """((r, r'), rows): the row counts (structure: every design's rows under ``"sufficient"``, d; under
    ``"raw"`` the largest real size and m) and the rows of ``eco``'s designs padded to them."""
    real = [design_rows(s, s.size, method) for s in (*eco.private, eco.public)]
    synthetic = [design_rows(s, eco.n, method) for s in eco.family.synthetic_designs(eco.K)]
    counts = (max(X.shape[0] for X in real), max(X.shape[0] for X in synthetic))
    return counts, Rows(_padded(real, counts[0]), _padded(synthetic, counts[1]), np.float64(eco.n))


def _labelled(keys, X, thetas, sigma, sizes):
    """(X^T y / n, X^T X / n) per source for labels y = X theta + sigma eps (keys (S,), X (S, r, d), thetas (S, d),
    sizes (S,)): one standard normal per row, from the source's own key (the first r' of r normals of a key are
    those of a draw of r', so zero-padded rows leave the stream of the real rows as it was)."""
    eps = jax.vmap(lambda key: jax.random.normal(key, X.shape[1:2]))(keys)
    y = jnp.einsum("srd,sd->sr", X, thetas) + sigma * eps
    return jnp.einsum("srd,sr->sd", X, y) / sizes[:, None], jnp.einsum("srd,sre->sde", X, X) / sizes[:, None, None]


@compiled_cache
def simulation_program(st: steps.Structure, counts: tuple[int, int]):
    """A jitted f(values, rows, keys (R, 2), alphas (T,), betas (T,), start=None) -> thetas (R, T+1, K, d),
    replicates vmapped, for every ecosystem of structure ``st`` whose designs have the row counts ``counts``
    (:func:`design_arrays`).

    A round draws the labels of the K + 1 real sources (each round, or once under ``reuse``) and of the K
    generating models' synthetic designs, then every model k refits theta_k = H_k^+ r_k with
    H_k = sum_s A_ks G_s + sum_j w_kj G_j, r_k likewise (plus the previous rounds' under ``accumulate``).
    ``start``: None, or the given parameters (K, d) that replace round 0's fits in every replicate (its labels
    are drawn all the same; under ``accumulate`` round 0 then contributes H_0 and r_0 = H_0 theta_0, so that
    theta_1 = H_1^+ (H_0 theta_0 + r_1) as in :mod:`theory.linear.maps`)."""
    K = st.K

    def simulate_one(v, rows, key, alphas, betas, start):
        sigma = jnp.sqrt(v.noise_var)
        synthetic_sizes = jnp.full(K, rows.synthetic_size)

        def real_data(key):
            """X_s^T y_s / n_s for fresh real labels y_s = X_s theta* + sigma eps, and the Grams X_s^T X_s / n_s."""
            thetas = jnp.broadcast_to(v.theta, (K + 1, st.d))
            return _labelled(jax.random.split(key, K + 1), rows.real, thetas, sigma, v.real_sizes)

        def one_round(state, key, w, fixed_real):
            thetas, normal_sum, rhs_sum = state
            k_real, k_synthetic = jax.random.split(key)
            rhs, grams = fixed_real if st.regime == "reuse" else real_data(k_real)
            # one synthetic dataset per generating model j, labelled with its fit theta_j
            synthetic_rhs, synthetic_grams = _labelled(
                jax.random.split(k_synthetic, K), rows.synthetic, thetas, sigma, synthetic_sizes
            )
            normal = (
                w.private[:, None, None] * grams[:K]
                + w.public[:, None, None] * grams[K]
                + jnp.einsum("kj,jab->kab", w.synthetic, synthetic_grams)
            )
            rhs = w.private[:, None] * rhs[:K] + w.public[:, None] * rhs[K] + w.synthetic @ synthetic_rhs
            if st.regime == "accumulate":  # the union of every round's batch, each of equal weight
                normal, rhs = normal_sum + normal, rhs_sum + rhs
            fits = jnp.einsum("kab,kb->ka", steps.pinv(normal), rhs)  # the minimum-norm weighted least squares
            return fits, normal, rhs

        k_data, k_start, k_rounds = jax.random.split(key, 3)
        fixed_real = real_data(k_data)
        d = st.d
        zero = (jnp.zeros((K, d)), jnp.zeros((K, d, d)), jnp.zeros((K, d)))
        initial = steps.weights(v, 0.0, steps.initial_beta(v, betas), initial=True)
        first = one_round(zero, k_start, initial, fixed_real)
        if start is not None:
            first = (start, first[1], jnp.einsum("kab,kb->ka", first[1], start))

        def body(state, inputs):
            key, alpha, beta = inputs
            state = one_round(state, key, steps.weights(v, alpha, beta, initial=False), fixed_real)
            return state, state[0]

        keys = jax.random.split(k_rounds, alphas.shape[0])
        _, thetas = jax.lax.scan(body, first, (keys, alphas, betas))
        return jnp.concatenate([first[0][None], thetas])

    replicated = jax.vmap(simulate_one, in_axes=(None, None, 0, None, None, None))

    def program(v, rows, keys, alphas, betas, start=None):
        return replicated(v, rows, keys, alphas, betas, start)

    return jax.jit(program)


def compiled_simulation(eco: Ecosystem, method: str = "sufficient"):
    """The f(keys (R, 2), alphas (T,), betas (T,), start=None) -> thetas (R, T+1, K, d) of
    :func:`simulate_linear`: the structure's compiled :func:`simulation_program` with ``eco``'s values and rows."""
    if method not in METHODS:
        raise SpecError("method", f"must be one of {METHODS}, got {method!r}")
    counts, rows = design_arrays(eco, method)
    program = simulation_program(steps.structure(eco), counts)
    return functools.partial(program, steps.values(eco), rows)


def drawn_per_source(eco: Ecosystem, method: str) -> int:
    """Numbers per dimension a source holds while drawn in a round: raw, a label per sample; sufficient, d."""
    if method != "raw" or eco.n is None:
        return eco.dim
    return max([int(eco.n)] + [int(s.size) for s in (*eco.private, eco.public)])


def simulate_linear(
    eco: Ecosystem,
    rounds: int,
    key,
    replicates: int = 1000,
    method: str = "sufficient",
    memory: int | None = None,
    start=None,
) -> LinearMonteCarlo:
    """Simulate ``replicates`` independent runs of the process (designs fixed, labels random).

    ``key`` is a jax PRNG key or an integer seed; the result carries it with the spec. ``method``:
    ``"sufficient"`` (default) draws d labels per source on root rows of its design, so the cost does not grow
    with the sample sizes; ``"raw"`` draws a label for every sample (the reference). Same law (:func:`design_rows`).
    Replicates run in chunks of bounded memory; what cannot fit in ``memory`` bytes (default: available) is
    refused up front (:mod:`numerics.driver.limits`). Round 0 is the initial fit, or the given ``start`` (the K x d
    parameters theta_k) in every replicate.
    """
    require_linear(eco)
    start = given_start(eco, start)
    replicates = require_count(replicates, "replicates", 1)
    if eco.n is None:
        raise SpecError("n", "Monte Carlo needs a finite synthetic sample size; n = None is the population limit")
    eco.check_rounds(rounds)
    chunk = replicate_chunk(eco, rounds, replicates, drawn_per_source=drawn_per_source(eco, method), memory=memory)
    seed, key = prng_key(key)
    alphas, betas = schedules(eco, rounds)
    run = compiled_simulation(eco, method)
    keys = replicate_keys(key, replicates)
    start = None if start is None else start.reshape(eco.K, eco.dim)
    thetas = run_in_chunks(run, keys, chunk, jnp.asarray(alphas), jnp.asarray(betas), start)
    key_data = tuple(int(x) for x in np.asarray(jax.random.key_data(key)).ravel())
    return LinearMonteCarlo(eco, seed, key_data, method, thetas)
