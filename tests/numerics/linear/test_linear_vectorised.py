"""The linear-Gaussian steps vectorised over models (numerics.linear.steps) against the sympy maps, and the compiled
linear programs shared by every ecosystem of one structure (values, seeds and replicate counts are inputs, never
compiled in)."""

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from linear_cases import W3, general

import interplay.numerics.linear as nl
from interplay.numerics.driver.compiled_cache import clear_compiled, compiled_count
from interplay.numerics.driver.keys import replicate_keys
from interplay.numerics.driver.limits import REPLICATE_CHUNK
from interplay.numerics.linear import iterate, longrun, monte_carlo, steps
from interplay.numerics.linear.iterate import iterate_linear_over_designs
from interplay.theory.linear import maps as linear
from interplay.theory.linear.maps import Design, LinearMoments, linear_ecosystem

MIXING = {1: [[1]], 2: [[0.7, 0.3], [0.2, 0.8]], 3: W3}
REGIMES = ("reuse", "fresh", "accumulate")
# accumulate, whose sympy map inverts the symbolic H_{t-1} + A_t, stops at K = 2 (K = 3 takes seconds, and W3 is
# exercised by the other regimes); n = None (D = 0) takes the same code path in every regime
CASES = [(K, regime, 7) for K in (1, 2, 3) for regime in REGIMES if (K, regime) != (3, "accumulate")]
CASES += [(2, "fresh", None), (3, "reuse", None)]


def _rational(x) -> sympy.Rational:
    return sympy.Rational(int(round(x * 2**20)), 2**20)


def _floats(matrix) -> np.ndarray:
    return np.array(matrix.evalf(), dtype=float)


def _psd(rng, size, ridge=0.0) -> sympy.Matrix:
    """A random symmetric positive semi-definite rational matrix (definite when ``ridge`` > 0)."""
    half = rng.normal(size=(size, size))
    return sympy.Matrix(size, size, lambda i, j: _rational((half @ half.T)[i, j] / size + ridge * (i == j)))


def _ecosystem(K, regime, n, seed=0):
    """d = 2, rank-deficient private designs, one synthetic design per model, W non-uniform up to K = 3."""
    mixing = MIXING[K] if K in MIXING else [[sympy.Rational(1, K)] * K] * K
    return general(K, 2, seed=seed, low_rank=True, synthetic="per", alpha=sympy.Rational(3, 5),
                   beta=sympy.Rational(3, 10), n=n, regime=regime, mixing=mixing)  # fmt: skip


@pytest.mark.parametrize("K, regime, n", CASES)
def test_moment_step_matches_the_sympy_map(K, regime, n):
    """One round of M, c, C (and H under accumulate) at a random point, and E theta, Cov theta there."""
    rng = np.random.default_rng(10 * K + len(regime) + (n is None))
    eco = _ecosystem(K, regime, n, seed=K)
    d = eco.dim
    M = sympy.Matrix(K * d, (K + 1) * d, lambda i, j: _rational(rng.normal() * 0.3))
    C = _psd(rng, K * d)
    c = sympy.Matrix(K * d, 1, lambda i, j: _rational(rng.normal()))  # the offset of a start
    H = sympy.Matrix.vstack(*(_psd(rng, d, ridge=0.5) for _ in range(K)))  # H_{k, t-1} of accumulate
    fmap = linear.moment_map(eco)
    parts = {"M": M, "C": C, "offset": c} | ({"normal": H} if regime == "accumulate" else {})
    expected = fmap.unpack(fmap(fmap.pack(**parts)))
    st, v = steps.structure(eco), steps.values(eco)
    normal = _floats(H) if regime == "accumulate" else np.zeros((K * d, d))
    w = steps.weights(v, float(eco.alpha), float(eco.beta), initial=False)
    state = LinearMoments(_floats(M), _floats(C), normal, _floats(c)[:, 0])
    got = steps.moment_step(st, v, state, w)
    np.testing.assert_allclose(np.asarray(got.M), _floats(expected["M"]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(got.C), _floats(expected["C"]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(got.offset), _floats(expected["offset"])[:, 0], rtol=1e-10, atol=1e-12)
    if regime == "accumulate":
        np.testing.assert_allclose(np.asarray(got.normal), _floats(expected["normal"]), rtol=1e-12, atol=1e-15)
    mean, cov = linear.parameter_moments(eco, linear.linear_data(eco), LinearMoments(M, C, H, c))
    got_mean, got_cov = steps.parameter_moments(st, v, state)
    np.testing.assert_allclose(np.asarray(got_mean), _floats(mean)[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(got_cov), _floats(cov), rtol=1e-10, atol=1e-12)


def _equations(jaxpr) -> int:
    """Equations of a jaxpr, those of its sub-jaxprs (scan bodies, jitted calls) included."""
    count = 0
    for eqn in jaxpr.eqns:
        count += 1
        for param in eqn.params.values():
            for sub in param if isinstance(param, tuple | list) else (param,):
                if isinstance(sub, jax.extend.core.ClosedJaxpr):
                    count += _equations(sub.jaxpr)
                elif isinstance(sub, jax.extend.core.Jaxpr):
                    count += _equations(sub)
    return count


def _graph_sizes(K: int) -> tuple[int, int]:
    """Equations of the traced exact recursion and Monte Carlo (raw rows) of a K-model ecosystem."""
    eco = _ecosystem(K, "accumulate", 7)
    st, v = steps.structure(eco), steps.values(eco)
    alphas, betas = jnp.full(3, 0.5), jnp.full(3, 0.5)
    exact = jax.make_jaxpr(iterate.moment_program(st))(v, alphas, betas)
    counts, rows = monte_carlo.design_arrays(eco, "raw")
    keys = replicate_keys(jax.random.PRNGKey(0), REPLICATE_CHUNK)
    simulated = jax.make_jaxpr(monte_carlo.simulation_program(st, counts))(v, rows, keys, alphas, betas)
    return _equations(exact.jaxpr), _equations(simulated.jaxpr)


def test_the_traced_programs_do_not_grow_with_the_number_of_models():
    """No Python loop over models: the programs of K = 2 and K = 6 have the same equations (shapes aside)."""
    assert _graph_sizes(2) == _graph_sizes(6)


def _other(first, seed):
    """An ecosystem of ``first``'s structure with every number changed: designs, sizes, theta*, noise, W, alpha,
    beta (full-rank private designs: round 0's fit is unbiased, E theta_0 = theta*)."""
    rng = np.random.default_rng(seed)
    K, d = first.K, first.dim
    theta = rng.normal(size=d).round(2)
    private = [Design(_floats(_psd(rng, d, ridge=0.5)), 5 + k, f"private[{k}]") for k in range(K)]
    public = Design(_floats(_psd(rng, d, ridge=0.5)), 6, "public")
    synthetic = [_floats(_psd(rng, d, ridge=0.5)) for _ in range(K)]
    mixing = first.mixing.tolist()[::-1]
    alpha, beta = sympy.Rational(seed, 9), sympy.Rational(seed, 11)
    other = linear_ecosystem(theta, private, public, synthetic=synthetic, noise_var=sympy.Rational(seed, 3),
                             alpha=alpha, beta=beta, n=first.n, regime=first.regime, mixing=mixing)  # fmt: skip
    return other, theta


def test_values_seeds_and_replicate_counts_reuse_the_compiled_programs():
    """Ecosystems of one structure share the compiled programs: new designs, sizes, theta*, noise, W, alpha, beta,
    seed or replicate count add nothing to the compiled-function cache, nor a trace to jax's. (The raw Monte
    Carlo's row counts, the largest real size and n, are structure: they are kept here.)"""
    first, _ = _other(general(2, 2, seed=1, synthetic="per", n=9, regime="fresh", mixing=MIXING[2]), 2)
    clear_compiled()
    nl.iterate_linear(first, 3)
    nl.long_run_linear(first)
    for method in monte_carlo.METHODS:
        nl.simulate_linear(first, 3, key=0, replicates=3, method=method)
    st = steps.structure(first)
    counts = {method: monte_carlo.design_arrays(first, method)[0] for method in monte_carlo.METHODS}
    programs = [iterate.moment_program(st), longrun.stationary_program(st)]
    programs += [monte_carlo.simulation_program(st, counts[method]) for method in monte_carlo.METHODS]
    count, traces = compiled_count(), [p._cache_size() for p in programs]
    assert count == len(programs) and traces == [1] * len(programs)
    for seed, replicates in ((4, 5), (5, REPLICATE_CHUNK + 6)):  # the second: two chunks, the last padded
        other, theta = _other(first, seed)
        assert steps.structure(other) == st
        trajectory = nl.iterate_linear(other, 3)
        np.testing.assert_allclose(trajectory.mean[0], np.tile(theta, (2, 1)), rtol=1e-12, atol=1e-12)
        nl.long_run_linear(other)
        for method in monte_carlo.METHODS:
            assert monte_carlo.design_arrays(other, method)[0] == counts[method]
            mc = nl.simulate_linear(other, 3, key=seed, replicates=replicates, method=method)
            assert mc.thetas.shape == (replicates, 4, 2, 2)
            se = np.sqrt(np.einsum("kiki->ki", trajectory.cov[0]) / replicates)
            assert np.all(np.abs(mc.thetas[:, 0].mean(0) - theta) < 5 * se)  # round 0: unbiased, new theta*
    assert compiled_count() == count
    assert [p._cache_size() for p in programs] == traces


def test_designs_batched_through_the_compiled_recursion_equal_one_by_one():
    """iterate_linear_over_designs vmaps the one program over Grams: each design's moments are those of its own
    ecosystem."""
    eco = general(2, 2, seed=3, synthetic="per", alpha=0.5, beta=0.4, n=8, regime="reuse", mixing=MIXING[2])
    rng = np.random.default_rng(5)
    grams = [[_floats(_psd(rng, 2, ridge=0.3)) for _ in range(5)] for _ in range(2)]
    private, public = np.array([g[:2] for g in grams]), np.array([g[2] for g in grams])
    synthetic = np.array([g[3:] for g in grams])
    mean, cov = iterate_linear_over_designs(eco, 3, private, public, synthetic)
    for b in range(2):
        one = linear_ecosystem(
            eco.family.theta, [Design(g, s.size) for g, s in zip(private[b], eco.private)],
            Design(public[b], eco.public.size), synthetic=list(synthetic[b]), noise_var=eco.family.noise_var,
            alpha=0.5, beta=0.4, n=8, regime="reuse", mixing=MIXING[2],
        )  # fmt: skip
        trajectory = nl.iterate_linear(one, 3)
        np.testing.assert_allclose(mean[b], trajectory.mean, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cov[b], trajectory.cov, rtol=1e-12, atol=1e-14)
