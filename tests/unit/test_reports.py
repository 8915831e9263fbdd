"""graph_report and task_report: the numbers behind notebooks 01 and 03."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adr_graph.embed import HashingEmbedder
from adr_graph.records import (
    Atom,
    GenerationFailure,
    RepairRound,
    Seed,
    Task,
    TaskProvenance,
    Verdict,
    VerificationRecord,
)
from adr_graph.reports.graph import (
    cooccurrence_block,
    degrees,
    embedding_map,
    example_queries,
    slot_table,
)
from adr_graph.reports.tasks import (
    load_records,
    originality,
    pair_failures,
    verification_funnel,
    yield_by_round,
)
from tests.unit.test_sampler import planted_store


def test_slot_table_degrees_and_cooccurrence_block() -> None:
    store = planted_store(n_seeds=80)
    atoms, proj = list(store.iter_atoms()), store.projection()
    rows = slot_table(atoms, proj)
    assert {r.slot for r in rows} == {a.slot for a in atoms}
    assert all(r.atoms == 12 and r.memberships == 80 for r in rows)  # one atom per slot/seed
    degree = degrees(proj)
    assert degree.shape == (len(proj.atom_ids),)
    # communities of 6 atoms per slot: an atom meets at most the 6 of each other slot
    n_other_slots = len(rows) - 1
    assert 0 < degree.max() <= 6 * n_other_slots
    slots = (rows[0].slot, rows[1].slot)
    block = cooccurrence_block(atoms, proj, "algorithm", slots, k=5)
    assert len(block.rows) == len(block.cols) == 5 and block.counts.shape == (5, 5)
    for i, a in enumerate(block.rows):
        for j, b in enumerate(block.cols):
            found = store.cooccurrence(a, b)
            assert block.counts[i, j] == (found.count if found else 0)
    freq = [int(proj.frequency[proj.index[a]]) for a in block.rows]
    assert freq == sorted(freq, reverse=True)


def test_embedding_map_separates_planted_clusters() -> None:
    rng = np.random.default_rng(0)
    centres = {"technique": np.eye(8)[0] * 5, "constraint": np.eye(8)[1] * 5}
    atoms = [
        Atom(
            id=f"algorithm/{slot}/a{k}",
            domain="algorithm",
            slot=slot,
            name=f"a{k}",
            frequency=k + 1,
            embedding=(centre + rng.normal(0, 0.1, 8)).tolist(),
        )
        for slot, centre in centres.items()
        for k in range(10)
    ]
    emap = embedding_map(atoms, "algorithm")
    assert emap.xy.shape == (20, 2) and emap.explained[0] > 0.9
    first = emap.xy[:, 0]
    tech = first[[s == "technique" for s in emap.slots]]
    cons = first[[s == "constraint" for s in emap.slots]]
    assert tech.max() < cons.min() or cons.max() < tech.min()  # PC 1 splits the slots
    with pytest.raises(ValueError, match="at least 3"):
        embedding_map(atoms[:2])


def test_example_queries_are_the_readme_blocks() -> None:
    queries = example_queries()
    readme = (Path(__file__).resolve().parents[2] / "schema" / "README.md").read_text()
    assert len(queries) == readme.split("## Example queries")[1].count("```cypher")
    assert "Coverage by slot" in queries and "Rarest compatible pairs of a slot" in queries
    assert all(q.startswith("MATCH") and q in readme for q in queries.values())


def task(
    ident: str,
    atoms: list[str],
    steps: dict[str, bool],
    mutation: float | None = None,
    statement: str = "Sum the even numbers of a list.",
) -> Task:
    verdicts = [Verdict(step=s, ok=ok) for s, ok in steps.items()]
    verified = bool(steps) and all(steps.values()) and "agree" in steps
    return Task(
        id=ident,
        domain="algorithm",
        statement=statement,
        reference_solution="def f(x):\n    return x\n",
        provenance=TaskProvenance(atom_ids=atoms, prompt_version="v", model="m"),
        verification=VerificationRecord(
            verified=verified, verdicts=verdicts, mutation_score=mutation
        ),
    )


ALL_OK = {"generate_inputs": True, "validate_inputs": True, "run_solutions": True, "agree": True}


def test_funnel_counts_the_gates_and_yield_by_repair_round() -> None:
    gates = {**ALL_OK, "triviality": True, "fidelity": True}
    tasks = [
        task("g1", ["a"], gates, mutation=0.9),
        task("g2", ["a"], {**gates, "triviality": False}),
        task("g3", ["a"], {**gates, "fidelity": False}),
    ]
    counts = {s.name: s.count for s in verification_funnel(tasks, [], min_mutation=0.5)}
    assert counts["solutions agree"] == 3 and counts["not trivial"] == 2
    assert counts["faithful (verified)"] == 1 and counts["mutation score >= 0.5"] == 1
    repaired = tasks[0].model_copy(
        update={"repairs": [RepairRound(round=1, step="agree", prompt_version="r", verified=True)]}
    )
    by_round = [s.count for s in yield_by_round([tasks[0], repaired, tasks[1]], rounds=2)]
    assert by_round == [1, 2, 2]


def test_funnel_and_failing_pairs() -> None:
    tasks = [
        task("t1", ["a", "b", "c"], ALL_OK, mutation=0.9),
        task("t2", ["a", "b"], ALL_OK, mutation=0.2),
        task("t3", ["a", "b"], {**ALL_OK, "agree": False}),
        task("t4", ["b", "c"], {"generate_inputs": True, "run_solutions": False}),
        task("t5", ["c", "d"], {"generate_inputs": True, "validate_inputs": False}),
    ]
    failures = [
        GenerationFailure(id="f1", atom_ids=["a", "d"], stage="task", reason="x"),
        GenerationFailure(id="f2", atom_ids=["a", "b"], stage="second", reason="y"),
    ]
    counts = [s.count for s in verification_funnel(tasks, failures, min_mutation=0.5)]
    # old records (no gate verdicts) pass the gates when verified: 2 agree, both gates
    assert counts == [7, 6, 5, 4, 3, 2, 2, 2, 1]
    pairs = {(p.a, p.b): p for p in pair_failures(tasks, failures)}
    assert (pairs[("a", "b")].tasks, pairs[("a", "b")].failed) == (4, 2)
    assert pairs[("a", "d")].failure_rate == 1.0
    ranked = pair_failures(tasks, failures)
    assert (ranked[0].a, ranked[0].b) == ("a", "b")  # most failures first
    assert [p.failure_rate for p in ranked[1:4]] == [1.0, 1.0, 0.5]  # then by rate


def test_originality_finds_the_nearest_seed_of_the_domain() -> None:
    seeds = [
        Seed(
            id="copy",
            domain="algorithm",
            statement="Sum the even numbers of a list.",
            source="t",
            license="MIT",
        ),
        Seed(
            id="other",
            domain="algorithm",
            statement="Reverse a linked list in place.",
            source="t",
            license="MIT",
        ),
        Seed(
            id="ds",
            domain="data_science",
            statement="Sum the even numbers of a list.",
            source="t",
            license="MIT",
        ),
    ]
    tasks = [
        task("t1", ["a", "b"], ALL_OK),
        task("t2", ["a", "b"], ALL_OK, statement="Count the vowels of each word in a text."),
    ]
    near = {o.task_id: o for o in originality(tasks, seeds, HashingEmbedder())}
    assert near["t1"].nearest_seed == "copy" and near["t1"].similarity == pytest.approx(1.0)
    assert near["t1"].originality == pytest.approx(0.0, abs=1e-6)
    assert near["t2"].similarity < 0.5


def test_load_records_skips_a_cut_line_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    good = task("t1", ["a", "b"], ALL_OK).model_dump_json()
    path.write_text(good + "\n" + good[:40])
    before = path.read_bytes()
    assert [t.id for t in load_records(path, Task)] == ["t1"]
    assert path.read_bytes() == before
    assert load_records(tmp_path / "missing.jsonl", Task) == []
