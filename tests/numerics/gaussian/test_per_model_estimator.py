"""Providers that differ in their estimator: ``estimator = {"per_model": ["mle", "unbiased", ...]}`` (Gaussian, the
one family with two estimators). Model k's fitted covariance is c_k U_k with its own c_k (theory.gaussian.maps).

Checks: isolated models (W = I) each follow the homogeneous recursion of their own estimator, equal names are the
homogeneous spec exactly, the compiled recursion equals the sympy maps on an interacting W, Monte Carlo of the
process agrees with the exact recursion (E m, E S, Cov m of K = 3 models at rounds 0..3: 3 x (3 + 3 + 9) = 45
comparisons, Z from Bonferroni at a 1e-3 false-failure probability), and bad names, lengths and n are refused by
name."""

import numpy as np
import pytest
import scipy.stats
from monte_carlo_checks import assert_gaussian_trajectory_agrees
from sympy import Rational as R

from interplay import numerics
from interplay.numerics.cli.config import load
from interplay.numerics.cli.main import main
from interplay.numerics.figure_style import parameter_title
from interplay.theory import Ecosystem, SpecError
from interplay.theory import registry as theory_registry
from interplay.theory.gaussian import maps as gaussian

W = [[R(1, 2), R(1, 2), 0], [0, R(1, 3), R(2, 3)], [R(1, 4), 0, R(3, 4)]]
NAMES = ["unbiased", "mle", "unbiased"]
ROUNDS = 3


def ecosystem(estimator, mixing=W, **options):
    return Ecosystem.gaussian(
        means=[[0], [2], [5]],
        public_mean=[1],
        alpha=R(2, 3),
        beta=R(1, 2),
        n=6,
        mixing=mixing,
        estimator=estimator,
        **options,
    )


def exact_moments(eco, rounds=ROUNDS):
    """(E m, E S, Cov m) at rounds 0..rounds from the sympy moment map, as floats: K x 1, K x 1, K x K."""
    family = theory_registry.family("gaussian")
    moment_map = family.moment_map(eco, 1)
    state, moments = family.initial_state(moment_map), []
    for t in range(rounds + 1):
        if t:
            state = moment_map(state)
        parts = gaussian.Moments(**moment_map.unpack(state))
        fitted = gaussian.fitted_covariance(eco, parts)
        moments.append([np.array(x, dtype=float) for x in (parts.mean, fitted, parts.cov)])
    return [np.stack(m) for m in zip(*moments)]


def test_isolated_models_follow_their_own_estimator():
    """W = I: model k trains on its own outputs and the real data only, so its E m_k, E S_k and Var m_k are those of
    the homogeneous spec with its estimator (the unbiased factor 6/5 at n = 6 makes them differ); exact."""
    eye = [[int(k == j) for j in range(3)] for k in range(3)]
    mixed = exact_moments(ecosystem({"per_model": NAMES}, eye))
    alone = {name: exact_moments(ecosystem(name, eye)) for name in ("mle", "unbiased")}
    for k, name in enumerate(NAMES):
        for part, own in zip(mixed, alone[name]):
            np.testing.assert_array_equal(part[:, k], own[:, k])
    assert not np.allclose(alone["mle"][1][1:], alone["unbiased"][1][1:], rtol=1e-3)


def test_equal_names_are_the_homogeneous_spec_exactly():
    for name in ("mle", "unbiased"):
        for per_model, one in zip(exact_moments(ecosystem({"per_model": [name] * 3})), exact_moments(ecosystem(name))):
            np.testing.assert_array_equal(per_model, one)


def test_the_compiled_recursion_equals_the_sympy_maps():
    """E m, E S_k and Cov m over rounds 0..3 of the compiled recursion against the exact moment map (an interacting
    W)."""
    eco = ecosystem({"per_model": NAMES})
    mean, fitted, cov = exact_moments(eco)
    compiled = numerics.iterate_moments(eco, ROUNDS)
    np.testing.assert_allclose(compiled.mean.reshape(mean.shape), mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(compiled.fitted_cov.reshape(fitted.shape), fitted, rtol=1e-12)
    np.testing.assert_allclose(compiled.mean_cov.reshape(cov.shape), cov, rtol=1e-12, atol=1e-14)


def test_monte_carlo_of_per_model_estimators_matches_the_exact_recursion():
    """If every model used the MLE the simulated E S_0 would sit 1/6 below the exact one, ~35 SE at 4,000
    replicates: the check sees each model's estimator."""
    eco = ecosystem({"per_model": NAMES})
    z = float(scipy.stats.norm.isf(1e-3 / (2 * 45)))
    mc = numerics.simulate(eco, ROUNDS, key=11, replicates=4000)
    assert_gaussian_trajectory_agrees(mc, numerics.iterate_moments(eco, ROUNDS), z_limit=z)


@pytest.mark.parametrize(
    ("estimator", "parameter", "message"),
    [
        ({"per_model": ["mle", "unbiased"]}, "estimator.per_model", "has 2 names, one per model is 3"),
        ({"per_model": ["mle", "biased", "mle"]}, r"estimator.per_model\[1\]", "must be one of"),
        ({"per_model": "mle"}, "estimator", "per-model estimators are"),
        ("median", "estimator", "must be one of"),
    ],
)
def test_bad_estimators_name_the_parameter(estimator, parameter, message):
    with pytest.raises(SpecError, match=f"^{parameter}: {message}"):
        ecosystem(estimator)


def test_one_unbiased_model_needs_two_samples():
    with pytest.raises(SpecError, match="^n: the unbiased estimator needs n >= 2"):
        ecosystem({"per_model": ["mle", "mle", "unbiased"]}).with_options(n=1)
    assert ecosystem({"per_model": ["mle"] * 3}).with_options(n=1).n == 1


def test_the_spec_describes_and_titles_its_estimators():
    eco = ecosystem({"per_model": NAMES})
    assert eco.model_estimators == tuple(NAMES)
    assert eco.describe()["estimator"] == {"per_model": NAMES}
    assert eco.with_options(alpha=R(1, 2)).model_estimators == tuple(NAMES)
    assert "(unbiased, mle, unbiased) per model" in parameter_title(eco)


def test_the_config_reads_per_model_estimators(tmp_path, capsys):
    config = tmp_path / "g.toml"
    text = (
        "[ecosystem]\nn = 6\nestimator = {{per_model = {names}}}\n[simulate]\nrounds = 1\nreplicates = 20\n"
        "[public]\nmean = [0.0]\ncov = [[1.0]]\n[[private]]\nmean = [-1.0]\ncov = [[1.0]]\n"
        "[[private]]\nmean = [2.0]\ncov = [[1.0]]\n"
    )
    config.write_text(text.format(names='["mle", "unbiased"]'))
    assert load(config).ecosystem.model_estimators == ("mle", "unbiased")
    config.write_text(text.format(names='["mle", "unbased"]'))
    assert main(["simulate", str(config), "--out", str(tmp_path / "bad")]) == 2
    assert (
        "estimator.per_model[1]: must be one of ('mle', 'unbiased', 'debiased'), got 'unbased'"
        in capsys.readouterr().err
    )


def test_a_k_axis_takes_one_estimator_for_all_models():
    eco = Ecosystem.gaussian(means=[[0], [0]], public_mean=[1], n=6, estimator={"per_model": ["mle", "unbiased"]})
    with pytest.raises(SpecError, match="^axes.K: the spec gives estimator per model"):
        numerics.sweep(eco, {"K": [2, 3]}, rounds=2)
