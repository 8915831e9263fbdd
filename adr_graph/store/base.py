"""The ``GraphStore`` protocol every backend implements, and its small records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import networkx as nx
import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, Field

from ..records import Atom, AtomEdge, Cooccurrence, MergeEvidence, TaskOutcome

__all__ = ["DomainStats", "GraphStore", "Projection", "SeedAtoms", "SlotStats", "StoreStats"]


class SeedAtoms(BaseModel):
    """A seed's membership row: which atoms it holds (replaces any earlier row)."""

    seed_id: str
    domain: str
    source: str
    license: str = ""
    atom_ids: list[str] = Field(default_factory=list)


class SlotStats(BaseModel):
    atoms: int = 0
    memberships: int = 0


class DomainStats(BaseModel):
    seeds: int = 0
    atoms: int = 0
    slots: dict[str, SlotStats] = Field(default_factory=dict)


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
    """Storage for atoms, seed memberships and derived co-occurrence."""

    location: str

    def upsert_atoms(self, atoms: Iterable[Atom]) -> int: ...

    def set_memberships(self, rows: Iterable[SeedAtoms]) -> int: ...

    def upsert_edges(self, edges: Iterable[AtomEdge]) -> int: ...

    def merge_atoms(self, canonical: str, duplicate: str, evidence: MergeEvidence) -> None: ...

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
