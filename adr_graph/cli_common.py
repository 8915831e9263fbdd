"""Shared pieces of the ``adr-graph`` command line: the typer app, common options,
JSON output and opening the store named by ``--store`` (Bolt settings from the
environment). Only CLI modules read settings and the environment.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel

from . import __version__
from .seeds.corpora import CORPORA
from .store import BoltSettings, GraphStore, is_bolt_uri, open_store

__all__ = [
    "ALL_CORPORA",
    "DEFAULT_CACHE",
    "DEFAULT_STORE",
    "ApiKeyOpt",
    "BaseUrlOpt",
    "CacheOpt",
    "CorpusOpt",
    "JsonOpt",
    "ModelOpt",
    "StoreOpt",
    "app",
    "bolt_settings",
    "emit_json",
    "open_cli_store",
    "seeds_app",
]

app = typer.Typer(
    name="adr-graph",
    help="Atom graphs of verifiable code tasks; novel, verified task synthesis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
seeds_app = typer.Typer(help="Seed corpora.", no_args_is_help=True)
app.add_typer(seeds_app, name="seeds")

StoreOpt = Annotated[
    str,
    typer.Option(
        "--store",
        envvar="ADR_GRAPH_STORE",
        help="Embedded store directory, or a bolt:// / neo4j:// URI (credentials from "
        "NEO4J_USER, NEO4J_PASSWORD; database from NEO4J_DATABASE).",
        show_default=True,
    ),
]
CacheOpt = Annotated[
    Path,
    typer.Option(
        "--cache",
        envvar="ADR_GRAPH_CACHE",
        help="Where downloads, embeddings and LLM replies are cached.",
        show_default=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
CorpusOpt = Annotated[
    str,
    typer.Option("--corpus", help=f"Comma-separated corpora: {','.join(CORPORA)}."),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--llm-base-url", envvar="OPENAI_BASE_URL", help="OpenAI-compatible API URL."),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--llm-api-key",
        envvar="OPENAI_API_KEY",
        help="API key for the endpoint.",
        show_default=False,
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        envvar="ADR_GRAPH_MODEL",
        help="Model name; default: the first one the endpoint lists.",
    ),
]
DEFAULT_STORE = ".adr-graph/store"
ALL_CORPORA = ",".join(CORPORA)
DEFAULT_CACHE = Path(".adr-graph/cache")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def emit_json(payload: Any) -> None:
    """Write one JSON document on stdout."""
    if isinstance(payload, BaseModel):
        text = payload.model_dump_json(indent=2)
    else:
        text = json.dumps(payload, indent=2, default=str)
    sys.stdout.write(text + "\n")


def bolt_settings(uri: str) -> BoltSettings:
    """Bolt settings for ``uri`` from ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``."""
    return BoltSettings(
        uri=uri,
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD", ""),
        database=os.environ.get("NEO4J_DATABASE") or None,
    )


def open_cli_store(location: str) -> GraphStore:
    """Open ``--store``: an embedded directory or a Bolt URI with settings from the env."""
    return open_store(location, bolt_settings(location) if is_bolt_uri(location) else None)
