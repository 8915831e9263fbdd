"""Graph stores: the protocol, the embedded default, and ``open_store``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ._bolt_session import BoltSettings
from .base import DomainStats, GraphStore, Projection, SeedAtoms, SlotStats, StoreStats
from .embedded import EmbeddedStore

__all__ = [
    "BoltSettings",
    "DomainStats",
    "EmbeddedStore",
    "GraphStore",
    "Projection",
    "SeedAtoms",
    "SlotStats",
    "StoreStats",
    "is_bolt_uri",
    "open_store",
]

_BOLT_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def open_store(location: str | Path, bolt: BoltSettings | None = None) -> GraphStore:
    """Open a store: a directory for the embedded store or a Bolt URI.

    For a ``bolt://``/``neo4j://`` location, ``bolt`` carries credentials and the
    database (its ``uri`` is replaced by ``location``); the ``neo4j`` extra is needed.

    >>> open_store(":memory:").location
    ':memory:'
    """
    text = str(location)
    if is_bolt_uri(text):
        from .bolt import Neo4jStore

        settings = replace(bolt, uri=text) if bolt is not None else BoltSettings(uri=text)
        return Neo4jStore(settings)
    if text == ":memory:":
        return EmbeddedStore(None)
    return EmbeddedStore(Path(text))


def is_bolt_uri(location: str | Path) -> bool:
    """True for ``bolt://``, ``neo4j://`` and their ``+s``/``+ssc`` variants.

    >>> is_bolt_uri("bolt://localhost:7687"), is_bolt_uri(".adr-graph/store")
    (True, False)
    """
    return str(location).startswith(_BOLT_SCHEMES)
