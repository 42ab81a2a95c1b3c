"""Validation against Kanabar & Gastpar, "Model non-collapse" (IEEE Trans. Inf. Theory 2026): learners that know
the synthetic share.

Our reading of their setting (the paper's exact estimator was not at hand; :mod:`theory.gaussian.debiased` says
which estimator the library implements): a learner that knows the share alpha of synthetic data in its training
set can subtract the synthetic part's known pull towards the previous fits, (1 - real share) times them, and average
its rounds by inverse variance; with fresh real data every round it then keeps learning (its error goes to 0 like
1 / t), where the plain refit's error stalls at a positive floor (collapse). Everything here is computed by the
library: the exact recursion (``numerics.iterate_moments`` for ``estimator="debiased"``, the sympy
``debiased_map``), the Monte Carlo of the actual sampling process (``numerics.simulate``: draws the samples, refits,
subtracts, averages), the plain estimator's exact trajectory; nothing is a formula typed into the test but the
unrolled second derivation of test_unrolled_inverse_variance_average.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest
import sympy
from monte_carlo_checks import assert_gaussian_trajectory_agrees

from interplay.numerics.gaussian import iterate_moments, simulate
from interplay.numerics.gaussian.debiased import debiased_trajectory
from interplay.theory import Ecosystem, debiasing
from interplay.theory.gaussian import debiased
from interplay.theory.gaussian.maps import moment_map
from interplay.theory.rounds import plan_at
from interplay.theory.spec import SpecError

ROUNDS = 10
REPLICATES = 4000  # SE of Var m at round 10 ~ sqrt(2 / R) Var m: 2 % of it, far below a mutant's shift
W = [["7/10", "3/10"], ["2/5", "3/5"]]


def single(alpha="4/5", estimator="debiased", **options):
    options = {"beta": "1/2", "n": 10, "regime": "fresh", **options}
    return Ecosystem.gaussian(means=[[1]], public_mean=[0], alpha=alpha, mixing=[[1]], estimator=estimator, **options)


def pair(regime="fresh", **options):
    options = {"alpha": "3/5", "beta": "1/2", "n": 12, "mixing": W, "estimator": "debiased", **options}
    return Ecosystem.gaussian(means=[[1], [-1]], public_mean=["1/2"], regime=regime, **options)


def bonferroni(comparisons: int, family_error: float = 1e-3) -> float:
    """The |z| a comparison may reach when ``comparisons`` of them share the family-wise error."""
    return NormalDist().inv_cdf(1 - family_error / (2 * comparisons))


def comparisons(eco) -> int:
    """E m, E S and Cov m entries compared at each of the rounds 0..ROUNDS (assert_gaussian_trajectory_agrees)."""
    Kd = eco.K * eco.dim
    return (ROUNDS + 1) * (Kd + eco.K * eco.dim**2 + Kd * Kd)


def largest_z(mc, exact) -> float:
    """max |z| of the Monte Carlo's E m and Cov m against ``exact`` over every round (a mutant's distance)."""
    R = mc.means.shape[0]
    worst = 0.0
    for t in range(mc.means.shape[1]):
        m = mc.means[:, t].reshape(R, -1)
        centred = m - exact.mean[t].ravel()
        products = (centred[:, :, None] * centred[:, None, :]).reshape(R, -1)
        for samples, value in ((m, exact.mean[t].ravel()), (products, exact.mean_cov[t].ravel())):
            se = samples.std(0, ddof=1) / np.sqrt(R)
            worst = max(worst, float(np.max(np.abs(samples.mean(0) - value) / se)))
    return worst


@pytest.fixture(scope="module")
def simulated():
    """Monte Carlo of K = 1 (fresh) and K = 2 (W non-trivial, fresh and reuse), 10 rounds, fixed seeds."""
    cases = {"single": single(), "pair fresh": pair(), "pair reuse": pair("reuse")}
    return {
        name: (eco, simulate(eco, ROUNDS, seed, replicates=REPLICATES, method="raw"))
        for seed, (name, eco) in enumerate(cases.items())
    }


@pytest.mark.parametrize("case", ["single", "pair fresh", "pair reuse"])
def test_debiased_recursion_matches_monte_carlo(simulated, case):
    """The exact recursion of the debiased estimator (E m, E S, Cov m within and across models) agrees with the
    Monte Carlo of the sampling process at every round 0..10, Bonferroni over all comparisons of the case."""
    eco, mc = simulated[case]
    assert_gaussian_trajectory_agrees(mc, iterate_moments(eco, ROUNDS), z_limit=bonferroni(comparisons(eco)))


@pytest.mark.parametrize(
    "mutant",
    [
        ("real_scale", lambda eco, plan, ops: ops.eye(eco.K * eco.dim)),  # no division by the real share 1 - alpha
        ("round_precision", lambda eco, plan, nu, ops: [1] * eco.K),  # every round weighed alike, not by 1 / Var
    ],
    ids=["no division by 1 - alpha", "equal round weights"],
)
def test_a_mutant_recursion_fails_the_monte_carlo(simulated, monkeypatch, mutant):
    """Each deliberate bug in the recursion puts the Monte Carlo far outside its SE bands (|z| reported)."""
    eco, mc = simulated["pair fresh"]
    monkeypatch.setattr(debiasing, *mutant)
    z = largest_z(mc, iterate_moments(eco, ROUNDS))
    print(f"mutant {mutant[0]}: max |z| = {z:.1f}")
    assert z > 2 * bonferroni(comparisons(eco))


def test_sympy_recursion_equals_the_jax_one_in_rationals():
    """Second derivation, exact: the sympy map iterated in rationals (K = 2, reuse: the cross-covariance terms)
    equals the float64 trajectory to rounding, and the precision grows by exactly (1 - alpha)^2 / nu each round."""
    eco = pair("reuse")
    fmap = debiased.debiased_map(eco)
    state = debiased.debiased_initial_state(fmap)
    exact = iterate_moments(eco, 4)
    for t in range(5):
        parts = fmap.unpack(state)
        assert all(x.is_Rational for x in state)
        np.testing.assert_allclose(np.array(parts["cov"], dtype=float), exact.mean_cov[t].reshape(2, 2), rtol=1e-12)
        np.testing.assert_allclose(np.array(parts["mean"], dtype=float).ravel(), exact.mean[t].ravel(), rtol=1e-12)
        state = fmap(state)
    P = [fmap.unpack(debiased.debiased_initial_state(fmap))["precision"], fmap.unpack(state)["precision"]]
    nu = fmap.unpack(state)["nu"]
    assert P[1] - P[0] == 5 * (1 - sympy.Rational(3, 5)) ** 2 * nu.applyfunc(lambda v: 1 / v)


def test_unrolled_inverse_variance_average():
    """Second derivation, unrolled: under fresh data the round estimates u_s are uncorrelated, so the debiased
    mean is sum_s (p_s / P_t) u_s and Var m_t = sum_s (p_s / P_t)^2 Var u_s, with Var u_s = [sum over real
    sources w^2 sigma^2 / N + alpha^2 E S_{s-1} / N_syn] / (1 - alpha)^2 from the sample sizes of theory.rounds."""
    eco = single()
    exact = iterate_moments(eco, ROUNDS)
    plans = [plan_at(eco, t) for t in range(ROUNDS + 1)]
    weights, variances = [], []
    for t, plan in enumerate(plans):
        real = float(plan.w_private[0, 0] ** 2 / plan.n_private[0, 0] + plan.w_public[0, 0] ** 2 / plan.n_public[0, 0])
        synthetic = 0.0 if t == 0 else float(plan.w_synthetic[0, 0] ** 2 / plan.n_synthetic[0, 0])
        share = float(plan.w_private[0, 0] + plan.w_public[0, 0])
        previous_S = 0.0 if t == 0 else exact.fitted_cov[t - 1, 0, 0, 0]
        weights.append(share**2 / (real + synthetic))
        variances.append((real + synthetic * previous_S) / share**2)
        p = np.array(weights) / sum(weights)
        assert exact.mean_cov[t, 0, 0, 0, 0] == pytest.approx(float(p**2 @ np.array(variances)), rel=1e-12)


def mean_square_error(eco, mean, mean_cov):
    """E||m_t - target||^2 per round of model 0 from an exact trajectory's E m and Cov m, the target its real
    mixture beta mu + (1 - beta) mu_public (theory.gaussian.debiased.real_target)."""
    target = float(debiased.real_target(eco)[0, 0])
    return mean_cov[:, 0, 0, 0, 0] + (mean[:, 0, 0] - target) ** 2


def test_non_collapse_single_model(simulated):
    """The single-model result, from the general maps: under fresh real data (alpha = 4/5, n = 10) the plain MLE
    refit's mean-square error settles at a positive floor, above its initial fit's (collapse: it stops learning);
    the debiased estimator's precision P_t grows linearly (by (1 - alpha)^2 / nu each round) and its MSE stays
    within 20 % of 1 / P_t, so it falls like 1 / t and ends far below the floor; the Monte Carlo's debiased MSE
    at round 10 agrees with the exact one."""
    rounds = 80
    plain_trajectory = iterate_moments(single(estimator="mle"), rounds)
    plain = mean_square_error(single(), plain_trajectory.mean, plain_trajectory.mean_cov)
    centred_mean, _, mean_cov, precision = debiased_trajectory(single(), rounds)  # centred: the public mean is 0
    debiased_mse = mean_square_error(single(), centred_mean, mean_cov)
    precision = precision[:, 0]
    assert plain[-1] > plain[0] and abs(plain[-1] - plain[rounds // 2]) < 1e-9 * plain[-1]
    assert np.all(np.diff(debiased_mse) < 0)
    steps = np.diff(precision)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-12)
    assert np.all(np.abs(debiased_mse * precision - 1) < 0.2)
    assert debiased_mse[-1] < plain[-1] / 10
    eco, mc = simulated["single"]
    errors = (mc.means[:, ROUNDS, 0, 0] - float(debiased.real_target(eco)[0, 0])) ** 2
    se = errors.std(ddof=1) / np.sqrt(errors.size)
    assert abs(errors.mean() - debiased_mse[ROUNDS]) < bonferroni(1) * se


@pytest.mark.parametrize(
    "make, parameter",
    [
        (lambda: single(alpha=1), "alpha"),
        (lambda: single(alpha=["1/2", 1]), "alpha"),
        (lambda: pair(alpha={"per_model": ["1/2", 1]}), "alpha"),
        (lambda: pair(composition="mixture"), "composition"),
        (lambda: pair(pool="split"), "pool"),
        (lambda: pair(pool="shared"), "pool"),
        (lambda: pair(regime="accumulate"), "regime"),
        (lambda: pair(n=None), "n"),
        (lambda: pair(estimator={"per_model": ["debiased", "mle"]}), "estimator.per_model"),
        (lambda: moment_map(pair()), "estimator"),
        (lambda: debiased.debiased_map(pair(estimator="mle")), "estimator"),
        (lambda: iterate_moments(pair(), 2, summaries=True), "summaries"),
        (lambda: simulate(single(), 2, 0, replicates=2, start={"mean": [[0]], "cov": [[[1]]]}), "start"),
    ],
)
def test_bad_inputs_name_the_parameter(make, parameter):
    with pytest.raises(SpecError) as error:
        make()
    assert error.value.parameter == parameter
    assert "\n" not in str(error.value)
