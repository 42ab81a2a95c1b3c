"""Ecosystems and jobs described in TOML files, for ``interplay derive|simulate|sweep CONFIG``.

A config has the tables (see ``examples/*.toml``, one per family)::

    [family]          name = "gaussian" | "categorical" | "linear-gaussian" and the family's own fields
                      (gaussian: dim; categorical: m, temperature, smoothing; linear-gaussian: theta,
                      noise_var, synthetic = a design table or a list of them; dim and m are inferred)
    [ecosystem]       alpha, beta, mixing, n, estimator, regime (the Ecosystem fields; all optional)
    [public]          the public source: the family's source fields (gaussian: mean, cov, size;
                      categorical: probs, size; linear-gaussian designs: gram, size)
    [[private]]       one table per model, the same fields
    [simulate]        rounds, replicates, seed
    [sweep]           rounds, quantities, population, chunk_size, replicates and seed (for the mc_*
                      quantities), and [sweep.axes]: name = [values] or {start, stop, num}, name one of
                      alpha, beta, n, K, temperature (see :mod:`numerics.sweeps`)
    [output]          folder

A string where a fraction is expected ("alpha") makes it a symbol (for ``derive``); a string such as "1/3" is that
exact number (anywhere a number is expected: floats are taken at their exact decimal value, so 1/3 needs it).
Every problem -- an unknown key, a missing one, a wrong type, a value out of range -- raises
:class:`ConfigError` naming the key.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import sympy

from theory import (
    Categorical,
    CategoricalSource,
    Design,
    Ecosystem,
    Gaussian,
    GaussianSource,
    LinearGaussian,
    SpecError,
)


class ConfigError(ValueError):
    """A problem with a config file; the message starts with the key it concerns."""


FAMILIES = {
    "gaussian": (Gaussian, GaussianSource),
    "categorical": (Categorical, CategoricalSource),
    "linear-gaussian": (LinearGaussian, Design),
}
ECOSYSTEM_KEYS = ("alpha", "beta", "mixing", "n", "estimator", "regime")
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


def _fraction_or_symbol(value, key):
    if isinstance(value, str):  # a symbol name, else an exact number such as "1/3" (checked by the spec)
        return sympy.Symbol(value, nonnegative=True) if value.isidentifier() else value
    if isinstance(value, list):
        return [_fraction_or_symbol(v, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key}: expected a number, a symbol name or a list, got {type(value).__name__}")
    return value


def _fields(cls) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def _build(cls, table, key: str, **extra):
    """cls(**table) with unknown and missing keys reported by name."""
    if not isinstance(table, dict):
        raise ConfigError(f"{key}: expected a table, got {type(table).__name__}")
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


def _source(cls, table, key):
    extra = {"name": key} if "name" in _fields(cls) else {}
    return _build(cls, table, key, **extra)


def load(path) -> Config:
    """Parse and validate a config file."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    for name in raw:
        if name not in TOP_LEVEL:
            raise ConfigError(f"{name}: unknown table (known: {', '.join(TOP_LEVEL)})")
    try:
        return Config(_ecosystem(raw), _jobs(raw), path)
    except SpecError as error:
        key = error.parameter if error.parameter.split("[")[0] in ("public", "private") else None
        key = key or (f"ecosystem.{error.parameter}" if error.parameter in ECOSYSTEM_KEYS else error.parameter)
        raise ConfigError(f"{key}: {str(error).split(': ', 1)[1]}") from None


def _ecosystem(raw: dict) -> Ecosystem:
    family_table = dict(raw.get("family", {"name": "gaussian"}))
    name = family_table.pop("name", "gaussian")
    if name not in FAMILIES:
        raise ConfigError(f"family.name: unknown family {name!r} (known: {', '.join(FAMILIES)})")
    family_cls, source_cls = FAMILIES[name]
    if "public" not in raw:
        raise ConfigError("public: missing (the public real source)")
    if not isinstance(raw.get("private"), list) or not raw["private"]:
        raise ConfigError("private: missing (one [[private]] table per model)")
    public = _source(source_cls, raw["public"], "public")
    private = [_source(source_cls, t, f"private[{k}]") for k, t in enumerate(raw["private"])]
    if name == "gaussian" and "dim" not in family_table:
        family_table["dim"] = public.dim
    if name == "categorical" and "m" not in family_table:
        family_table["m"] = public.m
    if name == "linear-gaussian" and "synthetic" in family_table:
        synthetic = family_table["synthetic"]
        tables = synthetic if isinstance(synthetic, list) else [synthetic]
        designs = [_source(Design, t, f"family.synthetic[{j}]") for j, t in enumerate(tables)]
        family_table["synthetic"] = designs if isinstance(synthetic, list) else designs[0]
    family = _build(family_cls, family_table, "family")
    options = dict(raw.get("ecosystem", {}))
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
        table = raw.get(job, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{job}: expected a table")
        settings = {}
        for key, value in table.items():
            if key not in schema:
                raise ConfigError(f"{job}.{key}: unknown key (known: {', '.join(schema)})")
            kind = schema[key][0]
            if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{job}.{key}: expected an integer, got {value!r}")
            if kind is not int and not isinstance(value, kind):
                raise ConfigError(f"{job}.{key}: expected a {kind.__name__}, got {value!r}")
            settings[key] = value
        for key, (kind, default) in schema.items():
            settings.setdefault(key, default)
            if kind is int and key != "seed" and settings[key] < 1:
                raise ConfigError(f"{job}.{key}: must be >= 1, got {settings[key]}")
        jobs[job] = settings
    jobs["sweep"]["axes"] = _axes(jobs["sweep"]["axes"])
    return jobs


def _axes(table) -> dict | None:
    if table is None:
        return None
    axes = {}
    for name, value in table.items():
        key = f"sweep.axes.{name}"
        if isinstance(value, dict):
            unknown = set(value) - {"start", "stop", "num"}
            if unknown or len(value) != 3:
                raise ConfigError(f"{key}: give a list of values or {{start, stop, num}}")
            if isinstance(value["num"], bool) or not isinstance(value["num"], int) or value["num"] < 1:
                raise ConfigError(f"{key}.num: expected an integer >= 1")
            axes[name] = np.linspace(value["start"], value["stop"], value["num"])
        elif isinstance(value, list) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            axes[name] = np.asarray(value, dtype=float)
        else:
            raise ConfigError(f"{key}: give a list of numbers or {{start, stop, num}}")
    return axes
