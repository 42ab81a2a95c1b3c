"""Reference values of the Gaussian exact trajectories and symbolic results, as the raw-moment recursion gave them.

The Gaussian recursion was re-parametrised by centred quantities (:mod:`theory.gaussian.maps`); this script
recorded, with the code before that change (commit 00dfae1), the exact trajectories of a handful of settings
and a few symbolic results, which ``tests/test_gaussian_shift.py`` compares with today's. Generated with

    git worktree add /tmp/before 00dfae1
    cd /tmp/before && PYTHONPATH=$PWD python $REPO/tests/data/gaussian_before.py $REPO/tests/data

with REPO this repository's root.

It uses only what both versions have: ``numerics.iterate_moments`` / ``iterate_population`` (``mean``,
``fitted_cov``, ``mean_cov``) and the theory's long-run results.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import sympy

W3 = [[0.6, 0.4, 0.0], [0.0, 0.5, 0.5], [0.3, 0.0, 0.7]]
ROUNDS = 8


def ecosystem(K, d, **options):
    """K models in dimension d with distinct, correlated covariances (the settings of the trajectories)."""
    from interplay.theory import Ecosystem

    means = [[(-1.0) ** k * (k + 1) * 0.5 + 0.3 * i for i in range(d)] for k in range(K)]
    covs = [np.eye(d) * (1.0 + 0.4 * k) + (0.3 if d > 1 else 0.0) * (np.ones((d, d)) - np.eye(d)) for k in range(K)]
    public_cov = np.eye(d) * 2.0 + (-0.5 if d > 1 else 0.0) * (np.ones((d, d)) - np.eye(d))
    return Ecosystem.gaussian(means=means, public_mean=[0.25] * d, covs=covs, public_cov=public_cov, **options)


def settings() -> dict:
    """name -> (K, d, options): every regime and estimator at K = 2, d = 1, every regime at K = 3, d = 2, and
    schedules."""
    out = {}
    for regime, K3_estimator in (("reuse", "mle"), ("fresh", "unbiased"), ("accumulate", "mle")):
        for estimator in ("mle", "unbiased"):
            options = dict(alpha=0.6, beta=0.3, n=20, estimator=estimator, regime=regime)
            out[f"K2-d1-{estimator}-{regime}"] = (2, 1, options)
        out[f"K3-d2-{K3_estimator}-{regime}"] = (
            3,
            2,
            dict(alpha=0.7, beta=0.4, n=30, mixing=W3, estimator=K3_estimator, regime=regime),
        )
    alphas = (0.2, 0.5, 0.9, 1.0, 0.4, 0.6, 0.3, 0.8)
    betas = (0.5, 0.5, 0.2, 0.7, 0.5, 0.1, 0.9, 0.5)
    for regime in ("reuse", "accumulate"):
        out[f"K2-d2-unbiased-{regime}-schedule"] = (
            2,
            2,
            dict(alpha=alphas, beta=betas, n=25, estimator="unbiased", regime=regime),
        )
    return out


def issue_ecosystem(shift=0):
    """Issue 11's case: private means shift - 1 and shift + 1, public mean shift, alpha = beta = 1/2, n = 50,
    unbiased (at shift 0 the raw-moment recursion is accurate)."""
    from interplay.theory import Ecosystem

    half = sympy.Rational(1, 2)
    return Ecosystem.gaussian(
        means=[[shift - 1], [shift + 1]], public_mean=[shift], alpha=half, beta=half, n=50, estimator="unbiased"
    )


def symbolic_results() -> dict:
    """sympy results (srepr strings) whose values must not change: the demo's fixed point and stability
    condition, the long-run closed forms, and the moment recursion's fixed point."""
    from interplay.theory import Ecosystem, fixed_point, moment_map, population_map, stability_condition
    from interplay.theory.gaussian.longrun import cross_task_kl, homogenisation, limiting_fit, stationary_spread

    alpha, beta = sympy.symbols("alpha beta", positive=True)
    demo = Ecosystem.gaussian(
        means=[[-1], [1]], public_mean=[0], public_cov=[[2]], alpha=alpha, beta=beta, estimator="mle", regime="fresh"
    )
    fmap = population_map(demo)
    point = fixed_point(fmap)
    means, covs = limiting_fit(demo)
    shifted = Ecosystem.gaussian(
        means=[[2], [sympy.Rational(7, 2)]], public_mean=[3], public_cov=[[2]], alpha=sympy.Rational(1, 2), beta=beta
    )
    finite = Ecosystem.gaussian(
        means=[[-1], [2]],
        public_mean=[1],
        public_cov=[[2]],
        alpha=sympy.Rational(1, 2),
        beta=sympy.Rational(1, 3),
        n=6,
        estimator="unbiased",
        regime="reuse",
    )
    moments = moment_map(finite)
    moment_point = moments.unpack(fixed_point(moments))
    results = {
        "demo_fixed_point": [point[s] for s in fmap.state],
        "demo_stability": [stability_condition(fmap, point)],
        "demo_limiting_means": list(means),
        "demo_limiting_covs": list(covs),
        "shifted_homogenisation": list(homogenisation(shifted)),
        "shifted_kl": list(cross_task_kl(shifted)),
        "finite_mean": list(moment_point["mean"]),
        "finite_cov": list(moment_point["cov"]),
        "finite_stationary_spread": list(stationary_spread(finite)),
    }
    return {name: [sympy.srepr(sympy.sympify(v)) for v in values] for name, values in results.items()}


def main(folder: str) -> None:
    import interplay.numerics as numerics

    arrays = {}
    for name, (K, d, options) in settings().items():
        eco = ecosystem(K, d, **options)
        for kind, run in (("moments", numerics.iterate_moments), ("population", numerics.iterate_population)):
            trajectory = run(eco, ROUNDS)
            for field in ("mean", "fitted_cov", "mean_cov"):
                arrays[f"{name}/{kind}/{field}"] = getattr(trajectory, field)
    issue = issue_ecosystem()
    arrays["issue/moments/fitted_cov"] = numerics.iterate_moments(issue, 5).fitted_cov
    arrays["issue/population/fitted_cov"] = numerics.iterate_population(issue, 5).fitted_cov
    np.savez(Path(folder) / "gaussian_before.npz", **arrays)
    (Path(folder) / "gaussian_before_symbolic.json").write_text(json.dumps(symbolic_results(), indent=1) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
