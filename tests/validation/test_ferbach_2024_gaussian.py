"""Ferbach, Bertrand, Bose & Gidel 2024 ("Self-consuming generative models with curated data provably optimize human
preferences") for Gaussians: the threshold curation of issue 15, each kept synthetic sample x > c, a draw of the
model's N(m, s^2) truncated to (c, inf) (:mod:`theory.curation`), in d = 1.

Mapping: model 0 is the paper's single model (alpha_0 = 1, W[0] = (1, 0): only its own curated outputs, the paper's
lambda = 0); model 1 keeps real data (alpha_1 = 1/2) and scrapes model 0's curated outputs and its own uncurated
ones through W[1] = (1/2, 1/2): what curating one model does to another. The truncated moments are checked against
numerical integration (the second derivation), the sympy population map against its jax twin, one round of the
Monte Carlo (truncated normals drawn by the inverse CDF) against the exact moments of a round from a given fit, and
the long run against the invariant derived from the map: I = 2 s^2 + (m - c)^2 falls by exactly s^2 lambda^2 each
round, so the mean rises but stays below c + sqrt(I_0) and converges, while s^2 -> 0 as (m_inf - c)^2 / delta_t^2,
delta_t^2 = 2 log t + 6 log delta_t - 2 log(2 sqrt(2 pi)) + o(1) (delta = (m - c) / s).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from monte_carlo_checks import Z, assert_mean_agrees, mean_gap
from scipy import integrate, stats

from interplay.numerics.gaussian import iterate_population, monte_carlo, simulate, step
from interplay.numerics.gaussian.derive import numerical_population
from interplay.numerics.gaussian.iterate import iterate_moments
from interplay.theory import long_run
from interplay.theory.analysis import NoUniqueFixedPoint
from interplay.theory.curation import Threshold, sympy_inverse_mills, truncated_moments
from interplay.theory.gaussian import maps
from interplay.theory.gaussian.maps import Fit, gaussian_ecosystem, population_map, round_from_fit
from interplay.theory.spec import SpecError

C = sympy.Rational(1, 2)
CURATED = {"threshold": C}
START = {"mean": [[0], ["1/2"]], "cov": [[[1]], [["3/2"]]]}
N, REPLICATES = 40, 10000


def ecosystem(n=N, **changes):
    options = {
        "alpha": {"per_model": [1, "1/2"]},
        "beta": 0,
        "mixing": [[1, 0], ["1/2", "1/2"]],
        "n": n,
        "regime": "fresh",
        "curation": {"per_model": [CURATED, None]},
    }
    return gaussian_ecosystem([[0], [0]], [0], **(options | changes))


def single(alpha=1, threshold=1):
    return gaussian_ecosystem([[0]], [0], alpha=alpha, beta=0, mixing=[[1]], curation={"threshold": threshold})


@pytest.mark.parametrize(("m", "s2", "c"), [(0, 1, 1), (2, "1/4", -1), (-1, 2, 3)])
def test_truncated_moments_are_the_integrals_of_the_truncated_density(m, s2, c):
    """E[x | x > c] and Var[x | x > c] of N(m, s^2) in closed form (erfc) equal numerical integration of the density
    over (c, inf) (scipy.integrate.quad), the second derivation; a cut far in the tail (a = 2.83) included."""
    m, s2, c = (sympy.sympify(x) for x in (m, s2, c))
    mean, var = (float(x) for x in truncated_moments(m, s2, c, sympy.sqrt, sympy_inverse_mills))
    law = stats.norm(float(m), float(sympy.sqrt(s2)))

    def moment(power):
        return integrate.quad(lambda x: x**power * law.pdf(x), float(c), np.inf, epsabs=0, epsrel=1e-13)[0]

    kept = moment(0)
    np.testing.assert_allclose(mean, moment(1) / kept, rtol=1e-11)
    np.testing.assert_allclose(var, moment(2) / kept - (moment(1) / kept) ** 2, rtol=1e-9)


def test_population_map_sympy_equals_jax_and_curating_model_0_moves_model_1():
    """The exact population map (sympy, erfc) and the jax step agree at a point; model 0's curated outputs raise
    the mean model 1 fits through W[1, 0], which the same ecosystem uncurated does not."""
    eco = ecosystem(n=None)
    fmap = population_map(eco)
    point = [sympy.Rational(1, 3), sympy.Rational(-1, 5), sympy.Rational(4, 5), sympy.Rational(3, 2)]
    state = dict(zip(fmap.state, point))
    exact = np.array([float(x) for x in fmap(point)])
    shape, values = step.structure(eco), step.values(eco)
    plan = step.round_plan(values, jnp.array([1.0, 0.5]), 0.0, None, False)
    means = jnp.array([float(state[s]) for s in fmap.state if str(s).startswith("m")])[:, None]
    covs = jnp.array([float(state[s]) for s in fmap.state if str(s).startswith("S")])[:, None]
    new = jax.jit(step.population_step, static_argnums=0)(shape, values, Fit(means, covs), plan, 1.0)
    numeric = np.concatenate([np.asarray(new.mean)[:, 0], np.asarray(new.cov)[:, 0]])
    order = [str(s)[0] for s in fmap.state]  # m_{11}, m_{21}, S1_{11}, S2_{11}
    assert order == ["m", "m", "S", "S"]
    np.testing.assert_allclose(numeric, exact, rtol=1e-13)
    uncurated = population_map(eco.with_options(curation=None))
    shift = float(fmap(point)[1] - uncurated(point)[1])
    lifted = float(truncated_moments(point[0], point[2], C, sympy.sqrt, sympy_inverse_mills)[0] - point[0])
    np.testing.assert_allclose(shift, lifted / 4, rtol=1e-13)  # w_10 = alpha_1 W[1, 0] = 1/4
    assert shift > 0.1


def test_curated_mean_rises_but_converges_below_the_invariant_bound():
    """Synthetic data only (alpha = 1): every round raises the mean and shrinks the variance; I = 2 s^2 + (m - c)^2
    falls by exactly s^2 lambda^2 (sympy identity), so m_t < c + sqrt(I_0) forever and the mean converges (not to
    infinity: once m - c >> s nearly nothing is cut); s^2 -> 0 only logarithmically, delta_t^2 - (2 log t + 6 log
    delta_t - 2 log(2 sqrt(2 pi))) -> 0."""
    m, c = sympy.symbols("m c", real=True)
    s = sympy.Symbol("s", positive=True)
    new_mean, new_var = truncated_moments(m, s**2, c, sympy.sqrt, sympy_inverse_mills)
    ratio = sympy_inverse_mills((c - m) / s)
    drop = 2 * s**2 + (m - c) ** 2 - (2 * new_var + (new_mean - c) ** 2) - s**2 * ratio**2
    assert sympy.expand(drop) == 0

    T = 10_000
    path = iterate_population(single(), T)
    mean, var = path.centred_mean[:, 0, 0], path.fitted_cov[:, 0, 0, 0]
    assert np.all(np.diff(mean) > 0) and np.all(np.diff(var) < 0)
    invariant = 2 * var + (mean - 1) ** 2
    lam = np.asarray(step.inverse_mills((1 - mean[1:-1]) / np.sqrt(var[1:-1])))
    rounding = 8 * np.finfo(float).eps * invariant[0]  # a difference of two I's of float64 (I <= I_0 = 3)
    np.testing.assert_allclose(-np.diff(invariant[1:]), var[1:-1] * lam**2, rtol=1e-9, atol=rounding)
    assert mean[-1] < 1 + np.sqrt(invariant[0])  # 1 + sqrt(3)
    room = np.sqrt(invariant) - (mean - 1)  # m_inf - m_t <= room_t (I only falls): it shrinks to 0
    assert np.all(room > 0) and np.all(np.diff(room) < 0) and room[T] < 0.035  # ~ (m_inf - c) / delta^2
    delta = (mean - 1) / np.sqrt(var)
    for t in (1000, T):
        law = 2 * np.log(t) + 6 * np.log(delta[t]) - 2 * np.log(2 * np.sqrt(2 * np.pi))
        assert abs(delta[t] ** 2 - law) < 0.2, (t, delta[t] ** 2, law)


def test_real_data_give_a_stable_fixed_point_above_the_data():
    """alpha = 1/2 of real N(0, 1) data each round: derive's numerical population (numerics.gaussian.derive: Anderson
    on the compiled map from the round-0 fit) finds a fixed point, stable (the autodiff multipliers inside the unit
    circle), where m = E[x | x > 1] / 2 (scipy's normal law) and s^2 = 1 + c m (the fitted variance of the pool);
    with curated outputs alone it reports no fixed point (the map is the identity to rounding far above c)."""
    population = numerical_population(single(alpha="1/2"))[0]
    point = population["fixed_points"][0]
    (m,), (v,) = point["mean"], point["cov"]
    assert point["stable"] and 0 < point["spectral_radius"] < 1
    curated_mean = float(truncated_moments(m, v, 1.0, np.sqrt, lambda a: stats.norm.pdf(a) / stats.norm.sf(a))[0])
    np.testing.assert_allclose(m, curated_mean / 2, rtol=1e-12)
    np.testing.assert_allclose(v, 1 + m, rtol=1e-12)
    assert 0 < m < curated_mean
    with pytest.raises(NoUniqueFixedPoint, match="identity to rounding"):
        numerical_population(single())


def _one_round():
    eco = ecosystem()
    mc = simulate(eco, 1, key=15, replicates=REPLICATES, method="raw", start=START)
    fit = maps.start_state(eco, START)
    return eco, mc, fit


def _exact(eco, fit):
    moments = round_from_fit(eco, fit)
    evaluate = np.vectorize(lambda x: float(sympy.N(x, 30)))
    return (
        evaluate(np.array(moments.mean.tolist(), dtype=object))[:, 0],
        evaluate(np.array(maps.fitted_covariance(eco, moments).tolist(), dtype=object))[:, 0],
        evaluate(np.array(moments.cov.tolist(), dtype=object)),
    )


def test_monte_carlo_round_matches_the_exact_round_and_a_mutant_fails(monkeypatch):
    """One round of n = 40 from a given fit (the truncated draws by the inverse CDF; the sufficient method routes
    that kind raw too, the raw method compiles faster): E m, E S and Cov m of both models within Z = 4 standard
    errors (8 comparisons: family-wise two-sided 8 x 6.3e-5 = 5e-4) of the exact moments of a round from that fit
    (exact at any n: a fit sees its sources' means and scatters only). A mutant with the wrong sign of lambda in the
    theory fails."""
    eco, mc, fit = _one_round()
    mean, var, cov = _exact(eco, fit)
    means, covs = mc.means[:, 1, :, 0], mc.covs[:, 1, :, 0, 0]
    assert_mean_agrees(means, mean, "E m")
    assert_mean_agrees(covs, var, "E S")
    centred = means - mean
    assert_mean_agrees(centred[:, :, None] * centred[:, None, :], cov, "Cov m")
    routes = dict(monte_carlo._raw_kinds("sufficient", monte_carlo._largest_for_any_schedule(eco)))
    assert routes == {"curated": N}  # the curated kind raw, the real sources by sufficient statistics
    assert mean[0] > 1  # model 0: E[x | x > 1/2] of N(0, 1); model 1 lifted through W[1, 0]
    assert mean[1] > float(START["mean"][1][0].replace("1/2", "0.5")) / 2

    monkeypatch.setattr(maps, "sympy_inverse_mills", lambda a: -sympy_inverse_mills(a))
    wrong = _exact(eco, fit)[0]
    gap, se = mean_gap(means, wrong)
    z = gap / se
    print(f"mutant (wrong sign of lambda): |z| = {z.max():.1f}")
    assert z.max() > Z


def test_threshold_curation_is_refused_where_it_has_no_map():
    """d > 1, a best-of table on a Gaussian, a threshold on a categorical, the finite-n moment recursion (sympy and
    jax), the theory's closed-form long run, accumulate, the mixture composition, the debiased estimator, an infinite
    threshold: each a one-line SpecError naming its key."""
    from interplay.theory.categorical.maps import categorical_ecosystem

    two = {"threshold": 0}
    cases = [
        (lambda: gaussian_ecosystem([[0, 0]], [0, 0], curation=two), "curation"),
        (lambda: single().with_options(curation={"best_of": 2, "reward": [0, 1]}), "curation"),
        (lambda: categorical_ecosystem([["1/2", "1/2"]], ["1/2", "1/2"], curation=two), "curation"),
        (lambda: maps.moment_map(ecosystem()), "curation"),
        (lambda: iterate_moments(ecosystem(), 1), "curation"),
        (lambda: long_run(single(alpha="1/2")), "curation"),
        (lambda: ecosystem(regime="accumulate"), "regime"),
        (lambda: ecosystem(composition="mixture"), "composition"),
        (lambda: single(alpha="1/2").with_options(estimator="debiased", n=10), "estimator"),
        (lambda: single(threshold="oo"), "curation.threshold"),
    ]
    for make, key in cases:
        with pytest.raises(SpecError) as error:
            make()
        assert error.value.parameter == key and "\n" not in str(error.value), str(error.value)


def test_threshold_is_described_and_centred():
    """The option as the spec takes it; the centred coordinates (public mean the origin) move the threshold too."""
    eco = ecosystem().with_options(public=maps.GaussianSource([[2]], [[1]], name="public"))
    assert eco.describe()["curation"] == {"per_model": [{"threshold": 0.5}, None]}
    assert maps.centred(eco).curation[0] == Threshold(sympy.Rational(-3, 2))
    assert np.asarray(step.values(eco).threshold).tolist() == [-1.5, -np.inf]
