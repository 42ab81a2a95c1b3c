"""Rolling corpora (``regime="rolling"``, :mod:`theory.categorical.maps`): the sizes, the sympy moment map against a
brute-force enumeration of the sampling process (a second derivation), the jax recursion against sympy, the Monte
Carlo of the corpora against the recursion, and the refusals.

Tolerance of the Monte Carlo test: every mean and every centred product at every round, Bonferroni over all of
them, Z = norm.isf(1e-3 / (2 x comparisons)): a false failure with probability <= 1e-3 at the fixed seed.
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats
import sympy
from monte_carlo_checks import assert_mean_agrees
from sympy import Rational as R

import interplay.numerics.categorical as nc
from interplay.numerics.sweeps import sweep
from interplay.theory import Ecosystem, SpecError
from interplay.theory.categorical.chain import exact_chain
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory, population_map
from interplay.theory.rounds import sample_sizes

PRIVATE = [[R(1, 2), R(3, 10), R(1, 5)], [R(1, 10), R(1, 5), R(7, 10)]]
MIXING = [[R(3, 4), R(1, 4)], [R(1, 3), R(2, 3)]]


def two_corpora(**options):
    spec = dict(alpha=R(3, 5), beta=R(1, 2), n=12, regime="rolling", smoothing=R(1, 2), mixing=MIXING)
    return categorical_ecosystem(PRIVATE, [R(1, 3)] * 3, **(spec | options))


def test_sizes_fill_the_corpus():
    """M_t = round((1 - alpha_t) n) kept (a half up) and the rest apportioned over W's row: n in all, exactly."""
    eco = two_corpora(alpha=[R(3, 5), R(1, 4), R(1, 24)], n=12)
    assert sample_sizes(eco, eco.alpha_at(1), eco.beta_at(1), initial=False) == (
        [[5], [5]],
        [[0], [0]],
        [[5, 2], [2, 5]],
    )
    assert sample_sizes(eco, eco.alpha_at(2), eco.beta_at(2), initial=False) == (
        [[9], [9]],
        [[0], [0]],
        [[2, 1], [1, 2]],
    )
    with pytest.raises(SpecError, match="^n: a rolling corpus of n = 12 keeps 12"):  # alpha n = 1/2: no new token
        sample_sizes(eco, eco.alpha_at(3), eco.beta_at(3), initial=False)


def test_symbolic_alpha():
    """With alpha a symbol the sizes are (1 - alpha) n kept and alpha n new, and the sympy recursion keeps the
    K = 1, lambda = 0 martingale, E[F_i (1 - F_i)] shrinking by 1 - M (n - M) / ((n - 1) n^2) - (n - M) / n^2."""
    a = sympy.Symbol("alpha", positive=True)
    q = [R(1, 2), R(1, 2)]
    eco = categorical_ecosystem([q], q, alpha=a, beta=1, mixing=[[1]], n=10, regime="rolling")
    assert sample_sizes(eco, a, 1, initial=False) == ([[10 - 10 * a]], [[0]], [[10 * a]])
    (mean_0, cov_0), (mean_1, cov_1) = moment_trajectory(eco, 1)
    M = 10 * (1 - a)
    factor = 1 - M * (10 - M) / 900 - (10 - M) / 100
    assert sympy.simplify(mean_1 - mean_0) == sympy.zeros(2, 1)
    variation = [mean[0] - mean[0] ** 2 - cov[0, 0] for mean, cov in ((mean_0, cov_0), (mean_1, cov_1))]
    assert sympy.simplify(variation[1] - factor * variation[0]) == 0


def _next_law(eco, counts, lam):
    """The exact law of the corpora's counts after one round from ``counts`` (K tuples of m), by enumeration:
    every kept subset of every corpus (equally likely) and every sequence of new tokens with its probability."""
    K, m, n = eco.K, eco.dim, eco.n
    sizes = sample_sizes(eco, eco.alpha_at(1), eco.beta_at(1), initial=False)
    fits = [[Fraction(c + lam) / (n + m * lam) for c in row] for row in counts]
    per_model = []
    for k in range(K):
        tokens = [i for i, c in enumerate(counts[k]) if c for _ in range(c)]
        law = {}
        subsets = list(itertools.combinations(range(n), sizes.n_private[k][0]))
        sources = [j for j in range(K) for _ in range(sizes.n_synthetic[k][j])]
        for subset in subsets:
            for new in itertools.product(range(m), repeat=len(sources)):
                p = Fraction(1, len(subsets))
                for j, i in zip(sources, new):
                    p *= fits[j][i]
                corpus = [tokens[a] for a in subset] + list(new)
                state = tuple(corpus.count(i) for i in range(m))
                law[state] = law.get(state, 0) + p
        per_model.append(law)
    joint = {}
    for states in itertools.product(*(law.items() for law in per_model)):
        key = tuple(s for s, _ in states)
        joint[key] = joint.get(key, 0) + math.prod(p for _, p in states)
    return joint


def test_moment_map_equals_enumeration():
    """A second derivation: n = 4, m = 2, K = 2, alpha = 1/2 (M = 2 of 4 tokens kept: the hypergeometric factor
    M (n - M) / (n - 1) = 4/3, not M), smoothing lambda = 1/2, two rounds from a given pair of corpora, by enumerating
    every kept subset and every new token (:func:`_next_law`): E and Cov of the fits equal the sympy map's exactly."""
    lam = Fraction(1, 2)
    eco = categorical_ecosystem(
        [[R(1, 2)] * 2] * 2,
        [R(1, 2)] * 2,
        alpha=R(1, 2),
        beta=1,
        n=4,
        regime="rolling",
        smoothing=R(1, 2),
        mixing=[[R(1, 2), R(1, 2)], [R(1, 3), R(2, 3)]],
    )
    start_counts = ((3, 1), (0, 4))
    s, floor = R(4, 5), R(1, 10)  # the fit p = s F + (1 - s)/m = (c + 1/2) / 5
    start = [[s * R(c, 4) + floor for c in row] for row in start_counts]
    law = {start_counts: Fraction(1)}
    trajectory = moment_trajectory(eco, 2, start=start)
    for t in (1, 2):
        following = {}
        for state, p in law.items():
            for after, q in _next_law(eco, state, lam).items():
                following[after] = following.get(after, 0) + p * q
        law = following
        fits = [
            (R(p.numerator, p.denominator), sympy.Matrix([s * R(c, 4) + floor for row in x for c in row]))
            for x, p in law.items()
        ]
        mean = sum((p * f for p, f in fits), sympy.zeros(4, 1))
        second = sum((p * f * f.T for p, f in fits), sympy.zeros(4, 4))
        assert trajectory[t][0] == mean
        assert trajectory[t][1] == second - mean * mean.T


def test_jax_recursion_equals_sympy():
    """The jax recursion (numerics.categorical.steps.rolling_step) equals the sympy map to rtol 1e-12 over 5 rounds,
    K = 2, smoothing, a non-trivial W and an alpha schedule."""
    eco = two_corpora(alpha=[R(3, 5), R(1, 4), R(1, 2), 1, R(1, 3)], beta=R(1, 2))
    exact = moment_trajectory(eco, 5)
    numeric = nc.iterate_moments(eco, 5)
    for t, (mean, cov) in enumerate(exact):
        np.testing.assert_allclose(numeric.mean[t].ravel(), np.array(mean, dtype=float).ravel(), rtol=1e-12)
        np.testing.assert_allclose(numeric.cov[t].reshape(6, 6), np.array(cov, dtype=float), rtol=1e-12, atol=1e-17)


def test_monte_carlo_matches_moment_recursion():
    """20,000 replicates of the corpora (K = 2, W non-trivial, smoothing 1/2, n = 12, alpha = 3/5, 4 rounds): every
    E p and every centred product (Cov p) at every round within Bonferroni bands of the exact recursion (5 x 42 = 210
    comparisons, Z = 4.58; seen: max |z| 2.4). Keeping tokens drawn with replacement instead fails at |z| 14.9."""
    eco, rounds, replicates = two_corpora(), 4, 20000
    exact = nc.iterate_moments(eco, rounds)
    probs = nc.simulate(eco, rounds, key=15, replicates=replicates).probs.reshape(replicates, rounds + 1, 6)
    z = float(scipy.stats.norm.isf(1e-3 / (2 * (rounds + 1) * (6 + 36))))
    for t in range(rounds + 1):
        mean = exact.mean[t].ravel()
        assert_mean_agrees(probs[:, t], mean, f"E p at t={t}", z_limit=z)
        centred = probs[:, t] - mean
        products = centred[:, :, None] * centred[:, None, :]
        assert_mean_agrees(products, exact.cov[t].reshape(6, 6), f"Cov p at t={t}", z_limit=z)


def test_sweep_points_equal_the_specs():
    """A sweep over alpha of rolling corpora: each point's exact diversity equals iterate_moments of the spec at that
    alpha (rtol 1e-12), and its Monte Carlo equals simulate's with the same seed (the same draws)."""
    eco = two_corpora()
    grid = sweep(eco, {"alpha": [0.5, 0.75]}, ("diversity", "mc_diversity"), rounds=3, progress=False, replicates=500)
    for a, exact, simulated in zip((0.5, 0.75), grid.values["diversity"], grid.values["mc_diversity"]):
        point = eco.with_options(alpha=a)
        np.testing.assert_allclose(exact, nc.iterate_moments(point, 3).diversity()[-1], rtol=1e-12)
        mc = nc.simulate(point, 3, key=0, replicates=500, trajectory=False)
        np.testing.assert_allclose(simulated, mc.diversity()[:, 0].mean(0), rtol=1e-12)


REFUSALS = {
    "pool": dict(pool="shared"),
    "composition": dict(composition="mixture"),
    "family.temperature": dict(temperature=2),
    "n": dict(n={"per_model": [12, 12]}, smoothing=0),
    "beta": dict(beta=R(1, 3)),  # beta_1 n = 4: whole only for n a multiple of 3
}


@pytest.mark.parametrize("parameter", REFUSALS)
def test_refused_by_name(parameter):
    """What rolling corpora do not implement is refused, naming the parameter, in one line."""
    with pytest.raises(SpecError, match=f"^{parameter}: [^\n]*$"):
        two_corpora(**({"n": 11} if parameter == "beta" else {}) | REFUSALS[parameter])


def test_refusals_of_other_families_sizes_and_maps():
    """Other families, n = None, n = 1, the population map, the exact chain and a given Monte Carlo start."""
    with pytest.raises(SpecError, match="^regime: the gaussian family has"):
        Ecosystem.gaussian(means=[[0]], public_mean=[1], n=10, regime="rolling")
    for n in (None, 1):
        with pytest.raises(SpecError, match="^n: "):
            two_corpora(n=n, beta=1)
    eco = two_corpora()
    for call in (lambda: population_map(eco), lambda: nc.iterate_population(eco, 2), lambda: exact_chain(eco)):
        with pytest.raises(SpecError, match="^regime: "):
            call()
    with pytest.raises(SpecError, match="^start: "):
        nc.simulate(eco, 2, key=0, replicates=10, start=[[R(1, 3)] * 3] * 2)
