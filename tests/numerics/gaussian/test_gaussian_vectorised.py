"""The vectorised jax steps (numerics.gaussian.step) equal the one symbolic definition (theory.gaussian.maps).

At random rational points (ecosystem, state, weights, sample sizes, round t) the sympy map is evaluated exactly,
and the jax step in float64 must agree within a relative 1e-12 (rounding of a few dozen operations on numbers
of order 1), for K = 1, 2, 3, d = 1, 2, every regime and estimator, for the ``mixture`` composition (its sizes
n_synthetic = W N_syn, the expected counts, and a W with a zero) and for the ``shared`` pool (random sizes per
scraper, so max(N_kj, N_lj) picks either, and a zero size) and the ``split`` pool (random sizes, a zero size:
random pool shares p, slices of random sizes; the population step with p from the weights).
"""

import itertools
import random

import jax
import numpy as np
import pytest
import sympy

from interplay.numerics.gaussian import step
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.gaussian.maps import Fit, Moments
from interplay.theory.ops import SYMPY
from interplay.theory.rounds import RoundSizes, round_plan

CASES = list(itertools.product((1, 2, 3), (1, 2), ("reuse", "fresh", "accumulate"), ("mle", "unbiased")))
MIXTURE_CASES = [
    (2, 2, "reuse", "mle"),
    (2, 2, "accumulate", "unbiased"),
    (3, 1, "fresh", "unbiased"),
    (3, 1, "accumulate", "mle"),
]
SHARED_CASES = [(2, 2, "reuse", "unbiased"), (3, 2, "fresh", "mle"), (3, 1, "accumulate", "unbiased")]
SPLIT_CASES = [(3, 2, "reuse", "unbiased"), (2, 1, "accumulate", "mle")]


def _rational(rng, low=-2, high=2):
    return sympy.Rational(rng.randint(low * 64, high * 64), 64)


def _positive_definite(rng, d):
    root = sympy.Matrix(d, d, lambda i, j: _rational(rng))
    return root * root.T + sympy.eye(d) / 4


def _point(K, d, regime, estimator, seed, composition="fixed", pool="own"):
    rng = random.Random(seed)
    W = sympy.Matrix(K, K, lambda i, j: sympy.Rational(rng.randint(1, 9)))
    if composition == "mixture":
        W[0, K - 1] = 0  # a model model 0 does not draw from
    if pool in ("shared", "split"):
        W[K - 1, 0] = 0  # a model model K - 1 does not draw from
    W = sympy.Matrix(K, K, lambda i, j: W[i, j] / sum(W.row(i)))
    eco = gaussian.gaussian_ecosystem(
        [[_rational(rng) for _ in range(d)] for _ in range(K)],
        [_rational(rng) for _ in range(d)],
        covs=[_positive_definite(rng, d) for _ in range(K)],
        public_cov=_positive_definite(rng, d),
        mixing=W,
        alpha=sympy.Rational(1, 2),
        beta=sympy.Rational(1, 2),
        n=20,
        regime=regime,
        estimator=estimator,
        composition=composition,
        pool=pool,
    )
    Kd = K * d
    root = sympy.Matrix(Kd, Kd, lambda i, j: _rational(rng))
    moments = Moments(
        sympy.Matrix(Kd, 1, lambda i, j: _rational(rng)),
        root * root.T,
        sympy.Matrix(Kd, (K + 1) * d, lambda i, j: _rational(rng, -1, 1) / 4),
        sympy.Matrix.vstack(*[_positive_definite(rng, d) for _ in range(K)]),
        sympy.Matrix(K, 1, lambda i, j: sympy.Rational(rng.randint(1, 30), 100)),
    )
    public = rng.randint(1, 12)  # one size under reuse (the whole dataset), else nested prefixes of one per model
    sizes = RoundSizes(
        sympy.Matrix(K, 1, lambda i, j: rng.randint(1, 12)),
        sympy.Matrix(K, 1, lambda i, j: public if regime == "reuse" else rng.randint(1, 12)),
        sympy.Matrix(K, K, lambda i, j: rng.randint(1, 12)),
    )
    if composition == "mixture":  # the expected counts W[k, j] N_syn of one N_syn per model
        sizes = sizes._replace(n_synthetic=sympy.diag(*[rng.randint(1, 12) for _ in range(K)]) * W)
    if pool in ("shared", "split"):  # model K - 1 draws no samples of model 0 (its weight 0)
        sizes.n_synthetic[K - 1, 0] = 0
    alpha, beta, t = _rational(rng, 0, 1), _rational(rng, 0, 1), rng.randint(1, 5)
    return eco, moments, sizes, alpha, beta, t


def _floats(tree):
    return [np.array(np.asarray(x.evalf() if hasattr(x, "evalf") else x, dtype=float), dtype=float) for x in tree]


def _jax_inputs(eco, sizes, alpha, beta, population):
    values = step.values(eco)
    array_sizes = None if population else RoundSizes(*(np.asarray(np.array(x, dtype=float)) for x in sizes))
    return values, step.round_plan(values, float(alpha), float(beta), array_sizes, initial=False)


@pytest.mark.parametrize(
    "K, d, regime, estimator, composition, pool",
    [case + ("fixed", "own") for case in CASES]
    + [case + ("mixture", "own") for case in MIXTURE_CASES]
    + [case + ("fixed", "shared") for case in SHARED_CASES]
    + [case + ("fixed", "split") for case in SPLIT_CASES],
)
def test_the_vectorised_moment_step_equals_the_sympy_map(K, d, regime, estimator, composition, pool):
    seed = CASES.index((K, d, regime, estimator)) + {"fixed": 0, "mixture": 200}[composition]
    seed += {"own": 0, "shared": 300, "split": 400}[pool]
    eco, moments, sizes, alpha, beta, t = _point(K, d, regime, estimator, seed, composition, pool)
    centred = gaussian.centred(eco)
    plan = round_plan(centred, alpha, beta, initial=False, sizes=sizes, ops=SYMPY)
    exact = _floats(gaussian.moment_step(centred, moments, plan, sympy.Integer(t)))
    values, jax_plan = _jax_inputs(eco, sizes, alpha, beta, population=False)
    state = Moments(*(np.array(x, dtype=float) for x in moments))
    got = jax.jit(step.moment_step, static_argnums=0)(step.structure(eco), values, state, jax_plan, float(t))
    for name, want, value in zip(Moments._fields, exact, got):
        np.testing.assert_allclose(np.asarray(value), want, rtol=1e-12, atol=1e-12 * np.abs(want).max(), err_msg=name)


@pytest.mark.parametrize(
    "K, d, regime, estimator, composition, pool",
    [case + ("fixed", "own") for case in CASES]
    + [case + ("mixture", "own") for case in MIXTURE_CASES[1:3]]
    + [SPLIT_CASES[0] + ("fixed", "split")],
)
def test_the_vectorised_population_step_equals_the_sympy_map(K, d, regime, estimator, composition, pool):
    seed = 100 + CASES.index((K, d, regime, estimator)) + (0 if composition == "fixed" else 200)
    seed += 400 if pool == "split" else 0
    eco, moments, sizes, alpha, beta, t = _point(K, d, regime, estimator, seed, composition, pool)
    centred = gaussian.centred(eco)
    infinite = RoundSizes(
        sympy.Matrix([[sympy.oo]] * K), sympy.Matrix([[sympy.oo]] * K), sympy.Matrix(K, K, [sympy.oo] * K * K)
    )
    plan = round_plan(centred, alpha, beta, initial=False, sizes=infinite, ops=SYMPY)
    fit = Fit(moments.mean, moments.scatter)
    exact = _floats(gaussian.population_step(centred, fit, plan, sympy.Integer(t)))
    values, jax_plan = _jax_inputs(eco, sizes, alpha, beta, population=True)
    state = Fit(*(np.array(x, dtype=float) for x in fit))
    got = jax.jit(step.population_step, static_argnums=0)(step.structure(eco), values, state, jax_plan, float(t))
    for name, want, value in zip(Fit._fields, exact, got):
        np.testing.assert_allclose(np.asarray(value), want, rtol=1e-12, atol=1e-12 * np.abs(want).max(), err_msg=name)
