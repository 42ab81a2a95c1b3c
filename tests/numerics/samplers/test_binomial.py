"""numerics.samplers.binomial: exactness of the binomial and multinomial samplers, edge cases, jit and vmap.

Goodness of fit: chi-square against the exact pmf (scipy.stats.binom) with tail bins pooled until every
expected count is >= 5, rejecting at p < 1e-4 (fixed seeds, so a pass is deterministic). With S = 2e5 draws a
relative error eps in the probability of a bin holding mass pi adds ~S pi eps^2 to the statistic; a typical
inversion/BTRS bug (an off-by-one in the search, a wrong hat constant, a wrong Stirling term) moves bins by
eps ~ 5-50%, i.e. a statistic in the hundreds to many thousands against a 1e-4 critical value of ~ df + 4 sqrt(2
df) + 10: power ~1. Moments: mean and variance within 4 standard errors (false alarm ~6e-5 each).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from interplay.numerics.samplers.binomial import binomial, multinomial

S = 200_000
ALPHA = 1e-4
CASES = [
    (1, 0.3),
    (10, 0.5),  # inversion, mean 5
    (30, 0.2),  # inversion, mean 6
    (100, 0.0999),  # inversion, just below the boundary n q = 10
    (100, 0.1),  # BTRS, exactly at the boundary
    (1000, 0.013),  # BTRS, mean 13
    (10**6, 0.4),  # BTRS, large
    (10**6, 3e-6),  # inversion with large n and tiny p
    (50, 0.97),  # p close to 1 (symmetry), inversion
    (5000, 0.993),  # p close to 1, BTRS
]


def chi_square_pvalue(samples, n, p):
    """Chi-square goodness of fit of integer samples to Binomial(n, p), tails pooled to expected >= 5."""
    samples = np.asarray(samples).astype(np.int64)
    assert np.all(samples >= 0) and np.all(samples <= n)
    dist = stats.binom(n, p)
    lo, hi = int(dist.ppf(1e-9)), int(dist.isf(1e-9)) + 1
    edges = np.arange(lo, hi + 1)
    expected = np.diff(dist.cdf(edges - 1)) * len(samples)  # P(X = j) for j in [lo, hi)
    expected[0] += dist.cdf(lo - 1) * len(samples)
    expected[-1] += dist.sf(hi - 1) * len(samples)
    observed = np.bincount(np.clip(samples, lo, hi - 1) - lo, minlength=hi - lo).astype(float)
    # pool from both ends inward until every bin expects >= 5
    obs, exp, acc_o, acc_e = [], [], 0.0, 0.0
    for o, e in zip(observed, expected):
        acc_o, acc_e = acc_o + o, acc_e + e
        if acc_e >= 5:
            obs.append(acc_o), exp.append(acc_e)
            acc_o = acc_e = 0.0
    if acc_e > 0:
        if exp:
            obs[-1] += acc_o
            exp[-1] += acc_e
        else:
            obs, exp = [acc_o], [acc_e]
    obs, exp = np.array(obs), np.array(exp)
    if len(obs) < 2:
        return 1.0
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


def assert_moments(samples, n, p):
    x = np.asarray(samples, float)
    mean, var = n * p, n * p * (1 - p)
    se_mean = np.sqrt(var / len(x))
    kurt_excess = (1 - 6 * p * (1 - p)) / var if var > 0 else 0
    se_var = var * np.sqrt((2 + kurt_excess) / len(x)) if var > 0 else 0
    assert abs(x.mean() - mean) <= 4 * se_mean + 1e-12
    assert abs(x.var() - var) <= 4 * se_var + 1e-12


@pytest.mark.parametrize("n, p", CASES)
def test_binomial_distribution(n, p):
    key = jax.random.key(1000 + CASES.index((n, p)))
    x = np.asarray(binomial(key, jnp.full(S, float(n)), p))
    assert x.dtype == np.float64 and np.all(x == np.round(x))
    assert chi_square_pvalue(x, n, p) > ALPHA
    assert_moments(x, n, p)


def test_binomial_mixed_batch_and_edges():
    """One batch mixing both algorithms and the degenerate cases; each slice keeps its own exact law."""
    ns = np.array([0, 7, 12, 40, 2500, 5, 5, 250_000, 1])
    ps = np.array([0.3, 0.0, 1.0, 0.25, 0.004, 0.5, 0.9, 0.5, 0.7])
    R = 40_000
    x = np.asarray(binomial(jax.random.key(7), np.tile(ns, (R, 1)).astype(float), np.tile(ps, (R, 1))))
    assert np.all(x[:, 0] == 0) and np.all(x[:, 1] == 0) and np.all(x[:, 2] == 12)
    for j in range(3, len(ns)):
        assert chi_square_pvalue(x[:, j], ns[j], ps[j]) > ALPHA, (ns[j], ps[j])
        assert_moments(x[:, j], ns[j], ps[j])
    assert np.isnan(binomial(jax.random.key(0), -1.0, 0.5)) and np.isnan(binomial(jax.random.key(0), 3.0, 1.5))


PROBS = np.array([0.0, 0.3, 0.05, 0.0, 0.2, 0.001, 0.449, 0.0, 0.0, 0.0])  # m = 10 (padded to 16), zeros in it


@pytest.mark.parametrize("n", [1, 25, 2500, 250_000])
def test_multinomial_marginals_and_covariances(n):
    R = 60_000
    # unnormalised rows (x 3.7): only the ratios matter
    counts = np.asarray(multinomial(jax.random.key(n), jnp.full(R, float(n)), 3.7 * jnp.asarray(PROBS)[None]))
    assert counts.shape == (R, len(PROBS))
    assert np.all(counts.sum(1) == n)
    assert np.all(counts[:, PROBS == 0] == 0)
    for i in np.flatnonzero(PROBS):
        assert chi_square_pvalue(counts[:, i], n, PROBS[i]) > ALPHA, i
        assert_moments(counts[:, i], n, PROBS[i])
    # pairwise covariance -n p_i p_j; SE of a sample covariance ~ sqrt(Var(X_i X_j-ish) / R), estimated
    c = counts - counts.mean(0)
    for i in np.flatnonzero(PROBS):
        for j in np.flatnonzero(PROBS):
            if i < j:
                prod = c[:, i] * c[:, j]
                se = prod.std() / np.sqrt(R)
                assert abs(prod.mean() + n * PROBS[i] * PROBS[j]) <= 4 * se + 1e-12, (i, j)


def test_multinomial_matches_jax_random_multinomial():
    """Two-sample chi-square (homogeneity) of every category's counts: ours vs jax.random.multinomial."""
    R, n = 60_000, 40  # our shapes as in the test above (compiled once); theirs on a third of the rows
    probs = jnp.asarray(PROBS)
    ours = np.asarray(multinomial(jax.random.key(11), jnp.full(R, float(n)), 3.7 * probs[None]))
    R = R // 3
    theirs = np.asarray(jax.random.multinomial(jax.random.key(12), jnp.full(R, float(n)), jnp.tile(probs, (R, 1))))
    for i in np.flatnonzero(PROBS):
        a, b = ours[:, i].astype(int), theirs[:, i].astype(int)
        table = np.stack([np.bincount(a, minlength=n + 1), np.bincount(b, minlength=n + 1)])
        table = table[:, table.sum(0) >= 10]  # drop the empty and near-empty bins
        if table.shape[1] >= 2:
            assert stats.chi2_contingency(table).pvalue > ALPHA, i
        assert stats.ks_2samp(a, b).pvalue > ALPHA, i


def test_multinomial_degenerate_rows():
    probs = jnp.asarray([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    n = jnp.asarray([7.0, 0.0, 1.0, 250_000.0])
    counts = np.asarray(multinomial(jax.random.key(3), n, probs))
    assert counts[0].tolist() == [0, 7, 0] and counts[1].tolist() == [0, 0, 0] and counts[3].tolist() == [250_000, 0, 0]
    assert counts[2].sum() == 1
    single = np.asarray(multinomial(jax.random.key(3), 9.0, jnp.ones((2, 1))))
    assert single.tolist() == [[9.0], [9.0]]


def test_binomial_jit_and_vmap():
    keys = jax.random.split(jax.random.key(5), 6)
    n = jnp.asarray([3.0, 40.0, 1000.0, 0.0])
    p = jnp.asarray([0.2, 0.45, 0.3, 0.5])
    direct = np.stack([np.asarray(binomial(k, n, p)) for k in keys])
    vmapped = np.asarray(jax.jit(jax.vmap(binomial, in_axes=(0, None, None)))(keys, n, p))
    np.testing.assert_array_equal(vmapped, direct)  # draws are a function of (key, element): vmap changes nothing
    # vmap over a traced n (shared key), nested in vmap over keys
    ns = jnp.asarray([[5.0, 60.0, 2000.0, 1.0], [0.0, 7.0, 50.0, 3e5]])
    nested = jax.jit(jax.vmap(jax.vmap(binomial, in_axes=(None, 0, None)), in_axes=(0, None, None)))(keys, ns, p)
    assert nested.shape == (6, 2, 4)
    for a in range(6):
        for b in range(2):
            np.testing.assert_array_equal(np.asarray(nested[a, b]), np.asarray(binomial(keys[a], ns[b], p)))


def test_multinomial_under_vmap_and_scan():
    keys = jax.random.split(jax.random.key(5), 3)
    probs = jnp.asarray([[0.1, 0.0, 0.6, 0.3], [0.25, 0.25, 0.25, 0.25]])
    sizes = jnp.asarray([[10.0, 1e4], [3.0, 0.0]])
    counts = jax.jit(jax.vmap(multinomial, in_axes=(0, 0, None)))(keys[:2], sizes, probs)
    assert counts.shape == (2, 2, 4)
    np.testing.assert_array_equal(np.asarray(counts.sum(-1)), np.asarray(sizes))
    assert np.all(np.asarray(counts[:, 0, 1]) == 0)

    # inside scan under vmap (as in the categorical Monte Carlo)
    def run(key):
        def step(c, k):
            return c, multinomial(k, jnp.asarray([20.0, 5000.0]), probs)

        return jax.lax.scan(step, 0, jax.random.split(key, 3))[1]

    out = jax.jit(jax.vmap(run))(keys[:3])
    assert out.shape == (3, 3, 2, 4)
    np.testing.assert_array_equal(np.asarray(out.sum(-1)), np.broadcast_to([20.0, 5000.0], (3, 3, 2)))


def test_the_hash_is_jax_threefry_bit_for_bit():
    """The samplers' random bits come from their own unrolled threefry-2x32; it must equal jax's primitive."""
    from jax.extend.random import threefry2x32_p

    import interplay.numerics.samplers.binomial as sampler

    rng = np.random.default_rng(0)
    words = [jnp.asarray(rng.integers(0, 2**32, 4096, dtype=np.uint64).astype(np.uint32)) for _ in range(4)]
    for ours, theirs in zip(sampler._threefry2x32(*words), threefry2x32_p.bind(*words)):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
