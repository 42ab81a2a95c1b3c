"""The ``interplay`` command line.

* ``interplay reproduce`` (the main job) reproduces the paper's two-model setting: closed forms, the exact
  recursions and the Monte Carlo, the (alpha, beta) planes, in a report folder (``index.md``, ``result.json``).
* ``interplay demo`` derives the fixed point and stability condition of the default two-model Gaussian
  ecosystem (alpha and beta left symbolic), prints them as text and LaTeX, and draws the exact moment
  trajectories over their Monte Carlo bands for one numeric setting.
* ``interplay --version`` prints ``interplay <version>`` and exits.
* ``interplay derive CONFIG`` / ``simulate CONFIG`` / ``sweep CONFIG``: the same for an ecosystem described in a
  TOML file (:mod:`numerics.cli.config`), each writing a report folder that appears whole or not at all.

Every command writes its report folder through :class:`numerics.cli.report.Report`: ``--out`` must name a new folder
or (with ``--force``) an earlier report of this tool; nothing else there is ever replaced or deleted.
``sweep --checkpoint DIR`` saves each finished chunk in DIR, and the same command run again resumes.

A user error (bad arguments, a config error, an invalid spec, an ``--out`` it may not use) prints one line and
exits with status 2; a read or write the system refuses (a full disk...), one line and status 1. Ctrl-C (or
SIGTERM) stops a run at once, even inside a long computation: one line says what was saved and how to resume,
and the exit status is 130 (143).

Compiled executables are kept between runs (:mod:`numerics.cli.compilation`), and a first compilation that
takes more than a moment says so in one line.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import shlex
import signal
import sys
import threading
from pathlib import Path

import sympy

from interplay import __version__
from interplay.numerics.cli.compilation import announce_compilation, persistent_cache
from interplay.numerics.cli.config import ConfigError
from interplay.numerics.cli.report import OutputError, Report
from interplay.numerics.figure_style import FORMATS
from interplay.theory import NoUniqueFixedPoint, SpecError, fixed_point, population_map, stability_condition, to_latex
from interplay.theory.examples import two_model_gaussian
from interplay.theory.gaussian.longrun import homogenisation


class UserError(Exception):
    """A problem with what the user asked for: reported in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UserError(message)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C (exit status 143 instead of 130)."""


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


def demo(args, config, report) -> None:
    import interplay.numerics as numerics
    from interplay.numerics.driver.limits import require_standard_errors
    from interplay.numerics.driver.progress import progress_bars
    from interplay.numerics.figure_style import parameter_title
    from interplay.numerics.gaussian.figures import theory_vs_monte_carlo

    require_standard_errors(args.replicates)  # the figure's bands are standard errors
    eco = two_model_gaussian(alpha=args.alpha, beta=args.beta, n=args.n, estimator=args.estimator, regime=args.regime)
    say = (lambda text: None) if args.quiet else functools.partial(print, flush=True)
    say("[1/3] deriving the fixed point and stability condition (sympy) ...")
    text, latex = _derivation_text()
    print(text)
    print("LaTeX:")
    print(latex)
    say(f"[2/3] exact moment recursion and Monte Carlo ({args.replicates} replicates, seed {args.seed}) ...")
    exact = numerics.iterate_moments(eco, args.rounds)
    with progress_bars(not args.quiet):
        mc = numerics.simulate(eco, args.rounds, args.seed, args.replicates)
    say("[3/3] drawing ...")
    title = parameter_title(eco, seed=args.seed, replicates=args.replicates)
    with report:
        figure = report.save_figure("trajectories", theory_vs_monte_carlo(exact, mc, title))
        report.write_text("derivation.tex", latex + "\n")
        report.write_text("derivation.txt", text + "\n")
    print(f"wrote {report.folder}: {figure}, derivation.tex, derivation.txt")


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


FORCE_HELP = (
    "replace an earlier report at --out (a folder this tool wrote, holding only its own files); without it an "
    "existing report is refused, and nothing else at --out is ever replaced or deleted"
)


def _output_options(command, default: str | None, figures: bool = True) -> None:
    where = f"default {default}" if default else "default: the config's [output] folder, else interplay-COMMAND"
    command.add_argument("--out", default=default, help=f"report folder, new or an earlier report ({where})")
    command.add_argument("--force", action="store_true", help=FORCE_HELP)
    if figures:
        command.add_argument("--format", choices=FORMATS, default="png", help="file format of the figures (png)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="interplay", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"interplay {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("demo", help="derive and simulate the default two-model Gaussian ecosystem")
    _output_options(run, "interplay-demo")
    run.add_argument("--alpha", type=_fraction, default=0.5, help="synthetic fraction per update (default 0.5)")
    run.add_argument("--beta", type=_fraction, default=0.5, help="private share of the real data (default 0.5)")
    run.add_argument("--n", type=_positive_int, default=50, help="training-set size per update (default 50)")
    run.add_argument("--rounds", type=_positive_int, default=30, help="update rounds (default 30)")
    run.add_argument("--replicates", type=_positive_int, default=2000, help="Monte Carlo replicates (default 2000)")
    run.add_argument("--seed", type=int, default=0, help="PRNG seed (default 0)")
    run.add_argument("--estimator", choices=["mle", "unbiased"], default="mle")
    run.add_argument("--regime", choices=["reuse", "fresh", "accumulate"], default="reuse")
    run.add_argument("--quiet", action="store_true", help="no progress output")
    run.set_defaults(handler=demo)
    reproduce = commands.add_parser(
        "reproduce", help="the paper's two-model setting: closed forms, experiments, report"
    )
    _output_options(reproduce, "interplay-report")
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
        _output_options(command, None, figures=name != "derive")
        command.add_argument("--quiet", action="store_true", help="no progress output")
        command.set_defaults(handler=handler)
    commands.choices["sweep"].add_argument(
        "--checkpoint",
        metavar="DIR",
        help="save each finished chunk in DIR; rerunning the same command resumes from them (DIR: new, empty or "
        "a checkpoint of this sweep; never deleted)",
    )
    return parser


def _reproduce(args, config, report) -> None:
    from interplay.numerics.cli.reproduce import reproduce

    reproduce(
        report, seed=args.seed, replicates=args.replicates, rounds=args.rounds, grid=args.grid, progress=not args.quiet
    )
    print(f"wrote {report.folder}: index.md (the report), result.json (every number), figures")


def _derive(args, config, report) -> None:
    from interplay.numerics.cli.jobs import derive

    derive(config, report, progress=not args.quiet)
    print(f"wrote {report.folder}")


def _simulate(args, config, report) -> None:
    from interplay.numerics.cli.jobs import simulate

    simulate(config, report, progress=not args.quiet)
    print(f"wrote {report.folder}")


def _sweep(args, config, report) -> None:
    from interplay.numerics.cli.jobs import sweep
    from interplay.numerics.sweeps import saved_chunks

    if args.checkpoint and Path(args.checkpoint).is_dir() and not args.quiet:
        print(f"resuming from {args.checkpoint}: {saved_chunks(args.checkpoint)} chunks saved there", flush=True)
    sweep(config, report, progress=not args.quiet, checkpoint=args.checkpoint)
    print(f"wrote {report.folder}")


def _report(args, argv: list[str]) -> tuple[object, Report]:
    """The config (None for demo and reproduce) and the report folder the command writes."""
    config = None
    if hasattr(args, "config"):
        from interplay.numerics.cli.config import load

        config = load(args.config)
    folder = args.out or config.jobs["output"]["folder"] or f"interplay-{args.command}"
    command = shlex.join(["interplay", *argv])
    figures = getattr(args, "format", "png")
    report = Report(folder, force=args.force, command=command, option="--out", figure_format=figures)
    checkpoint = getattr(args, "checkpoint", None)
    if checkpoint:
        inner, outer = Path(os.path.abspath(checkpoint)), Path(os.path.abspath(folder))
        if inner == outer or outer in inner.parents:
            raise UserError("--checkpoint: must lie outside --out (a new report replaces that folder)")
    return config, report


def _interrupted(args, argv: list[str], report: Report) -> str:
    """One line: what an interrupted run saved, and how to resume."""
    if report.installed:
        return f"interrupted after writing {report.folder}"
    line = f"interrupted: nothing written to {report.folder}"
    if args.command != "sweep":
        return line
    if not args.checkpoint:
        return line + "; give --checkpoint DIR to keep finished chunks"
    from interplay.numerics.sweeps import read_manifest, saved_chunks

    manifest = read_manifest(args.checkpoint) or {}
    total = f" of {manifest['chunks']}" if "chunks" in manifest else ""
    saved = f"{saved_chunks(args.checkpoint)}{total} chunks saved in {args.checkpoint}"
    return f"interrupted: {saved}; resume with: {shlex.join(['interplay', *argv])}"


def _on_sigterm(signum, frame):
    raise _Terminated


def _run(args, config, report: Report, argv: list[str]) -> int:
    """Run the command in a worker thread while this (main) thread waits for it, so that Ctrl-C or SIGTERM stop
    the run at once even while the worker waits on a long compiled computation: the staging folder is deleted,
    the target released, one line says what was saved, and the process exits (130, or 143 for SIGTERM)."""
    import matplotlib

    matplotlib.use("Agg")  # figures are only saved, and drawn in the worker thread
    failure: list[BaseException] = []

    def work():
        try:
            args.handler(args, config, report)
        except BaseException as error:
            failure.append(error)

    worker = threading.Thread(target=work, name="interplay-job", daemon=True)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt as interruption:
        status = 143 if isinstance(interruption, _Terminated) else 130
        report.abandon()
        print(f"interplay: {_interrupted(args, argv, report)}", file=sys.stderr, flush=True)
        if worker.is_alive():  # still inside a computation: leave without waiting for it
            sys.stdout.flush()
            os._exit(status)
        return status
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    if failure and isinstance(failure[0], KeyboardInterrupt):
        print(f"interplay: {_interrupted(args, argv, report)}", file=sys.stderr, flush=True)
        return 130
    if failure:
        raise failure[0]
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
        config, report = _report(args, argv)
        persistent_cache()  # a second run of the same structure starts at once
        announcing = contextlib.nullcontext() if getattr(args, "quiet", False) else announce_compilation()
        with report.reserved(), announcing:  # --quiet: no progress lines, the compile notice included
            return _run(args, config, report, argv)
    except (UserError, SpecError, NoUniqueFixedPoint, ConfigError, OutputError) as error:
        print(f"interplay: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interplay: interrupted: nothing written", file=sys.stderr)
        return 130
    except OSError as error:  # the system refused a read or a write (disk full, permissions...)
        print(f"interplay: error: {error}", file=sys.stderr)
        return 1
