"""A source of weight 0 is not sampled (size 0, :func:`theory.rounds.sample_sizes`) and contributes nothing to the
exact recursions of any family: at beta = 1 the public source is irrelevant, at W = I (beta = 1) every model is
alone with its private source, so its moments are those of a one-model ecosystem."""

import pytest
import sympy

from interplay.theory import Ecosystem, moment_map
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.maps import initial_state
from interplay.theory.poisson import poisson_ecosystem

R = sympy.Rational
ROUNDS = 3


def gaussian(public, private=((0,), (2,)), **options):
    mean, cov = public
    return Ecosystem.gaussian(means=list(private), public_mean=mean, public_cov=cov, **options)


def categorical(public, private=(("1/2", "1/2"), ("1/4", "3/4")), **options):
    return categorical_ecosystem(list(private), public, **options)


def poisson(public, private=(2, 6), **options):
    return poisson_ecosystem(list(private), public, **options)


FAMILIES = {
    "gaussian": (gaussian, ([1], [[1]]), ([7], [[3]]), [(0,)]),
    "categorical": (categorical, (R(1, 2), R(1, 2)), (R(9, 10), R(1, 10)), [(R(1, 2), R(1, 2))]),
    "poisson": (poisson, 4, 11, [2]),
}


def trajectory(eco, rounds=ROUNDS):
    """The exact moments (sympy, rationals) after rounds 0..rounds: the map of a constant schedule iterated."""
    fmap = moment_map(eco, 1)
    states = [initial_state(fmap)]
    for _ in range(rounds):
        states.append(fmap(states[-1]))
    return [fmap.unpack(state) for state in states]


@pytest.mark.parametrize("regime", ["reuse", "fresh", "accumulate"])
@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_at_beta_one_the_public_source_does_not_matter(family, regime):
    """beta = 1: every exact moment, round by round, is the same rational for two different public sources."""
    make, public, other, _ = FAMILIES[family]
    options = {"alpha": R(1, 2), "beta": 1, "n": 6, "mixing": [[R(2, 3), R(1, 3)], [R(1, 4), R(3, 4)]]}
    if regime == "accumulate":  # its map depends on t: compare the map of each round
        one, two = make(public, regime=regime, **options), make(other, regime=regime, **options)
        for t in range(1, ROUNDS + 1):
            assert moment_map(one, t)(initial_state(moment_map(one, t))) == moment_map(two, t)(
                initial_state(moment_map(two, t))
            )
        return
    first = trajectory(make(public, regime=regime, **options))
    assert first == trajectory(make(other, regime=regime, **options))
    assert all(x.is_finite for state in first for part in state.values() for x in sympy.Matrix(part))


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_at_identity_mixing_every_model_is_alone(family):
    """W = I, beta = 1 (reuse): model k draws only from itself and its private source, so its moments are those
    of the one-model ecosystem on that source, and the two models are uncorrelated."""
    make, public, _, private = FAMILIES[family]
    options = {"alpha": R(3, 5), "beta": 1, "n": 5}
    both = trajectory(make(public, mixing=[[1, 0], [0, 1]], **options))
    second = trajectory(make(public, private=private, mixing=[[1]], **options))
    for pair, alone in zip(both, second):
        for name, part in alone.items():
            if name == "cross":  # Cov(m, b): the b of the two ecosystems differ (one model has no private_2)
                continue
            joint = sympy.Matrix(pair[name])
            rows, cols = sympy.Matrix(part).shape
            assert joint[:rows, :cols] == sympy.Matrix(part), name
