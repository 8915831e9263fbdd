"""The whole pipeline as one stage: ingest -> canonicalise -> sample -> coverage report,
then, with a task generator: generate -> verify (outcomes fed back) -> export.

It composes the other stages on one opened store; the caller (``adr-graph run``) fetches
the seeds and opens every collaborator once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import InputError, MissingExtraError
from ..generate.repair import DEFAULT_REPAIR_ROUNDS
from ..records import AtomSet, ElementSchema, Seed
from ..sample import PairModel, model_from_store
from ..store.base import GraphStore, StoreStats
from .export import ScreenOptions, export_tasks
from .graph import IngestOutcome, ingest_seeds
from .progress import OnProgress, Steps
from .tasks import (
    GenerateReport,
    VerifyReport,
    generate_tasks,
    read_tasks,
    sample_batch,
    write_sets,
)
from .tasks import verify_tasks as verify_stage

if TYPE_CHECKING:
    from ..embed import CachedEmbedder
    from ..extract.llm import LlmExtractor
    from ..generate.fidelity import FidelityCheck
    from ..generate.generator import TaskGenerator
    from ..generate.near_miss import NearMissWriter
    from ..generate.repair import TaskRepairer
    from ..generate.verify import VerifyOptions
    from ..sandbox import Sandbox

__all__ = ["RunReport", "TaskTools", "pick_spread", "run_pipeline"]


@dataclass
class TaskTools:
    """What the task half of ``run`` needs: a generator, a sandbox, verification options,
    for difficulty estimates a solver chat, the fidelity check (static by default) and
    the repairer of failed tasks (none: no repairs), and how exports are screened."""

    generator: TaskGenerator
    sandbox: Sandbox
    verify: VerifyOptions
    solver: Any = None
    fidelity: FidelityCheck | None = None
    repairer: TaskRepairer | None = None
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS
    screen: ScreenOptions | None = None
    near_miss: NearMissWriter | None = None


class TasksOutcome(BaseModel):
    tasks: str
    generate: GenerateReport
    verify: VerifyReport
    exported: int
    train_jsonl: str
    train_parquet: str | None


class RunReport(BaseModel):
    """Everything ``run`` made, with the files it wrote."""

    model_config = {"arbitrary_types_allowed": True}

    ingest: dict[str, Any]
    sets: str
    sets_count: int
    sets_by_domain: dict[str, int]
    #: why a domain made fewer sets than its share: skipped (a required slot has no atoms)
    #: or short (not enough compatible, distinct sets)
    sets_shortfall: dict[str, str] = {}
    coverage: dict[str, Any]
    coverage_html: str | None
    tasks: TasksOutcome | None
    stats: StoreStats


def pick_spread(sets: Sequence[AtomSet], n: int) -> list[AtomSet]:
    """Up to ``n`` sets taken round-robin over their domains (in first-seen order).

    >>> from adr_graph.records import AtomRef, AtomSet
    >>> ref = AtomRef(id="x/s/a", slot="s", name="a")
    >>> sets = [AtomSet(domain=d, atoms=[ref], strategy="s", rng_seed=0) for d in "aabbc"]
    >>> [s.domain for s in pick_spread(sets, 4)]
    ['a', 'b', 'c', 'a']
    """
    queues: dict[str, list[AtomSet]] = {}
    for atom_set in sets:
        queues.setdefault(atom_set.domain, []).append(atom_set)
    out: list[AtomSet] = []
    while len(out) < n and any(queues.values()):
        for queue in queues.values():
            if queue and len(out) < n:
                out.append(queue.pop(0))
    return out


def run_pipeline(
    store: GraphStore,
    seeds: Sequence[Seed],
    schemas: dict[str, ElementSchema],
    out_dir: Path,
    *,
    embedder: CachedEmbedder | None,
    llm: LlmExtractor | None = None,
    llm_failures_file: Path | None = None,
    seeds_file: Path | None = None,
    n_sets: int = 30,
    n_tasks: int = 6,
    tools: TaskTools | None = None,
    model_cache: Path | None = None,
    on_progress: OnProgress | None = None,
) -> RunReport:
    """Build the graph from ``seeds``, sample ``n_sets`` sets over its domains, write them
    and their coverage report under ``out_dir``; with ``tools``, turn ``n_tasks`` of them
    into verified, exported tasks."""
    ingested: IngestOutcome = ingest_seeds(
        store,
        seeds,
        schemas,
        embedder=embedder,
        llm=llm,
        llm_failures_file=llm_failures_file,
        source=str(seeds_file or ""),
        on_progress=on_progress,
    )
    model = model_from_store(store, cache_dir=model_cache)
    sets_path = out_dir / "sets.jsonl"
    try:
        sampled = sample_batch(model, schemas, n_sets, on_progress=on_progress)
    except InputError as exc:  # the graph is built; no domain can fill its slots yet
        Steps("sample", on_progress).note(f"no atom sets: {exc.reason}", warning=True)
        sampled = None
    write_sets(sampled.sets if sampled else [], sets_path)
    html = tasks = None
    if sampled is not None:
        html = _coverage_html(out_dir / "coverage.html", sampled.sets, model, on_progress)
        if tools is not None and n_tasks:
            chosen = pick_spread(sampled.sets, n_tasks)
            tasks = _task_half(store, chosen, tools, out_dir, seeds_file, on_progress)
    by_domain: dict[str, int] = {}
    for atom_set in sampled.sets if sampled else []:
        by_domain[atom_set.domain] = by_domain.get(atom_set.domain, 0) + 1
    return RunReport(
        ingest=ingested.as_dict(),
        sets=str(sets_path),
        sets_count=sum(by_domain.values()),
        sets_by_domain=by_domain,
        sets_shortfall={**sampled.skipped, **sampled.shortfall} if sampled else {},
        coverage=sampled.coverage.model_dump() if sampled else {},
        coverage_html=html,
        tasks=tasks,
        stats=store.stats(),
    )


def _coverage_html(
    path: Path, sets: list[AtomSet], model: PairModel, on_progress: OnProgress | None
) -> str | None:
    steps = Steps("coverage", on_progress)
    try:
        from ..reports.sampler import write_coverage_html

        write_coverage_html(path, sets, model)
    except (MissingExtraError, ImportError) as exc:
        steps.note(f"no coverage report: {exc}", warning=True)
        return None
    steps.note(f"wrote {len(sets)} atom sets and their coverage report {path}")
    return str(path)


def _task_half(
    store: GraphStore,
    sets: list[AtomSet],
    tools: TaskTools,
    out_dir: Path,
    seeds_file: Path | None,
    on_progress: OnProgress | None,
) -> TasksOutcome:
    tasks_path, verified_path = out_dir / "tasks.jsonl", out_dir / "verified.jsonl"
    generated = generate_tasks(
        sets, store, tools.generator, tasks_path, seeds_file=seeds_file, on_progress=on_progress
    )
    verified = verify_stage(
        read_tasks(tasks_path),
        verified_path,
        tools.sandbox,
        tools.verify,
        solver=tools.solver,
        store=store,
        fidelity=tools.fidelity,
        repairer=tools.repairer,
        repair_rounds=tools.repair_rounds,
        near_miss=tools.near_miss,
        on_progress=on_progress,
    )
    kept = read_tasks(verified_path)
    exported = export_tasks(
        kept, out_dir / "train.jsonl", "jsonl", store=store, screen=tools.screen
    )
    parquet: str | None = str(out_dir / "train.parquet")
    try:  # the same tasks, screened once: train.jsonl holds them with their screening
        export_tasks(read_tasks(out_dir / "train.jsonl"), out_dir / "train.parquet", "verl")
    except MissingExtraError as exc:
        Steps("export", on_progress).note(f"no parquet export: {exc}", warning=True)
        parquet = None
    return TasksOutcome(
        tasks=str(tasks_path),
        generate=generated,
        verify=verified,
        exported=exported.tasks,
        train_jsonl=exported.out,
        train_parquet=parquet,
    )
