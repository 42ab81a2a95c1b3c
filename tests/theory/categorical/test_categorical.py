"""Categorical family: spec validation, maps, fixed points, Jacobians, and the moment recursion against the exact
Markov chain (two independent derivations, compared in exact rational arithmetic)."""

import jax
import numpy as np
import pytest
import sympy

import interplay.numerics.categorical as nc
from interplay.numerics.driver.compile import compile_map
from interplay.theory import (
    Ecosystem,
    SpecError,
    eigenvalues,
    fixed_point,
    jacobian,
    moment_map,
    population_map,
    stability_condition,
)
from interplay.theory.categorical.chain import distributions, exact_chain, expectation
from interplay.theory.categorical.maps import (
    Categorical,
    CategoricalSource,
    categorical_ecosystem,
    expected_diversity,
    expected_squared_distance,
    limiting_probs,
    moment_trajectory,
)

R = sympy.Rational
PAIR = dict(private_probs=[[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]], public_probs=[0.2, 0.6, 0.2])


def pair(**options):
    return categorical_ecosystem(PAIR["private_probs"], PAIR["public_probs"], **options)


# -- bad inputs ----------------------------------------------------------------------------------------------

BAD = {
    "not summing to 1": (lambda: pair(), {"public_probs": [0.2, 0.6, 0.3]}, "public.probs: must sum to 1"),
    "negative entry": (None, {"private_probs": [[1.2, -0.2, 0.0], [0, 0.5, 0.5]]}, "private\\[0\\].probs: entries"),
    "wrong length": (None, {"private_probs": [[0.5, 0.5], [0, 0.5, 0.5]]}, "private\\[0\\].probs: has 2 categories"),
    "tau zero": (None, {"temperature": 0}, "temperature: must be > 0"),
    "tau negative": (None, {"temperature": -1.0}, "temperature: must be > 0"),
    "smoothing negative": (None, {"smoothing": -0.5}, "smoothing: must be >= 0"),
    "sizes length": (None, {"sizes": [10]}, "sizes: expected 2"),
    "n zero": (None, {"n": 0}, "n: must be >= 1"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_names_the_parameter(case):
    _, changes, message = BAD[case]
    options = {**PAIR, **changes}
    with pytest.raises(SpecError, match=message):
        categorical_ecosystem(options.pop("private_probs"), options.pop("public_probs"), **options)


def test_bad_family_and_source_inputs():
    with pytest.raises(SpecError, match="family.m: must be an integer >= 2"):
        Categorical(1)
    with pytest.raises(SpecError, match="x.probs: must be a vector of at least 2"):
        CategoricalSource([1.0], name="x")
    with pytest.raises(SpecError, match="x.size: must be an integer >= 1"):
        CategoricalSource([0.5, 0.5], size=0, name="x")
    q = sympy.Symbol("q", positive=True)
    with pytest.raises(SpecError, match="x.probs: must sum to 1"):
        CategoricalSource([q, q], name="x")
    assert CategoricalSource([q, 1 - q]).m == 2  # symbolic probabilities that sum to one are fine


def test_bad_inputs_to_the_computations():
    with pytest.raises(SpecError, match="temperature: the moment recursion closes only for tau = 1"):
        moment_map(pair(n=10, temperature=0.5))
    with pytest.raises(SpecError, match="temperature: the moment recursion closes only"):
        nc.iterate_moments(pair(n=10, temperature=2), 3)
    with pytest.raises(SpecError, match="temperature: the exact chain needs 1/tau a positive integer"):
        exact_chain(pair(n=4, temperature=2))
    with pytest.raises(SpecError, match="n: the exact chain needs a finite n"):
        exact_chain(pair())
    with pytest.raises(SpecError, match="regime: the exact chain is time-homogeneous only"):
        exact_chain(pair(n=4, regime="accumulate"))
    with pytest.raises(SpecError, match="ecosystem: numerics needs numbers"):
        nc.iterate_population(pair(alpha=sympy.Symbol("a")), 3)
    with pytest.raises(SpecError, match="n: Monte Carlo needs finite sample sizes"):
        nc.simulate(pair(), 3, key=0, replicates=2)
    with pytest.raises(SpecError, match="replicates"):
        nc.simulate(pair(n=5), 3, key=0, replicates=0)
    gaussian = Ecosystem.gaussian([[0]], [0])
    with pytest.raises(SpecError, match="family: this computation is for categorical"):
        nc.iterate_moments(gaussian, 2)


# -- population map: fixed point, stability, Jacobian ---------------------------------------------------------


def test_population_fixed_point_symbolic_vs_long_run_iterate():
    """The symbolic fixed point in alpha, beta (equal shares) equals the iterate after 400 rounds, and the
    stability condition is alpha < 1 with eigenvalues alpha (each model's free coordinates, summed direction) and
    0 (the models' differences: equal shares feed both models the same synthetic data)."""
    a, b = sympy.symbols("alpha beta", nonnegative=True)
    eco = pair(alpha=a, beta=b)
    fmap = population_map(eco)
    point = fixed_point(fmap)
    assert stability_condition(fmap, point) == (a < 1)
    assert eigenvalues(fmap, point) == {a: 2, 0: 2}
    limit = fmap.unpack(point)["probs"]
    assert all(sympy.simplify(sum(limit.row(k)) - 1) == 0 for k in range(2))
    for alpha, beta in [(0.3, 0.5), (0.8, 0.9), (0.0, 1.0)]:
        values = np.array(limit.subs({a: R(alpha), b: R(beta)}).evalf(), dtype=float)
        long_run = nc.iterate_population(pair(alpha=alpha, beta=beta), 400).mean[-1]
        np.testing.assert_allclose(long_run, values, atol=1e-12)
    # alpha = 1: any consensus is fixed -> no unique fixed point
    with pytest.raises(ValueError, match="continuum|fixed points"):
        fixed_point(population_map(pair(alpha=1, beta=0.5)))


@pytest.mark.parametrize("temperature", [1, 0.5, 2])
@pytest.mark.parametrize("regime", ["fresh", "accumulate"])
def test_population_jacobian_sympy_vs_jax(temperature, regime):
    """jax.jacfwd of the compiled symbolic map equals the sympy Jacobian at random interior points, and the
    compiled map equals the jax-ops step that numerics iterates (same map reached two ways)."""
    eco = pair(alpha=0.6, beta=0.3, mixing=[[0.7, 0.3], [0.4, 0.6]], temperature=temperature, regime=regime)
    fmap = population_map(eco, t=3)
    f, parameters = compile_map(fmap)
    assert parameters == ()
    J = jacobian(fmap)
    rng = np.random.default_rng(0)
    for _ in range(3):
        probs = rng.dirichlet(np.ones(3), size=2)
        x = probs[:, :2].ravel()
        exact = np.array(J.subs(dict(zip(fmap.state, x))).evalf(), dtype=float)
        np.testing.assert_allclose(np.asarray(jax.jacfwd(f)(x)), exact, rtol=1e-10, atol=1e-12)
        values = np.array([float(v) for v in fmap(x)])
        np.testing.assert_allclose(np.asarray(f(x)), values, rtol=1e-12)


def test_temperature_sharpens_the_population_limit():
    """tau < 1 concentrates the self-consuming limit, tau > 1 spreads it (numeric long-run iterate, checked to be
    a fixed point of the exact symbolic map); tau = 1 matches the closed-form fixed point."""
    limits = {}
    for tau in [0.5, 1, 2]:
        eco = pair(alpha=0.7, beta=0.5, temperature=tau)
        limit = nc.iterate_population(eco, 600).mean[-1]
        fmap = population_map(eco)
        image = np.array([float(v) for v in fmap(limit[:, :2].ravel())])
        np.testing.assert_allclose(image, limit[:, :2].ravel(), atol=1e-12)
        limits[tau] = limit
    diversity = {tau: 1 - (p**2).sum(-1) for tau, p in limits.items()}
    assert np.all(diversity[0.5] < diversity[1]) and np.all(diversity[1] < diversity[2])
    exact = np.array(limiting_probs(pair(alpha=0.7, beta=0.5)).evalf(), dtype=float)
    np.testing.assert_allclose(limits[1], exact, atol=1e-12)


# -- moment map --------------------------------------------------------------------------------------------


def test_moment_map_fixed_point_and_jacobian():
    """Symbolic fixed point of the exact moment recursion = the long-run jax iterate; jacfwd = sympy Jacobian."""
    eco = pair(alpha=0.5, beta=0.5, n=6, regime="fresh", smoothing=0.5)
    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    long_run = nc.iterate_moments(eco, 300)
    s = R(6, 6 + 3 * R(1, 2))  # the fit p = s F + (1 - s)/3
    mean_p = np.array((s * parts["mean"] + (1 - s) / 3 * sympy.ones(6, 1)).evalf(), dtype=float).ravel()
    cov_p = np.array((s**2 * parts["cov"]).evalf(), dtype=float)
    np.testing.assert_allclose(long_run.mean[-1].ravel(), mean_p, atol=1e-12)
    np.testing.assert_allclose(long_run.cov[-1].reshape(6, 6), cov_p, atol=1e-12)
    assert stability_condition(fmap) is sympy.true
    f, _ = compile_map(fmap)
    x = np.random.default_rng(1).normal(size=len(fmap.state)) * 0.1
    exact = np.array(jacobian(fmap).subs(dict(zip(fmap.state, x))).evalf(), dtype=float)
    np.testing.assert_allclose(np.asarray(jax.jacfwd(f)(x)), exact, rtol=1e-10, atol=1e-12)


CHAIN_SETTINGS = {
    "K1-fresh-a1": (dict(alpha=1, beta=1, n=4, regime="fresh", mixing=[[1]]), 1, 3),
    "K1-reuse-smooth": (dict(alpha=0.5, beta=1, n=4, regime="reuse", mixing=[[1]], smoothing=1), 1, 3),
    "K2-fresh-W": (dict(alpha=0.5, beta=0.5, n=4, regime="fresh", mixing=[[0.5, 0.5], [0.5, 0.5]]), 2, 2),
    "K2-reuse": (dict(alpha=0.5, beta=0.5, n=4, regime="reuse"), 2, 2),
    "K1-accumulate-smooth": (dict(alpha=0.5, beta=1, n=2, regime="accumulate", mixing=[[1]], smoothing=0.5), 1, 3),
    "K2-schedule": (dict(alpha=[0.5, 1.0], beta=[1.0, 0.5], n=4, regime="fresh", mixing=[[0, 1], [1, 0]]), 2, 2),
    # composition "mixture": the chain draws model k's N_syn synthetic samples from sum_j W[k, j] p_j at once
    "K2-fresh-mixture": (
        dict(alpha=0.5, beta=0.5, n=4, regime="fresh", mixing=[[0.75, 0.25], [0.5, 0.5]], composition="mixture"),
        2,
        2,
    ),
    # pool "shared": model 1's one sample, scraped by model 0 (1 token) and model 1 (2 tokens), drawn as blocks
    "K2-reuse-shared": (
        dict(alpha=0.5, beta=0.5, n=4, regime="reuse", mixing=[[0.5, 0.5], [0, 1]], pool="shared", smoothing=1),
        2,
        2,
    ),
}


@pytest.mark.parametrize("name", list(CHAIN_SETTINGS))
def test_moment_recursion_equals_brute_force_chain_expectations(name):
    """E p, Cov p (every pair of models and categories) and E[1 - sum p^2] from the moment recursion equal the
    expectations under the exact law of the chain, as exact rationals, at every round."""
    options, K, rounds = CHAIN_SETTINGS[name]
    eco = pair(**options) if K == 2 else categorical_ecosystem([[R(1, 2), R(1, 4), R(1, 4)]], [R(1, 3)] * 3, **options)
    m = eco.dim
    laws = distributions(eco, rounds)
    for t, (mean, cov) in enumerate(moment_trajectory(eco, rounds)):
        law = laws[t]
        assert sum(law.values()) == 1
        flat = [(k, i) for k in range(K) for i in range(m)]
        for a, (k, i) in enumerate(flat):
            assert expectation(law, lambda f, k=k, i=i: f[k][i]) == mean[a], (t, k, i)
            for b, (l, j) in enumerate(flat):
                second = expectation(law, lambda f, k=k, i=i, l=l, j=j: f[k][i] * f[l][j])
                assert second - mean[a] * mean[b] == cov[a, b], (t, k, i, l, j)
        for k in range(K):
            assert expectation(law, lambda f, k=k: 1 - sum(x**2 for x in f[k])) == expected_diversity(mean, cov, k, m)
        if K == 2:
            distance = expectation(law, lambda f: sum((x - y) ** 2 for x, y in zip(f[0], f[1])))
            assert distance == expected_squared_distance(mean, cov, 0, 1, m)


def test_jax_moment_iteration_equals_sympy():
    """numerics.iterate_moments (jax ops) = theory's sympy moment trajectory, in float64."""
    eco = pair(alpha=0.4, beta=0.7, n=9, regime="reuse", mixing=[[0.8, 0.2], [0.1, 0.9]], smoothing=0.25)
    fast = nc.iterate_moments(eco, 5)
    for t, (mean, cov) in enumerate(moment_trajectory(eco, 5)):
        np.testing.assert_allclose(fast.mean[t].ravel(), np.array(mean.evalf(), dtype=float).ravel(), atol=1e-14)
        np.testing.assert_allclose(fast.cov[t].reshape(6, 6), np.array(cov.evalf(), dtype=float), atol=1e-14)


# -- collapse and rescue -------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 5, 40])
def test_self_consuming_diversity_shrinks_by_one_minus_one_over_n(n):
    """alpha = 1, one model, MLE: E[1 - sum p^2] shrinks by exactly (1 - 1/n) per round (symbolic source probs)."""
    q = sympy.symbols("q1 q2", positive=True)
    eco = categorical_ecosystem([[q[0], q[1], 1 - q[0] - q[1]]], [R(1, 3)] * 3, alpha=1, beta=1, n=n, mixing=[[1]])
    trajectory = moment_trajectory(eco, 4)
    diversity = [expected_diversity(mean, cov, 0, 3) for mean, cov in trajectory]
    for before, after in zip(diversity, diversity[1:]):
        assert sympy.simplify(after - (1 - R(1, n)) * before) == 0
    # and the first one: n real samples of q
    h = 1 - q[0] ** 2 - q[1] ** 2 - (1 - q[0] - q[1]) ** 2
    assert sympy.simplify(diversity[0] - (1 - R(1, n)) * h) == 0


def test_self_consuming_chain_absorbs_in_point_masses_with_martingale_odds():
    """alpha = 1: the closed classes of the exact chain are exactly the point masses on the categories the data
    can show; fixation probabilities equal E p_0 (the martingale), also with a zero-probability category."""
    eco = categorical_ecosystem([[R(1, 2), R(1, 3), R(1, 6), 0]], [R(1, 4)] * 4, alpha=1, beta=1, n=5, mixing=[[1]])
    chain = exact_chain(eco)
    classes, A = chain.absorption_probabilities()
    assert all(len(c) == 1 for c in classes)
    vertices = sorted(chain.fits[c[0]][0] for c in classes)
    assert vertices == sorted(tuple(int(i == j) for i in range(4)) for j in range(3))  # category 4 never appears
    fixation = chain.initial_vector() * A
    for c, (state,) in enumerate(classes):
        category = chain.fits[state][0].index(1)
        assert fixation[c] == [R(1, 2), R(1, 3), R(1, 6)][category]
    assert (chain.initial_vector() * chain.absorption_times())[0] > 0


def test_fresh_data_stationary_law_matches_the_moment_fixed_point():
    """alpha < 1 with fresh real data: the chain is irreducible (one closed class, non-degenerate) and its exact
    stationary mean and variance equal the fixed point of the exact moment recursion."""
    eco = categorical_ecosystem(
        [[R(1, 2), R(1, 3), R(1, 6)]], [R(1, 3)] * 3, alpha=0.5, beta=1, n=4, mixing=[[1]], regime="fresh"
    )
    chain = exact_chain(eco)
    (closed,) = chain.closed_classes()
    law = {chain.fits[i]: p for i, p in chain.stationary(closed).items()}
    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    for i in range(3):
        assert expectation(law, lambda f, i=i: f[0][i]) == parts["mean"][i]
        second = expectation(law, lambda f, i=i: f[0][i] ** 2)
        assert second - parts["mean"][i] ** 2 == parts["cov"][i, i]
    assert expectation(law, lambda f: 1 - sum(x**2 for x in f[0])) > R(1, 3)
    assert len(closed) > 1


def test_population_limit_distance_closed_form():
    """Equal shares: the models' population limits differ only by their private data, p_1* - p_2* =
    (1 - alpha) beta (q_1 - q_2), so TV(p_1*, p_2*) = (1 - alpha) beta TV(q_1, q_2) (homogenisation)."""
    a, b = sympy.symbols("alpha beta", nonnegative=True)
    limit = limiting_probs(pair(alpha=a, beta=b))
    q1, q2 = sympy.Matrix([[R(1, 2), R(1, 2), 0]]), sympy.Matrix([[0, R(1, 2), R(1, 2)]])
    assert sympy.simplify(limit.row(0) - limit.row(1) - (1 - a) * b * (q1 - q2)) == sympy.zeros(1, 3)
    tv = nc.iterate_population(pair(alpha=0.6, beta=0.5), 200).total_variation(0, 1)[-1]
    assert tv == pytest.approx(0.4 * 0.5 * 0.5, abs=1e-12)


def test_exact_law_shows_a_progress_bar_only_when_asked(capsys):
    """law(t) multiplies by P once a round not computed before: with progress=True a bar counts those rounds on
    stderr, else silence; the law is the same either way."""
    eco = categorical_ecosystem([[R(1, 2), R(1, 2)]], [R(1, 2)] * 2, alpha=1, beta=1, n=2, mixing=[[1]])
    quiet = exact_chain(eco).law(3)
    assert capsys.readouterr().err == ""
    assert exact_chain(eco).law(3, progress=True) == quiet
    shown = capsys.readouterr().err.replace("\r", "\n").splitlines()[-1]
    assert "exact law" in shown and "3/3" in shown
    assert distributions(eco, 2, progress=True)[-1] == exact_chain(eco).law(2)
    assert "3/3" in capsys.readouterr().err
