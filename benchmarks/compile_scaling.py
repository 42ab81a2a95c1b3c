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
* monte-carlo: K = 32, d = 2, n = 100, alpha = beta = 1/2, W = J / K, fresh, MLE, 1,000 replicates x 100 rounds:
  ``numerics.simulate`` (sufficient statistics; compiled first, median of the timed runs) against a plain numpy
  loop over the rounds, vectorised over replicates and sources, drawing the raw samples (N = 25 private and
  public samples, 2 from each model). Target: at least 5x faster than numpy.
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


def numpy_loop(K: int, d: int, n: int, rounds: int, replicates: int, seed: int = 0):
    """The process in plain numpy from raw samples (fresh, MLE, W = J / K), vectorised over replicates and
    sources, a Python loop over the rounds. Returns the fitted means and covariances of the last round."""
    import numpy as np

    from interplay.theory.rounds import sample_size

    rng = np.random.default_rng(seed)
    centres = np.array([[np.cos(2 * np.pi * k / K)] + [np.sin(2 * np.pi * k / K)] * (d - 1) for k in range(K)]).round(6)
    means, covs = np.zeros((replicates, K, d)), np.zeros((replicates, K, d, d))
    for t in range(rounds + 1):
        alpha = 0.0 if t == 0 else 0.5
        w = [(1 - alpha) * 0.5, (1 - alpha) * 0.5, alpha / K]
        sizes = [sample_size(x, n) if x > 0 else 0 for x in w]
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


def monte_carlo_case(method: str, replicates: int, rounds: int) -> dict:
    K, d, n = 32, 2, 100
    if method == "numpy":
        seconds = _timed(lambda: numpy_loop(K, d, n, rounds, replicates))
        return {"method": method, "seconds": seconds, "replicates": replicates, "rounds": rounds}
    import interplay.numerics as numerics

    eco = ecosystem(K, d, n=n)
    first = _timed(lambda: numerics.simulate(eco, rounds, 0, replicates=replicates))
    runs = [_timed(lambda: numerics.simulate(eco, rounds, 1, replicates=replicates)) for _ in range(2)]
    return {
        "method": method,
        "first_s": first,
        "seconds": statistics.median(runs),
        "replicates": replicates,
        "rounds": rounds,
    }


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
        reference = _subprocess(["monte-carlo", "numpy", replicates, rounds])
        print(
            f"monte carlo K=32 d=2 n=100 {replicates} x {rounds}: numpy {reference['seconds']:.2f} s, simulate "
            f"{ours['seconds']:.2f} s (first call {ours['first_s']:.2f} s), ratio "
            f"{reference['seconds'] / ours['seconds']:.1f} (target >= 5)",
            flush=True,
        )
    print("uptime after:", _uptime(), flush=True)


if __name__ == "__main__":
    main()
