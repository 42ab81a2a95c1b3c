"""The paper's linear-model experiments, in theory (exact recursion) and simulation, with their figures.

* :func:`low_rank_ecosystem` -- K models whose private designs cover disjoint coordinate blocks (the paper's
  low-rank setting), full-rank public data, a common isotropic synthetic design;
* :func:`relative_efficiency_plane` -- long-run relative efficiency over the (alpha, beta) plane (Figure 2);
* :func:`optimum_table` -- where on that plane the optimum lies, for several sample sizes (it moves);
* :func:`two_task_ecosystem`, :func:`two_task_experiment` -- two models with private data on different tasks:
  each model's error on each task over the rounds, for alpha, beta in {0, 0.5, 1}, and the homogenisation
  E||theta_1 - theta_2||^2;
* :func:`plot_relative_efficiency`, :func:`plot_two_task` -- matplotlib figures.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from interplay.numerics.driver.limits import require_standard_errors
from interplay.numerics.figure_style import axis_label, legend_below, legend_beside, styled
from interplay.numerics.linear.iterate import iterate_linear
from interplay.numerics.linear.longrun import relative_efficiency_grid
from interplay.numerics.linear.monte_carlo import simulate_linear
from interplay.theory.linear.maps import Design, linear_ecosystem


def _block_gram(d, coordinates):
    gram = np.zeros((d, d))
    gram[coordinates, coordinates] = 1.0
    return gram


def low_rank_ecosystem(K=4, rank=2, n_private=100, n_public=100, m=100, noise_var=1.0, **options):
    """d = K rank: model k's private design covers coordinates k rank .. (k+1) rank - 1 (rank-deficient, Gram
    = identity there); the public design is isotropic (full rank); synthetic design isotropic, m samples."""
    d = K * rank
    private = [
        Design(_block_gram(d, list(range(k * rank, (k + 1) * rank))), n_private, f"private[{k}]") for k in range(K)
    ]
    options = {"alpha": 0.5, "beta": 0.5, **options}
    return linear_ecosystem(np.ones(d), private, Design(np.eye(d), n_public, "public"), synthetic=np.eye(d),
                            noise_var=noise_var, n=m, **options)  # fmt: skip


def relative_efficiency_plane(eco, alphas=None, betas=None) -> dict[str, np.ndarray]:
    """RE = MSE_ideal / mean_k lim E||theta_k - theta*||^2 over the grid, with the best (alpha, beta) and RE at
    alpha = beta = 0.5 (``overall``, ``per_model``, ``best``, ``at_half``; see ``relative_efficiency_grid``)."""
    alphas = np.linspace(0, 0.95, 20) if alphas is None else np.asarray(alphas, dtype=float)
    betas = np.linspace(0, 1, 21) if betas is None else np.asarray(betas, dtype=float)
    grid = relative_efficiency_grid(eco, alphas, betas)
    i, j = np.unravel_index(np.argmax(grid["overall"]), grid["overall"].shape)
    half = relative_efficiency_grid(eco, [0.5], [0.5])["overall"][0, 0]
    return {**grid, "best": (alphas[i], betas[j], grid["overall"][i, j]), "at_half": half}


def optimum_table(sizes=((100, 100, 100), (100, 100, 10_000), (100, 400, 1000), (20, 100, 1000), (400, 20, 1000))):
    """One row per (n_private, n_public, m): best alpha, best beta, best RE, RE at (0.5, 0.5), their ratio.

    In this layout (K = 4, rank 2, d = 8) alpha = beta = 0.5 is within 5% of the best RE when the public sample
    is about 4-5 times each private one and m >= 10 n_private (e.g. (100, 400, 1000): best (0.45, 0.45), ratio
    0.995); it is far from it when private samples dominate ((400, 20, 1000): best (0.05, 1), ratio 0.08).
    """
    rows = []
    for n_private, n_public, m in sizes:
        plane = relative_efficiency_plane(low_rank_ecosystem(n_private=n_private, n_public=n_public, m=m))
        a, b, best = plane["best"]
        rows.append((n_private, n_public, m, a, b, best, plane["at_half"], plane["at_half"] / best))
    return np.array(rows)


def two_task_ecosystem(alpha, beta, n_private=50, n_public=10, m=50, noise_var=1.0, regime="reuse"):
    """Two models, d = 4: task 1 = coordinates 0, 1 (model 1's private data), task 2 = coordinates 2, 3 (model
    2's); a small isotropic public sample; a common isotropic synthetic design of m samples; theta* = 1."""
    private = [
        Design(_block_gram(4, [0, 1]), n_private, "private[0]"),
        Design(_block_gram(4, [2, 3]), n_private, "private[1]"),
    ]
    return linear_ecosystem(np.ones(4), private, Design(np.eye(4), n_public, "public"), synthetic=np.eye(4),
                            noise_var=noise_var, alpha=alpha, beta=beta, n=m, regime=regime)  # fmt: skip


def task_grams():
    """The covariate second moments of task 1 and task 2 (the private designs' Grams)."""
    return [_block_gram(4, [0, 1]), _block_gram(4, [2, 3])]


def two_task_experiment(alphas=(0.0, 0.5, 1.0), betas=(0.0, 0.5, 1.0), rounds=15, replicates=0, key=0, **sizes):
    """Exact task errors ``error[a, b, t, k, j]`` = E[(theta_k - theta*)^T S_j (theta_k - theta*)] (model k on
    task j) and ``spread[a, b, t]`` = E||theta_1 - theta_2||^2; with ``replicates`` > 0 also the Monte Carlo
    means ``mc_error`` and their standard errors ``mc_se`` (same shapes), which need ``replicates`` >= 2."""
    if replicates:
        require_standard_errors(replicates)
    tasks = task_grams()
    shape = (len(alphas), len(betas), rounds + 1)
    error, spread = np.zeros(shape + (2, 2)), np.zeros(shape)
    mc_error, mc_se = np.zeros(shape + (2, 2)), np.zeros(shape + (2, 2))
    for i, a in enumerate(alphas):
        for j, b in enumerate(betas):
            eco = two_task_ecosystem(a, b, **sizes)
            run = iterate_linear(eco, rounds)
            error[i, j] = np.stack([run.task_error(S) for S in tasks], axis=-1)
            spread[i, j] = run.squared_distance(0, 1)
            if replicates:
                mc = simulate_linear(eco, rounds, key=key, replicates=replicates)
                samples = np.stack([mc.task_error(S) for S in tasks], axis=-1)
                mc_error[i, j] = samples.mean(0)
                mc_se[i, j] = samples.std(0, ddof=1) / np.sqrt(replicates)
    result = {"alphas": np.asarray(alphas), "betas": np.asarray(betas), "error": error, "spread": spread}
    if replicates:
        result.update(mc_error=mc_error, mc_se=mc_se, replicates=replicates, key=key)
    return result


@styled
def plot_relative_efficiency(plane, title="Relative efficiency, K = 4, low rank"):
    """RE over the (beta, alpha) plane, its best point and (0.5, 0.5) marked; the legend above the axes."""
    fig, ax = plt.subplots(figsize=(5.2, 4.6), layout="constrained")
    image = ax.pcolormesh(plane["betas"], plane["alphas"], plane["overall"], shading="nearest", vmin=0, vmax=1)
    fig.colorbar(
        image, ax=ax, label=r"RE $= \mathrm{MSE}_{\mathrm{ideal}} / \overline{\mathrm{MSE}}_{\mathrm{models}}$"
    )
    a, b, best = plane["best"]
    ax.plot(
        b,
        a,
        "*",
        color="#d62728",
        ms=12,
        mec="white",
        label=rf"best $(\alpha, \beta)$ = ({a:.2f}, {b:.2f}): {best:.3f}",
    )
    ax.plot(0.5, 0.5, "o", color="white", mec="black", ms=7, label=f"(0.5, 0.5): {plane['at_half']:.3f}")
    ax.set(xlabel=r"$\beta$ (private share)", ylabel=r"$\alpha$ (synthetic fraction)")
    legend_beside(ax)
    fig.suptitle(title)
    return fig


@styled
def plot_two_task(result, title: str = ""):
    """Rows: alpha; columns: beta; each panel the four curves model k on task j (exact lines, MC dots +- 4 SE);
    one legend below the panels."""
    alphas, betas = result["alphas"], result["betas"]
    fig, axes = plt.subplots(len(alphas), len(betas), figsize=(3.3 * len(betas), 2.5 * len(alphas) + 0.6),
                             sharex=True, layout="constrained", squeeze=False)  # fmt: skip
    t = np.arange(result["error"].shape[2])
    styles = {(0, 0): "C0-", (0, 1): "C0--", (1, 1): "C1-", (1, 0): "C1--"}
    for i, a in enumerate(alphas):
        for j, b in enumerate(betas):
            ax = axes[i, j]
            for (k, task), style in styles.items():
                ax.plot(t, result["error"][i, j, :, k, task], style, label=f"model {k + 1} on task {task + 1}")
                if "mc_error" in result:
                    ax.errorbar(t, result["mc_error"][i, j, :, k, task], 4 * result["mc_se"][i, j, :, k, task],
                                fmt=".", color=style[:2], ms=3, lw=0.8)  # fmt: skip
            ax.set_title(rf"$\alpha$ = {a:g}, $\beta$ = {b:g}")
            ax.set_yscale("log")
    for ax in axes[-1]:
        ax.set_xlabel(axis_label("round"))
    fig.supylabel(r"excess error on task $j$, $E\|\theta_k - \theta^*\|^2_{S_j}$")
    if "mc_error" in result:
        axes[0, 0].errorbar([], [], [], fmt=".", color="0.3", ms=3, lw=0.8, label="Monte Carlo mean ± 4 SE")
    legend_below(fig, ncols=5)
    if title:
        fig.suptitle(title)
    return fig
