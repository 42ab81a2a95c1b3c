"""Sweeps: long-run quantities over a grid of one to three parameters, as one jitted, vmapped computation.

``sweep(eco, {"alpha": a, "beta": b}, ["spread"], rounds=1000)`` runs the exact recursion (or the population map)
at every grid point and returns a :class:`Grid`: axis names and values, one array per quantity, the spec and the
settings that made it; ``Grid.save`` / ``Grid.load`` round-trip it losslessly. The grid is evaluated in chunks
with a progress bar; with ``checkpoint=folder`` each finished chunk is saved, and a rerun resumes from them (the
folder must be new, empty or a checkpoint of the same sweep; nothing in it is ever deleted).
When several devices are visible each chunk is sharded across them (``jax.sharding``); the result is the same.
A grid whose results cannot fit in memory is refused before any work (:mod:`numerics.driver.limits`); non-finite values
(a recursion that overflowed, a limit that does not exist) are kept, located by ``Grid.diverged`` and explained
in one line by ``Grid.divergence``.

Swept parameters: ``alpha``, ``beta`` (constant over rounds), ``n`` (training-set size, Gaussian and Poisson),
``K`` (number of models), ``temperature`` (categorical sampling temperature tau), ``alpha[k]`` and ``beta[k]`` (model
k's alone, the other models keeping the spec's: providers that differ; a spec that gives alpha or beta per model
sweeps the other axes with its own, and its per-model parameter only as ``alpha[k]``, ``beta[k]``; not with a K axis
nor for the linear-Gaussian family, whose limits take one alpha and beta), and value axes: any numeric value
of the spec named as a path, ``public.mean[0]``, ``private[1].cov[0][1]``, ``private[0].probs[2]``,
``public.rate``, ``family.theta[0]``, ``mixing[0][1]`` (:mod:`numerics.value_axes` parses them and says how the
rest of the spec follows: a probability vector keeps the other entries' proportions, W's diagonal absorbs a change
of its row, a covariance stays symmetric; the family's ``value_fields`` lists what it can sweep). alpha, beta, n
and value axes are inputs of one compiled function, vmapped over the grid: every point's (alpha, beta), its sample
sizes, computed exactly on the host from its values (:mod:`numerics.driver.sizes`; a grid value 0.7 is the spec's
0.7), and the numbers of the ecosystem at the point (the family's ``sweep_values`` of the spec with the point's
value axes set). The compiled function is cached by the family's ``sweep_structure``, so another ecosystem of the
same structure, or other values of an axis, reuse it. K and tau change array shapes or the compiled program, so
they are an outer Python loop: for each value the modified ecosystem is built and its compiled sweep runs over the
other axes; the results are stacked in the order the axes were given. A K axis copies private[0] and extends W, so
its value axes may only name the public source or the family's spec. A family whose exact quantities are limits
computed on the host (``exact_limits``, linear-Gaussian) gets them at each combination of the value axes' values,
of the ecosystem built there.

Quantities are computed from the final state (E[.] under the exact recursion, the values themselves under
``population=True``); each family names its own, ``exact_quantities`` and
``monte_carlo_quantities`` of its :class:`~numerics.family.NumericsFamily`, documented with their shapes in its
``numerics/<family>/sweep.py`` (Gaussian: mean, fitted_cov, mean_cov, spread, task_error, spectral_radius,
converged_at; categorical: mean, diversity, spread; linear-Gaussian: the limits spread, error, spectral_radius),
and the axes it can sweep (``sweep_axes``). On a ``temperature`` axis the exact quantities are the population map
at every tau (tau = 1 included, so the axis never changes its meaning mid-way); the Monte Carlo quantities run the
actual sampling at each tau.

Each Monte Carlo quantity comes with its standard error (``mc_spread_se``, ...), std / sqrt(R) over the
``replicates`` R runs of the sampling process, all from the one ``seed`` at every grid point (common random
numbers, so differences across the grid are not sampling noise): the same keys as ``simulate(eco at the point,
rounds, key=seed, replicates=R)`` of the family, so a point's value equals that run's (the family's
``monte_carlo_sampler`` says where it differs). Every family runs the default
(sufficient) method of its ``simulate``, final round only. They cannot sweep n; the grid's
settings record the replicates, the seed and the method.

A ``K`` axis needs every private source the same and (linear) one common synthetic design; the K-model ecosystem
has the same public source and K copies of the private one. W is extended as the equal split J/K or the identity
I_K (a one-model spec extends as J/K), the only two that define exchangeable models at every K, or, with
``sweep(..., mixing=...)``, built at each K by a graph generator ``{"graph": "ring", ...}``
(:func:`theory.graphs.graph_mixing`; in a config, ``[ecosystem] mixing = {graph = "ring"}``) or by a callable
K -> W, so the K models need not be exchangeable (a random generator draws each K's graph from its one seed).
Per-model shapes would change with K, so on a K axis each quantity is reported for model 1 (model 0 of a generated
graph, e.g. the star's center; by exchangeability any model under J/K or I_K): ``mean``, ``fitted_cov``,
``diversity``, ``error`` and ``mc_support`` (and their ``mc_`` versions) -> model 1's value; ``spread`` /
``mc_spread`` -> the scalar E||x_1 - x_2||^2 (K >= 2); ``mean_spread`` / ``mc_mean_spread`` (every family with a
``spread``: its mean over all the pairs k != l, :mod:`numerics.homogenisation_measures`) -> itself, whole, for any
graph; ``task_error`` -> (2,): model 1's error on its own
private task (every private task is the same) and on the public one; scalars as they are.
``mean_cov`` has no such reduction and is refused.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import sympy
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm import tqdm

from interplay.numerics import registry, value_axes
from interplay.numerics.driver.compiled_cache import compiled_cache
from interplay.numerics.driver.divergence import diverged_points
from interplay.numerics.driver.keys import prng_key
from interplay.numerics.driver.limits import (
    BYTES,
    WORKING_COPIES,
    Estimate,
    drawn_values,
    fitted_values,
    grid_seconds,
    require_fits,
    require_standard_errors,
)
from interplay.numerics.driver.schedules import constant_schedule
from interplay.numerics.driver.sizes import per_round, run_sizes, stack_runs
from interplay.numerics.files import PARTIAL, write_atomically
from interplay.numerics.homogenisation_measures import mean_over_pairs
from interplay.theory.spec import Ecosystem, PerModel, SpecError, equal_shares

SWEPT = ("alpha", "beta", "n", "K", "temperature")
_ONE_MODEL = re.compile(r"(?P<parameter>alpha|beta)\[(?P<k>\d+)\]")
"""``alpha[k]``, ``beta[k]``: one model's alpha or beta, the other models keeping the spec's."""
STRUCTURAL = ("K", "temperature")  # change array shapes or the compiled program: an outer loop, not a vmapped axis
# On a K axis: the index into a point's value that keeps model 1's entry (models 1 and 2 for pairwise ones).
ON_K_AXIS = {
    "mean": (0,),
    "fitted_cov": (0,),
    "diversity": (0,),
    "support": (0,),
    "error": (0,),
    "spread": (0, 1),
    "mean_spread": (),
    "task_error": (0, [0, -1]),
    "spectral_radius": (),
    "converged_at": (),
}
# The homogenisation of all the models as one number (numerics.homogenisation_measures): the mean of a pairwise
# quantity over the pairs k != l, computed from it (the Monte Carlo one per replicate, so its standard error is
# that of the mean over pairs); a scalar at every K, so a K axis reports it whole, for any graph.
PAIR_MEANS = {"mean_spread": "spread", "mc_mean_spread": "mc_spread"}
PAIRWISE = ("spread", "mc_spread", *PAIR_MEANS)
MEMORY_PER_CHUNK = 2**28  # bytes of Monte Carlo trajectories held per chunk


@dataclass(frozen=True)
class Grid:
    """A labelled grid of results: ``values[q]`` has shape (len(axis_1), ..., len(axis_k)) + quantity shape."""

    axes: tuple[tuple[str, np.ndarray], ...]
    values: dict[str, np.ndarray]
    spec: dict
    settings: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for _, v in self.axes)

    def axis(self, name: str) -> np.ndarray:
        return dict(self.axes)[name]

    def __getitem__(self, quantity: str) -> np.ndarray:
        return self.values[quantity]

    @property
    def diverged(self) -> np.ndarray:
        """A boolean array of the grid's shape: True where some quantity is not finite (see :attr:`divergence`)."""
        return diverged_points(self.values, self.shape)

    @property
    def divergence(self) -> str | None:
        """Where and why the grid holds non-finite values, in one line; None when every value is finite."""
        mask = self.diverged
        if not mask.any():
            return None
        first = np.argwhere(mask)[0]
        point = ", ".join(f"{name} = {values[i]:g}" for (name, values), i in zip(self.axes, first))
        reasons = {}
        for q, value in self.values.items():
            if not np.all(np.isfinite(value)):
                reasons.setdefault(self._reason(q, mask), []).append(q)
        why = "; ".join(f"{', '.join(qs)}: {reason}" for reason, qs in reasons.items())
        return f"not finite at {int(mask.sum())} of {mask.size} grid points (first at {point}); {why}"

    def _reason(self, quantity: str, mask: np.ndarray) -> str:
        if self.settings.get("limit") and quantity in ("spread", "error"):
            return "no limit where rho(Q) >= 1 (a multiplier is >= 1: no fixed point)"
        overflow = f"float64 overflow within {self.settings.get('rounds')} rounds"
        names = [name for name, _ in self.axes]
        if "alpha" in names:
            alphas = np.broadcast_to(self._mesh("alpha"), mask.shape)[mask]
            if np.all(alphas == 1):
                return f"no fixed point: a multiplier is 1 at alpha = 1 (no real data), {overflow}"
        return overflow

    def _mesh(self, name: str) -> np.ndarray:
        """The values of axis ``name`` broadcast against the grid."""
        position = [n for n, _ in self.axes].index(name)
        shape = [1] * len(self.axes)
        shape[position] = -1
        return self.axis(name).reshape(shape)

    def to_xarray(self, dims: dict | None = None, **attrs):
        """This grid as an ``xarray.Dataset``: the axes as dimensions with their values as coordinates, each
        quantity's own dimensions after them, the spec, settings, seed and versions as attributes
        (:func:`numerics.labelled.grid_dataset`; ``dims`` names the dimensions of quantities no family declares)."""
        from interplay.numerics.labelled import grid_dataset

        return grid_dataset(self, dims, **attrs)

    def save(self, path) -> None:
        """Write an ``.npz`` holding every array and the metadata as JSON; the file appears atomically."""
        meta = {"axes": [name for name, _ in self.axes], "quantities": list(self.values), "spec": self.spec}
        meta["settings"] = self.settings
        arrays = {f"axis:{name}": values for name, values in self.axes}
        arrays |= {f"value:{name}": values for name, values in self.values.items()}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        _savez(Path(path), arrays)

    @classmethod
    def load(cls, path) -> Grid:
        with np.load(Path(path)) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            axes = tuple((name, data[f"axis:{name}"]) for name in meta["axes"])
            values = {name: data[f"value:{name}"] for name in meta["quantities"]}
        return cls(axes, values, meta["spec"], meta["settings"])


def _savez(path: Path, arrays: dict) -> None:
    """``np.savez`` into a file that appears atomically, with the user's umask (mode 0644 under umask 022)."""
    write_atomically(path, lambda stream: np.savez(stream, **arrays))


def _is_parameter_axis(name: str) -> bool:
    """Whether ``name`` sweeps a parameter (:data:`SWEPT`, or one model's alpha or beta), not a value of the spec."""
    return name in SWEPT or bool(_ONE_MODEL.fullmatch(name))


def _per_model_points(eco: Ecosystem, names) -> bool:
    """Whether a grid's points give alpha and beta per model: the spec does, or an axis sweeps one model's."""
    return eco.per_model or any(_ONE_MODEL.fullmatch(name) for name in names)


def _check_model_axis(eco: Ecosystem, name: str, names) -> None:
    """SpecError naming ``axes.NAME`` for ``alpha[k]`` / ``beta[k]`` that name no model or that another axis
    contradicts; and for the spec's per-model alpha or beta swept whole."""
    one = _ONE_MODEL.fullmatch(name)
    if one is None:
        if name in ("alpha", "beta") and isinstance(getattr(eco, name), PerModel):
            raise SpecError(f"axes.{name}", f"the spec gives {name} per model; sweep one model's as {name}[k]")
        if name in ("alpha", "beta") and any(str(other).startswith(f"{name}[") for other in names):
            raise SpecError(f"axes.{name}", f"cannot sweep {name} and one model's {name} together")
        return
    k = int(one["k"])
    if k >= eco.K:
        raise SpecError(f"axes.{name}", f"names model {k}; the models are 0..{eco.K - 1}")
    if "K" in names:
        raise SpecError(f"axes.{name}", "a K axis takes one alpha and beta for all models")
    if registry.family(eco).exact_limits is not None:
        raise SpecError(f"axes.{name}", f"{eco.family.name} sweeps take one alpha and beta for all models")


def _point_parameters(eco: Ecosystem, swept: dict) -> tuple:
    """(alpha, beta) of a grid point: the spec's (per model where it gives them so) with the point's swept values,
    ``alpha`` / ``beta`` for all models, ``alpha[k]`` / ``beta[k]`` for model k (then both per model, as
    :class:`PerModel` of exact values, :func:`theory.spec.exact`)."""
    per_model = _per_model_points(eco, swept)
    out = []
    for parameter in ("alpha", "beta"):
        spec = (eco.alpha_at(1) if eco.is_constant else 0) if parameter == "alpha" else eco.beta_at(1)
        value = swept.get(parameter, spec)
        if not per_model:
            out.append(value)
            continue
        models = list(value) if isinstance(value, PerModel) else [value] * eco.K
        for name, v in swept.items():
            one = _ONE_MODEL.fullmatch(name)
            if one and one["parameter"] == parameter:
                models[int(one["k"])] = v
        out.append(PerModel(models))
    return tuple(out)


def _check_axes(eco: Ecosystem, axes: dict) -> list[tuple[str, np.ndarray]]:
    if not 1 <= len(axes) <= 3:
        raise SpecError("axes", f"sweep one to three parameters, got {len(axes)}")
    checked = []
    for name, values in axes.items():
        value_axis = not _is_parameter_axis(name) and value_axes.is_value_axis(name)
        one_model = _ONE_MODEL.fullmatch(name)
        if value_axis:
            value_axes.check(eco, value_axes.parse(name), exchangeable="K" in axes)
        elif one_model:
            _check_family_axis(eco, one_model["parameter"])
            _check_model_axis(eco, name, tuple(axes))
        elif name not in SWEPT:
            values_named = "a value of the spec such as public.mean[0], private[1].probs[2], mixing[0][1]"
            raise SpecError(
                f"axes.{name}", f"cannot sweep {name!r}; sweepable: {SWEPT}, alpha[k], beta[k] or {values_named}"
            )
        else:
            _check_family_axis(eco, name)
            _check_model_axis(eco, name, tuple(axes))
        try:
            values = np.asarray(values, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise SpecError(f"axes.{name}", f"needs numbers, got {values!r}") from None
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise SpecError(f"axes.{name}", "needs one or more finite values")
        if not eco.is_constant:
            raise SpecError(f"axes.{name}", "the spec has an alpha/beta schedule; sweep a constant spec")
        if eco.per_model and (name == "K" or registry.family(eco).exact_limits is not None):
            raise SpecError(f"axes.{name}", "the spec gives alpha or beta per model; this axis takes one for all")
        if (name in ("alpha", "beta") or one_model) and (values.min() < 0 or values.max() > 1):
            raise SpecError(f"axes.{name}", "values must lie in [0, 1]")
        if name == "n":
            if eco.n is None:
                raise SpecError("axes.n", "the spec is the population limit (n = None); give it a finite n")
            if isinstance(eco.n, PerModel):
                raise SpecError("axes.n", "the spec gives n per model; an n axis takes one for all models")
            if values.min() < 1 or np.any(values != np.round(values)):
                raise SpecError("axes.n", "values must be whole numbers >= 1")
            if "unbiased" in eco.model_estimators and values.min() < 2:
                raise SpecError("axes.n", "the unbiased estimator needs n >= 2")
        if name == "K":
            if values.min() < 1 or np.any(values != np.round(values)):
                raise SpecError("axes.K", "values must be whole numbers >= 1 (numbers of models)")
            for field in ("estimator", "n"):
                if isinstance(getattr(eco, field), PerModel):
                    raise SpecError("axes.K", f"the spec gives {field} per model; a K axis takes one for all models")
            values = values.astype(np.int64)
        if name == "temperature":
            if values.min() <= 0:
                raise SpecError("axes.temperature", "values must be > 0")
        if value_axis:
            for value in np.unique(values):  # each value alone gives a valid spec (combinations: at evaluation)
                value_axes.ecosystem_with(eco, value_axes.parse(name), value)
        if one_model and eco.n is not None:
            for value in np.unique(values):  # each value alone has sample sizes (fresh: one public share)
                try:
                    run_sizes(eco, *_point_parameters(eco, {name: float(value)}), constant=True)
                except SpecError as error:
                    raise SpecError(f"axes.{name}", f"at {value:g}: {error}") from None
        checked.append((name, values))
    return checked


def _check_family_axis(eco: Ecosystem, name: str) -> None:
    """SpecError when the ecosystem's family cannot sweep ``name`` (its ``sweep_axes``)."""
    axes = registry.family(eco).sweep_axes
    if name in axes:
        return
    if name == "temperature":
        sampling = [f.name for f in registry.families() if name in f.sweep_axes]
        raise SpecError(
            "axes.temperature", f"only {' and '.join(sampling)} models sample at a temperature, not {eco.family.name}"
        )
    raise SpecError(f"axes.{name}", f"{eco.family.name} sweeps run over {', '.join(axes)}")


def _without_name(source) -> dict:
    return {f.name: getattr(source, f.name) for f in dataclasses.fields(source) if f.name != "name"}


def _mixing_rule(eco: Ecosystem) -> str:
    """How W extends to K models: ``"equal"`` (J / K) or ``"self"`` (I, every model on its own outputs)."""
    K = eco.K
    if eco.mixing == equal_shares(K):
        return "equal"
    if K >= 2 and eco.mixing == sympy.eye(K):
        return "self"
    raise SpecError(
        "axes.K",
        "a K axis needs exchangeable models: mixing must be the equal split J/K or the identity, or give a "
        "graph generator that builds W at each K (sweep(..., mixing={'graph': 'ring'}); in a config, as mixing)",
    )


def _check_k_axis(eco: Ecosystem, quantities, values: np.ndarray, mixing) -> None:
    """K models are only defined from a spec whose private sources are the same and whose W extends to any K: it
    is the equal split or the identity, or the sweep names how W is built at each K (see the module doc)."""
    first = _without_name(eco.private[0])
    if any(_without_name(s) != first for s in eco.private[1:]):
        raise SpecError("axes.K", "a K axis needs exchangeable models: every private source must be the same")
    if mixing is None:
        _mixing_rule(eco)
    for K in values:
        _with_models(eco, int(K), mixing)  # every K's W is valid
    synthetic = getattr(eco.family, "synthetic", None)
    if synthetic and any(_without_name(s) != _without_name(synthetic[0]) for s in synthetic[1:]):
        raise SpecError("axes.K", "a K axis needs exchangeable models: give one common synthetic design")
    for q in quantities:
        if q.removeprefix("mc_") not in ON_K_AXIS:
            raise SpecError("quantities", f"{q!r} has no per-model reduction on a K axis; see numerics.sweeps")
    pairwise = [q for q in quantities if q in PAIRWISE]
    if pairwise and values.min() < 2:
        raise SpecError("axes.K", f"{pairwise} compare models: K values must be >= 2")


def _with_models(eco: Ecosystem, K: int, mixing=None) -> Ecosystem:
    """The same ecosystem with K models: the public source, K copies of the private one, W extended (J/K or I_K),
    or built for K models by ``mixing``, a graph generator ``{"graph": name, ...}`` (:mod:`theory.graphs`) or a
    callable K -> W."""
    private = tuple(dataclasses.replace(eco.private[0], name=f"private[{k}]") for k in range(K))
    family = eco.family
    if getattr(family, "synthetic", None):
        family = dataclasses.replace(family, synthetic=family.synthetic[0])
    if mixing is None:
        extended = None if _mixing_rule(eco) == "equal" else np.eye(K, dtype=int)
        return eco.with_options(private=private, mixing=extended, family=family)
    try:
        return eco.with_options(private=private, mixing=mixing(K) if callable(mixing) else mixing, family=family)
    except SpecError as error:
        problem = str(error).removeprefix(f"{error.parameter}: ")
        raise SpecError(error.parameter, f"{problem} (W built for K = {K} on the K axis)") from None


def _check_mixing(mixing, names) -> None:
    """``mixing`` builds W on a K axis: a generator table or a callable (see :func:`_with_models`)."""
    if mixing is None:
        return
    if "K" not in names:
        raise SpecError("mixing", "builds W at each K of a K axis, and this sweep has none")
    if not callable(mixing) and not (isinstance(mixing, Mapping) and "graph" in mixing):
        raise SpecError("mixing", f'give a graph generator {{"graph": name, ...}} or a callable K -> W, got {mixing!r}')


def _ecosystem_at(eco: Ecosystem, outer: dict, mixing=None) -> Ecosystem:
    """The spec at one value of each outer-loop axis (K, temperature)."""
    if "K" in outer:
        eco = _with_models(eco, int(outer["K"]), mixing)
    if "temperature" in outer:
        eco = eco.with_options(family=dataclasses.replace(eco.family, temperature=float(outer["temperature"])))
    return eco


class _PointInputs:
    """The inputs of a chunk of grid points: (alpha, beta) at each point, their sample sizes, computed exactly on
    the host from each swept value taken at its exact value (:func:`numerics.driver.sizes.run_sizes`), and the
    numbers of the ecosystem at each point (the family's ``sweep_values``: ``eco`` with the point's value axes
    set, :mod:`numerics.value_axes`); the other parameters are the spec's. Leading axis: the points, but for the
    numbers of a grid without value axes, the same at every point and passed once (``batched`` False)."""

    def __init__(self, eco: Ecosystem, names: tuple[str, ...]):
        self.eco, self.names = eco, names
        self.value_axes = [(i, value_axes.parse(name)) for i, name in enumerate(names) if not _is_parameter_axis(name)]
        self.batched = bool(self.value_axes)
        self.sweep_values = registry.family(eco).sweep_values
        self._at: dict[tuple, tuple[Ecosystem, object]] = {}  # per combination of the value axes' values

    def _ecosystem(self, point) -> tuple[Ecosystem, object]:
        combination = tuple(float(point[i]) for i, _ in self.value_axes)
        if combination not in self._at:
            eco = value_axes.ecosystem_at(self.eco, [axis for _, axis in self.value_axes], combination)
            self._at[combination] = eco, self.sweep_values(eco)
        return self._at[combination]

    def __call__(self, points: np.ndarray) -> tuple[tuple, object]:
        """((alpha, beta) (N, 2), or (N, 2, K) per model, sizes[, numbers]: per point), the numbers shared by every
        point or None."""
        parameters, runs, numbers = [], [], []
        shape = (2, self.eco.K) if _per_model_points(self.eco, self.names) else (2,)
        for point in points:
            eco, values = self._ecosystem(point)
            swept = {name: float(v) for name, v in zip(self.names, point)}
            alpha, beta = _point_parameters(eco, swept)
            n = int(swept["n"]) if "n" in swept else eco.n
            parameters.append([np.asarray(alpha, dtype=np.float64), np.asarray(beta, dtype=np.float64)])
            runs.append(run_sizes(eco, alpha, beta, n=n, constant=True))
            numbers.append(values)
        per_point = (np.array(parameters, dtype=np.float64).reshape((-1,) + shape), stack_runs(runs))
        if not self.batched:
            return per_point, self._ecosystem(())[1]
        return per_point + (jax.tree.map(lambda *x: np.stack([np.asarray(v) for v in x]), *numbers),), None


def _exact_function(eco: Ecosystem, rounds: int, population: bool, tolerance: float):
    """f((alpha, beta), sizes, values, quantities) -> {quantity: value} at one grid point (the family's
    ``exact_point``); (alpha, beta), ``sizes`` and ``values`` are the point's (:class:`_PointInputs`)."""
    at = registry.family(eco).exact_point(eco, rounds, population, tolerance)

    def exact(parameters, sizes, values, quantities):
        return at(values, parameters[0], parameters[1], sizes, quantities)

    return exact


def _replicate_summary(samples: dict, replicates: int) -> dict:
    """{q: the mean over the replicates (axis 0), q_se: its standard error std / sqrt(R) (ddof = 1)}."""
    out = {}
    for q, x in samples.items():
        out[q] = x.mean(0)
        out[f"{q}_se"] = x.std(0, ddof=1) / jnp.sqrt(replicates)
    return out


def _monte_carlo_function(eco: Ecosystem, rounds: int, replicates: int, seed: int):
    """f((alpha, beta), sizes, values, quantities) -> {mc quantity: mean, mc quantity_se: standard error} at the
    final round."""
    sampler = registry.family(eco).monte_carlo_sampler(eco, rounds, replicates, seed)

    def at(parameters, sizes, values, quantities):
        alphas, betas = (constant_schedule(p, rounds) for p in parameters)
        samples = sampler(values, alphas, betas, per_round(sizes, rounds))
        samples |= {q: mean_over_pairs(samples[source]) for q, source in PAIR_MEANS.items() if q in quantities}
        return _replicate_summary({q: samples[q] for q in quantities}, replicates)

    return at


class _Structure:
    """An ecosystem standing for every ecosystem of the same sweep structure (its family's ``sweep_structure``):
    equal to them and hashed alike, so they share one compiled sweep whose numbers are inputs."""

    def __init__(self, eco: Ecosystem):
        family = registry.family(eco)
        self.eco, self.key = eco, (family.name, family.sweep_structure(eco))

    def __eq__(self, other) -> bool:
        return isinstance(other, _Structure) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)


@compiled_cache
def _compiled(shape: _Structure, rounds, population, tolerance, quantities, replicates, seed, batched: bool):
    """jit(vmap(f)): f((alpha, beta), sizes, values) -> {quantity: value} at one grid point, exact and Monte Carlo
    together, for every ecosystem of the structure ``shape`` (its numbers are the input ``values``, one per point
    when ``batched``, else one for all), whatever the grid's axes."""
    eco = shape.eco
    simulated = [q for q in quantities if _source(q) in registry.family(eco).monte_carlo_quantities]
    exact = [q for q in quantities if q not in simulated]
    at = _exact_function(eco, rounds, population, tolerance) if exact else None
    mc = _monte_carlo_function(eco, rounds, replicates, seed) if simulated else None

    def point(parameters, sizes, values):
        out = at(parameters, sizes, values, exact) if exact else {}
        return out | (mc(parameters, sizes, values, simulated) if simulated else {})

    return jax.jit(jax.vmap(point, in_axes=(0, 0, 0 if batched else None)))


def _on_k_axis(values: dict, lead: int) -> dict:
    """Model 1's value (models 1 and 2 for pairwise ones) of each quantity; ``lead`` grid axes come first."""
    out = {}
    for q, value in values.items():
        index = ON_K_AXIS[q.removeprefix("mc_").removesuffix("_se")]
        flat = value.reshape((-1,) + value.shape[lead:])[(slice(None),) + index]
        out[q] = flat.reshape(value.shape[:lead] + flat.shape[1:])
    return out


def _chunk_size(eco: Ecosystem, rounds: int, replicates: int, chunk_size: int) -> int:
    """At most ``chunk_size`` points, and few enough that a chunk's Monte Carlo trajectories fit the budget."""
    per_point = replicates * (rounds + 1) * fitted_values(eco) * 8 * 3
    return max(1, min(chunk_size, MEMORY_PER_CHUNK // per_point))


@dataclass(frozen=True)
class _Slice:
    """One value of each outer-loop axis: its ecosystem, what builds its compiled point function and its chunks'
    starts. The function is built (or found in the shared cache) when the slice's chunks run, so a long
    structural axis never holds all its executables at once (see :mod:`numerics.driver.compiled_cache`)."""

    index: int
    outer: dict
    eco: Ecosystem
    compile: object
    chunk_size: int
    starts: range


def _check_monte_carlo(eco: Ecosystem, names, simulated, population: bool, replicates, seed) -> None:
    if population or eco.n is None:
        raise SpecError("quantities", f"{list(simulated)} need a finite n (Monte Carlo), not the population limit")
    if "n" in names:
        raise SpecError("axes.n", "Monte Carlo quantities cannot sweep n")
    require_standard_errors(replicates)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise SpecError("seed", f"must be an integer, got {seed!r}")
    prng_key(seed, "seed")  # within the seeds jax takes


def _settings(eco: Ecosystem, simulated, quantities, exact_population: bool, **given) -> dict:
    """What made the grid, as plain JSON: the options that matter for its family and quantities."""
    family = registry.family(eco)
    if family.exact_limits is not None:  # the exact quantities are limits: no rounds, no chunks
        settings = {"limit": len(simulated) < len(quantities)}
        if simulated:
            settings |= {"rounds": given["rounds"], "chunk_size": given["chunk_size"]}
    else:
        settings = {k: given[k] for k in ("rounds", "population", "tolerance", "chunk_size")}
    settings |= family.sweep_settings(eco, exact_population, bool(simulated))
    if simulated:
        settings |= {"replicates": given["replicates"], "seed": given["seed"]}
    return settings


def require_sweeps(eco: Ecosystem) -> None:
    """SpecError naming ``family`` when the ecosystem's family declares no sweep quantities (gaussian-mixture,
    markov): it has no sweeps. Arithmetic on the declarations only, so callers refuse before any work."""
    family = registry.family(eco)
    if not family.exact_quantities + family.monte_carlo_quantities:
        raise SpecError("family", f"the {family.name} family has no sweeps (no sweep quantities)")


def sweep(
    eco: Ecosystem,
    axes: dict,
    quantities=("spread",),
    *,
    rounds: int = 1000,
    population: bool = False,
    tolerance: float = 1e-12,
    chunk_size: int = 4096,
    checkpoint=None,
    progress: bool = True,
    replicates: int = 1000,
    seed: int = 0,
    memory: int | None = None,
    announce=None,
    mixing=None,
) -> Grid:
    """Evaluate ``quantities`` after ``rounds`` rounds at every point of the grid ``axes`` (see module doc).

    A grid whose results (or one point's Monte Carlo replicates) cannot fit in ``memory`` bytes (default: the
    memory available) is refused before any work (:mod:`numerics.driver.limits`); the grid's points are generated
    chunk by chunk. ``announce``, when given, receives the sweep's :class:`numerics.driver.limits.Estimate` before any
    work. Non-finite values are kept and explained by :attr:`Grid.divergence`. ``mixing``, with a K axis, builds
    W at each K: a graph generator ``{"graph": "ring", ...}`` (:func:`theory.graphs.graph_mixing`) or a callable
    K -> W; by default W must be the equal split or the identity."""
    family = registry.family(eco)
    eco.check_rounds(rounds)
    if rounds < 1:
        raise SpecError("rounds", "a sweep needs at least one update round")
    quantities = tuple([quantities] if isinstance(quantities, str) else quantities)
    require_sweeps(eco)
    known = family.exact_quantities + family.monte_carlo_quantities
    known += tuple(q for q, source in PAIR_MEANS.items() if source in known)
    for q in quantities:
        if q not in known:
            raise SpecError("quantities", f"unknown quantity {q!r}; known: {sorted(known)}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise SpecError("chunk_size", f"must be an integer >= 1, got {chunk_size!r}")
    checked = _check_axes(eco, axes)
    names = tuple(name for name, _ in checked)
    _check_mixing(mixing, names)
    if "K" in names:
        _check_k_axis(eco, quantities, dict(checked)["K"], mixing)
    elif eco.K < 2 and any(q in PAIRWISE for q in quantities):
        raise SpecError("quantities", f"{[q for q in quantities if q in PAIRWISE]} compare models: K = 1")
    simulated = tuple(q for q in quantities if _source(q) in family.monte_carlo_quantities)
    if simulated:
        _check_monte_carlo(eco, names, simulated, population, replicates, seed)
    outer_axes = [(name, v) for name, v in checked if name in STRUCTURAL]
    inner_axes = [(name, v) for name, v in checked if name not in STRUCTURAL]
    # On a temperature axis the exact quantities are the population map at every tau (see the module doc).
    exact_population = population or "temperature" in names
    settings = _settings(
        eco, simulated, quantities, exact_population, rounds=rounds, population=population, tolerance=tolerance,
        chunk_size=chunk_size, replicates=replicates, seed=seed,
    )  # fmt: skip
    if mixing is not None:
        name = getattr(mixing, "__qualname__", type(mixing).__qualname__)
        settings["mixing"] = dict(mixing) if isinstance(mixing, Mapping) else f"callable {name}"

    inner = tuple(name for name, _ in inner_axes)
    inner_shape = tuple(len(v) for _, v in inner_axes)
    estimate = _check_grid_memory(
        eco, checked, quantities, simulated, rounds, replicates if simulated else 0, memory, mixing
    )
    if announce is not None:
        announce(estimate)
    points = _Points(inner_axes)
    limits = family.exact_limits is not None  # exact quantities computed on the host over the grid: below
    # an exact pair mean is computed from its pairwise source, on the host (below); a Monte Carlo one per replicate
    computed_names = tuple(dict.fromkeys(q if q in simulated else _source(q) for q in quantities))
    compiled_quantities = simulated if limits else computed_names
    slices = []
    for index, combination in enumerate(itertools.product(*(v for _, v in outer_axes))):
        outer = {name: value for (name, _), value in zip(outer_axes, combination)}
        eco_s = _ecosystem_at(eco, outer, mixing)
        size = _chunk_size(eco_s, rounds, replicates, chunk_size) if simulated else chunk_size
        build, starts = None, range(0)
        if compiled_quantities:
            mc = (replicates, seed) if simulated else (0, 0)
            batched = any(not _is_parameter_axis(name) for name in inner)  # value axes: numbers per point
            build = functools.partial(
                _compiled, _Structure(eco_s), rounds, exact_population, tolerance, compiled_quantities, *mc, batched
            )
            starts = range(0, len(points), size)
        slices.append(_Slice(index, outer, eco_s, build, size, starts))

    chunks = sum(len(s.starts) for s in slices)
    store = _Checkpoint(checkpoint, eco, checked, quantities, settings, chunks) if checkpoint is not None else None
    computed = _run_chunks(slices, inner, points, store, bool(outer_axes), progress)
    per_slice = []
    for s in slices:
        values = {q: v.reshape(inner_shape + v.shape[1:]) for q, v in computed[s.index].items()}
        if limits and len(simulated) < len(quantities):
            values |= _exact_limits(s.eco, inner_axes, [q for q in computed_names if q not in simulated])
        values = _with_pair_means(values, quantities)
        per_slice.append(_on_k_axis(values, len(inner_shape)) if "K" in names else values)
    return Grid(tuple(checked), _assemble(per_slice, outer_axes, inner_axes, names), eco.describe(), settings)


def _source(quantity: str) -> str:
    """The family's quantity a sweep computes for ``quantity``: a pair mean's pairwise source, else itself."""
    return PAIR_MEANS.get(quantity, quantity)


def _with_pair_means(values: dict, quantities) -> dict:
    """The quantities asked for (with their standard errors): an exact pair mean from its pairwise source's values
    (a source not asked for is dropped)."""
    kept = {name: value for name, value in values.items() if name.removesuffix("_se") in quantities}
    derived = {q: mean_over_pairs(np.asarray(values[PAIR_MEANS[q]])) for q in quantities if q in PAIR_MEANS}
    return kept | {q: value for q, value in derived.items() if q not in kept}


def _exact_limits(eco: Ecosystem, inner_axes, quantities) -> dict[str, np.ndarray]:
    """The family's ``exact_limits`` (computed on the host over the alpha and beta axes) at every combination of
    the value axes' values, each of the ecosystem built at that combination (:func:`value_axes.ecosystem_at`),
    stacked and put in the order of ``inner_axes``."""
    grid = [(name, v) for name, v in inner_axes if name in SWEPT]
    valued = [(name, v) for name, v in inner_axes if name not in SWEPT]
    parsed = [value_axes.parse(name) for name, _ in valued]
    limits = registry.family(eco).exact_limits
    per_combination = [
        limits(value_axes.ecosystem_at(eco, parsed, combination), grid, quantities)
        for combination in itertools.product(*(v for _, v in valued))
    ]
    return _assemble(per_combination, valued, grid, tuple(name for name, _ in inner_axes))


class _Points:
    """The inner grid's points in row-major order, made a chunk at a time: points[a:b] -> (b - a, axes)."""

    def __init__(self, inner_axes):
        self.axes = [values for _, values in inner_axes]
        self.shape = tuple(len(v) for v in self.axes)

    def __len__(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __getitem__(self, chunk: slice) -> np.ndarray:
        flat = np.arange(*chunk.indices(len(self)))
        if not self.axes:  # only outer axes (K, temperature): one point with no inner values
            return np.zeros((flat.size, 0))
        indices = np.unravel_index(flat, self.shape)
        return np.stack([axis[i] for axis, i in zip(self.axes, indices)], axis=-1).astype(np.float64)


def _values_per_point(eco: Ecosystem, quantity: str, K: int) -> int:
    """An upper bound on the numbers one grid point holds for ``quantity`` with K models (a standard error
    doubles a Monte Carlo quantity)."""
    d = eco.dim
    largest = max((K * d) ** 2, K * d * d, K * (K + 1))
    return largest * (2 if quantity.startswith("mc_") else 1)


def _check_grid_memory(eco: Ecosystem, checked, quantities, simulated, rounds, replicates, memory, mixing) -> Estimate:
    """Refuse a grid whose results, held about three times while assembled, cannot fit (naming the axes), and
    Monte Carlo replicates one grid point cannot hold (naming replicates or rounds); else the sweep's rough
    duration and the grid's memory (:mod:`numerics.driver.limits`)."""
    axes = dict(checked)
    K = int(axes["K"].max()) if "K" in axes else eco.K
    points = int(np.prod([len(v) for v in axes.values()], dtype=np.float64))
    per_point = sum(_values_per_point(eco, q, K) for q in quantities)
    shape = " x ".join(str(len(v)) for v in axes.values())
    needed = 3.0 * BYTES * points * per_point
    require_fits(needed, "axes", f"a {shape} grid of {list(quantities)}", memory)
    eco_k = _with_models(eco, K, mixing) if "K" in axes else eco
    if not simulated:
        return Estimate(grid_seconds(eco_k, points, rounds), needed)
    # a grid point runs all its replicates at once
    family = registry.family(eco)
    kept, largest = family.sweep_replicate_size(eco_k, rounds)
    per_replicate = WORKING_COPIES * BYTES * kept * fitted_values(eco_k) + 16 * BYTES * drawn_values(
        eco_k, largest, edged=False
    )
    what = f"{replicates} replicates x {rounds} rounds at one grid point"
    require_fits(replicates * per_replicate, "replicates", what, memory)
    drawn = family.drawn_per_source(eco_k, "sufficient")
    return Estimate(grid_seconds(eco_k, points, rounds, replicates, drawn), needed)


def _run_chunks(slices: list[_Slice], names, points, store, tagged: bool, progress: bool) -> dict:
    """Every slice's chunks under one progress bar, loaded from the checkpoint where saved; returns, per slice,
    {quantity: values over the points}. A chunk's sample sizes are computed on the host as it is evaluated.
    Chunk files are named by slice (when ``tagged``) and index."""
    devices = jax.devices()
    computed: dict[int, list] = {s.index: [] for s in slices}
    chunks = [(s, start) for s in slices for start in s.starts]
    inputs = {s.index: _PointInputs(s.eco, names) for s in slices}
    for s, start in tqdm(chunks, desc="sweep", unit="chunk", disable=not progress):
        tag = (s.index if tagged else None, start // s.chunk_size)
        saved = store.load(tag, s.outer) if store else None
        if saved is None:
            chunk = points[start : start + s.chunk_size]
            per_point, shared = inputs[s.index](chunk)
            compiled = s.compile()
            if shared is not None:
                compiled = functools.partial(_with_shared, compiled, shared)
            saved = _evaluate_sharded(compiled, per_point, devices)
            if store:
                store.save(tag, s.outer, saved)
        computed[s.index].append(saved)
    return {
        i: {q: np.concatenate([p[q] for p in parts]) for q in parts[0]} if parts else {}
        for i, parts in computed.items()
    }


def _assemble(per_slice: list[dict], outer_axes, inner_axes, names) -> dict[str, np.ndarray]:
    """Stack the slices (outer axes first, in product order), then put the axes in the sweep's order."""
    outer_shape = tuple(len(v) for _, v in outer_axes)
    order = [name for name, _ in outer_axes] + [name for name, _ in inner_axes]
    permutation = [order.index(name) for name in names]
    values = {}
    for q in per_slice[0]:
        stacked = np.stack([s[q] for s in per_slice]).reshape(outer_shape + per_slice[0][q].shape)
        rest = list(range(len(names), stacked.ndim))
        values[q] = np.transpose(stacked, permutation + rest)
    return values


def _with_shared(compiled, shared, *per_point):
    """compiled(*per_point, shared): the numbers every point of the grid shares come last."""
    return compiled(*per_point, shared)


def _evaluate_sharded(compiled, chunk, devices) -> dict:
    """compiled(*chunk) for a chunk of points (arrays leading with the point axis), split across the devices."""
    size = len(jax.tree.leaves(chunk)[0])
    if len(devices) > 1:
        padded = -(-size // len(devices)) * len(devices)
        chunk = jax.tree.map(lambda x: np.concatenate([x, np.repeat(x[-1:], padded - size, axis=0)]), chunk)
        mesh = Mesh(np.array(devices), ("grid",))
        inputs = jax.device_put(jax.tree.map(jnp.asarray, chunk), NamedSharding(mesh, PartitionSpec("grid")))
    else:
        inputs = jax.tree.map(jnp.asarray, chunk)
    out = compiled(*inputs)
    return {q: np.asarray(v)[:size] for q, v in out.items()}


class _Checkpoint:
    """A folder of finished chunks and ``manifest.json`` naming the sweep they belong to (and how many chunks it
    has). The manifest marks the folder as a checkpoint: a folder without one is used only if it is empty. Nothing
    in it is ever deleted but the partial chunk files a kill left behind."""

    def __init__(self, folder, eco, checked, quantities, settings, chunks: int):
        self.folder = Path(folder)
        identity = {
            "spec": eco.describe(),
            "axes": {name: values.tolist() for name, values in checked},
            "quantities": list(quantities),
            "settings": settings,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        manifest = self.folder / "manifest.json"
        if self.folder.exists() and not self.folder.is_dir():
            raise SpecError("checkpoint", f"{self.folder} is a file, not a folder")
        if manifest.exists():
            saved = read_manifest(self.folder)
            if saved is None:
                raise SpecError("checkpoint", f"{self.folder} is not a sweep checkpoint (unreadable manifest.json)")
            if saved["digest"] != digest:
                raise SpecError("checkpoint", f"{self.folder} holds the chunks of a different sweep")
            for partial in self.folder.glob(f".chunk-*{PARTIAL}*"):
                partial.unlink(missing_ok=True)
            return
        if self.folder.is_dir() and any(self.folder.iterdir()):
            raise SpecError(
                "checkpoint", f"{self.folder} holds other files and no manifest.json; give a new or empty folder"
            )
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SpecError("checkpoint", f"cannot create {self.folder}: {error.strerror}") from None
        text = json.dumps({"tool": "interplay sweep checkpoint", "digest": digest, "chunks": chunks} | identity)
        write_atomically(manifest, lambda stream: stream.write(text.encode()))

    def _path(self, tag) -> Path:
        outer, index = tag
        return self.folder / (f"chunk-{index:06d}.npz" if outer is None else f"chunk-{outer:04d}-{index:06d}.npz")

    def load(self, tag, outer: dict) -> dict | None:
        """The chunk's values, or None if it is not there yet; a chunk of another outer value is an error."""
        path = self._path(tag)
        if not path.exists():
            return None
        with np.load(path) as data:
            saved = {name: data[name] for name in data.files}
        for name, value in outer.items():
            if saved.pop(f"@{name}", None) != value:
                raise SpecError("checkpoint", f"{path} was computed at another {name} than {value}")
        return saved

    def save(self, tag, outer: dict, values: dict) -> None:
        """Write the chunk with the outer-loop values it was computed at (K, temperature...)."""
        _savez(self._path(tag), values | {f"@{name}": np.asarray(v) for name, v in outer.items()})


def read_manifest(folder) -> dict | None:
    """The manifest of a sweep checkpoint folder (``digest``, ``chunks``: how many the sweep has...), else None."""
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and "digest" in manifest else None


def saved_chunks(folder) -> int:
    """How many finished chunks a checkpoint folder holds."""
    return len(list(Path(folder).glob("chunk-*.npz")))
