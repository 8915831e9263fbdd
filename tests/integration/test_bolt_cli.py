"""The CLI against a real Bolt server (ArcadeDB from the project's own set-up)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.store import BoltSettings, EmbeddedStore
from tests.contract.test_store_contract import rich_graph, snapshot_of
from tests.unit.test_cli import run_cli
from tests.unit.test_corpora import WHEEL_NAMES, make_wheel

RAREST_PAIRS = (
    (Path(__file__).resolve().parents[2] / "schema" / "README.md")
    .read_text()
    .split("```cypher\n")[1]
    .split("```")[0]
)


@pytest.fixture
def bolt_env(bolt_settings: BoltSettings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    from adr_graph.store.bolt import Neo4jStore

    monkeypatch.setenv("NEO4J_USER", bolt_settings.user)
    monkeypatch.setenv("NEO4J_PASSWORD", bolt_settings.password)
    monkeypatch.setenv("NEO4J_DATABASE", bolt_settings.database or "")
    monkeypatch.setenv("ADR_GRAPH_CACHE", str(tmp_path / "cache"))
    with Neo4jStore(bolt_settings) as store:
        store.clear()
    return bolt_settings.uri


def test_import_query_export_round_trip(
    bolt_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = rich_graph(EmbeddedStore(tmp_path / "src"))
    code, out, err = run_cli(capsys, "import", str(tmp_path / "src"), "--store", bolt_env, "--json")
    assert code == 0, err
    assert json.loads(out)["atoms"] == 4

    code, out, err = run_cli(
        capsys,
        "query",
        RAREST_PAIRS,
        "--param",
        "slot=data_structure",
        "--param",
        "limit=5",
        "--store",
        bolt_env,
        "--json",
    )
    assert code == 0, err
    rows = json.loads(out)["rows"]
    # deque/heap never meet; deque pairs with bfs (3 seeds after the merge) and grid (1)
    assert [(r["atom_a"], r["atom_b"], r["seeds"]) for r in rows][:1] == [
        ("algorithm/data_structure/deque", "algorithm/scenario/grid", 1)
    ]
    assert all(r["npmi"] is not None for r in rows)  # refreshed by commit()

    code, out, err = run_cli(
        capsys, "query", "RETURN $x AS x", "-p", 'x={"k": [1, 2]}', "--store", bolt_env, "--json"
    )
    assert code == 0 and json.loads(out)["rows"] == [{"x": {"k": [1, 2]}}]

    code, _, err = run_cli(capsys, "query", "MATCH (a:Atom RETURN a", "--store", bolt_env)
    assert code == 1 and bolt_env in err and "Traceback" not in err

    dump = tmp_path / "back"
    code, _, err = run_cli(capsys, "export", "--out", str(dump), "--store", bolt_env)
    assert code == 0, err
    assert snapshot_of(EmbeddedStore(dump)) == snapshot_of(source)


def test_run_on_a_bolt_store(
    bolt_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheels = tmp_path / "cache" / "wheels"
    wheels.mkdir(parents=True)
    for name in WHEEL_NAMES:
        make_wheel(name, wheels)
    code, out, err = run_cli(
        capsys, "run", "--store", bolt_env, "--cache", str(tmp_path / "cache"), "--json"
    )
    assert code == 0, err
    doc = json.loads(out)
    stats = doc["stats"]
    assert stats["seeds"] == 14 and stats["embedded_atoms"] == stats["atoms"] > 0
    assert stats["cooccurrence_edges"] > 0
    # the same pipeline on the embedded store gives the same graph
    code, out, _ = run_cli(
        capsys,
        "run",
        "--store",
        str(tmp_path / "emb"),
        "--cache",
        str(tmp_path / "cache"),
        "--json",
    )
    embedded = json.loads(out)["stats"]
    assert {k: v for k, v in embedded.items() if k != "store"} == {
        k: v for k, v in stats.items() if k != "store"
    }


def test_the_bolt_schema_is_set_up_once_per_process(
    bolt_env: str,
    bolt_settings: BoltSettings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from adr_graph.store.bolt import Neo4jStore, forget_schema

    forget_schema()
    calls: list[str] = []
    real = Neo4jStore.ensure_schema

    def counting(self: Neo4jStore, vector_dimensions: int | None = None) -> list[str]:
        calls.append(self.location)
        return real(self, vector_dimensions)

    monkeypatch.setattr(Neo4jStore, "ensure_schema", counting)
    rich_graph(EmbeddedStore(tmp_path / "src"))
    code, _, err = run_cli(capsys, "import", str(tmp_path / "src"), "--store", bolt_env)
    assert code == 0, err
    for _ in range(2):
        code, _, err = run_cli(capsys, "stats", "--store", bolt_env, "--json")
        assert code == 0, err
    assert len(calls) == 1
