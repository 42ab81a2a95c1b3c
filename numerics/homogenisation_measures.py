"""Homogenisation: how alike the models of an ecosystem become, as named measures of any trajectory.

Vu, Reeves & Wenger (arXiv 2505.21677) show that interaction homogenises: models that train on each other's
outputs drift toward each other. :func:`homogenisation` measures it on an exact trajectory or a Monte Carlo result
of any family, round by round, and returns an ``xarray.Dataset`` (:mod:`numerics.labelled`). Model k's fitted
parameters theta_k (the family's ``parameters``: the mean m_k of a Gaussian, the probabilities p_k of a
categorical model, the rate lambda_k of a Poisson model, the coefficients theta_k of a linear-Gaussian model) and
its fitted distribution f_k define, for K models:

==========================  =========================  =========================================================
name                        dimensions                 value
==========================  =========================  =========================================================
``squared_distance``        model, model2              ||theta_k - theta_l||^2
``mean_squared_distance``   ()                         the mean of ||theta_k - theta_l||^2 over the pairs k != l
``squared_frobenius``       ()                         ||D||_F^2 = sum_{k,l} D_kl^2, D_kl = ||theta_k - theta_l||
``frobenius``               ()                         ||D||_F, the Frobenius norm of the pairwise distance matrix
``kl``                      model, model2              KL(f_k || f_l) (+inf where f_k is not absolutely
                                                       continuous w.r.t. f_l)
``mean_kl``                 ()                         its mean over the ordered pairs k != l
``tv``                      model, model2              TV(f_k, f_l) = sup_A |f_k(A) - f_l(A)|, in [0, 1]
``mean_tv``                 ()                         its mean over the pairs k != l
==========================  =========================  =========================================================

and, for a family with categories (the categorical family: ``probabilities``), the diversity of each model and
of the pooled outputs p_bar = (1/K) sum_k p_k (the mixture of the models' outputs in equal parts):

==========================  =========================  =========================================================
``gini_simpson``            model                      1 - sum_i p_ki^2
``shannon``                 model                      -sum_i p_ki log p_ki (0 log 0 = 0; nats)
``hill``                    model, order               Hill numbers D_q = (sum_{p>0} p^q)^(1 / (1 - q)) at orders
                                                       q = 0 (the support size #{i: p_ki > 0}), 1 (exp Shannon)
                                                       and 2 (1 / sum p^2)
``pooled_gini_simpson``,    (), (), order              the same of p_bar
``pooled_shannon``,
``pooled_hill``
==========================  =========================  =========================================================

Each has the leading dimensions of the result: ``replicate`` and ``round`` for Monte Carlo (per replicate: average
over ``replicate`` for the expectation, with its standard error), ``round`` for an exact trajectory. The
``kind`` attribute says what the numbers are:

* ``monte_carlo`` and ``population`` (the population map, deterministic): every measure, of the fitted models
  themselves;
* ``moments`` (the exact moment recursion of a finite n): the measures whose expectation is a function of the
  first two moments of theta, computed exactly from them: E||theta_k - theta_l||^2 = ||E theta_k - E theta_l||^2
  + tr(Cov theta_k + Cov theta_l - 2 Cov(theta_k, theta_l)), its mean over pairs and E||D||_F^2, and
  (categorical) E[1 - sum_i p_ki^2] = 1 - sum_i (E[p_ki]^2 + Var p_ki) and E[1 - sum_i p_bar_i^2] with
  Var p_bar_i = (1/K^2) sum_{k,l} Cov(p_ki, p_li). The others (KL, TV, ||D||_F, Shannon, Hill numbers) are not
  functions of two moments and are left out, not approximated.

KL and TV have closed forms per family (``divergences`` in ``numerics/<family>/distances.py``); where a family has
none (TV between Gaussians of d >= 2 with different covariances) the measure is left out and the Dataset's
``not_computed`` attribute says why.
"""

from __future__ import annotations

import numpy as np

from interplay.numerics import registry
from interplay.numerics.driver.results import SimulatedReplicates

HILL_ORDERS = (0, 1, 2)
_PER_PAIR = ("model", "model2")


def homogenisation(result, **attrs):
    """The homogenisation measures of ``result`` (an exact trajectory or a Monte Carlo result of any family) as an
    ``xarray.Dataset``, as the module doc defines them; ``attrs`` are added to its attributes."""
    from interplay.numerics.labelled import derived_dataset

    family = registry.family(result.ecosystem)
    simulated = isinstance(result, SimulatedReplicates)
    kind = "monte_carlo" if simulated else result.kind
    lead = ("replicate", "round") if simulated else ("round",)
    variables, not_computed = {}, {}
    if kind == "moments":
        mean, cov = family.parameter_moments(result)
        squared = expected_squared_distance(mean, cov)
        variables |= _distance_measures(squared, lead)
        if family.probabilities is not None:
            variables["gini_simpson"] = (lead + ("model",), expected_gini_simpson(mean, cov))
            variables["pooled_gini_simpson"] = (lead, expected_pooled_gini_simpson(mean, cov))
    else:
        squared = squared_distance(family.parameters(result))
        variables |= _distance_measures(squared, lead)
        variables["frobenius"] = (lead, np.sqrt(variables["squared_frobenius"][1]))
        divergences = family.divergences(result)
        for name in ("kl", "tv"):
            if isinstance(divergences[name], str):
                not_computed[name] = divergences[name]
                continue
            variables[name] = (lead + _PER_PAIR, divergences[name])
            variables[f"mean_{name}"] = (lead, mean_over_pairs(divergences[name]))
        if family.probabilities is not None:
            variables |= _diversity_measures(family.probabilities(result), lead)
    coordinates = {"order": np.asarray(HILL_ORDERS)}
    if getattr(result, "rounds", None) is not None:
        kept = next(iter(variables.values()))[1].shape[len(lead) - 1]
        coordinates["round"] = np.arange(result.rounds + 1)[-kept:]
    return derived_dataset(result, variables, coordinates, kind=kind, not_computed=not_computed or None, **attrs)


def _distance_measures(squared: np.ndarray, lead: tuple) -> dict:
    return {
        "squared_distance": (lead + _PER_PAIR, squared),
        "mean_squared_distance": (lead, mean_over_pairs(squared)),
        "squared_frobenius": (lead, squared.sum((-2, -1))),
    }


def _diversity_measures(probabilities: np.ndarray, lead: tuple) -> dict:
    pooled = probabilities.mean(-2)
    return {
        "gini_simpson": (lead + ("model",), gini_simpson(probabilities)),
        "shannon": (lead + ("model",), shannon(probabilities)),
        "hill": (lead + ("model", "order"), np.stack([hill(probabilities, q) for q in HILL_ORDERS], -1)),
        "pooled_gini_simpson": (lead, gini_simpson(pooled)),
        "pooled_shannon": (lead, shannon(pooled)),
        "pooled_hill": (lead + ("order",), np.stack([hill(pooled, q) for q in HILL_ORDERS], -1)),
    }


# -- the measures, on arrays --------------------------------------------------------------------------------------


def squared_distance(theta: np.ndarray) -> np.ndarray:
    """(..., K, p) -> (..., K, K): ||theta_k - theta_l||^2 (differences first: no cancellation of large values);
    numpy or jax arrays."""
    gap = theta[..., :, None, :] - theta[..., None, :, :]
    return theta.__array_namespace__().einsum("...i,...i->...", gap, gap)


def expected_squared_distance(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """E||theta_k - theta_l||^2 = ||E theta_k - E theta_l||^2 + tr(C_kk + C_ll - 2 C_kl) from mean (..., K, p) and
    cov (..., K, p, K, p) -> (..., K, K); numpy or jax arrays (the exact recursion's per-round summaries,
    :func:`numerics.gaussian.iterate.summary`)."""
    xp = cov.__array_namespace__()
    traces = xp.einsum("...kili->...kl", cov)  # tr C_kl
    own = xp.diagonal(traces, axis1=-2, axis2=-1)
    return squared_distance(mean) + own[..., :, None] + own[..., None, :] - traces - xp.swapaxes(traces, -1, -2)


def expected_pair_distance(mean: np.ndarray, cov: np.ndarray, k: int, l: int) -> np.ndarray:
    """E||theta_k - theta_l||^2 (...,) of the pair (k, l) alone, from mean (..., K, p) and cov (..., K, p, K, p)
    (:func:`expected_squared_distance` of the two models' moments)."""
    pair = [k, l]
    return expected_squared_distance(mean[..., pair, :], cov[..., pair, :, :, :][..., pair, :])[..., 0, 1]


def mean_over_pairs(pairwise: np.ndarray) -> np.ndarray:
    """(..., K, K) -> (...): the mean of the off-diagonal entries (the pairs k != l; 0 for K = 1); numpy or jax
    arrays (the sweeps' pair means, :mod:`numerics.sweeps`)."""
    K = pairwise.shape[-1]
    if K < 2:
        return np.zeros(pairwise.shape[:-2])
    off_diagonal = ~np.eye(K, dtype=bool)
    return pairwise[..., off_diagonal].mean(-1)


def mean_pairwise_squared_distance(theta: np.ndarray) -> np.ndarray:
    """(..., K, p) -> (...): the mean over pairs k != l of ||theta_k - theta_l||^2, by the identity
    sum_{k,l} ||theta_k - theta_l||^2 = 2 K sum_k ||theta_k - theta_bar||^2: 2 / (K - 1) sum_k ||theta_k -
    theta_bar||^2, without the K x K array (a Monte Carlo of many models; deviations first, so no cancellation of
    large values); 0 for K = 1."""
    K = theta.shape[-2]
    if K < 2:
        return np.zeros(theta.shape[:-2])
    deviation = theta - theta.mean(-2, keepdims=True)
    return 2 / (K - 1) * np.einsum("...ki,...ki->...", deviation, deviation)


def gini_simpson(p: np.ndarray) -> np.ndarray:
    """(..., m) -> (...): 1 - sum_i p_i^2, the probability that two draws differ."""
    return 1 - np.einsum("...i,...i->...", p, p)


def shannon(p: np.ndarray) -> np.ndarray:
    """(..., m) -> (...): -sum_i p_i log p_i in nats, 0 log 0 = 0."""
    return -np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0).sum(-1)


def hill(p: np.ndarray, q: float) -> np.ndarray:
    """(..., m) -> (...): the Hill number of order q, (sum_{p_i > 0} p_i^q)^(1 / (1 - q)) (Hill 1973): q = 0 the
    support size, q = 1 exp(Shannon) (the limit), q = 2 1 / sum p_i^2."""
    if q == 1:
        return np.exp(shannon(p))
    held = p > 0
    return np.where(held, np.where(held, p, 1) ** q, 0.0).sum(-1) ** (1 / (1 - q))


def expected_gini_simpson(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """E[1 - sum_i p_ki^2] = 1 - sum_i (E[p_ki]^2 + Var p_ki) from mean (..., K, m), cov (..., K, m, K, m) ->
    (..., K)."""
    variances = np.einsum("...kiki->...k", cov)
    return 1 - np.einsum("...ki,...ki->...k", mean, mean) - variances


def expected_pooled_gini_simpson(mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """E[1 - sum_i p_bar_i^2], p_bar = (1/K) sum_k p_k: 1 - sum_i (E[p_bar_i]^2 + (1/K^2) sum_{k,l} Cov(p_ki,
    p_li)) -> (...)."""
    K = mean.shape[-2]
    pooled = mean.mean(-2)
    variance = np.einsum("...kili->...", cov) / K**2
    return 1 - np.einsum("...i,...i->...", pooled, pooled) - variance
