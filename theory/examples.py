"""Built-in ecosystems: the settings the CLI and the notebooks start from."""

from __future__ import annotations

from interplay.theory.spec import Ecosystem


def two_model_gaussian(alpha=0.5, beta=0.5, n: int | None = 50, **options) -> Ecosystem:
    """Two 1-d Gaussian models whose private tasks sit at -1 and +1, sharing public data centred at 0.

    The paper's two-model setting in its simplest form: each model sees its own task privately, both see the
    public data, and each update mixes a fraction alpha of both models' outputs (equal shares).
    """
    return Ecosystem.gaussian(
        means=[[-1], [1]],
        public_mean=[0],
        covs=[[[1]], [[1]]],
        public_cov=[[2]],
        alpha=alpha,
        beta=beta,
        n=n,
        **options,
    )
