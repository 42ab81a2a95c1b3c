"""Public sizes per model under ``fresh`` and ``accumulate``, categorical: model k counts the first N_k tokens of the
round's one public sample (nested prefixes, :mod:`theory.rounds`), so Cov of two models' public frequencies is
(diag q - q q^T) / max(N_k, N_l). Three models, m = 3, alpha per model (1/5, 1/2, 4/5), beta 1/2, n 12 (public
sizes 5, 3, 1 from round 1), and n per model (6, 12, 18: public sizes 2, 3, 5): the compiled recursion against the
sympy map; the Monte Carlo (multinomial counts of the blocks between the sorted sizes, cumulative sums) against the
exact moments; a mutant of the public term (V / min(N_k, N_l)) rejected by the same Monte Carlo. Second derivation:
the exact chain (theory.categorical.chain: the public sample's blocks enumerated) of a tiny case, two models, m = 2,
n = 4, alpha (0, 1/2) (public sizes 2 and 1), against the recursion, exact rationals.

Tolerance: E p (9) and the centred products (45) at rounds 0..2 of three runs, 486 comparisons; Z_FAMILY (~4.5);
entries constant across replicates must be exact.
"""

from fractions import Fraction

import numpy as np
import pytest
import scipy.stats
import sympy
from monte_carlo_checks import assert_categorical_trajectory_agrees
from sympy import Rational as Q

import interplay.numerics.categorical as nc
from interplay.numerics.driver.sizes import public_levels, spec_sizes
from interplay.theory.categorical import chain
from interplay.theory.categorical import maps as categorical
from interplay.theory.categorical.maps import categorical_ecosystem, moment_trajectory
from interplay.theory.rounds import plan_at

W = [[Q(3, 5), Q(2, 5), 0], [0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, Q(7, 10)]]
PRIVATE = [[Q(1, 2), Q(1, 2), 0], [Q(1, 5), Q(3, 5), Q(1, 5)], [0, Q(1, 4), Q(3, 4)]]
PUBLIC = [Q(1, 3), Q(1, 6), Q(1, 2)]
ROUNDS = 2
Z_FAMILY = float(scipy.stats.norm.isf(1e-3 / (2 * 486)))
SPECS = {
    "alpha-fresh": dict(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(4, 5)]}, regime="fresh"),
    "alpha-accumulate": dict(alpha={"per_model": [Q(1, 5), Q(1, 2), Q(4, 5)]}, regime="accumulate"),
    "n-fresh": dict(n={"per_model": [6, 12, 18]}, regime="fresh"),
}


def three(name):
    return categorical_ecosystem(PRIVATE, PUBLIC, **(dict(alpha=Q(1, 2), beta=Q(1, 2), n=12, mixing=W) | SPECS[name]))


def exact(eco):
    """E p (T + 1, Km) and Cov p (T + 1, Km, Km) of the sympy recursion, as floats."""
    trajectory = moment_trajectory(eco, ROUNDS)
    return np.array([np.asarray(m, float)[:, 0] for m, _ in trajectory]), np.array(
        [np.asarray(c, float) for _, c in trajectory]
    )


def test_the_public_sizes_differ_and_nest():
    assert [list(plan_at(three(name), 1).n_public) for name in SPECS] == [[5, 3, 1], [5, 3, 1], [2, 3, 5]]


@pytest.mark.parametrize("name", SPECS)
def test_compiled_recursion_equals_the_sympy_map(name):
    eco = three(name)
    mean, cov = exact(eco)
    compiled = nc.iterate_moments(eco, ROUNDS)
    np.testing.assert_allclose(compiled.mean.reshape(ROUNDS + 1, 9), mean, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(compiled.cov.reshape(ROUNDS + 1, 9, 9), cov, rtol=1e-12, atol=1e-16)


@pytest.mark.parametrize(("name", "seed"), [("alpha-fresh", 41), ("alpha-accumulate", 42), ("n-fresh", 43)])
def test_monte_carlo_of_nested_public_prefixes_matches_the_exact_moments(name, seed):
    eco = three(name)
    mc = nc.simulate(eco, ROUNDS, key=seed, replicates=4000)
    assert_categorical_trajectory_agrees(mc.probs, *exact(eco), z_limit=Z_FAMILY)


def test_the_monte_carlo_rejects_v_over_the_smaller_prefix(monkeypatch):
    eco = three("alpha-fresh")
    mc = nc.simulate(eco, ROUNDS, key=41, replicates=4000)

    def wrong(plan, ops):
        w, N = plan.w_public, plan.n_public
        return sympy.Matrix(3, 3, lambda k, l: w[k] * w[l] / sympy.Min(N[k], N[l]))

    monkeypatch.setattr(categorical, "public_rates", wrong)
    with pytest.raises(AssertionError, match="Cov p at t=1"):
        assert_categorical_trajectory_agrees(mc.probs, *exact(eco), z_limit=Z_FAMILY)


def test_the_exact_chain_of_nested_public_prefixes_equals_the_recursion():
    """Two rounds (the second reads the first's random fits), fresh: E p and Cov p of the chain's law (every token
    count enumerated, the public sample as blocks between the sorted sizes) equal the recursion's, exactly."""
    private, public = [[Q(1, 2), Q(1, 2)], [Q(1, 5), Q(4, 5)]], [Q(1, 3), Q(2, 3)]
    eco = categorical_ecosystem(private, public, alpha={"per_model": [0, Q(1, 2)]}, beta=Q(1, 2), n=4, regime="fresh")
    assert list(plan_at(eco, 1).n_public) == [2, 1]
    laws, recursion = chain.distributions(eco, 2), moment_trajectory(eco, 2)
    flat = lambda fit, i: Fraction(fit[i // 2][i % 2])  # noqa: E731
    for t in (1, 2):
        mean = [chain.expectation(laws[t], lambda fit, i=i: flat(fit, i)) for i in range(4)]
        second = [[chain.expectation(laws[t], lambda fit, i=i, j=j: flat(fit, i) * flat(fit, j)) for j in range(4)]
                  for i in range(4)]  # fmt: skip
        assert recursion[t][0] == sympy.Matrix(4, 1, mean), t
        cov = [[second[i][j] - mean[i] * mean[j] for j in range(4)] for i in range(4)]
        assert recursion[t][1] == sympy.Matrix(cov), t
    assert recursion[1][1][0, 2] != 0  # the two models' public prefixes correlate them


W4 = [[Q(1, 2), Q(1, 2), 0, 0], [0, Q(1, 2), Q(1, 2), 0], [0, 0, Q(1, 2), Q(1, 2)], [Q(3, 10), 0, 0, Q(7, 10)]]
Z_FOUR = float(scipy.stats.norm.isf(1e-3 / (2 * 2 * 3 * (12 + 78))))  # E p, Cov p (upper) at rounds 0..2, two runs


@pytest.mark.parametrize(("method", "seed"), [("multinomial", 44), ("raw", 45)])
def test_models_of_equal_public_size_share_one_prefix_in_law(method, seed):
    """Four models, alpha per model (1/5, 1/2, 1/5, 1/2), beta 1/2, n 12: public sizes 5, 3, 5, 3 from round 1, two
    distinct values shared by two models each, so the simulation draws two public increments (public_levels = 2)
    and the models of equal size count the same prefix: the Monte Carlo (4,000 replicates, both routes of counts)
    agrees with the exact moments, whose Cov p between models 0 and 2 at round 1 holds the common term; 540
    comparisons, Bonferroni Z_FOUR (~4.3)."""
    alpha = {"per_model": [Q(1, 5), Q(1, 2), Q(1, 5), Q(1, 2)]}
    eco = categorical_ecosystem(PRIVATE + [PUBLIC], PUBLIC, alpha=alpha, beta=Q(1, 2), n=12, mixing=W4, regime="fresh")
    assert [list(plan_at(eco, t).n_public) for t in (0, 1)] == [[6, 6, 6, 6], [5, 3, 5, 3]]
    assert public_levels(spec_sizes(eco, ROUNDS)) == 2
    mc = nc.simulate(eco, ROUNDS, key=seed, replicates=4000, method=method)
    assert_categorical_trajectory_agrees(mc.probs, *exact(eco), z_limit=Z_FOUR)
