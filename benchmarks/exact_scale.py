"""Gaussian exact recursion at K = 1,000 models: preparation, compile time against K = 4, time and memory.

Run from the repository root: ``python benchmarks/exact_scale.py`` (``--quick``: 100 rounds instead of 1,000).
Prints ``uptime`` before and after: on a shared machine absolute times carry the load, the ratios less so.

Workload: d = 1, W = J / K, alpha = beta = 1/2, n = 100, reuse, MLE; private means drawn from N(0, 1) (seed 0,
three decimals), public mean 0. Each K runs in a fresh subprocess:

* preparation: building the ecosystem (``Ecosystem.gaussian``: W validated exactly) and the host-side inputs of
  the first call (sample sizes apportioned exactly, numbers converted to float64), the first call minus the run;
* compile: the first call of ``iterate_moments(eco, 5, summaries=True)`` minus the median of three later calls
  minus the preparation measured separately (``numerics.gaussian.step.values`` and the sizes). Target: K = 1,000
  within 3x of K = 4.
* the 1,000-round run with ``summaries=True`` (per-model moments and the mean pairwise distance of each round, the
  K x K covariance of the last round only: the full trajectory would hold 8 GB of covariances), in a process of
  its own: wall time (the first call of that structure, so compile included) and the peak resident memory above
  the high-water mark of the preparation, against the estimate the run is checked against beforehand
  (``numerics.driver.limits.summary_bytes``).
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


def case(K: int, rounds: int) -> dict:
    import resource

    import numpy as np

    import interplay.numerics as numerics
    from interplay.numerics.driver.limits import summary_bytes, trajectory_bytes
    from interplay.numerics.gaussian import iterate, step
    from interplay.theory import Ecosystem

    started = time.perf_counter()
    means = [[float(x)] for x in np.round(np.random.default_rng(0).normal(size=K), 3)]
    eco = Ecosystem.gaussian(means=means, public_mean=[0.0], alpha=0.5, beta=0.5, n=100)
    built = time.perf_counter() - started

    started = time.perf_counter()
    step.values(eco), iterate._spec_inputs(eco, 5)  # the host-side inputs (cached sizes are reused by the calls)
    inputs = time.perf_counter() - started

    def timed(run_rounds):
        start = time.perf_counter()
        result = numerics.iterate_moments(eco, run_rounds, summaries=True)
        return time.perf_counter() - start, result

    out = {"K": K, "build_s": built, "inputs_s": inputs}
    if not rounds:
        first, _ = timed(5)
        later = statistics.median(timed(5)[0] for _ in range(3))
        out |= {"first_s": first, "later_s": later, "compile_s": first - later}
    else:  # a process of its own: the resident high-water mark before the run is that of the preparation
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        seconds, result = timed(rounds)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        out |= {
            "rounds": rounds,
            "run_s": seconds,
            "peak_above_bytes": max(peak - before, 0),
            "estimate_bytes": summary_bytes(eco, rounds),
            "full_trajectory_bytes": trajectory_bytes(eco, rounds),
            "mean_squared_distance": [float(result.mean_squared_distance[t]) for t in (0, 1, rounds)],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--case", nargs=2, type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.case:
        print(json.dumps(case(*arguments.case)))
        return
    rounds = 100 if arguments.quick else 1000
    print("uptime before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    results = []
    for K, run_rounds in ((4, 0), (1000, 0), (1000, rounds)):
        command = [sys.executable, __file__, "--case", str(K), str(run_rounds)]
        line = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT).stdout.splitlines()[-1]
        results.append(json.loads(line))
        print(json.dumps(results[-1]))
    print("uptime after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    small, large, run = results
    print(f"compile K = 1,000 / K = 4: {large['compile_s'] / small['compile_s']:.2f} (target <= 3)")
    large |= run
    print(
        f"K = 1,000: build {large['build_s']:.1f} s, inputs {large['inputs_s']:.1f} s, {rounds} rounds "
        f"{large['run_s']:.1f} s (compile included), peak {large['peak_above_bytes'] / 2**30:.2f} GiB above the "
        f"process's, estimate {large['estimate_bytes'] / 2**30:.2f} GiB (full trajectory: "
        f"{large['full_trajectory_bytes'] / 2**30:.1f} GiB)"
    )


if __name__ == "__main__":
    main()
