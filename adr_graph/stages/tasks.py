"""Task stages: sample atom sets, generate tasks, verify them, export the kept ones.

Each takes opened collaborators (store or pair model, generator, sandbox, solver) and
returns a report; outputs are resumable JSONL checkpoints or atomic writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from .._io import JsonlCheckpoint, atomic_write_text, read_jsonl
from ..errors import InputError
from ..records import Atom, AtomSet, ElementSchema, GenerationFailure, Task, TaskOutcome
from ..reports.coverage import CoverageReport, coverage_report
from ..reports.quality import Spread
from ..sample import PairModel, SampleStats, sample_sets
from ..seeds.loader import iter_seeds
from ..store.base import GraphStore
from .export import SeedCitations
from .progress import OnProgress, Steps

if TYPE_CHECKING:
    from ..generate.fidelity import FidelityCheck
    from ..generate.generator import TaskGenerator
    from ..generate.near_miss import NearMissWriter
    from ..generate.repair import TaskRepairer
    from ..generate.verify import VerifyOptions
    from ..sandbox import Sandbox

__all__ = [
    "GenerateReport",
    "SampleReport",
    "VerifyReport",
    "domains_with_atoms",
    "examples_for",
    "generate_tasks",
    "read_tasks",
    "requested_atoms",
    "sample_batch",
    "split_count",
    "verify_tasks",
    "write_sets",
]


def split_count(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` near-equal counts, larger ones first.

    >>> split_count(7, 3)
    [3, 2, 2]
    """
    return [n // parts + (1 if k < n % parts else 0) for k in range(parts)]


class SampleReport(BaseModel):
    """Sampled sets, their coverage, the domains left out and the domains that came up
    short (each with why)."""

    sets: list[AtomSet]
    coverage: CoverageReport
    requested: int = 0
    skipped: dict[str, str] = Field(default_factory=dict)
    shortfall: dict[str, str] = Field(default_factory=dict)


def domains_with_atoms(model: PairModel, schemas: Mapping[str, ElementSchema]) -> list[str]:
    """The schema domains that hold at least one atom in the model, sorted."""
    present = set(np.unique(model.domains).tolist()) if len(model.atom_ids) else set()
    return sorted(d for d in schemas if d in present)


def sample_batch(
    model: PairModel,
    schemas: Mapping[str, ElementSchema],
    n: int,
    *,
    strategy: str = "novelty",
    seed: int = 0,
    domain: str | None = None,
    history: Sequence[AtomSet] = (),
    on_progress: OnProgress | None = None,
) -> SampleReport:
    """``n`` distinct atom sets of ``domain``, or split over the domains the store holds,
    none equal to a set of ``history``.

    A domain missing atoms in a required slot is skipped (and named in ``skipped``) when
    no ``domain`` was asked for; asked for, it is an :class:`InputError`. A domain that
    cannot fill its share is named in ``shortfall`` with the reasons.
    """
    if domain is not None and domain not in schemas:
        raise InputError(
            f"unknown domain {domain!r}; choose from {', '.join(sorted(schemas))}", field="--domain"
        )
    domains = [domain] if domain else domains_with_atoms(model, schemas)
    if not domains:
        raise InputError("the store holds no atoms; run `adr-graph ingest` first", field="--store")
    steps = Steps("sample", on_progress)
    sets: list[AtomSet] = []
    skipped: dict[str, str] = {}
    shortfall: dict[str, str] = {}
    with steps.task(f"sampling ({strategy})", total=n) as advance:
        for dom, count in zip(domains, split_count(n, len(domains)), strict=True):
            if not count:
                continue
            stats = SampleStats()
            try:
                sets += sample_sets(
                    model,
                    schemas[dom],
                    count,
                    strategy=strategy,
                    seed=seed,
                    on_set=lambda _s: advance(),
                    exclude=history,
                    stats=stats,
                )
            except InputError as exc:
                if domain is not None:
                    raise
                skipped[dom] = exc.reason
                steps.note(f"no sets for {dom}: {exc.reason}", warning=True)
                continue
            if stats.shortfall:
                shortfall[dom] = stats.why_short()
                steps.note(f"{dom}: {shortfall[dom]}", warning=True)
    if not sets:
        raise InputError(
            "no atom set could be made: "
            + "; ".join(f"{d}: {why}" for d, why in {**skipped, **shortfall}.items()),
            field="--domain",
        )
    return SampleReport(
        sets=sets,
        coverage=coverage_report(sets, model),
        requested=n,
        skipped=skipped,
        shortfall=shortfall,
    )


def write_sets(sets: Sequence[AtomSet], path: Path) -> None:
    """Atom sets as JSONL, atomically."""
    atomic_write_text(path, "".join(s.model_dump_json() + "\n" for s in sets))


def examples_for(
    store: GraphStore, atom_ids: set[str], seeds_file: Path
) -> dict[str, list[tuple[str, str]]]:
    """Up to three ``(seed_id, statement)`` examples per atom, from the seeds JSONL."""
    wanted = {a: store.atom_seeds(a)[:3] for a in atom_ids}
    needed = {s for ids in wanted.values() for s in ids}
    statements = {
        s.id: s.statement for s in iter_seeds(seeds_file, skip_bad=True) if s.id in needed
    }
    return {a: [(s, statements[s]) for s in ids if s in statements] for a, ids in wanted.items()}


class GenerateReport(BaseModel):
    out: str
    new: int
    failed: int
    skipped: int
    failures_file: str
    model: str
    seed_examples: int = 0


def _checkpoints(out: Path, citations: SeedCitations) -> tuple[JsonlCheckpoint, JsonlCheckpoint]:
    tasks = _CitingCheckpoint(out, citations)
    failures = JsonlCheckpoint(out.with_name(out.name + ".failures.jsonl"), GenerationFailure)
    for checkpoint in (tasks, failures):  # both files exist after a run, even when empty
        if not checkpoint.path.exists():
            atomic_write_text(checkpoint.path, "")
    return tasks, failures


class _CitingCheckpoint(JsonlCheckpoint):
    """A task checkpoint that stamps each task with its seeds' sources and licenses."""

    def __init__(self, path: Path, citations: SeedCitations) -> None:
        super().__init__(path, Task)
        self.citations = citations

    def append(self, record: BaseModel) -> None:
        assert isinstance(record, Task)
        super().append(self.citations.cite(record))


def generate_tasks(
    sets: Sequence[AtomSet],
    store: GraphStore,
    generator: TaskGenerator,
    out: Path,
    *,
    seeds_file: Path | None = None,
    retry_failed: bool = False,
    on_progress: OnProgress | None = None,
) -> GenerateReport:
    """A task for every set not yet in ``out`` (or its failures file), with up to three
    seed statements per atom from ``seeds_file`` as examples."""
    steps = Steps("generate", on_progress)
    atom_ids = {a.id for s in sets for a in s.atoms}
    atoms: dict[str, Atom] = {a: atom for a in atom_ids if (atom := store.get_atom(a))}
    examples: dict[str, list[tuple[str, str]]] = {}
    if seeds_file is not None and seeds_file.is_file():
        examples = examples_for(store, atom_ids, seeds_file)
    else:
        steps.note(
            f"no seeds file at {seeds_file}: tasks are written without seed examples "
            "(fetch seeds, or pass --seeds)",
            warning=True,
        )
    tasks, failures = _checkpoints(out, SeedCitations(store))
    with steps.task(f"generating tasks ({generator.model})", total=len(sets)) as advance:
        new, failed, skipped = generator.generate_many(
            list(sets),
            atoms,
            examples,
            tasks,
            failures,
            on_done=lambda _r: advance(),
            retry_failed=retry_failed,
        )
    steps.note(
        f"generated {new} task(s), {failed} failed, {skipped} already done "
        f"({generator.http_calls} HTTP calls) -> {out}"
    )
    return GenerateReport(
        out=str(out),
        new=new,
        failed=failed,
        skipped=skipped,
        failures_file=str(failures.path),
        model=generator.model,
        seed_examples=sum(len(v) for v in examples.values()),
    )


def read_tasks(path: Path) -> list[Task]:
    """Tasks of a JSONL file; a bad line is an :class:`InputError` naming it."""
    if not path.is_file():
        raise InputError("no such tasks file", path=str(path))
    read = read_jsonl(path, Task)
    read.raise_if_bad()
    return list(read.records.values())


class VerifyReport(BaseModel):
    """Verified and failed tasks, the steps that failed them, and the repair funnel:
    tasks verified after 0, 1, 2... repair rounds, and the repair calls made."""

    out: str
    verified: int
    failed: int
    failed_steps: dict[str, int]
    network_isolated: bool
    #: the sandbox's containment: ``bwrap+zygote``, ``bwrap``, ``unshare``, ``none``, ``remote``
    isolation: str = "remote"
    outcomes_written_to: str | None = None
    verified_by_round: dict[str, int] = Field(default_factory=dict)
    repair_calls: int = 0
    mean_fidelity: float | None = None
    #: medians over verified tasks with near misses, before and after the separating tests
    near_miss_kill_rate_before: float | None = None
    near_miss_kill_rate: float | None = None
    #: surviving near misses no test or probe input told from the reference
    near_misses_not_shown_wrong: int = 0


def verify_tasks(
    tasks: Sequence[Task],
    out: Path,
    sandbox: Sandbox,
    opts: VerifyOptions,
    *,
    solver: Any = None,
    store: GraphStore | None = None,
    fidelity: FidelityCheck | None = None,
    repairer: TaskRepairer | None = None,
    repair_rounds: int = 0,
    near_miss: NearMissWriter | None = None,
    on_progress: OnProgress | None = None,
) -> VerifyReport:
    """Verify every task not yet in ``out``, with up to ``repair_rounds`` repairs of a
    failed one by ``repairer``, and near-miss tests for a verified one (``near_miss``);
    feed all outcomes to ``store`` when given.

    Fidelity is measured with ``fidelity``, by default the static extractor, knowing
    the requested atoms' aliases and extractors from ``store`` when one is given.
    """
    from ..generate.fidelity import FidelityCheck
    from ..generate.repair import verify_with_repairs

    steps = Steps("verify", on_progress)
    done = JsonlCheckpoint(out, Task)
    todo = [t for t in tasks if t.id not in done]
    atoms = requested_atoms(store, todo) if store is not None else {}
    fidelity = fidelity or FidelityCheck.static()
    for user in (fidelity, repairer):  # they read the store's aliases and descriptions
        if user is not None and not user.atoms:
            user.atoms = atoms
    with steps.task("verifying in the sandbox", total=len(tasks)) as advance:
        for task in tasks:
            if task.id not in done:
                checked = verify_with_repairs(
                    task, sandbox, opts, repairer=repairer, rounds=repair_rounds,
                    solver=solver, fidelity=fidelity, near_miss=near_miss,
                )  # fmt: skip
                done.append(checked)
            advance()
    finished: list[Task] = list(done.records.values())
    outcomes = [_outcome(t) for t in finished]
    if store is not None and outcomes:
        store.record_outcomes(outcomes)
        store.commit()
    report = _verify_report(finished, out, sandbox, store)
    steps.note(
        f"verified {report.verified} of {len(outcomes)} task(s) -> {out}"
        + (f"; outcomes written to {store.location}" if store is not None else "")
    )
    return report


def _verify_report(
    finished: Sequence[Task], out: Path, sandbox: Sandbox, store: GraphStore | None
) -> VerifyReport:
    """The counts, failed steps, repair funnel and test-quality medians of ``finished``."""
    verified = sum(bool(t.verification and t.verification.verified) for t in finished)
    reasons = Counter(
        v.step
        for t in finished
        for v in (t.verification.verdicts if t.verification else [])
        if not v.ok
    )
    return VerifyReport(
        out=str(out),
        verified=verified,
        failed=len(finished) - verified,
        failed_steps=dict(reasons),
        network_isolated=bool(getattr(sandbox, "network_isolation", False)),
        isolation=_isolation(sandbox),
        outcomes_written_to=store.location if store is not None else None,
        verified_by_round=_verified_by_round(finished),
        repair_calls=sum(len(t.repairs) for t in finished),
        mean_fidelity=Spread.of([t.fidelity for t in finished if t.fidelity is not None]).mean,
        **_near_miss_medians(finished),
        near_misses_not_shown_wrong=sum(
            t.verification.near_misses_equivalent for t in finished if t.verification
        ),
    )


def _near_miss_medians(tasks: Sequence[Task]) -> dict[str, float | None]:
    records = [t.verification for t in tasks if t.verification and t.verification.verified]
    return {
        name: Spread.of([v for r in records if (v := getattr(r, name)) is not None]).median
        for name in ("near_miss_kill_rate_before", "near_miss_kill_rate")
    }


def _verified_by_round(tasks: Sequence[Task]) -> dict[str, int]:
    """Verified tasks by the number of repair rounds it took ("0": the first try)."""
    rounds = Counter(
        str(len(t.repairs)) for t in tasks if t.verification and t.verification.verified
    )
    return dict(sorted(rounds.items()))


def requested_atoms(store: GraphStore, tasks: Sequence[Task]) -> dict[str, Atom]:
    """The store's records of the atoms ``tasks`` were built from (those it holds)."""
    wanted = {a for t in tasks for a in t.provenance.atom_ids}
    return {a: atom for a in sorted(wanted) if (atom := store.get_atom(a)) is not None}


def _outcome(task: Task) -> TaskOutcome:
    return TaskOutcome(
        task_id=task.id,
        domain=task.domain,
        atom_ids=task.provenance.atom_ids,
        verified=bool(task.verification and task.verification.verified),
    )


def _isolation(sandbox: Sandbox) -> str:
    """How ``sandbox`` contains a run, as :class:`VerifyReport` reports it."""
    isolation = str(getattr(sandbox, "isolation", "remote"))
    return isolation + ("+zygote" if getattr(sandbox, "mode", "") == "zygote" else "")
