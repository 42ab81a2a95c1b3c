"""Validation against Ferbach, Bertrand, Bose & Gidel, "Self-consuming generative models with curated data provably
optimize human preferences" (NeurIPS 2024; arXiv 2407.09499): synthetic samples are curated before retraining, each
kept sample the Bradley-Terry (K-wise Plackett-Luce) winner among k draws of the model, weights exp(r).

Mapping: the categorical family with ``curation`` (:mod:`theory.curation`); the paper's single model is model 0 of
an ecosystem whose W[0] = (1, 0) and alpha_0 = 1 (only its own curated outputs), the paper's lambda = 0. Model 1
keeps real data (alpha_1 = 1/2) and scrapes model 0's curated outputs and its own uncurated ones through W[1] =
(1/2, 1/2): what curating one model does to another (its own outputs pass a flat best-of-3, which keeps them as they
are and exercises per-model k in the Monte Carlo). Rewards log 1, log 2, log 4 give the rational weights 1, 2, 4,
so the theory is exact in rationals. Every value comes from the library's general maps (the sympy population map,
its jax twin, the Monte Carlo of the k-tuples and choices); the brute-force enumerations below are the second
derivations. The paper proves concentration on argmax r; the rate is the population map's multiplier at the vertex
e_* (:func:`theory.curation.vertex_rates`, derived from the map's linearisation), rho_i = k w_i / (w_i + (k - 1) w_*).
"""

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
import sympy
from monte_carlo_checks import Z, assert_mean_agrees, mean_gap

from interplay.numerics.categorical import iterate_population, simulate
from interplay.numerics.categorical.iterate import iterate_moments
from interplay.theory.analysis import eigenvalues
from interplay.theory.categorical.chain import exact_chain
from interplay.theory.categorical.maps import categorical_ecosystem, population_map
from interplay.theory.curation import BestOf, curated_law, vertex_rates
from interplay.theory.spec import SpecError

LOG2 = sympy.log(2)
REWARD = [0, LOG2, 2 * LOG2]  # weights 1, 2, 4: category 3 maximises the reward
WEIGHTS = [1, 2, 4]
CURATED = {"best_of": 2, "reward": REWARD}
PUBLIC = ["1/2", "1/3", "1/6"]
START = [["3/5", "3/10", "1/10"], ["1/3", "1/3", "1/3"]]
N, REPLICATES = 4, 20000
FLAT = {"best_of": 3, "reward": [0, 0, 0]}  # model 1: a uniform choice among 3 iid draws is one draw (no curation);
#                                           it makes the Monte Carlo mix tuples of 2 and of 3 (per-model k)


def ecosystem(curation=CURATED, n=N, **changes):
    options = {
        "alpha": {"per_model": [1, "1/2"]},
        "beta": 0,
        "mixing": [[1, 0], ["1/2", "1/2"]],
        "n": n,
        "regime": "fresh",
        "curation": {"per_model": [curation, FLAT]},
    }
    return categorical_ecosystem([PUBLIC, PUBLIC], PUBLIC, **(options | changes))


def brute_force_curated(p, w, k):
    """The law of the kept sample by enumerating every k-tuple and its Bradley-Terry choice (Fractions)."""
    q = [Fraction(0)] * len(p)
    for draws in itertools.product(range(len(p)), repeat=k):
        chance, total = math.prod(p[i] for i in draws), sum(w[i] for i in draws)
        for i in draws:
            q[i] += chance * Fraction(w[i]) / total
    return q


def multinomial_outcomes(q, n):
    """{counts: probability} of Multinomial(n, q) (Fractions)."""
    outcomes = {}
    for counts in itertools.product(range(n + 1), repeat=len(q)):
        if sum(counts) == n:
            ways = math.factorial(n) // math.prod(math.factorial(c) for c in counts)
            outcomes[counts] = ways * math.prod(x**c for x, c in zip(q, counts))
    return outcomes


@pytest.mark.parametrize(("k", "m"), [(2, 2), (3, 3), (4, 3)])
def test_curated_law_is_the_enumerated_choice_among_k_draws(k, m):
    """Ferbach et al. 2024: the library's closed-form law of a curated sample (a sum over the counts of the k - 1
    other draws) equals the brute-force enumeration of all m^k tuples and their Bradley-Terry choices, exactly."""
    p = [Fraction(1, 10), Fraction(3, 10), Fraction(6, 10)] if m == 3 else [Fraction(1, 4), Fraction(3, 4)]
    exact = curated_law([sympy.Rational(x.numerator, x.denominator) for x in p], BestOf(k, tuple(REWARD[:m])))
    expected = brute_force_curated(p, WEIGHTS[:m], k)
    assert list(exact) == [sympy.Rational(x.numerator, x.denominator) for x in expected]


def _expected(probs, values):
    return (np.asarray(probs) * np.asarray(values, dtype=float)).sum(-1)


def test_single_model_concentrates_on_the_maximiser_at_the_vertex_rate():
    """Ferbach et al. 2024 (only curated synthetic data, lambda = 0): the expected reward, and E[exp(r)], never
    decrease, and the fit concentrates on argmax r; the mass of category i decays by rho_i = k w_i / (w_i + (k - 1)
    w_*) per round (2/5 and 2/3 here), the population map's exact multipliers at the vertex (sympy)."""
    path = iterate_population(ecosystem(n=None), 80, start=START).mean[:, 0]  # model 0: the paper's single model
    reward = [float(r) for r in REWARD]
    for values in (reward, WEIGHTS):
        assert np.all(np.diff(_expected(path, values)) >= -1e-15)
    rates = [float(r) for r in vertex_rates(BestOf(2, tuple(REWARD)))]
    np.testing.assert_allclose(path[-1, :2] / path[-2, :2], rates[:2], rtol=1e-8)
    assert path[-1, 2] > 1 - 1e-13
    single = categorical_ecosystem([PUBLIC], PUBLIC, alpha=1, beta=0, mixing=[[1]], curation=CURATED)
    fmap = population_map(single)
    vertex = dict.fromkeys(fmap.state, 0)
    assert fmap(list(vertex.values())) == [0, 0]  # e_3 is a fixed point
    assert eigenvalues(fmap, vertex) == {sympy.Rational(2, 5): 1, sympy.Rational(2, 3): 1}
    assert vertex_rates(BestOf(2, tuple(REWARD))) == [sympy.Rational(2, 5), sympy.Rational(2, 3), 1]


def test_real_data_give_a_stable_fixed_point_between_data_and_reward():
    """Ferbach et al. 2024 (a fraction of real data each round): the population map has a stable interior fixed
    point, its expected reward above the real data's and below max r."""
    eco = categorical_ecosystem([PUBLIC], PUBLIC, alpha="1/2", beta=0, mixing=[[1]], curation=CURATED)
    path = iterate_population(eco, 200).mean[:, 0]
    point = path[-1]
    np.testing.assert_allclose(path[-2], point, atol=1e-14)
    fmap = population_map(eco)
    at = dict(zip(fmap.state, [sympy.Float(x) for x in point[:2]]))
    assert max(abs(complex(v)) for v in eigenvalues(fmap, at)) < 1
    reward = [float(r) for r in REWARD]
    assert np.all(point > 0.05)
    assert _expected([float(sympy.Rational(x)) for x in PUBLIC], reward) + 0.1 < _expected(point, reward) < 1.2


def test_curating_one_model_moves_the_others_through_W():
    """Curation of model 0's outputs reaches model 1 through W[1, 0] = 1/2: model 1's limit is (2 q + e_3) / 3 (its
    fixed point once model 0 sits at e_3), against (2 q + p_0) / 3 without curation, so its mass on argmax r rises."""
    q = np.array([float(sympy.Rational(x)) for x in PUBLIC])
    curated = iterate_population(ecosystem(n=None), 80, start=START).mean[-1, 1]
    plain = iterate_population(ecosystem(curation=None, n=None), 80, start=START).mean[-1, 1]
    np.testing.assert_allclose(curated, (2 * q + [0, 0, 1]) / 3, atol=1e-12)
    np.testing.assert_allclose(plain, (2 * q + [0.6, 0.3, 0.1]) / 3, atol=1e-12)
    assert curated[2] > plain[2] + 0.25


@pytest.fixture(scope="module")
def simulated():
    """The k-tuples and the choices drawn (numerics.samplers.curation), n = 4, two rounds from START; the mutants
    reuse the compiled program (a reward is a value, not a structure)."""
    runs = {"curated": ecosystem()}
    runs["exp(-r)"] = ecosystem(curation={"best_of": 2, "reward": [-r for r in REWARD]})
    runs["uniform choice"] = ecosystem(curation={"best_of": 2, "reward": [0, 0, 0]})
    return {name: simulate(eco, 2, key=2024, replicates=REPLICATES, start=START).probs for name, eco in runs.items()}


def test_monte_carlo_round_one_is_the_population_map_and_mutants_fail(simulated):
    """Given the past, curated samples are iid from q(p_j): at any n, E p_1 is the population map of p_0 (both models,
    6 comparisons within 4 SE). Drawing the winner by exp(-r), or uniformly among the k, fails by far (|z| below)."""
    exact = iterate_population(ecosystem(n=None), 1, start=START).mean[1].ravel()
    assert_mean_agrees(simulated["curated"][:, 1].reshape(REPLICATES, -1), exact, "E p_1")
    for name in ("exp(-r)", "uniform choice"):
        gap, se = mean_gap(simulated[name][:, 1].reshape(REPLICATES, -1), exact)
        z = (gap / se).max()
        print(f"mutant {name}: max |z| = {z:.1f}")
        assert z > 10 * Z


def test_monte_carlo_two_rounds_is_the_exact_enumeration(simulated):
    """Model 0 alone at n = 4: the law of its round-2 fit enumerated exactly (counts Mult(4, q(p)) of the brute-force
    curated law, two rounds, Fractions) against the simulated frequencies of its 15 states (each within 4 SE)."""
    law = {(Fraction(3, 5), Fraction(3, 10), Fraction(1, 10)): Fraction(1)}
    for _ in range(2):
        after = {}
        for p, chance in law.items():
            for counts, outcome in multinomial_outcomes(brute_force_curated(p, WEIGHTS, 2), N).items():
                state = tuple(Fraction(c, N) for c in counts)
                after[state] = after.get(state, 0) + chance * outcome
        law = after
    fits = np.rint(simulated["curated"][:, 2, 0] * N).astype(int)
    for state, chance in law.items():
        observed = np.all(fits == [int(x * N) for x in state], axis=1).mean()
        se = math.sqrt(float(chance * (1 - chance)) / REPLICATES)
        assert abs(observed - float(chance)) < Z * se, (state, observed, float(chance))


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"curation": {"best_of": 0, "reward": REWARD}}, "curation.best_of"),
        ({"curation": {"best_of": 2, "reward": [0, 1]}}, "curation.reward"),
        ({"curation": {"best_of": 2, "reward": [0, float("inf"), 1]}}, "curation.reward[1]"),
        ({"curation": {"best_of": 2}}, "curation"),
        ({"curation": {"per_model": [CURATED, None]}}, "curation.per_model"),
        ({"composition": "mixture"}, "composition"),
        ({"pool": "shared"}, "pool"),
        ({"regime": "rolling"}, "regime"),
    ],
)
def test_bad_curation_is_refused_naming_the_key(change, key):
    eco = categorical_ecosystem([PUBLIC], PUBLIC, alpha=1, beta=0, mixing=[[1]], n=4, curation=CURATED)
    with pytest.raises(SpecError) as error:
        eco.with_options(**change)
    assert error.value.parameter == key and "\n" not in str(error.value)


def test_curation_is_refused_where_no_map_takes_it():
    """The Gaussian family takes no best-of curation (its curation is a threshold); the finite-n moment recursion
    does not close under curation; the exact chain does not enumerate curated draws."""
    from interplay.theory.gaussian.maps import Gaussian, GaussianSource

    source = GaussianSource([[0]], [[1]])
    with pytest.raises(SpecError, match="^curation:"):
        from interplay.theory.spec import Ecosystem

        Ecosystem(Gaussian(1), source, (source,), curation=CURATED)
    with pytest.raises(SpecError, match="^curation:"):
        iterate_moments(ecosystem(), 1)
    with pytest.raises(SpecError, match="^curation:"):
        exact_chain(ecosystem())


def test_curation_is_described_and_best_of_one_is_none():
    """The option as the spec takes it (model 1 uncurated: None), absent from an uncurated spec's description; a
    best-of-1 (one draw) is no curation, the way a config, which has no None, leaves a model uncurated."""
    reward = [0.0, float(LOG2), float(2 * LOG2)]
    eco = ecosystem().with_options(curation={"per_model": [CURATED, None]})
    assert eco.describe()["curation"] == {"per_model": [{"best_of": 2, "reward": reward}, None]}
    assert "curation" not in eco.with_options(curation=None).describe()
    assert eco.with_options(curation={"per_model": [{"best_of": 1, "reward": [0, 0, 0]}, None]}).curation is None
