"""The jobs behind ``interplay derive|simulate|sweep CONFIG``: each fills a :class:`~numerics.cli.report.Report`.

Every report holds ``result.json`` with the spec, the job's settings, the seed where there is one and the
package versions, next to the job's own files.
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import sympy

from interplay.numerics.cli.config import ConfigError, keys_as_written
from interplay.numerics.cli.report import versions
from interplay.numerics.driver.divergence import quiet_overflow, warn_divergence
from interplay.theory import (
    NoUniqueFixedPoint,
    SpecError,
    fixed_point,
    moment_map,
    population_map,
    spectral_radius,
    stability_condition,
    to_latex,
)
from interplay.theory.gaussian.longrun import cross_task_kl, homogenisation, limiting_fit, stationary_spread
from interplay.theory.spec import plain


def _job(run):
    """A job whose SpecErrors name the config key as written in the file (``ecosystem.alpha``, not ``alpha``)."""

    @functools.wraps(run)
    def job(config, report, progress: bool = True, **options) -> dict:
        with keys_as_written(run.__name__):
            return run(config, report, progress, **options)

    return job


def _say(progress: bool, text: str) -> None:
    if progress:
        print(text, flush=True)


def _announce(progress: bool, estimate) -> None:
    """One stderr line before a run estimated to take more than a few seconds (:mod:`numerics.driver.limits`)."""
    from interplay.numerics.driver.limits import ANNOUNCE_SECONDS

    if progress and estimate.seconds > ANNOUNCE_SECONDS:
        print(f"estimated: {estimate}", file=sys.stderr, flush=True)


def _header(config, job: str) -> dict:
    return {
        "job": job,
        "config": str(config.path),
        "spec": config.ecosystem.describe(),
        "versions": versions(),
    }


def _gaussian_longrun(eco, fmap, point) -> tuple[dict, list[str]]:
    means, covs = limiting_fit(eco)
    spread, kl = homogenisation(eco), cross_task_kl(eco)
    values = {
        "limiting_means": [plain(m) for m in means],
        "limiting_covariances": [plain(c) for c in covs],
        "homogenisation": plain(spread),
        "cross_task_kl": plain(kl),
    }
    lines = [
        f"Homogenisation ||m_k* - m_l*||^2: {spread.tolist()}",
        f"Cross-task KL(task j || model k*) [k, j]: {kl.tolist()}",
    ]
    return values, lines


def _categorical_longrun(eco, fmap, point) -> tuple[dict, list[str]]:
    """Limiting distributions, total variation between them, and KL(task j || model k*) (inf where a model
    gives zero mass to a category the task has)."""
    probs = fmap.unpack(point)["probs"]
    K, m = eco.K, eco.dim
    tv = sympy.Matrix(K, K, lambda k, l: sum(abs(probs[k, i] - probs[l, i]) for i in range(m)) / 2)
    tasks = [s.probs for s in (*eco.private, eco.public)]

    def kl(q, p):
        terms = [0 if q[i] == 0 else (sympy.oo if p[i] == 0 else q[i] * sympy.log(q[i] / p[i])) for i in range(m)]
        return sympy.nsimplify(sum(terms)) if all(t.is_number for t in map(sympy.sympify, terms)) else sum(terms)

    kl_table = sympy.Matrix(K, len(tasks), lambda k, j: kl(tasks[j], probs.row(k)))
    values = {"limiting_probs": plain(probs), "total_variation": plain(tv), "cross_task_kl": plain(kl_table)}
    lines = [f"Limiting distributions (rows: models): {probs.tolist()}", f"Total variation between them: {tv.tolist()}"]
    return values, lines


def _gaussian_spread(eco):
    return stationary_spread(eco)


def _categorical_spread(eco):
    from interplay.theory.categorical.maps import expected_squared_distance

    fmap = moment_map(eco)
    parts = fmap.unpack(fixed_point(fmap))
    return sympy.Matrix(
        eco.K, eco.K, lambda k, l: sympy.simplify(expected_squared_distance(parts["mean"], parts["cov"], k, l, eco.dim))
    )


def _linear_longrun(eco, fmap, point) -> tuple[dict, list[str]]:
    """The limit of the mean dynamics, the coverage condition, bias, error and relative efficiency."""
    from interplay.theory.linear import longrun as linear_longrun

    # with symbolic alpha or beta, rho(Q) < 1 is a condition on them; the closed forms below hold where it does
    converges = linear_longrun.converges(eco) if eco.is_numeric else stability_condition(fmap, point)
    converges = bool(converges) if converges in (sympy.true, sympy.false) else converges
    values = {
        "limiting_means": plain(fmap.unpack(point)["theta"]),
        "converges": converges if isinstance(converges, bool) else str(converges),
    }
    lines = [f"rho(Q) < 1 (the recursion converges): {converges}"]
    uncovered = linear_longrun.uncovered_directions(eco)
    values["uncovered_directions"] = [plain(v) for v in uncovered]
    lines.append(f"Directions no model's weighted real data cover: {[list(v) for v in uncovered] or 'none'}")
    if converges is not False and eco.n is not None:
        error, efficiency = linear_longrun.long_run_error(eco), linear_longrun.relative_efficiency(eco)
        values |= {
            "long_run_bias": plain(linear_longrun.long_run_bias(eco)),
            "long_run_error": plain(sympy.Matrix(error)),
            "relative_efficiency": plain(sympy.Matrix(efficiency)),
        }
        where = "" if converges is True else f" (where {converges})"
        lines += [f"Long-run E||theta_k - theta*||^2{where}: {error}", f"Relative efficiency{where}: {efficiency}"]
    return values, lines


def _linear_spread(eco):
    from interplay.theory.linear import longrun as linear_longrun

    mean, cov = linear_longrun.long_run_moments(eco)
    d = eco.dim

    def spread(k, l):
        rows_k, rows_l = slice(k * d, (k + 1) * d), slice(l * d, (l + 1) * d)
        gap = mean[rows_k, :] - mean[rows_l, :]
        return sympy.simplify(
            (gap.T @ gap)[0, 0] + (cov[rows_k, rows_k] + cov[rows_l, rows_l] - 2 * cov[rows_k, rows_l]).trace()
        )

    return sympy.Matrix(eco.K, eco.K, spread)


LONGRUN = {"gaussian": _gaussian_longrun, "categorical": _categorical_longrun, "linear-gaussian": _linear_longrun}
SPREAD = {"gaussian": _gaussian_spread, "categorical": _categorical_spread, "linear-gaussian": _linear_spread}


def _closed_form(eco) -> bool:
    """Whether sympy solves the population map's fixed point: every family but categorical at tau != 1."""
    return not (eco.family.name == "categorical" and eco.family.temperature != 1)


def _require_constant(eco) -> None:
    for key in ("alpha", "beta"):
        if isinstance(getattr(eco, key), tuple):
            raise ConfigError(
                f"ecosystem.{key}: a schedule (one value per round, rounds 1..{eco.schedule_length}) has no fixed "
                "point and no long run: derive needs a constant alpha and beta (simulate follows a schedule)"
            )


def _no_unique_fixed_point(reason: NoUniqueFixedPoint, result: dict, text: list) -> None:
    """Records why the population map has no unique fixed point: derive answers with the reason, it does not fail."""
    result["population"] = {"fixed_point": None, "reason": str(reason)}
    text.append(f"Population map: no unique fixed point ({reason}).")


def _closed_population(eco, result: dict, text: list, latex: list) -> None:
    """The population map's fixed point, multipliers and stability condition in closed form (sympy)."""
    fmap = population_map(eco)
    try:
        point = fixed_point(fmap)
    except NoUniqueFixedPoint as reason:
        _no_unique_fixed_point(reason, result, text)
        return
    condition = stability_condition(fmap, point)
    radius = spectral_radius(fmap, point)
    values, lines = LONGRUN[eco.family.name](eco, fmap, point)
    result["population"] = {
        "closed_form": True,
        "fixed_point": {str(k): plain(v) for k, v in point.items()},
        "spectral_radius": plain(radius),
        "stability_condition": str(condition),
    } | values
    text.append("Population map fixed point:")
    text += [f"  {k} = {v}" for k, v in point.items()]
    text += [f"Spectral radius: {radius}", f"Stability condition: {condition}"] + lines
    latex += [
        r"\text{fixed point: } \begin{aligned}" + to_latex(point) + r"\end{aligned}",
        r"\rho = " + sympy.latex(radius),
        r"\text{stable iff } " + to_latex(condition),
    ]


def _numerical_population(eco, result: dict, text: list, latex: list) -> None:
    """Categorical fixed points at tau != 1, where no closed form exists: found numerically, each with its
    multipliers; the limiting distributions are those of the point the process's round-0 fit iterates to."""
    from interplay.numerics.categorical.fixed_points import categorical_fixed_points

    tau = float(eco.family.temperature)
    try:
        points = categorical_fixed_points(eco)
    except NoUniqueFixedPoint as reason:
        _no_unique_fixed_point(reason, result, text)
        return
    note = (
        f"no closed form at temperature tau = {tau:g}: sympy cannot solve F(p) = p with p^(1/tau); these fixed "
        "points were found numerically (numerics.categorical.fixed_points: the compiled map iterated from several "
        "starts, polished by Newton's method) and their multipliers are eigenvalues of its jax Jacobian"
    )
    result["population"] = {
        "closed_form": False,
        "note": note,
        "fixed_points": [
            {
                "probs": p.probs.tolist(),
                "multipliers_real": p.multipliers.real.tolist(),
                "multipliers_imag": p.multipliers.imag.tolist(),
                "spectral_radius": p.spectral_radius,
                "stable": p.spectral_radius < 1,
                "reached_from_round_0": p.reached,
            }
            for p in points
        ],
    }
    text.append(f"Population map: {note}.")
    latex.append(r"\text{population map: no closed form at } \tau = " + sympy.latex(eco.family.temperature))
    for p in points:
        kind = "stable" if p.spectral_radius < 1 else "unstable"
        reached = ", reached from the round-0 fit" if p.reached else ""
        text.append(f"  fixed point {p.probs.tolist()}: spectral radius {p.spectral_radius:.6g} ({kind}{reached})")
    reached = [p for p in points if p.reached]
    if reached:
        probs = reached[0].probs
        tv = 0.5 * np.abs(probs[:, None, :] - probs[None, :, :]).sum(-1)
        result["population"] |= {
            "limiting_probs": probs.tolist(),
            "total_variation": tv.tolist(),
            "spectral_radius": reached[0].spectral_radius,
            "stability_condition": str(reached[0].spectral_radius < 1),
        }
        text.append(f"Total variation between the limiting distributions: {tv.tolist()}")
    else:
        text.append("  the round-0 fit iterates to none of them (no convergence within the iterations)")


@_job
def derive(config, report, progress: bool = True) -> dict:
    """Population fixed point, its multipliers and stability condition, long-run closed forms (numerical fixed
    points where no closed form exists); with a finite n (and a closed moment recursion) also the stationary
    E||theta_k - theta_l||^2 of the exact recursion."""
    eco = config.ecosystem
    _require_constant(eco)
    if not _closed_form(eco):
        config.require_numbers("derive at a temperature other than 1", "no closed form: fixed points are numerical")
    family = eco.family.name
    result = _header(config, "derive")
    text, latex = [], []
    _say(progress, "[1/2] population map: fixed point, multipliers, stability ...")
    (_closed_population if _closed_form(eco) else _numerical_population)(eco, result, text, latex)
    if eco.n is not None:
        _say(progress, "[2/2] exact moment recursion at finite n: fixed point ...")
        try:
            spread = SPREAD[family](eco)
            result["moments"] = {"stationary_spread": plain(spread)}
            text.append(f"Stationary E||theta_k - theta_l||^2 at n = {eco.n}: {spread.tolist()}")
            latex.append(r"E\|\theta_k - \theta_l\|^2_{\infty} = " + sympy.latex(spread))
        except (NoUniqueFixedPoint, SpecError) as reason:
            result["moments"] = {"stationary_spread": None, "reason": str(reason)}
            text.append(f"Exact moment recursion: no stationary spread ({reason}).")
    with report:
        report.write_text("derivation.txt", "\n".join(text) + "\n")
        report.write_text("derivation.tex", "\n\n".join(latex) + "\n")
        report.write_json("result.json", result)
    return result


@_job
@quiet_overflow()
def simulate(config, report, progress: bool = True) -> dict:
    """Exact trajectories (the moment recursion; the population map where it does not close) and the Monte
    Carlo of the sampling process, compared round by round."""
    from interplay.numerics.categorical.figures import categorical_theory_vs_monte_carlo
    from interplay.numerics.driver.limits import require_standard_errors, trajectory_bytes, trajectory_estimate
    from interplay.numerics.gaussian.figures import theory_vs_monte_carlo
    from interplay.numerics.linear.figures import linear_theory_vs_monte_carlo
    from interplay.numerics.verbs import (
        iterate_moments,
        iterate_population,
        require_simulation_fits,
        simulation_estimate,
    )
    from interplay.numerics.verbs import simulate as monte_carlo

    config.require_numbers("simulate")
    eco, settings = config.ecosystem, config.jobs["simulate"]
    rounds, replicates, seed = settings["rounds"], settings["replicates"], settings["seed"]
    require_standard_errors(replicates)
    require_simulation_fits(eco, rounds, replicates, extra=trajectory_bytes(eco, rounds))
    _announce(progress, simulation_estimate(eco, rounds, replicates) + trajectory_estimate(eco, rounds))
    _say(progress, f"[1/2] exact trajectories, {rounds} rounds ...")
    if eco.family.name == "linear-gaussian":
        exact = iterate_moments(eco, rounds)
        _say(progress, f"[2/2] Monte Carlo, {replicates} replicates, seed {seed} ...")
        mc = monte_carlo(eco, rounds, seed, replicates)
        draws, figure = mc.thetas, linear_theory_vs_monte_carlo(exact, mc, f"{config.path.name}: seed {seed}")
        arrays = {"exact_mean": exact.mean, "exact_cov": exact.cov, "monte_carlo_thetas": mc.thetas}
    elif eco.family.name == "categorical":
        closed = eco.family.temperature == 1
        exact = (iterate_moments if closed else iterate_population)(eco, rounds)
        _say(progress, f"[2/2] Monte Carlo, {replicates} replicates, seed {seed} ...")
        mc = monte_carlo(eco, rounds, seed, replicates)
        draws, figure = mc.probs, categorical_theory_vs_monte_carlo(exact, mc, title=f"{config.path.name}: seed {seed}")
        arrays = {"exact_mean": exact.mean, "exact_cov": exact.cov, "monte_carlo_probs": mc.probs}
    else:
        exact = iterate_moments(eco, rounds)
        _say(progress, f"[2/2] Monte Carlo, {replicates} replicates, seed {seed} ...")
        mc = monte_carlo(eco, rounds, seed, replicates)
        draws, figure = mc.means, theory_vs_monte_carlo(exact, mc, f"{config.path.name}: seed {seed}")
        arrays = {
            "exact_mean": exact.mean,
            "exact_fitted_cov": exact.fitted_cov,
            "exact_mean_cov": exact.mean_cov,
            "monte_carlo_means": mc.means,
            "monte_carlo_covs": mc.covs,
        }
    mean = draws.mean(0)
    se = draws.std(0, ddof=1) / np.sqrt(replicates)
    result = _header(config, "simulate") | {"settings": settings, "seed": seed, "key": list(mc.key)}
    result["exact_kind"] = getattr(exact, "kind", "moments")
    z = np.abs(mean - exact.mean) / np.where(se > 0, se, np.inf)
    result["final_round"] = {
        "exact_mean": exact.mean[-1].tolist(),
        "monte_carlo_mean": mean[-1].tolist(),
        "monte_carlo_standard_error": se[-1].tolist(),
        "max_abs_z_over_rounds": float(np.max(z[np.isfinite(z)])) if np.isfinite(z).any() else None,
    }
    result["divergence"] = {
        "exact": None if exact.divergence is None else str(exact.divergence),
        "monte_carlo": None if mc.divergence is None else str(mc.divergence),
    }
    warn_divergence(result["divergence"])
    with report:
        np.savez(report.path("trajectories.npz"), **arrays)
        report.save_figure("trajectories.png", figure)
        report.write_json("result.json", result)
    return result


def _scalar_view(grid, quantity: str):
    """A per-point scalar for the figure: models 1-2 for pairwise quantities, model 1 task 1 for tables."""
    value = grid[quantity]
    extra = value.ndim - len(grid.axes)
    if quantity in ("spread", "mc_spread") and extra == 2:
        return value[..., 0, 1], f"{quantity} between models 1 and 2"
    return value[(...,) + (0,) * extra], quantity + (" [first entry]" if extra else "")


def _stability_boundary(eco, axes: list[str]):
    """The population map's stability condition with the swept fractions symbolic, when it is a relation."""
    if not set(axes) <= {"alpha", "beta"} or not _closed_form(eco):
        return None
    symbols = {name: sympy.Symbol(name, nonnegative=True) for name in axes}
    try:
        condition = stability_condition(population_map(eco.with_options(n=None, **symbols)))
    except NoUniqueFixedPoint:
        return None
    return condition if isinstance(condition, sympy.Rel | sympy.And) else None


@_job
@quiet_overflow()
def sweep(config, report, progress: bool = True, checkpoint=None) -> dict:
    """A sweep over the [sweep] axes; a phase diagram when there are two axes. With a ``checkpoint`` folder
    each finished chunk is saved there and a rerun resumes (:func:`numerics.sweeps.sweep`)."""
    from interplay.numerics.plots import phase_diagram
    from interplay.numerics.sweeps import sweep as run_sweep

    config.require_numbers("sweep")
    eco, settings = config.ecosystem, config.jobs["sweep"]
    if not settings["axes"]:
        raise ConfigError("sweep.axes: missing (name = [values] or {start, stop, num})")
    _say(progress, f"sweeping {', '.join(settings['axes'])} ...")
    grid = run_sweep(
        eco,
        settings["axes"],
        settings["quantities"],
        rounds=settings["rounds"],
        population=settings["population"],
        chunk_size=settings["chunk_size"],
        replicates=settings["replicates"],
        seed=settings["seed"],
        checkpoint=checkpoint,
        progress=progress,
        announce=functools.partial(_announce, progress),
    )
    result = _header(config, "sweep") | {
        "settings": {k: v for k, v in settings.items() if k != "axes"},
        "axes": {name: values.tolist() for name, values in grid.axes},
        "values": {q: v.tolist() for q, v in grid.values.items()},
        "divergence": grid.divergence,
    }
    warn_divergence({"sweep": grid.divergence})
    with report:
        grid.save(report.path("grid.npz"))
        if len(grid.axes) == 2:
            view, label = _scalar_view(grid, settings["quantities"][0])
            boundary = _stability_boundary(eco, [name for name, _ in grid.axes])
            result["stability_boundary"] = None if boundary is None else str(boundary)
            figure = phase_diagram(
                grid, settings["quantities"][0], select=lambda _: view, boundary=boundary, label=label
            )
            report.save_figure("phase_diagram.png", figure)
        report.write_json("result.json", result)
    return result
