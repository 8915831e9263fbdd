"""Embedded default store: networkx in memory, snapshots on disk.

>>> from adr_graph.records import Atom
>>> store = EmbeddedStore(None)
>>> store.upsert_atoms([Atom(id="algorithm/technique/bfs", domain="algorithm",
...                          slot="technique", name="bfs"),
...                     Atom(id="algorithm/data_structure/deque", domain="algorithm",
...                          slot="data_structure", name="deque")])
2
>>> store.set_memberships([SeedAtoms(seed_id="s1", domain="algorithm", source="demo",
...     atom_ids=["algorithm/technique/bfs", "algorithm/data_structure/deque"])])
1
>>> store.cooccurrence("algorithm/technique/bfs", "algorithm/data_structure/deque").count
1
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import networkx as nx
import numpy as np
from pydantic import BaseModel

from ..errors import StoreError
from ..records import Atom, AtomEdge, Cooccurrence, MergeEvidence, TaskOutcome
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
from .cooccur import n_pairs, pmi_npmi
from .snapshot import current_snapshot, read_snapshot, write_snapshot
from .views import association_graph, build_projection

__all__ = ["EmbeddedStore"]

log = logging.getLogger(__name__)

ATOM, SEED, HAS_ATOM = "Atom", "Seed", "HAS_ATOM"
TASK, COMBINES = "Task", "COMBINES"


class EmbeddedStore:
    """In-memory networkx graph of ``Seed -HAS_ATOM-> Atom``, persisted on ``commit()``.

    Parameters
    ----------
    path : store directory, or ``None`` for a purely in-memory store.
    """

    def __init__(self, path: Path | str | None) -> None:
        self.path = Path(path) if path is not None else None
        self.location = str(self.path) if self.path else ":memory:"
        self.graph = nx.MultiDiGraph()
        self._projection: Projection | None = None
        if self.path is not None:
            self._load(self.path)

    # -- writes ---------------------------------------------------------------
    def upsert_atoms(self, atoms: Iterable[Atom]) -> int:
        """Insert atoms or merge them into existing ones; returns how many were given."""
        count = 0
        for atom in atoms:
            node = (ATOM, atom.id)
            if node in self.graph:
                self.graph.nodes[node]["record"] = merge_atom(
                    self.graph.nodes[node]["record"], atom
                )
            else:
                self.graph.add_node(node, label=ATOM, record=atom.model_copy())
            count += 1
        self._projection = None
        return count

    def set_memberships(self, rows: Iterable[SeedAtoms]) -> int:
        """Record which atoms each seed holds; a seed's earlier row is replaced."""
        count = 0
        for row in rows:
            missing = [a for a in row.atom_ids if (ATOM, a) not in self.graph]
            if missing:
                raise StoreError(
                    f"seed {row.seed_id!r} refers to unknown atoms {missing[:3]}; "
                    "upsert atoms first"
                )
            node = (SEED, row.seed_id)
            if node in self.graph:
                self.graph.remove_edges_from(list(self.graph.out_edges(node, keys=True)))
            meta = row.model_dump(exclude={"atom_ids"})
            self.graph.add_node(node, label=SEED, **meta)
            for atom in dict.fromkeys(row.atom_ids):
                self.graph.add_edge(node, (ATOM, atom), key=HAS_ATOM)
            count += 1
        self._projection = None
        return count

    def upsert_edges(self, edges: Iterable[AtomEdge]) -> int:
        """Insert or replace typed atom-atom edges (key: both ends and the type)."""
        count = 0
        for edge in edges:
            for end in (edge.a, edge.b):
                if (ATOM, end) not in self.graph:
                    raise StoreError(f"{edge.type} edge refers to unknown atom {end!r}")
            self.graph.add_edge((ATOM, edge.a), (ATOM, edge.b), key=edge.type, record=edge)
            count += 1
        return count

    def delete_edges(self, edges: Iterable[AtomEdge]) -> int:
        """Remove typed atom-atom edges (matched by both ends and the type; absent ones
        are skipped); returns how many were removed."""
        removed = 0
        for edge in edges:
            u, v = (ATOM, edge.a), (ATOM, edge.b)
            if self.graph.has_edge(u, v, key=edge.type):
                self.graph.remove_edge(u, v, key=edge.type)
                removed += 1
        return removed

    def record_outcomes(self, outcomes: Iterable[TaskOutcome]) -> int:
        """Record verification outcomes (a task's earlier outcome is replaced)."""
        count = 0
        for outcome in outcomes:
            missing = [a for a in outcome.atom_ids if (ATOM, a) not in self.graph]
            if missing:
                raise StoreError(f"task {outcome.task_id!r} refers to unknown atoms {missing[:3]}")
            node = (TASK, outcome.task_id)
            if node in self.graph:
                self.graph.remove_node(node)
            self.graph.add_node(node, label=TASK, record=outcome)
            for atom in dict.fromkeys(outcome.atom_ids):
                self.graph.add_edge(node, (ATOM, atom), key=COMBINES)
            count += 1
        return count

    def iter_outcomes(self) -> Iterator[TaskOutcome]:
        for _node, data in self.graph.nodes(data=True):
            if data["label"] == TASK:
                yield data["record"]

    def merge_atoms(self, canonical: str, duplicate: str, evidence: MergeEvidence) -> None:
        """Fold ``duplicate`` into ``canonical``: memberships move, names become aliases."""
        keep, drop = self.get_atom(canonical), self.get_atom(duplicate)
        if keep is None or drop is None or canonical == duplicate:
            raise StoreError(f"cannot merge {duplicate!r} into {canonical!r}: unknown or same atom")
        for seed in self.atom_seeds(duplicate):
            self.graph.add_edge((SEED, seed), (ATOM, canonical), key=HAS_ATOM)
        merged = merged_record(keep, drop, evidence)
        moved = [
            o.model_copy(update={"atom_ids": retarget(o.atom_ids, duplicate, canonical)})
            for o in self.iter_outcomes()
            if duplicate in o.atom_ids
        ]
        self.graph.remove_node((ATOM, duplicate))
        self.record_outcomes(moved)
        self.graph.nodes[(ATOM, canonical)]["record"] = merged.model_copy(update={"frequency": 0})
        self._projection = None

    def delete_atoms(self, atom_ids: Iterable[str]) -> int:
        """Remove atoms no seed or task holds, with their typed edges (absent ids are
        skipped); returns how many were removed."""
        nodes = [(ATOM, a) for a in dict.fromkeys(atom_ids) if (ATOM, a) in self.graph]
        held = [
            n[1]
            for n in nodes
            if any(k in (HAS_ATOM, COMBINES) for *_e, k in self.graph.in_edges(n, keys=True))
        ]
        if held:
            raise StoreError(
                f"cannot delete atom {held[0]!r}: seeds or tasks hold it; merge it instead"
            )
        self.graph.remove_nodes_from(nodes)
        self._projection = None
        return len(nodes)

    # -- reads ----------------------------------------------------------------
    def get_atom(self, atom_id: str) -> Atom | None:
        data = self.graph.nodes.get((ATOM, atom_id))
        if data is None:
            return None
        record: Atom = data["record"]
        return record.model_copy(update={"frequency": self._frequency((ATOM, atom_id))})

    def iter_atoms(self, domain: str | None = None, slot: str | None = None) -> Iterator[Atom]:
        for node, data in self.graph.nodes(data=True):
            if data["label"] != ATOM:
                continue
            record: Atom = data["record"]
            if (domain is None or record.domain == domain) and (
                slot is None or record.slot == slot
            ):
                yield record.model_copy(update={"frequency": self._frequency(node)})

    def seed_atoms(self, seed_id: str) -> list[str]:
        node = (SEED, seed_id)
        return sorted(a for _, (_, a) in self.graph.out_edges(node)) if node in self.graph else []

    def atom_seeds(self, atom_id: str) -> list[str]:
        node = (ATOM, atom_id)
        if node not in self.graph:
            return []
        return [s for (_, s), _, key in self.graph.in_edges(node, keys=True) if key == HAS_ATOM]

    def _frequency(self, node: tuple[str, str]) -> int:
        return sum(1 for *_e, key in self.graph.in_edges(node, keys=True) if key == HAS_ATOM)

    def iter_edges(self, edge_type: str | None = None) -> Iterator[AtomEdge]:
        """Typed atom-atom edges, optionally of one type."""
        for _a, _b, key, data in self.graph.edges(keys=True, data=True):
            if key not in (HAS_ATOM, COMBINES) and (edge_type is None or key == edge_type):
                yield data["record"]

    def iter_memberships(self) -> Iterator[SeedAtoms]:
        for node, data in self.graph.nodes(data=True):
            if data["label"] == SEED:
                meta = {k: v for k, v in data.items() if k != "label"}
                yield SeedAtoms(**meta, atom_ids=self.seed_atoms(node[1]))

    # -- co-occurrence ---------------------------------------------------------
    def projection(self) -> Projection:
        """Sparse incidence and co-occurrence matrices (cached until the next write)."""
        if self._projection is None:
            atom_ids = [
                n[1]
                for n, d in self.graph.nodes(data=True)
                if d["label"] == ATOM and d["record"].level == 0
            ]
            members = {
                n[1]: self.seed_atoms(n[1])
                for n, d in self.graph.nodes(data=True)
                if d["label"] == SEED
            }
            self._projection = build_projection(atom_ids, members)
        return self._projection

    def _pair(self, proj: Projection, i: int, j: np.ndarray, c: np.ndarray) -> list[Cooccurrence]:
        pmi, npmi = pmi_npmi(c, proj.frequency[[i] * len(j)], proj.frequency[j], proj.n_seeds)
        return [
            Cooccurrence(
                a=proj.atom_ids[i], b=proj.atom_ids[k], count=int(n), pmi=float(p), npmi=float(q)
            )
            for k, n, p, q in zip(j, c, pmi, npmi, strict=True)
        ]

    def cooccurrence(self, a: str, b: str) -> Cooccurrence | None:
        """Count and association of one pair, or ``None`` if never seen together."""
        proj = self.projection()
        if a == b or a not in proj.index or b not in proj.index:
            return None
        i, j = proj.index[a], proj.index[b]
        count = int(proj.counts[i, j])
        return self._pair(proj, i, np.array([j]), np.array([count]))[0] if count else None

    def neighbours(self, atom_id: str, limit: int = 10) -> list[Cooccurrence]:
        """Atoms co-occurring with ``atom_id``, most frequent pair first."""
        proj = self.projection()
        if atom_id not in proj.index:
            return []
        i = proj.index[atom_id]
        row = proj.counts.getrow(i)
        keep = row.indices != i
        cols, counts = row.indices[keep], row.data[keep]
        order = np.lexsort((cols, -counts))[:limit]
        return self._pair(proj, i, cols[order], counts[order])

    def to_networkx(self) -> nx.Graph:
        """Atom graph: nodes carry atom fields, ``CO_OCCURS`` edges carry count/pmi/npmi."""
        return association_graph(self.iter_atoms(), self.projection())

    def stats(self) -> StoreStats:
        """Seeds, atoms per domain and slot, memberships and co-occurrence edges."""
        domains: dict[str, DomainStats] = {}
        embedded = merged = 0
        for atom in self.iter_atoms():
            dom = domains.setdefault(atom.domain, DomainStats())
            if atom.level > 0:  # groups and areas of the hierarchy are counted apart
                dom.groups += 1
                continue
            embedded += atom.embedding is not None
            merged += len(atom.merged_from)
            slot = dom.slots.setdefault(atom.slot, SlotStats())
            dom.atoms += 1
            slot.atoms += 1
            slot.memberships += atom.frequency
        sources: Counter[str] = Counter()
        for _node, data in self.graph.nodes(data=True):
            if data["label"] == SEED:
                dom = domains.setdefault(data["domain"], DomainStats())
                dom.seeds += 1
                dom.seed_details += len(data.get("details") or [])
                sources[data["source"]] += 1
        return StoreStats(
            store=self.location,
            seeds=sum(sources.values()),
            atoms=sum(d.atoms for d in domains.values()),
            memberships=sum(1 for *_e, k in self.graph.edges(keys=True) if k == HAS_ATOM),
            cooccurrence_edges=n_pairs(self.projection().counts),
            domains=dict(sorted(domains.items())),
            sources=dict(sorted(sources.items())),
            edges=dict(sorted(Counter(e.type for e in self.iter_edges()).items())),
            embedded_atoms=embedded,
            merged_atoms=merged,
            tasks=sum(1 for _ in self.iter_outcomes()),
            verified_tasks=sum(o.verified for o in self.iter_outcomes()),
        )

    # -- persistence -------------------------------------------------------------
    def commit(self) -> None:
        """Write everything as a new snapshot; a crash midway keeps the previous one."""
        if self.path is None:
            return
        atoms = (a.model_copy(update={"frequency": 0}) for a in self.iter_atoms())
        tables = {
            "atoms": atoms,
            "seeds": self.iter_memberships(),
            "edges": self.iter_edges(),
            "tasks": self.iter_outcomes(),
        }
        write_snapshot(self.path, tables)
        log.info("committed store %s", self.path)

    def _load(self, path: Path) -> None:
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path}: --store must be a directory (or a bolt:// URI)")
        folder = current_snapshot(path)
        if folder is None:
            return
        models: dict[str, type[BaseModel]] = {
            "atoms": Atom,
            "seeds": SeedAtoms,
            "edges": AtomEdge,
            "tasks": TaskOutcome,
        }
        tables = read_snapshot(folder, models, optional=frozenset({"tasks"}))
        self.upsert_atoms(a for a in tables["atoms"] if isinstance(a, Atom))
        self.set_memberships(s for s in tables["seeds"] if isinstance(s, SeedAtoms))
        self.upsert_edges(e for e in tables["edges"] if isinstance(e, AtomEdge))
        self.record_outcomes(t for t in tables.get("tasks", []) if isinstance(t, TaskOutcome))

    def clear(self) -> None:
        """Forget every atom, seed and edge (the next ``commit()`` persists that)."""
        self.graph.clear()
        self._projection = None

    def close(self) -> None:
        self._projection = None

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
