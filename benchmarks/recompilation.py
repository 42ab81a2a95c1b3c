"""Benchmark: values as inputs and compile time against K, for the categorical, linear-Gaussian and Poisson families.

Two headline ratios per family (issue 12, "Performance"):

* **second run / first run**: in one process, ``iterate_moments`` + ``simulate`` of an ecosystem (compiling
  included), then of another of the same structure with other values (source probabilities or designs' theta*,
  W with its rows permuted, smoothing, noise or rates) and another replicate count and seed. Target: >= 10x faster.
* **compile time at K = 64 / K = 4**: ``jax.jit(...).lower(...).compile()`` of the programs behind
  ``iterate_moments`` and ``simulate`` (categorical: every Monte Carlo method), measured alone, W = J/K.
  Target: <= 3x.

    python benchmarks/recompilation.py [--family categorical|linear|poisson|all] [--rounds 100]

Prints the load average (``/proc/loadavg``) before and after: the machine is shared, so absolute times carry
load noise; the ratios come from one process on one machine.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import sympy

import interplay.numerics.categorical as nc
from interplay.numerics import registry
from interplay.numerics.categorical import iterate as categorical_iterate
from interplay.numerics.categorical import monte_carlo as categorical_mc
from interplay.numerics.categorical import steps
from interplay.numerics.driver.keys import replicate_keys
from interplay.numerics.driver.limits import REPLICATE_CHUNK
from interplay.numerics.driver.sizes import device, spec_sizes, static_sizes
from interplay.theory.categorical.maps import categorical_ecosystem


def load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    jax.block_until_ready(function(*args, **kwargs))
    return time.perf_counter() - start


def equal_split(K: int) -> list[list]:
    return [[sympy.Rational(1, K)] * K for _ in range(K)]


def second_run(label: str, changed: str, first, other, rounds: int) -> None:
    """Times iterate_moments + simulate (the family's, through the registry) of ``first`` with 500 replicates
    (compiling), then of ``other``, of the same structure, with 700 replicates and another seed."""
    family = registry.family(first)

    def run(eco, key, replicates):
        def both():
            family.iterate_moments(eco, rounds)
            return family.simulate(eco, rounds, key=key, replicates=replicates)

        return timed(both)

    t_first = run(first, 0, 500)
    t_second = run(other, 1, 700)
    print(
        f"{label}, {rounds} rounds: first run {t_first:.2f} s (500 replicates), second run with {changed} "
        f"{t_second:.3f} s (700 replicates): {t_first / t_second:.1f}x faster"
    )


# -- categorical -----------------------------------------------------------------------------------------------


def categorical(K: int, probs, public, smoothing, mixing=None, n: int = 50):
    return categorical_ecosystem(
        probs, public, alpha=sympy.Rational(1, 2), beta=sympy.Rational(1, 2), n=n, regime="fresh",
        smoothing=smoothing, mixing=equal_split(K) if mixing is None else mixing,
    )  # fmt: skip


def categorical_second_run(rounds: int) -> None:
    h = sympy.Rational(1, 2)
    first = categorical(2, [[h, sympy.Rational(3, 10), sympy.Rational(1, 5)], [0, h, h]], [h, h, 0], 1)
    other = categorical(2, [[sympy.Rational(1, 5), h, sympy.Rational(3, 10)], [h, 0, h]], [0, h, h], 2)
    second_run("categorical K = 2, m = 3, n = 50", "other values", first, other, rounds)


def categorical_compile_times(K: int, rounds: int) -> dict[str, float]:
    """Seconds to compile the programs of iterate_moments and of simulate (each method) at K models, m = 3."""
    third = sympy.Rational(1, 3)
    eco = categorical(K, [[third] * 3] * K, [third] * 3, 1, n=40 * K)  # n = 40 K: the same sample sizes at every K
    st, v = steps.structure(eco), steps.values(eco)
    alphas, betas = categorical_iterate.alphas_betas(eco, rounds)
    sizes = spec_sizes(eco, rounds)
    out = {}
    start = time.perf_counter()
    categorical_iterate.moment_program(st).lower(v, alphas, betas, device(sizes)).compile()
    out["iterate_moments"] = time.perf_counter() - start
    bounds = tuple(sorted(static_sizes(eco, rounds, sizes).items()))
    keys = replicate_keys(jax.random.PRNGKey(0), REPLICATE_CHUNK)
    for method in nc.METHODS:
        program = categorical_mc.simulation_program(st, method, bounds, True)
        start = time.perf_counter()
        program.lower(v, keys, alphas, betas, device(sizes)).compile()
        out[f"simulate ({method})"] = time.perf_counter() - start
    return out


# -- linear ----------------------------------------------------------------------------------------------------


def linear(K: int, theta, noise, mixing=None):
    from interplay.theory.linear.maps import linear_ecosystem

    eye = [[1, 0], [0, 1]]
    return linear_ecosystem(
        theta, [eye] * K, eye, noise_var=noise, private_sizes=[10] * K, public_size=10, alpha=sympy.Rational(1, 2),
        beta=sympy.Rational(1, 2), n=20, mixing=equal_split(K) if mixing is None else mixing,
    )  # fmt: skip


def linear_second_run(rounds: int) -> None:
    second_run("linear K = 2, d = 2, n = 20", "other values", linear(2, [1, 0], 1), linear(2, [0, 1], 2), rounds)


def linear_compile_times(K: int, rounds: int) -> dict[str, float]:
    from interplay.numerics.driver.schedules import schedules
    from interplay.numerics.linear import iterate as linear_iterate
    from interplay.numerics.linear import monte_carlo as linear_mc
    from interplay.numerics.linear import steps as linear_steps

    eco = linear(K, [1, 0], 1)
    st, v = linear_steps.structure(eco), linear_steps.values(eco)
    alphas, betas = (jnp.asarray(x) for x in schedules(eco, rounds))
    out = {}
    start = time.perf_counter()
    linear_iterate.moment_program(st).lower(v, alphas, betas).compile()
    out["iterate_moments"] = time.perf_counter() - start
    keys = replicate_keys(jax.random.PRNGKey(0), REPLICATE_CHUNK)
    for method in linear_mc.METHODS:
        counts, rows = linear_mc.design_arrays(eco, method)
        start = time.perf_counter()
        linear_mc.simulation_program(st, counts).lower(v, rows, keys, alphas, betas).compile()
        out[f"simulate ({method})"] = time.perf_counter() - start
    return out


# -- poisson ---------------------------------------------------------------------------------------------------


def poisson(K: int, rates, public, mixing=None, n: int = 50):
    from interplay.theory.poisson.maps import poisson_ecosystem

    return poisson_ecosystem(
        rates, public, alpha=sympy.Rational(1, 2), beta=sympy.Rational(1, 2), n=n, regime="fresh",
        mixing=equal_split(K) if mixing is None else mixing,
    )  # fmt: skip


def poisson_second_run(rounds: int) -> None:
    first = poisson(2, [2, 6], 4)
    other = poisson(2, [3, 1], 7, mixing=[[sympy.Rational(1, 4), sympy.Rational(3, 4)], [1, 0]])
    second_run("poisson K = 2, n = 50", "other rates and W", first, other, rounds)


def poisson_compile_times(K: int, rounds: int) -> dict[str, float]:
    from interplay.numerics.poisson import iterate as poisson_iterate
    from interplay.numerics.poisson import monte_carlo as poisson_mc

    eco = poisson(K, [2] * K, 4, n=8 * K)  # n = 8 K: the same sample sizes at every K
    shape, inputs = poisson_iterate.structure(eco), poisson_iterate.schedule_inputs(eco, rounds)
    sizes = device(spec_sizes(eco, rounds))
    out = {}
    start = time.perf_counter()
    poisson_iterate.moment_recursion(shape).lower(poisson_iterate.values(eco), *inputs, sizes).compile()
    out["iterate_moments"] = time.perf_counter() - start
    keys = replicate_keys(jax.random.PRNGKey(0), REPLICATE_CHUNK)
    for method in poisson_mc.METHODS:
        program, program_inputs = poisson_mc.compiled_simulation(eco, rounds, method)
        start = time.perf_counter()
        program.lower(keys, *program_inputs).compile()
        out[f"simulate ({method})"] = time.perf_counter() - start
    return out


def compile_scaling(name: str, compile_times, rounds: int) -> None:
    small, large = compile_times(4, rounds), compile_times(64, rounds)
    for what in small:
        ratio = large[what] / small[what]
        print(f"{name} {what}: compile {small[what]:.2f} s at K = 4, {large[what]:.2f} s at K = 64: {ratio:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", choices=("categorical", "linear", "poisson", "all"), default="all")
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    print(f"load average before: {load()}")
    if args.family in ("categorical", "all"):
        categorical_second_run(args.rounds)
        compile_scaling("categorical", categorical_compile_times, args.rounds)
    if args.family in ("linear", "all"):
        linear_second_run(args.rounds)
        compile_scaling("linear", linear_compile_times, args.rounds)
    if args.family in ("poisson", "all"):
        poisson_second_run(args.rounds)
        compile_scaling("poisson", poisson_compile_times, args.rounds)
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
