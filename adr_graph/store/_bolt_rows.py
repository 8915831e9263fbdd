"""Rows between the Bolt store and the records: atoms, memberships, batches, seed pairs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import combinations
from typing import Any

from ..records import Atom, MergeEvidence
from .base import SeedAtoms

__all__ = ["atom_from_props", "atom_row", "chunks", "membership_from_row", "seed_pairs"]


def chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def atom_row(atom: Atom) -> dict[str, Any]:
    return {
        "id": atom.id,
        "domain": atom.domain,
        "slot": atom.slot,
        "name": atom.name,
        "description": atom.description,
        "aliases": list(atom.aliases),
        "extractors": list(atom.extractors),
        "embedding": atom.embedding,
        "embedder": atom.embedder,
        "merged_from": json.dumps([m.model_dump() for m in atom.merged_from]),
        "merged_count": len(atom.merged_from),
        "level": atom.level,
    }


def atom_from_props(props: dict[str, Any], frequency: int) -> Atom:
    merged = json.loads(props.get("merged_from") or "[]")
    return Atom(
        id=props["id"],
        domain=props["domain"],
        slot=props["slot"],
        name=props["name"],
        description=props.get("description") or "",
        aliases=list(props.get("aliases") or []),
        extractors=list(props.get("extractors") or []),
        embedding=[float(x) for x in props["embedding"]] if props.get("embedding") else None,
        embedder=props.get("embedder"),
        frequency=frequency,
        merged_from=[MergeEvidence.model_validate(m) for m in merged],
        level=int(props.get("level") or 0),
    )


def membership_from_row(row: dict[str, Any]) -> SeedAtoms:
    return SeedAtoms(
        seed_id=row["seed_id"],
        domain=row["domain"],
        source=row["source"],
        license=row["license"] or "",
        atom_ids=sorted(row["atom_ids"]),
        details=list(row.get("details") or []),
    )


def seed_pairs(atom_ids: Iterable[str]) -> list[tuple[str, str]]:
    return list(combinations(sorted(set(atom_ids)), 2))
