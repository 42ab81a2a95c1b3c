"""What a distribution family provides to the numerics: :class:`NumericsFamily`, the contract every family's
``numerics/<family>/family.py`` fulfils with one object ``FAMILY`` (see docs/adding-a-family.md).

The registry (:mod:`interplay.numerics.registry`) checks at import that a family has every member declared
here. A member typed ``... | None`` is a capability a family may lack: it is present and None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

from interplay.theory.spec import Ecosystem, SpecError


@runtime_checkable
class NumericsFamily(Protocol):
    """A family of the numerics: its verbs, its samplers, its sweep quantities, its config and its figures."""

    name: str  # the config name, the same as the theory's, e.g. "gaussian", "linear-gaussian"
    methods: tuple[str, ...]  # the Monte Carlo methods of ``simulate``; the first is the default
    # -- sweeps (numerics.sweeps), the family's part in numerics/<family>/sweep.py
    sweep_axes: tuple[str, ...]  # the sweepable parameters it has, of numerics.sweeps.SWEPT
    exact_quantities: tuple[str, ...]
    monte_carlo_quantities: tuple[str, ...]  # each named "mc_..."
    # every quantity's dimension names beyond the swept axes, e.g. {"spread": ("model", "model2")} (numerics.labelled)
    quantity_dims: dict[str, tuple[str, ...]]
    # the spec's values a sweep can take as an axis: {source field, "family.FIELD" (a field of the family's spec) or
    # "mixing": its rule} (numerics.value_axes)
    value_fields: dict[str, str]
    # exact_point(eco, rounds, population, tolerance) -> f(values, alpha, beta, sizes, quantities) -> {q: value}:
    # the exact quantities at one grid point after ``rounds`` rounds, for every ecosystem of eco's
    # ``sweep_structure`` (jax; sweeps.py vmaps and jits it; ``values``: the point's ``sweep_values``), or None
    # when the family's exact quantities are limits computed on the host by ``exact_limits``
    exact_point: Callable | None
    # exact_limits(eco, axes [(name, values)], quantities) -> {q: array over the alpha and beta axes given} (the
    # sweep calls it with the ecosystem built at each combination of the value axes' values)
    exact_limits: Callable | None

    # Each verb starts at round 0 from the initial fit, or from a given ``start`` (the family's fitted parameters,
    # deterministic: :mod:`interplay.theory.start`); SpecError naming ``start`` if bad or unsupported.
    def iterate_moments(self, eco: Ecosystem, rounds: int, start=None):
        """The exact expected trajectory of the finite-n process over rounds 0..T (a trajectory object)."""

    # iterate_summaries(eco, rounds, start=None): the exact recursion keeping per-model quantities and the mean pairwise
    # distance of each round, not the covariance across models (ecosystems whose full trajectory does not fit), or
    # None where the family keeps full trajectories only
    iterate_summaries: Callable | None

    def iterate_population(self, eco: Ecosystem, rounds: int, start=None):
        """The trajectory of the population map (SpecError where the family has none of its own)."""

    def simulate(self, eco: Ecosystem, rounds: int, key, replicates: int, start=None, **options):
        """Monte Carlo of the sampling process; ``method`` one of ``methods``."""

    def drawn_per_source(self, eco: Ecosystem, method: str) -> int:
        """The most values a replicate draws from one source in a round (per dimension)."""

    def fitted_values(self, eco: Ecosystem) -> int:
        """Numbers a Monte Carlo replicate keeps per round."""

    def monte_carlo_sampler(self, eco: Ecosystem, rounds: int, replicates: int, seed: int) -> Callable:
        """g(values, alphas (T,), betas (T,), sizes) -> {mc quantity: per-replicate values (R, ...)} at the final
        round for every ecosystem of eco's ``sweep_structure`` (``values``: its ``sweep_values``), the same law
        as ``simulate(eco, rounds, key=seed, replicates=R)`` (default method), and the same draws where W has no
        zeros (a sparse W's ``simulate`` draws one source per edge: :mod:`numerics.driver.edges`)."""

    def sweep_values(self, eco: Ecosystem):
        """Every number of ``eco`` that ``exact_point`` and ``monte_carlo_sampler`` read, a pytree of float64
        arrays: the input of the compiled sweep, so ecosystems that differ only in these share one compilation."""

    def sweep_structure(self, eco: Ecosystem):
        """What the sweep functions are built on (hashable): ecosystems with equal structures share them."""

    def sweep_settings(self, eco: Ecosystem, exact_population: bool, simulated: bool) -> dict:
        """The family's entries of a sweep's ``Grid.settings`` (e.g. ``method`` when ``simulated``)."""

    def sweep_replicate_size(self, eco: Ecosystem, rounds: int) -> tuple[int, int]:
        """(rounds kept, values drawn per source) by one Monte Carlo replicate of a sweep point."""

    def configure(self, family_table: dict, public) -> dict:
        """The config's [family] table with its defaults filled in from the public source (e.g. Gaussian dim)."""

    # -- homogenisation (numerics.homogenisation_measures), the family's part in numerics/<family>/distances.py;
    # ``result`` is a Monte Carlo result (arrays (R, T+1, ...)) or a population trajectory (T+1, ...)
    def parameters(self, result) -> np.ndarray:
        """theta (..., K, p): the fitted parameters whose squared distances measure homogenisation."""

    def parameter_moments(self, trajectory) -> tuple[np.ndarray, np.ndarray]:
        """(E theta (T+1, K, p), Cov theta (T+1, K, p, K, p)) of an exact moment trajectory (E theta may be shifted
        by a constant: only differences between models are used)."""

    def divergences(self, result) -> dict:
        """{"kl": KL(f_k || f_l), "tv": TV(f_k, f_l)} (..., K, K) between the fitted distributions; an entry that
        has no closed form is the text saying so."""

    # probabilities(result) -> (..., K, m): the fitted probabilities whose diversity is measured (the categorical
    # family); None for a family without categories
    probabilities: Callable | None

    def moments_close(self, eco: Ecosystem) -> bool:
        """Whether the exact moment recursion closes (else ``simulate`` is compared with the population map)."""

    def trajectory_arrays(self, exact, mc) -> tuple[np.ndarray, dict]:
        """(the per-replicate draws (R, T+1, ...) compared with ``exact.mean``, the arrays a simulate job saves)."""

    def trajectory_figure(self, exact, mc, title: str):
        """The figure of the exact trajectory against the Monte Carlo."""

    def closed_form(self, eco: Ecosystem) -> bool:
        """Whether sympy solves the population map's fixed point (else ``numerical_population``)."""

    # numerical_population(eco) -> (the ``population`` entry of derive's result, text lines, LaTeX lines): the
    # fixed points found numerically where ``closed_form`` is False; None when it is always True
    numerical_population: Callable | None


def refused_hook(family: str, what: str, detail: str = ""):
    """A hook a family does not have (yet): calling it raises a SpecError naming ``family`` ("the <family> family
    has no <what><detail>"); it is marked (``refuses``) so that a job can refuse before any work
    (:func:`require_hooks`)."""

    def hook(*args, **options):
        raise SpecError("family", f"the {family} family has no {what}{detail}")

    hook.__name__ = f"no_{what.replace(' ', '_')}"
    hook.refuses = True
    return hook


def require_hooks(family: NumericsFamily, *names: str) -> None:
    """Refuse before any work when the family refuses one of the hooks ``names`` a job will call: the first such
    hook's own SpecError naming ``family``."""
    for name in names:
        hook = getattr(family, name)
        if getattr(hook, "refuses", False):
            hook()
