"""Providers that differ: alpha, beta and n given per model (``{"per_model": [...]}``). The spec reads and checks them;
equal entries give exactly the homogeneous spec; a per-model schedule equals round-by-round maps whose plans are
assembled by hand from each model's own homogeneous plan; the trains-on graph reads which closed classes receive
real data from their models' alphas, and the exact recursion agrees (a clique at alpha = 1 drifts, the rest not)."""

import numpy as np
import pytest
import sympy
from linear_cases import general
from sympy import Rational as R

from interplay.theory import Ecosystem, SpecError
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.gaussian import maps as gaussian
from interplay.theory.graphs import trains_on_graph
from interplay.theory.poisson import maps as poisson
from interplay.theory.poisson import poisson_ecosystem
from interplay.theory.rounds import RoundPlan, plan_at
from interplay.theory.spec import PerModel

W = [[R(3, 5), R(2, 5), 0], [0, R(1, 2), R(1, 2)], [R(3, 10), 0, R(7, 10)]]


def gaussian3(**options):
    spec = dict(alpha=R(1, 2), beta=R(1, 3), n=12, mixing=W) | options
    return Ecosystem.gaussian(means=[[0], [2], [5]], public_mean=[1], covs=[[[1]], [[2]], [[R(1, 2)]]], **spec)


def poisson3(**options):
    spec = dict(alpha=R(1, 2), beta=R(1, 3), n=12, mixing=W) | options
    return poisson_ecosystem([1, 4, 9], 3, **spec)


def test_per_model_values_are_read_and_described():
    eco = gaussian3(alpha={"per_model": [1, "1/2", 0.25]}, beta={"per_model": [[R(1, 3), R(1, 2)], R(1, 3), R(1, 3)]})
    assert eco.alpha == PerModel((1, R(1, 2), R(1, 4))) and eco.per_model and not eco.is_constant
    assert eco.beta_at(1) == PerModel((R(1, 3),) * 3) and eco.beta_at(2) == PerModel((R(1, 2), R(1, 3), R(1, 3)))
    described = eco.describe()
    assert described["alpha"] == {"per_model": [1.0, 0.5, 0.25]}
    assert described["beta"] == {"per_model": [[1 / 3, 0.5], [1 / 3, 1 / 3], [1 / 3, 1 / 3]]}
    assert eco.with_options() == eco  # validated again from its own stored values


@pytest.mark.parametrize(
    ("changes", "parameter", "message"),
    [
        (dict(alpha={"per_model": [R(1, 2), R(1, 2)]}), "alpha.per_model", "has 2 values, one per model is 3"),
        (dict(alpha={"per_model": [R(1, 2), 2, 0]}), "alpha.per_model[1]", "must lie in [0, 1]"),
        (dict(beta={"per_model": [[0, 1], [0], 1]}), "beta.per_model", "schedules have different lengths [1, 2]"),
        (dict(alpha={"models": [1, 1, 1]}), "alpha", "per-model values are"),
        (dict(alpha={"per_model": []}), "alpha", "per-model values are"),
        (dict(beta={"per_model": [0, R(1, 2), 1]}), "public.size", "the models' beta_1 differ"),
        (dict(n={"per_model": [12, 12]}), "n.per_model", "has 2 values, one per model is 3"),
        (dict(n={"per_model": [12, 0, 12]}, public_size=4), "n.per_model[1]", "must be >= 1"),
        (dict(n={"per_model": [12, 1.5, 12]}, public_size=4), "n.per_model[1]", "must be an integer"),
        (dict(n={"per_model": [6, 12, 18]}), "public.size", "the models' n differ (6, 12, 18)"),
        (dict(n={"per_model": [1, 12, 12]}, public_size=4, estimator="unbiased"), "n.per_model[0]", "needs n >= 2"),
    ],
)
def test_bad_per_model_values_name_the_parameter(changes, parameter, message):
    with pytest.raises(SpecError) as error:
        gaussian3(**changes)
    assert error.value.parameter == parameter and message in str(error.value)


def test_fresh_takes_public_sizes_per_model_and_the_families_without_them_say_so():
    """Under fresh model k takes the first round((1 - alpha_k)(1 - beta_k) n_k) draws of the round's one public
    sample (theory.rounds): alpha (0, 1, 0), beta 1/3, n 12 give 8, 0, 8; n (6, 12, 18) gives 2, 4, 6. The linear
    surrogate (one public design) refuses, naming regime; so do symbolic shares that differ (no max of the sizes)."""
    assert list(plan_at(gaussian3(alpha={"per_model": [0, 1, 0]}, regime="fresh"), 1).n_public) == [8, 0, 8]
    assert list(plan_at(gaussian3(n={"per_model": [6, 12, 18]}, regime="accumulate"), 1).n_public) == [2, 4, 6]
    alpha = {"per_model": [R(1, 2), R(1, 4), R(3, 4)]}
    with pytest.raises(SpecError, match="^regime: .* nested public samples, which the linear surrogate"):
        general(3, 1, n=12, alpha=alpha, regime="fresh")
    with pytest.raises(SpecError, match=r"^regime: .* differ at round 1 .*; nested public samples need numbers"):
        gaussian3(alpha={"per_model": [sympy.Symbol("a"), R(1, 2), R(1, 2)]}, regime="fresh")


def test_fresh_allows_per_model_values_with_one_public_weight():
    """(1 - alpha_k)(1 - beta_k) the same for every model: (1/2)(1/2) = (3/4)(1/3) = 1/4."""
    alpha, beta = {"per_model": [R(1, 2), R(1, 4), R(1, 2)]}, {"per_model": [R(1, 2), R(2, 3), R(1, 2)]}
    eco = gaussian3(alpha=alpha, beta=beta, regime="fresh")
    assert [plan_at(eco, 1).w_public[k, 0] for k in range(3)] == [R(1, 4)] * 3
    assert list(plan_at(eco, 1).n_public) == [3] * 3


@pytest.mark.parametrize("build", [gaussian3, poisson3])
@pytest.mark.parametrize("regime", ["reuse", "fresh", "accumulate"])
def test_equal_per_model_values_are_the_homogeneous_spec_exactly(build, regime):
    """Plans and the exact moments of three rounds: the same sympy expressions."""
    homogeneous = build(regime=regime)
    per_model = build(regime=regime, alpha={"per_model": [R(1, 2)] * 3}, beta={"per_model": [R(1, 3)] * 3})
    for t in range(3):
        assert plan_at(per_model, t) == plan_at(homogeneous, t)
    family = gaussian if build is gaussian3 else poisson
    assert family.moment_map(per_model)(family.initial_state(family.moment_map(per_model))) == family.moment_map(
        homogeneous
    )(family.initial_state(family.moment_map(homogeneous)))


@pytest.mark.parametrize("regime", ["reuse", "fresh", "accumulate"])
def test_per_model_n_gives_each_model_the_sizes_of_its_own_n(regime):
    """Model k's private and synthetic sizes are those of the homogeneous spec at n_k, exactly; the public sample is
    shared: beta = 1 (no public data) under fresh and accumulate, the reused dataset's size under reuse."""
    sizes = [6, 12, 19]
    options = dict(public_size=4) if regime == "reuse" else dict(beta=1)
    eco = gaussian3(n={"per_model": sizes}, regime=regime, **options)
    assert eco.training_sizes == tuple(sizes) and eco.largest_n == 19 and str(eco.n) == "(6, 12, 19) per model"
    assert eco.describe()["n"] == {"per_model": sizes}
    for t in range(3):
        plan = plan_at(eco, t)
        for k, n in enumerate(sizes):
            own = plan_at(eco.with_options(n=n), t)
            assert plan.n_private.row(k) == own.n_private.row(k) and plan.n_synthetic.row(k) == own.n_synthetic.row(k)
            assert plan.n_public == own.n_public
            if regime != "reuse":  # a training set of n_k samples (under reuse the real datasets enter whole)
                assert plan.n_private[k, 0] + sum(plan.n_synthetic.row(k)) + plan.n_public[k, 0] == n


def test_per_model_n_with_equal_public_shares_shares_one_public_sample():
    """Under fresh the public sample is one: n_k (1 - beta_k) = 4 for n = (8, 12, 16), beta = (1/2, 2/3, 3/4)."""
    eco = gaussian3(
        alpha=0, beta={"per_model": [R(1, 2), R(2, 3), R(3, 4)]}, n={"per_model": [8, 12, 16]}, regime="fresh"
    )
    plan = plan_at(eco, 1)
    assert list(plan.n_public) == [4] * 3 and list(plan.n_private) == [4, 8, 12]


def test_the_families_that_cannot_take_per_model_n_say_so():
    two = ([[R(1, 2), R(1, 2)]] * 2, [R(1, 2), R(1, 2)])
    with pytest.raises(SpecError, match="^n: smoothing's factor n / \\(n \\+ m lambda\\) is one for all models"):
        categorical_ecosystem(*two, smoothing=1, n={"per_model": [4, 8]}, beta=1)
    assert categorical_ecosystem(*two, n={"per_model": [4, 8]}, beta=1).largest_n == 8
    with pytest.raises(SpecError, match="^n: the surrogate's n is the rows m of every synthetic design"):
        general(2, 1, n={"per_model": [4, 8]})


def _hand_plan(eco, alphas, betas, t):
    """Round t's plan assembled from each model's own homogeneous spec (alpha_k, beta_k for every model): model k's
    rows of its weights and sizes; the shared public size of the reused dataset."""
    rows = [plan_at(eco.with_options(alpha=a, beta=b), t) for a, b in zip(alphas, betas)]
    K = eco.K
    stack = sympy.Matrix.vstack
    return RoundPlan(
        stack(*[rows[k].w_private.row(k) for k in range(K)]),
        stack(*[rows[k].w_public.row(k) for k in range(K)]),
        stack(*[rows[k].w_synthetic.row(k) for k in range(K)]),
        stack(*[rows[k].n_private.row(k) for k in range(K)]),
        rows[0].n_public,
        stack(*[rows[k].n_synthetic.row(k) for k in range(K)]),
    )


def test_a_per_model_schedule_is_the_round_by_round_maps_of_hand_built_plans():
    """Gaussian, reuse (the public dataset is given a size, each model's beta_1 sizing its private one), three
    rounds of a schedule that differs per model: every moment equal, exactly."""
    alphas = [[R(1, 2), R(3, 4), 1], [R(1, 4), R(1, 4), R(1, 2)], [0, R(1, 2), R(1, 2)]]  # per model, rounds 1..3
    betas = [R(1, 3), R(1, 2), R(2, 3)]
    eco = gaussian3(alpha={"per_model": alphas}, beta={"per_model": betas}, public_size=5)
    moments = gaussian.moment_step(eco, gaussian.zero_moments(eco), plan_at(eco, 0), 0)
    hand = gaussian.moment_step(eco, gaussian.zero_moments(eco), _hand_plan(eco, [0] * 3, betas, 0), 0)
    assert moments == hand
    for t in range(1, 4):
        moments = gaussian.moment_step(eco, moments, plan_at(eco, t), t)
        hand = gaussian.moment_step(eco, hand, _hand_plan(eco, [a[t - 1] for a in alphas], betas, t), t)
        assert all(sympy.simplify(a - b).is_zero_matrix for a, b in zip(moments, hand)), t


def test_an_isolated_clique_at_alpha_one_collapses_while_the_rest_does_not():
    """Models 0 and 1 train only on each other at alpha = 1; model 2 trains on them and on itself at alpha = 1/2,
    models 3 and 4 on each other at alpha 1 and 1/4. The graph: two closed classes, {0, 1} with no real data, {3,
    4} anchored (diag(alpha) W has radius < 1); the exact recursion: in {0, 1} Var m grows and E S shrinks every
    round (to 15 % in 40 rounds: collapse), in {3, 4} both settle, E S away from 0."""
    mixing = [[R(1, 2), R(1, 2), 0, 0, 0], [R(1, 2), R(1, 2), 0, 0, 0], [R(1, 4), R(1, 4), R(1, 2), 0, 0]]
    mixing += [[0, 0, 0, R(1, 2), R(1, 2)], [0, 0, 0, R(1, 2), R(1, 2)]]
    eco = Ecosystem.gaussian(
        means=[[0], [1], [2], [3], [4]],
        public_mean=[2],
        alpha={"per_model": [1, 1, R(1, 2), 1, R(1, 4)]},
        beta=R(1, 2),
        n=10,
        mixing=mixing,
    )
    graph = trains_on_graph(eco)
    assert [c.models for c in graph.classes] == [(0, 1), (3, 4)] and graph.transient == (2,)
    assert [c.real_data for c in graph.classes] == [False, True]
    block = np.diag([1, 0.25]) @ np.full((2, 2), 0.5)
    assert graph.classes[1].multiplier == pytest.approx(max(abs(np.linalg.eigvals(block))), rel=1e-12)
    assert graph.classes[1].multiplier < 1 and "no collapse" in graph.classes[1].fate
    moments = gaussian.moment_step(eco, gaussian.zero_moments(eco), plan_at(eco, 0), 0)
    variances, fitted = [], []
    for t in range(1, 41):
        moments = gaussian.moment_step(eco, moments, plan_at(eco, t), t)
        variances.append([float(moments.cov[k, k]) for k in range(5)])
        fitted.append([float(x) for x in gaussian.fitted_covariance(eco, moments)])
    variances, fitted = np.array(variances), np.array(fitted)
    assert np.all(np.diff(variances[:, 0]) > 0) and np.all(np.diff(fitted[:, 0]) < 0)
    assert fitted[-1, 0] < 0.2 * fitted[0, 0]
    changes = np.abs(np.diff(variances[:, 3]))  # a contraction: the changes shrink geometrically to 0
    assert changes[-1] < 1e-6 * changes[0] and fitted[-1, 3] > 0.5
