"""TOML config text for tests: `to_toml` writes a dict as TOML (tomllib only reads), `two_gaussians` the
two-model Gaussian ecosystem that the command-line tests run, with any table changed by keyword."""

import json
import math


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)  # repr: inf, -inf, 1e-300 are TOML floats
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


def to_toml(config: dict) -> str:
    """Key-values first, then [tables] and [[arrays of tables]] (TOML needs that order)."""
    is_tables = {
        name: isinstance(v, dict) or (isinstance(v, list) and v and all(isinstance(t, dict) for t in v))
        for name, v in config.items()
    }
    lines = [f"{json.dumps(name)} = {toml_value(v)}" for name, v in config.items() if not is_tables[name]]
    for name, value in config.items():
        if is_tables[name]:
            for table in [value] if isinstance(value, dict) else value:
                lines.append(
                    f"[{'[' if isinstance(value, list) else ''}{name}{']' if isinstance(value, list) else ''}]"
                )
                lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def two_gaussians(private: list[dict] | None = None, **tables: dict) -> str:
    """TOML of two private Gaussians N(-1, 1), N(1, 1) and a public N(0, 2), alpha = beta = 0.5, n = 20.

    Each keyword updates the table of that name key by key (`ecosystem={"n": 50}`) or adds it
    (`simulate={"rounds": 2, "replicates": 4}`); `private` replaces the list of private models."""
    config = {
        "family": {"name": "gaussian"},
        "ecosystem": {"alpha": 0.5, "beta": 0.5, "n": 20},
        "public": {"mean": [0.0], "cov": [[2.0]]},
        "private": private or [{"mean": [-1.0], "cov": [[1.0]]}, {"mean": [1.0], "cov": [[1.0]]}],
    }
    for name, table in tables.items():
        config[name] = {**config.get(name, {}), **table}
    return to_toml(config)
