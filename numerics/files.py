"""Files that appear whole or not at all, with the permissions the user's umask gives any new file.

``write_atomically(path, write)`` calls ``write(stream)`` on a new file ``.NAME.interplay-partial-XXXXXXXX``
beside ``path`` and renames it over ``path`` when done; if ``write`` fails the partial file is removed. The
partial file is created with mode 0666 less the umask, as ``open`` would (``tempfile.mkstemp`` would make it 0600).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

PARTIAL = ".interplay-partial-"  # in the name of a file being written (a kill may leave one behind)


def partial_prefix(name: str) -> str:
    """How the names of the partial files of a file called ``name`` begin."""
    return f".{name}{PARTIAL}"


def fresh_path(folder: Path, stem: str) -> Path:
    """``folder / (stem + 8 random hex digits)``, a name nothing has yet."""
    while True:
        path = Path(folder) / f"{stem}{secrets.token_hex(4)}"
        if not os.path.lexists(path):
            return path


def write_atomically(path, write: Callable) -> None:
    """Create ``path`` (or replace the file there) with what ``write(binary stream)`` writes, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        partial = fresh_path(path.parent, partial_prefix(path.name))
        try:
            handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
