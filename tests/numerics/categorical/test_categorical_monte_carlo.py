"""Monte Carlo of categorical ecosystems (multinomial counts) against the exact moment recursion and the exact chain.

Tolerance: a Monte Carlo mean of R iid replicates against its exact value in standard errors (SE = sample
std / sqrt(R)). The moment test makes up to ~1,100 comparisons per setting and method (every mean and covariance
entry at every round), so it uses the Bonferroni limit Z_FAMILY (~4.9): a false failure with probability <= 1e-3
per setting at a fixed seed (a 4-SE limit there fails ~1 seed in 10, and did, at |z| = 4.05 and 4.09, where
30,000 replicates x 3 seeds showed no bias: max |z| 3.6). The other tests make few comparisons and use 4 SE.
Proportions (fixation, holding a category) use SE = sqrt(p (1 - p) / R) with the exact p.
"""

import numpy as np
import pytest
import scipy.stats
from monte_carlo_checks import Z, assert_mean_agrees
from sympy import Rational as R

import interplay.numerics.categorical as nc
from interplay.numerics.categorical.collapse import collapse_estimates
from interplay.theory import fixed_point, moment_map
from interplay.theory.categorical.chain import exact_chain
from interplay.theory.categorical.collapse import collapse_statistics
from interplay.theory.categorical.maps import categorical_ecosystem, expected_diversity

REPLICATES = 3000
ROUNDS = 6
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 1100)))  # family-wise false alarm 1e-3 over 1,100 comparisons

SETTINGS = {
    "K2-reuse-W-smoothing": dict(alpha=0.6, beta=0.5, n=12, mixing=[[0.7, 0.3], [0.2, 0.8]], smoothing=1),
    "K3-fresh-a1-equal": dict(alpha=1, beta=0.5, n=10, regime="fresh"),
    "K1-accumulate-smoothing": dict(alpha=0.5, beta=1, n=8, regime="accumulate", smoothing=0.5),
    "K2-fresh-schedule": dict(alpha=[0.2, 0.9, 0.5, 1, 0, 0.5], beta=[1, 0.5, 0, 0.5, 1, 0.25], n=9, regime="fresh"),
}
CONSTANT = 1e-12  # SE of an entry constant across replicates (float64 round-off)
PROBS = [[0.5, 0.3, 0.2, 0.0], [0.1, 0.1, 0.4, 0.4], [0.0, 0.0, 0.5, 0.5]]


# The default method on every setting; each other method on two, together covering the three regimes (a method is
# the same code under every setting but the regime's: test_categorical_counts.py checks the three methods draw the
# same law, so all twelve pairs added 130 s of compilation and little else).
CASES = [(name, "sufficient") for name in SETTINGS] + [
    ("K3-fresh-a1-equal", "raw"),
    ("K1-accumulate-smoothing", "raw"),
    ("K2-reuse-W-smoothing", "multinomial"),
    ("K2-fresh-schedule", "multinomial"),
]


@pytest.mark.parametrize(("name", "method"), CASES)
def test_monte_carlo_matches_exact_moments(name, method):
    """E p and Cov p (every pair of models and categories) at every round, and E||p_1 - p_2||^2, for the
    three methods: the default (here token lists, or under accumulate tokens by inverse CDF), the raw tokens and
    the counts from the binomial tree."""
    options = SETTINGS[name]
    K = {"K1": 1, "K2": 2, "K3": 3}[name[:2]]
    eco = categorical_ecosystem(PROBS[:K], [0.25] * 4, **options)
    exact = nc.iterate_moments(eco, ROUNDS)
    mc = nc.simulate(eco, ROUNDS, key=sum(map(ord, name + method)), replicates=REPLICATES, method=method)
    assert mc.probs.shape == (REPLICATES, ROUNDS + 1, K, 4)
    np.testing.assert_allclose(mc.probs.sum(-1), 1, atol=1e-12)
    for t in range(ROUNDS + 1):
        p = mc.probs[:, t].reshape(REPLICATES, K * 4)
        assert_mean_agrees(p, exact.mean[t].ravel(), f"E p at t={t}", constant_below=CONSTANT, z_limit=Z_FAMILY)
        centred = p - exact.mean[t].ravel()
        assert_mean_agrees(
            centred[:, :, None] * centred[:, None, :],
            exact.cov[t].reshape(K * 4, K * 4),
            f"Cov t={t}",
            constant_below=CONSTANT,
            z_limit=Z_FAMILY,
        )
    if K > 1:
        distance = ((mc.probs[:, :, 0] - mc.probs[:, :, 1]) ** 2).sum(-1)
        squared = exact.squared_distance(0, 1)
        assert_mean_agrees(distance, squared, "E||p_1 - p_2||^2", constant_below=CONSTANT, z_limit=Z_FAMILY)


def test_collapse_matches_exact_absorption_probabilities_and_times():
    """alpha = 1, one model, n = 4, m = 3: the share of replicates fixed on each category and the mean number of
    rounds until a point mass agree with the exact chain's absorption probabilities and expected times; supports
    never grow (absorbing faces). The same runs give every collapse statistic of the exact chain (below)."""
    eco = categorical_ecosystem([[0.5, 0.3, 0.2]], [0.5, 0.3, 0.2], alpha=1, beta=1, n=4, regime="fresh")
    chain = exact_chain(eco)
    classes, A = chain.absorption_probabilities()
    fixation = chain.initial_vector() * A
    mean_time = float((chain.initial_vector() * chain.absorption_times())[0])
    mc = nc.simulate(eco, 80, key=11, replicates=4000)
    support = mc.support_size()[:, :, 0]
    assert np.all(np.diff(support, axis=1) <= 0)
    assert np.all(support[:, -1] == 1)  # all absorbed by round 80 (P(not) < 1e-9 here)
    for c, (state,) in enumerate(classes):
        category = chain.fits[state][0].index(1)
        p = float(fixation[c])
        share = (mc.probs[:, -1, 0, category] == 1).mean()
        assert abs(share - p) < Z * np.sqrt(p * (1 - p) / 4000), (category, share, p)
    times = np.argmax(support == 1, axis=1)  # first round with a point mass (rounds after the initial fit)
    assert abs(times.mean() - mean_time) < Z * times.std(ddof=1) / np.sqrt(4000)
    assert_collapse_statistics_agree(collapse_estimates(mc), collapse_statistics(eco), 80)


def assert_collapse_statistics_agree(mc, exact, rounds):
    """Per round t = 0..rounds: P(category i held in rounds 0..t) for each i, P(all held so far), P(at least k
    lost by t) for k = 1, 2, each an exact binomial test of the replicates' count against the exact p (two-sided:
    twice the smaller tail; a z-test would not do where p is 1e-5 and one replicate of 4,000 has the event), and
    the restricted mean times E min(T^(k), rounds + 1) = sum_t P(T^(k) > t) (a z-test with the SE of the mean):
    every p-value above the Bonferroni level 1e-3 / (number of tests)."""
    R = len(mc.held)
    pairs = [(mc.survival(i).value, exact.survival(i, rounds)) for i in range(3)]
    pairs += [(mc.all_survive().value, exact.all_survive(rounds))]
    pairs += [(mc.loss_distribution(k).value, exact.loss_distribution(k, rounds)) for k in (1, 2)]
    counts = np.rint(np.concatenate([e for e, _ in pairs]) * R)
    p = np.array([float(v) for _, values in pairs for v in values])
    tails = np.minimum(scipy.stats.binom.cdf(counts, R, p), scipy.stats.binom.sf(counts - 1, R, p))
    p_values = list(np.minimum(1, 2 * tails))
    for k in (1, 2):
        mean, restricted = mc.mean_loss_time(k), sum(1 - float(v) for v in exact.loss_distribution(k, rounds))
        p_values.append(2 * scipy.stats.norm.sf(abs(mean.value - restricted) / mean.se))
    assert min(p_values) > 1e-3 / len(p_values), (min(p_values), len(p_values))


def test_fresh_data_stationary_state_matches_theory():
    """alpha < 1 with fresh real data: after 40 rounds the simulated diversity and mean agree with the fixed point of
    the exact moment recursion (the predicted non-degenerate stationary state), and no category is lost for good (the
    exact chain is irreducible: tests/test_categorical.py)."""
    eco = categorical_ecosystem([[0.5, 0.3, 0.2]], [0.5, 0.3, 0.2], alpha=0.5, beta=1, n=10, regime="fresh")
    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    stationary = float(expected_diversity(parts["mean"], parts["cov"], 0, 3))
    assert stationary > 0.5
    mc = nc.simulate(eco, 40, key=5, replicates=3000)
    assert_mean_agrees(mc.diversity()[:, -1, 0], stationary, "stationary diversity", constant_below=CONSTANT)
    assert_mean_agrees(
        mc.probs[:, -1, 0],
        np.array(parts["mean"].evalf(), dtype=float).ravel(),
        "stationary mean",
        constant_below=CONSTANT,
    )
    # categories are lost only for a while: in rounds 31..40 almost every replicate holds all three at some round
    assert (mc.support_size()[:, 31:, 0].max(1) == 3).mean() > 0.99


def test_results_carry_spec_and_seed():
    eco = categorical_ecosystem([[R(1, 2), R(1, 2)]], [R(1, 2), R(1, 2)], alpha=0.5, beta=1, n=6, regime="fresh")
    mc = nc.simulate(eco, 3, key=7, replicates=5)
    again = nc.simulate(eco, 3, key=7, replicates=5)
    assert mc.seed == 7 and mc.ecosystem is eco and len(mc.key) == 2 and mc.probs.dtype == np.float64
    np.testing.assert_array_equal(mc.probs, again.probs)
    assert not np.array_equal(mc.probs, nc.simulate(eco, 3, key=8, replicates=5).probs)
    # counts, not tokens: every fit is a multiple of 1/n (alpha = 1/2 -> 3 real + 3 synthetic of weight 1/2 each)
    np.testing.assert_allclose(mc.probs * 6, np.round(mc.probs * 6), atol=1e-12)
