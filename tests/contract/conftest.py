"""Store factories for the contract suite: every store must pass the same tests.

Backends:

- ``embedded``: always.
- ``bolt``: a real ArcadeDB server with its Bolt endpoint, started once per test
  session by ``scripts/arcadedb.sh`` (skipped when ``arcadedb-embedded`` or the ``neo4j``
  driver is not installed, unless ``ADR_GRAPH_REQUIRE_BOLT=1``, which makes that a failure).
- ``neo4j``: the server at ``NEO4J_URI`` (``NEO4J_USER``, ``NEO4J_PASSWORD``,
  ``NEO4J_DATABASE``) when that variable is set. Its contents are deleted.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adr_graph.store import BoltSettings, EmbeddedStore, GraphStore

BACKENDS = ["embedded", "bolt", *(["neo4j"] if os.environ.get("NEO4J_URI") else [])]


def neo4j_settings() -> BoltSettings:
    return BoltSettings(
        uri=os.environ["NEO4J_URI"],
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD", ""),
        database=os.environ.get("NEO4J_DATABASE") or None,
    )


class StoreHarness:
    """Creates a fresh (empty) store and reopens it from its persisted state."""

    def __init__(self, kind: str, root: Path, bolt: BoltSettings | None = None) -> None:
        self.kind = kind
        self.root = root
        self.bolt = bolt
        self._open: list[GraphStore] = []

    def _new(self) -> GraphStore:
        if self.bolt is None:
            return EmbeddedStore(self.root / "store")
        from adr_graph.store.bolt import Neo4jStore

        store = Neo4jStore(self.bolt)
        self._open.append(store)
        return store

    def fresh(self) -> GraphStore:
        store = self._new()
        if self.bolt is not None:
            store.clear()  # type: ignore[attr-defined]
        return store

    def reopen(self, store: GraphStore) -> GraphStore:
        store.commit()
        store.close()
        return self._new()

    def close(self) -> None:
        for store in self._open:
            store.close()


@pytest.fixture(params=BACKENDS)
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreHarness]:
    bolt: BoltSettings | None = None
    if request.param == "bolt":
        bolt = request.getfixturevalue("bolt_settings")
    elif request.param == "neo4j":
        bolt = neo4j_settings()
    harness = StoreHarness(request.param, tmp_path, bolt)
    yield harness
    harness.close()


@pytest.fixture
def make_store(harness: StoreHarness) -> Callable[[], GraphStore]:
    return harness.fresh
