"""``adr-graph export``: verified tasks for training (screened for duplicates and
contamination, with their seeds' licenses), or the whole graph of a store."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from ..embed import Embedder
from ..errors import InputError
from ..settings import Settings
from ..stages import ScreenOptions, copy_store, export_tasks, parse_band, read_tasks
from ..store import EmbeddedStore
from .common import (
    CacheOpt,
    JsonOpt,
    Reporter,
    StoreOpt,
    emit_json,
    err,
    make_embedder,
    open_cli_store,
    settings_from,
    store_exists,
)

__all__ = ["export_cmd"]

AgainstOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--against",
        help="Earlier exported or verified tasks JSONL to drop duplicates against (repeatable).",
        show_default=False,
    ),
]
EvalCorpusOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--eval-corpus",
        help="A corpus whose seeds count as evaluation-only for contamination, e.g. "
        "human-eval (repeatable; seeds marked trainable: false always count).",
        show_default=False,
    ),
]


def export_cmd(
    out: Annotated[Path, typer.Option("--out", help="Output file (tasks) or new directory.")],
    tasks: Annotated[
        Path | None, typer.Argument(help="Verified tasks JSONL; omit to export the graph.")
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="graph (no TASKS), or for tasks: jsonl | verl (score with "
            "adr_graph.reward) | apps (verl's built-in APPS scorer; no tool-call tasks) | hf "
            "(a Hugging Face datasets directory).",
        ),
    ] = None,
    keep_band: Annotated[
        str | None, typer.Option("--keep-band", help="Keep difficulty in LOW,HIGH (0..1).")
    ] = None,
    against: AgainstOpt = None,
    eval_corpus: EvalCorpusOpt = None,
    decontaminate: Annotated[
        bool,
        typer.Option("--decontaminate", help="Drop tasks flagged as close to an evaluation seed."),
    ] = False,
    embedder: Annotated[
        str, typer.Option("--embedder", help="Statement embeddings for screening: minilm, hashing.")
    ] = "minilm",
    test_share: Annotated[
        float,
        typer.Option(
            "--test-share",
            min=0.0,
            max=0.9,
            help="hf: about this share of tasks in a test split sharing no atom pair with train.",
        ),
    ] = 0.0,
    store: StoreOpt = None,
    cache: CacheOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export verified tasks (jsonl, verl parquet; with their seeds' licenses; near-duplicates
    dropped, closeness to evaluation seeds recorded), or the whole graph of --store."""
    fmt = fmt or ("graph" if tasks is None else "jsonl")
    if (tasks is None) != (fmt == "graph") or fmt not in ("graph", "jsonl", "verl", "apps", "hf"):
        raise InputError(
            "use --format graph without TASKS, jsonl, verl, apps or hf with a TASKS file",
            field="--format",
        )
    settings = settings_from(store=store, cache=cache)
    if tasks is not None:
        band, loaded = parse_band(keep_band), read_tasks(tasks)
        emb = make_embedder(embedder, settings.layout.embeddings_dir)
        screen = _screen_options(settings, emb, against or [], eval_corpus or [])
        screen.decontaminate = decontaminate
        explicit = store is not None or store_exists(settings)  # tasks carry their licenses
        with open_cli_store(settings) if explicit else nullcontext(None) as opened:
            report = export_tasks(
                loaded, out, fmt, store=opened, band=band, screen=screen,
                on_progress=Reporter(), test_share=test_share,
            )  # fmt: skip
        emb.cache.save()  # the evaluation seeds' statements, embedded once
        if as_json:
            emit_json(report)
        return
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(
            f"{out} exists and is not an empty directory; pick a new path", field="--out"
        )
    with open_cli_store(settings) as source:
        copied = copy_store(source, EmbeddedStore(out), "exported", Reporter())
    if as_json:
        emit_json({"out": str(out), **copied.__dict__})


def _screen_options(
    settings: Settings, embedder: Embedder, against: list[Path], eval_corpora: list[str]
) -> ScreenOptions:
    """Screening for ``export``: earlier outputs, and the evaluation-only seeds of the
    seeds file (when there is one)."""
    from ..screen import evaluation_seeds
    from ..seeds.loader import iter_seeds

    earlier = [t for path in against for t in read_tasks(path)]
    seeds_file = settings.layout.seeds_file
    seeds = iter_seeds(seeds_file, skip_bad=True) if seeds_file.is_file() else iter([])
    evaluation = evaluation_seeds(seeds, eval_corpora)
    if not seeds_file.is_file():
        err.print(f"no seeds file at {seeds_file}: contamination is not measured")
    return ScreenOptions(embedder, earlier, evaluation)
