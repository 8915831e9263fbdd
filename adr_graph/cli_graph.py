"""Graph commands: ``query`` (Cypher on a Bolt store), ``export`` and ``import``.

``export --out DIR`` writes the whole graph of ``--store`` as an embedded store
directory (snapshot JSONL tables with checksums); ``import DIR`` copies such a
directory into ``--store``. Together they move a graph between the embedded store and
Neo4j losslessly.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .cli_common import DEFAULT_STORE, JsonOpt, StoreOpt, app, emit_json, open_cli_store
from .cli_steps import err, progress
from .errors import InputError, StoreError
from .store import EmbeddedStore, GraphStore, is_bolt_uri
from .store.bolt import Neo4jStore
from .store.snapshot import current_snapshot
from .store.transfer import TransferReport, copy_graph

__all__ = ["parse_params"]

_PARAM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_params(items: list[str]) -> dict[str, Any]:
    """``k=v`` pairs into query parameters; ``v`` is JSON when it parses, else a string.

    >>> parse_params(["slot=technique", "limit=5", 'ids=["a","b"]'])
    {'slot': 'technique', 'limit': 5, 'ids': ['a', 'b']}
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not _PARAM_KEY.match(key):
            raise InputError(
                f"{item!r} is not NAME=VALUE with NAME a Cypher identifier", field="--param"
            )
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _print_rows(rows: list[dict[str, Any]]) -> None:
    if not rows:
        err.print("(no rows)")
        return
    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(
            *(json.dumps(v, default=str) if not isinstance(v, str) else v for v in row.values())
        )
    err.print(table)
    err.print(f"{len(rows)} row(s)")


@app.command("query")
def query_cmd(
    cypher: Annotated[str, typer.Argument(help="A Cypher statement; values as $parameters.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Parameter NAME=VALUE (VALUE as JSON if it parses)."),
    ] = None,
    store: StoreOpt = DEFAULT_STORE,
    write: Annotated[
        bool, typer.Option("--write", help="Run in a write transaction (default: read-only).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run a Cypher query against a Bolt store (Neo4j, ArcadeDB); rows as a table or JSON."""
    if not is_bolt_uri(store):
        raise InputError(
            f"{store} is an embedded store; Cypher needs a Bolt server. Load the graph into "
            "one with `adr-graph import " + store + " --store bolt://HOST:7687` and query "
            "that, or use the Python API (store.to_networkx(), store.projection()) here",
            field="--store",
        )
    params = parse_params(param or [])
    opened = open_cli_store(store)
    try:
        assert isinstance(opened, Neo4jStore)
        rows = opened.cypher(cypher, params, write=write)
    finally:
        opened.close()
    if as_json:
        emit_json({"rows": rows, "count": len(rows)})
    else:
        _print_rows(rows)


def _copy(source: GraphStore, target: GraphStore, what: str) -> TransferReport:
    with progress() as bar:
        tasks = {
            k: bar.add_task(f"{what} {k}", total=None) for k in ("atoms", "seeds", "edges", "tasks")
        }
        report = copy_graph(source, target, on_progress=lambda k, n: bar.advance(tasks[k], n))
    with err.status("committing"):
        target.commit()
    err.print(
        f"{what}: {report.atoms} atoms, {report.seeds} seeds, {report.edges} typed edges "
        f"from {source.location} to {target.location}"
    )
    return report


def _is_empty(store: GraphStore) -> bool:
    return (
        next(iter(store.iter_atoms()), None) is None
        and next(iter(store.iter_memberships()), None) is None
    )


def _band(value: str | None) -> tuple[float, float] | None:
    if value is None:
        return None
    try:
        low, high = (float(x) for x in value.split(","))
    except ValueError as exc:
        raise InputError(f"{value!r} is not LOW,HIGH", field="--keep-band") from exc
    return low, high


def _export_tasks(tasks: Path, out: Path, fmt: str, band: tuple[float, float] | None) -> int:
    from .export import keep, write_jsonl, write_verl_parquet
    from .generate.generator import JsonlCheckpoint
    from .records import Task

    if not tasks.is_file():
        raise InputError("no such tasks file", path=str(tasks))
    kept = keep(JsonlCheckpoint(tasks, Task).records.values(), band)
    count = write_verl_parquet(kept, out) if fmt == "verl" else write_jsonl(kept, out)
    err.print(f"exported {count} verified task(s) as {fmt} to {out}")
    return count


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output file (tasks) or new directory.")],
    tasks: Annotated[
        Path | None, typer.Argument(help="Verified tasks JSONL; omit to export the graph.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="graph (no TASKS), or jsonl | verl for tasks."),
    ] = None,
    keep_band: Annotated[
        str | None, typer.Option("--keep-band", help="Keep difficulty in LOW,HIGH.")
    ] = None,
    store: StoreOpt = DEFAULT_STORE,
    as_json: JsonOpt = False,
) -> None:
    """Export verified tasks (jsonl, verl parquet), or the whole graph of --store."""
    fmt = fmt or ("graph" if tasks is None else "jsonl")
    if (tasks is None) != (fmt == "graph") or fmt not in ("graph", "jsonl", "verl"):
        raise InputError(
            "use --format graph without TASKS, jsonl or verl with a TASKS file", field="--format"
        )
    if tasks is not None:
        count = _export_tasks(tasks, out, fmt, _band(keep_band))
        if as_json:
            emit_json({"out": str(out), "format": fmt, "tasks": count})
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            f"{out} exists and is not an empty directory; pick a new path", field="--out"
        )
    source = open_cli_store(store)
    try:
        report = _copy(source, EmbeddedStore(out), "exported")
    finally:
        source.close()
    if as_json:
        emit_json({"out": str(out), **report.__dict__})


@app.command("import")
def import_cmd(
    dump: Annotated[Path, typer.Argument(help="A graph dump or embedded store directory.")],
    store: StoreOpt = DEFAULT_STORE,
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty a non-empty target store first.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy a graph dump (from `export`, or any embedded store) into --store."""
    if current_snapshot(dump) is None:
        raise InputError(f"{dump}: no graph dump here (expected a CURRENT file)", path=str(dump))
    if not is_bolt_uri(store) and Path(store).resolve() == dump.resolve():
        raise InputError("the dump and --store are the same directory", field="--store")
    target = open_cli_store(store)
    try:
        if not _is_empty(target):
            if not replace:
                raise StoreError(
                    f"{target.location} already holds a graph; pass --replace to empty it "
                    "first, or import into an empty store"
                )
            target.clear()
        report = _copy(EmbeddedStore(dump), target, "imported")
    finally:
        target.close()
    if as_json:
        emit_json({"store": target.location, **report.__dict__})
