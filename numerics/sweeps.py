"""Sweeps: long-run quantities over a grid of one to three parameters, as one jitted, vmapped computation.

``sweep(eco, {"alpha": a, "beta": b}, ["spread"], rounds=1000)`` runs the exact recursion (or the population map)
at every grid point and returns a :class:`Grid`: axis names and values, one array per quantity, the spec and the
settings that made it; ``Grid.save`` / ``Grid.load`` round-trip it losslessly. The grid is evaluated in chunks
with a progress bar; with ``checkpoint=folder`` each finished chunk is saved, and a rerun resumes from them.
When several devices are visible each chunk is sharded across them (``jax.sharding``); the result is the same.

Swept parameters: ``alpha``, ``beta`` (constant over rounds) and ``n`` (training-set size). Quantities, computed
from the final state (E[.] under the exact recursion, the values themselves under ``population=True``):

==================  ================  ==============================================================
name                shape             value
==================  ================  ==============================================================
``mean``            (K, d)            E m_k
``fitted_cov``      (K, d, d)         E S_k
``mean_cov``        (Kd, Kd)          Cov(m)
``spread``          (K, K)            E||m_k - m_l||^2 (homogenisation; 0 on the diagonal)
``task_error``      (K, K+1)          E||m_k - mu_j||^2 to each task's mean (private tasks, then public)
``spectral_radius`` ()                max |eigenvalue| of the iterated map's Jacobian at the final state
``converged_at``    ()                first round whose largest change is below ``tolerance`` (-1: never)
``mc_mean``         (K, d)            Monte Carlo mean of the fitted means m_k at the final round
``mc_fitted_cov``   (K, d, d)         Monte Carlo mean of the fitted covariances S_k
``mc_spread``       (K, K)            Monte Carlo mean of ||m_k - m_l||^2
==================  ================  ==============================================================

Categorical ecosystems (exact moment recursion; the population map where tau != 1 or with ``population``):
``mean`` (K, m) E p_k, ``diversity`` (K,) E[1 - sum_i p_ki^2], ``spread`` (K, K) E||p_k - p_l||^2, over alpha
and beta. Linear-Gaussian ecosystems (the exact limit laws; ``rounds`` is not used): ``spread`` (K, K),
``error`` (K,) lim E||theta_k - theta*||^2 and ``spectral_radius`` () of Q, over alpha and beta (NaN where
rho(Q) >= 1: no limit).

Each Monte Carlo quantity comes with its standard error (``mc_spread_se``, ...): ``replicates`` runs of the
sampling process (the sufficient-statistic path of :mod:`numerics.monte_carlo`) from the same ``key`` at every
grid point (common random numbers, so differences across the grid are not sampling noise); they sweep alpha
and beta, and the grid's settings record the replicates and the seed.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from tqdm import tqdm

from theory import gaussian
from theory.rounds import round_plan
from theory.spec import Ecosystem, SpecError

from . import categorical as categorical_numerics
from .iterate import recursion
from .jax_ops import JAX
from .linear import long_run_grid
from .monte_carlo import compiled_simulation

SWEPT = ("alpha", "beta", "n")
CATEGORICAL = ("mean", "diversity", "spread")
LINEAR = ("spread", "error", "spectral_radius")
MONTE_CARLO = ("mc_mean", "mc_fitted_cov", "mc_spread")
MEMORY_PER_CHUNK = 2**28  # bytes of Monte Carlo trajectories held per chunk


def _block_diagonal(matrix, K, d):
    return jnp.stack([matrix[k * d : (k + 1) * d, k * d : (k + 1) * d] for k in range(K)])


def _quantities(eco: Ecosystem, population: bool):
    K, d = eco.K, eco.dim
    tasks = jnp.stack([JAX.asarray(s.mean)[:, 0] for s in (*eco.private, eco.public)])

    def parts(state):
        means = state.mean[:, 0].reshape(K, d)
        if population:
            return means, state.cov.reshape(K, d, d), jnp.zeros((K * d, K * d))
        return means, gaussian.fitted_covariance(eco, state, JAX).reshape(K, d, d), state.cov

    def spread(state):
        means, _, cov = parts(state)
        blocks = cov.reshape(K, d, K, d)
        variance = jnp.einsum("kiki->k", blocks)
        cross = jnp.einsum("kili->kl", blocks)
        gap = ((means[:, None] - means[None]) ** 2).sum(-1)
        return gap + variance[:, None] + variance[None] - 2 * cross

    def task_error(state):
        means, _, cov = parts(state)
        variance = jnp.trace(_block_diagonal(cov, K, d), axis1=1, axis2=2)
        return ((means[:, None] - tasks[None]) ** 2).sum(-1) + variance[:, None]

    return {
        "mean": lambda state: parts(state)[0],
        "fitted_cov": lambda state: parts(state)[1],
        "mean_cov": lambda state: parts(state)[2],
        "spread": spread,
        "task_error": task_error,
    }


def _spectral_radius(eco: Ecosystem, population: bool, state, alpha, beta, n, beta_1):
    """max |lambda| of d(step)/d(state) at ``state`` for constant alpha, beta (round t = 1's map)."""
    flat, unravel = ravel_pytree(state)
    plan = round_plan(
        eco,
        alpha,
        beta,
        initial=False,
        population=population,
        n=None if eco.n is None else n,
        initial_beta=beta_1,
        ops=JAX,
    )
    step = gaussian.population_step if population else gaussian.moment_step

    def flat_step(x):
        return ravel_pytree(step(eco, unravel(x), plan, 1.0, JAX))[0]

    return jnp.max(jnp.abs(jnp.linalg.eigvals(jax.jacfwd(flat_step)(flat))))


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

    def save(self, path) -> None:
        """Write an ``.npz`` holding every array and the metadata as JSON; the file appears atomically."""
        meta = {"axes": [name for name, _ in self.axes], "quantities": list(self.values), "spec": self.spec}
        meta["settings"] = self.settings
        arrays = {f"axis:{name}": values for name, values in self.axes}
        arrays |= {f"value:{name}": values for name, values in self.values.items()}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        _atomic_savez(Path(path), arrays)

    @classmethod
    def load(cls, path) -> Grid:
        with np.load(Path(path)) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            axes = tuple((name, data[f"axis:{name}"]) for name in meta["axes"])
            values = {name: data[f"value:{name}"] for name in meta["quantities"]}
        return cls(axes, values, meta["spec"], meta["settings"])


def _atomic_savez(path: Path, arrays: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".npz")
    os.close(handle)
    try:
        np.savez(temporary, **arrays)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _check_axes(eco: Ecosystem, axes: dict) -> list[tuple[str, np.ndarray]]:
    if not 1 <= len(axes) <= 3:
        raise SpecError("axes", f"sweep one to three parameters, got {len(axes)}")
    checked = []
    for name, values in axes.items():
        if name not in SWEPT:
            raise SpecError("axes", f"cannot sweep {name!r}; sweepable: {SWEPT}")
        values = np.asarray(values, dtype=np.float64).ravel()
        if values.size == 0 or not np.all(np.isfinite(values)):
            raise SpecError(f"axes.{name}", "needs one or more finite values")
        if name in ("alpha", "beta"):
            if not eco.is_constant:
                raise SpecError(f"axes.{name}", "the spec has an alpha/beta schedule; sweep a constant spec")
            if values.min() < 0 or values.max() > 1:
                raise SpecError(f"axes.{name}", "values must lie in [0, 1]")
        if name == "n":
            if eco.n is None:
                raise SpecError("axes.n", "the spec is the population limit (n = None); give it a finite n")
            if values.min() < 1 or np.any(values != np.round(values)):
                raise SpecError("axes.n", "values must be whole numbers >= 1")
            if eco.estimator == "unbiased" and values.min() < 2:
                raise SpecError("axes.n", "the unbiased estimator needs n >= 2")
        checked.append((name, values))
    return checked


def _point_function(eco: Ecosystem, names: tuple[str, ...], rounds: int, population: bool, tolerance: float):
    """f(swept values (len(names),)) -> {quantity: value} at one grid point; the other parameters are the spec's."""
    run = recursion(eco, rounds, population=population, trajectory=False)
    table = _quantities(eco, population)
    defaults = {
        "alpha": float(eco.alpha_at(1)) if eco.is_constant else 0.0,
        "beta": float(eco.beta_at(1)),
        "n": float(eco.n) if eco.n is not None else 0.0,
    }

    def at(swept, quantities):
        values = defaults | {name: swept[i] for i, name in enumerate(names)}
        final, converged_at, _ = run(values["alpha"], values["beta"], values["n"], tolerance)
        out = {}
        for q in quantities:
            if q == "converged_at":
                out[q] = converged_at
            elif q == "spectral_radius":
                out[q] = _spectral_radius(
                    eco, population, final, values["alpha"], values["beta"], values["n"], values["beta"]
                )
            else:
                out[q] = table[q](final)
        return out

    return at


def _monte_carlo_function(eco: Ecosystem, names, rounds: int, replicates: int, seed: int):
    """f(swept values) -> {mc quantity: value, mc quantity_se: its standard error} at the final round."""
    run, _, _ = compiled_simulation(eco, rounds, replicates, "sufficient")
    key = jax.random.PRNGKey(seed)
    defaults = {"alpha": float(eco.alpha_at(1)) if eco.is_constant else 0.0, "beta": float(eco.beta_at(1))}

    def at(swept, quantities):
        values = defaults | {name: swept[i] for i, name in enumerate(names)}
        means, covs = run(key, jnp.full(rounds, values["alpha"]), jnp.full(rounds, values["beta"]))
        final = means[:, -1]
        samples = {
            "mc_mean": final,
            "mc_fitted_cov": covs[:, -1],
            "mc_spread": ((final[:, :, None] - final[:, None]) ** 2).sum(-1),
        }
        out = {}
        for q in quantities:
            out[q] = samples[q].mean(0)
            out[f"{q}_se"] = samples[q].std(0, ddof=1) / jnp.sqrt(replicates)
        return out

    return at


@functools.lru_cache(maxsize=32)
def _compiled(eco: Ecosystem, names, rounds, population, tolerance, quantities, replicates, seed):
    exact = [q for q in quantities if q not in MONTE_CARLO]
    simulated = [q for q in quantities if q in MONTE_CARLO]
    at = _point_function(eco, names, rounds, population, tolerance)
    mc = _monte_carlo_function(eco, names, rounds, replicates, seed) if simulated else None

    def point(swept):
        return at(swept, exact) | (mc(swept, simulated) if simulated else {})

    return jax.jit(jax.vmap(point))


@functools.lru_cache(maxsize=32)
def _categorical_compiled(eco: Ecosystem, names, rounds: int, population: bool, quantities):
    """vmapped f(swept (alpha, beta) values) -> {quantity: value} after ``rounds`` rounds (see module doc)."""
    exact = not population and eco.n is not None and eco.family.temperature == 1
    run = (categorical_numerics.moment_recursion if exact else categorical_numerics.population_recursion)(eco)
    K, m = eco.K, eco.dim
    defaults = {"alpha": float(eco.alpha_at(1)), "beta": float(eco.beta_at(1))}

    def point(swept):
        values = defaults | {name: swept[i] for i, name in enumerate(names)}
        out = run(jnp.full(rounds, values["alpha"]), jnp.full(rounds, values["beta"]))
        mean, cov = (out[0][-1], out[1][-1]) if exact else (out[-1], jnp.zeros((K * m, K * m)))
        probs, blocks = mean.reshape(K, m), cov.reshape(K, m, K, m)
        variance = jnp.einsum("kiki->ki", blocks)
        total, cross = variance.sum(-1), jnp.einsum("kili->kl", blocks)
        table = {
            "mean": probs,
            "diversity": 1 - (variance + probs**2).sum(-1),
            "spread": ((probs[:, None] - probs[None]) ** 2).sum(-1) + total[:, None] + total[None] - 2 * cross,
        }
        return {q: table[q] for q in quantities}

    return jax.jit(jax.vmap(point))


def _linear_values(eco: Ecosystem, checked, quantities) -> dict[str, np.ndarray]:
    """The exact limit laws at every grid point (one compiled map, a loop over the points)."""
    axes = dict(checked)
    alphas = axes.get("alpha", np.array([float(eco.alpha_at(1))]))
    betas = axes.get("beta", np.array([float(eco.beta_at(1))]))
    radius, laws = long_run_grid(eco, alphas, betas)
    K = eco.K
    table = {"spectral_radius": radius, "spread": np.full(radius.shape + (K, K), np.nan)}
    table["error"] = np.full(radius.shape + (K,), np.nan)
    for i in range(len(alphas)):
        for j in range(len(betas)):
            law = laws[i][j]
            if law is not None:
                table["error"][i, j] = law.task_error()
                table["spread"][i, j] = [[law.squared_distance(k, l) for l in range(K)] for k in range(K)]
    order = [name for name, _ in checked]
    shape = tuple(len(v) for _, v in checked)
    values = {}
    for q in quantities:
        value = table[q]  # axes (alpha, beta) first; drop the unswept one, transpose to the sweep's axis order
        if "alpha" not in order:
            value = value[0]
        elif "beta" not in order:
            value = value[:, 0]
        elif order == ["beta", "alpha"]:
            value = np.swapaxes(value, 0, 1)
        values[q] = value.reshape(shape + value.shape[len(shape) :])
    return values


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
) -> Grid:
    """Evaluate ``quantities`` after ``rounds`` rounds at every point of the grid ``axes`` (see module doc)."""
    family = eco.family.name
    eco.check_rounds(rounds)
    if rounds < 1:
        raise SpecError("rounds", "a sweep needs at least one update round")
    quantities = tuple([quantities] if isinstance(quantities, str) else quantities)
    known = {
        "gaussian": lambda: set(_quantities(eco, population)) | {"spectral_radius", "converged_at"} | set(MONTE_CARLO),
        "categorical": lambda: set(CATEGORICAL),
        "linear-gaussian": lambda: set(LINEAR),
    }
    if family not in known:
        raise SpecError("family", f"sweeps are not available for {family} ecosystems")
    known = known[family]()
    for q in quantities:
        if q not in known:
            raise SpecError("quantities", f"unknown quantity {q!r}; known: {sorted(known)}")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise SpecError("chunk_size", f"must be an integer >= 1, got {chunk_size!r}")
    checked = _check_axes(eco, axes)
    names = tuple(name for name, _ in checked)
    if family != "gaussian" and "n" in names:
        raise SpecError("axes.n", f"{family} sweeps run over alpha and beta")
    if family == "linear-gaussian":
        values = _linear_values(eco, checked, quantities)
        return Grid(tuple(checked), values, eco.describe(), {"limit": True})
    simulated = [q for q in quantities if q in MONTE_CARLO]
    if simulated:
        if population or eco.n is None:
            raise SpecError("quantities", f"{simulated} need a finite n (Monte Carlo), not the population limit")
        if "n" in names:
            raise SpecError("axes.n", "Monte Carlo quantities sweep alpha and beta only")
        if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 2:
            raise SpecError("replicates", f"must be an integer >= 2, got {replicates!r}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise SpecError("seed", f"must be an integer, got {seed!r}")
        K, d = eco.K, eco.dim
        per_point = replicates * (rounds + 1) * K * (d + d * d) * 8 * 3
        chunk_size = max(1, min(chunk_size, MEMORY_PER_CHUNK // per_point))
    shape = tuple(len(v) for _, v in checked)
    points = np.array(list(itertools.product(*(v for _, v in checked))), dtype=np.float64).reshape(-1, len(names))
    settings = {"rounds": rounds, "population": population, "tolerance": tolerance, "chunk_size": chunk_size}
    if simulated:
        settings |= {"replicates": replicates, "seed": seed, "method": "sufficient"}
    if family == "categorical":
        compiled = _categorical_compiled(eco, names, rounds, population, quantities)
    else:
        compiled = _compiled(
            eco, names, rounds, population, tolerance, quantities, replicates if simulated else 0, seed
        )
    devices = jax.devices()
    store = _Checkpoint(checkpoint, eco, checked, quantities, settings) if checkpoint is not None else None
    results: list[dict] = []
    starts = range(0, len(points), chunk_size)
    for index, start in enumerate(tqdm(starts, desc="sweep", unit="chunk", disable=not progress)):
        saved = store.load(index) if store else None
        if saved is None:
            chunk = points[start : start + chunk_size]
            saved = _evaluate_sharded(compiled, chunk, devices)
            if store:
                store.save(index, saved)
        results.append(saved)
    names_out = list(results[0])
    values = {q: np.concatenate([r[q] for r in results]).reshape(shape + results[0][q].shape[1:]) for q in names_out}
    return Grid(tuple(checked), values, eco.describe(), settings)


def _evaluate_sharded(compiled, chunk: np.ndarray, devices) -> dict:
    size = len(chunk)
    if len(devices) > 1:
        padded = -(-size // len(devices)) * len(devices)
        chunk = np.concatenate([chunk, np.repeat(chunk[-1:], padded - size, axis=0)])
        mesh = Mesh(np.array(devices), ("grid",))
        inputs = jax.device_put(jnp.asarray(chunk), NamedSharding(mesh, PartitionSpec("grid")))
    else:
        inputs = jnp.asarray(chunk)
    out = compiled(inputs)
    return {q: np.asarray(v)[:size] for q, v in out.items()}


class _Checkpoint:
    """A folder of finished chunks and a manifest naming the sweep they belong to."""

    def __init__(self, folder, eco, checked, quantities, settings):
        self.folder = Path(folder)
        identity = {
            "spec": eco.describe(),
            "axes": {name: values.tolist() for name, values in checked},
            "quantities": list(quantities),
            "settings": settings,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        manifest = self.folder / "manifest.json"
        if manifest.exists():
            if json.loads(manifest.read_text()).get("digest") != digest:
                raise SpecError("checkpoint", f"{self.folder} holds the chunks of a different sweep")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            manifest.write_text(json.dumps({"digest": digest} | identity))

    def _path(self, index: int) -> Path:
        return self.folder / f"chunk-{index:06d}.npz"

    def load(self, index: int) -> dict | None:
        path = self._path(index)
        if not path.exists():
            return None
        with np.load(path) as data:
            return {name: data[name] for name in data.files}

    def save(self, index: int, values: dict) -> None:
        _atomic_savez(self._path(index), values)
