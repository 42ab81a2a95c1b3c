"""Memory before a run: what a simulation, a trajectory or a sweep will hold, refused up front when it cannot fit.

Every estimate is arithmetic on the spec's shapes (no tracing, no compiling), so a request that cannot fit is
refused in one line within milliseconds, naming the setting to lower. Categorical and linear Monte Carlo
replicates run in chunks of at most :data:`CHUNK_BYTES` of working memory; each replicate has its own key
(``jax.random.split(key, R)[r]``, which does not depend on R), so the numbers do not depend on the chunk size.
The Gaussian simulator runs all replicates in one batch (its gamma sampler pools the rejected candidates of
every replicate, so a replicate's draws depend on the others); its whole batch must fit. The results themselves
(R (T+1) values per fitted quantity) must fit in the memory available: ``MemAvailable`` of ``/proc/meminfo``,
else the physical memory, or a ``memory`` budget given in bytes.
"""

from __future__ import annotations

import os

import jax
import numpy as np

from interplay.numerics import registry
from interplay.theory.spec import Ecosystem, SpecError

CHUNK_BYTES = 2**28  # working memory of one chunk of replicates or grid points
WORKING_COPIES = 4  # a chunk's program holds its outputs about this many times (scan stacks, reshapes, copies)
BYTES = 8  # float64


def available_memory() -> int:
    """Bytes the process may still allocate: ``MemAvailable`` (Linux), else the physical memory."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def readable(size: float) -> str:
    """A byte count as ``1.5 GiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if size < 1024 or unit == "PiB":
            return f"{size:.4g} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def require_fits(needed: float, parameter: str, what: str, memory: int | None = None) -> None:
    """SpecError naming ``parameter`` when ``needed`` bytes exceed ``memory`` (default: what is available)."""
    budget = available_memory() if memory is None else memory
    if needed > budget:
        needs = f"{what} needs about {readable(needed)} of memory"
        raise SpecError(parameter, f"{needs}, {readable(budget)} available; lower {parameter}")


def require_count(value, parameter: str, smallest: int) -> int:
    """An integer >= ``smallest`` (not a bool, not a float), else SpecError."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < smallest:
        raise SpecError(parameter, f"must be an integer >= {smallest}, got {value!r}")
    return int(value)


def require_standard_errors(replicates) -> int:
    """The number of replicates of a result that reports standard errors: an integer >= 2 (one replicate has
    no spread to estimate), else SpecError naming ``replicates``."""
    if isinstance(replicates, bool) or not isinstance(replicates, int | np.integer) or replicates < 2:
        raise SpecError("replicates", f"must be an integer >= 2 (a standard error needs two), got {replicates!r}")
    return int(replicates)


def fitted_values(eco: Ecosystem) -> int:
    """Numbers a Monte Carlo replicate keeps per round (the family's ``fitted_values``: Gaussian K (d + d^2),
    categorical K m, linear K d)."""
    return registry.family(eco).fitted_values(eco)


def drawn_values(eco: Ecosystem, drawn_per_source: int) -> int:
    """Numbers a replicate holds while drawing a round: K^2 + K + 1 sources of ``drawn_per_source`` values per
    dimension (each family's ``drawn_per_source``), and at least their d + d^2 statistics."""
    return (eco.K**2 + eco.K + 1) * eco.dim * max(drawn_per_source, eco.dim + 1)


def trajectory_values(eco: Ecosystem) -> int:
    """Numbers an exact trajectory keeps per round, its state included (the largest family's layout: means,
    Cov of all K d fitted entries, and the cross-moments with the K + 1 real sources)."""
    Kd = eco.K * eco.dim
    return Kd + 3 * Kd * Kd + Kd * (eco.K + 1) * eco.dim + Kd * eco.dim


def trajectory_bytes(eco: Ecosystem, rounds: int) -> int:
    """Bytes of an exact trajectory over rounds 0..T: the per-round states, computed and copied out."""
    return 2 * BYTES * (rounds + 1) * trajectory_values(eco)


def simulation_bytes(
    eco: Ecosystem,
    rounds: int,
    replicates: int,
    *,
    kept_rounds: int | None = None,
    drawn_per_source: int = 0,
    chunked: bool = True,
) -> tuple[int, int, int]:
    """(replicates per chunk, bytes in all, bytes of one replicate alone) of a simulation keeping ``kept_rounds``
    rounds (default all, T + 1) of each replicate: its results, its keys and one chunk's working memory.
    ``drawn_per_source``: see :func:`drawn_values`; ``chunked=False``: the simulator runs every replicate in
    one batch (the chunk is all of them)."""
    kept = rounds + 1 if kept_rounds is None else kept_rounds
    per_replicate = BYTES * kept * fitted_values(eco)
    working = WORKING_COPIES * per_replicate + BYTES * 16 * drawn_values(eco, drawn_per_source)
    chunk = int(max(1, min(replicates, CHUNK_BYTES // working))) if chunked else replicates
    return chunk, replicates * (per_replicate + 8) + chunk * working, per_replicate + working


def replicate_chunk(eco: Ecosystem, rounds: int, replicates: int, *, extra: int = 0, memory=None, **options) -> int:
    """Replicates per chunk (:func:`simulation_bytes`, which takes ``options``); refuses (SpecError naming
    ``replicates``, or ``rounds`` when one replicate alone cannot fit) when the simulation and ``extra`` bytes
    (e.g. the exact trajectory beside it) exceed ``memory`` (default: the memory available)."""
    chunk, needed, alone = simulation_bytes(eco, rounds, replicates, **options)
    needed += extra
    budget = available_memory() if memory is None else memory
    if needed > budget:
        parameter = "rounds" if extra + alone > budget else "replicates"
        raise SpecError(
            parameter,
            f"{replicates} replicates x {rounds} rounds need about {readable(needed)} of memory, "
            f"{readable(budget)} available; lower {parameter}",
        )
    return chunk


def replicate_keys(key, replicates: int):
    """One key per replicate, ``jax.random.split(key, R)``: replicate r's key does not depend on R."""
    return jax.random.split(key, replicates)


def run_in_chunks(run, keys, chunk: int, *arguments):
    """``run(keys, *arguments)`` (a pytree of arrays leading with the replicate) evaluated ``chunk`` keys at a
    time into preallocated numpy arrays. Every call gets at least 2 keys (the last chunk and a single replicate
    are padded, the extra results dropped): XLA compiles a batch of one differently, which changes the last
    bits, while batches of 2 or more give each replicate the same numbers."""
    replicates = keys.shape[0]
    chunk = max(2, min(chunk, replicates))
    out = None
    for start in range(0, replicates, chunk):
        part = keys[start : start + chunk]
        size = part.shape[0]
        if size < chunk:
            part = jax.numpy.concatenate([part, jax.numpy.repeat(part[-1:], chunk - size, axis=0)])
        values = jax.tree.map(np.asarray, run(part, *arguments))
        if out is None:
            out = jax.tree.map(lambda v: np.empty((replicates,) + v.shape[1:], v.dtype), values)
        for o, v in zip(jax.tree.leaves(out), jax.tree.leaves(values)):
            o[start : start + size] = v[:size]
    return out
