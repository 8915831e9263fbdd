"""`export`, `import` and `query` on the embedded store (the Bolt side: tests/integration)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.store import EmbeddedStore
from tests.unit.test_cli import run_cli


@pytest.fixture
def store(tmp_path: Path) -> Path:
    from tests.contract.test_store_contract import rich_graph

    path = tmp_path / "store"
    rich_graph(EmbeddedStore(path))
    return path


def test_export_then_import_round_trip(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "dump"
    code, out, err = run_cli(capsys, "export", "--out", str(dump), "--store", str(store), "--json")
    assert code == 0, err
    assert json.loads(out) == {
        "out": str(dump), "atoms": 4, "groups": 0, "seeds": 5, "edges": 2, "tasks": 2
    }  # fmt: skip
    target = tmp_path / "target"
    code, out, _ = run_cli(capsys, "import", str(dump), "--store", str(target), "--json")
    assert code == 0 and json.loads(out)["atoms"] == 4
    _, first, _ = run_cli(capsys, "stats", "--store", str(store), "--json")
    _, second, _ = run_cli(capsys, "stats", "--store", str(target), "--json")
    strip = lambda doc: {k: v for k, v in json.loads(doc).items() if k != "store"}  # noqa: E731
    assert strip(first) == strip(second)
    original, copied = EmbeddedStore(store), EmbeddedStore(target)
    assert sorted(a.model_dump_json() for a in original.iter_atoms()) == sorted(
        a.model_dump_json() for a in copied.iter_atoms()
    )


def test_import_refuses_a_non_empty_store_without_replace(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other"
    run_cli(capsys, "export", "--out", str(other), "--store", str(store))
    code, out, err = run_cli(capsys, "import", str(other), "--store", str(store))
    assert code == 2 and out == "" and "--replace" in err
    code, _, err = run_cli(capsys, "import", str(other), "--store", str(store), "--replace")
    assert code == 0, err
    assert EmbeddedStore(store).stats().atoms == 4


def test_export_refuses_an_existing_directory(
    store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep.txt").write_text("mine")
    code, _, err = run_cli(capsys, "export", "--out", str(busy), "--store", str(store))
    assert code == 2 and "not an empty directory" in err
    assert (busy / "keep.txt").read_text() == "mine"


def test_import_needs_a_dump(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "import", str(tmp_path), "--store", str(tmp_path / "s"))
    assert code == 2 and "no graph dump" in err


def test_query_on_embedded_store_runs_cypher_in_process(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "MATCH (a:Atom {slot: $slot}) RETURN a.name AS name, a.frequency AS seeds ORDER BY name"
    args = ("query", query, "--param", "slot=data_structure", "--store", str(store))
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["rows"] == [{"name": "deque", "seeds": 3}, {"name": "heap", "seeds": 1}]
    assert doc["count"] == 2 and doc["engine"] == "real_ladybug" and doc["rebuilt"] is True
    code, out, err = run_cli(capsys, *args, "--json", "--max-rows", "1")
    doc = json.loads(out)
    assert doc["count"] == 1 and doc["truncated"] is True and doc["rebuilt"] is False
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and out == "" and "deque" in err and "2 row(s)" in err


def test_query_on_embedded_store_refuses_writes_and_reports_engine_errors(
    store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, "query", "CREATE (:Seed {id: 'x'})", "--store", str(store), "--json"
    )
    assert code == 2 and out == "" and "read-only" in err and "adr-graph ingest" in err
    code, _, err = run_cli(capsys, "query", "MATCH (a) RETURN a", "--write", "--store", str(store))
    assert code == 2 and "read-only" in err and "--write" in err
    code, _, err = run_cli(capsys, "query", "MATCH (a:Atom RETURN a", "--store", str(store))
    assert code == 2 and "refused the query" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert EmbeddedStore(store).stats().seeds == 5


def test_query_needs_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "query", "RETURN 1", "--store", str(tmp_path / "none"))
    assert code == 2 and "no store at" in err


def test_unreachable_bolt_server_fails_fast_naming_the_uri(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("neo4j")
    code, _, err = run_cli(capsys, "stats", "--store", "bolt://127.0.0.1:9", "--json")
    assert code == 1 and "bolt://127.0.0.1:9" in err and "cannot reach" in err
