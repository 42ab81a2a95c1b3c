"""The ``interplay`` command line.

* ``interplay reproduce`` (the main job) reproduces the paper's two-model setting: closed forms, the exact
  recursions and the Monte Carlo, the (alpha, beta) planes, in a report folder (``index.md``, ``result.json``).
* ``interplay demo`` derives the fixed point and stability condition of the default two-model Gaussian
  ecosystem (alpha and beta left symbolic), prints them as text and LaTeX, and draws the exact moment
  trajectories over their Monte Carlo bands for one numeric setting.
* ``interplay derive CONFIG`` / ``simulate CONFIG`` / ``sweep CONFIG``: the same for an ecosystem described in a
  TOML file (:mod:`numerics.config`), each writing a report folder that appears whole or not at all.

A user error (bad arguments, a config error, an invalid spec) prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

import sympy

from theory import NoUniqueFixedPoint, SpecError, fixed_point, population_map, stability_condition, to_latex
from theory.examples import two_model_gaussian
from theory.longrun import homogenisation

from .config import ConfigError
from .report import Report


class UserError(Exception):
    """A problem with what the user asked for: reported in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UserError(message)


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename, so a file appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _derivation_text() -> tuple[str, str]:
    alpha, beta = sympy.symbols("alpha beta", nonnegative=True)
    eco = two_model_gaussian(alpha=alpha, beta=beta, n=None)
    fmap = population_map(eco)
    point = fixed_point(fmap)
    condition = stability_condition(fmap, point)
    spread = homogenisation(eco)[0, 1]
    lines = ["Default ecosystem: K = 2 Gaussian models (d = 1), private tasks N(-1, 1) and N(1, 1), public N(0, 2)."]
    lines.append("Population update map, its fixed point (alpha, beta symbolic):")
    lines += [f"  {s} = {sympy.simplify(v)}" for s, v in point.items()]
    lines.append(f"Stability condition (spectral radius < 1): {condition}")
    lines.append(f"Homogenisation: ||m_1* - m_2*||^2 = {sympy.factor(spread)}")
    latex = [
        r"\text{fixed point:}\quad \begin{aligned}" + to_latex(point) + r"\end{aligned}",
        r"\text{stability:}\quad " + to_latex(condition),
        r"\|m_1^* - m_2^*\|^2 = " + sympy.latex(sympy.factor(spread)),
    ]
    return "\n".join(lines), "\n\n".join(latex)


def demo(args) -> None:
    import numerics
    from numerics.plots import theory_vs_monte_carlo

    from .limits import require_standard_errors

    require_standard_errors(args.replicates)  # the figure's bands are standard errors
    out = Path(args.out)
    eco = two_model_gaussian(alpha=args.alpha, beta=args.beta, n=args.n, estimator=args.estimator, regime=args.regime)
    print("[1/3] deriving the fixed point and stability condition (sympy) ...", flush=True)
    text, latex = _derivation_text()
    print(text)
    print("LaTeX:")
    print(latex)
    print(
        f"[2/3] exact moment recursion and Monte Carlo ({args.replicates} replicates, seed {args.seed}) ...", flush=True
    )
    exact = numerics.iterate_moments(eco, args.rounds)
    mc = numerics.simulate(eco, args.rounds, args.seed, args.replicates)
    print("[3/3] drawing ...", flush=True)
    title = (
        f"two-model Gaussian ecosystem: alpha={args.alpha}, beta={args.beta}, n={args.n}, "
        f"{args.estimator}, {args.regime}; seed {args.seed}, {args.replicates} replicates"
    )
    figure = theory_vs_monte_carlo(exact, mc, title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=120)
    _write_atomic(out / "trajectories.png", buffer.getvalue())
    _write_atomic(out / "derivation.tex", (latex + "\n").encode())
    _write_atomic(out / "derivation.txt", (text + "\n").encode())
    print(f"wrote {out / 'trajectories.png'}, {out / 'derivation.tex'}, {out / 'derivation.txt'}")


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="interplay", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("demo", help="derive and simulate the default two-model Gaussian ecosystem")
    run.add_argument("--out", default="interplay-demo", help="folder for the figure and the derivation")
    run.add_argument("--alpha", type=_fraction, default=0.5, help="synthetic fraction per update (default 0.5)")
    run.add_argument("--beta", type=_fraction, default=0.5, help="private share of the real data (default 0.5)")
    run.add_argument("--n", type=_positive_int, default=50, help="training-set size per update (default 50)")
    run.add_argument("--rounds", type=_positive_int, default=30, help="update rounds (default 30)")
    run.add_argument("--replicates", type=_positive_int, default=2000, help="Monte Carlo replicates (default 2000)")
    run.add_argument("--seed", type=int, default=0, help="PRNG seed (default 0)")
    run.add_argument("--estimator", choices=["mle", "unbiased"], default="mle")
    run.add_argument("--regime", choices=["reuse", "fresh", "accumulate"], default="reuse")
    run.set_defaults(handler=demo)
    reproduce = commands.add_parser(
        "reproduce", help="the paper's two-model setting: closed forms, experiments, report"
    )
    reproduce.add_argument("--out", default="interplay-report", help="report folder (default interplay-report)")
    reproduce.add_argument("--seed", type=int, default=0, help="PRNG seed (default 0)")
    reproduce.add_argument("--replicates", type=_positive_int, default=1000, help="Monte Carlo replicates (1000)")
    reproduce.add_argument("--rounds", type=_positive_int, default=15, help="update rounds (default 15)")
    reproduce.add_argument("--grid", type=_positive_int, default=21, help="points per axis of the planes (21)")
    reproduce.add_argument("--quiet", action="store_true", help="no progress output")
    reproduce.set_defaults(handler=_reproduce)
    for name, handler, summary in (
        ("derive", _derive, "fixed points, stability, long-run closed forms of a config's ecosystem (sympy)"),
        ("simulate", _simulate, "exact moment trajectories and Monte Carlo of a config's ecosystem"),
        ("sweep", _sweep, "a long-run quantity over a grid of parameters ([sweep] table of the config)"),
    ):
        command = commands.add_parser(name, help=summary)
        command.add_argument("config", help="a TOML file (see examples/)")
        command.add_argument("--out", help="report folder (default: [output] folder, else interplay-NAME)")
        command.add_argument("--quiet", action="store_true", help="no progress output")
        command.set_defaults(handler=handler)
    return parser


def _job(args, name):
    from . import config as config_module

    config = config_module.load(args.config)
    folder = args.out or config.jobs["output"]["folder"] or f"interplay-{name}"
    return config, Report(Path(folder), config)


def _reproduce(args) -> None:
    from .reproduce import reproduce

    reproduce(
        Path(args.out),
        seed=args.seed,
        replicates=args.replicates,
        rounds=args.rounds,
        grid=args.grid,
        progress=not args.quiet,
    )
    print(f"wrote {args.out}: index.md (the report), result.json (every number), figures")


def _derive(args) -> None:
    from .jobs import derive

    config, report = _job(args, "derive")
    derive(config, report, progress=not args.quiet)
    print(f"wrote {report.folder}")


def _simulate(args) -> None:
    from .jobs import simulate

    config, report = _job(args, "simulate")
    simulate(config, report, progress=not args.quiet)
    print(f"wrote {report.folder}")


def _sweep(args) -> None:
    from .jobs import sweep

    config, report = _job(args, "sweep")
    sweep(config, report, progress=not args.quiet)
    print(f"wrote {report.folder}")


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        args.handler(args)
    except (UserError, SpecError, NoUniqueFixedPoint, ConfigError) as error:
        print(f"interplay: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
