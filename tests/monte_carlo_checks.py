"""The check every Monte Carlo-vs-exact test uses: a Monte Carlo mean within Z standard errors of its exact value."""

import numpy as np

Z = 4.0  # standard errors allowed per comparison


def assert_mean_agrees(samples, exact, what, *, constant_below=0.0, constant_gap=1e-12, z_limit=Z):
    """samples: (R, ...) Monte Carlo draws of a quantity whose exact expectation is ``exact``.

    Entries whose standard error is at most ``constant_below`` are constant across replicates (up to
    round-off); they must equal the exact value within ``constant_gap``. The others must lie within ``z_limit`` SE.
    """
    mean = samples.mean(0)
    se = samples.std(0, ddof=1) / np.sqrt(samples.shape[0])
    gap = np.abs(mean - exact)
    constant = se <= constant_below
    assert np.all(gap[constant] < constant_gap), f"{what}: deterministic entries differ"
    z = gap[~constant] / se[~constant]
    assert z.size == 0 or z.max() < z_limit, f"{what}: max |z| = {z.max():.2f}"
