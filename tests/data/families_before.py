"""Reference values of every family's exact trajectories and Monte Carlo at a fixed seed, before the restructuring.

Issue 12 moves the package to ``interplay.theory`` / ``interplay.numerics``, passes values as inputs instead of
compiled-in constants and vectorises the steps; none of this may change a number. This script recorded, with
the code before that change (commit e0d0f8c2fb6ba7aa4f326f46662a4416ccf92b99), for a small set of settings per
family (Gaussian, categorical, linear-Gaussian: every regime, every estimator, constant and scheduled alpha and
beta, K = 1, 2, 3 with non-uniform mixing, categorical temperature 1 and not 1 with and without smoothing, the
paper's linear layouts made small):

* ``numerics.iterate_moments`` and ``numerics.iterate_population`` (where the family has it) over ``ROUNDS``
  rounds;
* ``numerics.simulate`` over ``SIMULATED_ROUNDS`` rounds, ``REPLICATES`` replicates, key ``SEED``: the default
  method in every setting, each other ``method`` of the family (``METHODS``) in one (``ONE_SETTING_ONLY``);

every array of each result (:func:`arrays`), into ``families_before.npz`` as ``<setting>/<run>/<field>``, which
``tests/test_families_before_after.py`` compares with today's values. Generated with

    git worktree add /tmp/before e0d0f8c2fb6ba7aa4f326f46662a4416ccf92b99
    cd /tmp/before && PYTHONPATH=$PWD python $REPO/tests/data/families_before.py $REPO/tests/data

with REPO this repository's root. It uses the public API only (``theory``'s constructors, ``numerics``'
verbs), so that a later version can run it under its own names.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np

ROUNDS = 6  # of the exact trajectories
SIMULATED_ROUNDS = 5
REPLICATES = 64
SEED = 20261130
METHODS = {
    "gaussian": ("sufficient", "raw"),
    "categorical": ("sufficient", "raw", "multinomial"),
    "linear-gaussian": ("sufficient", "raw"),
}
# each setting runs the default method, "sufficient"; each other method runs in one setting (a compile costs
# seconds to tens of seconds): the most involved of its family (Gaussian raw samples of every kind under
# accumulate, linear raw rows of a design given by its data, categorical tokens at temperature != 1) and, for
# the slow-compiling categorical "multinomial" (whose counts are also the sufficient route beyond 4 m tokens),
# the smallest
ONE_SETTING_ONLY = {
    ("gaussian", "raw"): "gaussian-K3-d2-unbiased-accumulate",
    ("categorical", "raw"): "categorical-K3-m4-tau0.5-smoothing1-fresh-schedule-tokens",
    ("categorical", "multinomial"): "categorical-K1-m3-tau1-reuse-sizes-lists",
    ("linear-gaussian", "raw"): "linear-K3-d2-general-accumulate",
}
HAS_POPULATION = {"gaussian": True, "categorical": True, "linear-gaussian": False}
PUBLIC_VALUES = ("mean",)  # values a result offers as properties beside its fields (Gaussian: mean = centred + origin)

W2 = [[0.7, 0.3], [0.2, 0.8]]
W3 = [[0.6, 0.4, 0.0], [0.0, 0.5, 0.5], [0.3, 0.0, 0.7]]
ALPHAS = (0.2, 0.5, 0.9, 1.0, 0.4, 0.6)
BETAS = (0.5, 0.3, 0.2, 0.7, 0.5, 0.1)


def gaussian(K, d, **options):
    """K models in dimension d with distinct, correlated covariances."""
    from interplay.theory import Ecosystem

    means = [[(-1.0) ** k * (k + 1) * 0.5 + 0.3 * i for i in range(d)] for k in range(K)]
    off = np.ones((d, d)) - np.eye(d)
    covs = [np.eye(d) * (1.0 + 0.4 * k) + 0.3 * off for k in range(K)]
    public_cov = np.eye(d) * 2.0 - 0.5 * off
    return Ecosystem.gaussian(means=means, public_mean=[0.25] * d, covs=covs, public_cov=public_cov, **options)


def categorical(private_probs, public_probs, **options):
    """Categorical ecosystem (options: sizes, public_size, temperature, smoothing and the Ecosystem fields)."""
    from interplay.theory import categorical_ecosystem

    return categorical_ecosystem(private_probs, public_probs, **options)


def block_gram(d, coordinates):
    """The identity on ``coordinates``, zero elsewhere: a design covering those coordinates only."""
    gram = np.zeros((d, d))
    gram[coordinates, coordinates] = 1.0
    return gram


def linear_low_rank(K, rank, n_private, n_public, m, **options):
    """The paper's low-rank setting (Vu, Reeves & Wenger, arXiv 2505.21677): model k's private design covers
    coordinates k rank .. (k+1) rank - 1, isotropic public and synthetic designs, theta* = 1, d = K rank."""
    from interplay.theory import Design, linear_ecosystem

    d = K * rank
    private = [
        Design(block_gram(d, list(range(k * rank, (k + 1) * rank))), n_private, f"private[{k}]") for k in range(K)
    ]
    public = Design(np.eye(d), n_public, "public")
    return linear_ecosystem(np.ones(d), private, public, synthetic=np.eye(d), noise_var=1.0, n=m, **options)


def linear_general(**options):
    """K = 3, d = 2: a private design given by its data rows, rank-deficient and full-rank Grams, one synthetic
    design per model, noise variance 0.8."""
    from interplay.theory import Design, linear_ecosystem

    rows = np.array([[1.0, 0.5], [-0.5, 1.0], [0.25, -1.0], [1.5, 0.0], [0.0, 2.0]])
    private = [
        Design.from_data(rows, "private[0]"),
        Design([[1, 1], [1, 1]], 6, "private[1]"),
        Design([[2, 0.5], [0.5, 1]], 8, "private[2]"),
    ]
    public = Design([[1.5, -0.25], [-0.25, 1]], 9, "public")
    synthetic = [np.eye(2), [[1.3, 0.2], [0.2, 0.7]], [[0.8, 0], [0, 1.2]]]
    return linear_ecosystem([0.5, -1.0], private, public, synthetic=synthetic, noise_var=0.8, **options)


def settings() -> dict:
    """name -> (builder, keyword arguments): the ecosystems whose numbers must not change."""
    return {
        # Gaussian: the three regimes, both estimators, K = 1, 2, 3, reuse dataset sizes other than n, schedules
        "gaussian-K1-d1-unbiased-reuse-sizes": (
            gaussian,
            dict(K=1, d=1, alpha=0.6, beta=0.3, n=20, sizes=[15], public_size=25, estimator="unbiased", regime="reuse"),
        ),
        "gaussian-K2-d2-mle-fresh-schedule": (
            gaussian,
            dict(K=2, d=2, alpha=ALPHAS, beta=BETAS, mixing=W2, n=20, estimator="mle", regime="fresh"),
        ),
        "gaussian-K3-d2-unbiased-accumulate": (
            gaussian,
            dict(K=3, d=2, alpha=0.7, beta=0.4, mixing=W3, n=12, estimator="unbiased", regime="accumulate"),
        ),
        # categorical: temperature 1 and not, smoothing 0 and not, a category absent from a source; the routes of
        # the sufficient sampler: token lists (every sample <= 1.5 m tokens at tau = 1 under reuse or fresh), tokens
        # by inverse CDF (<= 4 m); its counts from binomials beyond are the "multinomial" method's (first setting)
        "categorical-K1-m3-tau1-reuse-sizes-lists": (
            categorical,
            dict(
                private_probs=[[0.5, 0.5, 0.0]],
                public_probs=[0.2, 0.3, 0.5],
                sizes=[4],
                public_size=3,
                alpha=0.5,
                beta=0.4,
                n=4,
                regime="reuse",
            ),
        ),
        "categorical-K3-m4-tau0.5-smoothing1-fresh-schedule-tokens": (
            categorical,
            dict(
                private_probs=[[0.4, 0.3, 0.2, 0.1], [0.1, 0.1, 0.3, 0.5], [0.0, 0.5, 0.25, 0.25]],
                public_probs=[0.25, 0.25, 0.25, 0.25],
                temperature=0.5,
                smoothing=1,
                alpha=ALPHAS,
                beta=BETAS,
                mixing=W3,
                n=10,
                regime="fresh",
            ),
        ),
        "categorical-K2-m3-tau1-smoothing0.5-accumulate-tokens": (
            categorical,
            dict(
                private_probs=[[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]],
                public_probs=[0.3, 0.4, 0.3],
                smoothing=0.5,
                alpha=0.4,
                beta=0.5,
                mixing=W2,
                n=20,
                regime="accumulate",
            ),
        ),
        # linear-Gaussian: the paper's low-rank and two-task layouts, small; a general K = 3
        "linear-K2-d2-low-rank-reuse": (
            linear_low_rank,
            dict(K=2, rank=1, n_private=10, n_public=10, m=10, alpha=0.5, beta=0.5, regime="reuse"),
        ),
        "linear-K2-d4-two-task-fresh-schedule": (
            linear_low_rank,
            dict(K=2, rank=2, n_private=12, n_public=5, m=12, alpha=ALPHAS, beta=BETAS, mixing=W2, regime="fresh"),
        ),
        "linear-K3-d2-general-accumulate": (
            linear_general,
            dict(alpha=0.6, beta=0.3, mixing=W3, n=7, regime="accumulate"),
        ),
    }


def ecosystem(name: str):
    builder, options = settings()[name]
    return builder(**options)


def arrays(result) -> dict[str, np.ndarray]:
    """Every array of a result object: its dataclass fields that are arrays, and its ``PUBLIC_VALUES``."""
    out = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    out.update({name: getattr(result, name) for name in PUBLIC_VALUES if hasattr(result, name)})
    return {name: np.asarray(value) for name, value in out.items() if isinstance(value, np.ndarray)}


def runs(name: str) -> dict[str, object]:
    """run name -> result: the exact trajectories and the Monte Carlo of every method, of one setting."""
    import interplay.numerics as numerics

    eco = ecosystem(name)
    family = eco.family.name
    methods = [method for method in METHODS[family] if ONE_SETTING_ONLY.get((family, method), name) == name]
    out = {}
    if family != "categorical" or eco.family.temperature == 1:  # the moments close only at temperature 1
        out["moments"] = numerics.iterate_moments(eco, ROUNDS)
    if HAS_POPULATION[family]:
        out["population"] = numerics.iterate_population(eco, ROUNDS)
    for method in methods:
        out[f"simulate-{method}"] = numerics.simulate(
            eco, rounds=SIMULATED_ROUNDS, key=SEED, replicates=REPLICATES, method=method
        )
    return out


def record(name: str) -> dict[str, np.ndarray]:
    """``<run>/<field>`` -> array, for one setting."""
    return {f"{run}/{field}": value for run, result in runs(name).items() for field, value in arrays(result).items()}


def main(folder: str) -> None:
    recorded = {f"{name}/{key}": value for name in settings() for key, value in record(name).items()}
    np.savez_compressed(Path(folder) / "families_before.npz", **recorded)


if __name__ == "__main__":
    main(sys.argv[1])
