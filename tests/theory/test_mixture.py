"""The ``mixture`` composition's shared parts: its sample sizes (counts that add up at any K), the spec option, and
the between-model spread it adds to the synthetic noise (theory.mixture, numerics.driver.mixture), checked against
a brute-force expectation and against each other; the sampler of the sources of synthetic samples."""

from fractions import Fraction

import jax
import numpy as np
import pytest
import sympy
from linear_cases import general
from scipy import stats

from interplay.numerics.driver import mixture as mixture_numerics
from interplay.numerics.samplers.mixture import source_indices
from interplay.theory import Ecosystem, SpecError
from interplay.theory.mixture import expected_spread
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.rounds import sample_sizes
from interplay.theory.spec import floats


def gaussian(K, **options):
    return Ecosystem.gaussian(means=[[k] for k in range(K)], public_mean=[0], **options)


def test_the_option_is_checked_and_named():
    with pytest.raises(SpecError, match="^composition: must be one of"):
        gaussian(2, n=10, composition="bootstrap")
    with pytest.raises(SpecError, match=r"^composition: the linear-gaussian family has \('fixed',\) only"):
        general(2, 1, n=10, composition="mixture")  # a family without a mixture (yet): named, with what it has


@pytest.mark.parametrize("K", [2, 3, 200, 1000])
def test_mixture_counts_add_up_for_any_number_of_models(K):
    """n = 10, alpha = beta = 1/2: N_public = round(2.5) = 3, then 7 shared 1/4 : 1/2 -> quotas 2.33, 4.67 ->
    2 private and 5 synthetic samples for every model however many models it draws from (the fixed composition
    gives 200 models at least one sample each: more than n); the expected count from model j is W[k, j] 5."""
    eco = poisson_ecosystem([1] * K, 1, n=10, regime="fresh", composition="mixture")
    private, public, synthetic = sample_sizes(eco, eco.alpha_at(1), eco.beta_at(1), initial=False)
    assert public == [[3]] * K and private == [[2]] * K
    assert all(row == (Fraction(5, K),) * K for row in synthetic)
    fixed = sample_sizes(eco.with_options(composition="fixed"), eco.alpha_at(1), eco.beta_at(1), initial=False)
    assert (sum(fixed.n_synthetic[0]) + fixed.n_private[0][0] + fixed.n_public[0][0] > 10) == (K >= 200)


def test_a_sparse_row_gives_expected_counts_only_where_w_is_positive():
    mixing = [[0, 1, 0], ["1/3", 0, "2/3"], [0, 0, 1]]
    eco = poisson_ecosystem([1, 2, 3], 1, n=20, alpha=1, beta=0, mixing=mixing, composition="mixture", regime="fresh")
    private, public, synthetic = sample_sizes(eco, 1, 0, initial=False)
    assert (private, public) == ([[0]] * 3, [[0]] * 3)
    assert synthetic == ((0, 20, 0), (Fraction(20, 3), 0, Fraction(40, 3)), (0, 0, 20))


def _law():
    """A discrete law of theta (K = 3 models, d = 2): atoms with probabilities, all exact."""
    atoms = [
        sympy.Matrix([1, 0, 2, -1, 0, 3]),
        sympy.Matrix([0, 2, -1, 1, 4, 0]),
        sympy.Matrix([3, 1, 1, 1, -2, 2]),
    ]
    probabilities = [sympy.Rational(1, 2), sympy.Rational(1, 3), sympy.Rational(1, 6)]
    mean = sum((p * a for p, a in zip(probabilities, atoms)), sympy.zeros(6, 1))
    cov = sum((p * (a - mean) * (a - mean).T for p, a in zip(probabilities, atoms)), sympy.zeros(6, 6))
    return atoms, probabilities, mean, cov


W = sympy.Matrix(
    [[sympy.Rational(1, 2), sympy.Rational(1, 2), 0], [sympy.Rational(1, 4), 0, sympy.Rational(3, 4)], [0, 0, 1]]
)


def test_expected_spread_is_the_expectation_of_the_spread_over_the_law_of_theta():
    atoms, probabilities, mean, cov = _law()
    got = expected_spread(W, mean, cov, 2)
    for k in range(3):
        brute = sympy.zeros(2, 2)
        for p, atom in zip(probabilities, atoms):
            theta = [atom[2 * j : 2 * j + 2, :] for j in range(3)]
            centre = sum((W[k, j] * theta[j] for j in range(3)), sympy.zeros(2, 1))
            brute += p * sum(
                ((W[k, j] * (theta[j] - centre) * (theta[j] - centre).T) for j in range(3)), sympy.zeros(2, 2)
            )
        assert got[k] == brute
    assert got[2] == sympy.zeros(2, 2)  # model 2 draws from itself only: no spread, exactly


def test_the_vectorised_spread_equals_the_theory():
    _, _, mean, cov = _law()
    got = mixture_numerics.expected_spread(floats(W), floats(mean).reshape(3, 2), floats(cov).reshape(3, 2, 3, 2))
    expected = np.stack([floats(s) for s in expected_spread(W, mean, cov, 2)])
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_source_indices_follow_the_rows_of_w():
    """20,000 draws per model: a model of weight 0 is never drawn; the counts pass a chi-square test at level
    1e-3 / 3 (Bonferroni over the rows)."""
    mixing = np.array([[0.2, 0.0, 0.8], [0.1, 0.3, 0.6], [0.0, 1.0, 0.0]])
    indices = np.asarray(source_indices(jax.random.key(3), mixing, 20_000))
    assert indices.shape == (3, 20_000) and indices.min() >= 0 and indices.max() <= 2
    for k in range(3):
        counts = np.bincount(indices[k], minlength=3)
        positive = mixing[k] > 0
        assert np.all(counts[~positive] == 0)
        if positive.sum() > 1:
            assert stats.chisquare(counts[positive], 20_000 * mixing[k, positive]).pvalue > 1e-3 / 3
