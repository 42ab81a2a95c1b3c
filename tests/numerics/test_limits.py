"""Limits: standard errors need two replicates; what cannot fit in memory is refused up front in one line,
before anything is compiled; replicates run in chunks without changing a number; grids are bounded."""

import itertools

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toml_configs import two_gaussians

import interplay.numerics as numerics
import interplay.numerics.driver.limits as limits
from interplay.numerics.cli.config import load
from interplay.numerics.cli.main import main
from interplay.numerics.cli.reproduce import reproduce
from interplay.numerics.gaussian.monte_carlo import simulation_memory
from interplay.numerics.sweeps import _Points
from interplay.numerics.verbs import simulation_estimate
from interplay.theory import Ecosystem, SpecError
from interplay.theory.categorical.maps import categorical_ecosystem
from interplay.theory.examples import two_model_gaussian
from interplay.theory.linear.maps import linear_ecosystem


@pytest.fixture
def no_compiling(monkeypatch):
    """Any jax.jit during the test fails it: a refusal must come before any work."""

    def refuse(*args, **kwargs):
        raise AssertionError("compiled before refusing")

    monkeypatch.setattr(jax, "jit", refuse)


def run_simulate(tmp_path, capsys, rounds, replicates):
    config = tmp_path / "config.toml"
    config.write_text(two_gaussians(ecosystem={"n": 50}, simulate={"rounds": rounds, "replicates": replicates}))
    status = main(["simulate", str(config), "--out", str(tmp_path / "out"), "--quiet"])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    return status, lines


@pytest.mark.parametrize(
    "rounds, replicates, named", [(30, 10**9, "replicates"), (10**7, 2000, "10000000 rounds"), (30, 1, "replicates")]
)
def test_simulate_refuses_in_one_line_before_compiling(tmp_path, capsys, no_compiling, rounds, replicates, named):
    status, lines = run_simulate(tmp_path, capsys, rounds, replicates)
    assert status == 2 and len(lines) == 1
    assert lines[0].startswith("interplay: error: simulate.replicates: ") and named in lines[0]
    assert not (tmp_path / "out").exists()


def test_replicates_must_be_two_wherever_a_standard_error_is_reported(tmp_path, capsys, no_compiling):
    with pytest.raises(SpecError, match="replicates: must be an integer >= 2"):
        reproduce(tmp_path / "report", replicates=1, progress=False)
    assert main(["demo", "--out", str(tmp_path / "demo"), "--replicates", "1"]) == 2
    assert capsys.readouterr().err.startswith("interplay: error: replicates: must be an integer >= 2")
    with pytest.raises(SpecError, match="replicates: must be an integer >= 2"):
        numerics.sweep(two_model_gaussian(), {"alpha": [0.5]}, ["mc_spread"], rounds=2, replicates=1, progress=False)


def test_library_simulations_refuse_what_cannot_fit_the_budget(no_compiling):
    gaussian = two_model_gaussian(n=20)
    with pytest.raises(SpecError, match=r"^replicates: 100 replicates x 5 rounds need about .* 195.3 KiB available"):
        numerics.simulate(gaussian, 5, 0, replicates=100, memory=200_000)
    with pytest.raises(SpecError, match=r"^rounds: 2 replicates x 10000000 rounds"):
        numerics.simulate(gaussian, 10**7, 0, replicates=2, memory=2**30)
    categorical = categorical_ecosystem([[0.5, 0.5]], [0.5, 0.5], n=10)
    with pytest.raises(SpecError, match="^replicates: "):
        numerics.simulate(categorical, 5, 0, replicates=10**6, memory=2**20)
    with pytest.raises(SpecError, match="^rounds: an exact trajectory of 10000000 rounds"):
        numerics.iterate_moments(gaussian, 10**7, memory=2**30)


def test_a_grid_that_cannot_fit_is_refused_naming_the_axes(no_compiling):
    axes = {"alpha": np.linspace(0, 1, 10**4), "beta": np.linspace(0, 1, 10**4)}
    with pytest.raises(SpecError, match=r"^axes: a 10000 x 10000 grid of \['spread'\] needs about"):
        numerics.sweep(two_model_gaussian(), axes, "spread", rounds=10, progress=False, memory=2**30)
    with pytest.raises(SpecError, match="^replicates: 10000 replicates x 1000 rounds at one grid point"):
        numerics.sweep(
            two_model_gaussian(), {"alpha": [0.5]}, "mc_spread", replicates=10**4, progress=False, memory=2**28
        )


def test_grid_points_are_made_chunk_by_chunk_in_product_order():
    axes = [("alpha", np.array([0.0, 0.5, 1.0])), ("beta", np.array([0.1, 0.2])), ("n", np.array([5.0, 7.0]))]
    points = _Points(axes)
    every = np.array(list(itertools.product(*(v for _, v in axes))))
    assert len(points) == 12
    np.testing.assert_array_equal(np.concatenate([points[i : i + 5] for i in range(0, 12, 5)]), every)
    assert _Points([])[0:4096].shape == (1, 0)  # only outer axes: one point


def small_linear():
    eye = np.eye(2)
    return linear_ecosystem([1.0, -1.0], [eye, eye], eye, private_sizes=[6, 6], public_size=4, n=5, regime="fresh")


@pytest.mark.parametrize(
    "eco, field",
    [
        (categorical_ecosystem([[0.5, 0.3, 0.2]], [0.2, 0.3, 0.5], alpha=0.5, n=12, regime="fresh"), "probs"),
        (small_linear(), "thetas"),
    ],
    ids=["categorical", "linear"],
)
def test_chunked_replicates_equal_unchunked_bit_for_bit(monkeypatch, eco, field):
    """Replicate r runs on split(key, R)[r] whatever the chunk: 7 replicates in chunks of 4 (the last padded),
    in one batch, and the first 3 alone give the same bits."""
    whole = getattr(numerics.simulate(eco, 4, 11, replicates=7), field)
    first = getattr(numerics.simulate(eco, 4, 11, replicates=3), field)
    per_replicate = limits.simulation_bytes(eco, 4, 1, drawn_per_source=10**3)[2]
    monkeypatch.setattr(limits, "CHUNK_BYTES", 4 * per_replicate)
    assert limits.replicate_chunk(eco, 4, 7, drawn_per_source=10**3) == 4
    chunked = getattr(numerics.simulate(eco, 4, 11, replicates=7), field)
    assert np.array_equal(chunked, whole) and np.array_equal(first, whole[:3])
    assert not np.array_equal(whole[0], whole[1])  # distinct replicates: the comparison can fail


@pytest.mark.parametrize("method, eco", [("sufficient", two_model_gaussian(n=50)), ("raw", two_model_gaussian(n=50))])
def test_the_memory_estimate_bounds_what_xla_allocates(method, eco):
    """The arithmetic estimate checked before a run is at least XLA's own buffer analysis of the compiled
    simulation, and not absurdly above it (a factor 20)."""
    from interplay.numerics.gaussian.monte_carlo import drawn_per_source

    rounds, replicates = 20, limits.REPLICATE_CHUNK
    chunk, estimate, _ = limits.simulation_bytes(
        eco, rounds, replicates, drawn_per_source=drawn_per_source(eco, method)
    )
    assert chunk == replicates  # one chunk: the call XLA analyses
    compiled = simulation_memory(eco, rounds, replicates, method)
    assert compiled <= estimate <= 20 * compiled


def test_available_memory_is_read_from_the_system():
    physical = limits.os.sysconf("SC_PHYS_PAGES") * limits.os.sysconf("SC_PAGE_SIZE")
    assert 0 < limits.available_memory() <= physical


def test_refused_specs_name_their_parameter():
    with pytest.raises(SpecError, match="replicates: must be an integer >= 1"):
        numerics.simulate(Ecosystem.gaussian(means=[[0]], public_mean=[0], n=5), 2, 0, replicates=0)


# -- rough time estimates -----------------------------------------------------------------------------------------

ESTIMATED = {
    "gaussian": two_model_gaussian(n=50),
    "categorical": categorical_ecosystem([[0.5, 0.3, 0.2]], [0.2, 0.3, 0.5], alpha=0.5, n=12, regime="fresh"),
    "linear": small_linear(),
}


@settings(deadline=None, max_examples=50, derandomize=True, database=None)
@given(
    family=st.sampled_from(sorted(ESTIMATED)),
    rounds=st.integers(1, 10**7),
    replicates=st.integers(2, 10**9),
    method=st.sampled_from(["sufficient", "raw"]),
)
def test_a_simulation_estimate_doubles_with_the_replicates(family, rounds, replicates, method):
    eco = ESTIMATED[family]
    one = simulation_estimate(eco, rounds, replicates, method)
    two = simulation_estimate(eco, rounds, 2 * replicates, method)
    assert two.seconds == pytest.approx(2 * one.seconds, rel=1e-12) and one.seconds > 0
    assert one.bytes < two.bytes <= 2 * one.bytes
    path = limits.trajectory_estimate(eco, 2 * rounds + 1)
    assert path.seconds == pytest.approx(2 * limits.trajectory_estimate(eco, rounds).seconds, rel=1e-12)


class Announced(Exception):
    """Raised by the announcement: stops a sweep before any work."""


def announced_grid(axes, quantity, replicates=100):
    def stop(estimate):
        raise Announced(estimate)

    with pytest.raises(Announced) as stopped:
        numerics.sweep(two_model_gaussian(), axes, quantity, rounds=50, replicates=replicates, progress=False,
                       announce=stop)  # fmt: skip
    return stopped.value.args[0]


@pytest.mark.parametrize("quantity", ["spread", "mc_spread"])
def test_a_sweep_estimate_doubles_with_the_points_and_comes_before_any_work(no_compiling, quantity):
    one = announced_grid({"alpha": np.linspace(0, 1, 30), "beta": [0.2, 0.8]}, quantity)
    two = announced_grid({"alpha": np.linspace(0, 1, 60), "beta": [0.2, 0.8]}, quantity)
    assert two.seconds == pytest.approx(2 * one.seconds, rel=1e-12) and two.bytes == pytest.approx(2 * one.bytes)
    if quantity == "mc_spread":  # the replicates' draws dominate a Monte Carlo grid point
        more = announced_grid({"alpha": np.linspace(0, 1, 30), "beta": [0.2, 0.8]}, quantity, replicates=200)
        assert 1.9 * one.seconds < more.seconds < 2 * one.seconds


class Stopped(Exception):
    """Raised instead of the exact trajectory: the command stops once it has announced (or not) its run."""


@pytest.mark.parametrize("rounds, announced", [(10**6, True), (30, False)])
def test_a_long_run_is_announced_in_one_line_and_a_small_one_is_not(tmp_path, capsys, monkeypatch, rounds, announced):
    import interplay.numerics.verbs as families

    def stop(*args):
        raise Stopped

    monkeypatch.setattr(families, "iterate_moments", stop)
    config = tmp_path / "config.toml"
    config.write_text(two_gaussians(simulate={"rounds": rounds, "replicates": 10}))
    with pytest.raises(Stopped):
        main(["simulate", str(config), "--out", str(tmp_path / "out")])
    eco = load(config).ecosystem
    estimate = simulation_estimate(eco, rounds, 10) + limits.trajectory_estimate(eco, rounds)
    assert (estimate.seconds > limits.ANNOUNCE_SECONDS) == announced
    assert capsys.readouterr().err.splitlines() == ([f"estimated: {estimate}"] if announced else [])


@pytest.mark.parametrize(
    "value, text", [(123456, "120,000"), (7.34, "7.3"), (0.0512, "0.051"), (15.0, "15"), (0, "0"), (9.96, "10")]
)
def test_estimates_print_two_significant_figures(value, text):
    assert limits.rough(value) == text


@pytest.mark.parametrize("fits", [10**9, 7, 3])
def test_round_replicate_counts_run_without_padding(monkeypatch, fits):
    """100 and 1,000 replicates fill their chunks exactly (no replicate computed and dropped), with room for the
    default chunk, for 7 and for 3 replicates' working memory: a chunk of 64 computed 128 for 100."""
    eco = two_model_gaussian(n=50)
    per_replicate = limits.simulation_bytes(eco, 4, 1, drawn_per_source=10)[2]
    monkeypatch.setattr(limits, "CHUNK_BYTES", min(fits * per_replicate, limits.CHUNK_BYTES))
    for replicates in (100, 1000):
        chunk = limits.replicate_chunk(eco, 4, replicates, drawn_per_source=10)
        assert 2 <= chunk <= min(fits, limits.REPLICATE_CHUNK) and replicates % chunk == 0, (fits, chunk)


def test_the_estimate_counts_the_dense_tables_and_refuses_them_naming_k():
    """Off the edge path (the mixture composition) W and the sample sizes are K x K tables: 2 + T + 2 of them for a
    constant schedule, counted in the estimate the command line announces (the same spec on W's edges counts none:
    the totals differ by exactly the tables), and a budget below them alone is refused naming K."""
    from interplay.theory.graphs import complete

    K, rounds = 30, 10
    fixed = Ecosystem.gaussian(
        means=[[float(k)] for k in range(K)], public_mean=[0.0], alpha=0.5, beta=0.5, n=40, mixing=complete(K)
    )
    mixture = fixed.with_options(composition="mixture")
    options = {"drawn_per_source": 3}
    edged, dense = (limits.simulation_bytes(eco, rounds, 100, **options)[1] for eco in (fixed, mixture))
    assert dense - edged == (2 + rounds + 2) * 8 * K**2
    with pytest.raises(SpecError, match="^K: .*14 K x K float64 tables"):
        limits.replicate_chunk(mixture, rounds, 100, memory=13 * 8 * K**2, **options)
    assert limits.replicate_chunk(fixed, rounds, 2, memory=10**9, **options) >= 2
