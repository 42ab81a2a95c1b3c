"""The Gaussian family in centred quantities: a common shift of all means changes nothing beyond rounding.

Issue 11: the raw-moment recursion (E V_k, the weighted second moment, minus m_k m_k^T) gave E[S] = 0.0 instead
of 1.44678 at means 1e8 -/+ 1, the population map -0.0625, and the Monte Carlo negative variances; and every
replicate of a collapsing fit (K = 2, alpha = 1, W = I, MLE) had negative variances after 1,000 rounds. Here:

* the exact trajectories and the symbolic results equal those of the raw-moment code (recorded by
  ``tests/data/gaussian_before.py`` on the commit before the change) up to rounding;
* at shifts of 1e4, 1e8 and 1e12 standard deviations, the exact recursion and the population map (jax, and
  sympy evaluated with floats) give E m - shift, Cov m and E S within a relative 1e-9 of the unshifted values;
* the issue's case has the value of an exact rational evaluation of the symbolic moment map at shift 1e8;
* the Monte Carlo at shift 1e8 has no negative variance and the unshifted run's values; a collapsing fit stays
  positive semi-definite, and its log-variance falls at the exact rate of the sum of log chi^2 factors.
"""

import importlib.util
import json

import numpy as np
import pytest
import scipy.special
import sympy
from paths import DATA
from sizes_change import with_old_sizes

import interplay.numerics as numerics
from interplay.theory import moment_map
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.gaussian.maps import Moments
from interplay.theory.maps import initial_state
from interplay.theory.symbolic import t_symbol

_spec = importlib.util.spec_from_file_location("gaussian_before", DATA / "gaussian_before.py")
before = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(before)
REFERENCE = np.load(DATA / "gaussian_before.npz")

SHIFTS = (10**4, 10**8, 10**12)  # in units of the sources' standard deviations (about 1 here)
REGIMES = ("reuse", "fresh", "accumulate")
ESTIMATORS = ("mle", "unbiased")


def shifted(eco, shift):
    """The ecosystem with ``shift`` (an exact number) added to every coordinate of every mean."""
    offset = sympy.ones(eco.dim, 1) * sympy.sympify(shift)

    def moved(source):
        return type(source)(source.mean + offset, source.cov, source.size, source.name)

    return eco.with_options(public=moved(eco.public), private=tuple(moved(s) for s in eco.private))


def relative_gap(value, reference, scale):
    return np.max(np.abs(np.asarray(value) - np.asarray(reference))) / scale


# -- unchanged results ---------------------------------------------------------------------------------------


# The reference was computed before sample sizes were exact (issue 11): round 8 of the accumulate schedule draws
# (1 - 0.8) 0.5 x 25 = 2.5 fresh private samples, 3 exactly but 2 in the old floating-point rounding (0.19999...).
# From that round on the finite-n recursion must differ; before it, and in the population map, nothing may change.
FIRST_HALF_CASE = {"K2-d2-unbiased-accumulate-schedule": 8}


@pytest.mark.parametrize("name", sorted(before.settings()))
def test_exact_trajectories_equal_those_of_the_raw_moment_recursion(name):
    K, d, options = before.settings()[name]
    eco = before.ecosystem(K, d, **options)
    for kind, run in (("moments", numerics.iterate_moments), ("population", numerics.iterate_population)):
        with with_old_sizes():  # the sizes changed on purpose (tests/sizes_change.py); nothing else may
            trajectory = run(eco, before.ROUNDS)
        same = FIRST_HALF_CASE.get(name, before.ROUNDS + 1) if kind == "moments" else before.ROUNDS + 1
        for field in ("mean", "fitted_cov", "mean_cov"):
            reference = REFERENCE[f"{name}/{kind}/{field}"]
            value = getattr(trajectory, field)
            np.testing.assert_allclose(value[:same], reference[:same], rtol=1e-12, atol=1e-14, err_msg=field)
        if same <= before.ROUNDS:  # the half case itself: exact sizes change the fitted covariance
            old = REFERENCE[f"{name}/moments/fitted_cov"][same]
            assert not np.allclose(trajectory.fitted_cov[same], old, rtol=1e-12, atol=1e-14)


def test_symbolic_results_equal_those_of_the_raw_moment_recursion():
    """The demo's fixed point and stability condition, the long-run closed forms and the moment recursion's
    fixed point: the difference to the recorded expressions simplifies to 0."""
    recorded = json.loads((DATA / "gaussian_before_symbolic.json").read_text())
    with with_old_sizes():
        now = before.symbolic_results()
    assert now.keys() == recorded.keys()
    for name, texts in recorded.items():
        assert len(now[name]) == len(texts), name
        for old, new in zip(texts, now[name]):
            old, new = (eval(text, vars(sympy)) for text in (old, new))  # srepr strings
            if isinstance(old, sympy.logic.boolalg.Boolean):
                assert sympy.simplify(sympy.Equivalent(old, new)) == sympy.true, name
            else:
                difference = sympy.simplify(old - new)
                assert difference.is_zero_matrix if isinstance(difference, sympy.MatrixBase) else difference == 0, name


# -- shift invariance ----------------------------------------------------------------------------------------


def _cases():
    settings = before.settings()
    names = [f"K2-d1-{e}-{r}" for r in REGIMES for e in ESTIMATORS] + ["K3-d2-mle-reuse"]
    names += [name for name in settings if name.endswith("schedule")]
    return [(name, settings[name]) for name in names]


@pytest.mark.parametrize("name, setting", _cases(), ids=[name for name, _ in _cases()])
def test_a_common_shift_changes_nothing_in_the_exact_recursion(name, setting):
    """E m - shift, Cov m and E S at shifts up to 1e12 standard deviations: relative error <= 1e-9 (against the
    scale of the unshifted values, about 1); the absolute means are the unshifted ones plus the shift."""
    eco = before.ecosystem(setting[0], setting[1], **setting[2])
    for run in (numerics.iterate_moments, numerics.iterate_population):
        base = run(eco, before.ROUNDS)
        for shift in SHIFTS:
            moved = run(shifted(eco, shift), before.ROUNDS)
            np.testing.assert_array_equal(moved.origin, base.origin + shift)  # exact for these values
            assert relative_gap(moved.centred_mean, base.centred_mean, 1) <= 1e-9  # E m - shift - base origin
            assert relative_gap(moved.fitted_cov, base.fitted_cov, 1) <= 1e-9
            assert relative_gap(moved.mean_cov, base.mean_cov, 1) <= 1e-9
            np.testing.assert_allclose(moved.mean, base.mean + shift, rtol=1e-15 * 4, atol=0)
            assert np.all(np.linalg.eigvalsh(moved.fitted_cov) > 0)


@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_common_shift_changes_nothing_in_the_sympy_population_map_evaluated_with_floats(regime, estimator):
    """The symbolic population map of the centred ecosystem, iterated with sympy floats from its initial state,
    gives the jax trajectory of the unshifted spec, at every shift (relative error <= 1e-9)."""
    eco = before.ecosystem(2, 1, alpha=0.6, beta=0.3, n=20, estimator=estimator, regime=regime)
    base = numerics.iterate_population(eco, 5)
    for shift in SHIFTS:
        fmap = gaussian.population_map(gaussian.centred(shifted(eco, shift)))
        values = [sympy.Float(v) for v in initial_state(fmap)]  # 53-bit floats, as in float64
        for t in range(1, 6):
            values = [sympy.Float(sympy.sympify(v).xreplace({t_symbol: t})) for v in fmap(values)]
        parts = {name: np.array(matrix.evalf(), dtype=float) for name, matrix in fmap.unpack(values).items()}
        assert relative_gap(parts["mean"].ravel(), base.centred_mean[5].ravel(), 1) <= 1e-9
        assert relative_gap(parts["cov"].ravel(), base.fitted_cov[5].ravel(), 1) <= 1e-9


def test_the_issue_case_has_its_exact_value_at_shift_1e8():
    """Means 1e8 -/+ 1, public 1e8, alpha = beta = 1/2, n = 50, unbiased: E[S] at round 5 from the jax recursion
    equals (rtol 1e-12) an exact rational evaluation of the symbolic moment map at shift 1e8 (absolute
    coordinates, no rounding anywhere) and the raw-moment recursion at shift 0 (where it is accurate: recorded
    from the code before the change). Likewise the population map (1.4375, not -0.0625)."""
    with with_old_sizes():  # the recorded sizes (tests/sizes_change.py)
        eco = before.issue_ecosystem(10**8)
        fmap = moment_map(eco)
        values = initial_state(fmap)
        for _ in range(5):
            values = fmap(values)
        exact = gaussian.fitted_covariance(eco, Moments(**fmap.unpack(values)))
        assert all(v.is_Rational for v in exact)
        exact = np.array(exact, dtype=float).reshape(2, 1, 1)
        np.testing.assert_allclose(exact, REFERENCE["issue/moments/fitted_cov"][5], rtol=1e-12)
        np.testing.assert_allclose(numerics.iterate_moments(eco, 5).fitted_cov[5], exact, rtol=1e-12)

    population = gaussian.population_map(eco)
    values = initial_state(population)
    for _ in range(5):
        values = population(values)
    exact = np.array(population.unpack(values)["cov"], dtype=float).reshape(2, 1, 1)
    np.testing.assert_allclose(exact, REFERENCE["issue/population/fitted_cov"][5], rtol=1e-12)
    np.testing.assert_allclose(numerics.iterate_population(eco, 5).fitted_cov[5], exact, rtol=1e-12)


# -- Monte Carlo ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sufficient", "raw"])
@pytest.mark.parametrize("regime", REGIMES)
def test_monte_carlo_at_shift_1e8_has_the_unshifted_values(regime, method):
    """Same seed, shift 1e8: no negative variance, E S and m - shift equal the unshifted run's within 1e-6 of
    a standard deviation (the draws are the same; only the origin's rounding differs)."""
    eco = before.issue_ecosystem().with_options(regime=regime, estimator="mle", n=20)
    base = numerics.simulate(eco, 4, 7, replicates=16, method=method)
    moved = numerics.simulate(shifted(eco, 10**8), 4, 7, replicates=16, method=method)
    assert np.all(moved.covs >= 0)
    assert relative_gap(moved.means - 10**8, base.means, 1) <= 1e-6
    assert relative_gap(moved.covs, base.covs, 1) <= 1e-6


@pytest.mark.parametrize("method", ["sufficient", "raw"])
def test_a_collapsing_fit_stays_positive_semi_definite(method):
    """K = 2, alpha = 1, W = I, MLE, n = 20: each model refits to its own 20 draws, so S_{t+1} = S_t chi^2_19 / 20
    and S shrinks like exp(-0.104 t). After 1,000 rounds no replicate has a negative variance at any round.
    With sufficient statistics S stays positive, and the mean over replicates and models of
    (log S_T - log S_0) / T equals E log(chi^2_19 / 20) = psi(19/2) + log(2/20) within 4 standard errors
    (sqrt(psi'(19/2) / (T * 16))): the values are the law's, not round-off. (Raw samples may reach S = 0
    exactly: once sqrt(S) is below the rounding of m every draw equals m.)"""
    n, rounds, replicates = 20, 1000, 8
    eco = before.issue_ecosystem().with_options(alpha=1, mixing=[[1, 0], [0, 1]], n=n, estimator="mle")
    mc = numerics.simulate(eco, rounds, 11, replicates=replicates, method=method)
    assert np.all(mc.covs >= 0)
    if method == "sufficient":
        variances = mc.covs[:, :, :, 0, 0]
        assert np.all(variances > 0)
        rate = (np.log(variances[:, -1]) - np.log(variances[:, 0])) / rounds
        expected = scipy.special.digamma((n - 1) / 2) + np.log(2 / n)
        se = np.sqrt(scipy.special.polygamma(1, (n - 1) / 2) / (rounds * rate.size))
        assert abs(rate.mean() - expected) < 4 * se


def test_fitted_covariances_are_positive_semi_definite_in_two_dimensions():
    """d = 2, alpha = 1, fits collapsing over 300 rounds: every fitted covariance's smallest eigenvalue is at
    least -8 eps times its largest (a sum of positive semi-definite terms; eigvalsh's own rounding is a few eps
    of the largest)."""
    eco = before.ecosystem(2, 2, alpha=1.0, beta=0.5, n=6, mixing=[[0.5, 0.5], [0.5, 0.5]], estimator="mle")
    covs = numerics.simulate(eco.with_options(regime="fresh"), 300, 3, replicates=8).covs
    eigenvalues = np.linalg.eigvalsh(covs)
    assert np.all(eigenvalues[..., 0] >= -8 * np.finfo(float).eps * eigenvalues[..., -1])
