"""The Poisson family, exactly: the moment recursion against a second derivation (cumulant generating functions),
the sympy maps against the compiled jax trajectories, fixed points, the single-model martingale, bad input.

The second derivation: with Lambda_t(u) = log E exp(u . lambda_t) the cumulant generating function of the fitted
rates, a sample mean of N draws of Poisson(r) has log E exp(v b) = N r (e^(v/N) - 1), and given the previous
rates model k's synthetic samples contribute sum_j lambda_j N_kj (e^(u_k w_kj / N_kj) - 1) = sum_j lambda_j
phi_j(u). So Lambda_t(u) = kappa_b(R^T u) + Lambda_{t-1}(phi(u)) (fresh; under reuse the joint CGF of (b,
lambda_t) is carried, Lambda_t(v, u) = Lambda_{t-1}(v + R^T u, phi(u)); under accumulate the arguments are
scaled by 1/(t+1) and the previous rates enter with t/(t+1)). Its gradient and Hessian at 0 are E lambda_t and
Cov lambda_t: exact rationals, derived without the law of total covariance the recursion uses.
"""

import doctest

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy import Rational as Q

import interplay.numerics.poisson as npo
from interplay.numerics.driver.compiled_cache import compiled_count
from interplay.numerics.driver.sizes import device, spec_sizes
from interplay.numerics.poisson import iterate, monte_carlo
from interplay.theory import NoUniqueFixedPoint, SpecError, fixed_point
from interplay.theory.poisson import FAMILY, Poisson, PoissonSource, longrun, poisson_ecosystem
from interplay.theory.poisson import maps as poisson
from interplay.theory.rounds import plan_at

REGIMES = ("reuse", "fresh", "accumulate")
W = [[Q(7, 10), Q(3, 10)], [Q(1, 5), Q(4, 5)]]


def small(regime, **options):
    """Two models, unequal rates and a non-uniform W, sizes that are not all equal."""
    spec = dict(alpha=Q(1, 2), beta=Q(2, 3), n=6, mixing=W, regime=regime) | options
    return poisson_ecosystem([2, 5], 3, **spec)


def cumulant_moments(eco, rounds):
    """(E lambda_t, Cov lambda_t) for t = 0..rounds from the cumulant generating function (module docstring)."""
    K = eco.K
    u = sympy.Matrix(sympy.symbols(f"u0:{K}"))
    rates = [s.rate for s in (*eco.private, eco.public)]

    def real_cgf(plan, u, a=None):
        """log E exp(u . R b + a . b): b the private means and the public prefixes' means (model k's the first
        N_0k draws of one sample), ``a`` (K + 1, reuse: one public size) the joint argument of b itself. The public
        sample's draws between consecutive distinct sizes s' < s are a Poisson(r_0 (s - s')) count shared by every
        model whose prefix reaches s: cgf (s - s') r_0 (exp(sum of those models' arguments / N_0k) - 1)."""
        a = sympy.zeros(K + 1, 1) if a is None else a
        private = sum(
            N * r * (sympy.exp((a[k] + plan.w_private[k, 0] * u[k]) / N) - 1)
            for k, (N, r) in enumerate(zip(plan.n_private, rates))
        )
        terms = [(plan.n_public[k, 0], plan.w_public[k, 0] * u[k]) for k in range(K)] + [(plan.n_public[0, 0], a[K])]
        public, below = 0, 0
        for s in sorted({N for N, _ in terms if N > 0}):
            public += (s - below) * rates[K] * (sympy.exp(sum(c / N for N, c in terms if N >= s)) - 1)
            below = s
        return private + public

    def real_weights(plan):  # R^T, (K+1) x K
        return sympy.Matrix.hstack(sympy.diag(*plan.w_private), plan.w_public).T

    def phi(plan, argument):  # the synthetic samples' contribution per previous rate lambda_j
        return sympy.Matrix(
            [
                sum(
                    plan.n_synthetic[k, j]
                    * (sympy.exp(argument[k] * plan.w_synthetic[k, j] / plan.n_synthetic[k, j]) - 1)
                    for k in range(K)
                )
                for j in range(K)
            ]
        )

    plan_0 = plan_at(eco, 0)
    if eco.regime == "reuse":
        cgfs = [lambda a, b: real_cgf(plan_0, b, a)]  # joint CGF of (b, lambda_0)
        for t in range(1, rounds + 1):
            plan, previous = plan_at(eco, t), cgfs[-1]
            cgfs.append(lambda a, b, p=plan, f=previous: f(a + real_weights(p) @ b, phi(p, b)))
        marginals = [sympy.Lambda(tuple(u), f(sympy.zeros(K + 1, 1), u)) for f in cgfs]
    else:
        cgfs = [lambda b: real_cgf(plan_0, b)]
        for t in range(1, rounds + 1):
            plan, previous = plan_at(eco, t), cgfs[-1]
            if eco.regime == "fresh":
                cgfs.append(lambda b, p=plan, f=previous: real_cgf(p, b) + f(phi(p, b)))
            else:
                cgfs.append(
                    lambda b, p=plan, f=previous, t=t: (
                        real_cgf(p, b / (t + 1)) + f(t * b / (t + 1) + phi(p, b / (t + 1)))
                    )
                )
        marginals = [sympy.Lambda(tuple(u), f(u)) for f in cgfs]
    zero = {x: 0 for x in u}
    out = []
    for cgf in marginals:
        expression = cgf(*u)
        gradient = [sympy.diff(expression, x) for x in u]
        mean = sympy.Matrix([sympy.nsimplify(g.subs(zero)) for g in gradient])
        cov = sympy.Matrix([[sympy.nsimplify(sympy.diff(g, x).subs(zero)) for x in u] for g in gradient])
        out.append((mean, cov))
    return out


NESTED = {  # public sizes that differ: nested prefixes of one public sample (theory.rounds)
    "alpha": dict(alpha={"per_model": [Q(1, 5), Q(1, 2)]}, n=10),  # public sizes 3 and 2
    "n": dict(n={"per_model": [6, 12]}),  # public sizes 1 and 2
}


@pytest.mark.parametrize(
    ("regime", "nested"), [(r, None) for r in REGIMES] + [(r, k) for r in ("fresh", "accumulate") for k in NESTED]
)
def test_moment_recursion_equals_the_cumulant_derivation(regime, nested):
    """Exact rational equality of E lambda_t and Cov lambda_t, t = 0..2, two models, every regime; under fresh
    and accumulate also with public sizes per model (the CGF of the public prefixes by their increments)."""
    eco = small(regime, **NESTED.get(nested, {}))
    assert nested is None or len(set(plan_at(eco, 1).n_public)) == 2
    recursion = poisson.moment_trajectory(eco, 2)
    for t, (mean, cov) in enumerate(cumulant_moments(eco, 2)):
        assert sympy.simplify(recursion[t].mean - mean) == sympy.zeros(2, 1), (regime, t)
        assert sympy.simplify(recursion[t].cov - cov) == sympy.zeros(2, 2), (regime, t)


@pytest.mark.parametrize("regime", REGIMES)
def test_sympy_maps_equal_the_jax_trajectories(regime):
    """The moment map and the population map (sympy, iterated from their initial states) against the compiled
    jax trajectories (values as inputs), to float64 round-off."""
    eco = small(regime, n=9)
    rounds = 4

    fmap = poisson.moment_map(eco)
    state = poisson.initial_state(fmap)
    exact = npo.iterate_moments(eco, rounds)
    for t in range(rounds + 1):
        if t:
            state = (poisson.moment_map(eco, t) if regime == "accumulate" else fmap)(state)
        parts = fmap.unpack(state)
        np.testing.assert_allclose(exact.mean[t], np.array(parts["mean"], dtype=float)[:, 0], rtol=1e-13)
        np.testing.assert_allclose(exact.cov[t], np.array(parts["cov"], dtype=float), rtol=1e-12, atol=1e-15)
    population = poisson.population_map(eco)
    rates = poisson.initial_state(population)
    path = npo.iterate_population(eco, rounds)
    for t in range(rounds + 1):
        if t:
            rates = (poisson.population_map(eco, t) if regime == "accumulate" else population)(rates)
        np.testing.assert_allclose(path.mean[t], np.array(rates, dtype=float), rtol=1e-13)


@pytest.mark.parametrize("regime", ("reuse", "fresh"))
def test_jax_step_equals_the_sympy_map_at_random_points(regime):
    """One compiled step (numbers as inputs, W not the structure's placeholder J/K) at random states equals the
    sympy moment map there."""
    eco = small(regime, mixing=[[Q(9, 10), Q(1, 10)], [Q(3, 5), Q(2, 5)]])
    fmap = poisson.moment_map(eco)
    shape, numbers = iterate.structure(eco), iterate.values(eco)
    sizes = device(spec_sizes(eco, 1))
    plan = iterate.plan(
        shape, numbers, jnp.asarray(0.5), jnp.asarray(2 / 3), jax.tree.map(lambda x: x[0], sizes.rounds), False
    )
    generator = np.random.default_rng(5)
    for _ in range(3):
        root = generator.normal(size=(2, 2))
        moments = poisson.Moments(
            generator.uniform(0.5, 4, size=(2, 1)), root @ root.T, generator.normal(size=(2, 3)) * (regime == "reuse")
        )
        new = poisson.moment_step(
            shape, numbers, poisson.Moments(*map(jnp.asarray, moments)), plan, 1.0, iterate.JAX_POISSON
        )
        point = {
            "mean": sympy.Matrix(moments.mean),
            "cov": sympy.Matrix(moments.cov),
            "cross": sympy.Matrix(moments.cross),
        }
        expected = fmap.unpack(fmap(fmap.pack(**point)))
        np.testing.assert_allclose(np.asarray(new.mean), np.array(expected["mean"], dtype=float), rtol=1e-13)
        np.testing.assert_allclose(np.asarray(new.cov), np.array(expected["cov"], dtype=float), rtol=1e-12)
        if regime == "reuse":
            np.testing.assert_allclose(np.asarray(new.cross), np.array(expected["cross"], dtype=float), rtol=1e-12)


def test_new_values_never_recompile():
    """Other rates, W, alpha, beta and n of the same structure (K, regime) reuse the compiled recursion."""
    eco = small("fresh")
    npo.iterate_moments(eco, 3)
    run = iterate.moment_recursion(iterate.structure(eco))
    held, traced = compiled_count(), run._cache_size()
    other = poisson_ecosystem([7, 1], 0.5, alpha=0.9, beta=0.1, n=40, mixing=[[0, 1], [1, 0]], regime="fresh")
    assert iterate.structure(other) == iterate.structure(eco)
    np.testing.assert_allclose(
        npo.iterate_moments(other, 3).mean[-1],
        np.array(poisson.moment_trajectory(other, 3)[-1].mean, dtype=float)[:, 0],
        rtol=1e-13,
    )
    assert (compiled_count(), run._cache_size()) == (held, traced)


@pytest.mark.parametrize("regime", ("reuse", "fresh"))
def test_population_fixed_point(regime):
    """The population map's fixed point solves (I - alpha W) lambda* = R r exactly, is the long run of the
    compiled iteration and of E lambda at finite n, and its long-run quantities are consistent."""
    eco = small(regime)
    fmap = poisson.population_map(eco)
    point = fixed_point(fmap)
    rates = fmap.unpack(point)["rates"]
    assert sympy.Matrix(fmap(list(rates))) == rates
    plan = plan_at(eco, 1, population=True)
    real = sympy.Matrix.hstack(sympy.diag(*plan.w_private), plan.w_public) @ sympy.Matrix([2, 5, 3])
    assert (sympy.eye(2) - eco.alpha * eco.mixing) @ rates == real
    np.testing.assert_allclose(npo.iterate_population(eco, 80).mean[-1], np.array(rates, dtype=float)[:, 0], rtol=1e-12)
    np.testing.assert_allclose(npo.iterate_moments(eco, 80).mean[-1], np.array(rates, dtype=float)[:, 0], rtol=1e-12)
    named = longrun.long_run(eco, fmap, point)
    assert named["squared_distance"][0, 1] == (rates[0] - rates[1]) ** 2
    tasks = [2, 5, 3]
    for k in range(2):
        for j in range(3):
            kl = tasks[j] * sympy.log(sympy.Integer(tasks[j]) / rates[k]) - tasks[j] + rates[k]
            assert sympy.simplify(named["cross_task_kl"][k, j] - kl) == 0
            assert named["cross_task_kl"][k, j] > 0  # no model's limit is one of the tasks here


@pytest.mark.parametrize("regime", ("reuse", "fresh"))
def test_stationary_moments_are_the_long_run_of_the_recursion(regime):
    eco = small(regime)
    stationary = longrun.stationary_moments(eco)
    exact = npo.iterate_moments(eco, 120)
    np.testing.assert_allclose(
        exact.variance()[-1], np.array(stationary["rate_variance"], dtype=float)[:, 0], rtol=1e-11
    )
    np.testing.assert_allclose(
        exact.spread()[-1], np.array(stationary["squared_distance"], dtype=float), rtol=1e-11, atol=1e-14
    )
    assert FAMILY.stationary_spread(eco) == stationary["squared_distance"]


@settings(max_examples=25, deadline=None)
@given(
    rate=st.fractions(min_value=0, max_value=50),
    n=st.integers(1, 60),
    beta=st.sampled_from([Q(0), Q(1, 3), Q(1)]),
    regime=st.sampled_from(("reuse", "fresh")),
)
def test_one_model_on_its_own_outputs_is_a_martingale_whose_variance_grows(rate, n, beta, regime):
    """alpha = 1, W = I: E lambda_t = E lambda_0 (a martingale) and Var lambda_t = Var lambda_0 + t E lambda_0 / n
    exactly; the moment recursion has no fixed point."""
    eco = poisson_ecosystem([Q(rate)], 2, alpha=1, beta=beta, mixing=[[1]], n=n, regime=regime)
    path = poisson.moment_trajectory(eco, 4)
    start = path[0]
    for t, moments in enumerate(path):
        assert moments.mean == start.mean
        assert moments.cov[0, 0] == start.cov[0, 0] + t * start.mean[0] / n
    with pytest.raises(NoUniqueFixedPoint):
        fixed_point(poisson.moment_map(eco))


def test_doctests():
    for module in (poisson, iterate):
        result = doctest.testmod(module, verbose=False)
        assert result.attempted > 0 and result.failed == 0, module.__name__


@pytest.mark.parametrize(
    ("build", "parameter"),
    [
        (lambda: PoissonSource(-1, name="public"), "public.rate"),
        (lambda: PoissonSource([1, 2], name="private[0]"), "private[0].rate"),
        (lambda: PoissonSource("lots", name="public"), "public.rate"),
        (lambda: PoissonSource(float("inf"), name="public"), "public.rate"),
        (lambda: PoissonSource(1, size=0, name="public"), "public.size"),
        (lambda: poisson_ecosystem([1, 2], 1, sizes=[3]), "sizes"),
        (lambda: poisson_ecosystem([1], 1, estimator="unbiased"), "estimator"),
        (lambda: npo.simulate(poisson_ecosystem([1], 1), 3, key=0), "n"),
        (lambda: npo.simulate(poisson_ecosystem([1], 1, n=4), 3, key=0, method="exact"), "method"),
        (lambda: npo.iterate_moments(poisson_ecosystem([1], 1), 3), "n"),
        (lambda: monte_carlo.simulate(poisson_ecosystem([1], 1, n=4), 3, key=0, replicates=0), "replicates"),
    ],
)
def test_bad_input_names_the_parameter(build, parameter):
    with pytest.raises(SpecError) as error:
        build()
    assert error.value.parameter == parameter


def test_spec_describes_itself():
    eco = poisson_ecosystem([Q(1, 2), 4], 3, sizes=[5, None], n=10)
    assert eco.family == Poisson() and eco.dim == 1 and eco.is_numeric
    assert eco.describe()["private"] == [{"rate": 0.5, "size": 5}, {"rate": 4.0, "size": None}]
    symbolic = poisson_ecosystem([sympy.Symbol("r")], 3)
    assert symbolic.symbols == {sympy.Symbol("r")}
