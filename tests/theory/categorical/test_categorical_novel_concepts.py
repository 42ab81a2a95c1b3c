"""Novel concepts and homogenisation: model 1's real data show category 1, model 2's never do (nor the public
data); model 2 can only learn it from model 1's outputs.

Exact: P(model 2 holds category 1 after t rounds) from the exact chain (small n), its mass E p_21 from the moment
recursion, the limits from the stationary law and the population fixed point. Simulated: the same by multinomial
Monte Carlo, within 4 standard errors (a proportion's SE sqrt(p (1 - p) / R) at the exact p; see
tests/test_categorical_monte_carlo.py for the error budget).
"""

import numpy as np
import pytest
import sympy
from sympy import Rational as R

import interplay.numerics.categorical as nc
from interplay.theory.categorical.chain import distributions, exact_chain, probability
from interplay.theory.categorical.maps import categorical_ecosystem, limiting_probs

Z = 4.0
REPLICATES = 4000


def vocabularies(**options):
    """Model 1 knows categories {1, 2}, model 2 knows {2, 3}; the public data show only category 2."""
    return categorical_ecosystem([[R(1, 2), R(1, 2), 0], [0, R(1, 2), R(1, 2)]], [0, 1, 0], **options)


def holds_novel(fit):
    return fit[1][0] > 0


@pytest.mark.parametrize("temperature", [1, 0.5])
def test_probability_that_model_2_holds_the_novel_concept(temperature):
    """Exact P(p_21 > 0) per round (chain) vs Monte Carlo; zero at the initial fit; E p_21 (moment recursion, or the
    chain's expectation when tau != 1) vs Monte Carlo."""
    eco = vocabularies(alpha=0.5, beta=0.5, n=4, regime="fresh", temperature=temperature)
    T = 6
    laws = distributions(eco, T)
    exact = np.array([float(probability(law, holds_novel)) for law in laws])
    assert exact[0] == 0 and np.all(exact[1:] > 0)
    mc = nc.simulate(eco, T, key=21 + int(temperature * 2), replicates=REPLICATES)
    simulated = mc.holds(1, 0)
    assert simulated[0] == 0
    se = np.sqrt(exact * (1 - exact) / REPLICATES)
    assert np.all(np.abs(simulated[1:] - exact[1:]) < Z * se[1:]), (simulated, exact)
    mass = np.array([float(sum(p * fit[1][0] for fit, p in law.items())) for law in laws])
    if temperature == 1:
        np.testing.assert_allclose(nc.iterate_moments(eco, T).mean[:, 1, 0], mass, atol=1e-14)
    samples = mc.probs[:, :, 1, 0]
    gap = np.abs(samples.mean(0) - mass)[1:]
    assert np.all(gap < Z * samples.std(0, ddof=1)[1:] / np.sqrt(REPLICATES))


def test_novel_concept_limits():
    """As t grows: the law of the chain converges to its stationary law (one closed class), so P(p_21 > 0) tends to
    the stationary probability; the mass tends to the population fixed point, alpha beta q_11 / 2 in closed form
    for equal shares (model 2 hears half of the synthetic data, model 1 carries beta q_11 of its real share)."""
    eco = vocabularies(alpha=0.5, beta=0.5, n=4, regime="fresh")
    chain = exact_chain(eco)
    (closed,) = chain.closed_classes()
    stationary = sum(p for i, p in chain.stationary(closed).items() if holds_novel(chain.fits[i]))
    assert 0 < stationary < 1
    assert abs(probability(chain.law(40), holds_novel) - stationary) < R(1, 10**9)
    a, b = sympy.symbols("alpha beta", nonnegative=True)
    assert sympy.simplify(limiting_probs(vocabularies(alpha=a, beta=b))[1, 0] - a * b / 4) == 0
    long_run = nc.iterate_moments(eco, 200).mean[-1, 1, 0]
    assert long_run == pytest.approx(0.5 * 0.5 / 4, abs=1e-12)


def test_without_real_data_the_models_agree_and_fix_on_one_concept():
    """alpha = 1, equal shares: the only closed classes are both models on the same point mass (homogenised), and
    the average fit is a martingale, so P(both end on category 1) = E[(p_11 + p_21)/2 at round 0] = 1/8."""
    eco = vocabularies(alpha=1, beta=0.5, n=4, regime="fresh")
    chain = exact_chain(eco)
    classes, A = chain.absorption_probabilities()
    assert all(len(c) == 1 and chain.fits[c[0]][0] == chain.fits[c[0]][1] for c in classes)
    assert all(sorted(chain.fits[c[0]][0]) == [0, 0, 1] for c in classes)
    fixation = chain.initial_vector() * A
    novel = [c for c, members in enumerate(classes) if chain.fits[members[0]][1][0] == 1]
    assert sum(fixation[c] for c in novel) == R(1, 8)


def test_homogenisation_distances():
    """E||p_1 - p_2||^2 from the moment recursion vs Monte Carlo (4 SE), and by convexity of TV and JS the
    simulated mean distances lie above the distances between the expected fits (= the population trajectory, tau =
    1, no smoothing), which converge to TV* = (1 - alpha) beta TV(q_1, q_2)."""
    eco = vocabularies(alpha=0.5, beta=0.5, n=20, regime="fresh")
    T = 15
    exact = nc.iterate_moments(eco, T)
    population = nc.iterate_population(eco.with_options(n=None), T)
    np.testing.assert_allclose(exact.mean, population.mean, atol=1e-14)
    mc = nc.simulate(eco, T, key=3, replicates=REPLICATES)
    distance = ((mc.probs[:, :, 0] - mc.probs[:, :, 1]) ** 2).sum(-1)
    se = distance.std(0, ddof=1) / np.sqrt(REPLICATES)
    assert np.all(np.abs(distance.mean(0) - exact.squared_distance(0, 1)) < Z * se)
    assert np.all(mc.total_variation(0, 1).mean(0) >= population.total_variation(0, 1) - 1e-12)
    assert np.all(mc.jensen_shannon(0, 1).mean(0) >= population.jensen_shannon(0, 1) - 1e-12)
    assert population.total_variation(0, 1)[-1] == pytest.approx((1 - 0.5) * 0.5 * 0.5, abs=1e-12)  # TV(q1,q2) = 1/2
    assert population.total_variation(0, 1)[0] == pytest.approx(0.5 * 0.5, abs=1e-12)  # beta TV(q1, q2)
