"""Issue 12's before/after check: every family's numbers are those recorded before the restructuring.

``tests/data/families_before.py`` recorded, with the code before issue 12 (its docstring names the commit), the
exact trajectories (``iterate_moments``, ``iterate_population``) and the Monte Carlo at a fixed seed
(``simulate``, every method) of a set of Gaussian, categorical and linear-Gaussian settings, every array of
every result, in ``tests/data/families_before.npz``. Here today's code runs the same script and must give:

* the exact trajectories up to float64 rounding: a relative 1e-12 (entries near 0 within 1e-12 of the array's
  largest magnitude);
* the Monte Carlo, from the same key, the same draws: the same random stream transformed by the same arithmetic,
  up to a reordering of floating-point operations (a vectorised step, a fused kernel). Rounding differences
  of a few ulp then pass through at most ``SIMULATED_ROUNDS`` refits (sums, means, a pseudo-inverse of a
  well-conditioned Gram) and stay far below a relative 1e-10, while a changed stream or an off-by-one
  round changes the values by their spread (order 1e-1 relative). A discrete draw (a count, a token) that
  flips at a boundary would show as such a jump and fail, as it should: that is a different stream.

Run with the sample sizes of the time (:func:`sizes_change.with_old_sizes`: training sets now add up to n, issue
13). Two streams changed on purpose (:data:`STREAM_CHANGED`). The Gaussian simulator used to draw every replicate in
one batch from one key (its gamma sampler pooled the rejected candidates of all replicates, so a replicate's
draws depended on the others and on their number); it now gives replicate r its own key
``jax.random.split(key, R)[r]`` and runs the replicates in fixed chunks, so a new replicate count never
recompiles and replicate r's numbers do not depend on R. The categorical simulator now draws the private and
public samples of a round in one call, and under ``fresh`` and ``accumulate`` the synthetic ones with them, and
its multinomial tree runs small trees' levels in one loop (``numerics.samplers.binomial``): the same laws, other
draws, and half the compile time (22 s to 11 s for examples/categorical.toml's multinomial route). Their Monte
Carlo is checked to sample the same law as the recorded one: each entry's mean over the replicates agrees with
the recorded mean within a two-sample z-test at family-wise level 1e-3 (Bonferroni over the entries of the
setting).
"""

import importlib.util

import numpy as np
import pytest
from paths import DATA
from scipy import stats
from sizes_change import with_old_sizes

_spec = importlib.util.spec_from_file_location("families_before", DATA / "families_before.py")
before = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(before)
REFERENCE = np.load(DATA / "families_before.npz")

EXACT = 1e-12  # float64 rounding of the same arithmetic
MONTE_CARLO = 1e-10  # the same stream, operations possibly reordered (module docstring)
STREAM_CHANGED = {"gaussian", "categorical"}  # families whose Monte Carlo stream changed on purpose (module docstring)
FAMILY_WISE_LEVEL = 1e-3


def recorded(name: str) -> dict[str, np.ndarray]:
    prefix = f"{name}/"
    return {key[len(prefix) :]: REFERENCE[key] for key in REFERENCE.files if key.startswith(prefix)}


def test_the_recorded_settings_are_the_scripts():
    assert {key.split("/")[0] for key in REFERENCE.files} == set(before.settings())


@pytest.mark.parametrize("name", sorted(before.settings()))
def test_every_number_equals_the_one_recorded_before_the_restructuring(name):
    reference = recorded(name)
    with with_old_sizes():  # the sizes changed on purpose (tests/sizes_change.py); nothing else may
        now = before.record(name)
    assert now.keys() == reference.keys()
    new_stream = name.split("-")[0] in STREAM_CHANGED
    entries = sum(old[0].size for key, old in reference.items() if new_stream and key.startswith("simulate-"))
    for key, old in reference.items():
        if new_stream and key.startswith("simulate-"):
            assert_same_law(now[key], old, FAMILY_WISE_LEVEL / entries, f"{name}/{key}")
            continue
        tolerance = MONTE_CARLO if key.startswith("simulate-") else EXACT
        value = now[key]
        assert value.shape == old.shape, key
        scale = float(np.max(np.abs(old), initial=0.0))
        np.testing.assert_allclose(value, old, rtol=tolerance, atol=tolerance * scale, err_msg=f"{name}/{key}")


def assert_same_law(new: np.ndarray, old: np.ndarray, level: float, what: str) -> None:
    """Replicates (leading axis) of a new stream against recorded ones: every entry's two means agree within a
    two-sample z-test at ``level`` (the standard error of their difference from both samples' variances);
    entries constant in both (round 0 of a deterministic start) must be equal."""
    assert new.shape == old.shape, what
    difference = new.mean(0) - old.mean(0)
    se = np.sqrt(new.var(0, ddof=1) / new.shape[0] + old.var(0, ddof=1) / old.shape[0])
    z = stats.norm.isf(level / 2)
    constant = se == 0
    assert np.all(np.abs(difference[~constant]) <= z * se[~constant]), (what, np.max(np.abs(difference) / se))
    assert np.allclose(difference[constant], 0.0, rtol=0, atol=1e-12), what
