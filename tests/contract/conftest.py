"""Store factories for the contract suite: every store must pass the same tests.

The Neo4j/Bolt backend joins the ``params`` list when it lands (issue 4).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from adr_graph.store import EmbeddedStore, GraphStore


class StoreHarness:
    """Creates a fresh store and reopens it from its persisted state."""

    def __init__(self, kind: str, root: Path) -> None:
        self.kind = kind
        self.root = root

    def fresh(self) -> GraphStore:
        return EmbeddedStore(self.root / "store")

    def reopen(self, store: GraphStore) -> GraphStore:
        store.commit()
        store.close()
        return EmbeddedStore(self.root / "store")


@pytest.fixture(params=["embedded"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreHarness]:
    yield StoreHarness(request.param, tmp_path)


@pytest.fixture
def make_store(harness: StoreHarness) -> Callable[[], GraphStore]:
    return harness.fresh
