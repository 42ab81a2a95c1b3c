"""Monte Carlo speed and memory: a plain numpy reference vs the raw-sample and the sufficient-statistic paths.

Run from the repository root: ``python benchmarks/monte_carlo.py`` (add ``--quick`` for a smoke run).

Workload: K = 2 Gaussian models, d = 1, alpha = beta = 1/2, ``fresh`` real data (every source is drawn anew in
every round: the most sampling per round), MLE, 2,000 replicates, 100 update rounds (101 fits), for
n = 100, 1,000, 10,000 and 1,000,000.

Method. Each (method, n) runs in a fresh subprocess: it builds its inputs, runs once to warm up (jax compiles
there; excluded), then times ``repeats`` runs (``block_until_ready``; ``np.asarray`` of the result) and
reports the median. Peak memory: after the warm-up the kernel's resident-set high-water mark is reset
(``/proc/self/clear_refs``), and the peak resident memory of the timed runs above the memory resident just
before them is reported (numpy, jax and XLA buffers alike). For the jax paths XLA's static buffer analysis of
the compiled program is printed too. The numpy reference and the raw jax path are first timed on a probe
(fewer replicates and rounds); when the probe extrapolates (linearly in replicates x rounds) to more than
60 s, the full run is skipped and the estimate is printed instead. The floor is the time jax needs just to
draw the random numbers the sufficient path consumes (one normal per coordinate of a source mean and per
off-diagonal Bartlett entry, two uniforms per Marsaglia-Tsang candidate; no boost uniforms, as every chi^2
here has >= 2 degrees of freedom), drawn at once for the whole run; "floor-jax-gamma" draws jax.random.gamma
variates instead of the uniforms, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

K, D, ALPHA, BETA = 2, 1, 0.5, 0.5
PRIVATE_MEANS, PRIVATE_SD, PUBLIC_MEAN, PUBLIC_SD = (-1.0, 1.0), (1.0, 1.0), 0.0, 1.0
SIZES = (100, 1_000, 10_000, 1_000_000)
LIMIT_S = 60.0


def ecosystem(n):
    from theory import Ecosystem

    return Ecosystem.gaussian(
        means=[[m] for m in PRIVATE_MEANS],
        public_mean=[PUBLIC_MEAN],
        covs=[[[s**2]] for s in PRIVATE_SD],
        public_cov=[[PUBLIC_SD**2]],
        alpha=ALPHA,
        beta=BETA,
        n=n,
        regime="fresh",
    )


def sample_size(weight, n):
    """max(1, round(w n)), half up: the sizes of theory.rounds."""
    return max(1, int(weight * n + 0.5))


def numpy_reference(n, rounds, replicates, seed):
    """The same process in plain numpy, vectorised over replicates, from raw samples. Returns (R, T+1, K) fitted
    means and variances."""
    import numpy as np

    rng = np.random.default_rng(seed)
    means = np.zeros((replicates, rounds + 1, K))
    variances = np.zeros((replicates, rounds + 1, K))
    for t in range(rounds + 1):
        alpha = 0.0 if t == 0 else ALPHA
        w_private, w_public, w_synthetic = (1 - alpha) * BETA, (1 - alpha) * (1 - BETA), alpha / K
        public = PUBLIC_MEAN + PUBLIC_SD * rng.standard_normal((replicates, sample_size(w_public, n)))
        mean = w_public * public.mean(1)
        second = w_public * np.mean(public**2, 1)
        mean, second = np.repeat(mean[:, None], K, 1), np.repeat(second[:, None], K, 1)
        for k in range(K):
            private = PRIVATE_MEANS[k] + PRIVATE_SD[k] * rng.standard_normal((replicates, sample_size(w_private, n)))
            mean[:, k] += w_private * private.mean(1)
            second[:, k] += w_private * np.mean(private**2, 1)
            if t == 0:
                continue
            for j in range(K):
                shape = (replicates, sample_size(w_synthetic, n))
                sd = np.sqrt(np.maximum(variances[:, t - 1, j], 0))[:, None]
                synthetic = means[:, t - 1, j, None] + sd * rng.standard_normal(shape)
                mean[:, k] += w_synthetic * synthetic.mean(1)
                second[:, k] += w_synthetic * np.mean(synthetic**2, 1)
        means[:, t], variances[:, t] = mean, second - mean**2
    return means, variances


def draws_per_round():
    """(normals, chi-squares) the sufficient path draws per replicate and round: fresh, K private + 1 public +
    K^2 synthetic sources, each with d mean normals, d(d-1)/2 Bartlett normals and d chi^2."""
    sources = K + 1 + K * K
    return sources * (D + D * (D - 1) // 2), sources * D


# -- one measurement, in its own process --------------------------------------------------------------------


def _rss_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak():
    Path("/proc/self/clear_refs").write_text("5")


def measure(method, n, replicates, rounds, repeats):
    import numpy as np

    import numerics  # float64

    if method == "numpy":

        def run(seed):
            return numpy_reference(n, rounds, replicates, seed)

    elif method in ("raw", "sufficient"):
        eco = ecosystem(n)

        def run(seed):
            mc = numerics.simulate(eco, rounds, key=seed, replicates=replicates, method=method)
            return mc.means, mc.covs

    elif method in ("floor", "floor-jax-gamma"):
        import jax

        normals, chi_squares = draws_per_round()
        shape = (replicates * (rounds + 1) * normals,)
        chi_shape = (replicates * (rounds + 1) * chi_squares,)

        def draw(key):
            k_normal, k_uniform = jax.random.split(key)
            if method == "floor":  # what numerics.sufficient consumes: 2 uniforms per candidate (no boost: N > 2)
                return jax.random.normal(k_normal, shape), jax.random.uniform(k_uniform, (2,) + chi_shape)
            return jax.random.normal(k_normal, shape), jax.random.gamma(k_uniform, (n / 4 - 1) / 2, chi_shape)

        draw = jax.jit(draw)

        def run(seed):
            return jax.block_until_ready(draw(jax.random.PRNGKey(seed)))

    else:
        raise ValueError(method)
    memory = {}
    if method in ("raw", "sufficient"):
        from numerics.monte_carlo import simulation_memory

        memory["xla_buffers_mib"] = simulation_memory(eco, rounds, replicates, method) / 2**20
    run(0)  # warm-up: compilation
    _reset_peak()
    baseline = _rss_kib("VmRSS")
    times = []
    summary = None
    seeds = {"numpy": 1000, "raw": 2000, "sufficient": 3000}.get(method, 4000)  # independent draws per method
    for i in range(repeats):
        start = time.perf_counter()
        result = run(seeds + i)
        result = tuple(np.asarray(x) for x in result)
        times.append(time.perf_counter() - start)
        if method in ("numpy", "raw", "sufficient") and summary is None:
            variances = result[1][:, -1, 0] if method == "numpy" else result[1][:, -1, 0, 0, 0]
            summary = (float(variances.mean()), float(variances.std() / np.sqrt(len(variances))))
        del result
    peak = _rss_kib("VmHWM")
    return {
        "seconds": statistics.median(times),
        "repeats": repeats,
        "peak_mib": (peak - baseline) / 1024,
        "final_variance": summary,
        **memory,
    }


def in_subprocess(method, n, replicates, rounds, repeats):
    command = [sys.executable, __file__, "--measure", method, str(n), str(replicates), str(rounds), str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{method} n={n} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def timed_or_skipped(method, n, replicates, rounds):
    """Full run when a probe says it takes under LIMIT_S, else the probe's extrapolation (marked skipped)."""
    probe_replicates = max(10, min(replicates, int(2e7 // n)))
    probe_rounds = min(rounds, 4)
    probe = in_subprocess(method, n, probe_replicates, probe_rounds, 1)
    estimate = probe["seconds"] * (replicates / probe_replicates) * ((rounds + 1) / (probe_rounds + 1))
    if estimate > LIMIT_S:
        return {"skipped": True, "seconds": estimate, "probe": (probe_replicates, probe_rounds), "peak_mib": None}
    return in_subprocess(method, n, replicates, rounds, 3 if estimate < 10 else 1)


# -- the report -----------------------------------------------------------------------------------------------


def fmt_time(result):
    if result.get("skipped"):
        r, t = result["probe"]
        return f"skipped (> 60 s; ~{result['seconds']:.0f} s est. from {r} replicates x {t} rounds)"
    return f"{result['seconds']:.3f} s (median of {result['repeats']})"


def fmt_memory(result):
    if result.get("peak_mib") is None:
        return "-"
    text = f"{result['peak_mib']:.0f} MiB peak RSS"
    if "xla_buffers_mib" in result:
        text += f", XLA buffers {result['xla_buffers_mib']:.1f} MiB"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="200 replicates, 10 rounds, n up to 10,000")
    args = parser.parse_args()
    if args.measure:
        method, n, replicates, rounds, repeats = args.measure
        print(json.dumps(measure(method, int(n), int(replicates), int(rounds), int(repeats))))
        return
    replicates, rounds, sizes = (200, 10, SIZES[:3]) if args.quick else (2000, 100, SIZES)
    print(f"Monte Carlo benchmark: K = {K} Gaussian, d = {D}, fresh, {replicates} replicates, {rounds} rounds")
    print(f"machine: {os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}")
    results = {}
    for n in sizes:
        row = results[n] = {}
        row["numpy"] = timed_or_skipped("numpy", n, replicates, rounds)
        row["raw"] = timed_or_skipped("raw", n, replicates, rounds)
        row["sufficient"] = in_subprocess("sufficient", n, replicates, rounds, 5)
        row["floor"] = in_subprocess("floor", n, replicates, rounds, 5)
        row["floor-jax-gamma"] = in_subprocess("floor-jax-gamma", n, replicates, rounds, 3)
        print(f"\nn = {n:,}")
        for method in ("numpy", "raw", "sufficient", "floor", "floor-jax-gamma"):
            result = row[method]
            print(f"  {method:16s} {fmt_time(result):58s} {fmt_memory(result)}")
    print(f"\nload average after {os.getloadavg()[0]:.2f}")

    smallest, largest = sizes[0], sizes[-1]
    print("\nHEADLINE (ratios; 'est.' = numpy or raw extrapolated from a probe because the full run is > 60 s)")
    for n in sizes:
        row = results[n]
        fast = row["sufficient"]["seconds"]
        for reference in ("numpy", "raw"):
            mark = " est." if row[reference].get("skipped") else ""
            print(
                f"  n = {n:>9,}: sufficient is {row[reference]['seconds'] / fast:9.1f}x faster than {reference}{mark}"
            )
    for n, target in ((1_000, 20), (10_000, 200)):
        if n in results:
            ratio = results[n]["numpy"]["seconds"] / results[n]["sufficient"]["seconds"]
            verdict = "MET" if ratio >= target else "MISSED"
            print(f"  target n = {n:,}: >= {target}x faster than numpy: {ratio:.0f}x {verdict}")
    growth = results[largest]["sufficient"]["seconds"] / results[smallest]["sufficient"]["seconds"]
    verdict = "MET" if growth <= 1.5 else "MISSED"
    print(f"  sufficient time n = {largest:,} / n = {smallest:,}: {growth:.2f} (target <= 1.5: {verdict})")
    for n in sizes:
        floor = results[n]["sufficient"]["seconds"] / results[n]["floor"]["seconds"]
        gamma = results[n]["sufficient"]["seconds"] / results[n]["floor-jax-gamma"]["seconds"]
        print(
            f"  n = {n:>9,}: sufficient / random-number floor = {floor:.2f} (target <= 3: "
            f"{'MET' if floor <= 3 else 'MISSED'}); / floor with jax.random.gamma = {gamma:.2f}"
        )
    print("\nCheck: mean over replicates of model 1's fitted variance at the last round (+- SE) vs exact")
    import numerics

    for n in sizes:
        exact = numerics.iterate_moments(ecosystem(n), rounds).fitted_cov[-1, 0, 0, 0]
        cells = []
        for method in ("numpy", "raw", "sufficient"):
            summary = results[n][method].get("final_variance")
            cells.append(f"{method} {summary[0]:.4f} +- {summary[1]:.4f}" if summary else f"{method} -")
        print(f"  n = {n:>9,}: exact {exact:.4f}; " + "; ".join(cells))
    print("\nCategorical family (m = 1,000 categories): TODO -- the family is being built elsewhere; its rows")
    print("  (numpy reference, raw, sufficient = multinomial counts, floor, peak memory) belong here.")


if __name__ == "__main__":
    main()
