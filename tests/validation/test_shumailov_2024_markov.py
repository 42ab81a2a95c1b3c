"""Validation against Shumailov et al., "AI models collapse when trained on recursively generated data" (Nature 631,
2024; arXiv 2305.17493), discrete case, applied row by row to an n-gram (first-order Markov) model: their argument
that a discrete distribution refitted each generation on M samples of the previous fit is a Markov chain absorbed
only at point masses, an event of probability q being lost in one generation with probability (1 - q)^M, read for
each row of a transition matrix refitted on M transitions out of every state (their language-model experiments
refit on the model's own text; this is the 2-gram case with a fixed number of transitions per state).

Mapping: K = 1 Markov model (``rows`` design), mixing [[1]], alpha = 1, beta = 1, n = M; our round t fit is their
generation t + 1. Values come from the library's general exact recursion (``theory.markov.maps.moment_trajectory``,
the categorical family row by row) or its Monte Carlo (``numerics.markov.monte_carlo.simulate``). The fixation
probabilities (row s ends deterministic at i with probability E P_0[s, i]) are the Wright-Fisher consequence of
the refit being a bounded martingale (:mod:`theory.markov.longrun`), not a statement of the paper.
"""

import functools

import numpy as np
import sympy
from sympy import Rational as R

from interplay.numerics.markov.monte_carlo import simulate
from interplay.theory.markov.longrun import wright_fisher_factor
from interplay.theory.markov.maps import markov_ecosystem, moment_trajectory

SOURCE = [[R(7, 10), R(1, 5), R(1, 10)], [R(1, 5), R(1, 2), R(3, 10)], [R(1, 3), R(1, 3), R(1, 3)]]
M = 4


def refit_chain(M=M):
    return markov_ecosystem([SOURCE], SOURCE, alpha=1, beta=1, mixing=[[1]], n=M)


@functools.cache
def runs():
    return simulate(refit_chain(), 40, key=2024, replicates=3000).transitions[:, :, 0]  # (R, 41, m, m)


def test_every_row_keeps_its_mean_and_loses_diversity_by_one_minus_one_over_m():
    """Exact recursion: E P_t = P_0's expectation (the source) at every round, and each entry's E[P (1 - P)]
    shrinks by exactly 1 - 1/M a round: the rows drift to point masses without a drift in their mean."""
    trajectory = moment_trajectory(refit_chain(), 4)
    factor = wright_fisher_factor(M)
    for t, (mean, covs) in enumerate(trajectory):
        for s in range(3):
            for i in range(3):
                assert mean[0, s, i] == SOURCE[s][i]
                diversity = mean[0, s, i] - covs[s][i, i] - mean[0, s, i] ** 2
                first = SOURCE[s][i] * (1 - SOURCE[s][i]) * (1 - sympy.Integer(1) / M)
                assert sympy.simplify(diversity - first * factor**t) == 0, (t, s, i)


def test_one_generation_loss_of_a_transition_monte_carlo():
    """Shumailov et al. (Nature 2024), discrete case, per row: the simulated frequency with which a transition
    s -> i of the round-0 fit is missing one generation later matches E[(1 - P_0[s, i])^M] over the simulated
    round-0 fits, within 4 binomial standard errors (9 transitions)."""
    draws = runs()
    before, after = draws[:, 0], draws[:, 1]
    predicted = ((1 - before) ** M).mean(0)
    observed = (after == 0).mean(0)
    se = np.sqrt(predicted * (1 - predicted) / draws.shape[0])
    assert np.all(np.abs(observed - predicted) < 4 * se), np.abs(observed - predicted) / se


def test_rows_are_absorbed_at_deterministic_transitions_with_the_source_probabilities():
    """After 40 generations all but a few of the 9,000 rows are deterministic (point masses: the collapse), and
    row s is at i in a fraction of the runs within 4 binomial SE of the source's P[s, i] (the martingale's
    fixation probability); the fitted chain then maps each state to one successor: its stationary laws sit on
    cycles."""
    last = runs()[:, -1]
    assert ((last == 0) | (last == 1)).mean() > 0.999
    expected = np.array(SOURCE, dtype=float)
    se = np.sqrt(expected * (1 - expected) / last.shape[0])
    assert np.all(np.abs(last.mean(0) - expected) < 4 * se), np.abs(last.mean(0) - expected) / se
