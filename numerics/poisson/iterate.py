"""Poisson ecosystems in numbers: the theory's exact recursions iterated with ``lax.scan``, values as inputs.

* :func:`iterate_moments` -- E lambda and Cov lambda of the fitted rates over rounds 0..T, from
  :func:`theory.poisson.maps.moment_step` evaluated with jax ops;
* :func:`iterate_population` -- the population map (:func:`theory.poisson.maps.population_step`).

The compiled functions depend on the structure only (K, the regime, the composition, the pool: :func:`structure`); the
numbers (real rates, W, alpha_t, beta_t and the sample sizes of :mod:`numerics.driver.sizes`) are their inputs, so a
new value set never recompiles and sweeps can ``vmap`` over any of them. Every step is array operations over the
model axis.

>>> from interplay.theory.poisson import poisson_ecosystem
>>> eco = poisson_ecosystem([2, 6], 4, alpha=0.5, beta=0.5, n=20)
>>> exact = iterate_moments(eco, 50)
>>> [round(float(x), 6) for x in exact.mean[-1]]  # the population map's fixed point (7/2, 9/2)
[3.5, 4.5]
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.jax_ops import JaxOps
from interplay.numerics.driver.mixture import expected_spread
from interplay.numerics.driver.pools import shared_noise
from interplay.numerics.driver.results import ExactRounds, ExactSummaryRounds
from interplay.numerics.driver.schedules import initial_beta, schedules
from interplay.numerics.driver.sizes import device, spec_sizes
from interplay.numerics.homogenisation_measures import expected_squared_distance, mean_over_pairs
from interplay.theory.poisson import maps as poisson
from interplay.theory.rounds import RoundPlan, round_plan
from interplay.theory.spec import Ecosystem, SpecError
from interplay.theory.start import numeric_start


class PoissonJaxOps(JaxOps):
    """jax ops plus the operations of :class:`theory.poisson.maps.PoissonSympyOps`."""

    @staticmethod
    def shared_noise(plan, rates):
        """(K, K): :meth:`theory.poisson.maps.PoissonSympyOps.shared_noise` over the model axis
        (:func:`numerics.driver.pools.shared_noise`)."""
        return shared_noise(plan.w_synthetic, plan.n_synthetic, rates[:, 0])

    @staticmethod
    def spread(mixing, mean, cov):
        """(K, 1): :meth:`theory.poisson.maps.PoissonSympyOps.spread` over the model axis
        (:func:`numerics.driver.mixture.expected_spread`)."""
        K = mean.shape[0]
        return expected_spread(mixing, mean, cov.reshape(K, 1, K, 1))[:, :, 0]


JAX_POISSON = PoissonJaxOps()


def require_poisson(eco: Ecosystem) -> None:
    if eco.family.name != "poisson":
        raise SpecError("family", f"this computation is for Poisson ecosystems, not {eco.family.name}")


def structure(eco: Ecosystem) -> Ecosystem:
    """The ecosystem the compiled functions are built for: K models and the regime, every number a placeholder
    (rates 1, W = I, given by its K nonzero entries, so that a large K builds no K x K table) that no compiled
    function reads (the numbers are inputs: :func:`values`)."""
    require_poisson(eco)
    identity = {"edges": [(k, k) for k in range(eco.K)]}
    options = dict(regime=eco.regime, composition=eco.composition, pool=eco.pool)
    return poisson.poisson_ecosystem([1] * eco.K, 1, mixing=identity, **options)


def values(eco: Ecosystem, mixing=None) -> poisson.PoissonValues:
    """The spec's numbers as float64 inputs of the compiled functions; W dense (K, K), or ``mixing`` given in its
    place (the weights on W's edges, :mod:`numerics.driver.edges`)."""
    return poisson.spec_values(eco, JAX_POISSON, mixing)


def plan(shape: Ecosystem, numbers: poisson.PoissonValues, alpha, beta, sizes, initial: bool, consumer=None):
    """The round's :class:`theory.rounds.RoundPlan` (weights and sizes) with W taken from the input ``numbers``
    (round_plan reads W from the spec, here the placeholder of :func:`structure`); ``sizes`` None: population.

    Given the edges' consumers ``consumer`` (E,) (:mod:`numerics.driver.edges`), ``numbers.mixing`` holds the
    edges' weights W[c_e, p_e] (E,) and ``sizes`` their n_synthetic (E,): the synthetic weights are the edges',
    alpha_{c_e} W[c_e, p_e] (E,), and the real ones round_plan's, w_private = (1 - alpha) beta and w_public = (1 -
    alpha)(1 - beta) (K, 1), written out so that no K x K array is made."""
    alphas = JAX_POISSON.column(0.0 if initial else alpha, shape.K)
    if consumer is None:
        planned = round_plan(
            shape, alpha, beta, initial=initial, population=sizes is None, sizes=sizes, ops=JAX_POISSON
        )
        return planned._replace(w_synthetic=alphas * numbers.mixing)
    betas = JAX_POISSON.column(beta, shape.K)
    return RoundPlan((1 - alphas) * betas, (1 - alphas) * (1 - betas), alphas[consumer, 0] * numbers.mixing, *sizes)


def scan_rounds(shape: Ecosystem, numbers, step, start, summary, alphas, betas, sizes):
    """``state = step(state, plan_t, t)`` for t = 1..T in one ``lax.scan``; (the final state, summary(state) over
    rounds 0..T). ``sizes``: the update rounds' sizes (leading axis T; without it, as for a constant schedule, the
    one size of every round, not repeated T times), or None for the population map."""
    constant = sizes is not None and jnp.ndim(sizes.n_private) == 2

    def body(state, inputs):
        alpha, beta, t, round_sizes = inputs
        round_sizes = sizes if constant else round_sizes
        state = step(state, plan(shape, numbers, alpha, beta, round_sizes, initial=False), t)
        return state, summary(state)

    ts = jnp.arange(1, alphas.shape[0] + 1, dtype=jnp.float64)
    final, path = jax.lax.scan(body, start, (alphas, betas, ts, None if constant else sizes))
    kept = jax.tree_util.tree_map(lambda first, rest: jnp.concatenate([first[None], rest]), summary(start), path)
    return final, kept


def full_moments(moments) -> tuple:
    """What a full trajectory keeps of a round: (E lambda (K,), Cov lambda (K, K))."""
    return moments.mean[:, 0], moments.cov


def summarised_moments(moments) -> tuple:
    """What summaries keep of a round: (E lambda (K,), Var lambda (K,), the mean over pairs of E(lambda_k -
    lambda_l)^2) -- a K x K array inside the round only."""
    return moments.mean[:, 0], jnp.diagonal(moments.cov), mean_over_pairs(spread(moments.mean[:, 0], moments.cov))


@compiled_cache
def moment_recursion(shape: Ecosystem, summaries: bool = False):
    """A jitted f(values, beta_1, alphas, betas, sizes, start=None) -> (the final moments, what is kept of rounds
    0..T: :func:`full_moments`, or :func:`summarised_moments` with ``summaries``) for the :func:`structure`
    ``shape``; beta_1 weighs the initial fit (:func:`numerics.driver.schedules.initial_beta`), ``sizes``: the
    :class:`numerics.driver.sizes.Sizes` of alphas, betas; ``start``: None (round 0 is the initial fit) or the given
    rates (K,), a deterministic round 0."""
    kept = summarised_moments if summaries else full_moments

    def run(numbers, beta_1, alphas, betas, sizes, start=None):
        if start is None:
            plan_0 = plan(shape, numbers, 0.0, beta_1, sizes.initial, initial=True)
            start = poisson.initial_moments(shape, numbers, plan_0, JAX_POISSON)
        else:
            start = poisson.started_moments(shape, start[:, None], JAX_POISSON)

        def step(moments, round_plan_t, t):
            return poisson.moment_step(shape, numbers, moments, round_plan_t, t, JAX_POISSON)

        return scan_rounds(shape, numbers, step, start, kept, alphas, betas, sizes.rounds)

    return jax.jit(run)


@compiled_cache
def population_recursion(shape: Ecosystem):
    """A jitted f(values, beta_1, alphas, betas, start=None) -> lambda (T+1, K) of the population map, from the
    initial fit or the given rates ``start`` (K,)."""

    def run(numbers, beta_1, alphas, betas, start=None):
        if start is None:
            plan_0 = plan(shape, numbers, 0.0, beta_1, None, initial=True)
            start = poisson.initial_rates(shape, numbers, plan_0, JAX_POISSON)
        else:
            start = start[:, None]

        def step(rates, round_plan_t, t):
            return poisson.population_step(shape, numbers, rates, round_plan_t, t, JAX_POISSON)

        return scan_rounds(shape, numbers, step, start, lambda r: r[:, 0], alphas, betas, None)[1]

    return jax.jit(run)


@dataclass(frozen=True)
class PoissonTrajectory(ExactRounds):
    """Exact values over rounds t = 0..T: mean (T+1, K) E lambda_k (population: lambda_k itself), cov
    (T+1, K, K) Cov(lambda_k, lambda_l) (zero for the population map)."""

    ecosystem: Ecosystem
    kind: str
    mean: np.ndarray
    cov: np.ndarray
    dims = {"mean": ("round", "model"), "cov": ("round", "model", "model2")}

    def variance(self) -> np.ndarray:
        """(T+1, K): Var lambda_k."""
        return np.diagonal(self.cov, axis1=1, axis2=2)

    def spread(self) -> np.ndarray:
        """(T+1, K, K): E(lambda_k - lambda_l)^2 (:func:`spread`)."""
        return spread(self.mean, self.cov)


@dataclass(frozen=True)
class PoissonSummaries(ExactSummaryRounds):
    """Per-round summaries of the exact recursion (:func:`iterate_moments` with ``summaries=True``): mean (T+1, K)
    E lambda_k, variance (T+1, K) Var lambda_k, mean_squared_distance (T+1,) the mean over pairs k != l of
    E(lambda_k - lambda_l)^2, final_cov (K, K) Cov(lambda_k, lambda_l) at round T."""

    ecosystem: Ecosystem
    kind: str
    mean: np.ndarray
    variance: np.ndarray
    mean_squared_distance: np.ndarray
    final_cov: np.ndarray
    checked = ("mean", "variance", "mean_squared_distance")
    dims = {
        "mean": ("round", "model"),
        "variance": ("round", "model"),
        "mean_squared_distance": ("round",),
        "final_cov": ("model", "model2"),
    }


def spread(mean, cov):
    """E(lambda_k - lambda_l)^2 from mean (..., K) and cov (..., K, K) -> (..., K, K), numpy or jax arrays: the rates
    as one-dimensional parameters of :func:`numerics.homogenisation_measures.expected_squared_distance`."""
    return expected_squared_distance(mean[..., None], cov[..., :, None, :, None])


def schedule_inputs(eco: Ecosystem, rounds: int):
    """(beta_1, alphas, betas) of the spec's schedule over ``rounds`` update rounds, as jax inputs."""
    require_poisson(eco)
    alphas, betas = schedules(eco, rounds)
    return jnp.asarray(initial_beta(eco, betas)), jnp.asarray(alphas), jnp.asarray(betas)


def given_start(eco: Ecosystem, start):
    """None, or the checked ``start`` (:func:`theory.poisson.maps.start_state`) as a float64 (K,) array."""
    if start is None:
        return None
    return jnp.asarray(numeric_start(poisson.start_state(eco, start))[:, 0])


def iterate_moments(
    eco: Ecosystem, rounds: int, start=None, summaries: bool = False
) -> PoissonTrajectory | PoissonSummaries:
    """The exact E lambda and Cov lambda of the finite-n process over rounds 0..T, from the initial fit or the
    given ``start``: the K rates at round 0, deterministic (:mod:`theory.start`). ``summaries``: keep each round's
    E lambda, Var lambda and mean pairwise distance, and the last round's Cov lambda (:class:`PoissonSummaries`):
    memory O(T K + K^2) instead of O(T K^2)."""
    inputs = schedule_inputs(eco, rounds)
    if eco.n is None:
        raise SpecError("n", "the moment recursion needs a finite n; n = None is the population limit")
    start = given_start(eco, start)
    sizes = device(spec_sizes(eco, rounds, repeated=False))
    final, kept = moment_recursion(structure(eco), summaries)(values(eco), *inputs, sizes, start)
    if summaries:
        return PoissonSummaries(eco, "moments", *(np.asarray(x) for x in kept), np.asarray(final.cov))
    return PoissonTrajectory(eco, "moments", *(np.asarray(x) for x in kept))


def iterate_population(eco: Ecosystem, rounds: int, start=None) -> PoissonTrajectory:
    """The deterministic trajectory of the population map over rounds 0..T, from the initial fit or the given
    ``start`` (the K rates)."""
    inputs = schedule_inputs(eco, rounds)
    rates = np.asarray(population_recursion(structure(eco))(values(eco), *inputs, given_start(eco, start)))
    return PoissonTrajectory(eco, "population", rates, np.zeros(rates.shape + (eco.K,)))
