"""Collapse statistics from the exact chain (theory/categorical/collapse.py): against transition matrices built by
hand and the Wright-Fisher facts (fixation probability = initial frequency, geometric absorption), exact rationals
against the float64 mode, the lumped chain of exchangeable categories against the full one. Monte Carlo:
tests/numerics/categorical/test_categorical_collapse_estimates.py."""

import numpy as np
import pytest
import sympy
from sympy import Rational as R
from sympy import binomial

from interplay.theory.categorical.chain import exact_chain, exchangeable_categories
from interplay.theory.categorical.collapse import collapse_statistics
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.spec import SpecError

HALF = [R(1, 2), R(1, 2)]
Q = [R(1, 2), R(1, 4), R(1, 4)]  # categories 1 and 2 exchangeable


def wright_fisher(n, **options):
    """One model on its own outputs, n samples, two categories: the neutral Wright-Fisher chain."""
    return categorical_ecosystem([HALF], HALF, alpha=1, beta=1, mixing=[[1]], n=n, **options)


def binomial_matrix(n) -> sympy.Matrix:
    """P(i -> j) = C(n, j) (i/n)^j (1 - i/n)^(n - j): state i = n p."""
    return sympy.Matrix(n + 1, n + 1, lambda i, j: binomial(n, j) * R(i, n) ** j * (1 - R(i, n)) ** (n - j))


def test_wright_fisher_n3_against_the_binomial_matrix_built_by_hand():
    """n = 3 from p_0 = 1/3: the chain is the 4 x 4 binomial matrix; P(category lost by t), absorption, its mean
    time 3 (from either inner state the chain stays inside with probability 4/9 + 2/9: geometric) and the fixation
    probability 1/3 of the first category (its initial frequency, a martingale) follow from the hand matrix."""
    start = [[R(1, 3), R(2, 3)]]
    chain = exact_chain(wright_fisher(3), start=start)
    hand = binomial_matrix(3)
    position = [int(fit[0][0] * 3) for fit in chain.fits]
    assert sorted(position) == [0, 1, 2, 3]
    P = chain.matrix()
    assert all(P[s, u] == hand[position[s], position[u]] for s in range(4) for u in range(4))

    stats, T = collapse_statistics(wright_fisher(3), start=start), 6
    laws = [sympy.Matrix([[0, 1, 0, 0]]) * hand**t for t in range(T + 1)]
    assert stats.survival(0, T) == [1 - law[0] for law in laws]
    assert stats.survival(1, T) == [1 - law[3] for law in laws]
    assert stats.all_survive(T) == [1 - law[0] - law[3] for law in laws]
    absorbed = [law[0] + law[3] for law in laws]
    assert stats.loss_distribution(1, T) == absorbed == stats.absorption_distribution(T)
    inner = hand[1:3, 1:3]
    mean = ((sympy.eye(2) - inner).inv() * sympy.ones(2, 1))[0]
    assert stats.mean_absorption_time() == stats.mean_loss_time(1) == mean == 3

    classes, A = chain.absorption_probabilities()
    fixation = chain.initial_vector() * A
    (first,) = [c for c, (state,) in enumerate(classes) if chain.fits[state][0] == (1, 0)]
    assert fixation[first] == R(1, 3)


def test_wright_fisher_n2_lumps_its_two_categories():
    """n = 2 from p_0 = (1/2, 1/2): sources and start cannot tell the categories apart, so the lumped chain has two
    states (inside, fixed); stays inside with probability 1/2: E T_abs = 2, P(category 1 lost by t) = (1 - 2^-t)/2."""
    eco, start, T = wright_fisher(2), [HALF], 5
    assert exchangeable_categories(eco, start) == ((0, 1),)
    stats = collapse_statistics(eco, start=start)
    assert stats.chain().size == 2 and exact_chain(eco, start=start).size == 3
    assert stats.mean_absorption_time() == 2
    assert stats.survival(0, T) == [1 - (1 - R(1, 2) ** t) / 2 for t in range(T + 1)]
    assert stats.absorption_distribution(T) == [1 - R(1, 2) ** t for t in range(T + 1)]


CASES = {
    "one model": categorical_ecosystem([Q], Q, alpha=1, beta=1, n=4, regime="fresh"),
    "two models": categorical_ecosystem([Q, Q], Q, alpha=1, beta=1, n=2, regime="fresh"),
    "reuse": categorical_ecosystem([Q], Q, alpha=R(1, 2), beta=1, n=3, regime="reuse"),
}


def statistics(stats, rounds=5):
    """Every statistic, as a flat list of numbers."""
    m = stats.ecosystem.dim
    values = [v for i in range(m) for v in stats.survival(i, rounds)]
    values += list(stats.all_survive(rounds)) + list(stats.absorption_distribution(rounds))
    values += [v for k in range(1, m) for v in stats.loss_distribution(k, rounds)]
    return values + [stats.mean_loss_time(k) for k in range(1, m)] + [stats.mean_absorption_time()]


@pytest.mark.parametrize("name", list(CASES))
def test_lumped_equals_unlumped_and_float64_equals_rationals(name):
    """Lumping the exchangeable categories 2 and 3 gives a smaller chain and exactly the same statistics (those of
    category 1 and 2 from the chain that keeps it apart); float64 agrees with the rationals to 1e-12; categories 2
    and 3 have the same survival."""
    eco = CASES[name]
    lumped, full = collapse_statistics(eco), collapse_statistics(eco, lump=False)
    assert lumped.chain().size < full.chain().size
    exact = statistics(lumped)
    assert exact == statistics(full)
    assert lumped.survival(1, 5) == lumped.survival(2, 5)
    numeric = statistics(collapse_statistics(eco, numeric=True))
    np.testing.assert_allclose(numeric, [float(v) for v in exact], rtol=1e-12, atol=1e-15)


def test_two_models_per_model_losses():
    """model=k: a category lost by model k (the other may hold it); lumped equals full; the ecosystem loses a
    category no sooner than either model does."""
    eco = CASES["two models"]
    for k in (0, 1):
        lumped, full = collapse_statistics(eco, model=k), collapse_statistics(eco, model=k, lump=False)
        assert statistics(lumped) == statistics(full)
        assert all(a <= b for a, b in zip(lumped.all_survive(5), collapse_statistics(eco).all_survive(5)))


def test_self_consuming_absorption_is_losing_all_but_one_category():
    """One model, alpha = 1, no smoothing: the closed classes are the point masses, so T_abs = T^(m - 1)."""
    stats = collapse_statistics(CASES["one model"])
    assert stats.absorption_distribution(8) == stats.loss_distribution(2, 8)
    assert stats.mean_absorption_time() == stats.mean_loss_time(2)


def test_smoothing_loses_nothing_and_the_mean_time_is_infinite():
    stats = collapse_statistics(wright_fisher(3, smoothing=1), start=[[R(1, 3), R(2, 3)]])
    assert stats.survival(0, 4) == [1] * 5 and stats.loss_distribution(1, 4) == [0] * 5
    assert stats.mean_loss_time(1) == sympy.oo
    numeric = collapse_statistics(wright_fisher(3, smoothing=1), start=[[R(1, 3), R(2, 3)]], numeric=True)
    assert numeric.mean_loss_time(1) == np.inf


def test_float64_101_state_chain_keeps_the_wright_fisher_moments_and_fixation():
    """n = 100 from p_0 = 3/10 (101 states), float64: the law after 50 rounds has E p = p_0 and
    Var p = p_0 (1 - p_0) (1 - (1 - 1/n)^50); the second category is never lost with probability 7/10, its
    fixation probability (the chain leaves the inside at a rate about 1/n a round: by round 3,000 all but
    e^-30 of it has left)."""
    stats = collapse_statistics(wright_fisher(100), start=[[R(3, 10), R(7, 10)]], numeric=True)
    chain = stats.chain()
    assert chain.size == 101
    assert abs(stats.survival(1, 3000)[-1] - 0.7) < 1e-10
    law = chain.law(50)
    p = np.array([float(fit[0][0]) for fit in law])
    weights = np.array(list(law.values()))
    assert abs(weights @ p - 0.3) < 1e-12
    assert abs(weights @ p**2 - 0.09 - 0.21 * (1 - 0.99**50)) < 1e-12


@pytest.mark.parametrize("numeric", [False, True])
def test_laws_are_kept_and_the_same_in_any_order(numeric):
    """law(t) continues from the laws already computed: asking for later rounds first changes nothing."""
    chain = exact_chain(CASES["one model"], numeric=numeric)
    later_first = [chain.law(t) for t in (4, 1, 3)]
    assert later_first == [exact_chain(CASES["one model"], numeric=numeric).law(t) for t in (4, 1, 3)]


def test_bad_input_names_the_parameter():
    eco = CASES["one model"]
    with pytest.raises(SpecError, match="lump: categories \\(0, 1\\) are not exchangeable"):
        exact_chain(eco, lump=[(0, 1)])
    with pytest.raises(SpecError, match="lump: must be disjoint blocks"):
        exact_chain(eco, lump=[(1, 2), (2,)])
    for lump in ([(1.0, 2)], [1, 2], "12"):
        with pytest.raises(SpecError, match="lump: must be True, False or blocks of category indices"):
            exact_chain(eco, lump=lump)
    stats = collapse_statistics(eco)
    with pytest.raises(SpecError, match="category: must be an integer in 0..2"):
        stats.survival(3, 4)
    with pytest.raises(SpecError, match="k: the number of lost categories must be an integer in 1..2"):
        stats.loss_distribution(3, 4)
    with pytest.raises(SpecError, match="model: must be None or an integer in 0..0"):
        collapse_statistics(eco, model=1)
    with pytest.raises(SpecError, match="rounds: must be an integer >= 0"):
        stats.all_survive(-1)


def test_float64_chain_methods_equal_the_exact_ones():
    """Transition matrix, absorption probabilities and times (collapse), the stationary law (rescue by fresh data)
    and a law: float64 = rationals to 1e-12."""
    collapse = CASES["one model"]
    exact, numeric = exact_chain(collapse), exact_chain(collapse, numeric=True)
    np.testing.assert_allclose(numeric.matrix().toarray(), np.array(exact.matrix(), dtype=float), rtol=1e-12)
    classes, A = exact.absorption_probabilities()
    assert numeric.absorption_probabilities()[0] == classes
    np.testing.assert_allclose(numeric.absorption_probabilities()[1], np.array(A, dtype=float), rtol=1e-12)
    np.testing.assert_allclose(numeric.absorption_times(), np.array(exact.absorption_times(), dtype=float), rtol=1e-12)
    law = exact.law(3)
    assert numeric.law(3).keys() == law.keys()
    np.testing.assert_allclose([numeric.law(3)[fit] for fit in law], [float(p) for p in law.values()], rtol=1e-12)
    rescue = categorical_ecosystem([Q], Q, alpha=R(1, 2), beta=1, n=3, regime="fresh")
    exact, numeric = exact_chain(rescue), exact_chain(rescue, numeric=True)
    (closed,) = exact.closed_classes()
    assert numeric.closed_classes() == [closed]
    stationary = exact.stationary(closed)
    np.testing.assert_allclose([numeric.stationary(closed)[i] for i in closed], [float(stationary[i]) for i in closed])


def test_float64_chain_takes_probabilities_below_the_smallest_float():
    """A source probability of 10^-400: its log-multinomials need log p from the numerator and denominator (the
    float of p is 0); the draws that use it have probability 0.0 in float64."""
    tiny = R(1, 10**400)
    eco = categorical_ecosystem([[tiny, 1 - tiny]], [tiny, 1 - tiny], alpha=1, beta=1, n=2, regime="fresh")
    exact, numeric = exact_chain(eco).law(1), exact_chain(eco, numeric=True).law(1)
    assert numeric.keys() <= exact.keys() and numeric[((0, 1),)] == 1.0 == float(exact[((0, 1),)])


def test_a_law_after_the_previous_round_costs_one_step(monkeypatch):
    """law(t) continues from the kept law of round t - 1: one step of the chain, not t."""
    from interplay.theory.categorical.chain import ExactChain

    steps = []
    advance = ExactChain._advance
    monkeypatch.setattr(ExactChain, "_advance", lambda self, *args: steps.append(1) or advance(self, *args))
    for numeric in (False, True):
        chain = exact_chain(CASES["one model"], numeric=numeric)
        chain.law(10)
        steps.clear()
        chain.law(11), chain.law(5), chain.law(11)
        assert len(steps) == 1
