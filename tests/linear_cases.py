"""Linear-Gaussian ecosystems shared by the tests of theory.linear.maps and numerics.linear."""

from __future__ import annotations

import numpy as np
from monte_carlo_checks import assert_mean_agrees as check

from interplay.theory.linear.maps import Design, linear_ecosystem

REPLICATES = 4000  # Monte Carlo replicates of the MC-vs-exact tests
ROUNDS = 6

W3 = [[0.6, 0.4, 0.0], [0.0, 0.5, 0.5], [0.3, 0.0, 0.7]]


def random_gram(rng, d, rank=None):
    """A random d x d PSD Gram R R^T / rank of the given rank, R with small integer entries (exact rationals)."""
    rank = d if rank is None else rank
    while True:
        root = rng.integers(-2, 3, size=(d, rank))
        if np.linalg.matrix_rank(root) == rank:
            return root @ root.T / rank


def general(K, d, seed=0, low_rank=False, synthetic="common", **options):
    """K models with random (optionally rank-deficient private) designs; not proportional."""
    rng = np.random.default_rng(seed)
    rank = max(1, d - 1) if low_rank else d
    private = [Design(random_gram(rng, d, rank), 6 + 3 * k, f"private[{k}]") for k in range(K)]
    public = Design(random_gram(rng, d) + 0.2 * np.eye(d), 9, "public")
    if synthetic == "common":
        syn = random_gram(rng, d) + 0.3 * np.eye(d)
    else:
        syn = [random_gram(rng, d) + 0.3 * np.eye(d) for _ in range(K)]
    theta = np.round(rng.normal(size=d), 1) + 0.5
    return linear_ecosystem(theta, private, public, synthetic=syn, noise_var=0.8, **options)


def proportional(K, d, gram=None, n_private=8, n_public=12, **options):
    """Every normalised Gram equal to one S (theory.linear.longrun's proportional case);
    theta* = (1, -1, 2, ...)."""
    S = np.diag([1.0 + 0.5 * i for i in range(d)]) if gram is None else gram
    private = [Design(S, n_private, f"private[{k}]") for k in range(K)]
    theta = [(1, -1, 2, 0.5)[i % 4] for i in range(d)]
    return linear_ecosystem(theta, private, Design(S, n_public, "public"), synthetic=S, noise_var=1.5, **options)


def assert_mean_agrees(samples, exact, what):
    """The shared Monte Carlo check with this family's bounds for entries constant across replicates."""
    check(samples, exact, what, constant_below=1e-13, constant_gap=1e-10)
