"""The exact trajectories of a Markov ecosystem (:mod:`theory.markov.maps`): the population map in float64 (both
designs: :func:`theory.markov.maps.mix_rows` on float arrays) and the rows design's exact finite-n moments, the
categorical family's compiled recursion on each row (:func:`theory.markov.maps.row_ecosystem`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interplay.numerics.categorical import iterate as categorical
from interplay.numerics.driver.results import ExactRounds
from interplay.theory.markov.maps import mix_rows, require_rows, row_ecosystem, source_weights
from interplay.theory.rounds import plan_at
from interplay.theory.spec import Ecosystem, SpecError, floats


@dataclass
class MarkovTrajectory(ExactRounds):
    """Exact values over rounds t = 0..T. mean: (T+1, K, m, m) E[P_k] (population: P_k itself); row_cov:
    (T+1, m, K, m, K, m) Cov(P_k[s, i], P_l[s, j]) within row s (rows are independent; zero for the population)."""

    ecosystem: Ecosystem
    kind: str
    mean: np.ndarray
    row_cov: np.ndarray
    checked = ("mean", "row_cov")
    dims = {
        "mean": ("round", "model", "state", "next"),
        "row_cov": ("round", "state", "model", "next", "model2", "next2"),
    }


def _refuse_start(start) -> None:
    if start is not None:
        raise SpecError("start", "the markov family starts from its initial fit only")


def iterate_moments(eco: Ecosystem, rounds: int, start=None) -> MarkovTrajectory:
    """E P and the within-row covariances of the rows design over rounds 0..T (SpecError naming
    ``family.design`` for sequences, whose moments do not close)."""
    _refuse_start(start)
    require_rows(eco, "the exact moment recursion")
    rows = [categorical.iterate_moments(row_ecosystem(eco, s), rounds) for s in range(eco.family.m)]
    return MarkovTrajectory(eco, "moments", np.stack([r.mean for r in rows], 2), np.stack([r.cov for r in rows], 1))


def iterate_population(eco: Ecosystem, rounds: int, start=None) -> MarkovTrajectory:
    """The population map's trajectory over rounds 0..T in float64, from the initial fit to infinite real data."""
    _refuse_start(start)
    eco.check_rounds(rounds)
    K, m = eco.K, eco.family.m
    P = np.full((K, m, m), 1.0 / m)
    trajectory = []
    for t in range(rounds + 1):
        P = mix_rows(eco, P, floats(source_weights(plan_at(eco, t, population=True))))
        trajectory.append(P)
    return MarkovTrajectory(eco, "population", np.stack(trajectory), np.zeros((rounds + 1, m, K, m, K, m)))
