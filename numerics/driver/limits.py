"""Memory before a run: what a simulation, a trajectory or a sweep will hold, refused up front when it cannot fit.

Every estimate is arithmetic on the spec's shapes (no tracing, no compiling), so a request that cannot fit is
refused in one line within milliseconds, naming the setting to lower. Monte Carlo replicates run in chunks of
a size fixed by the structure alone (:data:`REPLICATE_CHUNK` replicates, fewer when that exceeds
:data:`CHUNK_BYTES` of working memory; a smaller run is padded), so a new replicate count never recompiles; each
replicate has its own key (``jax.random.split(key, R)[r]``, which does not depend on R), so the numbers do not
depend on the chunk size. The results themselves
(R (T+1) values per fitted quantity) must fit in the memory available: ``MemAvailable`` of ``/proc/meminfo``,
else the physical memory, or a ``memory`` budget given in bytes.

Time before a run, roughly (:class:`Estimate`): cost constants times the work the spec implies, never a reason
to refuse. A Monte Carlo costs its random numbers, replicates x rounds x :func:`draws_per_round`; an exact
trajectory its rounds (each a scan step whose small state costs less than the step itself); a sweep, per grid
point, its sample sizes on the host plus rounds x state values (and its replicates' draws). Compilation is not
counted. The constants were measured on the development machine, a 2-core CPU under a load average of about 5
(2026-11-30); faster hardware makes them upper bounds: on an H200 a Gaussian replicate-round costs about 26 ns
instead of 860 ns (benchmarks/README.md).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import jax
import numpy as np

from interplay.numerics import registry
from interplay.numerics.driver.edges import edge_count
from interplay.numerics.driver.progress import bar
from interplay.theory.spec import Ecosystem, SpecError

CHUNK_BYTES = 2**28  # working memory of one chunk of replicates or grid points
REPLICATE_CHUNK = 50  # replicates per compiled call whatever the replicate count: a new count never recompiles
#                       (the last chunk is padded), while the calls cost little more than one batch
#                       (benchmarks/README.md). 50 divides the counts researchers choose (100, 500, 1,000, the
#                       default; 10,000), so those compute no padding: 64 made 100 replicates cost 128
CHUNK_SIZES = tuple(size for size in range(REPLICATE_CHUNK, 1, -1) if 100 % size == 0)
"""The chunk sizes, largest first (50, 25, 20, 10, 5, 4, 2): a chunk smaller than :data:`REPLICATE_CHUNK`, for
memory, is the largest of them that fits, a divisor of 100 as well."""
WORKING_COPIES = 4  # a chunk's program holds its outputs about this many times (scan stacks, reshapes, copies)
STEP_COPIES = 32  # a round of an exact recursion holds about this many copies of its state (25 measured at K = 1,000,
#                  d = 1: benchmarks/exact_scale.py)
BYTES = 8  # float64
SECONDS_PER_DRAW = 4e-9  # Gaussian sufficient statistics: 860 ns a replicate-round of 224 draws (K = 2, d = 1)
SECONDS_PER_ROUND = 1.2e-5  # iterate_moments of the two-model Gaussian: 1.19 s for 10^5 rounds
SECONDS_PER_STATE_VALUE = 2.5e-8  # a sweep's recursion, a state value a round a grid point (41 x 41 grid)
SECONDS_PER_POINT = 1e-4  # a grid point's sample sizes in exact arithmetic on the host (cProfile)
ANNOUNCE_SECONDS = 5.0  # runs estimated to take longer are announced before they start


def rough(value: float) -> str:
    """Two significant figures, without exponent: 123456 -> ``120,000``, 7.34 -> ``7.3``, 0.0512 -> ``0.051``."""
    value = float(f"{value:.2g}")
    decimals = max(0, 1 - math.floor(math.log10(value))) if value > 0 else 0
    return f"{value:,.{decimals}f}"


@dataclass(frozen=True)
class Estimate:
    """A run's rough duration (seconds, compilation excluded) and the memory it holds (bytes); they add up."""

    seconds: float
    bytes: float

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.seconds + other.seconds, self.bytes + other.bytes)

    def __str__(self) -> str:
        return f"about {rough(self.seconds)} s, {rough(self.bytes / 1e6)} MB"


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


def draws_edges(eco: Ecosystem) -> bool:
    """Whether a Monte Carlo draws one synthetic source per edge of W (W[k, j] > 0, :mod:`numerics.driver.edges`):
    the Gaussian, Poisson and categorical families' fixed composition and ``own`` pool (categorical: not ``rolling``
    corpora); every other path draws the K x K table."""
    return (
        eco.family.name in ("gaussian", "poisson", "categorical")
        and eco.composition == "fixed"
        and eco.pool == "own"
        and eco.regime != "rolling"
    )


def sources(eco: Ecosystem, edged: bool | None = None) -> int:
    """Sources a replicate draws in a round: K private, 1 public and E synthetic (the edges of W) where the Monte
    Carlo draws edges (``edged``, default :func:`draws_edges`), K^2 else."""
    edged = draws_edges(eco) if edged is None else edged
    return (edge_count(eco) if edged else eco.K**2) + eco.K + 1


def drawn_values(eco: Ecosystem, drawn_per_source: int, edged: bool | None = None) -> int:
    """Numbers a replicate holds while drawing a round: :func:`sources` of ``drawn_per_source`` values per dimension
    (each family's ``drawn_per_source``), and at least their d + d^2 statistics."""
    return sources(eco, edged) * eco.dim * max(drawn_per_source, eco.dim + 1)


def draws_per_round(eco: Ecosystem, drawn_per_source: int) -> int:
    """Random numbers a replicate draws in a round, roughly: :func:`sources` of ``drawn_per_source`` numbers per
    dimension (Gaussian, linear), or of ``drawn_per_source`` tokens (categorical: capped by the counts route, whose
    cost is O(m) a source)."""
    per_source = drawn_per_source if eco.family.name == "categorical" else drawn_per_source * eco.dim
    return sources(eco) * per_source


def dense_tables(eco: Ecosystem, rounds: int, edged: bool, compiled: int | None = None) -> int:
    """K x K float64 tables a Monte Carlo over rounds 0..T builds: none where ``edged`` (W and the sample sizes on
    its edges, :func:`theory.rounds.sample_sizes`), else the sizes n_synthetic on the host (round 0's and the
    update rounds': one for a constant schedule, T else, and their stack) and ``compiled`` tables on the device
    (default T + 2: W and the rounds' sizes; a family whose program also concatenates the rounds' sizes says so)."""
    if edged:
        return 0
    return (2 if eco.is_constant else 2 * (rounds + 1)) + (rounds + 2 if compiled is None else compiled)


def require_dense_tables(eco: Ecosystem, tables: int, memory: int | None = None) -> None:
    """Refuse (SpecError naming K) ``tables`` K x K float64 arrays that exceed ``memory`` (default: what is
    available), before any of them is made."""
    needed = tables * BYTES * eco.K**2
    budget = available_memory() if memory is None else memory
    if needed > budget:
        raise SpecError(
            "K",
            f"K = {eco.K} models need {tables} K x K float64 tables of {readable(BYTES * eco.K**2)} each, "
            f"{readable(needed)} in all, {readable(budget)} available; lower K",
        )


def simulation_seconds(eco: Ecosystem, rounds: int, replicates: int, drawn_per_source: int) -> float:
    """Rough seconds of a Monte Carlo: its draws, replicates x rounds x :func:`draws_per_round`."""
    return replicates * rounds * draws_per_round(eco, drawn_per_source) * SECONDS_PER_DRAW


def trajectory_estimate(eco: Ecosystem, rounds: int) -> Estimate:
    """An exact trajectory over rounds 0..T: a scan step a round, and :func:`trajectory_bytes`."""
    return Estimate((rounds + 1) * SECONDS_PER_ROUND, trajectory_bytes(eco, rounds))


def grid_seconds(eco: Ecosystem, points: int, rounds: int, replicates: int = 0, drawn_per_source: int = 0) -> float:
    """Rough seconds of a sweep: per point, its sample sizes, rounds x the recursion's state values, and the
    draws of its ``replicates`` (Monte Carlo quantities)."""
    recursion = rounds * trajectory_values(eco) * SECONDS_PER_STATE_VALUE
    return points * (SECONDS_PER_POINT + recursion + simulation_seconds(eco, rounds, replicates, drawn_per_source))


def trajectory_values(eco: Ecosystem) -> int:
    """Numbers an exact trajectory keeps per round, its state included (the largest family's layout: means,
    Cov of all K d fitted entries, and the cross-moments with the K + 1 real sources)."""
    Kd = eco.K * eco.dim
    return Kd + 3 * Kd * Kd + Kd * (eco.K + 1) * eco.dim + Kd * eco.dim


def trajectory_bytes(eco: Ecosystem, rounds: int) -> int:
    """Bytes of an exact trajectory over rounds 0..T: the per-round states, computed and copied out, and a round's
    working memory (:func:`step_bytes`)."""
    return 2 * BYTES * (rounds + 1) * trajectory_values(eco) + step_bytes(eco)


def summary_bytes(eco: Ecosystem, rounds: int) -> int:
    """Bytes of the per-round summaries of an exact recursion over rounds 0..T (``summaries=True``): K d + 2 K d^2 + 1
    numbers a round, computed and copied out, and a round's working memory (:func:`step_bytes`)."""
    Kd = eco.K * eco.dim
    return 2 * BYTES * (rounds + 1) * (Kd + 2 * Kd * eco.dim + 1) + step_bytes(eco)


def step_bytes(eco: Ecosystem) -> int:
    """The working memory of a round of an exact recursion: :data:`STEP_COPIES` copies of its state."""
    return STEP_COPIES * BYTES * trajectory_values(eco)


def simulation_bytes(
    eco: Ecosystem,
    rounds: int,
    replicates: int,
    *,
    kept_rounds: int | None = None,
    drawn_per_source: int = 0,
) -> tuple[int, int, int]:
    """(replicates per chunk, bytes in all, bytes of one replicate alone) of a simulation keeping ``kept_rounds``
    rounds (default all, T + 1) of each replicate: its results, its keys, one chunk's working memory and the K x K
    tables of W and the sample sizes off the edge path (:func:`dense_tables`, the Gaussian program's count for
    every family). ``drawn_per_source``: see :func:`drawn_values`. The chunk is :data:`REPLICATE_CHUNK`
    replicates, fewer (the largest of :data:`CHUNK_SIZES` that fits, at least 2) when that exceeds
    :data:`CHUNK_BYTES` of working memory, whatever ``replicates``: a chunk's shape, hence its compiled program,
    depends on the structure alone."""
    kept = rounds + 1 if kept_rounds is None else kept_rounds
    per_replicate = BYTES * kept * fitted_values(eco)
    working = WORKING_COPIES * per_replicate + BYTES * 16 * drawn_values(eco, drawn_per_source)
    chunk = next((size for size in CHUNK_SIZES if size * working <= CHUNK_BYTES), CHUNK_SIZES[-1])
    tables = BYTES * eco.K**2 * dense_tables(eco, rounds, draws_edges(eco))
    return chunk, replicates * (per_replicate + 8) + chunk * working + tables, per_replicate + working + tables


def replicate_chunk(eco: Ecosystem, rounds: int, replicates: int, *, extra: int = 0, memory=None, **options) -> int:
    """Replicates per chunk (:func:`simulation_bytes`, which takes ``options``); refuses (SpecError naming ``K``
    when the K x K tables alone cannot fit, ``rounds`` when one replicate cannot, else ``replicates``) when the
    simulation and ``extra`` bytes (e.g. the exact trajectory beside it) exceed ``memory`` (default: the memory
    available)."""
    require_dense_tables(eco, dense_tables(eco, rounds, draws_edges(eco)), memory)  # refused naming K
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


def run_in_chunks(run, keys, chunk: int, *arguments):
    """``run(keys, *arguments)`` (a pytree of arrays leading with the replicate) evaluated ``chunk`` keys at a
    time into preallocated numpy arrays. Every call gets exactly ``chunk`` (at least 2) keys, whatever the number
    of replicates (the last chunk is padded, the extra results dropped), so a new replicate count reuses the
    compiled program (``keys``, from :func:`numerics.driver.keys.replicate_keys`, are sliced and padded in numpy:
    an eager jax operation would compile for each shape). XLA compiles a batch of one differently, which changes
    the last bits, while batches of 2 or more give each replicate the same numbers. Progress: a bar over the
    replicates when bars are on (:func:`numerics.driver.progress.progress_bars`) and there are several chunks."""
    replicates = keys.shape[0]
    chunk = max(2, chunk)
    out = None
    with bar(replicates, "Monte Carlo", "replicate", steps=-(-replicates // chunk)) as shown:
        for start in range(0, replicates, chunk):
            part = keys[start : start + chunk]
            size = part.shape[0]
            if size < chunk:
                xp = np if isinstance(part, np.ndarray) else jax.numpy  # typed keys: jax.random.split's array
                part = xp.concatenate([part, xp.repeat(part[-1:], chunk - size, axis=0)])
            values = jax.tree.map(np.asarray, run(part, *arguments))
            if out is None:
                out = jax.tree.map(lambda v: np.empty((replicates,) + v.shape[1:], v.dtype), values)
            for o, v in zip(jax.tree.leaves(out), jax.tree.leaves(values)):
                o[start : start + size] = v[:size]
            shown.update(size)
    return out
