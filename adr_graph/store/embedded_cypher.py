"""Read-only Cypher over an embedded store, in-process, through an embedded graph engine.

The engine is LadybugDB (``real_ladybug``, the maintained fork of Kùzu; see the README for
the measurements behind that choice). Its database is built once per snapshot content,
from :func:`adr_graph.store.graph_tables.graph_tables` (the Bolt store's graph model), and
cached under ``<store>/.cypher/<key>/``: the key hashes the snapshot's manifest (the
sha256 of every table), the graph model version and the engine version, so a new
``ingest`` or ``import`` gives a new key and the next query rebuilds. The cached database
is opened read-only: writes are refused, and the snapshot stays the source of truth.

Kùzu (``kuzu``) and Ryugraph (``ryugraph``) share the engine API; ``engine=`` picks one
(the benchmark ``benchmarks/query_latency.py`` compares them).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

from ..errors import InputError, MissingExtraError, StoreError
from .embedded import EmbeddedStore
from .graph_tables import NODE_PROPERTIES, REL_ENDS, REL_PROPERTIES, graph_tables
from .snapshot import current_snapshot, store_lock

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "READ_ONLY",
    "CypherResult",
    "EmbeddedCypher",
    "build_database",
    "plain",
    "snapshot_key",
]

log = logging.getLogger(__name__)

DEFAULT_ENGINE = "real_ladybug"
#: Engines with the Kùzu API that this module can drive.
ENGINES = ("real_ladybug", "kuzu", "ryugraph")
#: Bump when graph_tables or the DDL below change what a cached database holds.
MODEL_VERSION = 2  # 2: Seed.details
CACHE_DIR = ".cypher"
_DB_FILE = "graph.db"
#: Why the embedded path takes no writes (a write statement, or ``query --write``).
READ_ONLY = (
    "the embedded store is read-only to Cypher: its snapshot is the source of truth; change it "
    "with `adr-graph ingest` or `adr-graph import`, or import it into a Bolt server and query "
    "that with --write"
)


@dataclass(frozen=True)
class CypherResult:
    """Rows of one query, at most ``max_rows`` of them."""

    rows: list[dict[str, Any]]
    truncated: bool
    seconds: float


def plain(value: Any) -> Any:
    """An engine value as the Bolt driver gives it: sums (INT128) as ``int``, nodes and
    relationships as their properties (no internal ``_id``/``_label`` keys).

    >>> plain({"_id": {"offset": 0}, "_label": "Atom", "id": "x", "embedding": None})
    {'id': 'x'}
    >>> plain([Decimal("3"), Decimal("0.5")])
    [3, 0.5]
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        internal = "_label" in value
        return {
            k: plain(v)
            for k, v in value.items()
            if not (internal and (k.startswith("_") or v is None))
        }
    return value


def _engine(name: str) -> ModuleType:
    if name not in ENGINES:
        raise InputError(f"{name!r} is not one of {', '.join(ENGINES)}", field="engine")
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise MissingExtraError(name, "cypher") from exc


def snapshot_key(store_root: Path, engine: str = DEFAULT_ENGINE) -> str:
    """Content key of the store's current snapshot for ``engine`` (16 hex digits)."""
    folder = current_snapshot(store_root)
    if folder is None:
        raise StoreError(
            f"{store_root}: no graph here (no CURRENT snapshot); run `adr-graph ingest` "
            "or `adr-graph import` into it first"
        )
    version = getattr(_engine(engine), "__version__", "?")
    digest = hashlib.sha256((folder / "manifest.json").read_bytes())
    digest.update(f"{MODEL_VERSION}:{engine}:{version}".encode())
    return digest.hexdigest()[:16]


def _ddl() -> list[str]:
    statements = []
    for label, props in NODE_PROPERTIES.items():
        columns = ", ".join(f"{name} {kind}" for name, kind in props)
        statements.append(f"CREATE NODE TABLE {label}({columns}, PRIMARY KEY ({props[0][0]}))")
    for kind, props in REL_PROPERTIES.items():
        source, target = REL_ENDS[kind]
        columns = "".join(f", {name} {ctype}" for name, ctype in props)
        statements.append(f"CREATE REL TABLE {kind}(FROM {source} TO {target}{columns})")
    return statements


def _arrow_type(kind: str) -> Any:
    import pyarrow as pa

    scalar = {
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
    }
    if kind.endswith("[]"):
        return pa.list_(scalar[kind[:-2]])
    return scalar[kind]


def _write_parquet(path: Path, columns: dict[str, list[Any]], types: dict[str, str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = [pa.field(n, _arrow_type(types.get(n, "STRING"))) for n in columns]
    pq.write_table(pa.Table.from_pydict(columns, schema=pa.schema(fields)), path)


def build_database(store_root: Path, target: Path, engine: str = DEFAULT_ENGINE) -> None:
    """Build the engine's database for ``store_root``'s snapshot at ``target`` (a file)."""
    module = _engine(engine)
    tables = graph_tables(EmbeddedStore(store_root))
    with tempfile.TemporaryDirectory(prefix="adr-graph-cypher-") as scratch:
        database = module.Database(str(target))
        connection = module.Connection(database)
        try:
            for statement in _ddl():
                connection.execute(statement)
            for name, columns in tables.items():
                if not next(iter(columns.values())):
                    continue
                props = NODE_PROPERTIES.get(name) or REL_PROPERTIES[name]
                path = Path(scratch) / f"{name}.parquet"
                _write_parquet(path, columns, dict(props))
                connection.execute(f"COPY {name} FROM '{path}'")
        finally:
            connection.close()
            database.close()


class EmbeddedCypher:
    """Read-only Cypher over the embedded store at ``store_root``.

    Parameters
    ----------
    store_root : the store directory (``--store``).
    cache : where cached databases live (default ``<store_root>/.cypher``).
    engine : one of :data:`ENGINES`.
    timeout_s : a query running longer is interrupted.
    """

    def __init__(
        self,
        store_root: Path,
        *,
        cache: Path | None = None,
        engine: str = DEFAULT_ENGINE,
        timeout_s: float = 30.0,
    ) -> None:
        self.store_root = Path(store_root)
        self.cache = cache or self.store_root / CACHE_DIR
        self.engine = engine
        self.timeout_s = timeout_s
        self.rebuilt = False
        self._module = _engine(engine)
        self._database: Any = None
        self._connection: Any = None

    def database_path(self) -> Path:
        """The cached database for the current snapshot, built first if missing."""
        key = snapshot_key(self.store_root, self.engine)
        folder = self.cache / key
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            (self.cache / ".lock").touch()
        except OSError as exc:
            raise StoreError(
                f"{self.cache}: cannot write the Cypher cache ({exc.strerror}); make the store "
                "directory writable, or copy it with `adr-graph export --out DIR` and query that"
            ) from exc
        with store_lock(self.cache):
            if not (folder / _DB_FILE).exists():
                self._build(folder)
            self._prune(keep=key)
        return folder / _DB_FILE

    def _build(self, folder: Path) -> None:
        started = time.perf_counter()
        staging = self.cache / f".{folder.name}.partial.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            build_database(self.store_root, staging / _DB_FILE, self.engine)
            os.replace(staging, folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self.rebuilt = True
        log.info(
            "built the Cypher database for %s in %.1f s (%s)",
            self.store_root,
            time.perf_counter() - started,
            folder,
        )

    def _prune(self, keep: str) -> None:
        for entry in self.cache.iterdir():
            if entry.is_dir() and entry.name != keep and not entry.name.startswith("."):
                shutil.rmtree(entry, ignore_errors=True)

    def _connect(self) -> Any:
        if self._connection is None:
            path = self.database_path()
            self._database = self._module.Database(str(path), read_only=True)
            self._connection = self._module.Connection(self._database)
            self._connection.set_query_timeout(int(self.timeout_s * 1000))
        return self._connection

    def query(
        self, statement: str, params: dict[str, Any] | None = None, *, max_rows: int | None = None
    ) -> CypherResult:
        """Run one read-only statement with ``params``; at most ``max_rows`` rows."""
        connection = self._connect()
        started = time.perf_counter()
        try:
            result = connection.execute(statement, params or {})
        except RuntimeError as exc:
            raise InputError(self._explain(exc), field="cypher") from exc
        results = result if isinstance(result, list) else [result]
        rows: list[dict[str, Any]] = []
        answer = results[-1]
        names = answer.get_column_names()
        while answer.has_next() and (max_rows is None or len(rows) < max_rows):
            rows.append({n: plain(v) for n, v in zip(names, answer.get_next(), strict=True)})
        truncated = answer.has_next()
        return CypherResult(rows, truncated, time.perf_counter() - started)

    def cypher(self, statement: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a read-only statement, as :meth:`Neo4jStore.cypher` gives them."""
        return self.query(statement, params).rows

    def _explain(self, exc: RuntimeError) -> str:
        message = " ".join(str(exc).split())
        lowered = message.lower()
        if "read-only" in lowered or "read only" in lowered:
            return f"{READ_ONLY} [{self.engine}: {message}]"
        if "interrupt" in lowered or "timeout" in lowered:
            return f"the query ran past {self.timeout_s:g} s and was stopped ({message})"
        return f"{self.engine} refused the query: {message}"

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._database.close()
        self._connection = self._database = None

    def __enter__(self) -> EmbeddedCypher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
