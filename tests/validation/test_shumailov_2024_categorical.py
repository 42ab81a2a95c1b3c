"""Validation against Shumailov et al., "AI models collapse when trained on recursively generated data" (Nature 631,
2024; arXiv 2305.17493), discrete case: the empirical frequencies refit each generation on M samples of the previous
fit form a Markov chain whose only absorbing states are point masses, and an event (category) of probability q is
lost in one generation with probability (1 - q)^M.

Mapping: K = 1 categorical model, mixing [[1]], alpha = 1, beta = 1, n = M, MLE (no smoothing, tau = 1); our round
t fit is their generation t + 1. Every value is computed by the library's general exact chain
(``theory.categorical.chain.exact_chain``) or its Monte Carlo
(``numerics.categorical.monte_carlo.simulate``); (1 - q)^M is only
the expected value.
"""

import numpy as np
import pytest
from sympy import Rational as R

import interplay.numerics.categorical as nc
from interplay.theory.categorical.chain import exact_chain
from interplay.theory.categorical.maps import categorical_ecosystem


def refit_chain(probs, M):
    return categorical_ecosystem([probs], probs, alpha=1, beta=1, mixing=[[1]], n=M, regime="fresh")


@pytest.mark.parametrize(("probs", "M"), [([R(1, 2), R(1, 3), R(1, 6)], 3), ([R(1, 5), R(3, 10), R(1, 4), R(1, 4)], 4)])
def test_one_generation_loss_probability_from_every_state(probs, M):
    """Shumailov et al. (Nature 2024; arXiv 2305.17493), discrete case: from every state p of the library's exact
    chain, the one-step probability that category i has zero mass next generation is (1 - p_i)^M."""
    chain = exact_chain(refit_chain(probs, M))
    m = len(probs)
    for i, row in chain.transition.items():
        (p,) = chain.fits[i]
        for category in range(m):
            lost = sum(q for j, q in row.items() if chain.fits[j][0][category] == 0)
            assert lost == (1 - p[category]) ** M, (p, category)


def test_only_point_masses_absorb():
    """Shumailov et al. (Nature 2024; arXiv 2305.17493), discrete case: the closed classes of the library's exact
    chain are single states, each a point mass, and every point mass reachable is absorbing."""
    chain = exact_chain(refit_chain([R(1, 2), R(1, 4), R(1, 8), R(1, 8)], 4))
    closed = chain.closed_classes()
    assert all(len(c) == 1 for c in closed)
    closed_states = {c[0] for c in closed}
    for i, (p,) in enumerate(chain.fits):
        assert (i in closed_states) == (max(p) == 1)


def test_one_generation_loss_monte_carlo():
    """Shumailov et al. (Nature 2024; arXiv 2305.17493): the simulated frequency with which a category of the
    round-0 fit is missing one generation later matches E[(1 - p_i)^M] computed from the simulated round-0 fits,
    within 4 standard errors (binomial SE of the frequency at the predicted value)."""
    M, R_ = 10, 20000
    mc = nc.simulate(refit_chain([0.7, 0.2, 0.1], M), 1, key=2024, replicates=R_)
    before, after = mc.probs[:, 0, 0], mc.probs[:, 1, 0]
    for category in range(3):
        predicted = ((1 - before[:, category]) ** M).mean()
        observed = (after[:, category] == 0).mean()
        assert abs(observed - predicted) < 4 * np.sqrt(predicted * (1 - predicted) / R_), category
