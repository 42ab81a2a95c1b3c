"""The linear-Gaussian family's part of a sweep (:mod:`numerics.sweeps`; theta_k: model k's fitted parameter,
theta* the truth): its exact quantities are limits, computed over the grid on the host; its Monte Carlo sampler.

Value axes (:mod:`numerics.value_axes`): an entry of theta* (``family.theta[i]``), the noise variance sigma^2
(``family.noise_var``) and an entry of W (``mixing[k][j]``). The limits are computed at each combination of their
values with the ecosystem built there; the Monte Carlo program takes them as inputs (its :func:`sweep_values`).

==================  ================  ==============================================================
``spread``          (K, K)            lim E||theta_k - theta_l||^2 (the exact limit law; NaN where
                                      rho(Q) >= 1: no limit; ``rounds`` is not used)
``error``           (K,)              lim E||theta_k - theta*||^2 (likewise)
``spectral_radius`` ()                rho(Q)
``mc_error``        (K,)              Monte Carlo mean of ||theta_k - theta*||^2 after ``rounds`` rounds
``mc_spread``       (K, K)            Monte Carlo mean of ||theta_k - theta_l||^2 after ``rounds`` rounds
==================  ================  ==============================================================
"""

from __future__ import annotations

import jax
import numpy as np

from interplay.numerics.driver.keys import replicate_keys
from interplay.numerics.homogenisation_measures import squared_distance
from interplay.numerics.linear import steps
from interplay.numerics.linear.longrun import long_run_grid
from interplay.numerics.linear.monte_carlo import compiled_simulation, design_arrays
from interplay.theory.spec import Ecosystem

EXACT_QUANTITIES = ("spread", "error", "spectral_radius")
MONTE_CARLO_QUANTITIES = ("mc_error", "mc_spread")
QUANTITY_DIMS = {  # their dimensions beyond the swept axes (numerics.labelled)
    "spread": ("model", "model2"),
    "error": ("model",),
    "spectral_radius": (),
    "mc_error": ("model",),
    "mc_spread": ("model", "model2"),
}
VALUE_FIELDS = {"family.theta": "entry", "family.noise_var": "entry", "mixing": "row-stochastic"}


def sweep_values(eco: Ecosystem) -> tuple:
    """The numbers the Monte Carlo program reads: :class:`numerics.linear.steps.Values` and the designs' rows."""
    return compiled_simulation(eco).args


def sweep_structure(eco: Ecosystem) -> tuple:
    """K, d, the regime and the designs' row counts."""
    return steps.structure(eco), design_arrays(eco, "sufficient")[0]


def exact_limits(eco: Ecosystem, checked, quantities) -> dict[str, np.ndarray]:
    """The exact limit laws at every grid point of the alpha and beta axes in ``checked`` (one compiled map, a
    loop over the points)."""
    axes = dict(checked)
    alphas = axes.get("alpha", np.array([float(eco.alpha_at(1))]))
    betas = axes.get("beta", np.array([float(eco.beta_at(1))]))
    radius, laws = long_run_grid(eco, alphas, betas)
    K = eco.K
    table = {"spectral_radius": radius, "spread": np.full(radius.shape + (K, K), np.nan)}
    table["error"] = np.full(radius.shape + (K,), np.nan)
    for i in range(len(alphas)):
        for j in range(len(betas)):
            law = laws[i][j]
            if law is not None:
                table["error"][i, j] = law.task_error()
                table["spread"][i, j] = [[law.squared_distance(k, l) for l in range(K)] for k in range(K)]
    order = [name for name, _ in checked]
    values = {}
    for q in quantities:  # axes (alpha, beta) first: drop the unswept ones, then the sweep's axis order
        value = table[q][tuple(slice(None) if name in order else 0 for name in ("alpha", "beta"))]
        values[q] = np.swapaxes(value, 0, 1) if order == ["beta", "alpha"] else value
    return values


def monte_carlo_sampler(eco: Ecosystem, rounds: int, replicates: int, seed: int):
    """g(values, alphas (T,), betas (T,), sizes) -> {mc quantity: per-replicate values (R, ...)} at the final
    round, with the keys ``simulate(eco, rounds, key=seed, replicates=R)`` splits, for every ecosystem of
    ``eco``'s structure (``values``: the point's :func:`sweep_values`)."""
    keys = replicate_keys(jax.random.PRNGKey(seed), replicates)
    program = compiled_simulation(eco).func

    def linear_samples(v, alphas, betas, sizes):  # linear sizes are the designs' rows: no sample sizes to pass
        thetas = program(*v, keys, alphas, betas)[:, -1]  # (R, K, d)
        theta = v[0].theta
        return {"mc_error": ((thetas - theta) ** 2).sum(-1), "mc_spread": squared_distance(thetas)}

    return linear_samples


def sweep_settings(eco: Ecosystem, exact_population: bool, simulated: bool) -> dict:
    """The simulator of the Monte Carlo quantities."""
    return {"method": "numerics.linear.simulate"} if simulated else {}


def sweep_replicate_size(eco: Ecosystem, rounds: int) -> tuple[int, int]:
    """A replicate keeps its whole trajectory; its sizes are the designs' rows."""
    return rounds + 1, 0
