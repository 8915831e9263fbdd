"""The example queries of ``schema/README.md`` give the same rows on every backend.

The embedded store answers them in-process (``EmbeddedCypher``, LadybugDB); a Bolt
store answers them on the server. The graph holds every node label, relationship type
and property the README's graph model names, a hierarchy included.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from adr_graph.records import Atom, AtomEdge
from adr_graph.reports.graph import comparable_rows, example_queries
from adr_graph.store import EmbeddedStore, GraphStore, SeedAtoms
from adr_graph.store.embedded_cypher import EmbeddedCypher

from .conftest import StoreHarness
from .test_store_contract import BFS, DEQUE, atom, rich_graph

PARAMS: dict[str, Any] = {
    "slot": "data_structure",
    "limit": 20,
    "atom": BFS.id,
    "domain": "algorithm",
    "source": "other",
    "min": 0.5,
    "area": "graph algorithms",
    "capability": "weather",
}


QUERIES = example_queries()


def tool(name: str, level: int = 0, **extra: Any) -> Atom:
    prefix = {0: "", 1: "group:", 2: "area:"}[level]
    return Atom(
        id=f"tool_usage/tool/{prefix}{name.replace(' ', '-')}",
        domain="tool_usage",
        slot="tool",
        name=name,
        level=level,
        **extra,
    )


def cypher_graph(store: GraphStore) -> GraphStore:
    """rich_graph plus a technique hierarchy and a tool family under a capability."""
    rich_graph(store)
    family = atom("technique", "group:graph-search", level=1)
    area = atom("technique", "area:graph-algorithms", level=2)
    family = family.model_copy(update={"name": "graph search"})
    area = area.model_copy(update={"name": "graph algorithms"})
    tools = [tool("get weather"), tool("get forecast", embedding=[0.1, 0.2])]
    api, capability = tool("weather api", 1), tool("weather", 2)
    store.upsert_atoms([family, area, *tools, api, capability])
    seeds = [
        SeedAtoms(seed_id="t1", domain="tool_usage", source="bfcl", atom_ids=[t.id for t in tools]),
        SeedAtoms(
            seed_id="t2",
            domain="tool_usage",
            source="bfcl",
            atom_ids=[tools[0].id],
            details=["tool_usage/tool/run-microwave"],
        ),
    ]
    store.set_memberships(seeds)
    is_a = [(BFS, family), (family, area), (tools[0], api), (tools[1], api), (api, capability)]
    store.upsert_edges(
        [AtomEdge(a=f.id, b=c.id, type="IS_A", source="hierarchy") for f, c in is_a]
        + [AtomEdge(a=DEQUE.id, b=BFS.id, type="SIMILAR", score=0.62, source="minilm")]
    )
    store.commit()
    return store


def used(statement: str) -> dict[str, Any]:
    return {k: v for k, v in PARAMS.items() if f"${k}" in statement}


@pytest.fixture(scope="module")
def embedded_rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    root = tmp_path_factory.mktemp("cypher") / "store"
    cypher_graph(EmbeddedStore(root))
    with EmbeddedCypher(root) as engine:
        return {title: engine.query(q, used(q)).rows for title, q in QUERIES.items()}


def test_the_readme_has_its_example_queries() -> None:
    assert len(QUERIES) >= 9
    assert "Coverage by slot" in QUERIES and "Tool families of a capability" in QUERIES


@pytest.mark.parametrize("title", sorted(QUERIES))
def test_example_query_gives_the_same_rows_on_every_backend(
    title: str, harness: StoreHarness, embedded_rows: dict[str, list[dict[str, Any]]]
) -> None:
    statement = QUERIES[title]
    expected = embedded_rows[title]
    assert expected, f"{title}: no rows on the test graph; the comparison would be empty"
    store = cypher_graph(harness.fresh())
    if harness.bolt is None:
        store.close()
        with EmbeddedCypher(harness.root / "store") as engine:
            rows = engine.query(statement, used(statement)).rows
    else:
        rows = store.cypher(statement, used(statement))  # type: ignore[attr-defined]
    assert comparable_rows(rows) == comparable_rows(expected)


def test_properties_match_the_graph_model(
    embedded_rows: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Frequencies, merge evidence, co-occurrence statistics and tasks, as Bolt holds them."""
    coverage = {(r["domain"], r["slot"]): r for r in embedded_rows["Coverage by slot"]}
    assert coverage[("algorithm", "technique")]["memberships"] == 4  # bfs: s1, s2, s4, s5
    assert coverage[("tool_usage", "tool")] == {
        "domain": "tool_usage", "slot": "tool", "atoms": 2, "memberships": 3, "singletons": 1
    }  # fmt: skip
    store = cypher_graph(EmbeddedStore(tmp_path / "store"))
    with EmbeddedCypher(tmp_path / "store") as engine:
        pair = engine.query(
            "MATCH (a:Atom {id: $a})-[c:CO_OCCURS]->(b:Atom {id: $b}) "
            "RETURN c.count AS count, c.pmi AS pmi, c.npmi AS npmi",
            {"a": DEQUE.id, "b": BFS.id} if DEQUE.id < BFS.id else {"a": BFS.id, "b": DEQUE.id},
        ).rows
        truth = store.cooccurrence(BFS.id, DEQUE.id)
        assert truth is not None and len(pair) == 1
        assert pair[0]["count"] == truth.count and math.isclose(pair[0]["npmi"], truth.npmi)
        bfs = engine.query(
            "MATCH (a:Atom {id: $id}) RETURN a.frequency AS f, a.merged_count AS m, "
            "a.merged_from AS evidence, a.aliases AS aliases, a.level AS level",
            {"id": BFS.id},
        ).rows[0]
        assert bfs["f"] == 4 and bfs["m"] == 1 and bfs["level"] == 0
        assert json.loads(bfs["evidence"])[0]["name"] == "queue-bfs"
        tasks = engine.query(
            "MATCH (t:Task)-[:COMBINES]->(a:Atom) RETURN t.id AS task, t.verified AS ok, "
            "count(a) AS atoms ORDER BY task"
        ).rows
        assert tasks == [
            {"task": "task-1", "ok": True, "atoms": 2},
            {"task": "task-2", "ok": False, "atoms": 2},
        ]
