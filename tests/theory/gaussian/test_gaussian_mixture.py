"""The Gaussian maps under ``composition="mixture"`` (theory.gaussian.maps), derived a second way.

Given the counts C_kj of model k's N_syn synthetic samples that come from model j, the round is the fixed
composition's with sizes C and weights alpha C_kj / N_syn (the mean of all N_syn samples, their scatter about the
fit), so its moments are the law of total expectation and covariance over C_k ~ Multinomial(N_syn, W[k, :]),
independent across models, of the fixed moment step: E m' = E_C E[m' | C], Cov m' = E_C Cov(m' | C) + Cov_C
E[m' | C], Cov(m', b) = E_C Cov(m', b | C), E U' = E_C E[U' | C]. nu = sum_j (alpha C_kj / N)^2 / C_kj = alpha^2 / N
for every C, so c_k and E S = c E U agree for the unbiased estimator as well (checked through E U and nu).
"""

import itertools
import math

import pytest
import sympy

from interplay.theory.gaussian import maps as gaussian
from interplay.theory.gaussian.maps import Moments
from interplay.theory.mixture import expected_spread
from interplay.theory.rounds import plan_at

HALF = sympy.Rational(1, 2)
W = sympy.Matrix([[sympy.Rational(3, 5), sympy.Rational(2, 5)], [sympy.Rational(1, 4), sympy.Rational(3, 4)]])
START = {"mean": [[2], [-1]], "cov": [[[1]], [[3]]]}


def _ecosystem(regime, estimator, mixing=W, composition="mixture", n=6):
    """K = 2, d = 1; n = 6 at alpha = beta = 1/2: N_public = 2 and N_syn = 3 under the mixture."""
    return gaussian.gaussian_ecosystem(
        [[1], [-2]],
        [0],
        covs=[[[2]], [[1]]],
        mixing=mixing,
        alpha=HALF,
        beta=HALF,
        n=n,
        regime=regime,
        estimator=estimator,
        composition=composition,
    )


def _multinomial(counts, probabilities):
    total = sum(counts)
    coefficient = math.factorial(total) // math.prod(math.factorial(c) for c in counts)
    return coefficient * math.prod((p**c for p, c in zip(probabilities, counts)), start=sympy.Integer(1))


def _brute_force(eco, moments, t):
    """The moments after round t by the law of total expectation / covariance over the counts C."""
    fixed = eco.with_options(composition="fixed")
    plan = plan_at(eco, t)
    alpha, size = eco.alpha_at(t), int(sum(plan.n_synthetic.row(0)))
    rows = [[c for c in itertools.product(range(size + 1), repeat=eco.K) if sum(c) == size]] * eco.K
    outcomes = []
    for counts in itertools.product(*rows):
        C = sympy.Matrix(counts)
        probability = math.prod((_multinomial(counts[k], eco.mixing.row(k)) for k in range(eco.K)), start=1)
        given = plan._replace(w_synthetic=alpha * C / size, n_synthetic=C)
        outcomes.append((probability, gaussian.moment_step(fixed, moments, given, t)))
    assert sum(p for p, _ in outcomes) == 1
    mean = sum((p * o.mean for p, o in outcomes), sympy.zeros(*moments.mean.shape))
    between = sum((p * (o.mean - mean) * (o.mean - mean).T for p, o in outcomes), sympy.zeros(*moments.cov.shape))
    within = sum((p * o.cov for p, o in outcomes), sympy.zeros(*moments.cov.shape))
    cross = sum((p * o.cross for p, o in outcomes), sympy.zeros(*moments.cross.shape))
    scatter = sum((p * o.scatter for p, o in outcomes), sympy.zeros(*moments.scatter.shape))
    assert all(o.nu == outcomes[0][1].nu for _, o in outcomes)  # nu does not depend on the counts
    return Moments(mean, within + between, cross, scatter, outcomes[0][1].nu)


@pytest.mark.parametrize("regime, estimator", [("reuse", "unbiased"), ("fresh", "unbiased"), ("accumulate", "mle")])
def test_a_mixture_round_is_the_fixed_round_averaged_over_the_counts(regime, estimator):
    """Rounds 1 and 2 from a given start (round 1 has Cov m = 0; round 2 tests the spread's Cov m part), exactly."""
    eco = _ecosystem(regime, estimator)
    assert sum(plan_at(eco, 1).n_synthetic.row(0)) == 3
    moments = gaussian.moments_of_fit(eco, gaussian.start_state(eco, START))
    for t in (1, 2):
        got = gaussian.moment_step(eco, moments, plan_at(eco, t), sympy.Integer(t))
        want = _brute_force(eco, moments, sympy.Integer(t))
        for name, a, b in zip(Moments._fields, got, want):
            assert sympy.Matrix(a) == sympy.Matrix(b), (t, name)
        moments = got
    assert moments.cov != sympy.zeros(2, 2) and moments.cov[0, 0] > 0


def test_the_population_maps_of_mixture_and_fixed_are_the_same():
    """Infinite sizes: sum_j W[k, j] (m_j - m')(m_j - m')^T = spread_k + (mbar_k - m')(mbar_k - m')^T, so the
    mixture's population map is the fixed one (symbolic m, S; the difference expands to 0)."""
    fixed = _ecosystem("fresh", "mle", composition="fixed")
    mixture = fixed.with_options(composition="mixture")
    a, b = gaussian.population_map(fixed), gaussian.population_map(mixture)
    assert a.state == b.state
    assert all(sympy.expand(x - y) == 0 for x, y in zip(a.update, b.update))


def _trajectory(eco, rounds):
    moments = gaussian.moment_step(eco, gaussian.zero_moments(eco), plan_at(eco, 0), 0)
    path = [moments]
    for t in range(1, rounds + 1):
        path.append(gaussian.moment_step(eco, path[-1], plan_at(eco, t), sympy.Integer(t)))
    return path


def _same_sizes(a, b, rounds):
    return all(
        plan_at(a, t).n_private == plan_at(b, t).n_private
        and plan_at(a, t).n_public == plan_at(b, t).n_public
        and plan_at(a, t).n_synthetic == plan_at(b, t).n_synthetic
        for t in range(rounds + 1)
    )


def test_fixed_and_mixture_share_the_mean_and_the_mixture_adds_the_spread():
    """Equal shares, n = 8: both compositions give 2 private, 2 public and 2 + 2 synthetic samples (expected, under
    the mixture), so after the same initial fit round 1's Cov m differs by exactly blockdiag(alpha^2 / N_syn E
    spread_k) (positive: the models differ); E m is the same at every round, Cov m keeps differing."""
    fixed = _ecosystem("fresh", "unbiased", mixing=sympy.Matrix([[HALF, HALF], [HALF, HALF]]), composition="fixed", n=8)
    mixture = fixed.with_options(composition="mixture")
    assert _same_sizes(fixed, mixture, 1) and sum(plan_at(mixture, 1).n_synthetic.row(0)) == 4
    a, b = _trajectory(fixed, 3), _trajectory(mixture, 3)
    assert a[0] == b[0]
    assert all(x.mean == y.mean for x, y in zip(a, b))
    spreads = expected_spread(mixture.mixing, a[0].mean, a[0].cov, 1)
    added = sympy.diag(*[HALF**2 / 4 * s for s in spreads])
    assert b[1].cov - a[1].cov == added and all(added[k, k] > 0 for k in range(2))
    assert all(x.cov != y.cov for x, y in zip(a[1:], b[1:]))


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_a_mixture_that_draws_from_one_model_is_the_fixed_composition(regime):
    """W a permutation: every sample comes from the one model, N_kj = N_syn, and every moment is the same, exactly."""
    fixed = _ecosystem(regime, "unbiased", mixing=sympy.Matrix([[0, 1], [1, 0]]), composition="fixed")
    mixture = fixed.with_options(composition="mixture")
    assert _same_sizes(fixed, mixture, 3)
    assert _trajectory(fixed, 3) == _trajectory(mixture, 3)
