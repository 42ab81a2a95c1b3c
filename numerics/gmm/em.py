"""EM for a C-component Gaussian mixture on the line, on weighted points: the one core that fits both a sample
(points the draws, weights w_s / N_s per draw of source s) and a population (points the quadrature nodes of
every Gaussian component of the training distribution, weights its quadrature weights): :mod:`theory.gmm.maps`.

theta = (pi_1..pi_C, mu_1..mu_C, s2_1..s2_C) (3C,). One step (:func:`em_step`) and a run to the family's
tolerance within its budget (:func:`em_fit`, a ``lax.while_loop``), and the same run differentiable by the implicit
function theorem at the EM fixed point (:func:`em_fixed_point`, ``lax.custom_root``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def parts(theta, C: int):
    """(pi, mu, s2) of theta (..., 3C)."""
    return theta[..., :C], theta[..., C : 2 * C], theta[..., 2 * C :]


def responsibilities(theta, x):
    """(P, C): r_c(x_i) = pi_c N(x_i; mu_c, s2_c) / sum_d pi_d N(x_i; mu_d, s2_d) (a softmax of the logs)."""
    C = theta.shape[-1] // 3
    pi, mu, s2 = parts(theta, C)
    logs = jnp.log(pi) - 0.5 * jnp.log(2 * jnp.pi * s2) - 0.5 * (x[:, None] - mu) ** 2 / s2
    return jax.nn.softmax(logs, axis=-1)


def em_step(theta, x, a, floor, responsibilities=responsibilities):
    """One EM step on points x (P,) of weights a (P,) (:mod:`theory.gmm.maps`); a component of no mass keeps its
    mean and variance; every variance at least ``floor``."""
    C = theta.shape[-1] // 3
    _, mu, s2 = parts(theta, C)
    weighted = a[:, None] * responsibilities(theta, x)  # (P, C)
    mass = weighted.sum(0)
    some = mass > 0
    safe = jnp.where(some, mass, 1.0)
    new_mu = jnp.where(some, (weighted * x[:, None]).sum(0) / safe, mu)
    new_s2 = jnp.where(some, (weighted * (x[:, None] - new_mu) ** 2).sum(0) / safe, s2)
    return jnp.concatenate([mass / a.sum(), new_mu, jnp.maximum(new_s2, floor)])


def _run(step, theta0, tolerance, budget):
    """Steps theta <- step(theta) until max|Delta| <= tolerance (1 + max|theta|) or ``budget`` steps:
    (theta, steps, converged), steps and converged as float64."""

    def running(state):
        _, count, done = state
        return ~done & (count < budget)

    def advance(state):
        theta, count, _ = state
        new = step(theta)
        done = jnp.max(jnp.abs(new - theta)) <= tolerance * (1 + jnp.max(jnp.abs(new)))
        return new, count + 1, done

    theta, count, done = jax.lax.while_loop(running, advance, (theta0, jnp.asarray(0), jnp.asarray(False)))
    return theta, count.astype(jnp.float64), done.astype(jnp.float64)


def em_fit(theta0, x, a, floor, tolerance, budget, responsibilities=responsibilities):
    """(theta, steps, converged): EM from theta0 to the tolerance within the budget (not differentiated)."""
    return _run(lambda th: em_step(th, x, a, floor, responsibilities), theta0, tolerance, budget)


def em_fixed_point(theta0, x, a, floor, tolerance, budget):
    """(theta*, (steps, converged)): :func:`em_fit`, with derivatives in x and a by the implicit function theorem
    at the EM fixed point (none in theta0: the fixed point reached is locally constant in it). The tangent system
    (I - dEM/dtheta) is solved by least squares: it is singular where two components have merged."""

    def residual(theta):
        return em_step(theta, x, a, floor) - theta

    def solve(residual_fn, theta):
        theta, steps, converged = _run(lambda th: th + residual_fn(th), theta, tolerance, budget)
        return theta, (steps, converged)

    def tangent_solve(linearised, b):
        jacobian = jax.jacfwd(linearised)(jnp.zeros_like(b))
        return jnp.linalg.lstsq(jacobian, b)[0]

    return jax.lax.custom_root(residual, theta0, solve, tangent_solve, has_aux=True)


def moment_start(x, a, C: int):
    """The deterministic start of an initial fit: weights 1/C, means m + sd * linspace(-1, 1, C) (m for C = 1),
    every variance v, from the weighted mean m and variance v = sd^2 of the points."""
    total = a.sum()
    m = (a * x).sum() / total
    v = (a * (x - m) ** 2).sum() / total
    spread = jnp.linspace(-1.0, 1.0, C) if C > 1 else jnp.zeros(1)
    return jnp.concatenate([jnp.full(C, 1.0 / C), m + jnp.sqrt(v) * spread, jnp.full(C, v)])


def nodes(order: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes z and weights h for E_{N(m, v)} f = sum_i h_i f(m + sqrt(v) z_i): the trapezoidal rule on
    [-12, 12] (the Gaussian tail beyond is below 1e-32) with ``order`` nodes, h_i = dz phi(z_i). For f analytic in
    a strip |Im x| < d (responsibilities: logistic functions of a quadratic, with poles off the real line) its error
    falls like exp(-2 pi d / dz) (Trefethen & Weideman 2014, SIAM Rev. 56, 385-458), geometrically in ``order``,
    where Gauss-Hermite's falls like exp(-c sqrt(order)) only (measured at a fixed point of this family: Gauss-Hermite
    1e-5 at 64 nodes and 3e-7 at 128, the trapezoidal rule 7e-6, 7e-9 and 2e-10 at 64, 128 and 160)."""
    z = np.linspace(-12.0, 12.0, order)
    return z, (z[1] - z[0]) * np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)


def total_variance(theta):
    """Var x of the mixture theta (..., 3C): sum_c pi_c (s2_c + mu_c^2) - (sum_c pi_c mu_c)^2."""
    C = theta.shape[-1] // 3
    pi, mu, s2 = parts(theta, C)
    mean = (pi * mu).sum(-1)
    return (pi * (s2 + mu**2)).sum(-1) - mean**2
