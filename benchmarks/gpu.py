"""Benchmark: sweeps and Monte Carlo on whatever device jax sees (run on a GPU machine; CPU works too).

Prints, for the default device: the 201 x 201 (alpha, beta) phase diagram of the two-model Gaussian recursion
over 1,000 rounds (after compilation, median of 3), and the Gaussian Monte Carlo (K = 2, n = 50, 100 rounds,
sufficient statistics) at growing replicate counts, with the time per replicate-round, so the scaling shows.

    python benchmarks/gpu.py [--grid 201] [--rounds 1000]
"""

from __future__ import annotations

import argparse

import jax
import numpy as np
from timing import median_time

import interplay.numerics as numerics
from interplay.numerics.sweeps import sweep
from interplay.theory.examples import two_model_gaussian


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=201)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--replicates", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    print(f"device: {jax.devices()[0].device_kind} ({jax.default_backend()}), jax {jax.__version__}")
    eco = two_model_gaussian(n=50)
    axes = {"alpha": np.linspace(0, 1, args.grid), "beta": np.linspace(0, 1, args.grid)}
    seconds, _ = median_time(lambda: sweep(eco, axes, ["spread"], rounds=args.rounds, progress=False))
    print(f"sweep {args.grid} x {args.grid}, {args.rounds} rounds: {seconds:.2f} s after compilation")
    for replicates in args.replicates:
        seconds, _ = median_time(
            lambda r=replicates: jax.block_until_ready(numerics.simulate(eco, 100, 0, r).means), repeats=2
        )
        per = seconds / (replicates * 100) * 1e9
        print(
            f"Monte Carlo K = 2, n = 50, 100 rounds, {replicates:>9,} replicates: {seconds:7.2f} s "
            f"({per:.1f} ns a replicate-round)"
        )


if __name__ == "__main__":
    main()
