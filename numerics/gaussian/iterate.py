"""Iterate the theory's maps for T rounds with ``lax.scan`` under ``jit``.

``iterate_moments`` runs the exact finite-n moment recursion (:func:`theory.gaussian.maps.moment_step`),
``iterate_population`` the infinite-sample map (:func:`theory.gaussian.maps.population_step`), both as the
vectorised steps of :mod:`numerics.gaussian.step` (tested against the theory's one definition). The compiled
functions are built per structure (K, d, regime, estimator, composition, pool, rounds) and take the ecosystem's numbers
(source means and covariances, W), the alpha and beta schedules and the rounds' sample sizes
(:mod:`numerics.driver.sizes`, computed exactly on the host) as arrays, so a new value never recompiles, and they
can be ``vmap``-ped over parameter values and differentiated. They run in centred coordinates
(:func:`theory.gaussian.maps.centred`: means measured from the public mean), so a common shift of all means changes
nothing but the origin added back to the means.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import sympy

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.results import ExactRounds, ExactSummaryRounds
from interplay.numerics.driver.schedules import model_values, schedules
from interplay.numerics.driver.sizes import device, run_sizes, spec_sizes
from interplay.numerics.gaussian import step
from interplay.numerics.gaussian.debiased import debiased_trajectory
from interplay.numerics.homogenisation_measures import (
    expected_pair_distance,
    expected_squared_distance,
    mean_over_pairs,
)
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.gaussian.maps import Fit
from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.start import numeric_start


def require_gaussian(eco: Ecosystem) -> None:
    if eco.family.name != "gaussian":
        raise SpecError("family", f"this computation is for Gaussian ecosystems, not {eco.family.name}")


def _change(old, new) -> jax.Array:
    """Largest absolute change of any entry between two states (pytrees of arrays)."""
    return jnp.max(jnp.stack([jnp.max(jnp.abs(a - b)) for a, b in zip(jax.tree.leaves(old), jax.tree.leaves(new))]))


def _run(
    shape: step.Structure,
    population: bool,
    values,
    beta_1,
    alphas,
    betas,
    sizes,
    tolerance,
    start=None,
    *,
    kept,
    rounds,
):
    """Round 0 (the initial fit, or the given ``start``: a centred :class:`theory.gaussian.maps.Fit` of arrays),
    then ``rounds`` update rounds of the exact recursion (or the population map).

    ``values``: the ecosystem's :class:`numerics.gaussian.step.Values`, ``beta_1`` the spec's (for a run without
    update rounds); ``alphas``, ``betas`` are schedules of length
    ``rounds`` or scalars, and ``sizes`` a :class:`numerics.driver.sizes.Sizes` with or without the round axis to
    match (constant: no per-round arrays, so a vmapped sweep's memory does not grow with the rounds; the
    population map has infinite samples and ignores ``sizes``). Returns (final state, first round whose largest
    change is below ``tolerance`` or -1, what is ``kept`` of rounds 0..T: every state (``"states"``), their
    :class:`Summary` (``"summaries"``) or None). All are traced, so sweeps can vmap over them.
    """
    if shape.curated and not population:
        raise SpecError(
            "curation",
            "the finite-n moment recursion does not close under curation (use the population map or simulate)",
        )
    constant = jnp.ndim(sizes.rounds.n_private) == 2  # alphas, betas are then scalars, or per model (K,)

    def at(schedule, i):
        return schedule if constant else jax.tree.map(lambda x: x[i], schedule)

    def plan(alpha, beta, initial, round_sizes):
        return step.round_plan(values, alpha, beta, None if population else round_sizes, initial)

    beta_1 = betas if constant else (betas[0] if betas.shape[0] else beta_1)
    plan0 = plan(0.0, beta_1, True, sizes.initial)  # round 0 has no synthetic data: alpha 0 whatever the schedule
    if population:
        K, d = shape.K, shape.d
        if start is None:
            zero = Fit(jnp.zeros((K * d, 1)), jnp.zeros((K * d, d)))
            start = step.population_step(shape, values, zero, plan0, 0.0)
        advance = functools.partial(step.population_step, shape, values)
    else:
        if start is None:
            start = step.moment_step(shape, values, step.zero_moments(shape), plan0, 0.0)
        else:  # a deterministic fit: no dispersion, nu = 0 so that U = S (theory.gaussian.maps.moments_of_fit)
            start = step.zero_moments(shape)._replace(mean=start.mean, scatter=start.cov)
        advance = functools.partial(step.moment_step, shape, values)

    def keep(state):
        if kept == "summaries":
            return summary(shape, state)
        return state if kept == "states" else None

    if rounds == 0:  # the round-0 fit alone (a zero-length scan would still index the empty schedules)
        return start, jnp.asarray(-1.0), (jax.tree.map(lambda x: x[None], keep(start)) if kept else None)

    def body(carry, i):
        state, converged_at = carry
        t = i + 1.0
        new = advance(state, plan(at(alphas, i), at(betas, i), False, at(sizes.rounds, i)), t)
        settled = (converged_at < 0) & (_change(state, new) < tolerance)
        converged_at = jnp.where(settled, t, converged_at)
        return (new, converged_at), keep(new)

    (final, converged_at), path = jax.lax.scan(body, (start, jnp.asarray(-1.0)), jnp.arange(rounds))
    if kept:
        path = jax.tree.map(lambda first, rest: jnp.concatenate([first[None], rest]), keep(start), path)
    return final, converged_at, path


class Summary(NamedTuple):
    """What :func:`iterate_moments` keeps of a round with ``summaries=True``: O(K d^2) numbers, not the K d x K d
    covariance of the means (8 GB over 1,000 rounds at K = 1,000)."""

    centred_mean: jax.Array  # (K, d)  E[m_k] - origin
    fitted_cov: jax.Array  # (K, d, d)  E[S_k]
    model_cov: jax.Array  # (K, d, d)  Cov(m_k)
    mean_squared_distance: jax.Array  # ()  the mean over pairs k != l of E||m_k - m_l||^2


def summary(shape: step.Structure, moments) -> Summary:
    """The :class:`Summary` of the exact moments after a round, the pairwise E||m_k - m_l||^2 from
    :func:`numerics.homogenisation_measures.expected_squared_distance` (a K x K array inside the round only)."""
    K, d = shape.K, shape.d
    mean = moments.mean.reshape(K, d)
    fitted, cov = step.fitted_covariance(shape, moments).reshape(K, d, d), moments.cov.reshape(K, d, K, d)
    pairwise = expected_squared_distance(mean, cov)
    return Summary(mean, fitted, jnp.einsum("kakb->kab", cov), mean_over_pairs(pairwise))


def recursion(eco: Ecosystem, rounds: int, population: bool = False, kept: str | None = "states"):
    """A jitted f(alphas, betas, sizes, tolerance, start=None) -> (final state, convergence round, what is ``kept``
    of rounds 0..T: the states, their :class:`Summary` or None); ``start``: None (round 0 is the initial fit) or
    :func:`given_start`.

    ``alphas``, ``betas``: schedules of length ``rounds`` or scalars; ``sizes``: their
    :class:`numerics.driver.sizes.Sizes`. The state is :class:`theory.gaussian.maps.Moments` (exact recursion) or
    :class:`theory.gaussian.maps.Fit` (``population``) of :func:`theory.gaussian.maps.centred` ``(eco)``: its means are
    measured from :func:`theory.gaussian.maps.origin`. The compiled function depends on the ecosystem's structure
    only (K, d, regime, estimator, rounds); its numbers (:func:`numerics.gaussian.step.values`) are passed in as
    arrays, so ecosystems that differ in their values share one compiled function. With ``kept=None`` memory does
    not grow with the number of rounds.
    """
    values = jax.tree.map(jnp.asarray, step.values(eco))
    run = _structured_recursion(step.structure(eco), rounds, population, kept)
    return functools.partial(run, values, jnp.asarray(model_values(eco, eco.beta_at(1))))


@compiled_cache
def _structured_recursion(shape: step.Structure, rounds: int, population: bool, kept: str | None):
    return jax.jit(functools.partial(_run, shape, population, kept=kept, rounds=rounds))


def given_start(eco: Ecosystem, start) -> Fit | None:
    """None, or the checked ``start`` (:func:`theory.gaussian.maps.start_state`) in centred coordinates (means
    minus :func:`theory.gaussian.maps.origin`, exactly) as a :class:`theory.gaussian.maps.Fit` of float64 arrays."""
    if start is None:
        return None
    fit = gaussian.start_state(eco, start)
    origin = sympy.Matrix.vstack(*[gaussian.origin(eco)] * eco.K)
    return Fit(jnp.asarray(numeric_start(fit.mean - origin)), jnp.asarray(numeric_start(fit.cov)))


def _spec_inputs(eco: Ecosystem, rounds: int):
    """The spec's alphas, betas and sizes; a constant schedule as one alpha, one beta and one round's sizes (per-round
    copies of the K x K synthetic sizes would take 8 GB at K = 1,000 over 1,000 rounds)."""
    alphas, betas = schedules(eco, rounds)
    if eco.is_constant:
        alpha, beta = eco.alpha_at(1), eco.beta_at(1)
        sizes = device(run_sizes(eco, alpha, beta, constant=True))
        return jnp.asarray(model_values(eco, alpha)), jnp.asarray(model_values(eco, beta)), sizes, jnp.asarray(0.0)
    return jnp.asarray(alphas), jnp.asarray(betas), device(spec_sizes(eco, rounds)), jnp.asarray(0.0)


@dataclass(frozen=True)
class ExactTrajectory(ExactRounds):
    """Exact values over rounds t = 0..T.

    centred_mean: (T+1, K, d)        E[m_k] - origin (population: m_k - origin), computed without the origin
    fitted_cov:   (T+1, K, d, d)     E[S_k] (population: S_k itself)
    mean_cov:     (T+1, K, d, K, d)  Cov(m_k, m_l); zero in the population limit
    origin:       (d,)               the public mean (:func:`theory.gaussian.maps.origin`)
    """

    ecosystem: Ecosystem
    kind: str
    centred_mean: np.ndarray
    fitted_cov: np.ndarray
    mean_cov: np.ndarray
    origin: np.ndarray
    checked = ("mean", "fitted_cov", "mean_cov")
    dims = {
        "mean": ("round", "model", "component"),
        "centred_mean": ("round", "model", "component"),
        "fitted_cov": ("round", "model", "component", "component2"),
        "mean_cov": ("round", "model", "component", "model2", "component2"),
        "origin": ("component",),
    }

    @property
    def mean(self) -> np.ndarray:
        """E[m_k] (T+1, K, d) (population: m_k itself)."""
        return self.centred_mean + self.origin

    def squared_distance(self, k: int, l: int) -> np.ndarray:
        """E||m_k - m_l||^2 per round (:func:`numerics.homogenisation_measures.expected_pair_distance`)."""
        return expected_pair_distance(self.centred_mean, self.mean_cov, k, l)


@dataclass(frozen=True)
class ExactSummaries(ExactSummaryRounds):
    """Per-round summaries of the exact recursion (:func:`iterate_moments` with ``summaries=True``), for
    ecosystems whose full trajectory does not fit in memory: every per-model quantity, the mean pairwise distance,
    and the covariance across models at the last round only.

    centred_mean:           (T+1, K, d)        E[m_k] - origin
    fitted_cov:             (T+1, K, d, d)     E[S_k]
    model_cov:              (T+1, K, d, d)     Cov(m_k)
    mean_squared_distance:  (T+1,)             the mean over pairs k != l of E||m_k - m_l||^2
    final_mean_cov:         (K, d, K, d)       Cov(m_k, m_l) at round T
    origin:                 (d,)               the public mean (:func:`theory.gaussian.maps.origin`)
    """

    ecosystem: Ecosystem
    kind: str
    centred_mean: np.ndarray
    fitted_cov: np.ndarray
    model_cov: np.ndarray
    mean_squared_distance: np.ndarray
    final_mean_cov: np.ndarray
    origin: np.ndarray
    checked = ("mean", "fitted_cov", "model_cov", "mean_squared_distance")
    dims = {
        "mean": ("round", "model", "component"),
        "centred_mean": ("round", "model", "component"),
        "fitted_cov": ("round", "model", "component", "component2"),
        "model_cov": ("round", "model", "component", "component2"),
        "mean_squared_distance": ("round",),
        "final_mean_cov": ("model", "component", "model2", "component2"),
        "origin": ("component",),
    }

    @property
    def mean(self) -> np.ndarray:
        """E[m_k] (T+1, K, d)."""
        return self.centred_mean + self.origin


def iterate_moments(
    eco: Ecosystem, rounds: int, start=None, summaries: bool = False
) -> ExactTrajectory | ExactSummaries:
    """The exact expected trajectory of the finite-n process (n = None gives the population map's values), from
    the initial fit or the given ``start`` ``{"mean": K x d, "cov": K x d x d}`` at round 0, deterministic
    (:mod:`theory.start`). ``summaries``: keep each round's :class:`Summary` only, and the last round's Cov(m)
    (:class:`ExactSummaries`): memory O(T K d^2 + K^2 d^2) instead of O(T K^2 d^2). For ``estimator="debiased"``
    the debiased estimator's own recursion (:mod:`numerics.gaussian.debiased`; no ``start``, no ``summaries``)."""
    require_gaussian(eco)
    K, d = eco.K, eco.dim
    if "debiased" in eco.model_estimators:  # its own recursion (theory.gaussian.debiased)
        if summaries:
            raise SpecError("summaries", "the debiased estimator's trajectory keeps every round's states")
        mean, fitted, cov, _ = debiased_trajectory(eco, rounds, start)
        return ExactTrajectory(eco, "moments", mean, fitted, cov, _origin(eco))
    final, _, path = recursion(eco, rounds, kept="summaries" if summaries else "states")(
        *_spec_inputs(eco, rounds), given_start(eco, start)
    )
    T = rounds + 1
    if summaries:
        parts = [np.asarray(x) for x in path]
        return ExactSummaries(eco, "moments", *parts, np.asarray(final.cov).reshape(K, d, K, d), _origin(eco))
    return ExactTrajectory(
        eco,
        "moments",
        np.asarray(path.mean).reshape(T, K, d),
        np.asarray(jax.vmap(functools.partial(step.fitted_covariance, step.structure(eco)))(path)).reshape(T, K, d, d),
        np.asarray(path.cov).reshape(T, K, d, K, d),
        _origin(eco),
    )


def iterate_population(eco: Ecosystem, rounds: int, start=None) -> ExactTrajectory:
    """The deterministic trajectory of the population (infinite-sample) map, from the initial fit or the given
    ``start`` ``{"mean": K x d, "cov": K x d x d}``."""
    require_gaussian(eco)
    _, _, path = recursion(eco, rounds, population=True)(*_spec_inputs(eco, rounds), given_start(eco, start))
    K, d = eco.K, eco.dim
    T = rounds + 1
    return ExactTrajectory(
        eco,
        "population",
        np.asarray(path.mean).reshape(T, K, d),
        np.asarray(path.cov).reshape(T, K, d, d),
        np.zeros((T, K, d, K, d)),
        _origin(eco),
    )


def _origin(eco: Ecosystem) -> np.ndarray:
    return np.array(gaussian.origin(eco), dtype=float).ravel()
