"""The linear-Gaussian surrogate in numbers: the exact M_t, C_t recursion compiled, its limit, and Monte Carlo.

* :func:`iterate_linear` -- the recursion of :mod:`theory.linear.maps`, vectorised over models
  (:mod:`numerics.linear.steps`: einsums and batched pseudo-inverses, float64) and iterated with ``lax.scan``:
  M_t, C_t, E theta_t, Cov theta_t for t = 0..T;
* :func:`simulate_linear` -- the actual finite-sample process: labels drawn from the real source or from the
  models' previous fits, every model refitted by weighted least squares (minimum-norm normal equations, on the
  union of all batches under ``accumulate``); replicates ``vmap``-ped in fixed chunks, the PRNG key explicit;

every program is compiled once per :class:`~numerics.linear.steps.Structure` (K, d, regime, population limit;
the Monte Carlo's row counts) and takes the ecosystem's :class:`~numerics.linear.steps.Values` as arguments;
* :func:`long_run_linear` -- the limit law: M = (I - Q)^-1 P and C from the discrete Lyapunov equation
  C = Q C Q^T + N D N^T (+ P Sigma_b P^T unless reuse), solved by ``scipy.linalg.solve_discrete_lyapunov``;
* :func:`iterate_linear_over_designs` -- the same recursion ``vmap``-ped over a batch of designs;
* :func:`relative_efficiency_grid` -- the long-run relative efficiency over an (alpha, beta) grid.
"""

from interplay.numerics.linear.iterate import LinearTrajectory, iterate_linear
from interplay.numerics.linear.longrun import long_run_linear
from interplay.numerics.linear.monte_carlo import (
    METHODS,
    LinearMonteCarlo,
    compiled_simulation,
    drawn_per_source,
    simulate_linear,
)

__all__ = [
    "METHODS",
    "LinearMonteCarlo",
    "LinearTrajectory",
    "compiled_simulation",
    "drawn_per_source",
    "iterate_linear",
    "long_run_linear",
    "simulate_linear",
]
