"""Ecosystems and jobs described in TOML files, for ``interplay derive|simulate|sweep CONFIG``.

A config has the tables (see ``examples/*.toml``, one per family)::

    [family]          name = a registered family (``interplay.theory.registry.names()``, the first the
                      default) and the fields of its spec class (gaussian: dim; categorical: m, temperature,
                      smoothing; linear-gaussian: theta, noise_var, synthetic = a design table or a list of
                      them; markov: m, design, length, initial); the family's ``configure`` fills defaults from
                      the public source (dim, m)
    [ecosystem]       alpha, beta, mixing, n, estimator, regime, composition (the Ecosystem fields; all
                      optional); alpha and beta a number, a schedule [a_1, ...] or per model
                      {per_model = [a_0, ...]} (each entry a number or a schedule); mixing is a matrix, an edge
                      list {edges = [[k, j, weight], ...]} ([k, j]: equal shares) or a graph generator
                      {graph = "ring", ...} (:mod:`theory.graphs`), which a K axis of the sweep also uses to
                      build W at each K; composition "fixed" or "mixture"; pool "own", "shared" or "split";
                      curation {best_of = k, reward = [r_1, ...]} (categorical), {threshold = c} (Gaussian,
                      d = 1) or {per_model = [...]} (:mod:`theory.curation`)
    [public]          the public source: the family's source fields (gaussian: mean, cov, size;
                      categorical: probs, size; linear-gaussian designs: gram, size; markov: transitions)
    [[private]]       one table per model, the same fields
    [simulate]        rounds, replicates, seed
    [sweep]           rounds, quantities, population, chunk_size, replicates and seed (for the mc_*
                      quantities), and [sweep.axes]: name = [values] or {start, stop, num}, name one of
                      alpha, beta, n, K, temperature or a value of the spec, quoted: "public.mean[0]",
                      "private[1].probs[2]", "family.theta[0]", "mixing[0][1]" (see :mod:`numerics.sweeps`,
                      :mod:`numerics.value_axes`)
    [output]          folder

A string where a fraction is expected ("alpha") makes it a symbol when it is a name, else that exact number
("1/3": floats are taken at their exact decimal value, so 1/3 needs it). ``derive`` answers in closed form in a
symbol, ``simulate`` and ``sweep`` refuse it (they need numbers). Integers are 64-bit, as TOML's. Every problem -- an
unknown key, a missing one, a wrong type, a value out of range -- raises :class:`ConfigError` naming the key as
written in the file (``ecosystem.alpha``, ``family.temperature``, ``sweep.axes.beta``), also for the errors
the library raises while a job runs (:func:`keys_as_written`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import sympy

from interplay.numerics import registry as numerics_registry
from interplay.theory import Ecosystem, SpecError
from interplay.theory import registry as theory_registry


class ConfigError(ValueError):
    """A problem with a config file; the message starts with the key it concerns."""


ECOSYSTEM_KEYS = ("alpha", "beta", "mixing", "n", "estimator", "regime", "composition", "pool", "curation")
JOBS = {
    "simulate": {"rounds": (int, 30), "replicates": (int, 2000), "seed": (int, 0)},
    "sweep": {
        "rounds": (int, 1000),
        "quantities": (list, ["spread"]),
        "population": (bool, False),
        "chunk_size": (int, 4096),
        "replicates": (int, 1000),
        "seed": (int, 0),
        "axes": (dict, None),
        "colour": (dict, {}),
    },
    "output": {"folder": (str, None)},
}
TOP_LEVEL = ("family", "ecosystem", "public", "private", *JOBS)


@dataclasses.dataclass(frozen=True)
class Config:
    """A parsed config: the ecosystem and the settings of each job (defaults filled in)."""

    ecosystem: Ecosystem
    jobs: dict
    path: Path

    def require_numbers(self, job: str, note: str = "symbols are for derive") -> None:
        """simulate and sweep compute with numbers: a symbol (a string in the file) is refused by its key."""
        for key in ("alpha", "beta"):
            value = getattr(self.ecosystem, key)
            symbols = sympy.Matrix(value if isinstance(value, tuple) else (value,)).free_symbols
            if symbols:
                raise ConfigError(
                    f"ecosystem.{key}: {job} needs numbers, got the symbol {', '.join(sorted(map(str, symbols)))} "
                    f"({note})"
                )


def _fraction_or_symbol(value, key):
    if isinstance(value, str):  # a symbol name, else an exact number such as "1/3" (checked by the spec)
        return sympy.Symbol(value, nonnegative=True) if value.isidentifier() else value
    if isinstance(value, list):
        return [_fraction_or_symbol(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict) and set(value) == {"per_model"}:  # one value (or schedule) per model
        return {"per_model": _fraction_or_symbol(value["per_model"], f"{key}.per_model")}
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            f"{key}: expected a number, a symbol name, a list or {{per_model = [...]}}, got {type(value).__name__}"
        )
    return value


def _fields(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _table(value, key: str) -> dict:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table, got {type(value).__name__}")
    return value


def _build(cls, table, key: str, **extra):
    """cls(**table) with unknown and missing keys reported by name."""
    _table(table, key)
    fields = _fields(cls)
    for name in table:
        if name not in fields or name in extra:
            raise ConfigError(f"{key}.{name}: unknown key (known: {', '.join(sorted(set(fields) - set(extra)))})")
    required = [
        name
        for name, f in fields.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING and name not in extra
    ]
    for name in required:
        if name not in table:
            raise ConfigError(f"{key}.{name}: missing")
    return cls(**table, **extra)


def build_source(cls, table, key):
    """A source (or a design) of class ``cls`` from its config table at ``key``."""
    extra = {"name": key} if "name" in _fields(cls) else {}
    return _build(cls, table, key, **extra)


def load(path) -> Config:
    """Parse and validate a config file."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (not UTF-8), so not a TOML config") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    for name in raw:
        if name not in TOP_LEVEL:
            raise ConfigError(f"{name}: unknown table (known: {', '.join(TOP_LEVEL)})")
    with keys_as_written():
        return Config(_ecosystem(raw), _jobs(raw), path)


def _family_keys() -> set[str]:
    """The keys of a [family] table: ``name`` and the fields of every registered family's spec class."""
    return {"name"} | {key for family in theory_registry.families() for key in _fields(family.family_type)}


SETTING_ALIASES = {"key": "seed"}  # the library's name of a setting -> the config's


def key_as_written(parameter: str, job: str | None = None) -> str:
    """The dotted key of the config file that a library parameter name (of a :class:`SpecError`) stands for:
    ``alpha`` -> ``ecosystem.alpha``, ``temperature`` -> ``family.temperature``, ``axes.beta`` ->
    ``sweep.axes.beta``, ``replicates`` -> ``JOB.replicates``; names already written in full pass unchanged."""
    head = parameter.split(".")[0].split("[")[0]
    if head in TOP_LEVEL:
        return parameter
    if head in ECOSYSTEM_KEYS:
        return f"ecosystem.{parameter}"
    if head in _family_keys():
        return f"family.{parameter}"
    if head == "axes":
        return f"sweep.{parameter}"
    if job in JOBS and SETTING_ALIASES.get(head, head) in JOBS[job]:
        return f"{job}.{SETTING_ALIASES.get(head, head)}{parameter[len(head) :]}"
    return parameter


@contextlib.contextmanager
def keys_as_written(job: str | None = None):
    """Turn a :class:`SpecError` raised inside into a :class:`ConfigError` naming the key as written in the
    config file (see :func:`key_as_written`)."""
    try:
        yield
    except SpecError as error:
        problem = str(error).removeprefix(f"{error.parameter}: ")
        raise ConfigError(f"{key_as_written(error.parameter, job)}: {problem}") from None


def _ecosystem(raw: dict) -> Ecosystem:
    default = theory_registry.names()[0]
    family_table = dict(_table(raw.get("family", {"name": default}), "family"))
    name = family_table.pop("name", default)
    if not isinstance(name, str) or name not in theory_registry.names():
        raise ConfigError(f"family.name: unknown family {name!r} (known: {', '.join(theory_registry.names())})")
    family_cls, source_cls = theory_registry.family(name).family_type, theory_registry.family(name).source_type
    if "public" not in raw:
        raise ConfigError("public: missing (the public real source)")
    if not isinstance(raw.get("private"), list) or not raw["private"]:
        raise ConfigError("private: missing (one [[private]] table per model)")
    public = build_source(source_cls, raw["public"], "public")
    private = [build_source(source_cls, t, f"private[{k}]") for k, t in enumerate(raw["private"])]
    family_table = numerics_registry.family(name).configure(family_table, public)
    family = _build(family_cls, family_table, "family")
    options = dict(_table(raw.get("ecosystem", {}), "ecosystem"))
    for key in options:
        if key not in ECOSYSTEM_KEYS:
            raise ConfigError(f"ecosystem.{key}: unknown key (known: {', '.join(ECOSYSTEM_KEYS)})")
    for key in ("alpha", "beta"):
        if key in options:
            options[key] = _fraction_or_symbol(options[key], f"ecosystem.{key}")
    return Ecosystem(family, public, tuple(private), **options)


def _jobs(raw: dict) -> dict:
    jobs = {}
    for job, schema in JOBS.items():
        table = _table(raw.get(job, {}), job)
        settings = {}
        for key, value in table.items():
            if key not in schema:
                raise ConfigError(f"{job}.{key}: unknown key (known: {', '.join(schema)})")
            kind = schema[key][0]
            if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{job}.{key}: expected an integer, got {value!r}")
            if kind is int and not -(2**63) <= value < 2**63:
                raise ConfigError(f"{job}.{key}: must be a 64-bit integer, in [-2^63, 2^63), got {value}")
            if kind is not int and not isinstance(value, kind):
                raise ConfigError(f"{job}.{key}: expected a {kind.__name__}, got {value!r}")
            if kind is list and (not value or not all(isinstance(v, str) for v in value)):
                raise ConfigError(f"{job}.{key}: give a list of one or more names, got {value!r}")
            settings[key] = value
        for key, (kind, default) in schema.items():
            settings.setdefault(key, default)
            if kind is int and key != "seed" and settings[key] < 1:
                raise ConfigError(f"{job}.{key}: must be >= 1, got {settings[key]}")
        jobs[job] = settings
    jobs["sweep"]["axes"] = _axes(jobs["sweep"]["axes"])
    jobs["sweep"]["colour"] = _colour(jobs["sweep"]["colour"])
    mixing = raw.get("ecosystem", {}).get("mixing")
    if isinstance(mixing, dict) and "graph" in mixing and "K" in (jobs["sweep"]["axes"] or {}):
        jobs["sweep"]["mixing"] = mixing  # a K axis builds W at each K by the same generator
    return jobs


def _colour(table: dict) -> dict:
    """The phase diagram's colour scale (:func:`numerics.plots.phase_diagram`): ``scale`` linear or log, and
    ``vmin`` / ``vmax`` to fix its ends (default: every finite value)."""
    colour = {"scale": "linear", "vmin": None, "vmax": None}
    for key, value in table.items():
        name = f"sweep.colour.{key}"
        if key not in colour:
            raise ConfigError(f"{name}: unknown key (known: {', '.join(colour)})")
        if key == "scale" and value not in ("linear", "log"):
            raise ConfigError(f"{name}: 'linear' or 'log', got {value!r}")
        if key != "scale" and not (_is_number(value) and np.isfinite(value)):
            raise ConfigError(f"{name}: expected a finite number, got {value!r}")
        colour[key] = value
    if colour["vmin"] is not None and colour["vmax"] is not None and not colour["vmin"] < colour["vmax"]:
        raise ConfigError(f"sweep.colour.vmax: must exceed vmin ({colour['vmin']}), got {colour['vmax']}")
    if colour["scale"] == "log" and colour["vmin"] is not None and colour["vmin"] <= 0:
        raise ConfigError(f"sweep.colour.vmin: a log scale needs vmin > 0, got {colour['vmin']}")
    return colour


def _axes(table) -> dict | None:
    if table is None:
        return None
    axes = {}
    for name, value in _table(table, "sweep.axes").items():
        key = f"sweep.axes.{name}"
        if isinstance(value, dict):
            unknown = set(value) - {"start", "stop", "num"}
            if unknown or len(value) != 3:
                raise ConfigError(f"{key}: give a list of values or {{start, stop, num}}")
            if isinstance(value["num"], bool) or not isinstance(value["num"], int) or value["num"] < 1:
                raise ConfigError(f"{key}.num: expected an integer >= 1")
            for end in ("start", "stop"):
                if not _is_number(value[end]):
                    raise ConfigError(f"{key}.{end}: expected a number, got {value[end]!r}")
            axes[name] = np.linspace(value["start"], value["stop"], value["num"])
        elif isinstance(value, list) and all(_is_number(v) for v in value):
            axes[name] = np.asarray(value, dtype=float)
        else:
            raise ConfigError(f"{key}: give a list of numbers or {{start, stop, num}}")
    return axes


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
