"""interplay reproduce: writes every promised file; its JSON numbers are the library's for the same spec and
seed; the same seed gives byte-identical JSON."""

import json

import numpy as np

from interplay.numerics import load_result
from interplay.numerics.cli.main import main
from interplay.numerics.cli.report import MARKER
from interplay.numerics.cli.reproduce import SETTINGS, two_task_plane
from interplay.numerics.linear.paper import two_task_experiment

ARGS = ["--rounds", "4", "--replicates", "200", "--grid", "5", "--seed", "3", "--quiet"]
FILES = {
    MARKER,
    "index.md",
    "result.json",
    "result.nc",
    "derivation.tex",
    "two_task.png",
    "cross_task_plane.png",
    "homogenisation_plane.png",
    "relative_efficiency.png",
}


def test_reproduce_writes_every_file_with_the_library_numbers_reproducibly(tmp_path):
    assert main(["reproduce", "--out", str(tmp_path / "a"), *ARGS]) == 0
    assert main(["reproduce", "--out", str(tmp_path / "b"), *ARGS]) == 0
    assert {p.name for p in (tmp_path / "a").iterdir()} == FILES
    first, second = (tmp_path / "a" / "result.json").read_bytes(), (tmp_path / "b" / "result.json").read_bytes()
    assert first == second  # same seed: byte-identical
    result = json.loads(first)
    assert result["seed"] == 3 and result["spec"]["family"]["name"] == "linear-gaussian"
    assert set(result["versions"]) >= {"jax", "sympy", "numpy"}

    experiment = two_task_experiment(SETTINGS, SETTINGS, rounds=4, replicates=200, key=3)
    for key in ("error", "spread", "mc_error", "mc_se"):
        np.testing.assert_array_equal(np.array(result["two_task"][key]), experiment[key])
    plane = two_task_plane(np.linspace(0, 1, 5), np.linspace(0, 1, 5))
    cross = np.array([[np.nan if v is None else v for v in row] for row in result["plane"]["cross"]])
    np.testing.assert_array_equal(cross, plane["cross"])
    assert load_result(tmp_path / "a" / "result.nc").attrs["seed"] == 3
    two_task = load_result(tmp_path / "a" / "result.nc", group="two_task")  # labelled: model 1 on task 2
    np.testing.assert_array_equal(
        two_task["error"].sel(alpha=0.5, beta=1.0, model=0, task=1), experiment["error"][1, 2, :, 0, 1]
    )
    np.testing.assert_array_equal(load_result(tmp_path / "a" / "result.nc", group="plane")["cross"], plane["cross"])

    findings = result["findings"]
    assert findings["transfer"]["end"] < findings["transfer"]["start"]  # model 1 learns task 2 through model 2
    assert findings["transfer"]["end_without_interaction"] == findings["transfer"]["start"]
    assert findings["harm_at_alpha_one"]["own_end"] > findings["harm_at_alpha_one"]["own_start"]
    assert result["closed_forms"]["unbiased"] is True
    page = (tmp_path / "a" / "index.md").read_text()
    assert all(f"({name})" in page for name in FILES if name.endswith(".png"))
    assert (tmp_path / "a" / "two_task.png").read_bytes()[:4] == b"\x89PNG"


def test_reproduce_rejects_bad_arguments_in_one_line(tmp_path, capsys):
    assert main(["reproduce", "--out", str(tmp_path / "x"), "--replicates", "0"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


def test_reproduce_writes_its_figures_in_the_format_asked_for(tmp_path):
    """--format pdf and svg end to end: every figure in that format (checked by its first bytes), none as png, and
    the page links the files written."""
    figures = {name for name in FILES if name.endswith(".png")}
    for fmt, first_bytes in (("pdf", b"%PDF"), ("svg", b"<?xml")):
        folder = tmp_path / fmt
        assert main(["reproduce", "--out", str(folder), *ARGS, "--format", fmt]) == 0
        written = {name.replace(".png", f".{fmt}") for name in figures}
        assert {p.name for p in folder.iterdir()} == (FILES - figures) | written
        assert all((folder / name).read_bytes().startswith(first_bytes) for name in written)
        page = (folder / "index.md").read_text()
        assert all(f"({name})" in page for name in written) and ".png" not in page
