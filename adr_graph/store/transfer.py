"""Copy a whole graph between stores (embedded <-> Bolt), losslessly.

Atoms (aliases, embeddings, merge evidence), seed memberships with their metadata,
and typed edges are copied in batches; co-occurrence is derived from memberships on
the way in. The target should be empty: into a non-empty store, atoms merge with
what is there and memberships of the same seed ids are replaced.

>>> from adr_graph.records import Atom
>>> from adr_graph.store import EmbeddedStore, SeedAtoms
>>> src, dst = EmbeddedStore(None), EmbeddedStore(None)
>>> _ = src.upsert_atoms([Atom(id="algorithm/technique/bfs", domain="algorithm",
...                            slot="technique", name="bfs")])
>>> _ = src.set_memberships([SeedAtoms(seed_id="s1", domain="algorithm", source="demo",
...                                    atom_ids=["algorithm/technique/bfs"])])
>>> report = copy_graph(src, dst)
>>> (report.atoms, report.groups, report.seeds, report.edges), dst.seed_atoms("s1")
((1, 0, 1, 0), ['algorithm/technique/bfs'])
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from .base import GraphStore

__all__ = ["TransferReport", "copy_graph"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class TransferReport:
    """How many records :func:`copy_graph` copied (``atoms``: fine atoms, as
    :meth:`GraphStore.stats` counts them; ``groups``: hierarchy groups and areas)."""

    atoms: int
    seeds: int
    edges: int
    tasks: int = 0
    groups: int = 0


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def copy_graph(
    source: GraphStore,
    target: GraphStore,
    *,
    batch_size: int = 2000,
    on_progress: Callable[[str, int], None] | None = None,
) -> TransferReport:
    """Copy every atom, membership and typed edge of ``source`` into ``target``.

    ``on_progress(kind, n)`` is called after each batch (kind: atoms, groups, seeds,
    edges, tasks).
    The caller commits ``target``.
    """
    counts = {"atoms": 0, "seeds": 0, "edges": 0, "tasks": 0, "groups": 0}

    def step(kind: str, n: int) -> None:
        counts[kind] += n
        if on_progress is not None:
            on_progress(kind, n)

    for atoms in _batches(source.iter_atoms(), batch_size):
        target.upsert_atoms(a.model_copy(update={"frequency": 0}) for a in atoms)
        groups = sum(1 for a in atoms if a.level > 0)
        step("atoms", len(atoms) - groups)
        step("groups", groups)
    for rows in _batches(source.iter_memberships(), batch_size):
        target.set_memberships(rows)
        step("seeds", len(rows))
    for edges in _batches(source.iter_edges(), batch_size):
        target.upsert_edges(edges)
        step("edges", len(edges))
    for outcomes in _batches(source.iter_outcomes(), batch_size):
        target.record_outcomes(outcomes)
        step("tasks", len(outcomes))
    log.info("copied %s from %s to %s", counts, source.location, target.location)
    return TransferReport(**counts)
