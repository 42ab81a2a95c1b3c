"""Every notebook runs from a clean kernel, and its closing cell's assertions (the numbers it shows) hold."""

import nbformat
import pytest
from nbclient import NotebookClient
from paths import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert {p.stem for p in NOTEBOOKS} >= {"tour", "collapse_classics"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_its_checks_pass(path):
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    last = notebook.cells[-1]
    assert last.cell_type == "code" and "assert" in last.source
    printed = "".join(output.get("text", "") for output in last.outputs if output.output_type == "stream")
    assert "all checks passed" in printed
