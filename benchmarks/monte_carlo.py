"""Monte Carlo speed and memory: a plain numpy reference vs the raw-sample and the sufficient-statistic paths.

Run from the repository root: ``python benchmarks/monte_carlo.py`` (add ``--quick`` for a smoke run, ``--family
gaussian`` or ``--family categorical`` for one part).

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

Categorical part: m = 1,000 categories, K = 2, private Dirichlet(1/2) and public Dirichlet(1) distributions
(fixed seed), alpha = beta = 1/2, fresh, tau = 1, no smoothing; full workload 2,000 replicates x 100 rounds,
every method keeping only the last round's fits. Methods: "numpy-tokens" materialises every token (inverse CDF by
searchsorted, counted by bincount), "numpy-multinomial" draws the counts with numpy's Generator.multinomial
(both vectorised over replicates); numerics.categorical.monte_carlo.simulate with method "raw" (every token located in
the fits' cumulative probabilities, in jax), "multinomial" (counts from numerics.samplers.binomial's tree of binomials:
"counts") and "sufficient" (the default: token lists while samples have <= 1.5 m tokens, else the cheaper of
located tokens and counts: "ours"); "floor" draws just the random numbers ours consumes (a uniform per token on
its token routes, the multinomial itself on its count routes). Every method is first probed on 200 replicates x 4
rounds (numpy: fewer replicates at large n) and run in full where the probe extrapolates (linearly in
replicates x (rounds + 1)) to under 60 s; otherwise the extrapolation is printed. The check compares model 1's
mean diversity 1 - sum p^2 at the last round with an exact K x K recursion (``categorical_exact_diversity``).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import reset_peak, rss_kib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

K, D, ALPHA, BETA = 2, 1, 0.5, 0.5
PRIVATE_MEANS, PRIVATE_SD, PUBLIC_MEAN, PUBLIC_SD = (-1.0, 1.0), (1.0, 1.0), 0.0, 1.0
SIZES = (100, 1_000, 10_000, 1_000_000)
LIMIT_S = 60.0


def ecosystem(n):
    from interplay.theory import Ecosystem

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


def numpy_reference(n, rounds, replicates, seed):
    """The same process in plain numpy, vectorised over replicates, from raw samples. Returns (R, T+1, K) fitted
    means and variances."""
    import numpy as np

    from interplay.theory.rounds import sample_sizes

    eco = ecosystem(n)
    rng = np.random.default_rng(seed)
    means = np.zeros((replicates, rounds + 1, K))
    variances = np.zeros((replicates, rounds + 1, K))
    for t in range(rounds + 1):
        alpha = 0.0 if t == 0 else ALPHA
        w_private, w_public, w_synthetic = (1 - alpha) * BETA, (1 - alpha) * (1 - BETA), alpha / K
        n_private, n_public, n_synthetic = sample_sizes(eco, alpha, BETA, initial=t == 0)  # the toolkit's sizes
        public = PUBLIC_MEAN + PUBLIC_SD * rng.standard_normal((replicates, n_public[0][0]))
        mean = w_public * public.mean(1)
        second = w_public * np.mean(public**2, 1)
        mean, second = np.repeat(mean[:, None], K, 1), np.repeat(second[:, None], K, 1)
        for k in range(K):
            private = PRIVATE_MEANS[k] + PRIVATE_SD[k] * rng.standard_normal((replicates, n_private[k][0]))
            mean[:, k] += w_private * private.mean(1)
            second[:, k] += w_private * np.mean(private**2, 1)
            if t == 0:
                continue
            for j in range(K):
                shape = (replicates, n_synthetic[k][j])
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


# -- the categorical family ----------------------------------------------------------------------------------

CAT_M, CAT_SEED = 1_000, 7
CAT_REPLICATES, CAT_ROUNDS = 2_000, 100
CAT_MEASURED = (200, 4)  # replicates, rounds of the probes, extrapolated linearly in replicates x (rounds + 1)
JAX_CATEGORICAL = {"cat-ours": "sufficient", "cat-raw": "raw", "cat-counts": "multinomial"}  # simulate's method
CAT_METHODS = ("cat-numpy-tokens", "cat-numpy-multinomial", "cat-raw", "cat-counts", "cat-ours", "cat-floor")


@functools.lru_cache(maxsize=1)
def categorical_sources():
    """K private and one public distribution over CAT_M categories: Dirichlet(1/2) and Dirichlet(1) draws from a
    fixed seed, as exact rationals on a 1e-6 grid summing to one (float entries would go through
    sympy.nsimplify, ~30 s for 3,000 of them). Returns (private, public) sympy column vectors."""
    import numpy as np
    import sympy

    rng = np.random.default_rng(CAT_SEED)
    scale = 10**6

    def rational(p):
        counts = np.floor(p * scale).astype(np.int64)
        counts[np.argsort(counts - p * scale)[: scale - counts.sum()]] += 1  # largest remainders round up
        return sympy.ImmutableMatrix([sympy.Rational(int(c), scale) for c in counts])

    private = tuple(rational(rng.dirichlet(np.full(CAT_M, 0.5))) for _ in range(K))
    return private, rational(rng.dirichlet(np.full(CAT_M, 1.0)))


def categorical_arrays():
    """(private (K, m), public (m,)) as float arrays."""
    import numpy as np

    private, public = categorical_sources()
    return np.array([[float(x) for x in q] for q in private]), np.array([float(x) for x in public])


def categorical_ecosystem_at(n):
    from interplay.theory.categorical.maps import categorical_ecosystem

    private, public = categorical_sources()
    return categorical_ecosystem(private, public, alpha=ALPHA, beta=BETA, n=n, regime="fresh")


@functools.lru_cache(maxsize=8)
def categorical_plans(n):
    """[(weights, sizes) of round 0, (weights, sizes) of rounds >= 1], weights = (private, public, synthetic)
    and sizes = (N_private, N_public, N_synthetic), from the theory's own round plans."""
    from interplay.theory.rounds import plan_at

    eco = categorical_ecosystem_at(n)
    plans = []
    for t in (0, 1):
        p = plan_at(eco, t)
        weights = (float(p.w_private[0]), float(p.w_public[0]), float(p.w_synthetic[0, 0]))
        plans.append((weights, (int(p.n_private[0]), int(p.n_public[0]), int(p.n_synthetic[0, 0]))))
    return plans


def _frequencies(rng, q, size, replicates, how):
    """Empirical frequencies (replicates, m) of ``size`` draws from q: q (m,) shared or (replicates, m) per row.

    ``tokens`` materialises every token (inverse CDF: searchsorted of uniforms in the cumulative probabilities)
    and counts them (one bincount); ``multinomial`` draws the counts with numpy's Generator.multinomial."""
    import numpy as np

    m = q.shape[-1]
    if how == "multinomial":
        counts = rng.multinomial(size, q, size=replicates) if q.ndim == 1 else rng.multinomial(size, q)
        return counts / size
    rows = np.arange(replicates)[:, None]
    u = rng.random((replicates, size))
    if q.ndim == 1:  # one CDF for all rows; side="right" never returns a zero-probability category
        cdf = np.cumsum(q)
        cdf[-1] = 1.0
        flat = np.searchsorted(cdf, u, side="right") + rows * m
    else:  # one CDF per row: row r lives in [2r, 2r + 1] of one sorted array, so one searchsorted serves all
        cdf = np.cumsum(q, 1)
        cdf[:, -1] = 1.0
        cdf += 2.0 * rows
        flat = np.searchsorted(cdf.ravel(), (u + 2.0 * rows).ravel(), side="left")  # (exact to ~1e-12)
    return np.bincount(flat.ravel(), minlength=replicates * m).reshape(replicates, m) / size


def numpy_categorical(n, rounds, replicates, seed, how):
    """The categorical process (fresh, tau = 1, no smoothing) in plain numpy, vectorised over replicates; returns
    the last round's fits (R, 1, K, m), like numerics.categorical.monte_carlo.simulate(..., trajectory=False). ``how``:
    "tokens" or "multinomial"."""
    import numpy as np

    rng = np.random.default_rng(seed)
    private, public = categorical_arrays()
    plans = categorical_plans(n)
    fits = None
    for t in range(rounds + 1):
        (w_private, w_public, w_synthetic), (n_private, n_public, n_synthetic) = plans[min(t, 1)]
        batch = w_public * _frequencies(rng, public, n_public, replicates, how)[:, None]
        batch = batch + w_private * np.stack(
            [_frequencies(rng, private[k], n_private, replicates, how) for k in range(K)], 1
        )
        if t > 0:  # round 0 has no synthetic data (weight zero)
            for k in range(K):
                for j in range(K):
                    batch[:, k] += w_synthetic * _frequencies(rng, fits[:, j], n_synthetic, replicates, how)
        fits = batch
    return fits[:, None]


def categorical_exact_diversity(n, rounds):
    """E[1 - sum_i p_ki^2] per model at round ``rounds`` (fresh, tau = 1, no smoothing), by a K x K recursion on
    E[p_j . p_l] (numerics.categorical.iterate.iterate_moments carries the full Km x Km covariance: ~7 min at
    m = 1,000).
    Given the fits p, p_k' = w_p a_k + w_b b + w_s sum_j c_kj with independent frequencies a_k ~ Mult(N_p, q_k)/N_p,
    the shared public b ~ Mult(N_b, q_b)/N_b and c_kj ~ Mult(N_s, p_j)/N_s, and E[x . x] = |E x|^2 + (1 - |E x|^2)/N
    for one frequency vector."""
    import numpy as np

    private, public = categorical_arrays()
    mean, inner = None, None  # E p_j (K, m); E[p_j . p_l] (K, K)
    for t in range(rounds + 1):
        (wp, wb, ws), (n_p, n_b, n_s) = categorical_plans(n)[min(t, 1)]
        real = wp * private + wb * public  # (K, m): the real part of every model's conditional mean
        new_inner = real @ real.T + wb**2 * (1 - public @ public) / n_b
        new_inner += np.diag(wp**2 * (1 - (private**2).sum(1)) / n_p)
        new_mean = real.copy()
        if t > 0:
            synthetic_mean = ws * mean.sum(0)  # E of ws sum_j p_j
            cross = real @ synthetic_mean
            new_inner += cross[:, None] + cross[None, :] + ws**2 * inner.sum()
            new_inner += np.eye(K) * ws**2 * (1 - np.diag(inner)).sum() / n_s
            new_mean += synthetic_mean
        mean, inner = new_mean, new_inner
    return 1 - np.diag(inner)


def categorical_floor(rounds, replicates, n):
    """A jitted f(seed) drawing just the random numbers numerics.categorical.monte_carlo.simulate (method "sufficient")
    consumes, vmapped over replicates and scanned over rounds as there: one uniform per token on the token-list
    and located-token routes (samples of up to ``capacity`` tokens), the multinomial (numerics.samplers.binomial) itself
    on the count route (counts are its output). The synthetic rows' multinomials use fixed fits of the same n
    (one replicate's round-0 fits: as sparse as the fits the simulation samples from)."""
    import jax
    import numpy as np

    from interplay.numerics.categorical import tokens as categorical_tokens
    from interplay.numerics.driver.sizes import static_sizes
    from interplay.numerics.samplers import counts
    from interplay.numerics.samplers.binomial import multinomial

    eco = categorical_ecosystem_at(n)
    capacities = static_sizes(eco, rounds)
    lists = categorical_tokens.applies(eco, capacities)
    private, public = categorical_arrays()
    fits = numpy_categorical(n, 0, 1, CAT_SEED, "multinomial")[0, 0]  # (K, m)
    sizes = categorical_plans(n)[1][1]
    kinds = {  # kind: (rows of probabilities, size per row at rounds >= 1)
        "private": (private, sizes[0]),
        "public": (public[None], sizes[1]),
        "synthetic": (np.tile(fits, (K, 1)), sizes[2]),
    }

    def one_round(key):
        drawn = []
        for (kind, (probs, size)), k in zip(kinds.items(), jax.random.split(key, len(kinds))):
            if lists or counts.cheaper_route(capacities[kind], CAT_M) == "tokens":
                drawn.append(jax.random.uniform(k, (len(probs), capacities[kind])).sum())
            else:
                drawn.append(multinomial(k, np.full(len(probs), float(size)), probs).sum())
        return sum(drawn)  # the sum keeps the draws live

    def one(key):
        return jax.lax.scan(lambda c, k: (c, one_round(k)), None, jax.random.split(key, rounds + 1))[1]

    draw = jax.jit(jax.vmap(one))

    def run(seed):
        return (jax.block_until_ready(draw(jax.random.split(jax.random.PRNGKey(seed), replicates))),)

    return run


def categorical_simulation_memory(eco, rounds, replicates, method):
    """Bytes of every buffer of numerics.categorical.monte_carlo.simulate's compiled program (final round
    only), from XLA's
    static buffer analysis (compiled, not run)."""
    import jax
    import numpy as np

    from interplay.numerics import categorical as nc

    run, alphas, betas, sizes = nc.compiled_simulation(eco, rounds, method, trajectory=False)
    keys = jax.ShapeDtypeStruct((replicates, 2), np.uint32)
    lowered = run.func.lower(*run.args, keys, alphas, betas, sizes, **run.keywords)  # run: a jitted program's partial
    analysis = lowered.compile().memory_analysis()
    return analysis.temp_size_in_bytes + analysis.output_size_in_bytes + analysis.argument_size_in_bytes


# -- one measurement, in its own process --------------------------------------------------------------------


def measure(method, n, replicates, rounds, repeats):
    import numpy as np

    import interplay.numerics as numerics

    if method in CAT_METHODS:
        return measure_categorical(method, n, replicates, rounds, repeats)
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
            if method == "floor":  # what numerics.samplers.wishart consumes: 2 uniforms per candidate (no boost: N > 2)
                return jax.random.normal(k_normal, shape), jax.random.uniform(k_uniform, (2,) + chi_shape)
            return jax.random.normal(k_normal, shape), jax.random.gamma(k_uniform, (n / 4 - 1) / 2, chi_shape)

        draw = jax.jit(draw)

        def run(seed):
            return jax.block_until_ready(draw(jax.random.PRNGKey(seed)))

    else:
        raise ValueError(method)
    memory = {}
    if method in ("raw", "sufficient"):
        from interplay.numerics.gaussian.monte_carlo import simulation_memory

        memory["xla_buffers_mib"] = simulation_memory(eco, rounds, replicates, method) / 2**20
    run(0)  # warm-up: compilation
    reset_peak()
    baseline = rss_kib("VmRSS")
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
    peak = rss_kib("VmHWM")
    return {
        "seconds": statistics.median(times),
        "repeats": repeats,
        "peak_mib": (peak - baseline) / 1024,
        "final_variance": summary,
        **memory,
    }


def measure_categorical(method, n, replicates, rounds, repeats):
    """As measure(), for the categorical family; the summary is model 1's diversity 1 - sum_i p_i^2 at the last
    round (mean over replicates, standard error)."""
    import numpy as np

    memory = {}
    if method in ("cat-numpy-tokens", "cat-numpy-multinomial"):
        how = method.removeprefix("cat-numpy-")

        def run(seed):
            return (numpy_categorical(n, rounds, replicates, seed, how),)

    elif method in JAX_CATEGORICAL:
        import jax

        from interplay.numerics import categorical as nc

        eco = categorical_ecosystem_at(n)
        library_method = JAX_CATEGORICAL[method]
        simulation, alphas, betas, sizes = nc.compiled_simulation(eco, rounds, library_method, trajectory=False)

        def run(seed):
            keys = jax.random.split(jax.random.PRNGKey(seed), replicates)
            return (jax.block_until_ready(simulation(keys, alphas, betas, sizes)),)

        memory["xla_buffers_mib"] = categorical_simulation_memory(eco, rounds, replicates, library_method) / 2**20
    elif method == "cat-floor":
        run = categorical_floor(rounds, replicates, n)
    else:
        raise ValueError(method)
    if method in JAX_CATEGORICAL or method == "cat-floor":
        run(0)  # warm-up: compilation (numpy has none, and its full runs are long)
    reset_peak()
    baseline = rss_kib("VmRSS")
    times = []
    summary = None
    seeds = 1000 * (1 + CAT_METHODS.index(method))  # independent draws per method
    for i in range(repeats):
        start = time.perf_counter()
        result = tuple(np.asarray(x) for x in run(seeds + i))
        times.append(time.perf_counter() - start)
        if method != "cat-floor" and summary is None:
            diversity = 1 - (result[0][:, -1, 0] ** 2).sum(-1)
            summary = (float(diversity.mean()), float(diversity.std() / np.sqrt(len(diversity))), rounds)
        del result
    peak = rss_kib("VmHWM")
    return {
        "seconds": statistics.median(times),
        "repeats": repeats,
        "workload": (replicates, rounds),
        "peak_mib": (peak - baseline) / 1024,
        "final_diversity": summary,
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


def gaussian_main(quick):
    replicates, rounds, sizes = (200, 10, SIZES[:3]) if quick else (2000, 100, SIZES)
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
    import interplay.numerics as numerics

    for n in sizes:
        exact = numerics.iterate_moments(ecosystem(n), rounds).fitted_cov[-1, 0, 0, 0]
        cells = []
        for method in ("numpy", "raw", "sufficient"):
            summary = results[n][method].get("final_variance")
            cells.append(f"{method} {summary[0]:.4f} +- {summary[1]:.4f}" if summary else f"{method} -")
        print(f"  n = {n:>9,}: exact {exact:.4f}; " + "; ".join(cells))


def categorical_timed_or_skipped(method, n, replicates, rounds, measured):
    """A probe (the measured workload, fewer replicates for numpy at large n) extrapolated to the full workload;
    the full run when that is under LIMIT_S, else the probe (marked skipped)."""
    numpy = method.startswith("cat-numpy")
    probe_replicates = min(measured[0], max(10, int(2e6 // n))) if numpy else measured[0]
    probe = in_subprocess(method, n, probe_replicates, measured[1], 1 if numpy else 3)
    estimate = probe["seconds"] * (replicates / probe_replicates) * ((rounds + 1) / (measured[1] + 1))
    if estimate > LIMIT_S:
        return {**probe, "skipped": True, "full_seconds": estimate}
    full = in_subprocess(method, n, replicates, rounds, 3 if estimate < 10 else 1)
    return {**full, "full_seconds": full["seconds"], "probe_result": probe}


def categorical_main(quick):
    replicates, rounds, sizes = (100, 4, SIZES[:3]) if quick else (CAT_REPLICATES, CAT_ROUNDS, SIZES)
    measured = (20, 2) if quick else CAT_MEASURED
    print(
        f"Categorical Monte Carlo: m = {CAT_M:,} categories, K = {K}, alpha = beta = {ALPHA}, fresh, tau = 1; full "
        f"workload {replicates} replicates x {rounds} rounds (probes {measured[0]} x {measured[1]}, extrapolated)"
    )
    print(f"machine: {os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}")
    start = time.perf_counter()
    results = {}
    for n in sizes:
        row = results[n] = {
            method: categorical_timed_or_skipped(method, n, replicates, rounds, measured) for method in CAT_METHODS
        }
        print(f"\nn = {n:,}")
        for method in CAT_METHODS:
            r = row[method]
            (rr, tt), full = r["workload"], r["full_seconds"]
            if r.get("skipped"):
                text = f"{r['seconds']:7.3f} s at {rr} x {tt} -> full ~{full:,.0f} s est."
            else:
                text = f"{r['seconds']:7.3f} s full run (median of {r['repeats']})"
            memory = f"{r['peak_mib']:.0f} MiB peak RSS at {rr} x {tt}"
            if "xla_buffers_mib" in r:
                memory += f"; XLA buffers {r['xla_buffers_mib']:.1f} MiB"
            print(f"  {method.removeprefix('cat-'):18s} {text:46s} {memory}")
    took = time.perf_counter() - start
    print(f"\nload average after {os.getloadavg()[0]:.2f}; the categorical section took {took:.0f} s")

    def seconds(n, method):
        return results[n][method]["full_seconds"]

    def mark(n, method):
        return " est." if results[n][method].get("skipped") else ""

    smallest, largest = sizes[0], sizes[-1]
    print("\nHEADLINE (full-workload times; 'est.' = extrapolated from the probe)")
    for n in sizes:
        cells = [
            f"{reference.removeprefix('cat-')}{mark(n, reference)} / ours{mark(n, 'cat-ours')} = "
            f"{seconds(n, reference) / seconds(n, 'cat-ours'):.1f}"
            for reference in ("cat-numpy-tokens", "cat-numpy-multinomial", "cat-raw", "cat-counts")
        ]
        print(f"  n = {n:>9,}: " + "; ".join(cells) + "  (> 1: ours faster)")
    for n, target in ((1_000, 20), (10_000, 200)):
        if n in results:
            ratio = min(seconds(n, "cat-numpy-tokens"), seconds(n, "cat-numpy-multinomial")) / seconds(n, "cat-ours")
            verdict = "MET" if ratio >= target else "MISSED"
            print(f"  target n = {n:,}: ours >= {target}x faster than the faster numpy: {ratio:.1f}x {verdict}")
    for method in ("cat-ours", "cat-counts"):
        growth = seconds(largest, method) / seconds(smallest, method)
        verdict = "MET" if growth <= 1.5 else "MISSED"
        worst = max(seconds(n, method) for n in sizes) / seconds(smallest, method)
        print(
            f"  {method.removeprefix('cat-')} time n = {largest:,} / n = {smallest:,}: {growth:.2f} (target <= 1.5: "
            f"{verdict}); slowest n / n = {smallest:,}: {worst:.2f}"
        )
    for n in sizes:
        floor = results[n]["cat-ours"]["seconds"] / results[n]["cat-floor"]["seconds"]
        same = results[n]["cat-ours"]["workload"] == results[n]["cat-floor"]["workload"]
        verdict = "MET" if floor <= 3 else "MISSED"
        print(f"  n = {n:>9,}: ours / random-number floor = {floor:.2f} (target <= 3: {verdict}){'' if same else ' ?'}")
    print("\nCheck: mean over replicates of model 1's diversity 1 - sum p^2 at the last round (+- SE) vs exact")
    for n in sizes:
        cells = []
        for method in CAT_METHODS[:-1]:
            mean, se, at = results[n][method]["final_diversity"]
            exact = categorical_exact_diversity(n, at)[0]
            cells.append(f"{method.removeprefix('cat-')} z = {(mean - exact) / se:+.1f} (round {at})")
        print(f"  n = {n:>9,}: " + "; ".join(cells))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--measure", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="fewer replicates and rounds, n up to 10,000")
    parser.add_argument("--family", choices=("all", "gaussian", "categorical"), default="all")
    args = parser.parse_args()
    if args.measure:
        method, n, replicates, rounds, repeats = args.measure
        print(json.dumps(measure(method, int(n), int(replicates), int(rounds), int(repeats))))
        return
    if args.family in ("all", "gaussian"):
        gaussian_main(args.quick)
    if args.family == "all":
        print()
    if args.family in ("all", "categorical"):
        categorical_main(args.quick)


if __name__ == "__main__":
    main()
