"""A report folder that appears whole or not at all: files are written into a hidden sibling folder, which
replaces the target only when the job has finished."""

from __future__ import annotations

import json
import shutil
import tempfile
from importlib import metadata
from pathlib import Path

from .divergence import finite_or_null


def versions() -> dict[str, str]:
    """Versions of the packages that made a result."""
    names = ("interplay", "jax", "jaxlib", "numpy", "scipy", "sympy", "matplotlib")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


class Report:
    """``with Report(folder) as report: report.write_text(...)``; the folder appears at the end of the block."""

    def __init__(self, folder: Path, config=None):
        self.folder = Path(folder)
        self.config = config
        self._staging: Path | None = None

    def __enter__(self) -> Report:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(dir=self.folder.parent, prefix=f".{self.folder.name}."))
        return self

    def __exit__(self, kind, value, traceback) -> None:
        staging, self._staging = self._staging, None
        if kind is not None:
            shutil.rmtree(staging, ignore_errors=True)
            return
        if self.folder.exists():
            old = Path(tempfile.mkdtemp(dir=self.folder.parent, prefix=f".{self.folder.name}.old."))
            self.folder.rename(old / self.folder.name)
            staging.rename(self.folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(self.folder)

    def path(self, name: str) -> Path:
        if self._staging is None:
            raise RuntimeError("write inside 'with report:'")
        return self._staging / name

    def write_text(self, name: str, text: str) -> None:
        self.path(name).write_text(text)

    def write_json(self, name: str, data) -> None:
        """Strict JSON that any parser reads: every non-finite float (a diverged quantity) becomes null."""
        text = json.dumps(finite_or_null(data), indent=2, sort_keys=True, allow_nan=False)
        self.path(name).write_text(text + "\n")

    def save_figure(self, name: str, figure) -> None:
        """Save and close the figure (a long job would otherwise keep every figure open)."""
        import matplotlib.pyplot as plt

        figure.savefig(self.path(name), dpi=120)
        plt.close(figure)
