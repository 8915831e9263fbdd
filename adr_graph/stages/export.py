"""Export stages: verified tasks for RL training (with their seeds' licenses, screened for
duplicates and contamination), and the whole graph from one store into another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ..embed import Embedder
from ..errors import InputError
from ..export import apps_misfit, keep, write_jsonl, write_verl_parquet
from ..export_hf import write_hf_dataset
from ..records import Seed, Task
from ..screen import screen_tasks
from ..store.base import GraphStore
from ..store.transfer import TransferReport, copy_graph
from .progress import OnProgress, Steps

__all__ = [
    "TASK_FORMATS",
    "ExportReport",
    "ScreenOptions",
    "SeedCitations",
    "copy_store",
    "export_tasks",
    "parse_band",
    "with_seed_licenses",
]

TASK_FORMATS = ("jsonl", "verl", "apps", "hf")


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
    """Tasks written, their licenses, and what screening flagged or dropped."""

    out: str
    format: str
    tasks: int
    licenses: list[str]
    without_license: int = 0
    duplicates_dropped: int = 0
    contaminated: int = 0  # flagged as close to an evaluation seed
    decontaminated: int = 0  # flagged tasks dropped (``decontaminate``)
    left_out: int = 0  # tasks the format cannot score (``apps``: tool-call tasks)
    splits: dict[str, int] = {}  # ``hf``: rows per split


@dataclass
class ScreenOptions:
    """How ``export`` screens tasks (:mod:`adr_graph.screen`): the statement embedder,
    earlier outputs to deduplicate against, the evaluation-only seeds, and whether to drop
    the tasks flagged as contaminated."""

    embedder: Embedder
    earlier: Sequence[Task] = ()
    eval_seeds: Sequence[Seed] = ()
    decontaminate: bool = False


def _screened(
    tasks: list[Task], screen: ScreenOptions, steps: Steps
) -> tuple[list[Task], dict[str, int]]:
    """``tasks`` screened; duplicates dropped, and flagged ones too with ``decontaminate``."""
    with steps.task("screening for duplicates and contamination"):
        checked = screen_tasks(
            tasks, screen.embedder, earlier=screen.earlier, eval_seeds=screen.eval_seeds
        )
    unique = [t for t in checked if t.screening is None or t.screening.duplicate_of is None]
    flagged = [t for t in unique if t.screening is not None and t.screening.contaminated]
    kept = [t for t in unique if not (screen.decontaminate and t in flagged)]
    counts = {
        "duplicates_dropped": len(checked) - len(unique),
        "contaminated": len(flagged),
        "decontaminated": len(unique) - len(kept),
    }
    if counts["duplicates_dropped"] or flagged:
        steps.note(
            f"screening: {counts['duplicates_dropped']} duplicate(s) dropped, {len(flagged)} "
            "task(s) close to an evaluation seed"
            + (
                " (dropped: --decontaminate)"
                if screen.decontaminate and flagged
                else " (kept, flagged)"
            )
        )
    return kept, counts


def _fit_for_apps(tasks: list[Task], steps: Steps) -> tuple[list[Task], int]:
    """The tasks the APPS layout can score; the others are named in a warning."""
    misfits = [(t, why) for t in tasks if (why := apps_misfit(t))]
    if misfits:
        reasons = sorted({why for _, why in misfits})
        steps.note(
            f"{len(misfits)} task(s) left out of the apps export ({'; '.join(reasons)}); "
            "export them with --format verl and score with adr_graph.reward",
            warning=True,
        )
    return [t for t in tasks if not apps_misfit(t)], len(misfits)


def export_tasks(
    tasks: Sequence[Task],
    out: Path,
    fmt: str,
    *,
    store: GraphStore | None = None,
    band: tuple[float, float] | None = None,
    screen: ScreenOptions | None = None,
    on_progress: OnProgress | None = None,
    test_share: float = 0.0,
    seed: int = 0,
) -> ExportReport:
    """Write the verified tasks (within ``band`` of difficulty) as ``jsonl``, or as ``verl``
    or ``apps`` parquet (the APPS layout leaves out tool-call tasks, with a warning); with
    ``store``, each is stamped with its seeds' sources and licenses again (tasks carry them
    from generation; a task that carries none is counted). With ``screen``, duplicates are
    dropped and each task carries its screening. ``hf`` writes a ``datasets`` directory,
    with a ``test`` split of about ``test_share`` that shares no atom pair with ``train``."""
    if fmt not in TASK_FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose from {', '.join(TASK_FORMATS)}")
    steps = Steps("export", on_progress)
    kept = keep(tasks, band)
    counts: dict[str, int] = {}
    if screen is not None:
        kept, counts = _screened(kept, screen, steps)
    if store is not None:
        kept = with_seed_licenses(kept, store)
    if fmt == "apps":
        kept, counts["left_out"] = _fit_for_apps(kept, steps)
    splits: dict[str, int] = {}
    if fmt == "hf":
        splits = write_hf_dataset(kept, out, test_share=test_share, seed=seed)
        count = sum(splits.values())
    elif fmt in ("verl", "apps"):
        count = write_verl_parquet(kept, out, layout=fmt)
    else:
        count = write_jsonl(kept, out)
    licenses = sorted({lic for t in kept for lic in t.provenance.licenses})
    unlicensed = sum(not t.provenance.licenses for t in kept)
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
        out=str(out),
        format=fmt,
        tasks=count,
        licenses=licenses,
        without_license=unlicensed,
        splits=splits,
        **counts,
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
        f"{what}: {report.atoms} atoms, {report.groups} groups, {report.seeds} seeds, "
        f"{report.edges} typed edges "
        f"from {source.location} to {target.location}"
    )
    return report
