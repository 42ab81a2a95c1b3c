"""Monte Carlo at scale (issue 13): K = 1,000 and 10,000 Gaussian models against a plain numpy loop of the same
process.

Run from the repository root: ``python benchmarks/monte_carlo_scale.py`` (``--workload ring-1000``, ``mixture-1000``
or ``ring-10000`` for one; ``--quick`` for a smoke run of 4 replicates x 4 rounds).

Workloads: d = 1, n = 100, alpha = beta = 1/2, ``fresh`` real data, MLE, 100 replicates x 100 update rounds (101
fits); model k's private data N(mu_k, 1) with mu_k = (-1)^k, the public N(0, 1). W: the ring of
:func:`theory.graphs.ring` (each model trains on its two neighbours, E = 2K edges) at K = 1,000 and 10,000, and J / K
under ``composition="mixture"`` at K = 1,000 (each synthetic sample from a model drawn uniformly).

Method. Each (workload, method) runs in a fresh subprocess. ``ours``: the ecosystem is built first (its time and the
resident memory it adds are reported apart), then the memory :func:`numerics.verbs.simulation_estimate`
announces, then ``numerics.simulate`` runs once to warm up (compilation; excluded, its time printed apart) and
``repeats`` timed calls follow (median), each a whole call: the host's inputs (the centred numbers, the sample
sizes on the edges, the edges), computed again by every call, and the compiled run.
``numpy-sufficient`` and ``numpy-raw``: the same process in plain numpy, vectorised over the replicates and the
edges (or the mixture's samples), looping over the rounds, each source drawn from its exact sufficient statistics
(xbar = mu + sigma z / sqrt(N), scatter / N = sigma^2 chi^2(N - 1) / N: numpy's normal and gamma samplers) or from its
N samples; the sample sizes the toolkit's (computed before the timing); the mixture's samples drawn raw (producer by
inverse CDF of W's row, x = m_j + s_j z). Peak memory: the resident-set high-water mark of the timed calls above
the memory resident before them (``/proc/self/clear_refs``). The machine's load average (``uptime``) is printed
before and after. The host's parts of a call (the sample sizes, the edges, the sizes gathered on them) are timed
apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import reset_peak, rss_kib

ROOT = Path(__file__).resolve().parents[1]

N, ALPHA, BETA, REPLICATES, ROUNDS = 100, 0.5, 0.5, 100, 100
WORKLOADS = {"ring-1000": (1_000, "ring"), "mixture-1000": (1_000, "mixture"), "ring-10000": (10_000, "ring")}


def ecosystem(K, kind):
    from interplay.theory import Ecosystem
    from interplay.theory.graphs import complete, ring

    mixing = ring(K) if kind == "ring" else complete(K)
    return Ecosystem.gaussian(
        means=[[(-1.0) ** k] for k in range(K)],
        public_mean=[0.0],
        covs=[[[1.0]]] * K,
        public_cov=[[1.0]],
        alpha=ALPHA,
        beta=BETA,
        n=N,
        regime="fresh",
        mixing=mixing,
        composition="fixed" if kind == "ring" else "mixture",
    )


def numpy_reference(eco, sizes, edges, rounds, replicates, seed, how):
    """The process in plain numpy: (R, T+1, K) fitted means and variances. ``sizes``: numerics' Sizes of a constant
    schedule (round 0's, then every update round's); ``edges``: numerics.driver.edges.Edges (fixed composition);
    ``how``: "sufficient" (each source's exact sufficient statistics) or "raw" (its samples)."""
    import numpy as np

    K = eco.K
    rng = np.random.default_rng(seed)
    mu = np.array([(-1.0) ** k for k in range(K)])
    means, variances = np.zeros((replicates, rounds + 1, K)), np.zeros((replicates, rounds + 1, K))
    mixture = eco.composition == "mixture"

    def statistics_of(mean, variance, size, shape):
        """xbar and scatter / N of ``size`` samples of N(mean, variance) (size 0: zeros)."""
        safe = np.maximum(size, 1)
        if how == "raw":
            largest = int(np.max(size))
            kept = np.arange(largest) < np.asarray(size)[..., None]
            z = rng.standard_normal(shape + (largest,)) * kept
            zbar = z.sum(-1) / safe
            within = (((z - zbar[..., None]) * kept) ** 2).sum(-1) / safe
            return mean + np.sqrt(variance) * zbar, variance * within
        z = rng.standard_normal(shape)
        chi2 = 2 * rng.standard_gamma(np.maximum(size - 1, 0) / 2, shape)
        return mean + np.sqrt(variance / safe) * z, np.where(size > 0, variance * chi2 / safe, 0.0)

    for t in range(rounds + 1):
        part = sizes.initial if t == 0 else sizes.rounds
        alpha = 0.0 if t == 0 else ALPHA
        wp, wq = (1 - alpha) * BETA, (1 - alpha) * (1 - BETA)
        n_private = np.asarray(part.n_private).reshape(K)
        xbar_p, within_p = statistics_of(mu, 1.0, n_private, (replicates, K))
        n_public = np.unique(np.asarray(part.n_public))  # model k's prefix of the one public sample: all equal here
        assert n_public.size == 1, "the reference draws one public sample that every model takes whole"
        xbar_q, within_q = statistics_of(0.0, 1.0, float(n_public[0]), (replicates, 1))
        mean = wp * xbar_p + wq * xbar_q
        if t > 0 and not mixture:
            n_e = np.asarray(part.n_synthetic)
            m, s = means[:, t - 1], variances[:, t - 1]
            xbar_e, within_e = statistics_of(m[:, edges.producer], s[:, edges.producer], n_e, (replicates, n_e.size))
            w_e = alpha * edges.weight
            starts = np.flatnonzero(np.r_[True, edges.consumer[1:] != edges.consumer[:-1]])
            mean = mean + np.add.reduceat(w_e * xbar_e, starts, axis=1)
            gap = xbar_e - mean[:, edges.consumer]
            syn_scatter = np.add.reduceat(w_e * (within_e + gap**2), starts, axis=1)
        elif t > 0:
            n_syn = int(round(float(np.asarray(part.n_synthetic).sum(-1).max())))
            m, s = means[:, t - 1], variances[:, t - 1]
            row = np.full(K, 1.0 / K).cumsum()  # J / K: every row the same
            j = np.minimum(np.searchsorted(row, rng.random((replicates, K, n_syn)), side="right"), K - 1)
            r = np.arange(replicates)[:, None, None]
            x = m[r, j] + np.sqrt(s[r, j]) * rng.standard_normal((replicates, K, n_syn))
            xbar_e = x.mean(2)
            mean = mean + alpha * xbar_e
            syn_scatter = alpha * (((x - xbar_e[..., None]) ** 2).mean(2) + (xbar_e - mean) ** 2)
        scatter = wp * (within_p + (xbar_p - mean) ** 2) + wq * (within_q + (xbar_q - mean) ** 2)
        if t > 0:
            scatter = scatter + syn_scatter
        means[:, t], variances[:, t] = mean, scatter
    return means, variances


def measure(workload, method, replicates, rounds, repeats):
    import numpy as np

    import interplay.numerics as numerics
    from interplay.numerics.driver.edges import graph_edges
    from interplay.numerics.driver.sizes import spec_sizes
    from interplay.numerics.verbs import simulation_estimate

    K, kind = WORKLOADS[workload]
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    eco = ecosystem(K, kind)
    report = {"build_s": time.perf_counter() - start, "build_mib": (rss_kib("VmRSS") - before) / 1024}
    if method.startswith("numpy"):
        edges = graph_edges(eco) if kind == "ring" else None
        sizes = spec_sizes(eco, rounds, repeated=False, edges=edges is not None)

        def run(seed):
            return numpy_reference(eco, sizes, edges, rounds, replicates, seed, method.split("-")[1])

    else:
        estimate = simulation_estimate(eco, rounds, replicates)
        report["estimate"] = str(estimate)

        def run(seed):
            mc = numerics.simulate(eco, rounds, key=seed, replicates=replicates)
            return mc.means[..., 0], mc.covs[..., 0, 0]

    start = time.perf_counter()
    run(0)  # warm-up: compilation
    report["first_call_s"] = time.perf_counter() - start
    if method == "ours" and kind == "ring":
        report["pieces_s"] = pieces(eco, rounds)
    reset_peak()
    baseline = rss_kib("VmRSS")
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        means, variances = (np.asarray(x) for x in run(1000 + i))
        times.append(time.perf_counter() - start)
        report["final_variance"] = (float(variances[:, -1].mean()), float(variances[:, -1].std() / np.sqrt(replicates)))
        report["final_mean_0"] = (float(means[:, -1, 0].mean()), float(means[:, -1, 0].std() / np.sqrt(replicates)))
    report.update(seconds=statistics.median(times), repeats=repeats)
    report["peak_mib"] = (rss_kib("VmHWM") - baseline) / 1024
    return report


def pieces(eco, rounds):
    """Seconds of the host's parts of one call: the sample sizes on W's edges (theory's exact integers as arrays)
    and the edges."""
    from interplay.numerics.driver.edges import graph_edges
    from interplay.numerics.driver.sizes import spec_sizes

    out = {}
    start = time.perf_counter()
    spec_sizes(eco, rounds, edges=True)
    out["spec_sizes_on_edges"] = time.perf_counter() - start
    start = time.perf_counter()
    graph_edges(eco)
    out["graph_edges"] = time.perf_counter() - start
    return out


def in_subprocess(workload, method, replicates, rounds, repeats):
    command = [sys.executable, __file__, "--measure", workload, method, str(replicates), str(rounds), str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"rc {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workload", choices=list(WORKLOADS))
    parser.add_argument("--measure", nargs=5)
    args = parser.parse_args()
    if args.measure:
        workload, method, replicates, rounds, repeats = args.measure
        print(json.dumps(measure(workload, method, int(replicates), int(rounds), int(repeats))))
        return
    replicates, rounds = (4, 4) if args.quick else (REPLICATES, ROUNDS)
    print("load before:", uptime(), flush=True)
    for workload in [args.workload] if args.workload else list(WORKLOADS):
        repeats = 1 if workload == "ring-10000" or args.quick else 3
        for method in (
            ("ours", "numpy-sufficient", "numpy-raw") if WORKLOADS[workload][1] == "ring" else ("ours", "numpy-raw")
        ):
            result = in_subprocess(workload, method, replicates, rounds, repeats)
            print(workload, method, json.dumps(result), flush=True)
    print("load after:", uptime(), flush=True)


if __name__ == "__main__":
    main()
