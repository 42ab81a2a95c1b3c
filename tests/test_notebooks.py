"""Every notebook runs from a clean kernel, and its closing cell's assertions (the numbers it shows) hold.

A notebook whose checks pass is written with its outputs to build/notebooks/, where the documentation site reads
it (docs/hooks.py): the site shows what the tests ran, and its build executes nothing.
"""

import os

import nbformat
import pytest
from nbclient import NotebookClient
from paths import EXECUTED_NOTEBOOKS, ROOT

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
    _write_for_the_docs(notebook, path.name)


def _write_for_the_docs(notebook, name):
    EXECUTED_NOTEBOOKS.mkdir(parents=True, exist_ok=True)
    partial = EXECUTED_NOTEBOOKS / f".{name}.{os.getpid()}"  # whole or not at all, whichever worker writes
    nbformat.write(notebook, partial)
    os.replace(partial, EXECUTED_NOTEBOOKS / name)
