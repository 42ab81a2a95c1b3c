"""The documentation site's build hooks (docs/hooks.py): docstrings as Markdown, and the executed notebooks the
site shows. The build itself, `mkdocs build --strict`, runs in .ci/run after the tests."""

import importlib.util
import json

import pytest
from mkdocs.exceptions import PluginError
from paths import ROOT

spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
hooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hooks)


def test_docstring_doctests_and_aligned_rows_are_fenced_prose_and_indented_code_are_not():
    text = (
        "See :func:`~interplay.theory.fixed_point`.\n\n"
        "Example\n-------\n>>> 1 + 1\n2\n\n"
        "mean: (T+1, K)     E[m_k]\n"
        "cov:  (T+1, K, K)  Cov(m_k, m_l)\n\n"
        "Prose that wraps\nonto a second line.\n\n"
        "    x_{t+1} = F(x_t)    (indented: code already)"
    )
    assert hooks._as_markdown(hooks.ROLE.sub(r"``\1``", text)).split("\n\n") == [
        "See ``interplay.theory.fixed_point``.",
        "Example\n-------",
        "```pycon\n>>> 1 + 1\n2\n```",
        "```text\nmean: (T+1, K)     E[m_k]\ncov:  (T+1, K, K)  Cov(m_k, m_l)\n```",
        "Prose that wraps\nonto a second line.",
        "    x_{t+1} = F(x_t)    (indented: code already)",
    ]


def _notebook(path, first_cell):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": [first_cell]}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


@pytest.mark.parametrize("executed_cell, error", [(None, "is missing"), ("# edited since", "is stale")])
def test_a_missing_or_stale_executed_notebook_stops_the_build(tmp_path, monkeypatch, executed_cell, error):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "build" / "notebooks").mkdir(parents=True)
    _notebook(tmp_path / "notebooks" / "tour.ipynb", "# A tour")
    if executed_cell is not None:
        _notebook(tmp_path / "build" / "notebooks" / "tour.ipynb", executed_cell)
    monkeypatch.setattr(hooks, "ROOT", tmp_path)
    monkeypatch.setattr(hooks, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(hooks, "EXECUTED", tmp_path / "build" / "notebooks")
    config = {"site_dir": str(tmp_path / "site"), "use_directory_urls": True}
    with pytest.raises(PluginError, match=f"build/notebooks/tour.ipynb {error}.*pytest tests/test_notebooks.py"):
        hooks.on_files(hooks.Files([]), config)
    _notebook(tmp_path / "build" / "notebooks" / "tour.ipynb", "# A tour")  # as the test writes it: added
    assert [f.src_uri for f in hooks.on_files(hooks.Files([]), config)] == ["notebooks/tour.ipynb"]


def test_every_registered_family_has_an_api_page_in_the_nav():
    from interplay.theory.registry import FAMILY_PACKAGES

    nav = (ROOT / "mkdocs.yml").read_text()
    for package in FAMILY_PACKAGES:
        page = ROOT / "docs" / "api" / f"{package}.md"
        assert page.exists() and f"api/{package}.md" in nav, f"{package}: no API page in mkdocs.yml's nav"
        assert f"::: interplay.theory.{package}" in page.read_text()
        assert f"::: interplay.numerics.{package}" in page.read_text()
