"""Benchmark: a 201 x 201 (alpha, beta) phase diagram of the two-model Gaussian ecosystem's exact recursion.

Prints the time of ``numerics.sweep`` (after compilation) against a plain numpy loop over the same grid,
run in the same process, and the ratio. The numpy reference is an independent implementation of the same
recursion (reuse regime, MLE, K = 2, d = 1): it is timed on a random sample of grid points and extrapolated
per point (it would take tens of minutes on the whole grid), and its values are checked against the sweep's.
Also prints the sweep's peak memory for two horizons: without trajectories it must not grow with the rounds.

    python benchmarks/sweep.py [--grid 201] [--rounds 1000] [--sample 60]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time

import numpy as np
from timing import median_time

import interplay.numerics as numerics  # noqa: F401  (float64)
from interplay.numerics.sweeps import sweep
from interplay.theory.examples import two_model_gaussian
from interplay.theory.rounds import sample_sizes

N = 50


def numpy_spread(eco, alpha: float, beta: float, rounds: int) -> float:
    """E||m_1 - m_2||^2 after ``rounds`` rounds: the exact recursion written out in plain numpy. Its sample sizes
    are those every path uses, the exact largest-remainder apportionment of theory.rounds.sample_sizes (a float
    computation of the quotas may fall just below a tie and disagree)."""
    mu = np.array([-1.0, 1.0, 0.0])  # private 1, private 2, public
    var = np.array([1.0, 1.0, 2.0])
    sizes = sample_sizes(eco, float(alpha), float(beta), initial=False, initial_beta=float(beta))
    n_synthetic = sizes.n_synthetic[0][1]  # alpha n / 2: equal shares; round 0 has none (its weight is 0)
    sigma_b = np.diag(var / np.array([sizes.n_private[0][0], sizes.n_private[1][0], sizes.n_public[0][0]]))
    mean, cov, cross = np.zeros(2), np.zeros((2, 2)), np.zeros((2, 3))
    second = np.zeros(2)
    for t in range(rounds + 1):
        a = 0.0 if t == 0 else alpha
        wp, wq, ws = (1 - a) * beta, (1 - a) * (1 - beta), a / 2
        R = np.array([[wp, 0.0, wq], [0.0, wp, wq]])
        G = np.full((2, 2), ws)
        fitted = second - np.diag(cov) - mean**2
        noise = np.eye(2) * (ws**2 / n_synthetic * fitted.sum())
        real_second = wp * (var[:2] + mu[:2] ** 2) + wq * (var[2] + mu[2] ** 2)
        second = real_second + ws * (fitted + np.diag(cov) + mean**2).sum()
        cov = R @ sigma_b @ R.T + G @ cov @ G.T + R @ cross.T @ G.T + G @ cross @ R.T + noise
        cross = R @ sigma_b + G @ cross
        mean = R @ mu + G @ mean
    return (mean[0] - mean[1]) ** 2 + cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]


def peak_memory(grid: int, rounds: int) -> float:
    """Peak resident memory (MiB) of a fresh process running one sweep (ru_maxrss)."""
    code = (
        "import resource, numpy as np, interplay.numerics; from interplay.numerics.sweeps import sweep; "
        "from interplay.theory.examples import two_model_gaussian as g; "
        f"sweep(g(n={N}), {{'alpha': np.linspace(0,1,{grid}), 'beta': np.linspace(0,1,{grid})}}, ['spread'], "
        f"rounds={rounds}, progress=False); print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(out.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=201)
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=60, help="grid points the numpy reference is timed on")
    args = parser.parse_args()
    axes = {"alpha": np.linspace(0, 1, args.grid), "beta": np.linspace(0, 1, args.grid)}
    eco = two_model_gaussian(n=N)

    ours, grid = median_time(lambda: sweep(eco, axes, ["spread"], rounds=args.rounds, progress=False))

    rng = np.random.default_rng(0)
    picks = rng.integers(0, args.grid, size=(args.sample, 2))
    start = time.perf_counter()
    reference = [numpy_spread(eco, axes["alpha"][i], axes["beta"][j], args.rounds) for i, j in picks]
    per_point = (time.perf_counter() - start) / args.sample
    numpy_total = per_point * args.grid**2
    ours_at_picks = np.array([grid["spread"][i, j, 0, 1] for i, j in picks])
    agreement = np.max(np.abs(ours_at_picks - np.array(reference)) / np.maximum(np.abs(reference), 1e-300))

    print(f"phase diagram {args.grid} x {args.grid} (alpha, beta), {args.rounds} rounds, K = 2 Gaussian, n = {N}")
    print(f"  interplay sweep (jit + vmap, after compilation, median of 3): {ours:8.2f} s")
    print(f"  plain numpy loop (extrapolated from {args.sample} points):      {numpy_total:8.1f} s")
    print(f"  speed-up: {numpy_total / ours:.0f}x   (target >= 50x)")
    print(f"  max relative difference numpy vs sweep at the sampled points: {agreement:.1e}")
    small, large = peak_memory(args.grid, 100), peak_memory(args.grid, 2000)
    print(f"  peak memory of a sweep: {small:.0f} MiB at 100 rounds, {large:.0f} MiB at 2000 rounds")
    print(f"  (this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()
