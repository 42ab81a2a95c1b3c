"""Validation against Shumailov et al., "AI models collapse when trained on recursively generated data".

Shumailov, Shumaylov, Zhao, Papernot, Anderson, Gal, Nature 631 (2024); arXiv 2305.17493: their Gaussian-mixture
experiment, a mixture of two Gaussians refitted by EM, generation after generation, to finite samples of the
previous generation, which loses its tails and variance. Mapping to the library: the gaussian-mixture family with
C = 2, K = 1 model, mixing [[1]], alpha = 1 (after the initial fit it trains only on its own outputs), beta = 1,
n = 50 samples a generation; the real data 0.5 N(-2, 1) + 0.5 N(2, 1) (variance 5). Every number below comes from
the library's general maps (``numerics.iterate_population``) and Monte Carlo (``numerics.simulate``), 100
replicates, 30 generations; statistics are medians and sign tests over replicates (the variance's law is skewed
and its mean at long horizons is carried by few replicates).

Reproduced (qualitatively, the single-model result):
* the population map keeps every mixture: with infinite samples nothing collapses (collapse is a finite-sample
  effect, as in their analysis);
* at n = 50 the fitted mixture's total variance shrinks over generations: the median of log(Var_t / Var_0) falls
  from t = 15 to t = 30, and at t = 30 most replicates lie below their start (sign test);
* a component loses its spread: the median of the smaller component variance falls below a tenth of the real 1
  (a component degenerates towards a point mass: the tails are lost);
* with half of each round's data real (alpha = 1/2) neither happens.

Not reproduced: the merging of the two components' means (at n = 50 over 30 generations the means stay about 4
apart; the variance collapses first), the paper's other sample sizes and its figures' exact numbers (EM's start
and stopping rule differ from theirs: the library runs EM from the previous fit to 1e-8).
"""

from __future__ import annotations

import functools

import numpy as np

import interplay.numerics as numerics
from interplay.theory import Ecosystem

REAL = ([0.5, 0.5], [-2, 2], [1, 1])
N, GENERATIONS, REPLICATES = 50, 30, 100
SIGN_Z = 4.0  # |z| of a sign test over the replicates (about 1 in 16,000 by chance)


def recursive(alpha):
    return Ecosystem.gaussian_mixture(
        [REAL], REAL, alpha=alpha, beta=1, mixing=[[1]], n=N, em_rounds=200, em_tolerance=1e-8
    )


@functools.cache
def generations(alpha):
    mc = numerics.simulate(recursive(alpha), GENERATIONS, key=2024, replicates=REPLICATES)
    return mc, np.log(mc.total_variance()[:, :, 0] / mc.total_variance()[:, :1, 0])


def sign_z(values):
    """z of the sign test that as many values lie below 0 as above."""
    below = (values < 0).sum()
    return (below - values.size / 2) / np.sqrt(values.size / 4)


def test_the_population_map_keeps_the_mixture_collapse_is_finite_sample():
    """alpha = 1, W = [[1]]: p = the model's own mixture, whose EM fixed point is itself (theory.gmm.maps)."""
    path = numerics.iterate_population(recursive(1), 3)
    assert np.max(np.abs(path.theta()[1:] - path.theta()[0])) < 1e-8
    assert np.allclose(path.total_variance()[0], 5, atol=1e-6) and path.em_converged.all()


def test_recursive_fitting_loses_variance_and_a_component_its_spread():
    mc, log_ratio = generations(1)
    assert mc.em_converged.mean() > 0.9  # the EM runs that hit the budget are reported, and few
    median = np.median(log_ratio, axis=0)
    assert median[GENERATIONS] < median[GENERATIONS // 2] < 0, median[[GENERATIONS // 2, GENERATIONS]]
    assert sign_z(log_ratio[:, -1]) > SIGN_Z, sign_z(log_ratio[:, -1])
    smaller = np.median(mc.variances[:, -1, 0].min(-1))
    assert smaller < 0.1, smaller


def test_real_data_in_every_round_prevents_it():
    mc, log_ratio = generations(0.5)
    assert abs(sign_z(log_ratio[:, -1])) < SIGN_Z, sign_z(log_ratio[:, -1])
    smaller = np.median(mc.variances[:, -1, 0].min(-1))
    assert smaller > 0.3, smaller
