"""A real ArcadeDB server over Bolt: start it with scripts/arcadedb.sh, write, read, stop.

Skipped when ``arcadedb-embedded`` (or the ``neo4j`` driver) is not installed, unless
``ADR_GRAPH_REQUIRE_BOLT=1``, which makes that a failure.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from tests.support.arcadedb import (
    ArcadeServer,
    arcadedb_available,
    process_alive,
    reset_database,
    start_arcadedb,
)

pytestmark = pytest.mark.slow

SCHEMA = [
    "CREATE CONSTRAINT atom_id IF NOT EXISTS FOR (a:Atom) REQUIRE a.id IS UNIQUE",
    "CREATE INDEX atom_slot IF NOT EXISTS FOR (a:Atom) ON (a.slot)",
]
MERGE_ATOMS = "UNWIND $rows AS r MERGE (a:Atom {id: r.id}) ON CREATE SET a.name = r.name"
BATCH = 1000


def _require_server() -> None:
    missing = [
        name
        for name, ok in (
            ("arcadedb-embedded", arcadedb_available()),
            ("neo4j", importlib.util.find_spec("neo4j") is not None),
        )
        if not ok
    ]
    if missing:
        message = f"{', '.join(missing)} not installed; run `scripts/arcadedb.sh install`"
        if os.environ.get("ADR_GRAPH_REQUIRE_BOLT") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _write(driver: Any, server: ArcadeServer, cypher: str, **params: Any) -> dict[str, int]:
    """Run one statement in a managed write transaction; return the summary counters."""

    def work(tx: Any) -> dict[str, int]:
        counters = tx.run(cypher, params).consume().counters
        return {
            "nodes_created": counters.nodes_created,
            "properties_set": counters.properties_set,
            "constraints_added": counters.constraints_added,
            "indexes_added": counters.indexes_added,
        }

    with driver.session(database=server.database) as session:
        return session.execute_write(work)  # type: ignore[no-any-return]


def _read(driver: Any, server: ArcadeServer, cypher: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(cypher, params, database_=server.database)
    return [record.data() for record in records]


def _create_schema(driver: Any, server: ArcadeServer) -> list[dict[str, int]]:
    return [_write(driver, server, statement) for statement in SCHEMA]


def test_arcadedb_bolt_round_trip(tmp_path: Path) -> None:
    _require_server()
    import neo4j

    server = start_arcadedb(tmp_path / "arcadedb")
    try:
        assert server.running()
        driver = neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password))
        try:
            driver.verify_connectivity()

            # named schema statements are idempotent
            first, second = _create_schema(driver, server), _create_schema(driver, server)
            assert [c["constraints_added"] + c["indexes_added"] for c in first] == [1, 1]
            assert [c["constraints_added"] + c["indexes_added"] for c in second] == [0, 0]
            constraints = _read(driver, server, "SHOW CONSTRAINTS YIELD name RETURN name")
            assert [row["name"] for row in constraints] == ["atom_id"]
            indexes = _read(driver, server, "SHOW INDEXES YIELD name RETURN name")
            assert "atom_slot" in {row["name"] for row in indexes}

            # UNWIND/MERGE in managed transactions, batches of BATCH rows
            rows = [{"id": f"atom-{i:04d}", "name": f"name {i}"} for i in range(2 * BATCH + 17)]
            created = sum(
                _write(driver, server, MERGE_ATOMS, rows=rows[i : i + BATCH])["nodes_created"]
                for i in range(0, len(rows), BATCH)
            )
            assert created == len(rows)
            again = _write(driver, server, MERGE_ATOMS, rows=rows[:BATCH])
            assert again["nodes_created"] == 0 and again["properties_set"] == 0

            # parameterised read-back and count(*)
            got = _read(
                driver, server, "MATCH (a:Atom {id: $id}) RETURN a.name AS name", id="atom-1234"
            )
            assert got == [{"name": "name 1234"}]
            counted = _read(driver, server, "MATCH (a:Atom) RETURN count(*) AS n")
            assert counted == [{"n": len(rows)}]

            # the uniqueness constraint is enforced, and reported as a ConstraintError
            with pytest.raises(neo4j.exceptions.ConstraintError):
                _write(driver, server, "CREATE (:Atom {id: $id})", id="atom-0000")

            # reset: empty database, empty schema, the same driver keeps working
            reset_database(server)
            assert _read(driver, server, "MATCH (n) RETURN count(*) AS n") == [{"n": 0}]
            assert _read(driver, server, "SHOW CONSTRAINTS YIELD name RETURN name") == []
            recreated = _create_schema(driver, server)
            assert [c["constraints_added"] + c["indexes_added"] for c in recreated] == [1, 1]
        finally:
            driver.close()
    finally:
        server.stop()

    assert not server.running()
    assert not (server.state_dir / "server.pid").exists()
    assert server.pid > 0 and not process_alive(server.pid)
