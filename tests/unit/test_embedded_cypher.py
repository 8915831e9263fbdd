"""Cypher on the embedded store: the cached database, its rebuild, and its refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from adr_graph.errors import InputError, StoreError
from adr_graph.records import Atom
from adr_graph.stages.query import query_graph
from adr_graph.store import EmbeddedStore, SeedAtoms, embedded_cypher
from adr_graph.store.embedded_cypher import EmbeddedCypher, snapshot_key
from tests.contract.test_store_contract import BFS, rich_graph

COUNT_SEEDS = "MATCH (s:Seed) RETURN count(s) AS n"


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    rich_graph(EmbeddedStore(path))
    return path


def count_seeds(root: Path) -> tuple[int, bool]:
    with EmbeddedCypher(root) as engine:
        return engine.query(COUNT_SEEDS).rows[0]["n"], engine.rebuilt


def test_database_is_cached_per_snapshot_and_rebuilt_after_ingest(store: Path) -> None:
    assert count_seeds(store) == (5, True)
    first = snapshot_key(store)
    assert count_seeds(store) == (5, False)
    graph = EmbeddedStore(store)
    graph.set_memberships([SeedAtoms(seed_id="s9", domain="algorithm", source="new",
                                     atom_ids=[BFS.id])])  # fmt: skip
    graph.commit()
    assert snapshot_key(store) != first
    assert count_seeds(store) == (6, True)
    cached = [p.name for p in (store / ".cypher").iterdir() if not p.name.startswith(".")]
    assert cached == [snapshot_key(store)]  # the stale database is gone


def test_an_interrupted_build_leaves_nothing_half_written(
    store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(root: Path, target: Path, engine: str) -> None:
        target.write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(embedded_cypher, "build_database", crash)
    with pytest.raises(KeyboardInterrupt), EmbeddedCypher(store) as engine:
        engine.query(COUNT_SEEDS)
    assert [p.name for p in (store / ".cypher").iterdir()] == [".lock"]
    monkeypatch.undo()
    assert count_seeds(store) == (5, True)


def test_parameters_are_data_not_cypher(store: Path) -> None:
    evil = "x'}) DETACH DELETE a //"
    with EmbeddedCypher(store) as engine:
        rows = engine.query("MATCH (a:Atom) WHERE a.name = $name RETURN a.id AS id", {"name": evil})
        assert rows.rows == []
        named = engine.query("MATCH (a:Atom {name: $name}) RETURN a.id AS id", {"name": "bfs"})
        assert named.rows == [{"id": BFS.id}]
    assert count_seeds(store)[0] == 5


def test_writes_are_refused_and_the_snapshot_is_untouched(store: Path) -> None:
    before = snapshot_key(store)
    with EmbeddedCypher(store) as engine:
        for statement in ("CREATE (:Seed {id: 'x'})", "MATCH (a:Atom) DETACH DELETE a"):
            with pytest.raises(InputError, match="read-only"):
                engine.query(statement)
        with pytest.raises(InputError, match="--write"):
            query_graph(engine, "MATCH (a) RETURN a", write=True)
    assert snapshot_key(store) == before and count_seeds(store)[0] == 5


def test_a_slow_query_is_stopped(tmp_path: Path) -> None:
    root = tmp_path / "store"
    graph = EmbeddedStore(root)
    atoms = [Atom(id=f"algorithm/technique/t{i}", domain="algorithm", slot="technique",
                  name=f"t{i}") for i in range(40)]  # fmt: skip
    graph.upsert_atoms(atoms)
    graph.set_memberships([SeedAtoms(seed_id="s", domain="algorithm", source="x",
                                     atom_ids=[a.id for a in atoms])])  # fmt: skip
    graph.commit()
    with EmbeddedCypher(root, timeout_s=0.2) as engine, pytest.raises(InputError, match="ran past"):
        engine.query("MATCH p = (:Atom)-[:CO_OCCURS*1..6]-(:Atom) RETURN count(p)")


def test_nodes_come_back_as_their_properties(store: Path) -> None:
    with EmbeddedCypher(store) as engine:
        node = engine.query("MATCH (a:Atom {id: $id}) RETURN a", {"id": BFS.id}).rows[0]["a"]
    assert node["id"] == BFS.id and node["aliases"] == ["BFS", "queue-bfs"] and "_id" not in node


def test_a_directory_without_a_store_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no graph here"):
        snapshot_key(tmp_path)


def test_a_store_that_cannot_hold_the_cache_is_named(store: Path) -> None:
    blocked = store / "not-a-directory"
    blocked.write_text("")
    with pytest.raises(StoreError, match="cannot write the Cypher cache"):
        EmbeddedCypher(store, cache=blocked / "cache").database_path()
