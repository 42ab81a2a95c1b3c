"""The linear-Gaussian Monte Carlo's two methods: labels for every sample ("raw") or for d root rows per design
("sufficient", the default). They have the same law because the fit sees a design only through X^T X and
X^T y ~ N(X^T X theta, sigma^2 X^T X).

Tolerances: 4 standard errors against the exact recursion (R = 4,000); two-sample Kolmogorov-Smirnov at p-value
1e-4, which with 4,000 runs per method detects a shift of 0.045 or more in a distribution function.
"""

import numpy as np
import pytest
import scipy.stats
from linear_cases import REPLICATES, assert_mean_agrees

from interplay.numerics.linear.iterate import iterate_linear
from interplay.numerics.linear.monte_carlo import design_rows, simulate_linear
from interplay.theory.linear.maps import Design, linear_ecosystem

ROUNDS = 4


def data_ecosystem(**options):
    """K = 2, d = 2, every real design given as data (15, 10 and 25 rows), synthetic Gram-only, n = 6."""
    rng = np.random.default_rng(3)
    private = [Design.from_data(rng.normal(size=(rows, 2)) + [0.5, 0]) for rows in (15, 10)]
    public = Design.from_data(rng.normal(size=(25, 2)))
    return linear_ecosystem([1.0, -0.5], private, public, synthetic=np.eye(2), noise_var=0.7, n=6, **options)


@pytest.mark.parametrize("method", ["sufficient", "raw"])
def test_rows_have_the_design_and_raw_keeps_every_sample(method):
    rng = np.random.default_rng(0)
    data = Design.from_data(rng.normal(size=(40, 3)))
    gram_only = Design(np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.0]]), 30)
    for design, size in ((data, 40), (gram_only, 30), (gram_only, 7)):
        X = design_rows(design, size, method)
        assert X.shape == ((size if method == "raw" else 3), 3)
        np.testing.assert_allclose(X.T @ X, size * np.asarray(design.gram.evalf(), dtype=float), atol=1e-10)
    np.testing.assert_array_equal(design_rows(data, 40, "raw"), np.asarray(data.data))


@pytest.mark.parametrize("regime", ["reuse", "fresh"])
def test_both_methods_match_the_exact_recursion_and_each_other(regime):
    eco = data_ecosystem(alpha=0.6, beta=0.5, regime=regime)
    exact = iterate_linear(eco, ROUNDS)
    runs = {
        m: simulate_linear(eco, ROUNDS, key=i + 11, replicates=REPLICATES, method=m)
        for i, m in enumerate(["sufficient", "raw"])
    }
    for method, mc in runs.items():
        assert mc.method == method
        final = mc.thetas[:, -1].reshape(REPLICATES, 4)
        assert_mean_agrees(final, exact.mean[-1].ravel(), f"{method}: E theta_T")
        centred = final - exact.mean[-1].ravel()
        assert_mean_agrees(centred[:, :, None] * centred[:, None], exact.cov[-1].reshape(4, 4), f"{method}: Cov")
    for stat in (
        lambda mc: mc.thetas[:, -1, 0, 0],
        lambda mc: ((mc.thetas[:, -1, 0] - mc.thetas[:, -1, 1]) ** 2).sum(-1),
    ):
        assert scipy.stats.ks_2samp(stat(runs["sufficient"]), stat(runs["raw"])).pvalue > 1e-4


def test_unknown_method_names_the_parameter():
    with pytest.raises(Exception, match="method"):
        simulate_linear(data_ecosystem(alpha=0.5, beta=0.5), 2, key=0, method="labels")
