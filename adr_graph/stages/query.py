"""Query stage: one Cypher statement against a Bolt store or, in-process, an embedded one."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..store.embedded_cypher import READ_ONLY, EmbeddedCypher

if TYPE_CHECKING:
    from ..store.bolt import Neo4jStore

__all__ = ["QueryReport", "query_graph"]


@dataclass
class QueryReport:
    """The rows of one query and how they were got."""

    engine: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    truncated: bool = False
    seconds: float = 0.0
    #: the embedded engine built its database for this snapshot first
    rebuilt: bool = False

    @property
    def count(self) -> int:
        return len(self.rows)


def query_graph(
    target: EmbeddedCypher | Neo4jStore,
    statement: str,
    params: dict[str, Any] | None = None,
    *,
    max_rows: int | None = None,
    write: bool = False,
) -> QueryReport:
    """Run ``statement`` with ``params``; keep at most ``max_rows`` rows.

    An embedded target is read-only: ``write`` is refused there (the snapshot is the
    source of truth; ``ingest`` and ``import`` change it).
    """
    if max_rows is not None and max_rows < 1:
        raise InputError("must be at least 1", field="--max-rows")
    if isinstance(target, EmbeddedCypher):
        if write:
            raise InputError(READ_ONLY, field="--write")
        result = target.query(statement, params, max_rows=max_rows)
        return QueryReport(
            target.engine, result.rows, result.truncated, result.seconds, target.rebuilt
        )
    started = time.perf_counter()
    rows = target.cypher(statement, params, write=write)
    kept = rows if max_rows is None else rows[:max_rows]
    return QueryReport("bolt", kept, len(kept) < len(rows), time.perf_counter() - started)
