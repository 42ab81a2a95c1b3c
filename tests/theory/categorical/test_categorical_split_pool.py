"""The ``split`` pool of categorical ecosystems (:mod:`theory.pools`): the exact moment recursion against the
brute-force law of two rounds of the process (every order of the pool, every token's category), exact rationals;
the exact chain refuses it. Monte Carlo: tests/numerics/categorical/test_categorical_split_pool_numerics.py."""

import itertools
from collections import defaultdict

import pytest
import sympy
from sympy import Rational as Q

from interplay.theory import SpecError
from interplay.theory.categorical import chain
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory
from interplay.theory.rounds import plan_at

START = ((Q(1, 2), Q(1, 2)), (Q(1, 4), Q(3, 4)))


def split_pair():
    """alpha = 1 (a model's fit is its slice's frequencies), W = [[1/2, 1/2], [1, 0]], n = 2: N_kj = [[1, 1],
    [2, 0]], a pool of 3 tokens of model 0 and 1 of model 1, slices of 2 (p = (3/4, 1/4))."""
    return categorical_ecosystem(
        [["1/2", "1/2"], ["1/3", "2/3"]], ["1/5", "4/5"], alpha=1, n=2, mixing=[["1/2", "1/2"], [1, 0]], pool="split"
    )


def _round(law):
    """The law of the fits after one round: each order of the pool [0, 0, 0, 1] (4! equally likely), each token's
    category from its model's fit, model k's fit the frequencies of positions 2k, 2k + 1."""
    after = defaultdict(lambda: Q(0))
    orders = list(itertools.permutations([0, 0, 0, 1]))
    for fits, chance in law.items():
        for order in orders:
            for categories in itertools.product(range(2), repeat=4):
                weight = chance / len(orders)
                for owner, category in zip(order, categories):
                    weight *= fits[owner][category]
                if weight:
                    state = tuple(tuple(Q(categories[2 * k : 2 * k + 2].count(c), 2) for c in range(2)) for k in (0, 1))
                    after[state] += weight
    return after


def test_the_recursion_equals_the_brute_force_law_of_two_rounds():
    """Rounds 1 and 2 from START: E p and Cov p (stacked K m), exactly; round 2 reads the random fits of round 1
    (the expected spread with Cov p)."""
    eco = split_pair()
    assert plan_at(eco, 1).n_synthetic == sympy.Matrix([[1, 1], [2, 0]])
    recursion = moment_trajectory(eco, 2, start=START)
    law = {START: Q(1)}
    for t in (1, 2):
        law = _round(law)
        stacked = {tuple(x for row in state for x in row): chance for state, chance in law.items()}
        mean = sympy.Matrix([sum(chance * s[i] for s, chance in stacked.items()) for i in range(4)])
        cov = sympy.Matrix(
            [
                [sum(c * (s[i] - mean[i]) * (s[j] - mean[j]) for s, c in stacked.items()) for j in range(4)]
                for i in range(4)
            ]
        )
        assert recursion[t][0] == mean, t
        assert recursion[t][1] == cov, t
    assert recursion[1][1][0, 2] < 0  # two slices of one pool: negatively correlated


def test_the_exact_chain_refuses_a_split_pool():
    with pytest.raises(SpecError) as error:
        chain.distributions(split_pair(), 1, start=START)
    assert error.value.parameter == "pool"
