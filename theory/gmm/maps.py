"""The Gaussian-mixture family (d = 1): each model a mixture of C Gaussians, fitted by EM with C fixed.

This is the family of the curse-of-recursion experiment of Shumailov et al. (Nature 631, 2024; arXiv 2305.17493):
a mixture refitted by EM, generation after generation, to samples of the previous generation. Model k's
parameters are theta_k = (pi_{k1..kC}, mu_{k1..kC}, s2_{k1..kC}): weights, means and variances. Its training
distribution in round t is the mixture of its sources with the weights of :mod:`theory.rounds`,

    p_k = w_private q_k + w_public q_0 + sum_j alpha_t W[k, j] f(. ; theta_j),

every q_s a real source (itself a mixture of Gaussians, any number of components) and f(. ; theta_j) model j's
mixture: p_k is again a finite mixture of Gaussians. Its fit is the maximum-likelihood C-component mixture reached
by EM (Dempster, Laird & Rubin 1977) from the previous fit: at t = 0 from the moment start (weights 1/C, the means
spread over m +- sd of p_k, every variance the variance of p_k), afterwards from theta_k itself, each run to
|Delta theta| <= ``em_tolerance`` (1 + |theta|) within ``em_rounds`` EM steps (a run that does not stop within the
budget is reported, never hidden). One EM step with responsibilities r_c(x) = pi_c N(x; mu_c, s2_c) / sum_d pi_d
N(x; mu_d, s2_d) is

    pi_c' = E_p r_c,   mu_c' = E_p[r_c x] / pi_c',   s2_c' = max(E_p[r_c (x - mu_c')^2] / pi_c', floor).

Nothing here has a closed form: the population map (every sample infinite, E_p an integral against p_k) is
computed in :mod:`numerics.gmm` by quadrature per Gaussian component of p_k, and its fixed points,
multipliers and Monte Carlo there too. What is exact, and stated here:

* a mixture of C identical components (pi_c arbitrary, mu_c = m, s2_c = v) has responsibilities r_c = pi_c, so
  one EM step gives pi' = pi, mu_c' = E_p x, s2_c' = Var_p x and stops: the merged mixture is invariant and the
  map reduces to the Gaussian family's maximum-likelihood population map (:func:`merged_fit`);
* under alpha_t = 1 and W = I (one model on its own outputs) p_k = f(. ; theta_k), whose EM fixed point is
  theta_k itself: every state is a fixed point of the population map (collapse is a finite-sample effect).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from interplay.theory.spec import Ecosystem, SpecError, exact, plain, show, sums_to_one


def _positive_int(value, parameter: str, least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise SpecError(parameter, f"must be an integer >= {least}, got {value!r}")
    return int(value)


def _positive_number(value, parameter: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(parameter, f"must be a number > 0, got {value!r}")
    if not (np.isfinite(value) and value > 0):
        raise SpecError(parameter, f"must be a finite number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class GaussianMixture:
    """Mixtures of ``components`` Gaussians on the line, each model fitted by EM (module doc): ``em_rounds`` the
    budget of EM steps of one fit, ``em_tolerance`` its stopping rule, ``variance_floor`` the least variance a
    component keeps (a component on a single sample would otherwise reach variance 0), ``quadrature`` the
    quadrature nodes per Gaussian component of the population map's integrals (:func:`numerics.gmm.em.nodes`)."""

    components: int = 2
    em_rounds: int = 500
    em_tolerance: float = 1e-10
    variance_floor: float = 1e-8
    quadrature: int = 160

    name = "gaussian-mixture"
    estimators = ("em",)
    compositions = ("fixed",)
    pools = ("own",)
    regimes = ("fresh",)
    dim = 1

    def __post_init__(self):
        object.__setattr__(self, "components", _positive_int(self.components, "family.components"))
        object.__setattr__(self, "em_rounds", _positive_int(self.em_rounds, "family.em_rounds"))
        object.__setattr__(self, "em_tolerance", _positive_number(self.em_tolerance, "family.em_tolerance"))
        object.__setattr__(self, "variance_floor", _positive_number(self.variance_floor, "family.variance_floor"))
        object.__setattr__(self, "quadrature", _positive_int(self.quadrature, "family.quadrature", 2))

    @property
    def source_type(self):
        return GaussianMixtureSource

    def check(self, eco: Ecosystem) -> None:
        """Numbers only (EM has no symbolic answer); at least C samples per model where n is finite."""
        if not eco.is_numeric:
            raise SpecError("family", f"the {self.name} family is computed numerically: give numbers, not symbols")
        if eco.n is not None and min(eco.training_sizes) < self.components:
            raise SpecError("n", f"must be >= components = {self.components} (EM needs a sample per component)")

    def values(self) -> tuple:
        return ()

    def describe(self) -> dict:
        return {
            "name": self.name,
            "components": self.components,
            "em_rounds": self.em_rounds,
            "em_tolerance": self.em_tolerance,
            "variance_floor": self.variance_floor,
            "quadrature": self.quadrature,
        }


def _numbers(value, parameter: str) -> tuple:
    entries = np.atleast_1d(np.asarray(value, dtype=object))
    if entries.ndim != 1 or entries.size == 0:
        raise SpecError(parameter, f"must be a non-empty list of numbers, got {value!r}")
    numbers = tuple(exact(x, f"{parameter}[{i}]") for i, x in enumerate(entries))
    for i, x in enumerate(numbers):
        if not x.is_number:
            raise SpecError(f"{parameter}[{i}]", f"must be a number, got {x}")
    return numbers


@dataclass(frozen=True)
class GaussianMixtureSource:
    """A real source, sum_c weights[c] N(means[c], variances[c]) (any number of components): weights >= 0 summing
    to 1, variances > 0. ``size`` is unused (the family has the ``fresh`` regime only)."""

    weights: object
    means: object
    variances: object
    size: int | None = None
    name: str = "source"

    def __post_init__(self):
        weights = _numbers(self.weights, f"{self.name}.weights")
        means = _numbers(self.means, f"{self.name}.means")
        variances = _numbers(self.variances, f"{self.name}.variances")
        if not len(weights) == len(means) == len(variances):
            raise SpecError(
                f"{self.name}.means",
                f"weights, means and variances need one entry per component, got {len(weights)}, {len(means)}, "
                f"{len(variances)}",
            )
        for i, w in enumerate(weights):
            if w < 0:
                raise SpecError(f"{self.name}.weights[{i}]", f"must be >= 0, got {show(w)}")
        if not sums_to_one(weights):
            raise SpecError(f"{self.name}.weights", f"must sum to 1, got {show(sum(weights))}")
        for i, v in enumerate(variances):
            if not v > 0:
                raise SpecError(f"{self.name}.variances[{i}]", f"must be > 0, got {show(v)}")
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "variances", variances)

    @property
    def mean(self) -> sympy.ImmutableMatrix:
        """E x, as a 1 x 1 matrix (exact)."""
        return sympy.ImmutableMatrix([[sum(w * m for w, m in zip(self.weights, self.means))]])

    @property
    def variance(self):
        """Var x = sum_c w_c (s2_c + mu_c^2) - (E x)^2 (exact)."""
        second = sum(w * (v + m**2) for w, m, v in zip(self.weights, self.means, self.variances))
        return second - self.mean[0, 0] ** 2

    def values(self) -> tuple:
        return (sympy.ImmutableMatrix([list(self.weights), list(self.means), list(self.variances)]),)

    def describe(self) -> dict:
        return {"weights": plain(self.weights), "means": plain(self.means), "variances": plain(self.variances)}


def gaussian_mixture_ecosystem(
    sources, public, components: int = 2, em_rounds: int = 500, em_tolerance: float = 1e-10, **options
) -> Ecosystem:
    """An ecosystem of Gaussian-mixture models: ``sources`` one private source per model and ``public`` the public
    source, each a (weights, means, variances) triple or a :class:`GaussianMixtureSource`; ``options`` the other
    :class:`~theory.spec.Ecosystem` fields (alpha, beta, mixing, n; regime ``fresh``, the default here), and the
    family's ``variance_floor`` and ``quadrature``.

    >>> eco = gaussian_mixture_ecosystem([([0.5, 0.5], [-2, 2], [1, 1])], ([1], [0], [4]), alpha=1, beta=1, n=50)
    >>> eco.K, eco.family.name, eco.family.components
    (1, 'gaussian-mixture', 2)
    """
    family_options = {key: options.pop(key) for key in ("variance_floor", "quadrature") if key in options}
    family = GaussianMixture(components, em_rounds, em_tolerance, **family_options)
    options.setdefault("regime", "fresh")
    if isinstance(sources, (str, bytes)) or not hasattr(sources, "__len__"):
        raise SpecError("private", f"expected one source per model, got {sources!r}")
    private = tuple(_source(s, f"private[{k}]") for k, s in enumerate(sources))
    return Ecosystem(family, _source(public, "public"), private, **options)


def _source(value, name: str) -> GaussianMixtureSource:
    if isinstance(value, GaussianMixtureSource):
        return value
    if isinstance(value, dict):
        unknown = set(value) - {"weights", "means", "variances"}
        if unknown:
            raise SpecError(name, f"unknown key(s) {sorted(unknown)}: a source has weights, means, variances")
        try:
            return GaussianMixtureSource(value["weights"], value["means"], value["variances"], name=name)
        except KeyError as missing:
            raise SpecError(f"{name}.{missing.args[0]}", "is missing") from None
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise SpecError(name, f"expected (weights, means, variances), got {value!r}")
    return GaussianMixtureSource(*value, name=name)


def merged_fit(source_means, source_variances, weights) -> tuple:
    """The exact fit of the merged mixture (module doc): (E_p x, Var_p x) of p = sum_s weights[s] q_s from the
    sources' means and variances (sympy or numbers)."""
    mean = sum(w * m for w, m in zip(weights, source_means))
    second = sum(w * (v + m**2) for w, m, v in zip(weights, source_means, source_variances))
    return mean, second - mean**2


def refuse(what: str):
    """A hook the family does not have: SpecError naming ``family`` with what to use instead."""

    def hook(*args, **options):
        raise SpecError(
            "family",
            f"the gaussian-mixture family has no {what} (its population map is computed, not derived: use "
            "interplay.numerics.gmm)",
        )

    hook.__name__ = f"no_{what.replace(' ', '_')}"
    return hook


def no_initial_state(fmap, start=None) -> list:
    """No symbolic state: SpecError naming ``family`` (:func:`refuse`)."""
    return refuse("symbolic initial state")()
