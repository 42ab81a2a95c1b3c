"""The categorical steps vectorised over models (numerics.categorical.steps) against the sympy maps, and the
compiled categorical programs shared by every ecosystem of one structure (values, seeds and replicate counts
are inputs, never compiled in)."""

import jax.numpy as jnp
import numpy as np
import pytest
import sympy

import interplay.numerics.categorical as nc
from interplay.numerics.categorical import iterate, steps
from interplay.numerics.driver.compiled_cache import clear_compiled, compiled_count
from interplay.theory.categorical.maps import Moments, categorical_ecosystem, moment_map, population_map
from interplay.theory.rounds import RoundSizes, sample_sizes

T = 2  # the round whose map is compared (t enters the accumulate and smoothing terms)


def _rational(x) -> sympy.Rational:
    return sympy.Rational(int(round(x * 2**20)), 2**20)


def _simplex(rng, rows, m):
    """Rows of exact probabilities summing to one (some entries 0)."""
    out = []
    for _ in range(rows):
        weights = [int(w) for w in rng.integers(0, 5, size=m)]
        weights[rng.integers(m)] += 1
        out.append([sympy.Rational(w, sum(weights)) for w in weights])
    return out


def _ecosystem(rng, K, regime, smoothing, temperature=1, composition="fixed"):
    m = 3
    return categorical_ecosystem(
        _simplex(rng, K, m), _simplex(rng, 1, m)[0], alpha=sympy.Rational(3, 5), beta=sympy.Rational(7, 10), n=17,
        regime=regime, smoothing=smoothing, temperature=temperature, mixing=_simplex(rng, K, K),
        composition=composition,
    )  # fmt: skip


def _plan(eco, population=False):
    alpha, beta = eco.alpha_at(T), eco.beta_at(T)
    sizes = None
    if not population:
        exact_sizes = sample_sizes(eco, alpha, beta, initial=False)
        sizes = RoundSizes(*(jnp.asarray(np.asarray(x, dtype=float)) for x in exact_sizes))
    return steps.round_plan(steps.values(eco), float(alpha), float(beta), sizes, initial=False)


def _floats(matrix) -> np.ndarray:
    return np.array(matrix.evalf(), dtype=float)


REGIMES = ("reuse", "fresh", "accumulate")
MOMENT_CASES = [(K, regime, smoothing, "fixed") for K in (1, 2, 3) for regime in REGIMES for smoothing in (0, 1)]
MOMENT_CASES += [(2, "reuse", 0, "mixture"), (3, "fresh", 1, "mixture")]  # random W with a spread in some row
POPULATION_CASES = [(K, regime, tau) for K in (1, 2, 3) for regime in REGIMES for tau in (1, sympy.Rational(1, 2))]


@pytest.mark.parametrize("K, regime, smoothing, composition", MOMENT_CASES)
def test_moment_step_matches_the_sympy_map(K, regime, smoothing, composition):
    rng = np.random.default_rng(K * 10 + len(regime) + smoothing)
    eco = _ecosystem(rng, K, regime, smoothing, composition=composition)
    fmap = moment_map(eco, T)
    Km, m = K * eco.dim, eco.dim
    mean = sympy.Matrix([_rational(x) for x in rng.uniform(0.1, 0.5, Km)])
    half = rng.normal(size=(Km, Km)) * 0.05
    cov = sympy.Matrix(Km, Km, lambda i, j: _rational((half @ half.T)[i, j]))
    cross = sympy.Matrix(Km, Km + m, lambda i, j: _rational(rng.normal() * 0.01))
    parts = {"mean": mean, "cov": cov} | ({"cross": cross} if regime == "reuse" else {})
    point = fmap.pack(**parts)
    expected = fmap.unpack(fmap(point))
    cross_jax = _floats(cross) if regime == "reuse" else np.zeros((Km, Km + m))
    moments = Moments(_floats(mean).reshape(K, m), _floats(cov).reshape(K, m, K, m), cross_jax.reshape(K, m, K + 1, m))
    st, v = steps.structure(eco), steps.values(eco)
    got = steps.moment_step(st, v, moments, _plan(eco), float(T))
    np.testing.assert_allclose(np.asarray(got.mean).reshape(Km, 1), _floats(expected["mean"]), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.asarray(got.cov).reshape(Km, Km), _floats(expected["cov"]), rtol=1e-10, atol=1e-15)
    if regime == "reuse":
        got_cross = np.asarray(got.cross).reshape(Km, Km + m)
        np.testing.assert_allclose(got_cross, _floats(expected["cross"]), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("K, regime, temperature", POPULATION_CASES)
def test_population_step_matches_the_sympy_map(K, regime, temperature):
    rng = np.random.default_rng(K * 10 + len(regime) + int(temperature == 1))
    eco = _ecosystem(rng, K, regime, 0, temperature)
    fmap = population_map(eco, T)
    probs = sympy.Matrix(_simplex(rng, K, eco.dim))
    expected = _floats(fmap.unpack(fmap(fmap.pack(probs=probs)))["probs"])
    st = steps.structure(eco)._replace(smoothed=False)
    got = steps.population_step(st, steps.values(eco), _floats(probs), _plan(eco, population=True), float(T))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-12, atol=1e-15)


def _jit_entries(function) -> int:
    return function._cache_size()


def test_values_seeds_and_replicate_counts_reuse_the_compiled_programs():
    """Ecosystems of one structure share the compiled programs: new probability vectors, W, smoothing, alpha,
    beta, seed or replicate count add nothing to the compiled-function cache, nor a trace to jax's. (The Monte
    Carlo's array bounds are the largest sample sizes, structure: here W's rows are permuted, which keeps them.)"""
    rng = np.random.default_rng(7)
    clear_compiled()
    first = _ecosystem(rng, 2, "fresh", 1)
    nc.iterate_moments(first, 3)
    nc.iterate_population(first, 3)
    nc.simulate(first, 3, key=0, replicates=3, method="raw")
    st = steps.structure(first)
    programs = [iterate.moment_program(st), iterate.population_program(st._replace(smoothed=False))]
    count, traces = compiled_count(), [_jit_entries(p) for p in programs]
    for seed, replicates in ((1, 5), (2, 300)):
        probs = _simplex(rng, 3, first.dim)
        W = first.mixing[::-1, :]
        other = categorical_ecosystem(probs[:2], probs[2], alpha=first.alpha, beta=first.beta, n=first.n,
                                      regime="fresh", smoothing=sympy.Rational(seed, 3), mixing=W)  # fmt: skip
        assert steps.structure(other) == st
        assert not np.array_equal(steps.values(other).sources, steps.values(first).sources)
        nc.simulate(other, 3, key=seed, replicates=replicates, method="raw")
        other = other.with_options(alpha=sympy.Rational(seed, 7), beta=sympy.Rational(seed, 5))
        nc.iterate_moments(other, 3)
        nc.iterate_population(other, 3)
    assert compiled_count() == count
    assert [_jit_entries(p) for p in programs] == traces
