"""Validation against Riis, "Drift and selection in LLM text ecosystems" (2026): a model that refits on a rolling
corpus, each round keeping a random (1 - alpha) n of its n tokens and replacing the rest by its own outputs, drifts
neutrally: its frequencies are a martingale absorbed where one symbol fills the corpus, and a symbol fixes with
probability its initial frequency (as in the Wright-Fisher and Moran models).

Mapping: K = 1 categorical model, mixing [[1]], ``regime="rolling"``, m = 3 symbols, n = 20 tokens, alpha = 1/2,
MLE (no smoothing, tau = 1); round 0's corpus is 20 tokens of the private source q = (1/2, 3/10, 1/5) (beta = 1).
Every value is computed by the library's exact moment recursion (``theory.categorical.maps.moment_trajectory``,
``numerics.categorical.iterate.iterate_moments``) or its Monte Carlo of the corpora
(``numerics.categorical.monte_carlo.simulate``).
"""

import numpy as np
import scipy.stats
from sympy import Rational as R

import interplay.numerics.categorical as nc
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory

Q = [R(1, 2), R(3, 10), R(1, 5)]
N, ALPHA = 20, R(1, 2)


def rolling_corpus():
    return categorical_ecosystem([Q], Q, alpha=ALPHA, beta=1, mixing=[[1]], n=N, regime="rolling")


def test_exact_recursion_is_a_martingale_whose_variation_decays():
    """Riis (2026): from a given corpus p_0, the exact recursion keeps E p_t = p_0 at every round, and each
    E[p_i (1 - p_i)] shrinks by the factor 1 - M (n - M) / ((n - 1) n^2) - (n - M) / n^2 (M = 10 tokens kept) per
    round, exactly, so it tends to 0 (below 1e-3 of its start after 200 rounds)."""
    eco = rolling_corpus()
    M = 10
    factor = 1 - R(M * (N - M), (N - 1) * N**2) - R(N - M, N**2)
    start = [[R(1, 2), R(3, 10), R(1, 5)]]
    for t, (mean, cov) in enumerate(moment_trajectory(eco, 6, start=start)):
        assert list(mean) == start[0]
        for i, p in enumerate(start[0]):
            assert mean[i] - mean[i] ** 2 - cov[i, i] == p * (1 - p) * factor**t
    late = nc.iterate_moments(eco, 200, start=start)
    variation = late.mean[-1, 0] - late.mean[-1, 0] ** 2 - np.diagonal(late.cov[-1, 0, :, 0, :])
    p = np.array([float(x) for x in start[0]])
    assert np.all(np.abs(late.mean[:, 0] - p) < 1e-12)
    assert np.all(variation < 1e-3 * p * (1 - p))


def test_fixation_probabilities_are_the_initial_frequencies():
    """Riis (2026): after 200 rounds the fraction of 3,000 simulated corpora fixed at symbol i lies within
    Bonferroni-corrected binomial standard errors (3 comparisons, family-wise 1e-3) of E p_0,i = q_i. The exact
    recursion bounds the corpora not yet fixed: an unfixed corpus has diversity 1 - sum p_i^2 >= 2 (n - 1) / n^2,
    so P(unfixed) <= E[diversity_200] n^2 / (2 (n - 1)) < 0.003 (seen: none of the 3,000 at seed 2026)."""
    eco, rounds, replicates = rolling_corpus(), 200, 3000
    exact = nc.iterate_moments(eco, rounds)
    unfixed_bound = exact.diversity()[-1, 0] * N**2 / (2 * (N - 1))
    assert unfixed_bound < 0.003
    probs = nc.simulate(eco, rounds, key=2026, replicates=replicates, trajectory=False).probs[:, 0, 0]
    fixed = probs == 1
    assert (~fixed.any(1)).mean() <= 0.003
    z = float(scipy.stats.norm.isf(1e-3 / (2 * 3)))
    for i, q in enumerate(map(float, Q)):
        assert abs(fixed[:, i].mean() - q) < z * np.sqrt(q * (1 - q) / replicates), i
