"""Pipeline steps as the CLI runs them: collaborators built from options, progress on stderr.

Library code takes its collaborators as arguments; this module is where the CLI
builds them (embedder, LLM client, extractor) from command-line options and shows
progress. It reads no environment itself: typer maps environment variables onto
the options in :mod:`adr_graph.cli`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ._io import atomic_write_text
from .canonical import CanonicalReport, canonicalise
from .cli_common import open_cli_store
from .embed import CachedEmbedder, EmbeddingCache, HashingEmbedder, SentenceTransformerEmbedder
from .errors import AdrGraphError, InputError
from .ingest import Extractor, IngestReport, ingest, is_trainable
from .records import AtomCandidate, ElementSchema, Seed
from .schema import load_schemas
from .seeds.loader import load_seeds
from .store.base import GraphStore

__all__ = [
    "EMBEDDERS",
    "EXTRACTORS",
    "IngestOutcome",
    "LlmOptions",
    "err",
    "ingest_and_canonicalise",
    "llm_client",
    "progress",
]

log = logging.getLogger("adr_graph")
err = Console(stderr=True)

EXTRACTORS = ("static", "llm")
EMBEDDERS = ("minilm", "hashing")


@dataclass(frozen=True)
class LlmOptions:
    """Endpoint settings for ``--extractor llm`` (from options or environment)."""

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    concurrency: int = 4
    timeout: float = 120.0
    json_mode: bool = False


@dataclass
class IngestOutcome:
    """What ``ingest`` (and ``run``) did, as printed by ``--json``."""

    seeds_file: str
    extractor: str
    ingest: IngestReport
    canonical: CanonicalReport | None
    bad_lines: list[str] = field(default_factory=list)
    llm_failures: list[dict[str, str]] = field(default_factory=list)
    llm_failures_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        rep = self.ingest
        out: dict[str, Any] = {
            "seeds_file": self.seeds_file,
            "extractor": self.extractor,
            "seeds": rep.seeds,
            "new_atoms": rep.new_atoms,
            "memberships": rep.memberships,
            "seeds_without_atoms": rep.seeds_without_atoms,
            "skipped_eval_split": rep.skipped_eval_split,
            "by_domain": dict(rep.by_domain),
            "by_slot": dict(sorted(rep.by_slot.items())),
            "bad_lines": self.bad_lines,
            "llm_failures": self.llm_failures,
            "llm_failures_file": self.llm_failures_file,
            "canonical": None,
        }
        if self.canonical is not None:
            out["canonical"] = canonical_dict(self.canonical)
        return out


def canonical_dict(report: CanonicalReport) -> dict[str, Any]:
    """JSON view of a canonicalisation report (merge evidence included)."""
    looked_up = report.cache_hits + report.cache_misses
    return {
        "atoms_before": report.atoms_before,
        "atoms_after": report.atoms_after,
        "merge_rate": round(report.merge_rate, 6),
        "merged": [ev.model_dump() for ev in report.merged],
        "similar_edges": report.similar_edges,
        "embedding_cache_hits": report.cache_hits,
        "embedding_cache_misses": report.cache_misses,
        "embedding_cache_hit_rate": round(report.cache_hits / looked_up, 6) if looked_up else None,
        "per_slot": report.per_slot,
    }


def progress() -> Progress:
    """A transient progress bar on stderr."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def make_embedder(kind: str, cache_dir: Path) -> CachedEmbedder:
    """The embedder named by ``--embedder``, behind the on-disk embedding cache."""
    if kind not in EMBEDDERS:
        raise InputError(
            f"unknown embedder {kind!r}; choose from {', '.join(EMBEDDERS)}", field="--embedder"
        )
    with err.status(f"loading embedding model ({kind})"):
        inner = SentenceTransformerEmbedder() if kind == "minilm" else HashingEmbedder()
    return CachedEmbedder(inner, EmbeddingCache(cache_dir / "embeddings" / f"{inner.name}.npz"))


def _llm_model(client: Any, opts: LlmOptions) -> str:
    if opts.model:
        return opts.model
    try:
        models = [m.id for m in client.models.list()]
    except Exception as exc:  # the openai client raises its own hierarchy
        raise AdrGraphError(
            f"{opts.base_url}: could not list models ({exc}); is the server up? "
            "Set --model / ADR_GRAPH_MODEL to skip this lookup"
        ) from exc
    if not models:
        raise AdrGraphError(f"{opts.base_url}: the endpoint lists no models; set --model")
    return str(models[0])


def llm_client(opts: LlmOptions) -> tuple[Any, str]:
    """An OpenAI-compatible client for ``opts`` and the model to use."""
    from .chat import make_client

    if not opts.base_url:
        raise InputError(
            "this needs an LLM endpoint: set --llm-base-url or OPENAI_BASE_URL "
            "(e.g. http://127.0.0.1:8765/v1 from scripts/llm-server.sh start)",
            field="--llm-base-url",
        )
    client = make_client(opts.base_url, opts.api_key or "unused", timeout=opts.timeout)
    return client, _llm_model(client, opts)


def _llm_extractor(
    seeds: Sequence[Seed], schemas: dict[str, ElementSchema], opts: LlmOptions, cache_dir: Path
) -> tuple[Extractor, list[dict[str, str]], str]:
    """Run the LLM over the trainable seeds; returns a lookup extractor and the failures."""
    from .extract.llm import LlmExtractor

    client, model = llm_client(opts)
    llm = LlmExtractor(
        client,
        model,
        cache_dir=cache_dir / "llm",
        max_concurrency=opts.concurrency,
        json_mode=opts.json_mode,
    )
    todo = [s for s in seeds if is_trainable(s)]
    with progress() as bar:
        task = bar.add_task(f"asking {llm.model}", total=len(todo))
        batch = llm.extract_many(todo, schemas, on_done=lambda _r: bar.advance(task))
    found: dict[str, list[AtomCandidate]] = batch.candidates

    def lookup(seed: Seed, _schema: ElementSchema) -> list[AtomCandidate]:
        return found[seed.id]

    failures = [f.model_dump() for f in batch.failures]
    err.print(
        f"llm {llm.model} (prompt {llm.prompt_version}): {len(found)} seeds extracted, "
        f"{len(failures)} failed, {llm.http_calls} HTTP calls"
    )
    return lookup, failures, llm.name


def _load(
    path: Path, schemas: dict[str, ElementSchema], skip_bad: bool
) -> tuple[list[Seed], list[str]]:
    loaded = load_seeds(path, domains=set(schemas), skip_bad=skip_bad)
    problems = [str(p) for p in loaded.errors]
    for problem in problems[:5]:
        err.print(f"[yellow]skipped[/] {problem}")
    if problems:
        err.print(f"[yellow]skipped {len(problems)} bad line(s) in {path}[/]")
    return loaded.seeds, problems


def _extract_into(
    store: GraphStore,
    seeds: Sequence[Seed],
    schemas: dict[str, ElementSchema],
    extractor: Extractor,
    include_eval: bool,
) -> IngestReport:
    with progress() as bar:
        task = bar.add_task("extracting atoms", total=len(seeds))
        report = ingest(
            seeds,
            store,
            schemas,
            extractor,
            include_eval_splits=include_eval,
            on_seed=lambda _seed: bar.advance(task),
        )
    with err.status("writing store"):
        store.commit()
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


def _canonicalise(store: GraphStore, embedder: CachedEmbedder) -> CanonicalReport:
    with err.status(f"embedding atoms ({embedder.name}), merging duplicates"):
        report = canonicalise(store, embedder)
        embedder.save()
        store.commit()
    looked_up = report.cache_hits + report.cache_misses
    err.print(
        f"canonical atoms: {report.atoms_before} -> {report.atoms_after} "
        f"({len(report.merged)} merged, {report.merge_rate:.2%}), "
        f"{report.similar_edges} SIMILAR edges; embedding cache "
        f"{report.cache_hits}/{looked_up} hits, {report.cache_misses} embedded"
    )
    return report


def ingest_and_canonicalise(
    seeds_path: Path,
    store_uri: str,
    cache_dir: Path,
    *,
    extractor: str,
    embedder: str | None,
    llm: LlmOptions,
    skip_bad: bool = False,
    include_eval: bool = False,
) -> IngestOutcome:
    """Load seeds, extract atoms, write them, then embed/merge/link (unless ``embedder``
    is ``None``). Each step commits, so an interrupt keeps the last finished step."""
    if extractor not in EXTRACTORS:
        raise InputError(
            f"unknown extractor {extractor!r}; choose from {', '.join(EXTRACTORS)}",
            field="--extractor",
        )
    schemas = load_schemas()
    seeds, problems = _load(seeds_path, schemas, skip_bad)
    emb = make_embedder(embedder, cache_dir) if embedder else None  # fail early
    failures: list[dict[str, str]] = []
    failures_file: str | None = None
    fn: Extractor
    if extractor == "llm":
        fn, failures, name = _llm_extractor(seeds, schemas, llm, cache_dir)
        failed = {f["seed_id"] for f in failures}
        seeds = [s for s in seeds if s.id not in failed]
        failures_file = str(_write_failures(cache_dir / "llm" / "failures.jsonl", failures))
    else:
        from .extract.static import extract_static

        fn, name = extract_static, "static"
    store = open_cli_store(store_uri)
    try:
        report = _extract_into(store, seeds, schemas, fn, include_eval)
        canonical = _canonicalise(store, emb) if emb is not None else None
    finally:
        store.close()
    return IngestOutcome(
        str(seeds_path), name, report, canonical, problems, failures, failures_file
    )


def _write_failures(path: Path, failures: list[dict[str, str]]) -> Path:
    import json

    atomic_write_text(path, "".join(json.dumps(f) + "\n" for f in failures))
    if failures:
        err.print(f"[yellow]{len(failures)} seed(s) failed LLM extraction; see {path}[/]")
    return path
