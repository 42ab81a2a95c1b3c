"""Bad linear-Gaussian inputs give SpecErrors naming the parameter; rank-deficient designs are valid."""

import re

import numpy as np
import pytest
import sympy

from interplay.numerics.linear.iterate import iterate_linear
from interplay.numerics.linear.monte_carlo import simulate_linear
from interplay.theory import SpecError
from interplay.theory.linear.maps import Design, LinearGaussian, linear_ecosystem


def eco(**changes):
    options = dict(theta=[1, 2], private=[Design(np.eye(2), 5)] * 2, public=Design(np.eye(2), 5), alpha=0.5, n=4)
    options.update(changes)
    return linear_ecosystem(**options)


@pytest.mark.parametrize(
    "build, parameter",
    [
        (lambda: Design([[1, 0.5], [0, 1]], 3, "private[0]"), "private[0].gram: must be symmetric"),
        (lambda: Design([[1, 2], [2, 1]], 3, "public"), "public.gram: must be positive semi-definite"),
        (lambda: Design([[1, 0, 0], [0, 1, 0]], 3), "design.gram: must be a square"),
        (lambda: Design(np.eye(2), 0), "design.size: must be an integer >= 1"),
        (lambda: Design(np.eye(2), 2.5), "design.size: must be an integer >= 1"),
        (lambda: Design(np.eye(3), 2), "design.size: a Gram of rank 3 needs at least 3 samples"),
        (lambda: Design(np.eye(2) * np.nan, 3), "design.gram: must be finite"),
        (lambda: Design.from_data(np.zeros((0, 2))), "design.data: must be a non-empty matrix"),
        (lambda: LinearGaussian([1, 2], noise_var=0), "family.noise_var: must be > 0"),
        (lambda: LinearGaussian([1, 2], noise_var=-1), "family.noise_var: must be > 0"),
        (lambda: LinearGaussian([[1, 2], [3, 4]]), "family.theta: must be a vector"),
        (lambda: LinearGaussian([1, 2], synthetic=Design(np.eye(3))), "synthetic[0].gram: has dimension 3"),
        (lambda: LinearGaussian([1, 2], synthetic="identity"), "family.synthetic: expected a Design"),
        (lambda: eco(public=Design(np.eye(3), 5)), "public.gram: has dimension 3, theta has 2"),
        (lambda: eco(private=[Design(np.eye(2))] * 2), "private[0].size: real data need a sample size"),
        (lambda: eco(private=[np.eye(2)] * 2, private_sizes=[3]), "private_sizes: expected 2 sizes"),
        (lambda: eco(synthetic=[np.eye(2)] * 3), "family.synthetic: give 1 common design or K = 2"),
        (lambda: eco(synthetic=Design.from_data(np.ones((3, 2)))), "n: synthetic[0] has 3 rows, so n must be 3"),
        (lambda: eco(n=1), "n: synthetic[0] has rank 2, so it needs n >= 2"),
        (lambda: eco(mixing=[[1, 0]]), "mixing: must be 2 x 2"),
        (lambda: eco(alpha=1.5), "alpha: must lie in"),
    ],
)
def test_bad_input_is_a_spec_error_naming_the_parameter(build, parameter):
    with pytest.raises(SpecError, match=re.escape(parameter)):
        build()


def test_numerics_reject_symbols_and_other_families():
    alpha = sympy.Symbol("alpha")
    with pytest.raises(SpecError, match="ecosystem: numerics needs numbers"):
        iterate_linear(eco(alpha=alpha), 2)
    with pytest.raises(SpecError, match="replicates"):
        simulate_linear(eco(), 2, key=0, replicates=0)
    from interplay.theory import Ecosystem

    with pytest.raises(SpecError, match="family: this computation is for linear-Gaussian"):
        iterate_linear(Ecosystem.gaussian(means=[[0]], public_mean=[0]), 2)


def test_rank_deficient_designs_are_valid_and_use_the_minimum_norm_fit():
    """A rank-1 private design with beta = 1: the initial fit is the minimum-norm least-squares solution, which
    is theta* projected onto the design's row space (zero in the unseen direction), with variance only there."""
    low = eco(private=[Design(np.diag([2, 0]), 1)] * 2, beta=1)
    run = iterate_linear(low, 0)
    np.testing.assert_allclose(run.mean[0], [[1, 0], [1, 0]], atol=1e-14)
    np.testing.assert_allclose(run.cov[0, 0, :, 0, :], [[1 / 2, 0], [0, 0]], atol=1e-14)  # sigma^2 (n S)^+
    from_data = Design.from_data(np.array([[1.0, 1.0], [2.0, 2.0]]))  # rank 1 data are valid too
    assert from_data.size == 2 and from_data.gram == sympy.Matrix([[5, 5], [5, 5]]) / 2
