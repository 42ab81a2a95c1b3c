"""The mixture's producer draws (numerics.samplers.mixture): Walker's alias tables give each model j exactly the
probability W[k, j], a model of weight 0 is never drawn, and the draws' frequencies agree with W."""

import jax
import numpy as np
from scipy import stats

from interplay.numerics.samplers.mixture import alias_draws, alias_tables

W = np.array(  # unequal weights, zeros, a row of one model, a row that does not sum to 1 (normalised)
    [
        [0.5, 0.3, 0.0, 0.0, 0.2, 0.0],
        [0.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        [0.1, 0.0, 0.6, 0.3, 0.0, 0.0],
        [1e-3, 0.25, 0.0, 0.0, 0.749, 0.0],
        [0.0, 0.0, 0.4, 0.6, 0.0, 0.0],
        [1 / 6] * 6,
    ]
)
W[2] *= 3.0


def law(tables):
    """The probability of each index under the tables: (prob_i + sum over the cells aliased to i of 1 - prob) / C."""
    prob, alias = (np.asarray(x) for x in tables)
    K, C = prob.shape
    out = prob.copy()
    for k in range(K):
        np.add.at(out[k], alias[k], 1 - prob[k])
    return out / C


def test_alias_tables_give_the_rows_of_w():
    tables = alias_tables(W)
    np.testing.assert_allclose(law(tables), W / W.sum(1, keepdims=True), rtol=1e-12, atol=1e-15)
    prob, alias = (np.asarray(x) for x in tables)
    assert np.all(prob[W == 0] == 0)  # a cell of weight 0 always gives its alias
    rows = np.arange(W.shape[0])[:, None]
    assert np.all(W[rows, alias][prob < 1] > 0)  # every alias that can be given has a positive weight


def test_draws_follow_w_and_never_a_zero_weight():
    """200,000 draws per model: no draw of a model of weight 0; each positive cell's count within z = isf(0.01 /
    (2 x cells)) binomial standard errors of its expectation (Bonferroni over the cells, family-wise 0.01)."""
    draws = 200_000
    indices = np.asarray(alias_draws(jax.random.key(5), alias_tables(W), draws))
    p = W / W.sum(1, keepdims=True)
    counts = np.stack([np.bincount(row, minlength=W.shape[1]) for row in indices])
    assert np.all(counts[p == 0] == 0)
    positive = p > 0
    se = np.sqrt(draws * p * (1 - p))
    certain = positive & (p == 1)
    assert np.all(counts[certain] == draws)
    z = np.abs(counts - draws * p)[positive & ~certain] / se[positive & ~certain]
    assert z.max() < stats.norm.isf(0.01 / (2 * (positive & ~certain).sum()))
