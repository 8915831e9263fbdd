"""Load a synthetic atom graph into a Bolt server through ``Neo4jStore``.

Default size: 100k atoms and ~1M distinct co-occurrence pairs (40k seeds x 8 atoms).
Prints one JSON line with nodes/s and rels/s of the full load, a batch-size sweep on a
smaller slice and, as the floor, a bare-driver loop on the same server in the same run:
``UNWIND ... MERGE`` of the same atoms, seeds, memberships and pre-aggregated
co-occurrence counts through ``execute_write``, same batch size, with none of the store's
checks. ``store_over_bare`` is the store's throughput as a share of it (target >= 0.8).
The embedded build of the same graph is printed for reference.

Without ``--uri`` it starts ArcadeDB's Bolt endpoint with ``scripts/arcadedb.sh`` on
free ports in a temporary folder and stops it afterwards. Usage::

    python benchmarks/load_bolt.py                    # full size, ArcadeDB
    python benchmarks/load_bolt.py --atoms 20000 --seeds 8000 --sweep 1000,5000
    NEO4J_PASSWORD=... python benchmarks/load_bolt.py --uri bolt://localhost:7687
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from adr_graph.records import Atom
from adr_graph.store import BoltSettings, EmbeddedStore, GraphStore, SeedAtoms
from adr_graph.store.bolt import Neo4jStore

__all__ = ["main", "synthetic_graph"]

ROOT = Path(__file__).resolve().parents[1]


def synthetic_graph(
    n_atoms: int, n_seeds: int, per_seed: int, seed: int = 0
) -> tuple[list[Atom], list[SeedAtoms]]:
    """Atoms in 5 slots and seeds holding ``per_seed`` distinct atoms each (Zipf-ish)."""
    rng = np.random.default_rng(seed)
    slots = ["technique", "data_structure", "scenario", "constraint", "io_format"]
    atoms = [
        Atom(
            id=f"algorithm/{slots[i % 5]}/a{i:06d}",
            domain="algorithm",
            slot=slots[i % 5],
            name=f"a{i:06d}",
        )
        for i in range(n_atoms)
    ]
    weights = 1.0 / np.arange(1, n_atoms + 1) ** 0.3
    weights /= weights.sum()
    rows = []
    for s in range(n_seeds):
        picks = rng.choice(n_atoms, size=per_seed, replace=False, p=weights)
        rows.append(
            SeedAtoms(
                seed_id=f"bench/{s:07d}",
                domain="algorithm",
                source="bench",
                atom_ids=[atoms[i].id for i in picks],
            )
        )
    return atoms, rows


def _load(store: GraphStore, atoms: list[Atom], rows: list[SeedAtoms]) -> dict[str, float]:
    start = time.perf_counter()
    store.upsert_atoms(atoms)
    atoms_s = time.perf_counter() - start
    start = time.perf_counter()
    store.set_memberships(rows)
    rows_s = time.perf_counter() - start
    return {"atoms_s": atoms_s, "memberships_s": rows_s}


def _embedded(atoms: list[Atom], rows: list[SeedAtoms]) -> dict[str, float]:
    store = EmbeddedStore(None)
    times = _load(store, atoms, rows)
    start = time.perf_counter()
    pairs = store.stats().cooccurrence_edges
    times["projection_s"] = time.perf_counter() - start
    times["total_s"] = sum(times.values())
    times["cooccurrence_edges"] = pairs
    return times


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def arcadedb() -> Iterator[BoltSettings]:
    """Start ArcadeDB with scripts/arcadedb.sh in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="adr-bolt-bench-") as state:
        env = {
            **os.environ,
            "VENV": sys.prefix,
            "STATE_DIR": state,
            "BOLT_PORT": str(_free_port()),
            "HTTP_PORT": str(_free_port()),
        }
        script = ["bash", str(ROOT / "scripts" / "arcadedb.sh")]
        subprocess.run([*script, "start"], env=env, check=True, cwd=ROOT)
        try:
            yield BoltSettings(
                uri=f"bolt://127.0.0.1:{env['BOLT_PORT']}",
                user="root",
                password=env.get("ROOT_PASSWORD", "adr-graph-test"),
                database=env.get("DATABASE", "adrgraph"),
            )
        finally:
            subprocess.run([*script, "stop"], env=env, check=False, cwd=ROOT)


def _bolt_run(
    settings: BoltSettings, atoms: list[Atom], rows: list[SeedAtoms], batch: int
) -> dict[str, float]:
    store = Neo4jStore(settings, batch_size=batch)
    try:
        store.clear()
        times = _load(store, atoms, rows)
        times["cooccurrence_edges"] = store.stats().cooccurrence_edges
        store.clear()
    finally:
        store.close()
    return times


#: The bare-driver baseline: the least Cypher that writes the same graph on a first load.
BARE_ATOMS = """
UNWIND $rows AS r MERGE (a:Atom {id: r.id})
SET a.domain = r.domain, a.slot = r.slot, a.name = r.name
"""
BARE_SEEDS = """
UNWIND $rows AS r MERGE (s:Seed {id: r.id}) SET s.domain = r.domain, s.source = r.source
"""
BARE_HAS = """
UNWIND $pairs AS p MATCH (s:Seed {id: p.s}) MATCH (a:Atom {id: p.a}) MERGE (s)-[:HAS_ATOM]->(a)
"""
BARE_PAIRS = """
UNWIND $deltas AS d MATCH (a:Atom {id: d.a}) MATCH (b:Atom {id: d.b})
MERGE (a)-[c:CO_OCCURS]->(b) ON CREATE SET c.count = d.n ON MATCH SET c.count = c.count + d.n
"""


def _bare_run(
    settings: BoltSettings, atoms: list[Atom], rows: list[SeedAtoms], batch: int
) -> dict[str, float]:
    """The same load through the bare neo4j driver (schema set up by the store first)."""
    from collections import Counter
    from itertools import combinations

    import neo4j

    Neo4jStore(settings).clear()
    auth = (settings.user, settings.password)
    db = settings.database
    with neo4j.GraphDatabase.driver(settings.uri, auth=auth) as driver:

        def write(query: str, **params: object) -> None:
            with driver.session(database=db) as session:
                session.execute_write(lambda tx: tx.run(query, **params).consume())

        start = time.perf_counter()
        for k in range(0, len(atoms), batch):
            part = atoms[k : k + batch]
            write(BARE_ATOMS, rows=[{"id": a.id, "domain": a.domain, "slot": a.slot,
                                     "name": a.name} for a in part])  # fmt: skip
        atoms_s = time.perf_counter() - start
        start = time.perf_counter()
        for k in range(0, len(rows), batch):
            part = rows[k : k + batch]
            write(BARE_SEEDS, rows=[{"id": r.seed_id, "domain": r.domain, "source": r.source}
                                    for r in part])  # fmt: skip
            write(BARE_HAS, pairs=[{"s": r.seed_id, "a": a} for r in part for a in r.atom_ids])
            counts = Counter(p for r in part for p in combinations(sorted(r.atom_ids), 2))
            write(BARE_PAIRS, deltas=[{"a": a, "b": b, "n": n} for (a, b), n in counts.items()])
        rows_s = time.perf_counter() - start
    Neo4jStore(settings).clear()
    return {"atoms_s": atoms_s, "memberships_s": rows_s}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atoms", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, default=40_000)
    parser.add_argument("--per-seed", type=int, default=8)
    parser.add_argument("--batch", type=int, default=5000, help="batch size of the full load")
    parser.add_argument("--sweep", default="500,2000,5000", help="batch sizes for the sweep")
    parser.add_argument("--sweep-fraction", type=float, default=0.05)
    parser.add_argument("--uri", default=None)
    parser.add_argument("--user", default=os.environ.get("NEO4J_USER", "neo4j"))
    parser.add_argument("--password", default=os.environ.get("NEO4J_PASSWORD", ""))
    parser.add_argument("--database", default=os.environ.get("NEO4J_DATABASE"))
    args = parser.parse_args(argv)

    atoms, rows = synthetic_graph(args.atoms, args.seeds, args.per_seed)
    embedded = _embedded(atoms, rows)
    k = max(1, int(len(rows) * args.sweep_fraction))
    slice_atoms = sorted({a for r in rows[:k] for a in r.atom_ids})
    by_id = {a.id: a for a in atoms}
    small_atoms = [by_id[a] for a in slice_atoms]

    def measure(settings: BoltSettings) -> dict[str, object]:
        sweep = {}
        for size in (int(s) for s in args.sweep.split(",") if s):
            t = _bolt_run(settings, small_atoms, rows[:k], size)
            sweep[str(size)] = {
                "nodes_per_s": round(len(small_atoms) / t["atoms_s"], 1),
                "rels_per_s": round(
                    (k * args.per_seed + t["cooccurrence_edges"]) / t["memberships_s"], 1
                ),
            }
        full = _bolt_run(settings, atoms, rows, args.batch)
        bare = _bare_run(settings, atoms, rows, args.batch)
        return {"sweep": sweep, "full": full, "bare": bare, "server": settings.uri}

    if args.uri:
        result = measure(
            BoltSettings(
                uri=args.uri, user=args.user, password=args.password, database=args.database or None
            )
        )
    else:
        with arcadedb() as settings:
            result = measure(settings)
    full = result["full"]
    assert isinstance(full, dict)
    bolt_total = full["atoms_s"] + full["memberships_s"]
    bare = result["bare"]
    assert isinstance(bare, dict)
    bare_total = bare["atoms_s"] + bare["memberships_s"]
    rels = len(rows) * args.per_seed + full["cooccurrence_edges"]
    report: dict[str, object] = {
        "benchmark": "load_bolt",
        "server": result["server"],
        "atoms": len(atoms),
        "seeds": len(rows),
        "has_atom_rels": len(rows) * args.per_seed,
        "cooccurrence_edges": full["cooccurrence_edges"],
        "batch": args.batch,
        "nodes_per_s": round(len(atoms) / full["atoms_s"], 1),
        "rels_per_s": round(rels / full["memberships_s"], 1),
        "bolt_total_s": round(bolt_total, 2),
        "baseline": "bare neo4j driver UNWIND ... MERGE loop, same server, same batches",
        "bare_total_s": round(bare_total, 2),
        "bare_nodes_per_s": round(len(atoms) / bare["atoms_s"], 1),
        "bare_rels_per_s": round(rels / bare["memberships_s"], 1),
        "store_over_bare": round(bare_total / bolt_total, 3),
        "embedded_total_s": round(embedded["total_s"], 2),
        "sweep_seeds": k,
        "sweep": result["sweep"],
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
