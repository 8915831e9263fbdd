"""Neo4j (or any Bolt/Cypher server) as a :class:`GraphStore`, on the official driver.

Writes are batched ``UNWIND $rows`` statements in managed write transactions (the
driver retries transient errors); co-occurrence counts live on ``CO_OCCURS`` edges
and are kept exact incrementally: replacing a seed's memberships subtracts its old
pairs and adds its new ones, pre-aggregated per batch. ``commit()`` refreshes the
derived ``Atom.frequency`` and ``CO_OCCURS.pmi/npmi`` properties that Cypher users
query. Every statement is in :mod:`adr_graph.store.cypher`.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

import networkx as nx
import numpy as np

from ..errors import StoreError
from ..records import EDGE_TYPES, Atom, AtomEdge, Cooccurrence, MergeEvidence, TaskOutcome
from . import cypher as q
from ._bolt_rows import atom_from_props, atom_row, chunks, membership_from_row, seed_pairs
from ._bolt_session import BoltSession, BoltSettings
from .base import (
    DomainStats,
    Projection,
    SeedAtoms,
    SlotStats,
    StoreStats,
    merge_atom,
    merged_record,
    retarget,
)
from .cooccur import pmi_npmi
from .views import association_graph, build_projection

__all__ = ["BoltSettings", "Neo4jStore", "forget_schema"]

log = logging.getLogger(__name__)

PAGE = 5000


#: Store locations whose constraints and indexes this process has already set up.
_SCHEMA_READY: set[str] = set()


def forget_schema() -> None:
    """Make the next open of every Bolt store set up its schema again (after a database
    was dropped behind this process's back, as tests do)."""
    _SCHEMA_READY.clear()


class Neo4jStore:
    """A :class:`GraphStore` on a Bolt server (Neo4j 5, or ArcadeDB's Bolt endpoint).

    Parameters
    ----------
    settings : BoltSettings
        URI, credentials, database and timeouts.
    batch_size : int
        Rows per write transaction (1,000-5,000 suits both servers).
    """

    def __init__(self, settings: BoltSettings, batch_size: int = 2000) -> None:
        self.settings = settings
        self.location = settings.uri + (f"/{settings.database}" if settings.database else "")
        self.batch_size = batch_size
        self.db = BoltSession(settings)
        self._projection: Projection | None = None
        if self.location not in _SCHEMA_READY:  # once per process and server/database
            self.ensure_schema()
            _SCHEMA_READY.add(self.location)

    # -- schema ---------------------------------------------------------------------------
    def ensure_schema(self, vector_dimensions: int | None = None) -> list[str]:
        """Create constraints and indexes (idempotent); returns the statements applied.

        With ``vector_dimensions``, also tries the vector index on ``Atom.embedding``;
        a server without vector indexes logs a warning and is otherwise fine.
        """
        applied = []
        for statement in q.schema_statements("graph"):
            self.db.write(statement)
            applied.append(statement)
        if vector_dimensions:
            (statement,) = q.schema_statements("vector")
            statement = statement.replace("{dimensions}", str(int(vector_dimensions)))
            try:
                self.db.write(statement)
                applied.append(statement)
            except Exception as exc:  # the server's own error type; not fatal
                log.warning("%s: no vector index (%s); faiss does k-NN", self.location, exc)
        return applied

    # -- writes ---------------------------------------------------------------------------
    def upsert_atoms(self, atoms: Iterable[Atom]) -> int:
        """Insert atoms or merge them into stored ones (same rules as the embedded store)."""
        pending: dict[str, Atom] = {}
        for atom in atoms:
            pending[atom.id] = merge_atom(pending[atom.id], atom) if atom.id in pending else atom
        for batch in chunks(list(pending.values()), self.batch_size):
            stored = {a.id: a for a in self._get_atoms([a.id for a in batch])}
            rows = [atom_row(merge_atom(stored[a.id], a) if a.id in stored else a) for a in batch]
            self.db.write(q.WRITE_ATOMS, rows=rows)
        self._projection = None
        return len(pending)

    def _existing(self, atom_ids: Iterable[str]) -> set[str]:
        """Which of ``atom_ids`` the store holds (one query)."""
        wanted = sorted(set(atom_ids))
        return {r["id"] for r in self.db.read(q.EXISTING_ATOMS, ids=wanted)}

    def set_memberships(self, rows: Iterable[SeedAtoms]) -> int:
        """Replace each seed's memberships, keeping ``CO_OCCURS`` counts exact."""
        latest: dict[str, SeedAtoms] = {}
        for row in rows:
            latest[row.seed_id] = row
        for batch in chunks(list(latest.values()), self.batch_size):
            self._membership_batch(batch)
        self._projection = None
        return len(latest)

    def _membership_batch(self, batch: list[SeedAtoms]) -> None:
        found = self._existing(a for row in batch for a in row.atom_ids)
        for row in batch:
            missing = [a for a in row.atom_ids if a not in found]
            if missing:
                raise StoreError(
                    f"seed {row.seed_id!r} refers to unknown atoms {missing[:3]}; "
                    "upsert atoms first"
                )
        ids = [row.seed_id for row in batch]
        old = {r["seed"]: r["atoms"] for r in self.db.read(q.OLD_MEMBERSHIPS, ids=ids)}
        delta: Counter[tuple[str, str]] = Counter()
        for row in batch:
            delta.subtract(seed_pairs(old.get(row.seed_id, [])))
            delta.update(seed_pairs(row.atom_ids))
        changes = [{"a": a, "b": b, "n": n} for (a, b), n in sorted(delta.items()) if n]
        shrunk = [{"a": a, "b": b} for (a, b), n in sorted(delta.items()) if n < 0]
        seeds = [row.model_dump(exclude={"atom_ids"}) for row in batch]
        pairs = [
            {"seed": row.seed_id, "atom": a} for row in batch for a in dict.fromkeys(row.atom_ids)
        ]
        self.db.write_many(
            [
                (q.WRITE_SEEDS, {"rows": seeds}),
                (q.DROP_MEMBERSHIPS, {"ids": ids}),
                (q.ADD_MEMBERSHIPS, {"pairs": pairs}),
                (q.ADD_COOCCURRENCE, {"deltas": changes}),
                (q.PRUNE_COOCCURRENCE, {"pairs": shrunk}),
            ]
        )

    def upsert_edges(self, edges: Iterable[AtomEdge]) -> int:
        """Insert or replace typed atom-atom edges (key: both ends and the type)."""
        by_type: dict[str, dict[tuple[str, str], AtomEdge]] = defaultdict(dict)
        for edge in edges:
            by_type[edge.type][(edge.a, edge.b)] = edge
        count = 0
        for kind, keyed in sorted(by_type.items()):
            rows = [
                e.model_dump(include={"a", "b", "score", "source", "evidence"})
                for e in keyed.values()
            ]
            ends = sorted({r["a"] for r in rows} | {r["b"] for r in rows})
            found = self._existing(ends)
            unknown = [e for e in ends if e not in found]
            if unknown:
                raise StoreError(f"{kind} edge refers to unknown atom {unknown[0]!r}")
            statement = q.typed_edge_statements(kind)["write"]
            for batch in chunks(rows, self.batch_size):
                self.db.write(statement, rows=batch)
            count += len(rows)
        return count

    def delete_edges(self, edges: Iterable[AtomEdge]) -> int:
        """Remove typed atom-atom edges (matched by both ends and the type; absent ones
        are skipped); returns how many were removed."""
        by_type: dict[str, dict[tuple[str, str], dict[str, str]]] = defaultdict(dict)
        for edge in edges:
            by_type[edge.type][(edge.a, edge.b)] = {"a": edge.a, "b": edge.b}
        removed = 0
        for kind, keyed in sorted(by_type.items()):
            statements = q.typed_edge_statements(kind)
            before = int(self.db.read(statements["count"])[0]["n"])
            for batch in chunks(list(keyed.values()), self.batch_size):
                self.db.write(statements["delete"], rows=batch)
            removed += before - int(self.db.read(statements["count"])[0]["n"])
        return removed

    def record_outcomes(self, outcomes: Iterable[TaskOutcome]) -> int:
        """Record verification outcomes as ``Task`` nodes ``COMBINES`` their atoms."""
        latest = {o.task_id: o for o in outcomes}
        for batch in chunks(list(latest.values()), self.batch_size):
            found = self._existing(a for o in batch for a in o.atom_ids)
            for outcome in batch:
                missing = [a for a in outcome.atom_ids if a not in found]
                if missing:
                    raise StoreError(
                        f"task {outcome.task_id!r} refers to unknown atoms {missing[:3]}"
                    )
            rows = [o.model_dump() for o in batch]
            pairs = [
                {"task": o.task_id, "atom": a} for o in batch for a in dict.fromkeys(o.atom_ids)
            ]
            self.db.write_many(
                [
                    (q.WRITE_TASKS, {"rows": rows}),
                    (q.DROP_COMBINES, {"ids": [o.task_id for o in batch]}),
                    (q.ADD_COMBINES, {"pairs": pairs}),
                ]
            )
        return len(latest)

    def iter_outcomes(self) -> Iterator[TaskOutcome]:
        after = ""
        while True:
            rows = self.db.read(q.PAGE_TASKS, after=after, limit=PAGE)
            for r in rows:
                yield TaskOutcome(
                    task_id=r["task_id"],
                    domain=r["domain"],
                    atom_ids=list(r["atom_ids"]),
                    verified=bool(r["verified"]),
                )
            if len(rows) < PAGE:
                return
            after = rows[-1]["task_id"]

    def merge_atoms(self, canonical: str, duplicate: str, evidence: MergeEvidence) -> None:
        """Fold ``duplicate`` into ``canonical``: memberships move, names become aliases."""
        keep, drop = self.get_atom(canonical), self.get_atom(duplicate)
        if keep is None or drop is None or canonical == duplicate:
            raise StoreError(f"cannot merge {duplicate!r} into {canonical!r}: unknown or same atom")
        moved = [
            row.model_copy(update={"atom_ids": retarget(row.atom_ids, duplicate, canonical)})
            for row in self._memberships_of(self.atom_seeds(duplicate))
        ]
        self.set_memberships(moved)
        self.db.write(q.WRITE_ATOMS, rows=[atom_row(merged_record(keep, drop, evidence))])
        tasks = [
            o.model_copy(update={"atom_ids": retarget(o.atom_ids, duplicate, canonical)})
            for o in self.iter_outcomes()
            if duplicate in o.atom_ids
        ]
        self.db.write(q.DELETE_ATOMS, ids=[duplicate])
        self.record_outcomes(tasks)
        self._projection = None

    def delete_atoms(self, atom_ids: Iterable[str]) -> int:
        """Remove atoms no seed or task holds, with their typed edges (absent ids are
        skipped); returns how many were removed."""
        ids = list(dict.fromkeys(atom_ids))
        found = self._existing(ids)
        for batch in chunks(ids, self.batch_size):
            held = self.db.read(q.HELD_ATOMS, ids=batch)
            if held:
                raise StoreError(
                    f"cannot delete atom {held[0]['id']!r}: seeds or tasks hold it; "
                    "merge it instead"
                )
        for batch in chunks(ids, self.batch_size):
            self.db.write(q.DELETE_ATOMS, ids=batch)
        self._projection = None
        return len(found)

    # -- reads ------------------------------------------------------------------------------
    def _get_atoms(self, ids: list[str]) -> list[Atom]:
        rows = self.db.read(q.GET_ATOMS, ids=ids)
        return [atom_from_props(r["props"], int(r["frequency"])) for r in rows]

    def get_atom(self, atom_id: str) -> Atom | None:
        found = self._get_atoms([atom_id])
        return found[0] if found else None

    def iter_atoms(self, domain: str | None = None, slot: str | None = None) -> Iterator[Atom]:
        after = ""
        while True:
            rows = self.db.read(q.PAGE_ATOMS, after=after, domain=domain, slot=slot, limit=PAGE)
            yield from (atom_from_props(r["props"], int(r["frequency"])) for r in rows)
            if len(rows) < PAGE:
                return
            after = rows[-1]["props"]["id"]

    def iter_memberships(self) -> Iterator[SeedAtoms]:
        after = ""
        while True:
            rows = self.db.read(q.PAGE_SEEDS, after=after, limit=PAGE)
            yield from (membership_from_row(r) for r in rows)
            if len(rows) < PAGE:
                return
            after = rows[-1]["seed_id"]

    def _memberships_of(self, seed_ids: list[str]) -> list[SeedAtoms]:
        rows = self.db.read(q.SEEDS_BY_ID, ids=seed_ids)
        return [membership_from_row(r) for r in rows]

    def seed_atoms(self, seed_id: str) -> list[str]:
        return [r["id"] for r in self.db.read(q.SEED_ATOMS, id=seed_id)]

    def atom_seeds(self, atom_id: str) -> list[str]:
        return [r["id"] for r in self.db.read(q.ATOM_SEEDS, id=atom_id)]

    def iter_edges(self, edge_type: str | None = None) -> Iterator[AtomEdge]:
        kinds = [edge_type] if edge_type is not None else list(EDGE_TYPES)
        for kind in kinds:
            if kind not in EDGE_TYPES:
                return
            for r in self.db.read(q.typed_edge_statements(kind)["read"]):
                yield AtomEdge(
                    a=r["a"],
                    b=r["b"],
                    type=kind,
                    score=r["score"] or 0.0,
                    source=r["source"] or "",
                    evidence=r.get("evidence") or "",
                )

    # -- co-occurrence ------------------------------------------------------------------------
    def _association(self, a: str, others: list[str], counts: list[int]) -> list[Cooccurrence]:
        freq = {r["id"]: int(r["frequency"]) for r in self.db.read(q.FREQUENCIES, ids=[a, *others])}
        n_seeds = int(self.db.read(q.COUNT_SEEDS)[0]["n"])
        c = np.asarray(counts, dtype=np.float64)
        fb = np.asarray([freq[b] for b in others], dtype=np.float64)
        pmi, npmi = pmi_npmi(c, np.full(len(others), freq[a], dtype=np.float64), fb, n_seeds)
        return [
            Cooccurrence(a=a, b=b, count=int(n), pmi=float(p), npmi=float(x))
            for b, n, p, x in zip(others, counts, pmi, npmi, strict=True)
        ]

    def cooccurrence(self, a: str, b: str) -> Cooccurrence | None:
        """Count and association of one pair, or ``None`` if never seen together."""
        if a == b:
            return None
        rows = self.db.read(q.PAIR_COUNT, a=a, b=b)
        if not rows or not rows[0]["count"]:
            return None
        return self._association(a, [b], [int(rows[0]["count"])])[0]

    def neighbours(self, atom_id: str, limit: int = 10) -> list[Cooccurrence]:
        """Atoms co-occurring with ``atom_id``, most frequent pair first."""
        rows = self.db.read(q.NEIGHBOURS, id=atom_id, limit=int(limit))
        if not rows:
            return []
        return self._association(atom_id, [r["id"] for r in rows], [int(r["count"]) for r in rows])

    def projection(self) -> Projection:
        """Sparse incidence and co-occurrence matrices (cached until the next write)."""
        if self._projection is None:
            atom_ids = sorted(a.id for a in self.iter_atoms() if a.level == 0)
            members = {row.seed_id: row.atom_ids for row in self.iter_memberships()}
            self._projection = build_projection(atom_ids, members)
        return self._projection

    def to_networkx(self) -> nx.Graph:
        """Atom graph: nodes carry atom fields, ``CO_OCCURS`` edges carry count/pmi/npmi."""
        return association_graph(self.iter_atoms(), self.projection())

    def stats(self) -> StoreStats:
        """Seeds, atoms per domain and slot, memberships and edge counts."""
        domains: dict[str, DomainStats] = {}
        embedded = merged = 0
        for r in self.db.read(q.STATS_SLOTS):
            dom = domains.setdefault(r["domain"], DomainStats())
            if int(r["level"] or 0) > 0:
                dom.groups += int(r["atoms"])
                continue
            dom.slots[r["slot"]] = SlotStats(
                atoms=int(r["atoms"]), memberships=int(r["memberships"])
            )
            dom.atoms += int(r["atoms"])
            embedded += int(r["embedded"])
            merged += int(r["merged"])
        sources: Counter[str] = Counter()
        for r in self.db.read(q.STATS_SEEDS):
            dom = domains.setdefault(r["domain"], DomainStats())
            dom.seeds += int(r["seeds"])
            dom.seed_details += int(r["details"] or 0)
            sources[r["source"]] += int(r["seeds"])
        task_counts = self.db.read(q.COUNT_TASKS)[0]
        edges = {
            k: int(self.db.read(q.typed_edge_statements(k)["count"])[0]["n"]) for k in EDGE_TYPES
        }
        return StoreStats(
            store=self.location,
            seeds=sum(sources.values()),
            atoms=sum(d.atoms for d in domains.values()),
            memberships=int(self.db.read(q.COUNT_MEMBERSHIPS)[0]["n"]),
            cooccurrence_edges=int(self.db.read(q.COUNT_COOCCURRENCE)[0]["n"]),
            domains=dict(sorted(domains.items())),
            sources=dict(sorted(sources.items())),
            edges={k: n for k, n in sorted(edges.items()) if n},
            embedded_atoms=embedded,
            merged_atoms=merged,
            tasks=int(task_counts["n"]),
            verified_tasks=int(task_counts["verified"] or 0),
        )

    # -- lifecycle ------------------------------------------------------------------------------
    def commit(self) -> None:
        """Writes are already durable; refresh ``Atom.frequency`` and ``CO_OCCURS`` PMI/NPMI."""
        freq_rows = self.db.read(q.ALL_FREQUENCIES)
        freq = {r["id"]: int(r["frequency"]) for r in freq_rows}
        stale = [
            {"id": r["id"], "frequency": int(r["frequency"])}
            for r in freq_rows
            if r["stored"] != r["frequency"]
        ]
        for batch in chunks(stale, self.batch_size):
            self.db.write(q.SET_FREQUENCIES, rows=batch)
        pairs = self.db.read(q.ALL_COOCCURRENCE)
        if pairs:
            n_seeds = int(self.db.read(q.COUNT_SEEDS)[0]["n"])
            counts = np.asarray([r["count"] for r in pairs], dtype=np.float64)
            fa = np.asarray([freq[r["a"]] for r in pairs], dtype=np.float64)
            fb = np.asarray([freq[r["b"]] for r in pairs], dtype=np.float64)
            pmi, npmi = pmi_npmi(counts, fa, fb, n_seeds)
            rows = [
                {"a": r["a"], "b": r["b"], "pmi": float(p), "npmi": float(x)}
                for r, p, x in zip(pairs, pmi, npmi, strict=True)
                if r["npmi"] is None or abs(float(r["npmi"]) - float(x)) > 1e-9
            ]
            for batch in chunks(rows, self.batch_size):
                self.db.write(q.SET_ASSOCIATION, rows=batch)
        log.info("refreshed %d frequencies and the association of %d pairs", len(stale), len(pairs))

    def cypher(
        self, statement: str, params: dict[str, Any] | None = None, *, write: bool = False
    ) -> list[dict[str, Any]]:
        """Run a user's Cypher statement with parameters; rows as dicts.

        Read-only transactions unless ``write``; on Neo4j a write in a read
        transaction is refused by the server.
        """
        run = self.db.write if write else self.db.read
        rows = run(statement, **(params or {}))
        if write:
            self._projection = None
        return rows

    def clear(self) -> None:
        """Delete every atom and seed (tests and ``import --replace``)."""
        for statement in (q.CLEAR_TASKS, q.CLEAR_ATOMS, q.CLEAR_SEEDS):
            while int(self.db.write(statement, limit=self.batch_size)[0]["n"]):
                pass
        self._projection = None

    def close(self) -> None:
        self.db.close()
        self._projection = None

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
