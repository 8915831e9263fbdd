"""Graph stores: the protocol, the embedded default, and ``open_store``."""

from __future__ import annotations

from pathlib import Path

from ..errors import StoreError
from .base import DomainStats, GraphStore, Projection, SeedAtoms, SlotStats, StoreStats
from .embedded import EmbeddedStore

__all__ = [
    "DomainStats",
    "EmbeddedStore",
    "GraphStore",
    "Projection",
    "SeedAtoms",
    "SlotStats",
    "StoreStats",
    "open_store",
]

_BOLT_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def open_store(location: str | Path) -> GraphStore:
    """Open a store: a directory for the embedded store or a Bolt URI.

    >>> open_store(":memory:").location
    ':memory:'
    """
    text = str(location)
    if text.startswith(_BOLT_SCHEMES):
        raise StoreError(
            f"{text}: the Neo4j/Bolt store is not available in this version; "
            "use a directory for --store (the embedded store)"
        )
    if text == ":memory:":
        return EmbeddedStore(None)
    return EmbeddedStore(Path(text))
