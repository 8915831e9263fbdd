"""What every ``adr-graph`` command shares: options, the settings object, opening the
store and the collaborators, progress bars and JSON output.

Human output and progress go to stderr; ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from ..embed import EMBEDDER_KINDS
from ..errors import InputError
from ..settings import Settings
from ..stages.progress import ProgressEvent
from ..store import GraphStore, is_bolt_uri, open_store
from ..store.snapshot import current_snapshot

if TYPE_CHECKING:
    from ..chat import CachedChat, LlmOptions
    from ..embed import CachedEmbedder

__all__ = [
    "EMBEDDERS",
    "ApiKeyOpt",
    "BaseUrlOpt",
    "CacheOpt",
    "ConcurrencyOpt",
    "JsonOpt",
    "ModelOpt",
    "Reporter",
    "StoreOpt",
    "check_store",
    "emit_json",
    "err",
    "make_embedder",
    "open_cli_store",
    "settings_from",
    "solver_chat",
    "store_exists",
]

err = Console(stderr=True)
EMBEDDERS = tuple(EMBEDDER_KINDS)

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        help="Embedded store directory, or a bolt:// / neo4j:// URI (credentials from "
        "NEO4J_USER, NEO4J_PASSWORD; database from NEO4J_DATABASE). Env: ADR_GRAPH_STORE. "
        "Default: .adr-graph/store.",
        show_default=False,
    ),
]
CacheOpt = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="Where downloads, embeddings and LLM replies are cached. Env: ADR_GRAPH_CACHE. "
        "Default: .adr-graph/cache.",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
MinFidelityOpt = Annotated[
    float,
    typer.Option(
        "--min-fidelity",
        min=0.0,
        max=1.0,
        help="Share of its atoms the extractors must find in a task for it to be verified.",
    ),
]
MinNodesOpt = Annotated[
    int,
    typer.Option(
        "--min-reference-nodes",
        min=0,
        help="AST nodes under which a reference is trivial (the task is not verified).",
    ),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--llm-base-url", help="OpenAI-compatible API URL. Env: OPENAI_BASE_URL."),
]
ApiKeyOpt = Annotated[
    str | None,
    typer.Option("--llm-api-key", help="API key for the endpoint. Env: OPENAI_API_KEY."),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Model name. Env: ADR_GRAPH_MODEL. Default: the first one the endpoint lists.",
    ),
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(
        "--llm-concurrency",
        min=1,
        help="LLM requests in flight at once. Env: ADR_GRAPH_LLM_CONCURRENCY. Default: 2.",
        show_default=False,
    ),
]


def settings_from(**options: Any) -> Settings:
    """The one settings object of this command: its options over the environment."""
    return Settings.from_options(**options)


def emit_json(payload: Any) -> None:
    """Write one JSON document on stdout."""
    if isinstance(payload, BaseModel):
        text = payload.model_dump_json(indent=2)
    else:
        text = json.dumps(payload, indent=2, default=_plain)
    sys.stdout.write(text + "\n")


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else str(value)


def store_exists(settings: Settings) -> bool:
    """Whether ``--store`` names a Bolt server or a directory holding a store."""
    location = settings.store
    return is_bolt_uri(location) or current_snapshot(Path(location)) is not None


def check_store(settings: Settings, *, create: bool = False) -> None:
    """Refuse a ``--store`` that is neither a path nor a Bolt URI and, for read commands
    (``create=False``), a directory that holds no store."""
    location = settings.store
    if "://" in location and not is_bolt_uri(location):
        raise InputError(
            f"{location} is neither a store directory nor a bolt:// / neo4j:// URI",
            field="--store",
        )
    if not is_bolt_uri(location) and not create and current_snapshot(Path(location)) is None:
        raise InputError(
            f"no store at {location}; build one with `adr-graph ingest SEEDS.jsonl` or "
            "`adr-graph run`, or point --store / ADR_GRAPH_STORE at an existing one",
            field="--store",
        )


def open_cli_store(settings: Settings, *, create: bool = False) -> GraphStore:
    """Open ``--store`` once for the command, after :func:`check_store`."""
    check_store(settings, create=create)
    return open_store(settings.store, settings.bolt())


def make_embedder(kind: str, cache_dir: Path) -> CachedEmbedder:
    """The embedder named by ``--embedder``, behind the on-disk embedding cache."""
    from ..embed import CachedEmbedder, EmbeddingCache, HashingEmbedder, SentenceTransformerEmbedder

    if kind not in EMBEDDERS:
        raise InputError(
            f"unknown embedder {kind!r}; choose from {', '.join(EMBEDDERS)}", field="--embedder"
        )
    with err.status(f"loading embedding model ({kind})"):
        inner = SentenceTransformerEmbedder() if kind == "minilm" else HashingEmbedder()
    return CachedEmbedder(inner, EmbeddingCache(cache_dir / f"{inner.name}.npz"))


def solver_chat(llm: LlmOptions, cache_dir: Path) -> CachedChat:
    """The chat that samples solver attempts for difficulty estimates."""
    from ..chat import CachedChat, llm_client
    from ..generate.prompts import SOLVE_PROMPT_VERSION

    client, name = llm_client(llm)
    return CachedChat(
        client,
        name,
        cache_dir=cache_dir,
        prompt_version=SOLVE_PROMPT_VERSION,
        max_tokens=1024,
        temperature=0.8,
    )


class Reporter:
    """Turns stage progress events into transient bars and messages on stderr."""

    def __init__(self) -> None:
        self._bars: Progress | None = None
        self._open: list[tuple[str, TaskID]] = []

    def __call__(self, event: ProgressEvent) -> None:
        if event.kind == "note":
            text = escape(event.message)
            err.print(f"[yellow]{text}[/]" if event.warning else text)
        elif event.kind == "start":
            self._start(event)
        elif event.kind == "advance" and self._bars is not None and self._open:
            self._bars.advance(self._find(event.message), event.step)
        elif event.kind == "end" and self._bars is not None and self._open:
            task = self._find(event.message)
            self._bars.remove_task(task)
            self._open = [(m, t) for m, t in self._open if t != task]
            if not self._open:
                self._bars.stop()
                self._bars = None

    def _start(self, event: ProgressEvent) -> None:
        if self._bars is None:
            self._bars = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
            self._bars.start()
        task = self._bars.add_task(escape(event.message), total=event.total)
        self._open.append((event.message, task))

    def _find(self, message: str) -> TaskID:
        for opened, task in reversed(self._open):
            if opened == message:
                return task
        return self._open[-1][1]

    def close(self) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None
