"""The Gaussian-mixture family: its computed population map checked two ways (the Gaussian family's map where the
components have merged, a high-order quadrature), its fixed point by the solver with multipliers by autodiff
against finite differences, the Monte Carlo of the actual samples against the map after one round (and a mutant
E step that fails it), and bad input as one-line SpecErrors naming the parameter.

One ecosystem serves the map, solver and Monte Carlo checks (one compilation each): K = 2 models, C = 2, well
separated components (EM converges in a few steps), alpha = beta = 1/2, n = 1,000.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from monte_carlo_checks import mean_gap
from scipy.stats import norm

import interplay.numerics as numerics
from interplay.numerics.gmm import em, monte_carlo, population
from interplay.theory import Ecosystem, SpecError
from interplay.theory.gmm.maps import merged_fit

SOURCES = [([0.5, 0.5], [-4, 4], [1, 1]), ([0.3, 0.7], [-4, 3], [1, 0.5])]
PUBLIC = ([0.5, 0.5], [-4, 4], [1, 1])
REPLICATES = 64


@functools.cache
def pair(quadrature: int = 160):
    return Ecosystem.gaussian_mixture(
        SOURCES, PUBLIC, alpha=0.5, beta=0.5, n=1000, em_rounds=1000, em_tolerance=1e-12, quadrature=quadrature
    )


@functools.cache
def solved():
    return population.fixed_point(pair())


def test_the_solver_finds_the_fixed_point_and_autodiff_gives_its_multipliers():
    """Anderson (numerics.fixed_point) converges to F(x*) = x*; dF/dx by forward-mode autodiff through the EM fixed
    points (implicit function theorem) equals central differences of F with h = 1e-4: truncation h^2 |F'''| ~ 1e-8,
    EM stopped at a step of 1e-12 (1 + |theta|) with a rate far below 1, so ~1e-11 / h ~ 1e-7 of noise: 1e-6 bounds
    both. Every multiplier lies inside the unit circle (alpha = 1/2: the synthetic part contracts)."""
    found, theta = solved()
    assert found.converged, found.failure()
    F = population.population_map(pair())
    x = population.reduce(jnp.asarray(theta))
    assert np.max(np.abs(np.asarray(F(x)) - np.asarray(x))) < 1e-10
    assert np.allclose(theta[:, :2].sum(1), 1, atol=1e-14) and np.all(theta[:, 4:] > 0)
    J = population.jacobian(pair(), theta)
    h = 1e-4
    step = jax.jit(F)
    differences = np.stack(
        [(np.asarray(step(x.at[i].add(h))) - np.asarray(step(x.at[i].add(-h)))) / (2 * h) for i in range(x.size)], 1
    )
    assert np.max(np.abs(J - differences)) < 1e-6
    radius = np.abs(population.multipliers(pair(), theta)[0])
    assert 0.4 < radius < 1, radius  # the coupling of the models through W = J / 2 at alpha = 1/2: about 1/2


def test_merged_components_give_the_gaussian_family_population_map():
    """Second derivation: a mixture whose C components coincide stays merged (responsibilities r_c = pi_c) and its
    fit is the moment-matched Gaussian (theory.gmm.maps), so from a merged start the map is the Gaussian family's
    population map on the sources' means and variances (theory.gmm.maps.merged_fit), which interplay computes by its
    own (linear) recursion."""
    mixtures = [([0.5, 0.5], [-1, 1], [1, 2]), ([1], [2], [0.5])]
    public = ([0.25, 0.75], [0, 4], [1, 1])
    eco = Ecosystem.gaussian_mixture(mixtures, public, alpha=0.5, beta=0.5)
    moments = [merged_fit(m, v, w) for w, m, v in mixtures]  # each source's (mean, variance), exact
    public_moments = merged_fit(public[1], public[2], public[0])
    gaussian = Ecosystem.gaussian(
        means=[[mean] for mean, _ in moments],
        public_mean=[public_moments[0]],
        covs=[[[var]] for _, var in moments],
        public_cov=[[public_moments[1]]],
        alpha=0.5,
        beta=0.5,
        regime="fresh",
    )
    start = np.array([[0.3, 0.7, 1.0, 1.0, 2.0, 2.0], [0.5, 0.5, -1.0, -1.0, 3.0, 3.0]])
    mixture = numerics.iterate_population(eco, 3, start=start)
    exact = numerics.iterate_population(gaussian, 3, start={"mean": [[1.0], [-1.0]], "cov": [[[2.0]], [[3.0]]]})
    assert np.allclose(mixture.means[..., 0], mixture.means[..., 1], atol=1e-13)
    assert np.allclose(mixture.variances[..., 0], mixture.variances[..., 1], atol=1e-13)
    np.testing.assert_allclose(mixture.weights, np.broadcast_to(start[:, :2], mixture.weights.shape), atol=1e-14)
    np.testing.assert_allclose(mixture.means[..., 0], exact.mean[..., 0], atol=1e-12)
    np.testing.assert_allclose(mixture.variances[..., 0], exact.fitted_cov[..., 0, 0], atol=1e-12)
    assert mixture.em_converged.all()


def test_quadrature_agrees_with_a_high_order_reference():
    """The population map at the fixed point by the default 160 nodes per component equals the map by 400 nodes to
    1e-9 (the trapezoidal rule's error falls geometrically in the nodes, numerics.gmm.em.nodes: 2e-10 measured)."""
    _, theta = solved()
    x = population.reduce(jnp.asarray(theta))
    low = np.asarray(population.population_map(pair())(x))
    high = np.asarray(population.population_map(pair(400))(x))
    assert np.max(np.abs(low - high)) < 1e-9


def one_round(responsibilities=em.responsibilities):
    """theta after one Monte Carlo round from the population map's round-0 fit, and that map's round 1."""
    eco = pair()
    theta0 = numerics.iterate_population(eco, 0).theta()[0]
    mc = monte_carlo.run(eco, 1, 5, REPLICATES, theta0, responsibilities)
    drawn = np.concatenate([mc.weights, mc.means, mc.variances], axis=-1)[:, 1]
    return drawn, population.iterate_population(eco, 1, start=theta0).theta()[1], mc


def unnormalised_weights(theta, x):
    """A mutant E step: the responsibilities normalised without the weights pi (pi_c N_c / sum_d N_d)."""
    C = theta.shape[-1] // 3
    pi, mu, s2 = em.parts(theta, C)
    density = jnp.exp(-0.5 * (x[:, None] - mu) ** 2 / s2) / jnp.sqrt(2 * jnp.pi * s2)
    return pi * density / density.sum(-1, keepdims=True)


def test_monte_carlo_after_one_round_is_the_population_map_within_its_standard_error():
    """From the same start, the mean over 64 replicates of the EM fits to n = 1,000 actual samples (private, the
    public sample's prefixes, each model's sample of both models) lies within Bonferroni-corrected standard-error
    bands of the population map's round 1, for all 12 parameters (family-wise level 1e-3); EM's bias is O(1/n),
    about sqrt(64 / 1000) = 0.25 of a standard error at most. A mutant E step fails."""
    drawn, exact, mc = one_round()
    assert mc.em_converged[:, 1].all()
    limit = norm.isf(1e-3 / (2 * exact.size))
    gap, se = mean_gap(drawn.reshape(REPLICATES, -1), exact.ravel())
    assert np.all(se > 0) and (gap / se).max() < limit, (gap / se).max()
    mutant, _, _ = one_round(unnormalised_weights)
    gap, se = mean_gap(mutant.reshape(REPLICATES, -1), exact.ravel())
    assert (gap / se).max() > 10 * limit, (gap / se).max()


@pytest.mark.parametrize(
    ("make", "parameter"),
    [
        (lambda: Ecosystem.gaussian_mixture([([0.5, 0.6], [0, 1], [1, 1])], PUBLIC), r"private\[0\].weights"),
        (lambda: Ecosystem.gaussian_mixture([([1], [0], [0])], PUBLIC), r"private\[0\].variances\[0\]"),
        (lambda: Ecosystem.gaussian_mixture([([1], [0, 1], [1])], PUBLIC), r"private\[0\].means"),
        (lambda: Ecosystem.gaussian_mixture([([1], [0], [1])], ([1], [0])), "public"),
        (lambda: Ecosystem.gaussian_mixture([([1], [0], [1])], PUBLIC, components=0), "family.components"),
        (lambda: Ecosystem.gaussian_mixture([([1], [0], [1])], PUBLIC, em_tolerance=-1), "family.em_tolerance"),
        (lambda: Ecosystem.gaussian_mixture([([1], [0], [1])], PUBLIC, n=1), "n"),
        (
            lambda: Ecosystem.gaussian_mixture([([1], [0], [1])], PUBLIC, regime="reuse"),
            r"regime: the gaussian-mixture family has \('fresh',\) only, got 'reuse'",
        ),
        (lambda: Ecosystem.gaussian_mixture([{"weights": [1], "means": [0]}], PUBLIC), r"private\[0\].variances"),
    ],
)
def test_bad_input_is_one_line_naming_the_parameter(make, parameter):
    with pytest.raises(SpecError, match=f"^{parameter}") as error:
        make()
    assert "\n" not in str(error.value)


def test_what_the_family_lacks_is_refused_naming_it():
    from interplay.theory import long_run, population_map

    eco = Ecosystem.gaussian_mixture(SOURCES, PUBLIC, n=10)
    refused = (
        lambda: numerics.iterate_moments(eco, 2),
        lambda: long_run(eco),
        lambda: population_map(eco),
        lambda: numerics.sweep(eco, {"alpha": [0.1, 0.5]}, rounds=2),
    )
    for call in refused:
        with pytest.raises(SpecError, match="^family: the gaussian-mixture family"):
            call()
    with pytest.raises(SpecError, match="^start"):
        numerics.iterate_population(eco, 1, start=[[0.5, 0.6, 0, 1, 1, 1]] * 2)
    with pytest.raises(SpecError, match="^n"):
        numerics.simulate(Ecosystem.gaussian_mixture(SOURCES, PUBLIC), 1, 0, 2)


CONFIG = """
[family]
name = "gaussian-mixture"
[ecosystem]
alpha = 0.5
beta = 0.5
n = 20
regime = "fresh"
[public]
weights = [0.5, 0.5]
means = [-2, 2]
variances = [1, 1]
[[private]]
weights = [0.5, 0.5]
means = [-2, 2]
variances = [1, 1]
[simulate]
rounds = 2
replicates = 8
seed = 0
"""


def test_the_simulate_job_refuses_the_family_before_any_work(tmp_path, monkeypatch, capsys):
    """The CLI's simulate job has no trajectory arrays for this family: one line naming ``family``, exit 2, before
    the exact trajectory or the Monte Carlo runs (both patched to fail if called) and before --out is made."""
    from interplay.numerics.cli.main import main
    from interplay.numerics.gmm.family import FAMILY

    def never(*args, **options):
        raise AssertionError("the job ran work it then refused")

    monkeypatch.setattr(FAMILY, "simulate", never)
    monkeypatch.setattr(FAMILY, "iterate_population", never)
    (tmp_path / "gmm.toml").write_text(CONFIG)
    assert main(["simulate", str(tmp_path / "gmm.toml"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("interplay: error: family: the gaussian-mixture family has no simulate job")
    assert error.count("\n") == 1 and not (tmp_path / "out").exists()
