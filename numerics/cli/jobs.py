"""The jobs behind ``interplay derive|simulate|sweep CONFIG``: each fills a :class:`~numerics.cli.report.Report`.

Every report holds ``result.json`` with the spec, the job's settings, the seed where there is one and the
package versions, next to the job's own files; simulate and sweep also write their arrays labelled, as netCDF
(``result.nc``: the grid, or the groups ``exact`` and ``monte_carlo``; :mod:`numerics.labelled`).
"""

from __future__ import annotations

import functools
import sys

import numpy as np
import sympy

from interplay.numerics import registry as numerics_registry
from interplay.numerics.cli import answers
from interplay.numerics.cli.config import ConfigError, keys_as_written
from interplay.numerics.driver.divergence import quiet_overflow, warn_divergence
from interplay.numerics.family import require_hooks
from interplay.numerics.provenance import versions
from interplay.theory import (
    NoUniqueFixedPoint,
    SpecError,
    long_run,
    population_map,
    stability_condition,
    trains_on_graph,
)


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


def _closed_form(eco) -> bool:
    """Whether sympy solves the population map's fixed point (the numerics family's ``closed_form``)."""
    return numerics_registry.family(eco).closed_form(eco)


def _require_constant(eco) -> None:
    if eco.is_constant:  # one value, or one per model, in every round
        return
    for key in ("alpha", "beta"):
        if isinstance(getattr(eco, key), tuple):
            raise ConfigError(
                f"ecosystem.{key}: a schedule (one value per round, rounds 1..{eco.schedule_length}) has no fixed "
                "point and no long run: derive needs a constant alpha and beta (simulate follows a schedule)"
            )


def _no_unique_fixed_point(reason: NoUniqueFixedPoint, result: dict, text: list) -> None:
    """Records why the population map has no unique fixed point: derive answers with the reason, it does not fail."""
    result["population"] = {"closed_form": None, "reason": str(reason)}
    text.append(f"Population map: no unique fixed point ({reason}).")


NUMERICAL_RADIUS = (
    "a float: the largest |eigenvalue| is a root of a factor of degree > 2 of the characteristic polynomial, or of "
    "a matrix with irrational entries"
)


def _closed_population(eco, result: dict, text: list, latex: list):
    """The named quantities at the population map's fixed point in closed form (sympy,
    :func:`~theory.longrun.long_run`), its spectral radius and stability condition among them. The spectral
    radius is exact where its eigenvalue is (:func:`~theory.analysis.eigenvalues`), else a float, and then the
    report says so (``spectral_radius_exact`` false, and a note in the text)."""
    try:
        answer = long_run(eco)
    except NoUniqueFixedPoint as reason:
        _no_unique_fixed_point(reason, result, text)
        return None
    radius = answer["spectral_radius"]
    exact = not radius.atoms(sympy.Float)
    result["population"] = {"closed_form": True, "spectral_radius_exact": exact} | answers.json_entries(answer)
    numerical = "" if exact else f" ({NUMERICAL_RADIUS})"
    text += ["Population map, at its fixed point (n infinite):", *answers.text_lines(answer)]
    text += [f"Spectral radius: {radius}{numerical}", f"Stability condition: {answer['stability_condition']}"]
    latex += [r"\text{population map, at its fixed point:}", *answers.latex_lines(answer)]
    return answer


def _stationary_moments(eco, result: dict, text: list, latex: list):
    """The named quantities of the stationary law of the exact moment recursion at finite n (None if none)."""
    try:
        answer = long_run(eco, of="moments")
    except (NoUniqueFixedPoint, SpecError) as reason:
        result["moments"] = {"reason": str(reason)}
        text.append(f"Exact moment recursion: no stationary law ({reason}).")
        return None
    result["moments"] = answers.json_entries(answer)
    text += [f"Exact moment recursion at n = {eco.n}, its stationary law:", *answers.text_lines(answer)]
    latex += [rf"\text{{stationary law of the exact recursion, }} n = {eco.n}:", *answers.latex_lines(answer)]
    return answer


def _numerical_population(eco, result: dict, text: list, latex: list) -> None:
    """The population map's fixed points found numerically where no closed form exists (the numerics family's
    ``numerical_population``)."""
    try:
        population, lines, formulas = numerics_registry.family(eco).numerical_population(eco)
    except NoUniqueFixedPoint as reason:
        _no_unique_fixed_point(reason, result, text)
        return
    result["population"] = population
    text += lines
    latex += formulas


def _trains_on_graph(eco, result: dict, text: list) -> None:
    """Who trains on whom (:func:`theory.graphs.trains_on_graph`): the closed classes of W, whether they receive
    real data, their radii and what follows for collapse."""
    graph = trains_on_graph(eco)
    result["trains_on_graph"] = graph.describe()
    text += ["Trains-on graph (W as a Markov chain):"] + [f"  {line}" for line in graph.summary()]


@_job
def derive(config, report, progress: bool = True) -> dict:
    """The named long-run quantities (:func:`theory.long_run`) at the population map's fixed point, its spectral
    radius and stability condition among them (numerical fixed points where no closed form exists); with a
    finite n (and a closed moment recursion) also those of the exact recursion's stationary law; and the
    trains-on graph of W (closed classes, real data). The named answers are also written labelled, as netCDF
    (result.nc, groups ``population`` and ``moments``)."""
    eco = config.ecosystem
    _require_constant(eco)
    if not _closed_form(eco):
        config.require_numbers("derive at a temperature other than 1", "no closed form: fixed points are numerical")
    result = _header(config, "derive")
    text, latex = [], []
    _say(progress, "[1/2] population map: fixed point, multipliers, stability ...")
    named = {}
    if _closed_form(eco):
        named["population"] = _closed_population(eco, result, text, latex)
    else:
        _numerical_population(eco, result, text, latex)
    if eco.n is not None:
        _say(progress, "[2/2] exact moment recursion at finite n: fixed point ...")
        named["moments"] = _stationary_moments(eco, result, text, latex)
    _trains_on_graph(eco, result, text)
    named = {kind: answer for kind, answer in named.items() if answer is not None}
    with report:
        if named:  # the named answers labelled (numerics.labelled.answer_dataset), one group each
            provenance = {key: result[key] for key in ("job", "config", "spec", "versions")}
            report.write_netcdf("result.nc", named, **provenance)
        report.write_text("derivation.txt", "\n".join(text) + "\n")
        report.write_text("derivation.tex", "\n\n".join(latex) + "\n")
        report.write_json("result.json", result)
    return result


@_job
@quiet_overflow()
def simulate(config, report, progress: bool = True) -> dict:
    """Exact trajectories (the moment recursion; the population map where it does not close) and the Monte
    Carlo of the sampling process, compared round by round."""
    from interplay.numerics.driver.limits import require_standard_errors, trajectory_bytes, trajectory_estimate
    from interplay.numerics.driver.progress import progress_bars
    from interplay.numerics.figure_style import parameter_title
    from interplay.numerics.verbs import (
        iterate_moments,
        iterate_population,
        require_simulation_fits,
        simulation_estimate,
    )
    from interplay.numerics.verbs import simulate as monte_carlo

    config.require_numbers("simulate")
    eco, settings = config.ecosystem, config.jobs["simulate"]
    family = numerics_registry.family(eco)
    require_hooks(family, "simulate", "trajectory_arrays", "trajectory_figure")  # refused before any work
    rounds, replicates, seed = settings["rounds"], settings["replicates"], settings["seed"]
    require_standard_errors(replicates)
    require_simulation_fits(eco, rounds, replicates, extra=trajectory_bytes(eco, rounds))
    _announce(progress, simulation_estimate(eco, rounds, replicates) + trajectory_estimate(eco, rounds))
    _say(progress, f"[1/2] exact trajectories, {rounds} rounds ...")
    exact = (iterate_moments if family.moments_close(eco) else iterate_population)(eco, rounds)
    _say(progress, f"[2/2] Monte Carlo, {replicates} replicates, seed {seed} ...")
    with progress_bars(progress):
        mc = monte_carlo(eco, rounds, seed, replicates)
    draws, arrays = family.trajectory_arrays(exact, mc)
    figure = family.trajectory_figure(exact, mc, parameter_title(eco, seed=seed, replicates=replicates))
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
    measured = {"exact_homogenisation": exact.homogenisation(), "monte_carlo_homogenisation": mc.homogenisation()}
    result["homogenisation"] = _final_homogenisation(*measured.values())
    provenance = {key: result[key] for key in ("job", "config", "spec", "settings", "seed", "versions")}
    with report:
        np.savez(report.path("trajectories.npz"), **arrays)
        report.write_netcdf("result.nc", {"exact": exact, "monte_carlo": mc} | measured, **provenance)
        report.save_figure("trajectories", figure)
        report.write_json("result.json", result)
    return result


def _final_homogenisation(exact, simulated) -> dict:
    """The scalar homogenisation measures (:mod:`numerics.homogenisation_measures`) at the final round: the exact value
    where the exact trajectory has it, and the replicates' mean, standard error and median; a measure that is
    infinite in some replicates (KL where a model lost what another holds) gives their number, its mean null."""
    final = {}
    for name, values in simulated.data_vars.items():
        if values.dims != ("replicate", "round"):
            continue
        last = values.values[:, -1]
        infinite = int(np.isinf(last).sum())
        entry = {
            "monte_carlo_mean": float(last.mean()),
            "monte_carlo_standard_error": float(last.std(ddof=1) / np.sqrt(last.size)) if not infinite else None,
            "monte_carlo_median": float(np.median(last)),
        }
        if infinite:
            entry["infinite_replicates"] = infinite
        if name in exact:
            entry["exact"] = float(exact[name].values[-1])
        final[name] = entry
    return final


def _scalar_view(grid, quantity: str):
    """A per-point scalar for the figure and its label: models 1-2 for pairwise quantities, model 1 (task 1)
    for per-model ones (:func:`numerics.figure_style.quantity_label`)."""
    from interplay.numerics.figure_style import quantity_label

    value = grid[quantity]
    extra = value.ndim - len(grid.axes)
    if quantity in ("spread", "mc_spread") and extra == 2:
        return value[..., 0, 1], quantity_label(quantity)
    return value[(...,) + (0,) * extra], quantity_label(quantity, "first entry" if extra > 1 else "")


def _exact_counterpart(grid, quantity: str):
    """The exact limit drawn as contour lines: the quantity itself, or for ``mc_q`` the exact ``q`` when swept."""
    exact = quantity[3:] if quantity.startswith("mc_") else quantity
    return _scalar_view(grid, exact)[0] if exact in grid.values else None


def _after(eco, settings) -> dict:
    """What the sweep's values are: the limit (a family whose exact quantities are limits), else after T rounds."""
    if numerics_registry.family(eco).exact_limits is not None:
        return {"note": "long-run limits"}
    return {"rounds": settings["rounds"]}


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
    from interplay.numerics.figure_style import parameter_title
    from interplay.numerics.plots import phase_diagram
    from interplay.numerics.sweeps import require_sweeps
    from interplay.numerics.sweeps import sweep as run_sweep

    eco, settings = config.ecosystem, config.jobs["sweep"]
    require_sweeps(eco)  # a family without sweeps is refused naming family, before anything else
    config.require_numbers("sweep")
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
        mixing=settings.get("mixing"),
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
        report.write_netcdf("result.nc", grid, job="sweep", config=result["config"])
        if len(grid.axes) == 2:
            quantity = settings["quantities"][0]
            view, label = _scalar_view(grid, quantity)
            names = [name for name, _ in grid.axes]
            boundary = _stability_boundary(eco, names)
            result["stability_boundary"] = None if boundary is None else str(boundary)
            figure = phase_diagram(
                grid,
                quantity,
                select=lambda _: view,
                boundary=boundary,
                label=label,
                contours=_exact_counterpart(grid, quantity),
                **settings["colour"],
                title=parameter_title(eco, skip=names, **_after(eco, settings)),
            )
            report.save_figure("phase_diagram", figure)
        report.write_json("result.json", result)
    return result
