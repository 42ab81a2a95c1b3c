"""Report folders: written whole or not at all, never in place of anything this tool did not write.

A report is a folder holding the marker file ``.interplay-report`` (JSON: tool, version, command, time and the
names of the files the report holds). ``Report(PATH)`` (``--out PATH``) accepts

* a path where nothing exists (missing parent folders are created, and removed again if the job fails);
* with ``force=True`` (``--force``), an earlier report: a folder with a marker, holding only the files it lists.

Anything else is refused with an :class:`OutputError` before anything is written: a folder of other files, a
file, a symbolic link, ``.``, ``..``, the working folder or one of its parents, a path under a file or under a
folder that cannot be written.

Protocol, for PATH = P/N (every step renames within P, so each is atomic):

1. Reserve (:meth:`Report.reserved`): take an exclusive ``fcntl.flock`` on ``P/.N.interplay-lock`` -- a second
   run on the same PATH fails at once -- then recover what an interrupted run left (step 5) and check PATH.
2. Stage (``with report:``): create ``P/.N.interplay-staging-XXXXXXXX`` (mode 0777 less the umask) and its
   marker; the job writes its files there.
3. Swap, when the block ends without an exception: write the final marker; check PATH again; rename an
   earlier report at PATH to ``P/.N.interplay-old-XXXXXXXX``; rename the staging folder to PATH; delete the
   old folder, its marker last (a partly deleted folder stays recognisable). If the block raised (or the run
   is abandoned, :meth:`Report.abandon`, on Ctrl-C or SIGTERM), the staging folder is deleted instead.
4. Release: delete the lock file while holding the lock (a run that locked the deleted file notices and
   retries) and unlock.
5. Recover (in step 1, under the lock): a kill between the two renames of step 3 leaves no PATH and an old
   folder; it is renamed back to PATH. Every other old or staging folder of N (so named, and holding a marker,
   or nothing but a marker being written) is deleted.

So at every instant PATH holds the earlier report or the new one, or (between the two renames of step 3)
nothing, with the earlier report beside it for step 5 to restore.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from interplay.numerics.files import fresh_path, partial_prefix, write_atomically
from interplay.numerics.provenance import strict_json, versions

MARKER = ".interplay-report"
TOOL = "interplay"


class OutputError(ValueError):
    """The report cannot go where it was asked to; the message names the option (``--out`` in the CLI)."""

    def __init__(self, option: str, problem: str):
        super().__init__(f"{option}: {problem}")


def read_marker(folder: Path) -> dict | None:
    """The marker of a report this tool wrote in ``folder``, else None."""
    try:
        marker = json.loads((Path(folder) / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and marker.get("tool") == TOOL else None


def _delete_report_folder(folder: Path) -> None:
    """Delete a folder this tool wrote, its marker last."""
    for entry in os.scandir(folder):
        if entry.name == MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(folder / MARKER)
    os.rmdir(folder)


def _is_leftover(path: Path) -> bool:
    """A staging or old folder an interrupted run left: a real folder holding a marker, or nothing but perhaps a
    marker being written."""
    if path.is_symlink() or not path.is_dir():
        return False
    names = os.listdir(path)
    return MARKER in names or all(name.startswith(partial_prefix(MARKER)) for name in names)


class Report:
    """``with Report(folder) as report: report.write_text(...)``; the folder appears at the end of the block.

    ``force``: may replace an earlier report; ``command``: recorded in the marker; ``option``: the name errors
    give the folder (``--out`` in the CLI); ``figure_format``: the file format of its
    figures (``--format``). See the module doc for what may be replaced and how.
    """

    def __init__(
        self,
        folder,
        *,
        force: bool = False,
        command: str | None = None,
        option: str = "folder",
        figure_format: str = "png",
    ):
        self.folder = Path(folder)
        self.figure_format = figure_format
        self.force = force
        self.command = command
        self.option = option
        self.installed = False  # the new report is at the target
        self._target = Path(os.path.abspath(self.folder))
        self._lock: int | None = None
        self._created: list[Path] = []  # parent folders this run made
        self._staging: Path | None = None
        self._abandoned = False
        self._swap = threading.Lock()  # abandon() (another thread) never runs in the middle of a swap
        self._stack: contextlib.ExitStack | None = None

    def _error(self, problem: str) -> OutputError:
        return OutputError(self.option, problem)

    def _name(self, kind: str) -> str:
        return f".{self._target.name}.interplay-{kind}"

    # -- step 1: reserve ------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def reserved(self):
        """Hold the target (checked, locked, recovered) for the block; reentrant."""
        if self._lock is not None:
            yield self
            return
        self._reserve()
        try:
            yield self
        finally:
            self._release()

    def _reserve(self) -> None:
        if self.folder.name in ("", ".", ".."):
            raise self._error(f"{str(self.folder)!r} is not a new folder's name; give one")
        parent = self._target.parent
        here = Path.cwd().resolve()
        real = parent.resolve() / self._target.name
        if real == here or real in here.parents:
            raise self._error(f"{self.folder} is the working folder or one of its parents; give a new folder")
        self._make_parents(parent)
        try:
            self._lock = self._take_lock(parent / self._name("lock"))
            self._recover(parent)
            self._check_target()
        except BaseException as error:
            self._release()
            if isinstance(error, OSError):
                raise self._error(f"cannot use {self.folder}: {error}") from None
            raise

    def _make_parents(self, parent: Path) -> None:
        missing = []
        existing = parent
        while not os.path.lexists(existing):
            missing.append(existing)
            existing = existing.parent
        if not existing.is_dir():
            raise self._error(f"cannot create {self.folder}: {existing} is not a folder")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise self._error(f"cannot create {self.folder}: {existing} is not writable")
        for folder in reversed(missing):
            try:
                os.mkdir(folder)
            except OSError as error:
                self._remove_made_parents()
                raise self._error(f"cannot create {folder}: {error.strerror}") from None
            self._created.append(folder)

    def _take_lock(self, path: Path) -> int:
        while True:
            try:
                handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as error:
                raise self._error(f"cannot write in {path.parent}: {error.strerror}") from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(handle)
                if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise self._error(f"cannot lock {path}: {error.strerror}") from None
                raise self._error(
                    f"another interplay run is writing {self.folder} now; wait for it or choose another folder"
                ) from None
            try:
                current = os.stat(path).st_ino == os.fstat(handle).st_ino
            except FileNotFoundError:
                current = False
            if current:
                return handle
            os.close(handle)  # the lock file was deleted by the run that held it: lock the new one

    def _recover(self, parent: Path) -> None:
        """Step 5 of the protocol."""
        prefix = self._name("")
        olds, stagings = [], []
        for entry in parent.iterdir():
            if entry.name.startswith(prefix + "old-") and _is_leftover(entry):
                olds.append(entry)
            elif entry.name.startswith(prefix + "staging-") and _is_leftover(entry):
                stagings.append(entry)
        restorable = [old for old in olds if read_marker(old) is not None]
        if restorable and not os.path.lexists(self._target):
            latest = max(restorable, key=lambda old: str(read_marker(old).get("created")))
            os.rename(latest, self._target)
            olds.remove(latest)
        for leftover in olds + stagings:
            _delete_report_folder(leftover)

    def _check_target(self) -> None:
        """Nothing at the target, or an earlier report holding only its own files and ``force``."""
        target, shown = self._target, self.folder
        if target.is_symlink():
            raise self._error(f"{shown} is a symbolic link; give a folder path")
        if not os.path.lexists(target):
            return
        if not target.is_dir():
            raise self._error(f"{shown} is a file, not a report folder; give a new folder")
        marker = read_marker(target)
        if marker is None:
            raise self._error(f"{shown} exists and is not a report this tool wrote; give a new folder")
        foreign = sorted(set(os.listdir(target)) - set(marker.get("files", [])) - {MARKER})
        if foreign:
            listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise self._error(f"{shown} holds files this tool did not write ({listed}); move them or give a new folder")
        if not self.force:
            raise self._error(f"{shown} holds an earlier report; pass --force (force=True) to replace it")

    # -- steps 2 and 3: stage and swap ----------------------------------------------------------------------

    def __enter__(self) -> Report:
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(self.reserved())
        try:
            staging = fresh_path(self._target.parent, self._name("staging-"))
            os.mkdir(staging)  # mode 0777 less the umask
            self._staging = staging
            self._write_marker(staging, [])
        except BaseException:
            self._discard()
            self._stack.close()
            raise
        return self

    def __exit__(self, kind, value, traceback) -> None:
        try:
            if kind is None:
                self._install()
            else:
                self._discard()
        finally:
            self._stack.close()

    def _write_marker(self, folder: Path, files: list[str]) -> None:
        marker = {
            "tool": TOOL,
            "version": versions()["interplay"],
            "command": self.command,
            "created": datetime.now(UTC).isoformat(timespec="microseconds"),
            "files": files,
        }
        write_atomically(folder / MARKER, lambda stream: stream.write(json.dumps(marker, indent=2).encode()))

    def _install(self) -> None:
        with self._swap:
            staging, self._staging = self._staging, None
            if staging is None or self._abandoned:
                return
            try:
                self._write_marker(staging, sorted(name for name in os.listdir(staging) if name != MARKER))
                self._check_target()  # nothing appeared at the target behind our back
            except BaseException:
                _delete_report_folder(staging)
                raise
            if not os.path.lexists(self._target):
                os.rename(staging, self._target)
                self.installed = True
                return
            old = fresh_path(self._target.parent, self._name("old-"))
            os.rename(self._target, old)
            try:
                os.rename(staging, self._target)
            except BaseException:
                os.rename(old, self._target)
                _delete_report_folder(staging)
                raise
            self.installed = True
            _delete_report_folder(old)

    def _discard(self) -> None:
        with self._swap:
            staging, self._staging = self._staging, None
            if staging is not None:
                with contextlib.suppress(OSError):
                    _delete_report_folder(staging)

    # -- step 4: release ------------------------------------------------------------------------------------

    def _release(self) -> None:
        handle, self._lock = self._lock, None
        if handle is not None:
            path = self._target.parent / self._name("lock")
            with contextlib.suppress(OSError):
                if os.stat(path).st_ino == os.fstat(handle).st_ino:
                    os.unlink(path)
            os.close(handle)
        if not self.installed:
            self._remove_made_parents()

    def _remove_made_parents(self) -> None:
        while self._created:
            with contextlib.suppress(OSError):
                os.rmdir(self._created.pop())

    def abandon(self) -> None:
        """Stop now (Ctrl-C, SIGTERM), from any thread: delete the staging folder, release the target."""
        with self._swap:
            self._abandoned = True
        self._discard()
        self._release()

    # -- writing ----------------------------------------------------------------------------------------------

    def path(self, name: str) -> Path:
        if self._staging is None:
            raise RuntimeError("write inside 'with report:'")
        return self._staging / name

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text)

    def write_json(self, name: str, data) -> None:
        """Strict JSON that any parser reads: every non-finite float (a diverged quantity) becomes null."""
        self.path(name).write_text(strict_json(data) + "\n")

    def write_netcdf(self, name: str, data, **attrs) -> None:
        """Labelled results (a result, an ``xarray.Dataset`` or ``{group: either}``) as netCDF, ``attrs`` on the
        file's root (:func:`numerics.labelled.save_result`)."""
        from interplay.numerics.labelled import save_result

        save_result(self.path(name), data, **attrs)

    def save_figure(self, stem: str, figure) -> str:
        """Save the figure as ``stem`` + the report's ``figure_format`` (png, pdf or svg:
        :func:`numerics.figure_style.save`) and close it (a long job would otherwise keep every figure open);
        returns the file name."""
        import matplotlib.pyplot as plt

        from interplay.numerics.figure_style import save

        name = f"{stem}.{self.figure_format}"
        try:
            save(figure, self.path(name), self.figure_format)
        finally:
            plt.close(figure)
        return name
