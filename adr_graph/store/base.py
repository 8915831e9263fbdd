"""The ``GraphStore`` protocol every backend implements, and its small records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, Field

from ..errors import StoreError
from ..records import Atom, AtomEdge, Cooccurrence, MergeEvidence, TaskOutcome

__all__ = [
    "DomainStats",
    "GraphStore",
    "Projection",
    "SeedAtoms",
    "SlotStats",
    "StoreStats",
    "merge_atom",
    "merged_record",
    "retarget",
]


class SeedAtoms(BaseModel):
    """A seed's membership row: which atoms it holds (replaces any earlier row)."""

    seed_id: str
    domain: str
    source: str
    license: str = ""
    atom_ids: list[str] = Field(default_factory=list)
    #: ids of atoms this seed alone names that the hierarchy could not place: kept with the
    #: seed, not as graph atoms (``schema/README.md``, grain)
    details: list[str] = Field(default_factory=list)


class SlotStats(BaseModel):
    atoms: int = 0
    memberships: int = 0


class DomainStats(BaseModel):
    seeds: int = 0
    #: fine atoms (held by seeds); ``groups`` counts the hierarchy's groups and areas
    atoms: int = 0
    groups: int = 0
    slots: dict[str, SlotStats] = Field(default_factory=dict)
    #: atom ids the domain's seeds keep as details, not as graph atoms (``Seed.details``)
    seed_details: int = 0


class StoreStats(BaseModel):
    """Counts a user checks after ingest; ``stats --json`` prints this."""

    store: str
    seeds: int
    atoms: int
    memberships: int
    cooccurrence_edges: int
    domains: dict[str, DomainStats]
    sources: dict[str, int]
    #: Typed atom-atom edges by type (``SIMILAR``, ``INCOMPATIBLE``).
    edges: dict[str, int] = Field(default_factory=dict)
    #: Atoms carrying an embedding, and duplicates folded in by canonicalisation.
    embedded_atoms: int = 0
    merged_atoms: int = 0
    #: Verification outcomes written back: tasks recorded, and how many verified.
    tasks: int = 0
    verified_tasks: int = 0


def merge_atom(old: Atom, new: Atom) -> Atom:
    """Combine two records of one atom: union aliases/extractors, keep the longer text.

    >>> a = Atom(id="x/s/a", domain="x", slot="s", name="a", aliases=["A"], extractors=["static"])
    >>> b = Atom(id="x/s/a", domain="x", slot="s", name="a", aliases=["alpha"], extractors=["llm"])
    >>> merge_atom(a, b).aliases, merge_atom(a, b).extractors
    (['A', 'alpha'], ['llm', 'static'])
    """
    if (old.domain, old.slot) != (new.domain, new.slot):
        raise StoreError(
            f"atom {old.id!r} exists in slot {old.domain}/{old.slot}, not {new.domain}/{new.slot}"
        )
    aliases = sorted(set(old.aliases) | set(new.aliases) - {old.name})
    description = (
        new.description if len(new.description) > len(old.description) else old.description
    )
    return old.model_copy(
        update={
            "aliases": aliases,
            "description": description,
            "extractors": sorted(set(old.extractors) | set(new.extractors)),
            "embedding": new.embedding if new.embedding is not None else old.embedding,
            "embedder": new.embedder if new.embedding is not None else old.embedder,
        }
    )


def merged_record(keep: Atom, drop: Atom, evidence: MergeEvidence) -> Atom:
    """``keep`` after absorbing ``drop``: its names become aliases, evidence is appended,
    and ``keep`` keeps its own embedding (used by every store's ``merge_atoms``)."""
    as_keep = drop.model_copy(update={"id": keep.id, "slot": keep.slot, "embedding": None})
    merged = merge_atom(keep, as_keep)
    merged.aliases = sorted(set(merged.aliases) | {drop.name} | set(drop.aliases) - {keep.name})
    merged.merged_from = [*keep.merged_from, *drop.merged_from, evidence]
    return merged


def retarget(atom_ids: Iterable[str], duplicate: str, canonical: str) -> list[str]:
    """``atom_ids`` with ``duplicate`` replaced by ``canonical``, order kept, no repeats.

    >>> retarget(["a", "dup", "b", "keep"], "dup", "keep")
    ['a', 'keep', 'b']
    """
    return list(dict.fromkeys(canonical if a == duplicate else a for a in atom_ids))


@dataclass(frozen=True)
class Projection:
    """Matrix view of a store that algorithms run on, whatever the backend.

    ``counts`` is the symmetric atom co-occurrence matrix with atom frequencies on
    its diagonal; rows and columns follow ``atom_ids``.
    """

    atom_ids: list[str]
    seed_ids: list[str]
    incidence: sp.csr_matrix
    counts: sp.csr_matrix
    frequency: np.ndarray
    index: dict[str, int] = field(repr=False)

    @property
    def n_seeds(self) -> int:
        return len(self.seed_ids)


@runtime_checkable
class GraphStore(Protocol):
    """Storage for atoms, seed memberships and derived co-occurrence.

    A store is a context manager: ``with open_store(location) as store:`` closes it on
    the way out, committed or not (the caller commits).
    """

    location: str

    def upsert_atoms(self, atoms: Iterable[Atom]) -> int: ...

    def set_memberships(self, rows: Iterable[SeedAtoms]) -> int: ...

    def upsert_edges(self, edges: Iterable[AtomEdge]) -> int: ...

    def delete_edges(self, edges: Iterable[AtomEdge]) -> int: ...

    def merge_atoms(self, canonical: str, duplicate: str, evidence: MergeEvidence) -> None: ...

    def delete_atoms(self, atom_ids: Iterable[str]) -> int: ...

    def iter_edges(self, edge_type: str | None = None) -> Iterator[AtomEdge]: ...

    def record_outcomes(self, outcomes: Iterable[TaskOutcome]) -> int: ...

    def iter_outcomes(self) -> Iterator[TaskOutcome]: ...

    def get_atom(self, atom_id: str) -> Atom | None: ...

    def iter_atoms(self, domain: str | None = None, slot: str | None = None) -> Iterator[Atom]: ...

    def seed_atoms(self, seed_id: str) -> list[str]: ...

    def iter_memberships(self) -> Iterator[SeedAtoms]: ...

    def atom_seeds(self, atom_id: str) -> list[str]: ...

    def cooccurrence(self, a: str, b: str) -> Cooccurrence | None: ...

    def neighbours(self, atom_id: str, limit: int = 10) -> list[Cooccurrence]: ...

    def projection(self) -> Projection: ...

    def to_networkx(self) -> nx.Graph: ...

    def stats(self) -> StoreStats: ...

    def commit(self) -> None: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> GraphStore: ...

    def __exit__(self, *exc: object) -> None: ...
