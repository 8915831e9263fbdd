"""The GraphStore contract, run on every backend."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from adr_graph.errors import StoreError
from adr_graph.records import Atom, AtomEdge, MergeEvidence, TaskOutcome
from adr_graph.store import GraphStore, SeedAtoms

from .conftest import StoreHarness


def atom(slot: str, name: str, **extra: object) -> Atom:
    return Atom(id=f"algorithm/{slot}/{name}", domain="algorithm", slot=slot, name=name, **extra)


BFS, DEQUE, HEAP, GRID = (
    atom("technique", "bfs", description="breadth-first search"),
    atom("data_structure", "deque"),
    atom("data_structure", "heap"),
    atom("scenario", "grid"),
)


def row(seed: str, *atoms: Atom, source: str = "demo") -> SeedAtoms:
    return SeedAtoms(
        seed_id=seed,
        domain="algorithm",
        source=source,
        license="MIT",
        atom_ids=[a.id for a in atoms],
    )


def populated(store: GraphStore) -> GraphStore:
    store.upsert_atoms([BFS, DEQUE, HEAP, GRID])
    store.set_memberships(
        [
            row("s1", BFS, DEQUE, GRID),
            row("s2", BFS, DEQUE),
            row("s3", HEAP, GRID, source="other"),
            row("s4", BFS),
        ]
    )
    return store


def test_is_a_graph_store(make_store) -> None:
    assert isinstance(make_store(), GraphStore)


def test_atoms_round_trip_and_frequency(make_store) -> None:
    store = populated(make_store())
    got = store.get_atom(BFS.id)
    assert got is not None
    assert got.description == "breadth-first search"
    assert got.frequency == 3
    assert {a.id for a in store.iter_atoms(slot="data_structure")} == {DEQUE.id, HEAP.id}
    assert store.get_atom("algorithm/technique/missing") is None


def test_upsert_merges_aliases_and_extractors(make_store) -> None:
    store = make_store()
    store.upsert_atoms([atom("technique", "bfs", aliases=["BFS"], extractors=["static"])])
    store.upsert_atoms(
        [
            atom(
                "technique",
                "bfs",
                aliases=["breadth first"],
                extractors=["llm"],
                description="longer description",
            )
        ]
    )
    got = store.get_atom(BFS.id)
    assert got is not None
    assert got.aliases == ["BFS", "breadth first"]
    assert got.extractors == ["llm", "static"]
    assert got.description == "longer description"


def test_cooccurrence_counts_and_npmi(make_store) -> None:
    store = populated(make_store())
    pair = store.cooccurrence(BFS.id, DEQUE.id)
    assert pair is not None and pair.count == 2
    # N=4, f(bfs)=3, f(deque)=2, c=2
    assert math.isclose(pair.pmi, math.log(2 * 4 / (3 * 2)))
    assert math.isclose(pair.npmi, math.log(2 * 4 / 6) / -math.log(2 / 4))
    assert store.cooccurrence(DEQUE.id, BFS.id) == pair.model_copy(
        update={"a": DEQUE.id, "b": BFS.id}
    )
    assert store.cooccurrence(BFS.id, HEAP.id) is None
    assert store.cooccurrence(BFS.id, BFS.id) is None


def test_neighbours_ordered_by_count(make_store) -> None:
    store = populated(make_store())
    hood = store.neighbours(BFS.id)
    assert [(n.b, n.count) for n in hood] == [(DEQUE.id, 2), (GRID.id, 1)]
    assert store.neighbours(BFS.id, limit=1)[0].b == DEQUE.id
    assert store.neighbours("algorithm/technique/missing") == []


def test_membership_replacement_does_not_double_count(make_store) -> None:
    store = populated(make_store())
    store.set_memberships([row("s1", BFS, DEQUE, GRID)])  # same row again
    assert store.cooccurrence(BFS.id, DEQUE.id).count == 2  # type: ignore[union-attr]
    store.set_memberships([row("s1", HEAP)])  # seed re-ingested with other atoms
    assert store.cooccurrence(BFS.id, DEQUE.id).count == 1  # type: ignore[union-attr]
    assert sorted(store.seed_atoms("s1")) == [HEAP.id]
    assert sorted(store.atom_seeds(HEAP.id)) == ["s1", "s3"]


def test_unknown_atom_in_membership_is_rejected(make_store) -> None:
    store = make_store()
    with pytest.raises(StoreError, match="unknown atoms"):
        store.set_memberships([row("s1", BFS)])


def test_stats(make_store) -> None:
    stats = populated(make_store()).stats()
    assert (stats.seeds, stats.atoms, stats.memberships) == (4, 4, 8)
    assert stats.cooccurrence_edges == 4  # bfs-deque, bfs-grid, deque-grid, heap-grid
    algo = stats.domains["algorithm"]
    assert algo.seeds == 4 and algo.atoms == 4
    assert algo.slots["data_structure"].atoms == 2
    assert algo.slots["technique"].memberships == 3
    assert stats.sources == {"demo": 3, "other": 1}


def test_projection_matches_store(make_store) -> None:
    store = populated(make_store())
    proj = store.projection()
    i, j = proj.index[BFS.id], proj.index[DEQUE.id]
    assert proj.counts[i, j] == 2 and proj.frequency[i] == 3
    assert proj.incidence.shape == (4, 4) and proj.n_seeds == 4


def test_to_networkx(make_store) -> None:
    graph = populated(make_store()).to_networkx()
    assert isinstance(graph, nx.Graph)
    assert graph.number_of_nodes() == 4 and graph.number_of_edges() == 4
    edge = graph.edges[BFS.id, DEQUE.id]
    assert edge["count"] == 2 and edge["type"] == "CO_OCCURS"
    assert graph.nodes[BFS.id]["slot"] == "technique"


def test_reopen_is_lossless(harness: StoreHarness) -> None:
    store = populated(harness.fresh())
    store.upsert_atoms([atom("technique", "bfs", aliases=["BFS"], embedding=[0.5, -0.25])])
    before = (
        sorted(a.model_dump_json() for a in store.iter_atoms()),
        store.stats().model_dump(exclude={"store"}),
        {s: sorted(store.seed_atoms(s)) for s in ("s1", "s2", "s3", "s4")},
    )
    again = harness.reopen(store)
    after = (
        sorted(a.model_dump_json() for a in again.iter_atoms()),
        again.stats().model_dump(exclude={"store"}),
        {s: sorted(again.seed_atoms(s)) for s in ("s1", "s2", "s3", "s4")},
    )
    assert after == before


def test_typed_edges_round_trip_and_do_not_count_as_memberships(harness: StoreHarness) -> None:
    store = populated(harness.fresh())
    store.upsert_edges([AtomEdge(a=HEAP.id, b=DEQUE.id, type="SIMILAR", score=0.61, source="t")])
    store.upsert_edges([AtomEdge(a=DEQUE.id, b=HEAP.id, type="SIMILAR", score=0.7)])  # replaces
    store.upsert_edges(
        [AtomEdge(a=BFS.id, b=HEAP.id, type="INCOMPATIBLE", source="n", evidence="expected 9")]
    )
    assert [e.score for e in store.iter_edges("SIMILAR")] == [0.7]
    assert [e.evidence for e in store.iter_edges("INCOMPATIBLE")] == ["expected 9"]
    assert len(list(store.iter_edges())) == 2
    assert store.get_atom(HEAP.id).frequency == 1  # type: ignore[union-attr]
    assert store.stats().memberships == 8
    assert store.stats().edges == {"INCOMPATIBLE": 1, "SIMILAR": 1}
    before = sorted(e.model_dump_json() for e in store.iter_edges())
    again = harness.reopen(store)
    assert sorted(e.model_dump_json() for e in again.iter_edges()) == before
    with pytest.raises(StoreError, match="unknown atom"):
        again.upsert_edges([AtomEdge(a=BFS.id, b="algorithm/technique/nope", type="SIMILAR")])


def test_typed_edges_can_be_deleted_and_stay_deleted(harness: StoreHarness) -> None:
    store = populated(harness.fresh())
    similar = AtomEdge(a=HEAP.id, b=DEQUE.id, type="SIMILAR", score=0.6)
    banned = AtomEdge(a=BFS.id, b=HEAP.id, type="INCOMPATIBLE", source="negative:poisson")
    store.upsert_edges([similar, banned])
    absent = AtomEdge(a=BFS.id, b=DEQUE.id, type="INCOMPATIBLE")
    # reversed ends name the same edge; the type must match too
    wrong_type = AtomEdge(a=HEAP.id, b=BFS.id, type="SIMILAR")
    assert store.delete_edges([wrong_type, absent]) == 0
    assert store.delete_edges([AtomEdge(a=HEAP.id, b=BFS.id, type="INCOMPATIBLE")]) == 1
    store.commit()
    again = harness.reopen(store)
    assert [(e.a, e.b, e.type) for e in again.iter_edges()] == [(similar.a, similar.b, "SIMILAR")]
    assert again.stats().edges == {"SIMILAR": 1}


def test_merge_atoms_moves_memberships(harness: StoreHarness) -> None:
    store = populated(harness.fresh())
    store.upsert_atoms([DEQUE.model_copy(update={"embedding": [1.0, 0.0]})])
    store.upsert_atoms(
        [
            atom("data_structure", "double-ended-queue", aliases=["dequeue"]).model_copy(
                update={"embedding": [0.0, 1.0]}
            )
        ]
    )
    store.set_memberships([row("s5", BFS, atom("data_structure", "double-ended-queue"))])
    evidence = MergeEvidence(
        merged_id="algorithm/data_structure/double-ended-queue",
        name="double-ended-queue",
        score=0.93,
        method="test",
    )
    store.merge_atoms(DEQUE.id, evidence.merged_id, evidence)
    assert store.get_atom(evidence.merged_id) is None
    kept = store.get_atom(DEQUE.id)
    assert kept is not None and kept.frequency == 3
    assert kept.aliases == ["double-ended-queue", "dequeue"] or set(kept.aliases) == {
        "double-ended-queue",
        "dequeue",
    }
    assert kept.merged_from == [evidence]
    assert kept.embedding == [1.0, 0.0]  # the canonical atom keeps its own vector
    stats = store.stats()
    assert (stats.atoms, stats.merged_atoms, stats.embedded_atoms) == (4, 1, 1)
    assert store.cooccurrence(BFS.id, DEQUE.id).count == 3  # type: ignore[union-attr]
    assert DEQUE.id in store.seed_atoms("s5")
    again = harness.reopen(store)
    assert again.get_atom(DEQUE.id) == kept
    with pytest.raises(StoreError):
        again.merge_atoms(DEQUE.id, DEQUE.id, evidence)


def snapshot_of(store: GraphStore) -> tuple[object, ...]:
    """Everything a lossless copy must keep, independent of the backend."""
    return (
        sorted(a.model_dump_json() for a in store.iter_atoms()),
        sorted(r.model_dump_json() for r in store.iter_memberships()),
        sorted(e.model_dump_json() for e in store.iter_edges()),
        sorted(o.model_dump_json() for o in store.iter_outcomes()),
        store.stats().model_dump(exclude={"store"}),
    )


def rich_graph(store: GraphStore) -> GraphStore:
    """Aliases, embeddings, a merge, typed edges: every field a copy could lose."""
    populated(store)
    store.upsert_atoms(
        [
            atom("technique", "bfs", aliases=["BFS"], extractors=["static"], embedding=[0.5, -1.0]),
            atom("technique", "queue-bfs", description="bfs with a queue", embedding=[0.4, -1.0]),
        ]
    )
    store.set_memberships([row("s5", atom("technique", "queue-bfs"), DEQUE)])
    evidence = MergeEvidence(
        merged_id="algorithm/technique/queue-bfs", name="queue-bfs", score=0.95, method="t"
    )
    store.merge_atoms(BFS.id, evidence.merged_id, evidence)
    store.upsert_edges(
        [
            AtomEdge(a=DEQUE.id, b=HEAP.id, type="SIMILAR", score=0.71, source="minilm"),
            AtomEdge(a=BFS.id, b=GRID.id, type="INCOMPATIBLE", source="rule"),
        ]
    )
    store.record_outcomes(
        [
            TaskOutcome(
                task_id="task-1", domain="algorithm", atom_ids=[BFS.id, HEAP.id], verified=True
            ),
            TaskOutcome(
                task_id="task-2", domain="algorithm", atom_ids=[DEQUE.id, GRID.id], verified=False
            ),
        ]
    )
    store.commit()
    return store


def test_iter_memberships_lists_every_seed(make_store) -> None:
    store = populated(make_store())
    rows = {r.seed_id: r for r in store.iter_memberships()}
    assert sorted(rows) == ["s1", "s2", "s3", "s4"]
    assert sorted(rows["s1"].atom_ids) == sorted([BFS.id, DEQUE.id, GRID.id])
    assert rows["s3"].source == "other" and rows["s3"].license == "MIT"


def test_copy_graph_both_ways_is_lossless(harness: StoreHarness) -> None:
    from adr_graph.store import EmbeddedStore
    from adr_graph.store.transfer import copy_graph

    source = rich_graph(EmbeddedStore(None))
    expected = snapshot_of(source)
    target = harness.fresh()
    report = copy_graph(source, target, batch_size=2)
    target.commit()
    assert (report.atoms, report.seeds, report.edges, report.tasks) == (4, 5, 2, 2)
    assert snapshot_of(target) == expected
    back = EmbeddedStore(None)
    copy_graph(harness.reopen(target), back)
    assert snapshot_of(back) == expected


def test_clear_empties_the_store(harness: StoreHarness) -> None:
    store = rich_graph(harness.fresh())
    store.clear()
    store.commit()
    again = harness.reopen(store)
    stats = again.stats()
    assert (stats.atoms, stats.seeds, stats.memberships, stats.cooccurrence_edges) == (0, 0, 0, 0)
    assert list(again.iter_edges()) == []


HOSTILE = "x'}) MATCH (n) DETACH DELETE n //\"`"


def test_hostile_values_are_data(make_store) -> None:
    store = populated(make_store())
    evil = Atom(
        id=f"algorithm/scenario/{HOSTILE}",
        domain="algorithm",
        slot="scenario",
        name=HOSTILE,
        description=HOSTILE,
        aliases=[HOSTILE],
    )
    store.upsert_atoms([evil])
    store.set_memberships([row(HOSTILE, evil, BFS)])
    got = store.get_atom(evil.id)
    assert got is not None and got.name == got.description == HOSTILE
    assert store.seed_atoms(HOSTILE) == sorted([evil.id, BFS.id])
    assert list(store.iter_edges("SIMILAR]->() DETACH DELETE a //")) == []
    assert store.stats().atoms == 5  # nothing was deleted


def test_bolt_schema_is_idempotent(harness: StoreHarness) -> None:
    """Bolt only: constraints/indexes re-apply cleanly; a vector index is optional."""
    if harness.bolt is None:
        pytest.skip("the embedded store has no server-side schema")
    from adr_graph.store.bolt import Neo4jStore

    store = harness.fresh()
    assert isinstance(store, Neo4jStore)
    first = store.ensure_schema()
    assert store.ensure_schema() == first and len(first) == 5
    applied = store.ensure_schema(vector_dimensions=384)  # absent on ArcadeDB: logged, not raised
    assert applied[:5] == first
    names = {r["name"] for r in store.cypher("SHOW CONSTRAINTS")}
    assert {"atom_id", "seed_id"} <= names
    with pytest.raises(StoreError, match=r"atom_id|already exists|unique|Constraint"):
        store.cypher("CREATE (:Atom {id: $id}) CREATE (:Atom {id: $id})", {"id": "dup"}, write=True)


def test_outcomes_round_trip_replace_and_follow_merges(harness: StoreHarness) -> None:
    store = populated(harness.fresh())
    store.upsert_atoms([atom("data_structure", "dq")])
    first = TaskOutcome(
        task_id="t1",
        domain="algorithm",
        atom_ids=[BFS.id, "algorithm/data_structure/dq"],
        verified=False,
    )
    store.record_outcomes([first])
    store.record_outcomes([first.model_copy(update={"verified": True})])  # replaces
    store.record_outcomes(
        [TaskOutcome(task_id="t2", domain="algorithm", atom_ids=[HEAP.id], verified=False)]
    )
    stats = store.stats()
    assert (stats.tasks, stats.verified_tasks) == (2, 1)
    assert stats.memberships == 8 and list(store.iter_edges()) == []  # COMBINES is not an edge
    evidence = MergeEvidence(
        merged_id="algorithm/data_structure/dq", name="dq", score=1, method="t"
    )
    store.merge_atoms(DEQUE.id, evidence.merged_id, evidence)
    again = harness.reopen(store)
    outcomes = {o.task_id: o for o in again.iter_outcomes()}
    assert outcomes["t1"].atom_ids == [BFS.id, DEQUE.id] and outcomes["t1"].verified
    with pytest.raises(StoreError, match="unknown atoms"):
        again.record_outcomes(
            [
                TaskOutcome(
                    task_id="t3",
                    domain="algorithm",
                    atom_ids=["algorithm/technique/nope"],
                    verified=True,
                )
            ]
        )


def test_hierarchy_is_directed_levelled_and_out_of_the_projection(harness: StoreHarness) -> None:
    from adr_graph.hierarchy.build import build_hierarchy
    from adr_graph.hierarchy.grain import coarse_view
    from adr_graph.store import EmbeddedStore
    from adr_graph.store.transfer import copy_graph

    store = populated(harness.fresh())
    report = build_hierarchy(store)
    store.commit()
    store = harness.reopen(store)
    edges = {(e.a, e.b) for e in store.iter_edges("IS_A")}
    bfs_group = "algorithm/technique/group:graph-traversal"
    area = "algorithm/technique/area:graph-algorithms"
    # IS_A keeps its direction (fine -> group -> area) even where the ids sort the other way
    assert (BFS.id, bfs_group) in edges and (bfs_group, area) in edges
    assert (DEQUE.id, "algorithm/data_structure/group:stacks-and-queues") in edges
    group = store.get_atom(bfs_group)
    assert group is not None and group.level == 1 and group.frequency == 0
    assert store.get_atom(area).level == 2  # type: ignore[union-attr]
    assert report.domains["algorithm"].placed_share == 1.0
    # groups never enter the projection the sampler and the statistics run on
    assert set(store.projection().atom_ids) == {BFS.id, DEQUE.id, HEAP.id, GRID.id}
    stats = store.stats()
    assert (
        stats.atoms == 4
        and stats.domains["algorithm"].groups
        == report.domains["algorithm"].groups + report.domains["algorithm"].areas
    )
    assert stats.edges["IS_A"] == report.domains["algorithm"].is_a_edges
    # a coarse view holds the groups, with the memberships rolled up
    view = coarse_view(store)
    assert view.get_atom(bfs_group).frequency == 3  # type: ignore[union-attr]
    # export and import keep the hierarchy
    copied = EmbeddedStore(None)
    copy_graph(store, copied)
    assert {(e.a, e.b) for e in copied.iter_edges("IS_A")} == edges
    assert copied.get_atom(area).level == 2  # type: ignore[union-attr]
    # a rebuild replaces the hierarchy's edges instead of doubling them
    again = build_hierarchy(store)
    assert {(e.a, e.b) for e in store.iter_edges("IS_A")} == edges
    assert again.removed_groups == 0
    # a group the new plan no longer has (here: planted by hand) is deleted on rebuild
    stale = Atom(
        id="algorithm/technique/group:gone",
        domain="algorithm",
        slot="technique",
        name="gone",
        extractors=["hierarchy"],
        level=1,
    )
    store.upsert_atoms([stale])
    assert build_hierarchy(store).removed_groups == 1
    assert store.get_atom(stale.id) is None
    assert store.stats().domains["algorithm"].groups == stats.domains["algorithm"].groups


def test_delete_atoms_removes_unheld_atoms_and_refuses_held_ones(harness: StoreHarness) -> None:
    store = populated(harness.fresh())
    loose = Atom(id="algorithm/technique/loose", domain="algorithm", slot="technique", name="loose")
    store.upsert_atoms([loose])
    store.upsert_edges([AtomEdge(a=loose.id, b=BFS.id, type="SIMILAR", score=0.7, source="t")])
    with pytest.raises(StoreError, match="hold it"):
        store.delete_atoms([BFS.id])
    assert store.get_atom(BFS.id) is not None
    assert store.delete_atoms([loose.id, "algorithm/technique/absent"]) == 1
    store.commit()
    store = harness.reopen(store)
    assert store.get_atom(loose.id) is None
    assert not [e for e in store.iter_edges("SIMILAR") if loose.id in (e.a, e.b)]
    assert store.get_atom(BFS.id) is not None and store.stats().atoms == 4


def test_seed_details_round_trip_and_an_unplaced_single_seed_tool_becomes_one(
    harness: StoreHarness,
) -> None:
    from adr_graph.hierarchy.build import build_hierarchy
    from adr_graph.store import EmbeddedStore
    from adr_graph.store.transfer import copy_graph

    store = populated(harness.fresh())
    tools = [
        Atom(id=f"tool_usage/tool/{n}", domain="tool_usage", slot="tool", name=n, embedding=v)
        for n, v in (("weather-now", [1.0, 0.0]), ("weather-later", [0.99, 0.1]), ("zap", [0, 1.0]))
    ]
    store.upsert_atoms(tools)
    ids = [t.id for t in tools]
    store.set_memberships(
        [
            SeedAtoms(seed_id="t1", domain="tool_usage", source="x", atom_ids=ids[::2]),
            SeedAtoms(seed_id="t2", domain="tool_usage", source="x", atom_ids=[ids[1]]),
        ]
    )
    report = build_hierarchy(store)
    store.commit()
    store = harness.reopen(store)
    rows = {r.seed_id: r for r in store.iter_memberships()}
    assert rows["t1"].details == [ids[2]] and rows["t1"].atom_ids == [ids[0]]
    assert rows["s1"].details == [] and store.get_atom(ids[2]) is None
    assert report.domains["tool_usage"].seed_details == 1
    assert report.domains["algorithm"].seed_details == 0
    assert store.stats().domains["tool_usage"].seed_details == 1
    copied = EmbeddedStore(None)
    copy_graph(store, copied)
    assert {r.seed_id: r.details for r in copied.iter_memberships()}["t1"] == [ids[2]]
