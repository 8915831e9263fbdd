"""Session fixtures shared by the contract and integration suites."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator

import pytest

from adr_graph.store import BoltSettings


def _require_bolt() -> bool:
    return os.environ.get("ADR_GRAPH_REQUIRE_BOLT") == "1"


@pytest.fixture(scope="session")
def bolt_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoltSettings]:
    """A running ArcadeDB Bolt server for the whole session."""
    missing = [m for m in ("neo4j", "arcadedb_embedded") if importlib.util.find_spec(m) is None]
    if missing:
        message = f"{', '.join(missing)} not installed; run `scripts/arcadedb.sh install`"
        if _require_bolt():
            pytest.fail(message)
        pytest.skip(message)
    from tests.support.arcadedb import start_arcadedb

    server = start_arcadedb(tmp_path_factory.mktemp("arcadedb"))
    try:
        yield BoltSettings(
            uri=server.uri, user=server.user, password=server.password, database=server.database
        )
    finally:
        server.stop()
