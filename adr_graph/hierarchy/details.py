"""Atoms the hierarchy cannot place and too few seeds name stay details of their seeds.

The grain of ``schema/README.md``: a fine atom that no name rule, namespace or embedding
cluster places, and that fewer than its slot's ``detail_below`` seeds name (default 2), is
not a graph atom. Its id moves from the seed's ``atom_ids`` into the seed's ``details``
(``Seed.details`` in Cypher). When a later ingest brings the same atom back and it is then
placed, or enough seeds name it, the details become memberships again.

An atom whose slot clusters by embedding but which has no embedding (ingest without an
embedder) was never given the chance to be placed, and an atom a task holds cannot leave
the graph: both are kept.

>>> from adr_graph.store import SeedAtoms
>>> rows = [SeedAtoms(seed_id="s1", domain="tool_usage", source="t", atom_ids=["x", "y"]),
...         SeedAtoms(seed_id="s2", domain="tool_usage", source="t", atom_ids=["y"])]
>>> moves = plan_details(rows, unplaced={"x": 2, "y": 2}, existing={"x", "y"})
>>> [(r.seed_id, r.atom_ids, r.details) for r in moves.rows], moves.demoted
([('s1', ['y'], ['x'])], ['x'])
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from ..store.base import SeedAtoms

__all__ = ["DetailMoves", "plan_details"]


@dataclass
class DetailMoves:
    """Seed rows to rewrite, and the atoms that leave or rejoin the graph."""

    rows: list[SeedAtoms] = field(default_factory=list)
    #: atom ids now held only as seed details (delete them from the graph)
    demoted: list[str] = field(default_factory=list)
    #: atom ids whose details became memberships again
    promoted: list[str] = field(default_factory=list)


def _slot(atom_id: str) -> str:
    return atom_id.rsplit("/", 1)[0]  # ``domain/slot`` of ``domain/slot/name``


def _needed(row: SeedAtoms, atom: str, required: Collection[str]) -> bool:
    """Whether ``atom`` is the only atom ``row`` holds in a required slot."""
    slot = _slot(atom)
    return slot in required and not any(_slot(a) == slot for a in row.atom_ids if a != atom)


def plan_details(
    memberships: Iterable[SeedAtoms],
    unplaced: Mapping[str, int],
    existing: Collection[str],
    held_by_tasks: Collection[str] = (),
    required: Collection[str] = (),
) -> DetailMoves:
    """Which seed rows change.

    ``unplaced`` maps each unplaced fine atom that may leave the graph to its slot's
    ``detail_below``; ``existing`` is every fine atom in the graph. Support counts the seeds
    holding an atom and those holding it as a detail. ``required`` names the
    ``domain/slot`` keys a seed must fill: the only atom a seed holds in one of them stays
    (a BFCL seed keeps its one tool), so no seed is left without a required slot.
    """
    rows = {r.seed_id: r for r in memberships}
    holders: dict[str, list[str]] = defaultdict(list)
    noted: dict[str, list[str]] = defaultdict(list)
    for row in rows.values():
        for atom in row.atom_ids:
            holders[atom].append(row.seed_id)
        for atom in row.details:
            noted[atom].append(row.seed_id)
    moves = DetailMoves()
    changed: dict[str, SeedAtoms] = {}

    def edit(seed_id: str) -> SeedAtoms:
        if seed_id not in changed:
            changed[seed_id] = rows[seed_id].model_copy(deep=True)
        return changed[seed_id]

    for atom, below in sorted(unplaced.items()):
        support = len(holders.get(atom, [])) + len(noted.get(atom, []))
        if support >= below or atom in held_by_tasks:
            continue
        if any(_needed(changed.get(s, rows[s]), atom, required) for s in holders.get(atom, [])):
            continue
        moves.demoted.append(atom)  # also one no seed holds (an interrupted earlier build)
        for seed_id in holders.get(atom, []):
            row = edit(seed_id)
            row.atom_ids.remove(atom)
            row.details = sorted({*row.details, atom})
    demoted = set(moves.demoted)
    for atom, seed_ids in sorted(noted.items()):
        if atom in existing and atom not in demoted:
            moves.promoted.append(atom)
            for seed_id in seed_ids:
                row = edit(seed_id)
                row.details.remove(atom)
                row.atom_ids.append(atom)
    moves.rows = [changed[s] for s in sorted(changed)]
    return moves
