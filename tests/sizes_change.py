"""Sample sizes as they were before training sets were made to add up to n (issue 13), for the before/after tests.

Before, a source of weight w > 0 had max(1, round(w n)) samples (a half rounding up), so a training set could hold
more or fewer than n; :mod:`theory.rounds` now apportions n by largest remainder. The numbers recorded before
(``tests/data/*_before.npz``) are checked with the old sizes put back (:func:`with_old_sizes`): the computations
must be unchanged, only the sizes they are given differ.
"""

import contextlib
from fractions import Fraction

import pytest

import interplay.numerics.driver.sizes as numerics_sizes
import interplay.theory.rounds as rounds
from interplay.theory.rounds import FROM_SPEC, RoundSizes
from interplay.theory.spec import exact

_new_sample_sizes = rounds.sample_sizes


def _old_size(weight, n: int) -> int:
    weight = Fraction(str(exact(weight, "weight")))
    return 0 if weight == 0 else max(1, int(weight * n + Fraction(1, 2)))


def old_sample_sizes(eco, alpha, beta, *, initial, n=FROM_SPEC, initial_beta=FROM_SPEC, population=False, edges=False):
    """:func:`theory.rounds.sample_sizes` under the old rule (the population limit is unchanged)."""
    sizes = _old_sample_sizes(eco, alpha, beta, initial, n, initial_beta, population)
    return sizes._replace(n_synthetic=rounds.sizes_on_edges(eco.mixing, sizes.n_synthetic)) if edges else sizes


def _old_sample_sizes(eco, alpha, beta, initial, n, initial_beta, population):
    if population or eco.n is None:
        return _new_sample_sizes(eco, alpha, beta, initial=initial, n=n, initial_beta=initial_beta, population=True)
    n = int(eco.n if n is FROM_SPEC else n)
    alpha = 0 if initial else alpha
    beta_1 = eco.beta_at(1) if initial_beta is FROM_SPEC else initial_beta
    synthetic = tuple(tuple(_old_size(alpha * w, n) for w in row) for row in eco.mixing.tolist())
    if eco.regime == "reuse":
        private = [[int(s.size) if s.size is not None else _old_size(beta_1, n)] for s in eco.private]
        public = int(eco.public.size) if eco.public.size is not None else _old_size(1 - beta_1, n)
    else:
        private, public = [[_old_size((1 - alpha) * beta, n)]] * eco.K, _old_size((1 - alpha) * (1 - beta), n)
    return RoundSizes(private, [[public]] * eco.K, synthetic)


@contextlib.contextmanager
def with_old_sizes():
    """Within the block, theory and numerics size every round by the old rule."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rounds, "sample_sizes", old_sample_sizes)
        patch.setattr(numerics_sizes, "sample_sizes", old_sample_sizes)
        yield
