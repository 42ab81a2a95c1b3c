"""Exact trajectories of categorical ecosystems: the theory's moment recursion and population map iterated
with ``lax.scan`` (:class:`CategoricalTrajectory`), and distances between probability vectors."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.categorical import steps
from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.results import ExactRounds
from interplay.numerics.driver.schedules import schedules
from interplay.numerics.driver.sizes import device, spec_sizes
from interplay.theory.categorical import maps as categorical
from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.start import numeric_start


def require_categorical(eco: Ecosystem) -> None:
    if eco.family.name != "categorical":
        raise SpecError("family", f"this computation is for categorical ecosystems, not {eco.family.name}")


def alphas_betas(eco: Ecosystem, rounds: int):
    require_categorical(eco)
    alphas, betas = schedules(eco, rounds)
    return jnp.asarray(alphas), jnp.asarray(betas)


def _scan_rounds(step, start, summary, v: steps.Values, alphas, betas, sizes):
    """Run ``state = step(state, plan_t, t)`` for t = 1..T; returns summary(state, t) stacked over rounds 0..T.

    ``sizes``: the update rounds' :class:`theory.rounds.RoundSizes` (leading axis T), or None for the
    population map (infinite samples)."""

    def body(state, inputs):
        alpha, beta, t, round_sizes = inputs
        state = step(state, steps.round_plan(v, alpha, beta, round_sizes, initial=False), t)
        return state, summary(state, t)

    ts = jnp.arange(1, alphas.shape[0] + 1, dtype=jnp.float64)
    _, path = jax.lax.scan(body, start, (alphas, betas, ts, sizes))
    first = summary(start, 0.0)
    return jax.tree_util.tree_map(lambda f, p: jnp.concatenate([f[None], p]), first, path)


def _initial_plan(v: steps.Values, betas, initial_sizes):
    """Round 0's plan; beta_1 = betas[0] (not the spec's), so the recursions can be vmapped over beta.
    ``initial_sizes``: round 0's sizes, or None for the population map."""
    return steps.round_plan(v, 0.0, steps.initial_beta(v, betas), initial_sizes, initial=True)


@compiled_cache
def moment_program(st: steps.Structure):
    """A jitted f(values, alphas, betas, sizes, start=None) -> (E p, Cov p) over rounds 0..T, shapes (T+1, Km)
    and (T+1, Km, Km), for every ecosystem of structure ``st``; ``sizes``: the
    :class:`numerics.driver.sizes.Sizes` of alphas, betas; ``start``: None (round 0 is the initial fit) or the
    given p_0 (K, m), a deterministic round 0."""
    size = st.K * st.m

    def run(v, alphas, betas, sizes, start=None):
        def summary(moments, t):
            mean, cov = steps.fitted_moments(st, v, moments, t)
            return mean.reshape(size), cov.reshape(size, size)

        def update(moments, plan, t):  # an update round (rolling corpora: their own step, steps.rolling_step)
            return (steps.rolling_step if st.regime == "rolling" else steps.moment_step)(st, v, moments, plan, t)

        if start is None:
            first = steps.moment_step(st, v, steps.zero_moments(st), _initial_plan(v, betas, sizes.initial), 0.0)
        else:
            zero = steps.zero_moments(st)
            first = zero._replace(mean=steps.frequencies_of_fit(st, v, start, 0.0))
        return _scan_rounds(update, first, summary, v, alphas, betas, sizes.rounds)

    return jax.jit(run)


@compiled_cache
def population_program(st: steps.Structure):
    """A jitted f(values, alphas, betas, start=None) -> p over rounds 0..T of the population map, shape (T+1, Km),
    from the initial fit or the given ``start`` p_0 (K, m)."""

    def run(v, alphas, betas, start=None):
        def step(probs, plan, t):
            return steps.population_step(st, v, probs, plan, t)

        if start is None:
            start = step(jnp.full((st.K, st.m), 1.0 / st.m), _initial_plan(v, betas, None), 0.0)
        return _scan_rounds(step, start, lambda p, t: p.reshape(st.K * st.m), v, alphas, betas, None)

    return jax.jit(run)


def moment_recursion(eco: Ecosystem):
    """f(alphas, betas, sizes) -> (E p, Cov p) over rounds 0..T of ``eco`` (:func:`moment_program` with its
    values): compiled once per structure."""
    return functools.partial(moment_program(steps.structure(eco)), steps.values(eco))


def population_recursion(eco: Ecosystem):
    """f(alphas, betas) -> p over rounds 0..T of ``eco``'s population map (:func:`population_program` with its
    values): compiled once per structure."""
    categorical.require_population_map(eco)
    st = steps.structure(eco)._replace(smoothed=False)  # the population map has infinite samples
    return functools.partial(population_program(st), steps.values(eco))


@dataclass(frozen=True)
class CategoricalTrajectory(ExactRounds):
    """Exact values over rounds t = 0..T.

    mean: (T+1, K, m) E[p_k] (population: p_k itself);  cov: (T+1, K, m, K, m) Cov(p_ki, p_lj) (zero in the
    population limit).
    """

    ecosystem: Ecosystem
    kind: str
    mean: np.ndarray
    cov: np.ndarray
    dims = {"mean": ("round", "model", "category"), "cov": ("round", "model", "category", "model2", "category2")}

    def _flat(self):
        T1, K, m = self.mean.shape
        return self.mean.reshape(T1, K * m), self.cov.reshape(T1, K * m, K * m), m

    def diversity(self) -> np.ndarray:
        """(T+1, K): E[1 - sum_i p_ki^2] (:func:`theory.categorical.maps.expected_diversity`)."""
        mean, cov, m = self._flat()
        K = self.mean.shape[1]
        return np.array([[categorical.expected_diversity(mu, c, k, m) for k in range(K)] for mu, c in zip(mean, cov)])

    def squared_distance(self, k: int, l: int) -> np.ndarray:
        """(T+1,): E||p_k - p_l||^2 (:func:`theory.categorical.maps.expected_squared_distance`)."""
        mean, cov, m = self._flat()
        return np.array([categorical.expected_squared_distance(mu, c, k, l, m) for mu, c in zip(mean, cov)])

    def total_variation(self, k: int, l: int) -> np.ndarray:
        """TV(p_k, p_l) per round: exact for the population map only (the distance of the expectations)."""
        return total_variation(self.mean[:, k], self.mean[:, l])

    def jensen_shannon(self, k: int, l: int) -> np.ndarray:
        """JS(p_k, p_l) per round: exact for the population map only (the divergence of the expectations)."""
        return jensen_shannon(self.mean[:, k], self.mean[:, l])


def given_start(eco: Ecosystem, start):
    """None, or the checked ``start`` p_0 (:func:`theory.categorical.maps.start_state`) as a float64 (K, m) array."""
    if start is None:
        return None
    return jnp.asarray(numeric_start(categorical.start_state(eco, start)))


def iterate_moments(eco: Ecosystem, rounds: int, start=None) -> CategoricalTrajectory:
    """The exact E p and Cov p of the finite-n process over rounds 0..T (tau = 1), from the initial fit or the
    given ``start``: p_0 (K x m probabilities) at round 0, deterministic (:mod:`theory.start`)."""
    alphas, betas = alphas_betas(eco, rounds)
    categorical.require_closed_moments(eco)
    start = given_start(eco, start)
    mean, cov = moment_recursion(eco)(alphas, betas, device(spec_sizes(eco, rounds)), start)
    T1, K, m = rounds + 1, eco.K, eco.dim
    return CategoricalTrajectory(
        eco, "moments", np.asarray(mean).reshape(T1, K, m), np.asarray(cov).reshape(T1, K, m, K, m)
    )


def iterate_population(eco: Ecosystem, rounds: int, start=None) -> CategoricalTrajectory:
    """The deterministic trajectory of the population map (any temperature), from the initial fit or the given
    ``start`` p_0 (K x m probabilities)."""
    alphas, betas = alphas_betas(eco, rounds)
    probs = np.asarray(population_recursion(eco)(alphas, betas, given_start(eco, start)))
    T1, K, m = rounds + 1, eco.K, eco.dim
    return CategoricalTrajectory(eco, "population", probs.reshape(T1, K, m), np.zeros((T1, K, m, K, m)))


# -- distances -----------------------------------------------------------------------------------------------


def total_variation(p, q) -> np.ndarray:
    """TV(p, q) = sum_i |p_i - q_i| / 2 over the last axis."""
    return 0.5 * np.abs(np.asarray(p) - np.asarray(q)).sum(-1)


def jensen_shannon(p, q) -> np.ndarray:
    """JS(p, q) = (KL(p || r) + KL(q || r)) / 2, r = (p + q)/2, in nats (0 log 0 = 0), over the last axis."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    r = (p + q) / 2

    def kl(a):
        safe = np.where(a > 0, a, 1.0)
        return np.where(a > 0, a * np.log(safe / np.where(r > 0, r, 1.0)), 0.0).sum(-1)

    return (kl(p) + kl(q)) / 2
