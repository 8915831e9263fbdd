"""Figures of generated tasks (notebook 03): the verification funnel, difficulty,
originality against the nearest seed, and the atom pairs that fail most.

Works on the files ``generate`` and ``verify`` write (the verified JSONL holds every
task with its verdicts; ``TASKS.jsonl.failures.jsonl`` the sets that gave no task).
Reading never modifies them.

>>> from adr_graph.records import Task, TaskProvenance, VerificationRecord, Verdict
>>> t = Task(id="t1", domain="algorithm", statement="s", reference_solution="r",
...     provenance=TaskProvenance(atom_ids=["x", "y"], prompt_version="v", model="m"),
...     verification=VerificationRecord(verified=False,
...         verdicts=[Verdict(step="generate_inputs", ok=False)]))
>>> [(s.name, s.count) for s in verification_funnel([t], [])][:3]
[('atom sets', 1), ('task written', 1), ('all code written', 1)]
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from pydantic import BaseModel

from .._io import read_jsonl
from ..embed import Embedder, l2_normalise
from ..records import GenerationFailure, Seed, Task

__all__ = [
    "FunnelStage",
    "Originality",
    "PairFailures",
    "load_records",
    "originality",
    "pair_failures",
    "plot_funnel",
    "verification_funnel",
    "yield_by_round",
]

Record = TypeVar("Record", bound=BaseModel)


def load_records(path: Path, model: type[Record]) -> list[Record]:
    """Records of a JSONL file for a figure: unreadable lines (e.g. a write cut short) are
    left out, a missing file is empty, the last record of a repeated id wins."""
    return list(read_jsonl(path, model).records.values())


@dataclass(frozen=True)
class FunnelStage:
    name: str
    count: int


def _ok(task: Task, step: str) -> bool | None:
    """The verdict of ``step`` (None when the step did not run)."""
    verdicts = task.verification.verdicts if task.verification else []
    found = [v.ok for v in verdicts if v.step == step]
    return found[-1] if found else None


def _verified(task: Task) -> bool:
    return task.verification is not None and task.verification.verified


def _passed(task: Task, step: str) -> bool:
    """Whether ``task`` passed ``step``; a record older than the step passes it when the
    task was verified."""
    ok = _ok(task, step)
    return _verified(task) if ok is None else ok


def verification_funnel(
    tasks: Sequence[Task], failures: Sequence[GenerationFailure], min_mutation: float = 0.5
) -> list[FunnelStage]:
    """How many atom sets survive each step, from sampling to strong tests (each stage
    counts the tasks of the one before that pass it; the gates come after agreement)."""
    drafted = len(tasks) + sum(f.stage != "task" for f in failures)
    inputs = [
        t for t in tasks if _ok(t, "generate_inputs") and _ok(t, "validate_inputs") is not False
    ]
    runs = [t for t in inputs if _ok(t, "run_solutions")]
    agree = [t for t in runs if _ok(t, "agree") and _ok(t, "tool_calls") is not False]
    untrivial = [t for t in agree if _passed(t, "triviality")]
    faithful = [t for t in untrivial if _passed(t, "fidelity") and _verified(t)]
    strong = [
        t
        for t in faithful
        if t.verification
        and t.verification.mutation_score is not None
        and t.verification.mutation_score >= min_mutation
    ]
    return [
        FunnelStage("atom sets", len(tasks) + len(failures)),
        FunnelStage("task written", drafted),
        FunnelStage("all code written", len(tasks)),
        FunnelStage("valid inputs", len(inputs)),
        FunnelStage("reference runs", len(runs)),
        FunnelStage("solutions agree", len(agree)),
        FunnelStage("not trivial", len(untrivial)),
        FunnelStage("faithful (verified)", len(faithful)),
        FunnelStage(f"mutation score >= {min_mutation:g}", len(strong)),
    ]


def yield_by_round(tasks: Sequence[Task], rounds: int = 2) -> list[FunnelStage]:
    """Verified tasks after 0, 1, ... ``rounds`` repair rounds (cumulative).

    >>> [(s.name, s.count) for s in yield_by_round([])]
    [('first try', 0), ('after 1 repair', 0), ('after 2 repairs', 0)]
    """
    used = [len(t.repairs) for t in tasks if _verified(t)]
    names = ["first try"] + [
        f"after {k} repair{'s' if k > 1 else ''}" for k in range(1, rounds + 1)
    ]
    return [FunnelStage(name, sum(u <= k for u in used)) for k, name in enumerate(names)]


@dataclass(frozen=True)
class Originality:
    """How close a task's statement is to the nearest seed statement of its domain."""

    task_id: str
    nearest_seed: str
    similarity: float

    @property
    def originality(self) -> float:
        return 1.0 - self.similarity


def originality(
    tasks: Sequence[Task], seeds: Iterable[Seed], embedder: Embedder
) -> list[Originality]:
    """Nearest seed (cosine of ``embedder`` vectors) for every task, within its domain."""
    by_domain: dict[str, list[Seed]] = {}
    for seed in seeds:
        by_domain.setdefault(seed.domain, []).append(seed)
    out: list[Originality] = []
    for domain, group in itertools.groupby(
        sorted(tasks, key=lambda t: t.domain), key=lambda t: t.domain
    ):
        chosen, pool = list(group), by_domain.get(domain, [])
        if not pool:
            continue
        seed_vectors = l2_normalise(embedder.encode([s.statement for s in pool]))
        task_vectors = l2_normalise(embedder.encode([t.statement for t in chosen]))
        similarity = task_vectors @ seed_vectors.T
        best = similarity.argmax(axis=1)
        out += [
            Originality(t.id, pool[int(j)].id, round(float(similarity[i, j]), 4))
            for i, (t, j) in enumerate(zip(chosen, best, strict=True))
        ]
    return out


@dataclass(frozen=True)
class PairFailures:
    """Tasks built from atoms ``a`` and ``b`` together, and how many failed."""

    a: str
    b: str
    tasks: int
    failed: int

    @property
    def failure_rate(self) -> float:
        return self.failed / self.tasks if self.tasks else 0.0


def pair_failures(
    tasks: Sequence[Task], failures: Sequence[GenerationFailure] = ()
) -> list[PairFailures]:
    """Atom pairs by failures (generation failures count too), most failed first."""
    counts: dict[tuple[str, str], list[int]] = {}
    outcomes = [
        (t.provenance.atom_ids, bool(t.verification and t.verification.verified)) for t in tasks
    ]
    outcomes += [(f.atom_ids, False) for f in failures]
    for atom_ids, verified in outcomes:
        for pair in itertools.combinations(sorted(set(atom_ids)), 2):
            row = counts.setdefault(pair, [0, 0])
            row[0] += 1
            row[1] += not verified
    rows = [PairFailures(a, b, n, f) for (a, b), (n, f) in counts.items()]
    return sorted(rows, key=lambda r: (-r.failed, -r.failure_rate, r.a, r.b))


def plot_funnel(ax: Any, stages: Sequence[FunnelStage]) -> None:
    """Horizontal bars, first stage on top, each labelled with its count and share."""
    names = [s.name for s in stages][::-1]
    counts = np.asarray([s.count for s in stages][::-1])
    ax.barh(names, counts, color="#4c72b0")
    total = max(stages[0].count, 1) if stages else 1
    for y, count in enumerate(counts):
        ax.text(count, y, f" {count} ({count / total:.0%})", va="center")
    ax.set_xlabel("atom sets")
    ax.set_xlim(0, max(total * 1.25, 1))
    ax.set_title("Verification funnel")
