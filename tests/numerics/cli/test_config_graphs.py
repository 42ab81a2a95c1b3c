"""Graphs of models in TOML configs: mixing as an edge list or a named generator (the matrix the library builds),
a K axis that builds W at each K by the config's generator, derive's trains-on-graph section (what
theory.trains_on_graph says), and bad graphs as one line naming the key as written."""

import json

import pytest
import sympy
from toml_configs import two_gaussians

from interplay.numerics.cli.config import load
from interplay.numerics.cli.main import main
from interplay.theory import graph_mixing, trains_on_graph

THREE = [{"mean": [m], "cov": [[1.0]]} for m in (-1.0, 0.0, 1.0)]


def config(tmp_path, mixing, population=False, private=THREE, **tables):
    """Three Gaussian models with this mixing (population: n omitted, the population limit)."""
    path = tmp_path / "graph.toml"
    text = two_gaussians(private=private, ecosystem={"mixing": mixing} | tables.pop("ecosystem", {}), **tables)
    path.write_text(text.replace('"n" = 20\n', "") if population else text)
    return path


def test_edge_lists_and_generators_in_a_config_give_the_library_matrix(tmp_path):
    half = sympy.Rational(1, 2)
    edges = load(config(tmp_path, {"edges": [[0, 1, "1/2"], [0, 0, 0.5], [1, 0, 1], [2, 2, 1]]})).ecosystem
    assert edges.mixing == sympy.Matrix([[half, half, 0], [1, 0, 0], [0, 0, 1]])
    shares = load(config(tmp_path, {"edges": [[0, 1], [0, 0], [1, 0], [2, 2]]})).ecosystem
    assert shares.mixing == edges.mixing
    ring = load(config(tmp_path, {"graph": "ring", "directed": True}, sweep={"axes": {"K": [3, 4]}}))
    assert ring.ecosystem.K == 3
    assert ring.ecosystem.mixing == graph_mixing("ring", 3, directed=True)
    assert ring.jobs["sweep"]["mixing"] == {"graph": "ring", "directed": True}  # the K axis builds W with it
    assert "mixing" not in load(config(tmp_path, {"graph": "ring"})).jobs["sweep"]


def test_derive_reports_the_trains_on_graph(tmp_path):
    path = config(tmp_path, {"edges": [[0, 1], [1, 0], [2, 0], [2, 2]]}, population=True, ecosystem={"alpha": 1})
    assert load(path).ecosystem.n is None
    assert main(["derive", str(path), "--out", str(tmp_path / "d"), "--quiet"]) == 0
    result = json.loads((tmp_path / "d" / "result.json").read_text())
    graph = trains_on_graph(load(path).ecosystem)
    assert result["trains_on_graph"] == graph.describe()
    assert [c["models"] for c in result["trains_on_graph"]["closed_classes"]] == [[0, 1]]
    assert result["trains_on_graph"]["closed_classes"][0]["real_data"] is False
    assert result["trains_on_graph"]["transient"] == [2] and result["trains_on_graph"]["transient_radius"] == 0.5
    text = (tmp_path / "d" / "derivation.txt").read_text()
    assert "Trains-on graph" in text and "closed class 0: models [0, 1], period 2" in text and "collapse" in text


@pytest.mark.parametrize(
    ("mixing", "tables", "command", "line"),
    [
        ({"graph": "ring", "degree": 2}, {}, "derive", "ecosystem.mixing.degree: unknown parameter of the ring"),
        ({"graph": "wheel"}, {}, "derive", "ecosystem.mixing.graph: unknown graph 'wheel'"),
        ({"edges": [[0, 3, 1], [1, 1, 1], [2, 2, 1]]}, {}, "derive", "ecosystem.mixing.edges[0]: model 3 does not"),
        ({"edges": [[0, 0], [1, 1]]}, {}, "derive", "ecosystem.mixing: row 2 is all zeros"),
        ({"edges": [[0, 0, 1], [1, 1, 0.5], [2, 2, 1]]}, {}, "derive", "ecosystem.mixing: must be row-stochastic"),
        (
            {"graph": "k_nearest", "degree": 2},
            {"sweep": {"axes": {"K": [3, 2]}}, "private": [THREE[0]] * 3},  # a K axis copies private[0]
            "sweep",
            "ecosystem.mixing.degree: the k_nearest graph's degree must lie in 1..K - 1 = 1, got 2 (W built for K = 2",
        ),
    ],
)
def test_bad_graphs_in_a_config_are_one_line_naming_the_key(tmp_path, capsys, mixing, tables, command, line):
    path = config(tmp_path, mixing, **tables)
    assert main([command, str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith(f"interplay: error: {line}"), errors
    assert not (tmp_path / "out").exists()
