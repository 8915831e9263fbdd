"""``adr-graph query``: Cypher on a Bolt server, or in-process on the embedded store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import InputError
from ..stages.query import QueryReport, query_graph
from ..store import is_bolt_uri
from ..store.embedded_cypher import EmbeddedCypher
from .common import JsonOpt, StoreOpt, check_store, emit_json, err, open_cli_store, settings_from

__all__ = ["parse_params", "query_cmd"]


def parse_params(items: list[str]) -> dict[str, Any]:
    """``k=v`` pairs into query parameters; ``v`` is JSON when it parses, else a string.

    >>> parse_params(["slot=technique", "limit=5", 'ids=["a","b"]'])
    {'slot': 'technique', 'limit': 5, 'ids': ['a', 'b']}
    """
    params: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.isidentifier() or not key.isascii():
            raise InputError(
                f"{item!r} is not NAME=VALUE with NAME a Cypher identifier", field="--param"
            )
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def _print_rows(report: QueryReport) -> None:
    if not report.rows:
        err.print("(no rows)")
        return
    table = Table(*report.rows[0].keys())
    for row in report.rows:
        table.add_row(
            *(json.dumps(v, default=str) if not isinstance(v, str) else v for v in row.values())
        )
    err.print(table)
    more = f"; more were cut by --max-rows {report.count}" if report.truncated else ""
    err.print(f"{report.count} row(s) in {report.seconds * 1000:.0f} ms ({report.engine}){more}")


def query_cmd(
    cypher: Annotated[str, typer.Argument(help="A Cypher statement; values as $parameters.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Parameter NAME=VALUE (VALUE as JSON if it parses)."),
    ] = None,
    store: StoreOpt = None,
    write: Annotated[
        bool,
        typer.Option("--write", help="Bolt only: run in a write transaction (default: read)."),
    ] = False,
    max_rows: Annotated[
        int, typer.Option("--max-rows", help="Keep at most this many rows.", min=1)
    ] = 1000,
    timeout: Annotated[
        float,
        typer.Option("--timeout", help="Embedded store: stop a query after this many seconds."),
    ] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Run a read-only Cypher query on the store; rows as a table or JSON.

    On a Bolt store (Neo4j, ArcadeDB) the server runs it. On an embedded store it runs
    in-process on a read-only copy of the current snapshot, built on first use and cached
    per snapshot content under STORE/.cypher.
    """
    settings = settings_from(store=store)
    params = parse_params(param or [])
    if is_bolt_uri(settings.store):
        from ..store.bolt import Neo4jStore

        with open_cli_store(settings) as opened:
            assert isinstance(opened, Neo4jStore)
            report = query_graph(opened, cypher, params, max_rows=max_rows, write=write)
    else:
        check_store(settings)
        if timeout <= 0:
            raise InputError("must be more than 0 seconds", field="--timeout")
        with EmbeddedCypher(Path(settings.store), timeout_s=timeout) as engine:
            report = query_graph(engine, cypher, params, max_rows=max_rows, write=write)
    if as_json:
        emit_json({**report.__dict__, "count": report.count})
    else:
        _print_rows(report)
