"""Divergence is reported, never written silently: trajectories and Monte Carlo results name their first
non-finite round, sweeps mark the diverged points and say why, result.json is strict JSON (null), and
fixed_point_sensitivity refuses a unit multiplier and out-of-range values."""

import json

import numpy as np
import pytest
import sympy
from toml_configs import two_gaussians

import interplay.numerics as numerics
from interplay.numerics.categorical.monte_carlo import CategoricalMonteCarlo
from interplay.numerics.cli.main import main
from interplay.numerics.cli.report import Report
from interplay.numerics.linear.monte_carlo import LinearMonteCarlo
from interplay.numerics.sensitivity import fixed_point_sensitivity
from interplay.theory import Ecosystem, SpecError, moment_map, population_map

SCALE = 664  # log2 of the covariances' scale: an exact power of two, so the recursion scales exactly


def unanchored(scale_log2: int) -> Ecosystem:
    """alpha = 1 (no real data), n = 2, unbiased: E[S] grows by about 1.37 per round. Covariances times 2^s and
    means times 2^(s/2) multiply every second moment by exactly 2^s (powers of two round exactly)."""
    c, r = 2.0**scale_log2, 2.0 ** (scale_log2 // 2)
    return Ecosystem.gaussian(
        means=[[-r], [r]],
        public_mean=[0],
        covs=[[[c]], [[c]]],
        public_cov=[[2 * c]],
        alpha=1,
        beta=0.5,
        n=2,
        estimator="unbiased",
    )


def test_exact_trajectory_reports_the_first_overflow_round():
    """The reported round is where float64 first fails, cross-checked against the unscaled run: the scaled
    run's values are the unscaled ones times 2^664 until an entry passes 1.8e308. Internal raw second moments
    (S + m m^T) can exceed the reported quantities by a small factor, so overflow may come a few rounds (at
    1.37x per round, 3 rounds = 2.6x) before the first reported quantity times 2^664 passes the largest float."""
    rounds = 1000
    scaled = numerics.iterate_moments(unanchored(SCALE), rounds)
    plain = numerics.iterate_moments(unanchored(0), rounds)
    assert plain.divergence is None
    diverged = scaled.divergence
    assert diverged is not None and diverged.quantity in ("mean", "fitted_cov", "mean_cov")
    t = diverged.round
    largest = np.maximum(np.abs(plain.fitted_cov).reshape(rounds + 1, -1).max(1), 0)
    largest = np.maximum(largest, np.abs(plain.mean_cov).reshape(rounds + 1, -1).max(1))
    with np.errstate(over="ignore"):
        predicted = int(np.argmax(largest * 2.0**SCALE > np.finfo(float).max))
    assert predicted - 3 <= t <= predicted
    for name in ("mean", "fitted_cov", "mean_cov"):
        assert np.all(np.isfinite(getattr(scaled, name)[:t]))
    assert not np.all(np.isfinite(getattr(scaled, diverged.quantity)[t]))
    np.testing.assert_allclose(scaled.fitted_cov[:t], plain.fitted_cov[:t] * 2.0**SCALE, rtol=1e-12)
    assert f"round {t}" in str(diverged)


def test_monte_carlo_results_name_the_first_non_finite_round_and_the_replicates():
    """Every Monte Carlo result: the earliest round at which any replicate is non-finite, and how many."""
    eco = unanchored(0)
    means = np.zeros((5, 11, 2, 1))
    means[3, 7:] = np.inf  # replicate 3 overflows at round 7
    means[1, 9:] = np.nan
    mc = numerics.MonteCarlo(eco, 0, (0, 0), "sufficient", means, np.zeros((5, 11, 2, 1, 1)))
    assert (mc.divergence.quantity, mc.divergence.round, mc.divergence.replicates) == ("means", 7, 2)
    thetas = np.ones((4, 6, 2, 3))
    thetas[0, 5, 1, 2] = -np.inf
    assert LinearMonteCarlo(eco, 0, (0, 0), "sufficient", thetas).divergence.round == 5
    final_only = np.full((3, 1, 2, 4), 0.25)
    final_only[2, 0, 0, 0] = np.nan  # kept round T = 40 alone
    categorical = CategoricalMonteCarlo(eco, 0, (0, 0), "sufficient", 40, final_only)
    assert categorical.divergence.round == 40
    assert (
        numerics.MonteCarlo(eco, 0, (0, 0), "raw", np.zeros((2, 3, 2, 1)), np.ones((2, 3, 2, 1, 1))).divergence is None
    )


def test_a_sweep_marks_the_diverged_points_and_says_why():
    grid = numerics.sweep(unanchored(SCALE), {"alpha": [0.5, 1.0]}, ["spread"], rounds=900, progress=False)
    np.testing.assert_array_equal(grid.diverged, [False, True])
    assert np.all(np.isfinite(grid["spread"][0]))
    assert "1 of 2 grid points" in grid.divergence and "alpha = 1" in grid.divergence
    assert "a multiplier is 1" in grid.divergence


def test_a_linear_sweep_names_the_points_without_a_limit():
    from interplay.theory.linear.maps import linear_ecosystem

    eye = np.eye(2)
    eco = linear_ecosystem(
        [1.0, 1.0], [eye, eye], eye, private_sizes=[20, 20], public_size=10, alpha=0.5, beta=0.5, n=20
    )
    grid = numerics.sweep(eco, {"alpha": [0.5, 1.0]}, ["spread", "spectral_radius"], progress=False)
    np.testing.assert_array_equal(grid.diverged, [False, True])
    assert grid["spectral_radius"][1] >= 1 - 1e-12
    assert "no limit where rho(Q) >= 1" in grid.divergence


def _refuse_constant(text):
    raise AssertionError(f"non-standard JSON constant {text}")


def test_result_json_is_strict_json_with_null_for_non_finite(tmp_path):
    with Report(tmp_path / "report") as report:
        report.write_json("result.json", {"a": float("nan"), "b": [np.inf, 1.5], "c": np.float64(-np.inf), "d": 2})
    data = json.loads((tmp_path / "report" / "result.json").read_text(), parse_constant=_refuse_constant)
    assert data == {"a": None, "b": [None, 1.5], "c": None, "d": 2}


def diverging_sweep_config(c, r):
    """Private N(-r, c), N(r, c), public N(0, 2c), n = 2, unbiased: alpha = 1 overflows within 900 rounds."""
    return two_gaussians(
        ecosystem={"n": 2, "estimator": "unbiased"},
        public={"cov": [[2 * c]]},
        private=[{"mean": [-r], "cov": [[c]]}, {"mean": [r], "cov": [[c]]}],
        sweep={"rounds": 900, "quantities": ["spread"], "axes": {"alpha": [0.5, 1.0]}},
    )


def test_the_sweep_command_warns_in_one_line_and_writes_null(tmp_path, capsys):
    c, r = 2.0**SCALE, 2.0 ** (SCALE // 2)
    config = tmp_path / "diverging.toml"
    config.write_text(diverging_sweep_config(c, r))
    assert main(["sweep", str(config), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(warnings) == 1 and warnings[0].startswith("interplay: warning: sweep: ")
    assert "alpha = 1" in warnings[0]
    result = json.loads((tmp_path / "out" / "result.json").read_text(), parse_constant=_refuse_constant)
    assert result["values"]["spread"][1] == [[None, None], [None, None]]
    assert all(np.isfinite(x) for row in result["values"]["spread"][0] for x in row)
    assert "1 of 2 grid points" in result["divergence"]


alpha, beta, mu = sympy.symbols("alpha beta mu_1", real=True)


def test_fixed_point_sensitivity_refuses_a_unit_multiplier_and_out_of_range_values():
    fmap = population_map(
        Ecosystem.gaussian(means=[[mu], [1]], public_mean=[0], covs=[[[1]], [[2]]], alpha=alpha, beta=beta)
    )
    with pytest.raises(SpecError, match=r"alpha: .*multiplier of the map is 1.*singular"):
        fixed_point_sensitivity(fmap, {"alpha": 1.0, "beta": 0.3, "mu_1": -1.0})
    with pytest.raises(SpecError, match=r"alpha: must lie in \[0, 1\], got 1.5"):
        fixed_point_sensitivity(fmap, {"alpha": 1.5, "beta": 0.3, "mu_1": -1.0})
    with pytest.raises(SpecError, match=r"beta: must lie in \[0, 1\], got -0.1"):
        fixed_point_sensitivity(fmap, {"alpha": 0.5, "beta": -0.1, "mu_1": -1.0})
    finite_n = moment_map(
        Ecosystem.gaussian(means=[[0.0]], public_mean=[0], alpha=alpha, beta=0.5, mixing=[[1]], n=10, regime="fresh")
    )
    with pytest.raises(SpecError, match=r"alpha: .*multiplier of the map is 1"):
        fixed_point_sensitivity(finite_n, {"alpha": 1.0})


HUGE_MEAN_CONFIG = two_gaussians(public={"mean": [1e308]}, simulate={"rounds": 2, "replicates": 4})


def test_a_mean_of_1e308_is_reported_as_divergence_not_written_as_infinity(tmp_path, capsys):
    """A valid spec whose second moments overflow: the run finishes (exit 0), one warning line names what
    diverged, and result.json holds null, never Infinity or NaN."""
    config = tmp_path / "huge.toml"
    config.write_text(HUGE_MEAN_CONFIG)
    assert main(["simulate", str(config), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("interplay: warning: exact: ")
    text = (tmp_path / "out" / "result.json").read_text()
    result = json.loads(text, parse_constant=_refuse_constant)
    assert "Infinity" not in text and "NaN" not in text and "null" in text
    assert result["divergence"]["exact"] is not None
