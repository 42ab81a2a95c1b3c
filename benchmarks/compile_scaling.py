"""Gaussian family: compile time against K, reuse of compiled functions, and Monte Carlo against plain numpy.

Run from the repository root: ``python benchmarks/compile_scaling.py`` (``--part compile``, ``reuse`` or
``monte-carlo`` for one part; ``--quick`` for smaller runs). Prints ``uptime`` before and after: on a shared
machine absolute times carry the load, the ratios less so.

* compile: the compile time of ``iterate_moments`` and ``simulate`` (sufficient statistics) at K = 4 and K = 64,
  d = 1 and 2 (fresh, MLE, alpha = beta = 1/2, n = 100, 5 rounds): each is the time of the first call of a
  structure minus the median of three later calls (run time only), in a fresh subprocess per case. Target:
  K = 64 at most 3x K = 4.
* reuse: the first call of a structure (compiling) against a second call with other values (a private mean,
  alpha) and, for ``simulate``, another seed and replicate count (K = 4, d = 2, 20 rounds; 100 then 150
  replicates). Target: the second at least 10x faster.
* monte-carlo: K = 32, d = 2, n = 128, alpha = beta = 1/2, W = J / K, fresh, MLE, 1,000 replicates x 100 rounds:
  ``numerics.simulate`` (the default method; compiled first, median of two timed runs) against plain numpy
  drawing the raw samples (N = 32 private and public samples, alpha n / K = 2 from each model: whole, so every
  source has the same size, which the vectorised numpy process needs): ``numpy``, a loop over the
  rounds vectorised over replicates and sources, and ``numpy-source-loop``, vectorised over replicates only
  (loops over models and sources, as ``benchmarks/monte_carlo.py``'s reference); both timed on 100 replicates
  x 20 rounds and extrapolated linearly. Targets: at least 5x faster than numpy; within 3x of the time jax
  takes to draw the normals the run consumes (the floor).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ecosystem(K: int, d: int, shift: float = 0.0, alpha: float = 0.5, n: int = 100):
    import numpy as np

    from interplay.theory import Ecosystem

    means = [[np.cos(2 * np.pi * k / K) + shift] + [np.sin(2 * np.pi * k / K)] * (d - 1) for k in range(K)]
    return Ecosystem.gaussian(
        means=[[round(x, 6) for x in m] for m in means],
        public_mean=[0.0] * d,
        alpha=alpha,
        beta=0.5,
        n=n,
        regime="fresh",
    )


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def compile_case(verb: str, K: int, d: int) -> dict:
    """First call minus the median of three later calls of the same structure and values."""
    import interplay.numerics as numerics

    eco = ecosystem(K, d)
    call = {
        "iterate_moments": lambda: numerics.iterate_moments(eco, 5),
        "simulate": lambda: numerics.simulate(eco, 5, 0, replicates=2),
    }[verb]
    first = _timed(call)
    run = statistics.median(_timed(call) for _ in range(3))
    return {"verb": verb, "K": K, "d": d, "first_s": first, "run_s": run, "compile_s": first - run}


def reuse_case(verb: str) -> dict:
    """The first call of a structure against a second with other values (and seed and replicates)."""
    import interplay.numerics as numerics

    first_eco, second_eco = ecosystem(4, 2), ecosystem(4, 2, shift=0.75, alpha=0.3)
    if verb == "iterate_moments":
        first = _timed(lambda: numerics.iterate_moments(first_eco, 20))
        second = _timed(lambda: numerics.iterate_moments(second_eco, 20))
    else:
        first = _timed(lambda: numerics.simulate(first_eco, 20, 1, replicates=100))
        second = _timed(lambda: numerics.simulate(second_eco, 20, 2, replicates=150))
    return {"verb": verb, "first_s": first, "second_s": second, "ratio": first / second}


def uniform_sizes(K: int, d: int, n: int, alpha: float) -> tuple[int, int, int]:
    """(private, public, synthetic) sample sizes of every model: the toolkit's (theory.rounds.sample_sizes), which
    the vectorised numpy processes need equal over the models and sources (alpha n / K whole)."""
    from interplay.theory.rounds import sample_sizes

    private, public, synthetic = sample_sizes(ecosystem(K, d, n=n), alpha, 0.5, initial=alpha == 0)
    sizes = (
        {row[0] for row in private},
        {row[0] for row in public},  # model k's prefix of the one public sample: one size for all here
        {size for row in synthetic for size in row if alpha > 0},
    )
    if len(sizes[0]) != 1 or len(sizes[1]) != 1 or len(sizes[2]) > 1:
        raise ValueError(
            f"K = {K}, n = {n}: the toolkit's sizes differ over the sources; choose n with alpha n / K whole"
        )
    return sizes[0].pop(), sizes[1].pop(), sizes[2].pop() if sizes[2] else 0


def numpy_loop(K: int, d: int, n: int, rounds: int, replicates: int, seed: int = 0):
    """The process in plain numpy from raw samples (fresh, MLE, W = J / K), vectorised over replicates and
    sources, a Python loop over the rounds. Returns the fitted means and covariances of the last round."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = np.array([[np.cos(2 * np.pi * k / K)] + [np.sin(2 * np.pi * k / K)] * (d - 1) for k in range(K)]).round(6)
    means, covs = np.zeros((replicates, K, d)), np.zeros((replicates, K, d, d))
    for t in range(rounds + 1):
        alpha = 0.0 if t == 0 else 0.5
        w = [(1 - alpha) * 0.5, (1 - alpha) * 0.5, alpha / K]
        sizes = uniform_sizes(K, d, n, alpha)
        private = centres[None, :, None] + rng.standard_normal((replicates, K, sizes[0], d))
        public = rng.standard_normal((replicates, 1, sizes[1], d))
        parts = [(w[0], private), (w[1], np.broadcast_to(public, private.shape[:2] + public.shape[2:]))]
        if t > 0:
            roots = np.linalg.cholesky(covs + 1e-300 * np.eye(d))
            z = rng.standard_normal((replicates, K, K, sizes[2], d))  # [r, consumer k, producer j]
            synthetic = means[:, None, :, None] + np.einsum("rjab,rkjnb->rkjna", roots, z)
            parts.append((w[2], synthetic.reshape(replicates, K, K * sizes[2], d)))
        mean = sum(weight * x.mean(2) for weight, x in parts)
        second = sum(weight * np.einsum("rkna,rknb->rkab", x, x) / x.shape[2] for weight, x in parts)
        means, covs = mean, second - mean[..., :, None] * mean[..., None, :]
    return means, covs


def numpy_source_loop(K: int, d: int, n: int, rounds: int, replicates: int, seed: int = 0):
    """The same process in the style of ``benchmarks/monte_carlo.py``'s numpy reference: vectorised over
    replicates only, Python loops over the rounds, the models and their sources (raw samples)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = np.array([[np.cos(2 * np.pi * k / K)] + [np.sin(2 * np.pi * k / K)] * (d - 1) for k in range(K)])
    means, covs = np.zeros((replicates, K, d)), np.zeros((replicates, K, d, d))
    for t in range(rounds + 1):
        alpha = 0.0 if t == 0 else 0.5
        w = [(1 - alpha) * 0.5, (1 - alpha) * 0.5, alpha / K]
        n_private, n_public, n_synthetic = uniform_sizes(K, d, n, alpha)
        public = rng.standard_normal((replicates, n_public, d))
        roots = np.linalg.cholesky(covs + 1e-300 * np.eye(d)) if t > 0 else None
        new_means, second = np.zeros_like(means), np.zeros_like(covs)
        for k in range(K):
            parts = [(w[0], centres[k] + rng.standard_normal((replicates, n_private, d))), (w[1], public)]
            for j in range(K if t > 0 else 0):
                z = rng.standard_normal((replicates, n_synthetic, d))
                parts.append((w[2], means[:, j, None] + z @ np.swapaxes(roots[:, j], -1, -2)))
            for weight, x in parts:
                new_means[:, k] += weight * x.mean(1)
                second[:, k] += weight * np.einsum("rna,rnb->rab", x, x) / x.shape[1]
        means, covs = new_means, second - new_means[..., :, None] * new_means[..., None, :]
    return means, covs


def random_floor(K: int, d: int, rounds: int, replicates: int) -> float:
    """Seconds jax takes just to draw the standard normals the default path consumes (2 d per synthetic source:
    N = 2 samples drawn raw; d + d (d - 1) / 2 per real source, whose d chi^2 are left out), in the same
    chunks of 64 replicates."""
    import jax

    per_round = K * K * 2 * d + (K + 1) * (d + d * (d - 1) // 2)
    draw = jax.jit(lambda key: jax.random.normal(key, (64, rounds + 1, per_round)).sum())
    draw(jax.random.PRNGKey(0)).block_until_ready()
    start = time.perf_counter()
    for chunk in range(-(-replicates // 64)):
        draw(jax.random.PRNGKey(chunk)).block_until_ready()
    return time.perf_counter() - start


def monte_carlo_case(method: str, replicates: int, rounds: int) -> dict:
    K, d, n = 32, 2, 128
    if method.startswith("numpy"):
        run = numpy_loop if method == "numpy" else numpy_source_loop
        seconds = _timed(lambda: run(K, d, n, rounds, replicates))
        return {"method": method, "seconds": seconds, "replicates": replicates, "rounds": rounds}
    if method == "floor":
        return {"method": method, "seconds": random_floor(K, d, rounds, replicates)}
    import interplay.numerics as numerics

    eco = ecosystem(K, d, n=n)
    first = _timed(lambda: numerics.simulate(eco, rounds, 0, replicates=replicates))
    runs = [_timed(lambda: numerics.simulate(eco, rounds, 1, replicates=replicates)) for _ in range(2)]
    return {"method": method, "first_s": first, "seconds": statistics.median(runs)}


def _subprocess(arguments: list[str]) -> dict:
    command = [sys.executable, __file__, "--case", json.dumps(arguments)]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=("compile", "reuse", "monte-carlo", "all"), default="all")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        name, *rest = json.loads(args.case)
        print(json.dumps({"compile": compile_case, "reuse": reuse_case, "monte-carlo": monte_carlo_case}[name](*rest)))
        return
    print("uptime before:", _uptime(), flush=True)
    if args.part in ("compile", "all"):
        for verb in ("iterate_moments", "simulate"):
            for d in (1, 2):
                small, large = (_subprocess(["compile", verb, K, d]) for K in (4, 64))
                print(
                    f"compile {verb:16s} d={d}: K=4 {small['compile_s']:6.2f} s, K=64 {large['compile_s']:6.2f} s,"
                    f" ratio {large['compile_s'] / small['compile_s']:.2f} (target <= 3)",
                    flush=True,
                )
    if args.part in ("reuse", "all"):
        for verb in ("iterate_moments", "simulate"):
            case = _subprocess(["reuse", verb])
            print(
                f"reuse {verb:16s}: first {case['first_s']:.2f} s, second (other values, seed, replicates) "
                f"{case['second_s']:.3f} s, ratio {case['ratio']:.1f} (target >= 10)",
                flush=True,
            )
    if args.part in ("monte-carlo", "all"):
        replicates, rounds = (100, 20) if args.quick else (1000, 100)
        ours = _subprocess(["monte-carlo", "simulate", replicates, rounds])
        floor = _subprocess(["monte-carlo", "floor", replicates, rounds])
        print(
            f"monte carlo K=32 d=2 n=128 {replicates} x {rounds}: simulate {ours['seconds']:.2f} s (first call "
            f"{ours['first_s']:.2f} s), normals floor {floor['seconds']:.2f} s, ratio "
            f"{ours['seconds'] / floor['seconds']:.1f} (target <= 3)",
            flush=True,
        )
        probe = (100, 20)  # numpy's time is linear in replicates x (rounds + 1): extrapolated from a probe
        scale = replicates * (rounds + 1) / (probe[0] * (probe[1] + 1))
        for reference in ("numpy", "numpy-source-loop"):
            case = _subprocess(["monte-carlo", reference, *probe])
            estimate = case["seconds"] * scale
            print(
                f"  {reference}: {case['seconds']:.2f} s for {probe[0]} x {probe[1]}, ~{estimate:.1f} s for the run"
                f" (extrapolated): simulate {estimate / ours['seconds']:.1f}x faster (target >= 5)",
                flush=True,
            )
    print("uptime after:", _uptime(), flush=True)


if __name__ == "__main__":
    main()
