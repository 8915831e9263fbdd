"""Report stages: how a batch of atom sets covers the graph, and the quality of a batch of
tasks, as numbers and as one HTML file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..embed import Embedder
from ..errors import InputError
from ..records import AtomSet, GenerationFailure, Seed, Task
from ..reports.coverage import CoverageTable, coverage_table
from ..reports.quality import TaskQuality, task_quality
from ..sample import model_from_store
from ..store.base import GraphStore
from .progress import OnProgress, Steps

__all__ = ["report_coverage", "report_tasks"]


def report_coverage(
    store: GraphStore,
    sets: Sequence[AtomSet],
    *,
    html: Path | None = None,
    source: str = "",
    model_cache: Path | None = None,
    on_progress: OnProgress | None = None,
) -> CoverageTable:
    """Coverage of ``sets`` over the store's pair model, per strategy and domain; with
    ``html``, also the figures in one self-contained file. Sets naming atoms the store
    lacks are an input error."""
    if not sets:
        raise InputError("no atom sets in the file", path=source or None)
    model = model_from_store(store, cache_dir=model_cache)
    missing = sorted({a.id for s in sets for a in s.atoms if a.id not in model.index})
    if missing:
        raise InputError(
            f"{len(missing)} atom(s) are not in the store, e.g. {missing[0]!r}; "
            "use the store the sets were sampled from",
            path=source or None,
        )
    report = coverage_table(list(sets), model)
    if html is not None:
        from ..reports.sampler import write_coverage_html

        write_coverage_html(html, list(sets), model)
        Steps("report", on_progress).note(f"wrote {html}")
    return report


def report_tasks(
    tasks: Sequence[Task],
    failures: Sequence[GenerationFailure],
    seeds: Sequence[Seed],
    embedder: Embedder,
    *,
    html: Path | None = None,
    source: str = "",
    on_progress: OnProgress | None = None,
) -> TaskQuality:
    """The four task measures of ``tasks`` (see :mod:`adr_graph.reports.quality`); with
    ``html``, also as one self-contained file of tables. No tasks is an input error."""
    if not tasks:
        raise InputError("no tasks in the file", path=source or None)
    steps = Steps("report", on_progress)
    if not seeds:
        steps.note("no seeds: originality is not measured (fetch seeds, or pass --seeds)")
    with steps.task("measuring tasks"):
        report = task_quality(tasks, failures, seeds, embedder)
    if html is not None:
        _write_quality_html(html, report, source)
        steps.note(f"wrote {html}")
    return report


def _write_quality_html(path: Path, report: TaskQuality, source: str) -> None:
    from ..reports.sampler import html_report

    spread = {
        "originality": report.originality,
        "fidelity": report.fidelity,
        "solver pass rate": report.difficulty.pass_rate,
        "mutation score": report.tests.mutation_score,
        "near-miss kill rate": report.tests.near_miss_kill_rate,
    }
    counts: dict[str, Any] = {
        "tasks": report.tasks,
        "verified": report.verified,
        "diversity (mean cosine distance)": report.diversity.mean_distance,
        "Vendi score": report.diversity.vendi,
        "learnable share (0 < pass rate < 1)": report.difficulty.learnable_share,
        "near misses not shown wrong": report.tests.near_misses_not_shown_wrong,
    }
    tables: list[tuple[str, dict[str, Any]]] = [
        ("Batch", counts),
        ("Distributions", {k: v.model_dump() for k, v in spread.items()}),
        ("Funnel", dict(report.funnel)),
        ("Verified by repair round", dict(report.verified_by_round)),
    ]
    html_report(path, f"Task quality: {source}", [], tables)
