"""A trajectory started at a given state: the shared checks of the ``start`` a family's verbs accept.

By default round 0 of every trajectory is the initial fit to real data (a random state). Given ``start``, round 0
is that state instead: the fitted parameters of every model, deterministic (zero covariance across replicates),
and rounds 1.. proceed exactly as before (under ``reuse`` the real datasets are still drawn once, at round 0,
independently of the start). E.g. a K = 1 categorical ecosystem with alpha = 1, W = [[1]], ``fresh``, started at
p_0, is the Wright-Fisher chain. What a start holds is the family's (categorical: the K x m probabilities;
Poisson: the K rates; Gaussian: the K x d means and the K x d x d covariances; linear-Gaussian: the K x d
parameters): each family's ``start_state`` checks it and raises :class:`~interplay.theory.spec.SpecError` naming
``start``.
"""

from __future__ import annotations

import numpy as np
import sympy

from interplay.theory.spec import EXACT_HINT, SpecError, exact, show, sums_to_one


def shape_of(value) -> tuple[int, ...]:
    """The shape of an array-like (a sympy matrix, a numpy array or nested lists); SpecError if ragged."""
    if isinstance(value, sympy.MatrixBase):
        return tuple(value.shape)
    try:
        array = np.asarray(value, dtype=object)
    except ValueError:
        array = None
    if array is None or any(isinstance(x, (list, tuple, np.ndarray, sympy.MatrixBase)) for x in array.ravel()):
        raise SpecError("start", f"must be a rectangular array of numbers, got {value!r}")
    return array.shape


def start_array(value, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``value`` as an object array of exact sympy numbers (or expressions) of ``shape``; ``what`` names its
    entries in the message (e.g. "K x m = 2 x 3 probabilities, one row per model")."""
    if value is None:
        raise SpecError("start", f"expected {what}, got None")
    given = shape_of(value)
    if given != tuple(shape):
        raise SpecError("start", f"expected {what}, shape {tuple(shape)}, got shape {given}")
    entries = np.asarray(value.tolist() if isinstance(value, sympy.MatrixBase) else value, dtype=object)
    return np.vectorize(lambda x: exact(x, "start"), otypes=[object])(entries).reshape(shape)


def require_nonnegative(entries: np.ndarray, what: str) -> None:
    """SpecError naming ``start`` if a numeric entry is negative."""
    for index, x in np.ndenumerate(entries):
        if x.is_number and not (x.is_real and x >= 0):
            raise SpecError("start", f"{what} must be >= 0, got {show(x)} at {list(index)}")


def require_distributions(probs: np.ndarray) -> None:
    """Every row (the last axis) of ``probs`` a probability vector: entries >= 0 summing to exactly 1."""
    require_nonnegative(probs, "probabilities")
    for index in np.ndindex(probs.shape[:-1]):
        row = list(probs[index])
        numeric = all(x.is_number for x in row)
        if (numeric and not sums_to_one(row)) or (not numeric and sympy.simplify(sum(row) - 1) != 0):
            raise SpecError("start", f"row {list(index)} must sum to 1, sums to {show(sum(row))} ({EXACT_HINT})")


def require_positive_semidefinite(covs: np.ndarray) -> None:
    """Every d x d matrix of ``covs`` (K x d x d) symmetric and positive semi-definite (numeric ones checked)."""
    for k, cov in enumerate(covs):
        S = sympy.Matrix(cov.tolist())
        if not S.is_symmetric():
            raise SpecError("start", f"covariance [{k}] must be symmetric, got {S.tolist()}")
        if all(x.is_number for x in S) and S.is_positive_semidefinite is False:
            raise SpecError("start", f"covariance [{k}] must be positive semi-definite, got {S.tolist()}")


def numeric_start(value) -> np.ndarray:
    """A checked start (a sympy matrix or an object array) as float64 numbers, for the numerics; SpecError
    naming ``start`` if it holds symbols."""
    entries = np.asarray(value.tolist() if isinstance(value, sympy.MatrixBase) else value, dtype=object)
    if not all(sympy.sympify(x).is_number for x in entries.ravel()):
        raise SpecError("start", f"numerics needs numbers, got {entries.tolist()}")
    return entries.astype(np.float64)
