"""One style for every figure the toolkit draws: fonts and sizes, math labels, titles from the parameters,
legends outside the data, the file formats.

Every drawing function is wrapped in :func:`styled` (the rc settings of :data:`STYLE` hold while it draws); axis
and colour-bar labels come from :func:`axis_label` and :func:`quantity_label` (mathtext: ``$\\alpha$``,
``$E\\|\\theta_1 - \\theta_2\\|^2$``, never a raw name such as ``alpha`` or ``spread``); titles from
:func:`parameter_title` (``K = 2, n = 50, reuse, α = 0.5, β = 0.5``), never a file name; legends go outside the
axes (:func:`legend_below`, :func:`legend_beside`), so they never cover data; :func:`save` writes one of
:data:`FORMATS`.
"""

from __future__ import annotations

import contextlib
import functools
import re

import matplotlib
import numpy as np

from interplay.theory.spec import PerModel

FORMATS = ("png", "pdf", "svg")
DPI = 150
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "figure.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "mathtext.fontset": "cm",
    "lines.linewidth": 1.6,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}

# Swept parameters and axes: their symbols.
SYMBOLS = {
    "alpha": r"$\alpha$",
    "beta": r"$\beta$",
    "n": r"$n$",
    "K": r"$K$",
    "temperature": r"$\tau$",
    "round": r"round $t$",
}
# Quantities of sweeps and trajectories (numerics/<family>/sweep.py): what each is, in the notation of the paper
# (theta_k: model k's fitted parameters -- a Gaussian's mean, a categorical's probabilities, a Poisson rate).
QUANTITIES = {
    "spread": r"$E\|\theta_1 - \theta_2\|^2$",
    "mean_spread": r"mean over pairs of $E\|\theta_k - \theta_l\|^2$",
    "mean": r"$E\,\theta_1$",
    "fitted_cov": r"$E\,\Sigma_1$",
    "variance": r"$\mathrm{Var}\,\theta_1$",
    "diversity": r"$E[1 - \sum_i p_{1i}^2]$",
    "support": r"$E\,|\{i: p_{1i} > 0\}|$",
    "error": r"$E\|\theta_1 - \theta^*\|^2$",
    "task_error": r"$E\|\theta_1 - \mu_1\|^2$",
    "spectral_radius": r"spectral radius $\rho$",
    "converged_at": r"rounds to converge",
    "mean_cov": r"$\mathrm{Cov}(\theta_1, \theta_1)$",
}
_PATH = re.compile(r"^(?P<source>[a-z_]+(?:\[\d+\])?)\.(?P<field>[a-z_]+)(?P<index>(?:\[\d+\])*)$")
_FIELDS = {"mean": r"\mu", "cov": r"\Sigma", "probs": "p", "rate": r"\lambda", "theta": r"\theta^*",
           "noise_var": r"\sigma^2"}  # fmt: skip


@contextlib.contextmanager
def style():
    """:data:`STYLE` inside the block; only its own settings are saved and restored (``matplotlib.rc_context``
    restores every setting, the backend's among them, which stops a notebook's inline figures that follow)."""
    previous = {key: matplotlib.rcParams[key] for key in STYLE}
    matplotlib.rcParams.update(STYLE)
    try:
        yield
    finally:
        matplotlib.rcParams.update(previous)


def styled(draw):
    """Draw under :data:`STYLE` (the decorator every figure function of the toolkit carries)."""

    @functools.wraps(draw)
    def drawing(*args, **kwargs):
        with style():
            return draw(*args, **kwargs)

    return drawing


def axis_label(name: str) -> str:
    """A swept parameter's label: ``alpha`` -> ``$\\alpha$``; a value axis ``private[1].cov[0][0]`` ->
    ``$\\Sigma_{2,11}$ (private[1].cov[0][0])``; ``mixing[0][1]`` -> ``$W_{12}$``."""
    if name in SYMBOLS:
        return SYMBOLS[name]
    mixing = re.fullmatch(r"mixing\[(\d+)\]\[(\d+)\]", name)
    if mixing:
        return rf"$W_{{{int(mixing[1]) + 1}{int(mixing[2]) + 1}}}$"
    path = _PATH.match(name)
    if path and path["field"] in _FIELDS:
        source = path["source"]
        owner = {"public": r"\ast", "family": ""}.get(source) if "[" not in source else str(int(source[8:-1]) + 1)
        index = ",".join(str(int(i) + 1) for i in re.findall(r"\d+", path["index"]))
        sub = ",".join(part for part in (owner, index) if part)
        symbol = _FIELDS[path["field"]] + (f"_{{{sub}}}" if sub else "")
        return f"${symbol}$ ({name})"
    return name.replace("_", " ")


def quantity_label(quantity: str, note: str = "") -> str:
    """A quantity's label (``spread`` -> ``$E\\|\\theta_1 - \\theta_2\\|^2$``; ``mc_spread`` -> the same, Monte
    Carlo), with an optional note (which entry is shown)."""
    simulated = quantity.startswith("mc_")
    name = quantity[3:] if simulated else quantity
    label = QUANTITIES.get(name, name.replace("_", " "))
    if simulated:
        label += " (Monte Carlo)"
    return f"{label}, {note}" if note else label


def _number(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def parameter_title(eco, *, skip=(), note: str = "", **extra) -> str:
    """The figure's title from the ecosystem's parameters: ``Gaussian, K = 2, n = 50, reuse, unbiased, α = 0.5,
    β = 0.5`` (a schedule: ``α scheduled``; per model: ``α = (1, 0.5) per model``; ``skip``: swept parameters left
    out), then ``extra`` (``seed = 0``)
    and a ``note`` (``long-run limits``)."""
    family = getattr(eco.family, "name", type(eco.family).__name__).replace("_", "-").replace("gaussian", "Gaussian")
    parts = [family[:1].upper() + family[1:], f"K = {eco.K}", "n = ∞" if eco.n is None else f"n = {eco.n}"]
    if "n" in skip:
        parts.pop()
    parts.append(eco.regime)
    if eco.estimator:
        parts.append(str(eco.estimator))
    for name, symbol in (("alpha", "α"), ("beta", "β")):
        value = getattr(eco, name)
        if name in skip:
            continue
        if isinstance(value, PerModel):
            parts.append(f"{symbol} = ({', '.join(_number(v) for v in value)}) per model")
        else:
            parts.append(f"{symbol} scheduled" if isinstance(value, tuple) else f"{symbol} = {_number(value)}")
    parts += [f"{key.replace('_', ' ')} = {value}" for key, value in extra.items()]
    return ", ".join(parts + ([note] if note else []))


def legend_entries(axes) -> tuple[list, list]:
    """The legend entries of the axes, each label once."""
    seen = {}
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if not label.startswith("_"):
                seen.setdefault(label, handle)
    return list(seen.values()), list(seen)


def legend_below(fig, axes=None, ncols: int | None = None):
    """One legend for the figure, below every axes (constrained layout makes room), so it covers no data."""
    handles, labels = legend_entries(fig.axes if axes is None else axes)
    if not handles:
        return None
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols or min(len(labels), 4))


def legend_beside(ax):
    """The axes' legend outside them, above the plotting area (for figures with a colour bar on the right)."""
    handles, labels = legend_entries([ax])
    if not handles:
        return None
    return ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncols=1, borderaxespad=0.2)


_NO_DATES = {"pdf": {"CreationDate": None}, "svg": {"Date": None}}  # the same figure, the same bytes


def save(figure, path, fmt: str = "png") -> None:
    """Write the figure in one of :data:`FORMATS` (``path`` without or with the matching suffix)."""
    if fmt not in FORMATS:
        raise ValueError(f"format: one of {', '.join(FORMATS)}, got {fmt!r}")
    with style():
        figure.savefig(path, format=fmt, dpi=DPI, metadata=_NO_DATES.get(fmt))
