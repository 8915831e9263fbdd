"""Write the hierarchy into a store: group and area atoms, ``IS_A`` edges, and a report.

>>> from adr_graph.records import Atom
>>> from adr_graph.store import EmbeddedStore, SeedAtoms
>>> store = EmbeddedStore(None)
>>> _ = store.upsert_atoms([Atom(id="algorithm/technique/dijkstra", domain="algorithm",
...                              slot="technique", name="dijkstra")])
>>> _ = store.set_memberships([SeedAtoms(seed_id="s", domain="algorithm", source="t",
...                                      atom_ids=["algorithm/technique/dijkstra"])])
>>> report = build_hierarchy(store)
>>> report.domains["algorithm"].placed_share, report.domains["algorithm"].depth
(1.0, 2)
>>> [e.b for e in store.iter_edges("IS_A")][0]
'algorithm/technique/group:shortest-paths'
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from pydantic import BaseModel, Field

from ..records import Atom
from ..schema import load_schemas
from ..store.base import GraphStore, SeedAtoms
from .details import DetailMoves, plan_details
from .plan import EDGE_SOURCE, HierarchyPlan, plan_hierarchy
from .spec import DomainHierarchy, load_hierarchies

__all__ = ["DomainHierarchyReport", "HierarchyReport", "build_hierarchy", "hierarchy_depth"]


class DomainHierarchyReport(BaseModel):
    fine_atoms: int
    groups: int
    areas: int
    is_a_edges: int
    #: share of fine atoms with a parent group
    placed_share: float
    depth: int
    placed_by: dict[str, int] = Field(default_factory=dict)
    #: fine atoms no rule placed (at most 20 named)
    unplaced: list[str] = Field(default_factory=list)
    unplaced_count: int = 0
    #: share of fine atoms with a parent, per slot
    per_slot: dict[str, float] = Field(default_factory=dict)
    #: unplaced atoms too few seeds name, moved into their seeds' ``details``
    seed_details: int = 0
    #: seed details that became memberships again (placed now, or named by more seeds)
    promoted: int = 0


class HierarchyReport(BaseModel):
    domains: dict[str, DomainHierarchyReport] = Field(default_factory=dict)
    #: groups and areas of an earlier build that the new plan no longer has
    removed_groups: int = 0


def _capability(
    rows: list[SeedAtoms], atoms: dict[str, Atom], slot_pairs: set[tuple[str, str]]
) -> dict[str, Counter[str]]:
    """Per fine atom of a slot with a ``capability_slot``: the names of that slot's atoms
    its seeds (``rows``) hold, counted."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    if not slot_pairs:
        return out
    for row in rows:
        held = [atoms[a] for a in row.atom_ids if a in atoms]
        for slot, target in slot_pairs:
            names = [a.name for a in held if a.slot == target]
            for atom in held:
                if atom.slot == slot:
                    out[atom.id].update(names)
    return out


def _with_centroids(plan: HierarchyPlan, atoms: dict[str, Atom]) -> list[Atom]:
    """Group and area atoms carrying the normalised mean embedding of their fine atoms."""
    children: dict[str, list[str]] = defaultdict(list)
    for edge in plan.edges:
        children[edge.b].append(edge.a)

    def leaves(node: str) -> list[str]:
        kids = children.get(node, [])
        return [x for k in kids for x in (leaves(k) if k in children else [k])]

    out = []
    for gid, group in plan.groups.items():
        found = [atoms[a].embedding for a in leaves(gid) if a in atoms]
        vectors = [v for v in found if v is not None]
        if vectors and len(vectors) == len(found) and len({len(v) for v in vectors}) == 1:
            mean = np.mean(np.array(vectors, dtype=np.float64), axis=0)
            norm = float(np.linalg.norm(mean)) or 1.0
            embedder = next(iter(atoms[a].embedder for a in leaves(gid) if a in atoms))
            group = group.model_copy(
                update={"embedding": [float(x) for x in mean / norm], "embedder": embedder}
            )
        out.append(group)
    return out


def hierarchy_depth(plan: HierarchyPlan) -> int:
    """Longest ``IS_A`` chain in the plan (edges), 0 when there is none."""
    parents: dict[str, list[str]] = defaultdict(list)
    for edge in plan.edges:
        parents[edge.a].append(edge.b)

    def height(node: str) -> int:
        return max((1 + height(p) for p in parents.get(node, [])), default=0)

    return max((height(node) for node in parents), default=0)


def _report(plan: HierarchyPlan, fine: list[Atom], moves: DetailMoves) -> DomainHierarchyReport:
    demoted = set(moves.demoted)
    held, fine = len(fine), [a for a in fine if a.id not in demoted]
    unplaced = set(plan.unplaced) - demoted
    per_slot: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for atom in fine:
        per_slot[atom.slot][0] += atom.id not in unplaced
        per_slot[atom.slot][1] += 1
    return DomainHierarchyReport(
        fine_atoms=len(fine),
        groups=sum(1 for a in plan.groups.values() if a.level == 1),
        areas=sum(1 for a in plan.groups.values() if a.level == 2),
        is_a_edges=len(plan.edges),
        placed_share=round(1 - len(unplaced) / len(fine), 4) if fine else 0.0,
        depth=hierarchy_depth(plan),
        placed_by=dict(plan.placed_by),
        unplaced=sorted(unplaced)[:20],
        unplaced_count=len(unplaced),
        per_slot={s: round(p / n, 4) for s, (p, n) in sorted(per_slot.items())},
        seed_details=held - len(fine),
        promoted=len(set(moves.promoted) & {a.id for a in fine}),
    )


def _detail_moves(
    store: GraphStore,
    rows: list[SeedAtoms],
    atoms: dict[str, Atom],
    plans: dict[str, HierarchyPlan],
    specs: dict[str, DomainHierarchy],
) -> DetailMoves:
    """Move unplaced atoms too few seeds name into their seeds' details (and back), in the
    store; an atom of a clustered slot without an embedding was never tried and stays.
    ``rows`` are the store's memberships, ``atoms`` its atoms by id."""
    unplaced: dict[str, int] = {}
    for domain, plan in plans.items():
        for atom_id in plan.unplaced:
            atom = atoms[atom_id]
            slot = specs[domain].slots.get(atom.slot)
            if slot is None or (slot.cluster is not None and atom.embedding is None):
                continue
            unplaced[atom_id] = slot.detail_below
    held = {a for t in store.iter_outcomes() for a in t.atom_ids}
    required = {
        f"{domain}/{slot}"
        for domain, schema in load_schemas().items()
        for slot in schema.required_slots
    }
    fine = {a for a, atom in atoms.items() if atom.level == 0}
    moves = plan_details(rows, unplaced, fine, held, required)
    if moves.rows:
        store.set_memberships(moves.rows)
    if moves.demoted:
        store.delete_atoms(moves.demoted)
    return moves


def build_hierarchy(store: GraphStore) -> HierarchyReport:
    """Place every fine atom of the store and write groups, areas and ``IS_A`` edges.

    Earlier ``IS_A`` edges made by this module are replaced, and groups or areas the new
    plan no longer has are deleted; the caller commits.
    """
    specs = load_hierarchies()
    atoms = {a.id: a for a in store.iter_atoms()}
    pairs = {
        (slot, spec.capability_slot)
        for d in specs.values()
        for slot, spec in d.slots.items()
        if spec.capability_slot
    }
    rows = list(store.iter_memberships())  # read once: capabilities and seed details
    capability = _capability(rows, atoms, pairs)
    by_domain: dict[str, list[Atom]] = defaultdict(list)
    for atom in atoms.values():
        if atom.level == 0:
            by_domain[atom.domain].append(atom)
    old = [e for e in store.iter_edges("IS_A") if e.source == EDGE_SOURCE]
    store.delete_edges(old)
    report = HierarchyReport()
    plans = {
        domain: plan_hierarchy(fine, specs[domain], capability=capability)
        for domain, fine in sorted(by_domain.items())
        if domain in specs
    }
    moves = _detail_moves(store, rows, atoms, plans, specs)
    planned: set[str] = set()
    for domain, plan in plans.items():  # demoted atoms were unplaced: no IS_A edge names them
        store.upsert_atoms(_with_centroids(plan, atoms))
        store.upsert_edges(plan.edges)
        planned.update(plan.groups)
        report.domains[domain] = _report(plan, by_domain[domain], moves)
    stale = [a.id for a in atoms.values() if a.level > 0 and a.id not in planned]
    report.removed_groups = store.delete_atoms(stale)
    return report
