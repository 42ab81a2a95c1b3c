"""``interplay reproduce``: the paper's two-model setting, derived, iterated, simulated and drawn in one report.

Vu, Reeves & Wenger (arXiv 2505.21677) with its linear-Gaussian surrogate: two models whose private data cover
different tasks (model 1: coordinates 1-2, model 2: coordinates 3-4 of theta* in R^4), a small public sample, and
each round a fraction alpha of synthetic data from both models. The report folder holds ``index.md`` (the page:
closed forms, figures, tables, findings), ``result.json`` (every number, the specs, the seed and the package
versions), ``result.nc`` (the two-task experiment and the (alpha, beta) plane labelled, as netCDF groups
``two_task`` and ``plane``: :mod:`numerics.labelled`), ``derivation.tex`` and the figures. The same seed gives
byte-identical ``result.json``.
"""

from __future__ import annotations

import numpy as np
import sympy

from interplay.numerics.cli.report import Report
from interplay.numerics.driver.divergence import finite_or_null, first_divergence, quiet_overflow, warn_divergence
from interplay.numerics.driver.limits import require_standard_errors
from interplay.numerics.driver.progress import bar, progress_bars
from interplay.numerics.figure_style import parameter_title
from interplay.numerics.linear.longrun import long_run_grid
from interplay.numerics.linear.paper import (
    low_rank_ecosystem,
    optimum_table,
    plot_relative_efficiency,
    plot_two_task,
    relative_efficiency_plane,
    task_grams,
    two_task_ecosystem,
    two_task_experiment,
)
from interplay.numerics.plots import phase_diagram
from interplay.numerics.provenance import versions
from interplay.numerics.sweeps import Grid
from interplay.theory import fixed_point, population_map, stability_condition, to_latex
from interplay.theory.linear.longrun import proportional_error, proportional_spread
from interplay.theory.spec import plain

SETTINGS = (0.0, 0.5, 1.0)
# the two-task experiment's arrays beyond its (alpha, beta) settings: error[..., t, k, j] is model k on task j
EXPERIMENT_DIMS = {
    "error": ("round", "model", "task"),
    "mc_error": ("round", "model", "task"),
    "mc_se": ("round", "model", "task"),
    "spread": ("round",),
}


STEPS = (
    "closed forms (sympy): fixed point, stability, unbiasedness, proportional case",
    "two-task experiment: exact recursion and Monte Carlo",
    "long-run errors over the (alpha, beta) grid",
    "relative efficiency, K = 4 low rank, and where its optimum lies",
    "figures, page and numbers",
)


def closed_forms() -> dict:
    """The two-task map with alpha, beta symbolic: fixed point, stability condition; the proportional case."""
    alpha, beta = sympy.symbols("alpha beta", nonnegative=True)
    fmap = population_map(two_task_ecosystem(alpha, beta))
    point = fixed_point(fmap)
    condition = stability_condition(fmap, point)
    names = [
        sympy.Symbol(name, positive=True) for name in ("K", r"\tilde{n}", "n_*", "m", r"\sigma^2", r"\mathrm{tr}S^{-1}")
    ]
    t = sympy.Symbol("t", integer=True, positive=True)
    error = sympy.simplify(proportional_error(alpha, beta, *names, t))
    spread = sympy.simplify(proportional_spread(alpha, beta, names[1], names[4], names[5], t))
    return {
        "fixed_point": point,
        "unbiased": all(sympy.simplify(v - 1) == 0 for v in point.values()),
        "stability": condition,
        "proportional_error": error,
        "proportional_spread": spread,
    }


def two_task_plane(alphas, betas) -> dict[str, np.ndarray]:
    """Long-run (exact limit law) errors of model 1 on its own task and on model 2's, and the spread."""
    eco = two_task_ecosystem(0.5, 0.5)
    radius, laws = long_run_grid(eco, alphas, betas)
    own, cross, spread = (np.full(radius.shape, np.nan) for _ in range(3))
    tasks = task_grams()
    for i in range(len(alphas)):
        for j in range(len(betas)):
            law = laws[i][j]
            if law is not None:
                own[i, j] = law.task_error(tasks[0])[0]
                cross[i, j] = law.task_error(tasks[1])[0]
                spread[i, j] = law.squared_distance(0, 1)
    return {"radius": radius, "own": own, "cross": cross, "spread": spread}


def _table(rows: list[list], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(x) for x in row) + " |" for row in rows]
    return "\n".join(lines)


def reproduce(
    folder, *, seed: int = 0, replicates: int = 1000, rounds: int = 15, grid: int = 21, progress=True, force=False
):
    """Write the report (see the module doc) into ``folder`` (a path, or a :class:`~numerics.cli.report.Report`),
    held from the start so that a folder it may not replace is refused before any work (``force``: may replace
    an earlier report); returns the JSON data."""
    require_standard_errors(replicates)
    report = folder if isinstance(folder, Report) else Report(folder, force=force)
    with report.reserved():
        return _reproduce(report, seed, replicates, rounds, grid, progress)


@quiet_overflow()
def _reproduce(report, seed: int, replicates: int, rounds: int, grid: int, progress: bool) -> dict:
    with progress_bars(progress), bar(len(STEPS), STEPS[0], "step") as steps:
        forms = closed_forms()
        _next(steps, 1)
        experiment = two_task_experiment(SETTINGS, SETTINGS, rounds=rounds, replicates=replicates, key=seed)
        _next(steps, 2)
        alphas, betas = np.linspace(0, 1, grid), np.linspace(0, 1, grid)
        plane = two_task_plane(alphas, betas)
        _next(steps, 3)
        efficiency = relative_efficiency_plane(low_rank_ecosystem())
        optimum = optimum_table()
        _next(steps, 4)
        result = _write(report, seed, replicates, rounds, grid, forms, experiment, alphas, betas, plane, efficiency,
                        optimum)  # fmt: skip
        steps.update(1)
    return result


def _next(steps, index: int) -> None:
    """The step bar: one more step done, the next one's name."""
    steps.update(1)
    steps.set_description(STEPS[index])


def _write(report, seed, replicates, rounds, grid, forms, experiment, alphas, betas, plane, efficiency, optimum):
    """The numbers, the page and the figures, in the report folder."""
    error, spread = experiment["error"], experiment["spread"]
    half = SETTINGS.index(0.5)
    findings = {
        "transfer": {  # model 1 on task 2 (no private data on it), alpha = 0.5, beta = 0.5
            "start": float(error[half, half, 0, 0, 1]),
            "end": float(error[half, half, -1, 0, 1]),
            "end_without_interaction": float(error[0, half, -1, 0, 1]),
        },
        "harm_at_alpha_one": {"own_start": float(error[2, half, 0, 0, 0]), "own_end": float(error[2, half, -1, 0, 0])},
        "homogenisation": {f"alpha={a:g}": float(spread[i, half, -1]) for i, a in enumerate(SETTINGS)},
        "relative_efficiency": {
            "best_alpha": float(efficiency["best"][0]),
            "best_beta": float(efficiency["best"][1]),
            "best": float(efficiency["best"][2]),
            "at_half": float(efficiency["at_half"]),
        },
    }
    result = {
        "paper": "Vu, Reeves & Wenger, arXiv 2505.21677",
        "seed": seed,
        "settings": {"replicates": replicates, "rounds": rounds, "grid": grid, "alphas_betas": list(SETTINGS)},
        "spec": two_task_ecosystem(0.5, 0.5).describe(),
        "low_rank_spec": low_rank_ecosystem().describe(),
        "versions": versions(),
        "closed_forms": {k: (v if isinstance(v, bool) else str(v)) for k, v in forms.items() if k != "fixed_point"}
        | {"fixed_point": {str(k): plain(v) for k, v in forms["fixed_point"].items()}},
        "two_task": {k: np.asarray(v).tolist() for k, v in experiment.items()},
        "plane": {"alphas": alphas.tolist(), "betas": betas.tolist()} | {k: v.tolist() for k, v in plane.items()},
        "relative_efficiency": {k: np.asarray(v).tolist() for k, v in efficiency.items()},
        "optimum_table": optimum.tolist(),
        "findings": findings,
    }
    diverged = first_divergence({q: np.moveaxis(experiment[q], 2, 0) for q in ("error", "spread")})
    result["divergence"] = None if diverged is None else f"two-task experiment: {diverged}"
    warn_divergence({"reproduce": result["divergence"]})
    result = finite_or_null(result)

    latex = [
        r"\text{fixed point of the population map: } \theta_k^* = \theta^* = \mathbf{1} \text{ for every } k",
        r"\text{stable iff } " + to_latex(forms["stability"]),
        r"\mathrm{MSE}_t = " + sympy.latex(forms["proportional_error"]),
        r"E\|\hat\theta_{t,k} - \hat\theta_{t,l}\|^2 = " + sympy.latex(forms["proportional_spread"]),
    ]
    figure_grid = Grid(
        (("alpha", alphas), ("beta", betas)), {"cross": plane["cross"], "spread": plane["spread"]}, result["spec"]
    )
    labelled = {
        "two_task": Grid(
            (("alpha", np.asarray(SETTINGS)), ("beta", np.asarray(SETTINGS))),
            {key: experiment[key] for key in ("error", "spread", "mc_error", "mc_se")},
            result["spec"],
            result["settings"],
        ).to_xarray(EXPERIMENT_DIMS),
        "plane": Grid((("alpha", alphas), ("beta", betas)), plane, result["spec"], result["settings"]).to_xarray(),
    }
    provenance = {key: result[key] for key in ("paper", "seed", "settings", "versions")}
    title = parameter_title(two_task_ecosystem(0.5, 0.5), skip=("alpha", "beta"))

    def long_run_plane(quantity: str, label: str):
        """The long-run (alpha, beta) plane of one quantity: log colour scale, exact contours, the boundary."""
        return phase_diagram(
            figure_grid,
            quantity,
            boundary=forms["stability"],
            label=label,
            scale="log",
            contours=True,
            title=f"{title}, long-run limits",
        )

    with report:
        report.write_netcdf("result.nc", labelled, **provenance)
        figures = {
            "two_task": report.save_figure("two_task", plot_two_task(experiment, title=title)),
            "cross_task_plane": report.save_figure(
                "cross_task_plane", long_run_plane("cross", r"model 1 on task 2: $E\|\theta_1 - \theta^*\|_{S_2}^2$")
            ),
            "homogenisation_plane": report.save_figure(
                "homogenisation_plane", long_run_plane("spread", r"$E\|\theta_1 - \theta_2\|^2$")
            ),
            "relative_efficiency": report.save_figure("relative_efficiency", plot_relative_efficiency(efficiency)),
        }
        report.write_text("derivation.tex", "\n\n".join(latex) + "\n")
        report.write_text("index.md", _page(result, latex, experiment, optimum, figures))
        report.write_json("result.json", result)
    return result


def _page(result: dict, latex: list[str], experiment: dict, optimum: np.ndarray, figures: dict) -> str:
    f = result["findings"]
    rows = []
    for i, a in enumerate(SETTINGS):
        for j, b in enumerate(SETTINGS):
            e = experiment["error"][i, j]
            rows.append(
                [f"{a:g}", f"{b:g}"]
                + [f"{e[0, k, task]:.3g} -> {e[-1, k, task]:.3g}" for k, task in ((0, 0), (0, 1), (1, 1), (1, 0))]
                + [f"{experiment['spread'][i, j, -1]:.3g}"]
            )
    error_table = _table(rows, ["alpha", "beta", "M1 on T1", "M1 on T2", "M2 on T2", "M2 on T1", "E||θ1-θ2||² (end)"])
    optimum_rows = [[f"{int(r[0])}", f"{int(r[1])}", f"{int(r[2])}", f"({r[3]:.2f}, {r[4]:.2f})", f"{r[5]:.3f}",
                     f"{r[6]:.3f}", f"{r[7]:.2f}"] for r in optimum]  # fmt: skip
    rounds, replicates = result["settings"]["rounds"], result["settings"]["replicates"]
    return f"""# Reproduction: what happens when generative models train on each other's outputs?

Vu, Reeves & Wenger (arXiv 2505.21677), linear-Gaussian surrogate. Two models fit theta* in R^4 by weighted
least squares; model 1's private data cover task 1 (coordinates 1-2), model 2's cover task 2 (coordinates
3-4); both share a small public sample; every round mixes a fraction alpha of both models' synthetic data with
the reused real data, of which a share beta is private. Exact recursions (the paper's M_t, C_t) and Monte Carlo
of the sampling process ({replicates} replicates, seed {result["seed"]}); every number is in `result.json`.

## Closed forms

$$ {latex[0]} $$

$$ {latex[1]} $$

Every model is unbiased in the limit: {result["closed_forms"]["unbiased"]}. In the proportional case (every
Gram equal) the error and the models' distance after t >= 1 rounds are

$$ {latex[2]} $$

$$ {latex[3]} $$

## Two models, two tasks: error of model k on task j over {rounds} rounds

![two tasks]({figures["two_task"]})

Lines: exact; dots: Monte Carlo mean +- 4 standard errors. Table: error at round 0 -> round {rounds}.

{error_table}

**Transfer.** At alpha = beta = 0.5, model 1's error on task 2 (no private data on it) falls from
{f["transfer"]["start"]:.3g} to {f["transfer"]["end"]:.3g}; without interaction (alpha = 0) it stays at
{f["transfer"]["end_without_interaction"]:.3g}.
**Harm at alpha = 1.** With no real-data anchor, model 1's error on its own task rises from
{f["harm_at_alpha_one"]["own_start"]:.3g} to {f["harm_at_alpha_one"]["own_end"]:.3g} (and keeps rising).
**Homogenisation.** E||theta_1 - theta_2||^2 after {rounds} rounds at beta = 0.5:
{", ".join(f"{k}: {v:.3g}" for k, v in f["homogenisation"].items())}.

## The (alpha, beta) plane: long-run errors (exact limit laws)

![cross-task error]({figures["cross_task_plane"]})
![homogenisation]({figures["homogenisation_plane"]})

## Relative efficiency, K = 4, low rank (the paper's Figure 2)

![relative efficiency]({figures["relative_efficiency"]})

Best (alpha, beta) = ({f["relative_efficiency"]["best_alpha"]:.2f}, {f["relative_efficiency"]["best_beta"]:.2f}),
RE {f["relative_efficiency"]["best"]:.3f}; at (0.5, 0.5): {f["relative_efficiency"]["at_half"]:.3f}. The paper
reports alpha = beta = 0.5 often does best; here the optimum moves with the sample sizes:

{
        _table(
            optimum_rows,
            ["private n", "public n", "synthetic m", "best (alpha, beta)", "best RE", "RE(0.5, 0.5)", "ratio"],
        )
    }

alpha = beta = 0.5 is near-optimal when the public sample is several times each private one and the synthetic
sample is large; it is far from optimal when private data dominate.
"""
