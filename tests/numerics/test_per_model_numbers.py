"""Providers that differ, in numbers: alpha, beta and n per model through every family's compiled recursion (equal to
the sympy maps), Monte Carlo of the process against the exact recursion (the Gaussian and categorical ecosystems
under the mixture composition, the others fixed), the sweep's refusal, the config key and derive.

Tolerance of the Monte Carlo checks: E theta and Var theta per model at rounds 0..3 of four families, K = 3
(categorical: the first category): 4 x 4 x 6 = 96 comparisons; Z_FAMILY (~4.3) gives a false failure with
probability <= 1e-3 at a fixed seed."""

import json

import numpy as np
import pytest
import scipy.stats
from linear_cases import general
from monte_carlo_checks import assert_mean_agrees
from sympy import Rational as R

from interplay import numerics
from interplay.numerics.cli.main import main
from interplay.theory import Ecosystem, SpecError
from interplay.theory import registry as theory_registry
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.poisson import poisson_ecosystem

W = [[R(3, 5), R(2, 5), 0], [0, R(1, 2), R(1, 2)], [R(3, 10), 0, R(7, 10)]]
ALPHA = {"per_model": [[1, R(3, 4), 1], R(1, 2), [R(1, 4), 0, R(1, 2)]]}  # models 0 and 2 follow schedules
BETA = {"per_model": [R(1, 3), R(1, 2), R(2, 3)]}
N = {"per_model": [8, 12, 16]}  # the linear surrogate's n is one for all (its synthetic designs' rows)
ROUNDS = 3
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 96)))

ECOSYSTEMS = {
    "gaussian": lambda: Ecosystem.gaussian(
        means=[[0], [2], [5]],
        public_mean=[1],
        alpha=ALPHA,
        beta=BETA,
        n=N,
        mixing=W,
        public_size=6,
        composition="mixture",
    ),
    "poisson": lambda: poisson_ecosystem([1, 4, 9], 3, alpha=ALPHA, beta=BETA, n=N, mixing=W, public_size=6),
    "categorical": lambda: categorical_ecosystem(
        [[R(1, 2), R(1, 2)], [R(1, 5), R(4, 5)], [R(2, 3), R(1, 3)]],
        [R(1, 2), R(1, 2)],
        alpha=ALPHA,
        beta=BETA,
        n=N,
        mixing=W,
        public_size=6,
        composition="mixture",
    ),
    "linear-gaussian": lambda: general(3, 1, n=12, alpha=ALPHA, mixing=W),
}


@pytest.mark.parametrize("name", list(ECOSYSTEMS))
def test_the_compiled_recursion_equals_the_sympy_maps(name):
    """E theta over rounds 0..3 of each family's compiled recursion against its sympy moment map, iterated round
    by round (a per-model schedule: the map of each round)."""
    eco = ECOSYSTEMS[name]()
    family = theory_registry.family(eco.family.name)
    state = family.initial_state(family.moment_map(eco, 1))
    exact = numerics.iterate_moments(eco, ROUNDS)
    part = "M" if name == "linear-gaussian" else "mean"  # the linear state: E theta = M b + offset, M its part
    for t in range(ROUNDS + 1):
        if t:
            state = family.moment_map(eco, t)(state)
        expected = np.array(family.moment_map(eco, max(t, 1)).unpack(state)[part], dtype=float).ravel()
        np.testing.assert_allclose(np.asarray(getattr(exact, part)[t]).ravel(), expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(ECOSYSTEMS))
def test_monte_carlo_with_per_model_values_matches_the_exact_recursion(name):
    eco = ECOSYSTEMS[name]()
    exact = numerics.iterate_moments(eco, ROUNDS)
    mc = numerics.simulate(eco, ROUNDS, key=5, replicates=3000)
    registry = numerics.registry.family(eco)
    _, cov = registry.parameter_moments(exact)
    simulated = registry.parameters(mc)  # (R, T+1, K, p)
    for t in range(ROUNDS + 1):
        values, mean = simulated[:, t, :, 0], np.asarray(exact.mean[t]).reshape(3, -1)[:, 0]
        assert_mean_agrees(values, mean, f"{name} E theta at t={t}", z_limit=Z_FAMILY)
        variance = np.array([cov[t, k, 0, k, 0] for k in range(3)])
        assert_mean_agrees((values - mean) ** 2, variance, f"{name} Var theta at t={t}", z_limit=Z_FAMILY)


def test_a_sweep_axis_over_a_value_given_per_model_is_refused_naming_it():
    """A per-model beta is swept one model at a time (beta[k]: tests/numerics/test_sweep_per_model.py); a beta axis,
    one value for all models, would drop what the spec gives, and per-model n has no n or K axis."""
    with pytest.raises(SpecError, match=r"^axes.beta: the spec gives beta per model; sweep one model's as beta\[k\]"):
        numerics.sweep(
            ECOSYSTEMS["poisson"]().with_options(beta={"per_model": [R(1, 2)] * 3}), {"beta": [0.5]}, rounds=2
        )
    eco = ECOSYSTEMS["poisson"]().with_options(alpha=R(1, 2), beta=R(1, 2))
    for axis, message in (("n", "^axes.n: the spec gives n per model"), ("K", "^axes.K: the spec gives n per model")):
        with pytest.raises(SpecError, match=message):
            numerics.sweep(eco, {axis: [2, 3]}, rounds=2)


def test_the_config_reads_per_model_values_and_names_a_bad_one(tmp_path, capsys):
    config = tmp_path / "c.toml"
    text = """[family]
name = "poisson"
[ecosystem]
alpha = {{per_model = {alpha}}}
n = 10
[public]
rate = 2
[[private]]
rate = 1
[[private]]
rate = 3
[simulate]
rounds = 2
replicates = 50
"""
    config.write_text(text.format(alpha='[1, "1/2"]'))
    assert main(["simulate", str(config), "--out", str(tmp_path / "out")]) == 0
    config.write_text(text.format(alpha="[1, 0.5, 0.5]"))
    assert main(["simulate", str(config), "--out", str(tmp_path / "bad")]) == 2
    assert "ecosystem.alpha.per_model: has 3 values, one per model is 2" in capsys.readouterr().err


def test_derive_answers_a_per_model_spec(tmp_path):
    """Two Gaussian models, alpha 1 and 1/2 on J / 2: the population map's spectral radius is that of its mean block
    diag(alpha) W (its covariance block's, diag(alpha) W acting on both sides, is smaller): 3/4, and the trains-on
    graph's one class is anchored by model 2's real data, with that multiplier."""
    config = tmp_path / "g.toml"
    config.write_text(
        '[ecosystem]\nalpha = {per_model = [1, "1/2"]}\nn = 50\n[public]\nmean = [0.0]\ncov = [[1.0]]\n'
        "[[private]]\nmean = [-1.0]\ncov = [[1.0]]\n[[private]]\nmean = [2.0]\ncov = [[1.0]]\n"
    )
    assert main(["derive", str(config), "--out", str(tmp_path / "out")]) == 0
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    radius = max(abs(np.linalg.eigvals(np.diag([1, 0.5]) @ np.full((2, 2), 0.5))))
    assert result["population"]["spectral_radius"] == pytest.approx(radius, rel=1e-12) == 0.75
    (anchored,) = result["trains_on_graph"]["closed_classes"]
    assert anchored["real_data"] is True and anchored["multiplier"] == pytest.approx(0.75, rel=1e-12)
    assert result["spec"]["alpha"] == {"per_model": [1.0, 0.5]}
