"""A thin wrapper over the official ``neo4j`` driver: settings, managed transactions,
retries, and driver errors turned into :class:`~adr_graph.errors.StoreError`.

The driver is imported lazily so that the core package installs without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import MissingExtraError, StoreError

__all__ = ["BoltSession", "BoltSettings"]

log = logging.getLogger(__name__)

T = TypeVar("T")
Row = dict[str, Any]


@dataclass(frozen=True)
class BoltSettings:
    """Where and how to reach a Bolt server.

    ``database`` is sent with every call (``None``: the server's default database);
    ``connect_timeout`` bounds how long an unreachable server takes to report.
    """

    uri: str
    user: str = "neo4j"
    password: str = ""
    database: str | None = None
    connect_timeout: float = 5.0
    retry_time: float = 15.0
    constraint_retries: int = 3


def _neo4j() -> Any:
    try:
        import neo4j
    except ImportError as exc:
        raise MissingExtraError("neo4j", "neo4j") from exc
    return neo4j


class BoltSession:
    """Runs statements in managed transactions on one driver.

    Opening checks connectivity, so an unreachable server fails within
    ``connect_timeout`` seconds with a message that names the URI.
    """

    def __init__(self, settings: BoltSettings) -> None:
        self.settings = settings
        neo4j = _neo4j()
        self._errors = neo4j.exceptions
        try:
            self.driver = neo4j.GraphDatabase.driver(
                settings.uri,
                auth=(settings.user, settings.password),
                connection_timeout=settings.connect_timeout,
                connection_acquisition_timeout=settings.connect_timeout * 2,
                max_transaction_retry_time=settings.retry_time,
            )
            self.driver.verify_connectivity()
        except (self._errors.Neo4jError, self._errors.DriverError, OSError, ValueError) as exc:
            raise StoreError(
                f"{settings.uri}: cannot reach the Bolt server ({exc}); start it "
                "(`docker compose up -d neo4j`, or scripts/arcadedb.sh start) or check "
                "--store / NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD"
            ) from exc

    def _session(self) -> Any:
        return self.driver.session(database=self.settings.database)

    def _guard(self, what: str, work: Callable[[], T]) -> T:
        """Run ``work``; retry unique-key races; wrap driver errors."""
        attempt = 0
        while True:
            try:
                return work()
            except self._errors.ConstraintError as exc:
                attempt += 1
                if attempt > self.settings.constraint_retries:
                    raise self._wrap(what, exc) from exc
                log.debug("constraint race on %s, retry %d", what, attempt)
                time.sleep(0.05 * attempt)
            except (self._errors.Neo4jError, self._errors.DriverError) as exc:
                raise self._wrap(what, exc) from exc

    def _wrap(self, what: str, exc: Exception) -> StoreError:
        code = getattr(exc, "code", None) or type(exc).__name__
        message = getattr(exc, "message", None) or str(exc)
        first = " ".join(what.split())[:120]
        return StoreError(f"{self.settings.uri}: {code}: {message} (in: {first})")

    def read(self, statement: str, **params: Any) -> list[Row]:
        """Rows of a read-only statement, as dicts."""

        def work() -> list[Row]:
            with self._session() as session:
                return list(session.execute_read(_collect, statement, params))

        return self._guard(statement, work)

    def write(self, statement: str, **params: Any) -> list[Row]:
        """Run one statement in a write transaction; returns its rows."""
        return self.write_many([(statement, params)])[0]

    def write_many(self, steps: Sequence[tuple[str, dict[str, Any]]]) -> list[list[Row]]:
        """Run several statements in one write transaction (all or nothing)."""

        def unit(tx: Any) -> list[list[Row]]:
            return [_collect(tx, statement, params) for statement, params in steps]

        def work() -> list[list[Row]]:
            with self._session() as session:
                return list(session.execute_write(unit))

        return self._guard(steps[0][0] if steps else "", work)

    def close(self) -> None:
        self.driver.close()


def _collect(tx: Any, statement: str, params: dict[str, Any]) -> list[Row]:
    return [record.data() for record in tx.run(statement, params)]
