"""Trajectories started at a given state (``start`` of the verbs, :mod:`interplay.theory.start`): round 0 is the
given fitted parameters, the same in every replicate, and rounds 1.. proceed as usual.

Each family's exact moment recursion from a start is checked against an independent derivation (the Wright-Fisher
closed forms, the exact Markov chain of the categorical counts, the Poisson and linear-Gaussian closed forms, the
sympy maps iterated from the given state) and against the Monte Carlo from that start (fixed seeds; each comparison
within the normal quantile of a Bonferroni correction at family-wise level 1e-3, from the standard errors). Bad
starts are a SpecError naming ``start``.
"""

import doctest
import inspect
from fractions import Fraction

import numpy as np
import pytest
import sympy
from scipy.stats import norm

import interplay.numerics as numerics
from interplay.numerics import registry as numerics_registry
from interplay.numerics import verbs
from interplay.numerics.categorical import iterate as nc_iterate
from interplay.numerics.categorical import steps as nc_steps
from interplay.numerics.gaussian import iterate as ng_iterate
from interplay.numerics.gaussian import step as ng_step
from interplay.numerics.linear import iterate as nl_iterate
from interplay.numerics.linear import monte_carlo as nl_monte_carlo
from interplay.numerics.linear import steps as nl_steps
from interplay.numerics.poisson import iterate as np_iterate
from interplay.numerics.poisson import monte_carlo as np_monte_carlo
from interplay.theory import SpecError
from interplay.theory import registry as theory_registry
from interplay.theory.categorical.chain import distributions, exact_chain, expectation
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory
from interplay.theory.gaussian.maps import Moments, fitted_covariance, gaussian_ecosystem
from interplay.theory.linear.maps import Design, exact_moments, linear_data, linear_ecosystem, parameter_moments
from interplay.theory.maps import initial_state, moment_map, population_map
from interplay.theory.poisson.maps import moment_trajectory as poisson_moment_trajectory
from interplay.theory.poisson.maps import poisson_ecosystem

R = sympy.Rational
FAMILY_WISE = 1e-3


def z_scores(samples, exact, what):
    """|Monte Carlo mean - exact| / standard error of each entry: samples (reps, ...), exact (...)."""
    se = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
    assert se.min() > 0, f"{what}: an entry does not vary"
    return np.abs(samples.mean(0) - exact) / se


def moment_z_scores(samples, mean, second, what):
    """samples (reps, T+1, P): per-replicate values of P numbers over rounds 0..T; mean (T+1, P) and second
    (T+1, P, P) their exact E x and E x x^T. Round 0 must be the start itself in every replicate; returns the
    z-scores of every mean and every product x_a x_b (a <= b) at rounds 1..T."""
    reps, _, P = samples.shape
    np.testing.assert_allclose(samples[:, 0], np.broadcast_to(mean[0], (reps, P)), rtol=0, atol=1e-15)
    upper = np.triu_indices(P)
    products = (samples[:, 1:, :, None] * samples[:, 1:, None, :])[:, :, *upper]
    return [z_scores(samples[:, 1:], mean[1:], what), z_scores(products, second[1:][:, *upper], what)]


def assert_agree(z, what):
    """Every z-score below the normal quantile of a Bonferroni correction over all of them."""
    limit = norm.isf(FAMILY_WISE / (2 * sum(x.size for x in z)))
    worst = max(x.max() for x in z)
    assert worst < limit, f"{what}: max |z| = {worst:.2f} >= {limit:.2f}"


def assert_moments_agree(samples, mean, second, what):
    assert_agree(moment_z_scores(samples, mean, second, what), what)


# -- categorical: Wright-Fisher ------------------------------------------------------------------------------

N_WF, P0, WF_ROUNDS = 5, R(3, 10), 4


def wright_fisher():
    """One model on its own outputs, fresh, n = 5: from p_0 it is the neutral two-allele Wright-Fisher chain."""
    return categorical_ecosystem([[R(1, 2), R(1, 2)]], [R(1, 2), R(1, 2)], alpha=1, beta=1, mixing=[[1]], n=N_WF)


def wright_fisher_variance(t):
    """Var p_t = p_0 (1 - p_0) (1 - (1 - 1/n)^t) (E p_t = p_0)."""
    return P0 * (1 - P0) * (1 - (1 - R(1, N_WF)) ** t)


def test_wright_fisher_exact_chain_from_p0_has_the_closed_forms():
    laws = distributions(wright_fisher(), WF_ROUNDS, start=[[P0, 1 - P0]])
    assert laws[0] == {((Fraction(3, 10), Fraction(7, 10)),): 1}  # deterministic round 0
    for t, law in enumerate(laws):
        mean = expectation(law, lambda f: f[0][0])
        assert mean == P0
        assert expectation(law, lambda f: f[0][0] ** 2) - mean**2 == wright_fisher_variance(t)


def test_wright_fisher_moment_recursion_from_p0_has_the_closed_forms():
    for t, (mean, cov) in enumerate(moment_trajectory(wright_fisher(), WF_ROUNDS, start=[[P0, 1 - P0]])):
        assert (mean[0], cov[0, 0]) == (P0, wright_fisher_variance(t))
    exact = numerics.iterate_moments(wright_fisher(), WF_ROUNDS, start=[[0.3, 0.7]])
    np.testing.assert_allclose(exact.mean[:, 0, 0], 0.3, rtol=1e-15)
    variance = [float(wright_fisher_variance(t)) for t in range(WF_ROUNDS + 1)]
    np.testing.assert_allclose(exact.cov[:, 0, 0, 0, 0], variance, rtol=1e-13, atol=1e-16)


def test_wright_fisher_monte_carlo_from_p0():
    mc = numerics.simulate(wright_fisher(), WF_ROUNDS, key=0, replicates=2000, start=[[0.3, 0.7]])
    p = mc.probs[:, :, :, 0]  # (R, T+1, 1): the first allele's frequency
    mean = np.full((WF_ROUNDS + 1, 1), 0.3)
    second = np.array([float(wright_fisher_variance(t) + P0**2) for t in range(WF_ROUNDS + 1)])[:, None, None]
    assert_moments_agree(p, mean, second, "Wright-Fisher")
    assert mc.probs[:, 0, 0, 0].tolist() == [0.3] * 2000


# -- categorical: any ecosystem ------------------------------------------------------------------------------

PAIR = ([[R(1, 2), R(1, 2), 0], [0, R(1, 2), R(1, 2)]], [R(1, 5), R(3, 5), R(1, 5)])
P_START = [[R(1, 2), R(1, 4), R(1, 4)], [R(1, 3), R(1, 3), R(1, 3)]]
CATEGORICAL = {
    "reuse-smoothed": dict(alpha=R(1, 2), beta=R(1, 2), n=4, regime="reuse", smoothing=R(1, 2)),
    "fresh-W": dict(alpha=R(1, 2), beta=R(1, 2), n=2, regime="fresh", mixing=[[R(1, 4), R(3, 4)], [1, 0]]),
    "accumulate": dict(alpha=R(1, 2), beta=1, n=2, regime="accumulate", smoothing=R(1, 2)),
}


def pair(name):
    return categorical_ecosystem(*PAIR, **CATEGORICAL[name])


@pytest.mark.parametrize("name", list(CATEGORICAL))
def test_categorical_moments_from_a_start_equal_the_exact_chain(name):
    """E p and Cov p (every pair of models and categories) of the sympy recursion from p_0 are the expectations
    under the exact law of the chain from p_0, as exact rationals; the jax recursion agrees in float64."""
    eco, rounds, flat = pair(name), 2, [(k, i) for k in range(2) for i in range(3)]
    laws = distributions(eco, rounds, start=P_START)
    trajectory = moment_trajectory(eco, rounds, start=P_START)
    for law, (mean, cov) in zip(laws, trajectory):
        for a, (k, i) in enumerate(flat):
            assert expectation(law, lambda f, k=k, i=i: f[k][i]) == mean[a]
            for b, (l, j) in enumerate(flat):
                second = expectation(law, lambda f, k=k, i=i, l=l, j=j: f[k][i] * f[l][j])
                assert second - mean[a] * mean[b] == cov[a, b]
    exact = numerics.iterate_moments(eco, rounds, start=P_START)
    for t, (mean, cov) in enumerate(trajectory):
        np.testing.assert_allclose(exact.mean[t].ravel(), np.array(mean, dtype=float).ravel(), atol=1e-14)
        np.testing.assert_allclose(exact.cov[t].reshape(6, 6), np.array(cov, dtype=float), atol=1e-14)


def test_categorical_monte_carlo_from_a_start_agrees_with_the_moment_recursion():
    eco, rounds, start = pair("reuse-smoothed"), 3, P_START
    exact = numerics.iterate_moments(eco, rounds, start=start)
    mc = numerics.simulate(eco, rounds, key=1, replicates=600, start=start)
    mean = exact.mean.reshape(rounds + 1, 6)
    second = exact.cov.reshape(rounds + 1, 6, 6) + mean[:, :, None] * mean[:, None, :]
    assert_moments_agree(mc.probs.reshape(600, rounds + 1, 6), mean, second, "categorical reuse")


def test_wright_fisher_chain_from_p0_fixes_the_first_allele_with_probability_p0():
    """The neutral Wright-Fisher chain is a martingale absorbed at 0 or 1: P(fixation) = p_0, though p_0 = 3/10
    is not a state the chain can reach (a multiple of 1/n)."""
    chain = exact_chain(wright_fisher(), start=[[P0, 1 - P0]])
    (first,) = chain.initial
    assert chain.initial[first] == 1 and chain.fits[first] == ((Fraction(3, 10), Fraction(7, 10)),)
    classes, absorption = chain.absorption_probabilities()
    fixed = [c for c, members in enumerate(classes) if chain.fits[members[0]] == ((1, 0),)]
    assert len(classes) == 2 and absorption[first, fixed[0]] == P0


def test_categorical_population_map_from_a_start_equals_the_sympy_map():
    eco = categorical_ecosystem(*PAIR, alpha=R(1, 2), beta=R(1, 2), temperature=R(1, 2), regime="fresh")
    fmap, state = population_map(eco), initial_state(population_map(eco), P_START)
    exact = numerics.iterate_population(eco, 3, start=P_START)
    for t in range(4):
        expected = np.array(fmap.unpack(state)["probs"], dtype=float)
        np.testing.assert_allclose(exact.mean[t], expected, atol=1e-14)
        state = fmap(state)


# -- Poisson -------------------------------------------------------------------------------------------------


def test_poisson_alone_from_a_start_has_the_closed_forms():
    """One model on its own outputs (alpha = 1, W = [[1]], fresh) from lambda_0: E lambda_t = lambda_0 and
    Var lambda_t = t lambda_0 / n (each round adds E lambda / n)."""
    eco = poisson_ecosystem([1], 1, alpha=1, beta=1, mixing=[[1]], n=4, regime="fresh")
    for t, moments in enumerate(poisson_moment_trajectory(eco, 4, start=[3])):
        assert (moments.mean[0], moments.cov[0, 0]) == (3, R(3 * t, 4))
    exact = numerics.iterate_moments(eco, 4, start=[3.0])
    np.testing.assert_allclose(exact.mean[:, 0], 3.0, rtol=1e-15)
    np.testing.assert_allclose(exact.cov[:, 0, 0], [3 * t / 4 for t in range(5)], rtol=1e-14, atol=1e-16)


def poisson_pair(regime):
    return poisson_ecosystem([2, 6], 4, alpha=R(1, 2), beta=R(1, 2), n=5, regime=regime)


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_poisson_moments_from_a_start_equal_the_sympy_recursion(regime):
    eco = poisson_pair(regime)
    exact = numerics.iterate_moments(eco, 3, start=[1, 3])
    trajectory = poisson_moment_trajectory(eco, 3, start=[1, 3])
    fmap = moment_map(eco, 1)
    assert fmap.unpack(initial_state(fmap, [1, 3]))["mean"] == sympy.Matrix([1, 3])
    for t, moments in enumerate(trajectory):
        np.testing.assert_allclose(exact.mean[t], np.array(moments.mean, dtype=float)[:, 0], atol=1e-13)
        np.testing.assert_allclose(exact.cov[t], np.array(moments.cov, dtype=float), atol=1e-13)
    assert (exact.cov[0] == 0).all() and (exact.mean[0] == [1, 3]).all()


def test_poisson_monte_carlo_from_a_start_agrees_with_the_moment_recursion():
    eco, rounds = poisson_pair("reuse"), 3
    exact = numerics.iterate_moments(eco, rounds, start=[1, 3])
    mc = numerics.simulate(eco, rounds, key=2, replicates=600, start=[1, 3])
    second = exact.cov + exact.mean[:, :, None] * exact.mean[:, None, :]
    assert_moments_agree(mc.rates, exact.mean, second, "Poisson reuse")


def test_poisson_population_map_from_a_start():
    eco = poisson_pair("fresh")
    fmap, state = population_map(eco), initial_state(population_map(eco), [1, 3])
    exact = numerics.iterate_population(eco, 3, start=[1, 3])
    for t in range(4):
        np.testing.assert_allclose(exact.mean[t], np.array(fmap.unpack(state)["rates"], dtype=float)[:, 0])
        state = fmap(state)


# -- Gaussian ------------------------------------------------------------------------------------------------


def test_gaussian_alone_from_a_start_has_the_closed_forms():
    """One model on its own outputs (alpha = 1, W = [[1]], fresh, MLE, d = 1) from (m_0, S_0) = (2, 3):
    E m_t = 2, E S_t = 3 (1 - 1/n)^t, Var m_t = sum_s E S_s / n = 3 (1 - (1 - 1/n)^t)."""
    eco = gaussian_ecosystem([[0]], [0], alpha=1, beta=1, mixing=[[1]], n=5, regime="fresh")
    exact = numerics.iterate_moments(eco, 4, start={"mean": [[2]], "cov": [[[3]]]})
    shrink = 0.8 ** np.arange(5)
    np.testing.assert_allclose(exact.mean[:, 0, 0], 2.0, rtol=1e-15)
    np.testing.assert_allclose(exact.fitted_cov[:, 0, 0, 0], 3 * shrink, rtol=1e-14)
    np.testing.assert_allclose(exact.mean_cov[:, 0, 0, 0, 0], 3 * (1 - shrink), rtol=1e-14, atol=1e-16)


GAUSSIAN_START = {"mean": [[1, 2], [R(1, 2), -1]], "cov": [[[2, R(1, 2)], [R(1, 2), 1]], [[1, 0], [0, R(1, 4)]]]}


def gaussian_pair(regime, estimator="unbiased"):
    covs = [[[1, R(1, 3)], [R(1, 3), 2]], [[R(1, 2), 0], [0, 1]]]
    options = dict(alpha=R(1, 2), beta=R(1, 2), n=6, regime=regime, estimator=estimator)
    return gaussian_ecosystem([[3, 0], [0, 1]], [1, -1], covs=covs, **options)


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_gaussian_moments_from_a_start_equal_the_sympy_moment_map(regime):
    """E m, Cov m and E S of the jax recursion from (m_0, S_0) equal the sympy moment map iterated from
    initial_state(fmap, start) (its moments of a deterministic fit), round by round."""
    eco, rounds = gaussian_pair(regime), 2
    exact = numerics.iterate_moments(eco, rounds, start=GAUSSIAN_START)
    state = initial_state(moment_map(eco, 1), GAUSSIAN_START)
    for t in range(rounds + 1):
        fmap = moment_map(eco, max(t, 1))
        moments = Moments(**fmap.unpack(state))
        np.testing.assert_allclose(exact.mean[t].ravel(), np.array(moments.mean, dtype=float)[:, 0], atol=1e-13)
        np.testing.assert_allclose(exact.mean_cov[t].reshape(4, 4), np.array(moments.cov, dtype=float), atol=1e-13)
        fitted = np.array(fitted_covariance(eco, moments), dtype=float).reshape(2, 2, 2)
        np.testing.assert_allclose(exact.fitted_cov[t], fitted, atol=1e-13)
        state = moment_map(eco, t + 1)(state)
    assert (exact.mean_cov[0] == 0).all()


def test_gaussian_monte_carlo_from_a_start_agrees_with_the_moment_recursion():
    eco, rounds, reps = gaussian_pair("reuse"), 3, 600
    exact = numerics.iterate_moments(eco, rounds, start=GAUSSIAN_START)
    mc = numerics.simulate(eco, rounds, key=3, replicates=reps, start=GAUSSIAN_START)
    mean = exact.mean.reshape(rounds + 1, 4)
    second = exact.mean_cov.reshape(rounds + 1, 4, 4) + mean[:, :, None] * mean[:, None, :]
    z = moment_z_scores(mc.means.reshape(reps, rounds + 1, 4), mean, second, "Gaussian means")
    np.testing.assert_allclose(mc.covs[:, 0], np.broadcast_to(exact.fitted_cov[0], (reps, 2, 2, 2)), atol=1e-15)
    z.append(z_scores(mc.covs[:, 1:], exact.fitted_cov[1:], "Gaussian covariances"))
    assert_agree(z, "Gaussian reuse")


def test_gaussian_population_map_from_a_start_equals_the_sympy_map():
    eco = gaussian_pair("fresh")
    fmap, state = population_map(eco), initial_state(population_map(eco), GAUSSIAN_START)
    exact = numerics.iterate_population(eco, 3, start=GAUSSIAN_START)
    for t in range(4):
        parts = fmap.unpack(state)
        np.testing.assert_allclose(exact.mean[t].ravel(), np.array(parts["mean"], dtype=float)[:, 0], atol=1e-13)
        np.testing.assert_allclose(exact.fitted_cov[t].reshape(4, 2), np.array(parts["cov"], dtype=float), atol=1e-13)
        state = fmap(state)


# -- linear-Gaussian -----------------------------------------------------------------------------------------


def linear_alone(regime):
    """K = 1, d = 1: private Gram 2 (n~ = 4), public Gram 1 (n_* = 6), synthetic Gram 1 (m = 5), sigma^2 = 3,
    theta* = 1, alpha = beta = 1/2."""
    options = dict(alpha=R(1, 2), beta=R(1, 2), mixing=[[1]], n=5, regime=regime, noise_var=3)
    return linear_ecosystem([1], [Design([[2]], 4)], Design([[1]], 6), synthetic=[[1]], **options)


@pytest.mark.parametrize("regime", ["reuse", "fresh"])
def test_linear_round_one_from_a_start_has_the_closed_form(regime):
    """From theta_0 = 3: A_1 = 1/4 * 2 + 1/4 * 1 + 1/2 * 1 = 5/4, so theta_1 = 2/5 b~ + 1/5 b_* + 2/5 (theta_0 + X^+ w)
    with Var b~ = 3 / (4 * 2), Var b_* = 3 / 6, Var X^+ w = 3 / 5: E theta_1 = 2/5 + 1/5 + 6/5 = 9/5 and
    Var theta_1 = 4/25 * 3/8 + 1/25 * 1/2 + 4/25 * 3/5 = 22/125 (b is independent of the start in both regimes)."""
    eco = linear_alone(regime)
    data = linear_data(eco)
    expected = [(3, 0), (R(9, 5), R(22, 125))]
    for moments, (mean, variance) in zip(exact_moments(eco, 1, start=[[3]]), expected):
        assert parameter_moments(eco, data, moments) == (sympy.Matrix([[mean]]), sympy.Matrix([[variance]]))
    exact = numerics.iterate_moments(eco, 1, start=[[3]])
    np.testing.assert_allclose(exact.mean[:, 0, 0], [3, 1.8], rtol=1e-15)
    np.testing.assert_allclose(exact.cov[:, 0, 0, 0, 0], [0, 0.176], rtol=1e-14, atol=0)


LINEAR_START = [[1, -2], [R(1, 2), 3]]


def linear_pair(regime):
    """K = 2, d = 2, a rank-deficient private design, W not uniform."""
    private = [Design([[2, 1], [1, 1]], 4), Design([[1, 0], [0, 0]], 3)]
    public = Design([[1, 0], [0, 2]], 5)
    options = dict(alpha=R(1, 2), beta=R(2, 3), n=4, regime=regime, mixing=[[R(3, 4), R(1, 4)], [R(1, 2), R(1, 2)]])
    return linear_ecosystem([1, R(1, 2)], private, public, synthetic=[[2, 0], [0, 1]], noise_var=2, **options)


@pytest.mark.parametrize("regime", ["reuse", "fresh", "accumulate"])
def test_linear_moments_from_a_start_equal_the_sympy_moment_map(regime):
    """E theta and Cov theta of the jax recursion from theta_0 equal those of the sympy moment map iterated from
    initial_state(fmap, start) (M_0 = 0, c_0 = theta_0, C_0 = 0), round by round, and exact_moments from it."""
    eco, rounds = linear_pair(regime), 2
    exact = numerics.iterate_moments(eco, rounds, start=LINEAR_START)
    data = linear_data(eco)
    fmap = moment_map(eco, 1)
    state = initial_state(fmap, LINEAR_START)
    for t, moments in enumerate(exact_moments(eco, rounds, start=LINEAR_START)):
        parts = fmap.unpack(state)
        mean, cov = parameter_moments(eco, data, type(moments)(**parts))
        assert (mean, cov) == parameter_moments(eco, data, moments)
        np.testing.assert_allclose(exact.mean[t].ravel(), np.array(mean, dtype=float)[:, 0], atol=1e-13)
        np.testing.assert_allclose(exact.cov[t].reshape(4, 4), np.array(cov, dtype=float), atol=1e-13)
        state = fmap(state)
    assert (exact.cov[0] == 0).all() and (exact.mean[0] == [[1, -2], [0.5, 3]]).all()


@pytest.mark.parametrize("regime", ["reuse", "accumulate"])
def test_linear_monte_carlo_from_a_start_agrees_with_the_moment_recursion(regime):
    eco, rounds, reps = linear_pair(regime), 3, 600
    exact = numerics.iterate_moments(eco, rounds, start=LINEAR_START)
    mc = numerics.simulate(eco, rounds, key=4, replicates=reps, start=LINEAR_START)
    mean = exact.mean.reshape(rounds + 1, 4)
    second = exact.cov.reshape(rounds + 1, 4, 4) + mean[:, :, None] * mean[:, None, :]
    assert_moments_agree(mc.thetas.reshape(reps, rounds + 1, 4), mean, second, f"linear {regime}")


def test_linear_population_map_from_a_start_equals_the_sympy_map():
    eco = linear_pair("accumulate")
    fmap, state = population_map(eco), initial_state(population_map(eco), LINEAR_START)
    exact = numerics.iterate_population(eco, 3, start=LINEAR_START)
    for t in range(4):
        np.testing.assert_allclose(exact.mean[t].ravel(), np.array(fmap.unpack(state)["theta"], dtype=float)[:, 0])
        state = fmap(state)
    assert (exact.cov == 0).all()


# -- values as inputs ---------------------------------------------------------------------------------------


def test_a_new_start_value_does_not_recompile():
    """A start is an input of the compiled recursions and simulators: a second start value of the same structure
    reuses the trace of the first (the cache of traces does not grow)."""
    cases = [
        (
            pair("fresh-W"),
            P_START,
            [[1, 0, 0], [0, 0, 1]],
            lambda eco: nc_iterate.moment_program(nc_steps.structure(eco)),
        ),
        (poisson_pair("reuse"), [1, 3], [5, 0], lambda eco: np_iterate.moment_recursion(np_iterate.structure(eco))),
        (
            gaussian_pair("reuse"),
            GAUSSIAN_START,
            {"mean": [[0, 0], [1, 1]], "cov": [[[1, 0], [0, 1]], [[0, 0], [0, 0]]]},
            lambda eco: ng_iterate._structured_recursion(ng_step.structure(eco), 2, False, "states"),
        ),
        (
            linear_pair("reuse"),
            LINEAR_START,
            [[0, 0], [2, 1]],
            lambda eco: nl_iterate.moment_program(nl_steps.structure(eco)),
        ),
    ]
    for eco, first, second, program in cases:
        numerics.iterate_moments(eco, 2, start=first)
        traced = program(eco)._cache_size()
        numerics.iterate_moments(eco, 2, start=second)
        assert program(eco)._cache_size() == traced, eco.family.name
    eco = poisson_pair("reuse")
    run = np_monte_carlo.compiled_simulation(eco, 2, start=[1, 3])[0]
    numerics.simulate(eco, 2, key=0, replicates=4, start=[1, 3])
    traced = run._cache_size()
    numerics.simulate(eco, 2, key=1, replicates=6, start=[2, 2])
    assert run._cache_size() == traced
    eco = linear_pair("accumulate")
    run = nl_monte_carlo.compiled_simulation(eco).func
    numerics.simulate(eco, 2, key=0, replicates=4, start=LINEAR_START)
    traced = run._cache_size()
    numerics.simulate(eco, 2, key=1, replicates=6, start=[[0, 0], [2, 1]])
    assert run._cache_size() == traced


# -- bad starts ----------------------------------------------------------------------------------------------

BAD = {
    "categorical wrong shape": (lambda: pair("fresh-W"), [[0.5, 0.5, 0.0]], "start: expected K x m = 2 x 3"),
    "categorical a vector": (lambda: pair("fresh-W"), [0.5, 0.5, 0.0], "start: expected K x m"),
    "categorical ragged": (lambda: pair("fresh-W"), [[0.5, 0.5], [1, 0, 0]], "start: must be a rectangular"),
    "categorical not summing": (lambda: pair("fresh-W"), [[0.5, 0.4, 0], [0, 0, 1]], "start: row \\[0\\] must sum"),
    "categorical negative": (lambda: pair("fresh-W"), [[1.5, -0.5, 0], [0, 0, 1]], "start: probabilities must"),
    "categorical not a number": (lambda: pair("fresh-W"), [["a", 1, 0], [0, 0, 1]], "start: expected a number"),
    "poisson negative rate": (lambda: poisson_pair("fresh"), [1, -2], "start: rates must be >= 0"),
    "poisson wrong shape": (lambda: poisson_pair("fresh"), [1, 2, 3], "start: expected K = 2 rates"),
    "poisson not finite": (lambda: poisson_pair("fresh"), [1, float("nan")], "start: must be finite"),
    "linear wrong shape": (lambda: linear_pair("fresh"), [1, -2, 0.5, 3], "start: expected K x d = 2 x 2"),
    "linear ragged": (lambda: linear_pair("fresh"), [[1, -2], [3]], "start: must be a rectangular"),
    "linear not finite": (lambda: linear_pair("fresh"), [[1, float("inf")], [0, 0]], "start: must be finite"),
    "linear not a number": (lambda: linear_pair("fresh"), [[1, "x"], [0, 0]], "start: expected a number"),
    "gaussian not a mapping": (lambda: gaussian_pair("fresh"), [[1, 2], [3, 4]], 'start: expected {"mean"'),
    "gaussian no cov": (lambda: gaussian_pair("fresh"), {"mean": [[1, 2], [3, 4]]}, 'start: expected {"mean"'),
    "gaussian wrong means": (
        lambda: gaussian_pair("fresh"),
        {**GAUSSIAN_START, "mean": [1, 2]},
        "start: expected means K x d = 2 x 2",
    ),
    "gaussian not PSD": (
        lambda: gaussian_pair("fresh"),
        {**GAUSSIAN_START, "cov": [[[1, 2], [2, 1]], [[1, 0], [0, 1]]]},
        "start: covariance \\[0\\] must be positive semi-definite",
    ),
    "gaussian not symmetric": (
        lambda: gaussian_pair("fresh"),
        {**GAUSSIAN_START, "cov": [[[1, 0], [0, 1]], [[1, 0.5], [0, 1]]]},
        "start: covariance \\[1\\] must be symmetric",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
@pytest.mark.parametrize("verb", ["iterate_moments", "iterate_population", "simulate"])
def test_bad_start_is_a_spec_error_naming_start(case, verb):
    make, start, message = BAD[case]
    arguments = {"key": 0, "replicates": 2} if verb == "simulate" else {}
    with pytest.raises(SpecError, match=message):
        getattr(numerics, verb)(make(), 2, start=start, **arguments)


def test_bad_start_in_the_theory_is_a_spec_error_naming_start():
    with pytest.raises(SpecError, match="start: row \\[1\\] must sum"):
        distributions(pair("fresh-W"), 1, start=[[1, 0, 0], [R(1, 3), R(1, 3), R(1, 2)]])
    with pytest.raises(SpecError, match="start: rates must be >= 0"):
        initial_state(population_map(poisson_pair("fresh")), [1, -1])


def test_the_verbs_doctest():
    assert doctest.testmod(verbs, verbose=False).failed == 0


def test_every_family_takes_a_start():
    """The verbs pass ``start`` to every registered family's hooks, and the theory's initial_state to its own:
    each accepts it (and handles it or refuses it with a SpecError)."""
    for family in numerics_registry.families():
        for verb in ("iterate_moments", "iterate_population", "simulate"):
            assert "start" in inspect.signature(getattr(family, verb)).parameters, (family.name, verb)
    for family in theory_registry.families():
        assert "start" in inspect.signature(family.initial_state).parameters, family.name
