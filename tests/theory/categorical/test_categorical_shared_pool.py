"""The categorical family under ``pool="shared"`` (model k counts the first N_kj tokens of one sample of model j): the
exact moment recursion and the exact chain against a brute-force law over every token sequence of the round's
samples, and the option's refusal beside the mixture composition.

The brute force draws nothing by blocks or counts: every sequence of tokens of the real samples and of one sample of
max_k N_kj tokens per model j, its probability the product of the tokens', and each model's frequencies from the
tokens it reads (scraper k: the first N_kj of model j's sequence). K = 2, m = 2, fresh, from a deterministic p_0,
W = [[1/2, 1/2], [0, 1]], alpha = beta = 1/2, n = 4: N_00 = N_01 = 1, N_11 = 2, so model 1's sample is shared by two
scrapers of different sizes (Cov(p_0, p_1) gains w_01 w_11 / max(1, 2) E[diag p_1 - p_1 p_1^T]; with min for max, or
the own pool's independent draws, the comparison fails).
"""

import itertools
from collections import defaultdict
from fractions import Fraction

import pytest
import sympy

from interplay.theory import SpecError
from interplay.theory.categorical import chain
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory
from interplay.theory.rounds import plan_at

R = sympy.Rational
START = [[R(1, 2), R(1, 2)], [R(1, 3), R(2, 3)]]


def shared_pair(**options):
    spec = dict(alpha=R(1, 2), beta=R(1, 2), n=4, mixing=[[R(1, 2), R(1, 2)], [0, 1]], regime="fresh", pool="shared")
    return categorical_ecosystem([[R(1, 4), R(3, 4)], [R(3, 5), R(2, 5)]], [R(1, 2), R(1, 2)], **(spec | options))


def _fraction(x) -> Fraction:
    return Fraction(int(x.p), int(x.q))


def brute_force_laws(eco, rounds):
    """{p (K x m tuple of Fractions): probability} after rounds 0..rounds, every token sequence enumerated
    (fresh real samples, no smoothing: p = F)."""
    K, m = eco.K, eco.dim
    law = {tuple(tuple(_fraction(x) for x in row) for row in START): Fraction(1)}
    laws = [law]
    real = [tuple(_fraction(x) for x in s.probs) for s in (*eco.private, eco.public)]
    for t in range(1, rounds + 1):
        plan = plan_at(eco, t)
        real_sizes = [int(plan.n_private[k, 0]) for k in range(K)] + [int(plan.n_public[0, 0])]
        lengths = [max(int(plan.n_synthetic[k, j]) for k in range(K)) for j in range(K)]  # one sample per model
        new = defaultdict(Fraction)
        for fits, weight in law.items():
            positions = [real[s] for s, n in enumerate(real_sizes) for _ in range(n)]
            positions += [fits[j] for j, n in enumerate(lengths) for _ in range(n)]
            for tokens in itertools.product(range(m), repeat=len(positions)):
                probability = weight
                for distribution, token in zip(positions, tokens):
                    probability *= distribution[token]
                if probability == 0:
                    continue
                samples, at = [], 0
                for n in real_sizes + lengths:
                    samples.append(tokens[at : at + n])
                    at += n
                new[_frequencies(plan, samples, K, m)] += probability
        law = dict(new)
        laws.append(law)
    return laws


def _frequencies(plan, samples, K, m):
    """Each model's batch frequencies: its private sample, the public one, the first N_kj tokens of model j's."""

    def share(tokens, n, weight):
        return [Fraction(0)] * m if n == 0 else [_fraction(weight) * tokens.count(i) / n for i in range(m)]

    fits = []
    for k in range(K):
        parts = [share(samples[k], int(plan.n_private[k, 0]), plan.w_private[k, 0])]
        parts.append(share(samples[K], int(plan.n_public[k, 0]), plan.w_public[k, 0]))
        for j in range(K):
            n = int(plan.n_synthetic[k, j])
            parts.append(share(samples[K + 1 + j][:n], n, plan.w_synthetic[k, j]))
        fits.append(tuple(sum(column) for column in zip(*parts)))
    return tuple(fits)


def _moments(law, K, m):
    flat = {tuple(x for row in fits for x in row): p for fits, p in law.items()}
    mean = [sum(p * v[i] for v, p in flat.items()) for i in range(K * m)]
    cov = [[sum(p * (v[i] - mean[i]) * (v[j] - mean[j]) for v, p in flat.items()) for j in range(K * m)]
           for i in range(K * m)]  # fmt: skip
    return sympy.Matrix(K * m, 1, [R(x.numerator, x.denominator) for x in mean]), sympy.Matrix(
        K * m, K * m, lambda i, j: R(cov[i][j].numerator, cov[i][j].denominator)
    )


def test_the_sizes_differ_per_scraper():
    plan = plan_at(shared_pair(), 1)
    assert plan.n_synthetic == sympy.Matrix([[1, 1], [0, 2]])


def test_the_recursion_equals_the_brute_force_law_of_shared_prefixes():
    """Two rounds (the second reads the random fits of the first: the Cov(p_j) term), exact rationals."""
    eco = shared_pair()
    laws = brute_force_laws(eco, 2)
    recursion = moment_trajectory(eco, 2, start=START)
    for t in (1, 2):
        mean, cov = _moments(laws[t], 2, 2)
        assert recursion[t][0] == mean, t
        assert recursion[t][1] == cov, t
    own = moment_trajectory(eco.with_options(pool="own"), 1, start=START)
    assert own[1][0] == recursion[1][0] and own[1][1] != recursion[1][1]  # the comparison tells the pools apart


def test_the_exact_chain_draws_the_brute_force_law():
    """The chain's blocks between the sorted sizes give the law of the token sequences' prefixes."""
    eco = shared_pair()
    laws = brute_force_laws(eco, 2)
    chained = chain.distributions(eco, 2, start=START)
    for t in (1, 2):
        assert {fits: R(p.numerator, p.denominator) for fits, p in laws[t].items()} == dict(chained[t]), t


def test_a_shared_pool_with_the_mixture_composition_is_refused():
    with pytest.raises(SpecError) as error:
        shared_pair(composition="mixture")
    assert str(error.value).startswith("pool: a shared pool takes the fixed composition")
