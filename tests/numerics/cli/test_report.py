"""Report folders (``--out``): nothing the tool did not write is ever replaced or deleted; an earlier report is
replaced only with ``--force``, by renames that a kill at any instant cannot lose (the next run recovers); one
run at a time holds a target; folders and files get the user's umask."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from paths import ROOT

from interplay.numerics.cli import main as cli
from interplay.numerics.cli.main import main
from interplay.numerics.cli.report import MARKER, OutputError, Report, read_marker
from interplay.numerics.sweeps import Grid


def tree(root: Path) -> list:
    """Every path under ``root`` with its bytes (files), link target (links) or None (folders)."""

    def content(p: Path):
        if p.is_symlink():
            return ("link", os.readlink(p))
        return p.read_bytes() if p.is_file() else None

    return sorted((str(p.relative_to(root)), content(p)) for p in root.rglob("*"))


def write_report(target: Path, value: str, *, force: bool = False) -> None:
    with Report(target, force=force) as report:
        report.write_text("value.txt", value)


def value_at(target: Path) -> str | None:
    """The value of the report at ``target`` (None if there is none)."""
    if read_marker(target) is None:
        return None
    return (target / "value.txt").read_text()


def one_error_line(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# -- what --out may not touch ----------------------------------------------------------------------------------


def _user_folder(base: Path) -> str:
    (base / "mine").mkdir()
    (base / "mine" / "thesis.tex").write_text("years of work")
    return str(base / "mine")


def _plain_file(base: Path) -> str:
    (base / "notes.txt").write_text("keep me")
    return str(base / "notes.txt")


def _symlink(base: Path) -> str:
    (base / "real").mkdir()
    (base / "real" / "data.csv").write_text("1,2")
    (base / "link").symlink_to(base / "real")
    return str(base / "link")


def _report_with_a_user_file(base: Path) -> str:
    write_report(base / "old", "old")
    (base / "old" / "my-notes.md").write_text("added by hand")
    return str(base / "old")


def _under_a_file(base: Path) -> str:
    (base / "notes.txt").write_text("keep me")
    return str(base / "notes.txt" / "report")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (_user_folder, "is not a report this tool wrote"),
        (_plain_file, "is a file"),
        (_symlink, "symbolic link"),
        (_report_with_a_user_file, "did not write (my-notes.md)"),
        (lambda base: ".", "is not a new folder's name"),
        (lambda base: "..", "is not a new folder's name"),
        (lambda base: "work/..", "is not a new folder's name"),
        (lambda base: str(base / "work"), "the working folder or one of its parents"),
        (lambda base: str(base), "the working folder or one of its parents"),
        (lambda base: "../..", "is not a new folder's name"),
        (_under_a_file, "notes.txt is not a folder"),
    ],
)
def test_out_refuses_what_the_tool_did_not_write(tmp_path, monkeypatch, capsys, make, fragment):
    base = tmp_path / "base"
    (base / "work").mkdir(parents=True)
    monkeypatch.chdir(base / "work")  # --out . and .. point into the test's own folders
    out = make(base)
    before = tree(tmp_path)
    assert main(["demo", "--out", out, "--rounds", "1", "--replicates", "2"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("interplay: error: --out: ") and fragment in line, line
    assert tree(tmp_path) == before  # nothing changed, nothing left behind


def test_an_earlier_report_is_replaced_only_with_force(tmp_path, capsys):
    target = tmp_path / "report"
    write_report(target, "old")
    with pytest.raises(OutputError, match="holds an earlier report; pass --force"):
        write_report(target, "new")
    assert value_at(target) == "old"
    write_report(target, "new", force=True)
    assert value_at(target) == "new"
    assert read_marker(target)["files"] == ["value.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no old, staging or lock file left

    assert main(["demo", "--out", str(target), "--rounds", "1", "--replicates", "2"]) == 2
    assert "pass --force" in one_error_line(capsys) and value_at(target) == "new"


def test_missing_parents_are_made_and_removed_again_when_the_job_fails(tmp_path):
    target = tmp_path / "a" / "b" / "report"
    with pytest.raises(RuntimeError), Report(target):
        raise RuntimeError("the job failed")
    assert list(tmp_path.iterdir()) == []
    write_report(target, "new")
    assert value_at(target) == "new"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a folder of mode 0555; see the simulated test below")
def test_an_unwritable_parent_is_refused(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert main(["demo", "--out", str(locked / "report")]) == 2
        assert "not writable" in one_error_line(capsys)
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)


def test_a_parent_the_system_refuses_to_write_is_one_line(tmp_path, monkeypatch, capsys):
    """As root no folder mode refuses a write: the system's refusal is simulated where the lock file is made."""
    real_open = os.open

    def refusing(path, flags, *args, **kwargs):
        if str(path).endswith(".interplay-lock"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)
    assert main(["demo", "--out", str(tmp_path / "new" / "report")]) == 2
    assert "--out: cannot write in" in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []  # the parent it made is gone again


# -- crash safety ------------------------------------------------------------------------------------------------

MUTATIONS = (("os", "rename"), ("os", "replace"), ("os", "unlink"), ("os", "rmdir"), ("os", "mkdir"))


def _instrument(monkeypatch, before_each):
    """Call ``before_each(name)`` before every file-system mutation (and ``shutil.rmtree``)."""
    modules = {"os": os, "shutil": shutil}
    for module, name in (*MUTATIONS, ("shutil", "rmtree")):
        real = getattr(modules[module], name)

        def wrapper(*args, _real=real, _name=name, **kwargs):
            before_each(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(modules[module], name, wrapper)


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name != "report")


def test_a_kill_at_any_instant_of_a_replacement_loses_neither_report(tmp_path, monkeypatch):
    """Snapshot the folder before every mutation of a --force replacement (what a kill at that instant leaves);
    on each snapshot the next run finds the old or the new report, or restores the old one, and cleans up."""
    work = tmp_path / "work"
    work.mkdir()
    write_report(work / "report", "old")
    snapshots = []
    copying = []

    def snapshot(name):
        if copying:
            return
        copying.append(1)
        try:
            shutil.copytree(work, tmp_path / f"kill-{len(snapshots)}", symlinks=True)
        finally:
            copying.clear()
        snapshots.append(tmp_path / f"kill-{len(snapshots)}")

    with monkeypatch.context() as patch:
        _instrument(patch, snapshot)
        write_report(work / "report", "new", force=True)
    assert value_at(work / "report") == "new" and _leftovers(work) == []
    assert len(snapshots) >= 8  # lock, staging, marker writes, two renames, deleting the old report
    outcomes = set()
    for folder in snapshots:
        target = folder / "report"
        found = value_at(target)
        if found is None:  # between the two renames: the old report waits beside the target
            (old,) = [p for p in folder.iterdir() if ".report.interplay-old-" in p.name]
            assert (old / "value.txt").read_text() == "old"
        with Report(target, force=True).reserved():  # the next run
            pass
        recovered = value_at(target)
        assert recovered in ("old", "new") and (found is None or recovered == found), folder
        assert _leftovers(folder) == [], folder  # staging, old and lock files are gone
        outcomes.add((found, recovered))
    assert outcomes == {("old", "old"), (None, "old"), ("new", "new")}


@pytest.mark.parametrize("step", range(12))
def test_a_failure_at_any_step_of_a_replacement_leaves_a_report_and_no_leftovers(tmp_path, monkeypatch, step):
    target = tmp_path / "report"
    write_report(target, "old")
    count = []

    def failing(name):
        count.append(name)
        if len(count) == step + 1:
            raise OSError(5, f"simulated failure at {name}")

    with monkeypatch.context() as patch:
        _instrument(patch, failing)
        with contextlib.suppress(OSError):
            write_report(target, "new", force=True)
    assert value_at(target) in ("old", "new")
    write_report(target, "third", force=True)
    assert value_at(target) == "third" and _leftovers(tmp_path) == []


def test_interrupted_and_failed_runs_leave_no_staging_folder(tmp_path):
    target = tmp_path / "report"
    for interruption in (KeyboardInterrupt, RuntimeError):
        with pytest.raises(interruption), Report(target) as report:
            report.write_text("half.txt", "written")
            raise interruption()
        assert list(tmp_path.iterdir()) == []


def test_the_next_run_removes_staging_leftovers_but_nothing_unmarked(tmp_path):
    write_report(tmp_path / "report", "old")
    marked = tmp_path / ".report.interplay-staging-0badc0de"
    marked.mkdir()
    (marked / MARKER).write_text(json.dumps({"tool": "interplay"}))
    (marked / "grid.npz").write_bytes(b"half")
    empty = tmp_path / ".report.interplay-staging-00000000"
    empty.mkdir()
    foreign = tmp_path / ".report.interplay-staging-mine"
    foreign.mkdir()
    (foreign / "data.txt").write_text("not the tool's")
    write_report(tmp_path / "report", "new", force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [foreign.name, "report"]
    assert (foreign / "data.txt").read_text() == "not the tool's"


# -- one run at a time -------------------------------------------------------------------------------------------


def test_a_second_run_on_the_same_target_fails_at_once_with_one_line(tmp_path, capsys):
    target = tmp_path / "report"
    with Report(target).reserved():
        with pytest.raises(OutputError, match="another interplay run is writing"):
            Report(target).reserved().__enter__()
        assert main(["demo", "--out", str(target), "--rounds", "1", "--replicates", "2"]) == 2
        line = one_error_line(capsys)
        assert line.startswith("interplay: error: --out: another interplay run is writing")
        result = subprocess.run(
            [sys.executable, "-m", "interplay.numerics.cli", "demo", "--out", str(target)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert result.returncode == 2 and result.stderr.count("\n") == 1
        assert "--out: another interplay run is writing" in result.stderr
    assert list(tmp_path.iterdir()) == []  # the lock file is removed when done
    write_report(target, "after")
    assert value_at(target) == "after"


# -- permissions -------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(("mask", "folder", "file"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)])
def test_report_folders_and_saved_grids_follow_the_umask(tmp_path, mask, folder, file):
    grid = Grid((("alpha", np.array([0.0, 1.0])),), {"spread": np.array([1.0, 2.0])}, {"n": 3}, {"rounds": 1})
    with umask(mask):
        with Report(tmp_path / "new" / "report") as report:
            report.write_text("a.txt", "a")
            grid.save(report.path("grid.npz"))
        grid.save(tmp_path / "grid.npz")
    assert mode(tmp_path / "new") == folder and mode(tmp_path / "new" / "report") == folder
    for name in (MARKER, "a.txt", "grid.npz"):
        assert mode(tmp_path / "new" / "report" / name) == file, name
    assert mode(tmp_path / "grid.npz") == file
    np.testing.assert_array_equal(Grid.load(tmp_path / "grid.npz")["spread"], [1.0, 2.0])


def test_a_full_disk_is_one_line_and_keeps_the_earlier_report(tmp_path, monkeypatch, capsys):
    target = tmp_path / "report"
    write_report(target, "old")

    def job_on_a_full_disk(args, config, report):
        with report:
            report.write_text("value.txt", "new")
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "demo", job_on_a_full_disk)
    assert main(["demo", "--out", str(target), "--force"]) == 1
    assert one_error_line(capsys) == "interplay: error: [Errno 28] No space left on device"
    assert value_at(target) == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["report"]
