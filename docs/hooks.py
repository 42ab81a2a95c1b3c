"""Build hooks of the documentation site (mkdocs.yml ``hooks``, and a griffe extension for mkdocstrings).

* The API reference reads the package as it installs: the distribution maps the folders theory/ and numerics/
  to ``interplay.theory`` and ``interplay.numerics`` (pyproject.toml ``package-dir``), which griffe cannot follow,
  so :func:`on_config` lays that package out in ``build/api-source/interplay`` (a copy of ``interplay/__init__.py``,
  links to the two folders) for mkdocstrings' ``paths``.
* The notebooks are shown as ``tests/test_notebooks.py`` executed them: that test writes each notebook, once its
  checks passed, to ``build/notebooks/`` (CI runs the tests before this build). :func:`on_files` adds those to the
  site and stops the build when one is missing or its cells differ from ``notebooks/`` (stale).
* :class:`DocstringMarkup` shows the docstrings' reStructuredText as Markdown: Sphinx roles (``:func:`name```) as
  code, doctest blocks (``>>>`` lines and their output) as Python console blocks, tables and aligned rows as
  preformatted text.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import griffe
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
API_SOURCE = ROOT / "build" / "api-source"
NOTEBOOKS = ROOT / "notebooks"
EXECUTED = ROOT / "build" / "notebooks"  # written by tests/test_notebooks.py
ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj|exc):`~?([^`]+)`")
ALIGNED = re.compile(r"\S {2,}\S")  # columns: two or more spaces inside a line
TABLE_RULE = re.compile(r"^=+( +=+)+\s*$")  # a reStructuredText simple table's rule


@event_priority(100)  # before mkdocstrings reads its paths
def on_config(config):
    package = API_SOURCE / "interplay"
    if package.exists():
        shutil.rmtree(package)
    package.mkdir(parents=True)
    # a copy, not a link: griffe would follow a linked __init__.py back to interplay/, which holds neither half
    shutil.copyfile(ROOT / "interplay" / "__init__.py", package / "__init__.py")
    for half in ("theory", "numerics"):
        (package / half).symlink_to(ROOT / half, target_is_directory=True)
    return config


def _cells(path: Path) -> list[tuple[str, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(cell["cell_type"], "".join(cell["source"])) for cell in cells]


@event_priority(100)  # before mkdocs-jupyter turns notebook files into pages
def on_files(files: Files, config) -> Files:
    for stored in sorted(NOTEBOOKS.glob("*.ipynb")):
        executed = EXECUTED / stored.name
        if not executed.exists():
            raise PluginError(
                f"{executed.relative_to(ROOT)} is missing: the site shows the notebooks as the tests executed them; "
                f"run `python -m pytest tests/test_notebooks.py` first"
            )
        if _cells(executed) != _cells(stored):
            raise PluginError(
                f"{executed.relative_to(ROOT)} is stale (its cells differ from {stored.relative_to(ROOT)}); "
                f"run `python -m pytest tests/test_notebooks.py` again"
            )
        files.append(
            File(f"notebooks/{stored.name}", str(EXECUTED.parent), config["site_dir"], config["use_directory_urls"])
        )
    return files


def _as_markdown(text: str) -> str:
    """The blocks of a docstring (between blank lines) that Markdown would run together, fenced: a doctest (from
    its first ``>>>`` line) as ``pycon``; an unindented block laid out in columns (a reST table, rows of aligned
    ``name: shape  meaning``) as preformatted text. Indented blocks are code to Markdown already."""
    blocks = []
    for block in re.split(r"\n\s*\n", text):
        lines = block.split("\n")
        doctest = next((i for i, line in enumerate(lines) if line.lstrip().startswith(">>>")), None)
        if doctest is not None:
            indent = lines[doctest][: len(lines[doctest]) - len(lines[doctest].lstrip())]
            prose = [*lines[:doctest], ""] if doctest else []
            blocks.append("\n".join([*prose, f"{indent}```pycon", *lines[doctest:], f"{indent}```"]))
        elif not block.startswith((" ", "\t")) and (
            sum(bool(ALIGNED.search(line)) for line in lines) >= 2 or any(TABLE_RULE.match(line) for line in lines)
        ):
            blocks.append("\n".join(["```text", *lines, "```"]))
        else:
            blocks.append(block)
    return "\n\n".join(blocks)


class DocstringMarkup(griffe.Extension):
    """reStructuredText in docstrings as Markdown: ``:func:`interplay.theory.fixed_point``` becomes inline code,
    a doctest a fenced Python console block (Markdown would read its ``>>>`` as nested quotes), a table or aligned
    rows preformatted text (Markdown would join their lines)."""

    def on_object(self, *, obj: griffe.Object, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _as_markdown(ROLE.sub(r"``\1``", obj.docstring.value))
