"""Load a synthetic atom graph into a Bolt server through ``Neo4jStore``.

Default size: 100k atoms and ~1M distinct co-occurrence pairs (40k seeds x 8 atoms).
Prints one JSON line with nodes/s and rels/s of the full load, a batch-size sweep on a
smaller slice, and the ratio against building the same graph in the embedded store
(upserts, memberships and the sparse co-occurrence projection) in the same run.

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
        return {"sweep": sweep, "full": full, "server": settings.uri}

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
        "baseline": "EmbeddedStore build of the same graph (upserts + memberships + projection)",
        "embedded_total_s": round(embedded["total_s"], 2),
        "ratio_bolt_over_embedded": round(bolt_total / embedded["total_s"], 2),
        "sweep_seeds": k,
        "sweep": result["sweep"],
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
