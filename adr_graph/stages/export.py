"""Export stages: verified tasks for RL training (with their seeds' licenses), and the
whole graph from one store into another.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from ..errors import InputError
from ..export import keep, write_jsonl, write_verl_parquet
from ..records import Task
from ..store.base import GraphStore
from ..store.transfer import TransferReport, copy_graph
from .progress import OnProgress, Steps

__all__ = [
    "TASK_FORMATS",
    "ExportReport",
    "SeedCitations",
    "copy_store",
    "export_tasks",
    "parse_band",
    "with_seed_licenses",
]

TASK_FORMATS = ("jsonl", "verl")


def parse_band(value: str | None) -> tuple[float, float] | None:
    """``LOW,HIGH`` difficulty band; inverted or out-of-range bands are input errors.

    >>> parse_band("0.2,0.8"), parse_band(None)
    ((0.2, 0.8), None)
    >>> parse_band("0.8,0.2")
    Traceback (most recent call last):
    adr_graph.errors.InputError: field '--keep-band': 0.8 > 0.2: LOW must not exceed HIGH
    """
    if value is None:
        return None
    try:
        low, high = (float(x) for x in value.split(","))
    except ValueError as exc:
        raise InputError(f"{value!r} is not LOW,HIGH", field="--keep-band") from exc
    if not (0.0 <= low <= 1.0 and 0.0 <= high <= 1.0):
        raise InputError(f"{value!r}: both ends must lie in [0, 1]", field="--keep-band")
    if low > high:
        raise InputError(f"{low} > {high}: LOW must not exceed HIGH", field="--keep-band")
    return low, high


class SeedCitations:
    """Sources and licenses of a store's seeds, to stamp on the tasks that cite them."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.rows = {
            m.seed_id: (m.source, m.license or "unknown") for m in store.iter_memberships()
        }

    def cite(self, task: Task) -> Task:
        """``task`` with ``provenance.sources``/``licenses`` of the seeds it cites: the
        example seeds shown to the model, else up to three seeds of each of its atoms."""
        cited = task.provenance.seed_ids or [
            s for a in task.provenance.atom_ids for s in self.store.atom_seeds(a)[:3]
        ]
        rows = [self.rows[s] for s in dict.fromkeys(cited) if s in self.rows]
        provenance = task.provenance.model_copy(
            update={
                "sources": sorted({source for source, _ in rows}),
                "licenses": sorted({license for _, license in rows}),
            }
        )
        return task.model_copy(update={"provenance": provenance})


def with_seed_licenses(tasks: Sequence[Task], store: GraphStore) -> list[Task]:
    """``tasks`` stamped with their seeds' sources and licenses (see :class:`SeedCitations`)."""
    citations = SeedCitations(store)
    return [citations.cite(t) for t in tasks]


class ExportReport(BaseModel):
    out: str
    format: str
    tasks: int
    licenses: list[str]
    without_license: int = 0


def export_tasks(
    tasks: Sequence[Task],
    out: Path,
    fmt: str,
    *,
    store: GraphStore | None = None,
    band: tuple[float, float] | None = None,
    on_progress: OnProgress | None = None,
) -> ExportReport:
    """Write the verified tasks (within ``band`` of difficulty) as ``jsonl`` or ``verl``
    parquet; with ``store``, each is stamped with its seeds' sources and licenses again
    (tasks carry them from generation; a task that carries none is counted)."""
    if fmt not in TASK_FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose from {', '.join(TASK_FORMATS)}")
    kept = keep(tasks, band)
    if store is not None:
        kept = with_seed_licenses(kept, store)
    count = write_verl_parquet(kept, out) if fmt == "verl" else write_jsonl(kept, out)
    licenses = sorted({lic for t in kept for lic in t.provenance.licenses})
    unlicensed = sum(not t.provenance.licenses for t in kept)
    steps = Steps("export", on_progress)
    steps.note(
        f"exported {count} verified task(s) as {fmt} to {out}"
        + (f" (licenses: {', '.join(licenses)})" if licenses else "")
    )
    if unlicensed:
        steps.note(
            f"{unlicensed} task(s) carry no seed license; export with --store set to the "
            "store they were generated from",
            warning=True,
        )
    return ExportReport(
        out=str(out), format=fmt, tasks=count, licenses=licenses, without_license=unlicensed
    )


def copy_store(
    source: GraphStore, target: GraphStore, what: str, on_progress: OnProgress | None = None
) -> TransferReport:
    """Copy the whole graph of ``source`` into ``target`` and commit it."""
    steps = Steps(what, on_progress)
    with steps.task(f"{what} graph") as advance:
        report = copy_graph(source, target, on_progress=lambda _kind, n: advance(n))
    with steps.task("committing"):
        target.commit()
    steps.note(
        f"{what}: {report.atoms} atoms, {report.seeds} seeds, {report.edges} typed edges "
        f"from {source.location} to {target.location}"
    )
    return report
