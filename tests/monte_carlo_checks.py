"""The check every Monte Carlo-vs-exact test uses: a Monte Carlo mean within Z standard errors of its exact value."""

import numpy as np

Z = 4.0  # standard errors allowed per comparison


def mean_gap(samples, exact):
    """(|mean - exact|, its standard error) of Monte Carlo draws ``samples`` (R, ...) of a quantity of expectation
    ``exact``: their quotient is the |z| a check compares (and a mutant reports)."""
    se = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
    return np.abs(samples.mean(0) - exact), se


def assert_mean_agrees(samples, exact, what, *, constant_below=0.0, constant_gap=1e-12, z_limit=Z):
    """samples: (R, ...) Monte Carlo draws of a quantity whose exact expectation is ``exact``.

    Entries whose standard error is at most ``constant_below`` are constant across replicates (up to
    round-off); they must equal the exact value within ``constant_gap``. The others must lie within ``z_limit`` SE.
    """
    gap, se = mean_gap(samples, exact)
    constant = se <= constant_below
    assert np.all(gap[constant] < constant_gap), f"{what}: deterministic entries differ"
    z = gap[~constant] / se[~constant]
    assert z.size == 0 or z.max() < z_limit, f"{what}: max |z| = {z.max():.2f}"


def assert_gaussian_trajectory_agrees(mc, exact, *, z_limit=Z):
    """A Gaussian Monte Carlo result (means (R, T+1, K, d), covs (R, T+1, K, d, d)) against its exact trajectory at
    every round: E m, E S and Cov m (every pair of coordinates of every pair of models, from the centred products
    with the exact mean)."""
    replicates, rounds, K, d = mc.means.shape
    for t in range(rounds):
        means = mc.means[:, t].reshape(replicates, K * d)
        assert_mean_agrees(means, exact.mean[t].ravel(), f"E m at t={t}", z_limit=z_limit)
        assert_mean_agrees(mc.covs[:, t], exact.fitted_cov[t], f"E S at t={t}", z_limit=z_limit)
        centred = means - exact.mean[t].ravel()
        products = centred[:, :, None] * centred[:, None, :]
        assert_mean_agrees(products, exact.mean_cov[t].reshape(K * d, K * d), f"Cov m at t={t}", z_limit=z_limit)


def assert_poisson_trajectory_agrees(mc, exact, *, z_limit=Z):
    """A Poisson Monte Carlo result (rates (R, T+1, K)) against its exact trajectory at every round: E lambda_k and
    Cov(lambda_k, lambda_l) for k <= l (from the centred products with the exact mean)."""
    rows, cols = np.triu_indices(mc.rates.shape[-1])
    for t in range(mc.rates.shape[1]):
        rates = mc.rates[:, t]
        assert_mean_agrees(rates, exact.mean[t], f"E lambda at t={t}", z_limit=z_limit)
        centred = rates - exact.mean[t]
        products = (centred[:, :, None] * centred[:, None, :])[:, rows, cols]
        assert_mean_agrees(products, exact.cov[t][rows, cols], f"Cov lambda at t={t}", z_limit=z_limit)


def assert_categorical_trajectory_agrees(probs, mean, cov, *, z_limit=Z, constant_below=1e-12):
    """Categorical fits probs (R, T + 1, K, m) against exact E p (T + 1, Km) and Cov p (T + 1, Km, Km): every entry
    of E p and the upper triangle of the centred products at every round; entries constant across replicates
    (categories no source holds) must be exact."""
    R, T1, K, m = probs.shape
    rows, cols = np.triu_indices(K * m)
    for t in range(T1):
        p = probs[:, t].reshape(R, K * m)
        assert_mean_agrees(p, mean[t], f"E p at t={t}", constant_below=constant_below, z_limit=z_limit)
        centred = p - mean[t]
        products = (centred[:, :, None] * centred[:, None, :])[:, rows, cols]
        exact = cov[t][rows, cols]
        assert_mean_agrees(products, exact, f"Cov p at t={t}", constant_below=constant_below, z_limit=z_limit)
