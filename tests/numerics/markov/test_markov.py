"""The Markov family: the rows design's exact moments (the categorical family row by row) against Monte Carlo and
against brute-force enumeration in rationals; the sequences design's population map (visit-weighted rows) against
the exact expected counts of every sequence and against Monte Carlo at large n; collapse without real data; bad
input named."""

import functools
import itertools

import numpy as np
import pytest
import sympy
from monte_carlo_checks import Z, assert_mean_agrees, mean_gap

from interplay.numerics.markov.monte_carlo import simulate
from interplay.theory.markov.longrun import population_fixed_point, stationary_distribution
from interplay.theory.markov.maps import (
    markov_ecosystem,
    moment_trajectory,
    population_trajectory,
    source_sizes,
    source_weights,
    visits,
)
from interplay.theory.rounds import plan_at
from interplay.theory.spec import SpecError

R = sympy.Rational
PRIVATE = [[[R(9, 10), R(1, 10)], [R(1, 5), R(4, 5)]], [[R(1, 2), R(1, 2)], [R(1, 10), R(9, 10)]]]
PUBLIC = [[R(1, 2), R(1, 2)], [R(1, 3), R(2, 3)]]


def pair(design="rows", n=8, **options):
    options = {"alpha": R(1, 2), "beta": R(1, 2), "length": 5 if design == "sequences" else None} | options
    return markov_ecosystem(PRIVATE, PUBLIC, design=design, n=n, **options)


def as_float(values) -> np.ndarray:
    return np.array(values, dtype=float)


@functools.cache
def rows_run():
    return simulate(pair(), 3, key=7, replicates=4000).transitions  # (R, 4, K, m, m)


def row_covariance_products(draws, mean):
    """(R, T+1, m, K m, K m): the centred products of row s across models (s, (k, i), (l, j))."""
    centred = (draws - mean).transpose(0, 1, 3, 2, 4)  # (R, T+1, s, K, m)
    flat = centred.reshape(*centred.shape[:3], -1)
    return flat[..., :, None] * flat[..., None, :]


def test_rows_design_exact_moments_match_monte_carlo():
    """E P and the within-row covariance across models of the exact recursion (the categorical family on each
    row), and zero covariance between rows, agree with 4,000 replicates of the transition sampling at every round,
    within 4 SE per entry."""
    draws, exact = rows_run(), moment_trajectory(pair(), 3)
    for t, (mean, covs) in enumerate(exact):
        assert_mean_agrees(draws[:, t], as_float(mean), f"E P at t={t}", constant_below=1e-12)
        products = row_covariance_products(draws[:, t : t + 1], as_float(mean))[:, 0]
        assert_mean_agrees(products, np.stack([as_float(c) for c in covs]), f"Cov rows at t={t}", constant_below=1e-12)
        centred = draws[:, t] - as_float(mean)  # (R, K, m, m): rows 0 and 1 are independent
        across = centred[:, :, 0, :].reshape(-1, 1, 4) * centred[:, :, 1, :].reshape(-1, 4, 1)
        assert_mean_agrees(across, np.zeros((4, 4)), f"Cov across rows at t={t}", constant_below=1e-12)


def test_a_mutant_recursion_fails_the_monte_carlo_check():
    """The covariances of a mutant recursion (n = 16 instead of 8: half the sampling noise) lie far outside the
    band at round 3 (measured max |z| 24)."""
    draws, mutant = rows_run(), moment_trajectory(pair(n=16), 3)[3]
    products = row_covariance_products(draws[:, 3:4], as_float(mutant[0]))[:, 0]
    gap, se = mean_gap(products, np.stack([as_float(c) for c in mutant[1]]))
    varying = se > 1e-12
    assert (gap[varying] / se[varying]).max() > 2 * Z, (gap[varying] / se[varying]).max()


def enumerate_rows(eco, rounds):
    """The exact law of the K = 1 fitted matrix over rounds 0..rounds (rows design) by enumerating every
    binomial count of every source of every row: {P (tuple of rows of Fractions-as-sympy): probability}."""
    m = eco.family.m
    law = {tuple(tuple(R(1, m) for _ in range(m)) for _ in range(m)): sympy.Integer(1)}
    laws = []
    for t in range(rounds + 1):
        plan = plan_at(eco, t)
        w, N = source_weights(plan), source_sizes(plan)
        new = {}
        for P, prob in law.items():
            sources = [eco.private[0].transitions, eco.public.transitions, sympy.Matrix(P)]
            row_laws = []
            for s in range(m):
                outcomes = {}
                ranges = [range(int(N[0, c]) + 1) for c in range(3)]
                for counts in itertools.product(*ranges):
                    p = sympy.Integer(1)
                    for c, x in enumerate(counts):
                        q, n_c = sources[c][s, 0], int(N[0, c])
                        p *= sympy.binomial(n_c, x) * q**x * (1 - q) ** (n_c - x)
                    f = sum(w[0, c] * R(x, int(N[0, c])) for c, x in enumerate(counts) if N[0, c] > 0)
                    outcomes[f] = outcomes.get(f, 0) + p
                row_laws.append(outcomes)
            for combo in itertools.product(*(r.items() for r in row_laws)):
                Pn = tuple((f, 1 - f) for f, _ in combo)
                new[Pn] = new.get(Pn, 0) + prob * sympy.prod([p for _, p in combo])
        law = new
        laws.append(law)
    return laws


def test_rows_design_moments_equal_brute_force_enumeration_in_rationals():
    """K = 1, m = 2, n = 4, alpha = beta = 1/2: E P[s, 0] and Var P[s, 0] of the recursion equal, exactly, those of
    the enumerated law of the fitted matrix (every binomial count of every source of every row) for 3 rounds."""
    eco = markov_ecosystem([PRIVATE[0]], PUBLIC, mixing=[[1]], alpha=R(1, 2), beta=R(1, 2), n=4)
    exact = moment_trajectory(eco, 2)
    for (mean, covs), law in zip(exact, enumerate_rows(eco, 2)):
        for s in range(2):
            e = sum(p * P[s][0] for P, p in law.items())
            var = sum(p * (P[s][0] - e) ** 2 for P, p in law.items())
            assert sympy.simplify(e - mean[0, s, 0]) == 0 and sympy.simplify(var - covs[s][0, 0]) == 0


def test_visits_equal_expected_counts_of_every_sequence():
    """E c[s, i] of one sequence of L = 4 states from mu, summed exactly over all 2^4 sequences, is
    v(s) Q[s, i] with v from :func:`visits` (the population map's weights)."""
    Q, mu = sympy.Matrix(PRIVATE[0]), [R(1, 4), R(3, 4)]
    expected = sympy.zeros(2, 2)
    for path in itertools.product(range(2), repeat=4):
        p = mu[path[0]] * sympy.prod([Q[a, b] for a, b in zip(path, path[1:])])
        for a, b in zip(path, path[1:]):
            expected[a, b] += p
    v = visits(np.array(Q.tolist(), dtype=object)[None], np.array(mu, dtype=object), 4)[0]
    assert all(sympy.simplify(expected[s, i] - v[s] * Q[s, i]) == 0 for s in range(2) for i in range(2))


def test_sequences_population_map_matches_monte_carlo_at_large_n_and_a_mutant_does_not():
    """n = 600 sequences of 5 states per model and round: the mean fitted matrices after 2 rounds lie within 4 SE
    per entry (a familywise level under 1e-3 over the 8 entries) of the visit-weighted population map (measured
    max |z| 1.2: its O(1/n) ratio bias is far below the SE); the rows design's unweighted mix (the mutant: visits
    ignored) lies outside (measured |z| 36)."""
    eco = pair("sequences", n=600)
    draws = simulate(eco, 2, key=3, replicates=300).transitions[:, 2]
    exact = as_float([[list(Q.row(s)) for s in range(2)] for Q in population_trajectory(eco, 2)[2]])
    assert_mean_agrees(draws, exact, "population map")
    mutant = as_float([[list(Q.row(s)) for s in range(2)] for Q in population_trajectory(pair(n=600), 2)[2]])
    gap, se = mean_gap(draws, mutant)
    assert (gap / se).max() > 2 * Z, (gap / se).max()


def test_without_real_data_the_rows_and_the_stationary_distribution_collapse():
    """One model on its own transitions (alpha = 1, n = 4): after 40 rounds nearly every row is deterministic and
    the fitted chain's stationary law is a point mass when a state absorbs; with real data (alpha = 1/2) the
    population fixed point keeps every transition and a stationary law of full support."""
    alone = markov_ecosystem([PRIVATE[1]], PUBLIC, mixing=[[1]], alpha=1, beta=1, n=4)
    last = simulate(alone, 40, key=5, replicates=500).transitions[:, -1, 0]
    assert ((last == 0) | (last == 1)).mean() > 0.99
    absorbing = (last[:, 0, 0] == 1) | (last[:, 1, 1] == 1)
    assert absorbing.mean() > 0.5
    (fixed,) = population_fixed_point(markov_ecosystem([PRIVATE[1]], PUBLIC, mixing=[[1]], n=4))
    assert all(0 < x < 1 for x in fixed) and all(0 < x < 1 for x in stationary_distribution(fixed))
    assert stationary_distribution(sympy.Matrix([[1, 0], [R(1, 2), R(1, 2)]])) == sympy.Matrix([[1, 0]])


@pytest.mark.parametrize(
    ("make", "key"),
    [
        (lambda: markov_ecosystem(PRIVATE, PUBLIC, design="ngram"), "family.design"),
        (lambda: markov_ecosystem(PRIVATE, PUBLIC, design="sequences", length=1), "family.length"),
        (lambda: markov_ecosystem(PRIVATE, PUBLIC, design="sequences", length=3, initial=[1, 0]), "family.initial"),
        (lambda: markov_ecosystem([[[1, 0], [1, 1]]], PUBLIC), r"private\[0\].transitions"),
        (lambda: markov_ecosystem(PRIVATE, [[0.5, 0.5, 0], [0, 1, 0], [0, 0, 1]]), r"private\[0\].transitions"),
        (lambda: markov_ecosystem(PRIVATE, [[1, 0]]), "public.transitions"),
        (lambda: markov_ecosystem(PRIVATE, PUBLIC, regime="reuse"), "regime"),
        (lambda: markov_ecosystem(PRIVATE, PUBLIC, composition="mixture"), "composition"),
        (lambda: moment_trajectory(pair("sequences"), 1), "family.design"),
        (lambda: __import__("interplay.theory").theory.long_run(pair("sequences")), "family.design"),
        (lambda: simulate(pair(), 1, key=0, replicates=2, start=[[1, 0]]), "start"),
        (lambda: simulate(pair(), 1, key=0, replicates=0), "replicates"),
    ],
)
def test_bad_input_is_one_spec_error_naming_the_key(make, key):
    with pytest.raises(SpecError, match=f"^{key}: "):
        make()


def test_the_registered_hooks_agree_with_the_exact_maps_and_refuse_what_the_family_lacks():
    """Through the registry: theory.long_run's fixed point is (I - alpha W)^-1 R Q row by row, numerics'
    float64 population map is the exact one (both designs), iterate_moments is the exact recursion; the moment
    map and sweeps are refused by name (config files: tests/numerics/cli/test_config.py)."""
    import interplay.numerics as numerics
    from interplay.theory import long_run

    eco = pair()
    answer = long_run(eco)
    assert list(answer["transitions"]) == population_fixed_point(eco)
    assert answer["stationary"].row(0) == stationary_distribution(population_fixed_point(eco)[0])
    for design in ("rows", "sequences"):
        exact = as_float([[list(Q.row(s)) for s in range(2)] for Q in population_trajectory(pair(design), 2)[2]])
        np.testing.assert_allclose(numerics.iterate_population(pair(design), 2).mean[2], exact, rtol=1e-13)
    moments = numerics.iterate_moments(eco, 2)
    (mean, covs) = moment_trajectory(eco, 2)[2]
    np.testing.assert_allclose(moments.mean[2], as_float(mean), rtol=1e-13)
    np.testing.assert_allclose(moments.row_cov[2].reshape(2, 4, 4), np.stack([as_float(c) for c in covs]), atol=1e-15)
    with pytest.raises(SpecError, match="^of: "):
        long_run(eco, of="moments")
    with pytest.raises(SpecError, match="^family.design: "):
        numerics.iterate_moments(pair("sequences"), 2)
    with pytest.raises(SpecError, match="^family: the markov family has no sweeps"):
        numerics.registry.family(eco).sweep_values(eco)


def test_replicates_do_not_depend_on_the_chunks_they_run_in(monkeypatch):
    """Replicate r's draws are its own key's: 5 replicates run one by one equal the first 5 of the 4,000 run in one
    chunk (the rows design's program); a size whose draws cannot fit is refused naming n."""
    from interplay.numerics.markov import monte_carlo

    whole = rows_run()[:5]
    monkeypatch.setattr(monte_carlo, "CHUNK_BYTES", 1)
    np.testing.assert_array_equal(simulate(pair(), 3, key=7, replicates=5).transitions, whole)
    with pytest.raises(SpecError, match="^n: "):
        simulate(pair(n=10**12), 1, key=0, replicates=2)
