"""Micro-benchmark: numerics.samplers.binomial vs jax.random (and numpy) for binomial and multinomial draws.

Run from the repository root: ``python benchmarks/binomial.py`` (~2-3 min on 2 cores; ``--quick``: fewer runs).

* binomial: one flat batch of 1.4 million elements, n in {25, 250, 2,500, 250,000} (a quarter each) and p the
  entries of Dirichlet(1/2) rows over 1,000 categories (so many tiny p, some large);
* multinomial: 1,400 rows x 1,000 categories (Dirichlet(1/2) rows), each n in {25, 250, 2,500, 250,000}:
  ``jax.random.multinomial`` vs ``numerics.samplers.binomial.multinomial`` vs numpy ``Generator.multinomial``.

Method: jitted functions, one warm-up call (compilation excluded), then the median of ``repeats`` timed calls
ending in ``block_until_ready``; ns per element (per category for the multinomial). Timings on a shared machine
are noisy: compare ratios within one run.
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

import interplay.numerics as numerics  # noqa: F401  (float64)
from interplay.numerics.samplers.binomial import binomial, multinomial

ROWS, M = 1400, 1000
SIZES = [25, 250, 2500, 250_000]


def timed(f, repeats):
    jax.block_until_ready(f())
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(f())
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    repeats = 1 if parser.parse_args().quick else 3
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.full(M, 0.5), size=ROWS)
    key = jax.random.key(0)
    elements = ROWS * M

    n_flat = jnp.asarray(np.repeat(np.array(SIZES, float), elements // len(SIZES)))
    p_flat = jnp.asarray(probs.reshape(-1))
    jax_binomial = jax.jit(lambda k, n, p: jax.random.binomial(k, n, p))
    t_jax = timed(lambda: jax_binomial(key, n_flat, p_flat), repeats)
    t_ours = timed(lambda: binomial(key, n_flat, p_flat), repeats)
    print(f"binomial, flat batch of {elements:,} (n in {SIZES}, p ~ Dirichlet(1/2) entries), ns/element:")
    print(f"  jax.random.binomial {t_jax / elements * 1e9:8.1f}")
    print(f"  ours                {t_ours / elements * 1e9:8.1f}   ({t_jax / t_ours:.1f}x faster)")

    print(f"\nmultinomial, {ROWS:,} rows x {M:,} categories, ns/category:")
    print(f"  {'n':>8} {'jax.random':>11} {'ours':>8} {'numpy':>8} {'jax/ours':>9} {'ours/numpy':>11}")
    jax_multinomial = jax.jit(lambda k, n, p: jax.random.multinomial(k, n, p))
    p_rows = jnp.asarray(probs)
    for size in SIZES:
        n_rows = jnp.full(ROWS, float(size))
        t_jax = timed(lambda n_rows=n_rows: jax_multinomial(key, n_rows, p_rows), repeats)
        t_ours = timed(lambda n_rows=n_rows: multinomial(key, n_rows, p_rows), repeats)
        t_np = timed(lambda size=size: rng.multinomial(size, probs), repeats)
        row = [t / elements * 1e9 for t in (t_jax, t_ours, t_np)]
        ratios = f"{t_jax / t_ours:>8.1f}x {t_ours / t_np:>10.1f}x"
        print(f"  {size:>8,} {row[0]:>11.1f} {row[1]:>8.1f} {row[2]:>8.1f} {ratios}")


if __name__ == "__main__":
    main()
