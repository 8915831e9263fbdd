"""The pipeline as library functions, one per stage.

Each stage takes opened collaborators (a store, an embedder, a generator, a sandbox) and
plain values, reports progress through an ``on_progress`` callback, and returns a typed
report. Stages never print, parse URIs or read the environment: the CLI does that.

========================  ==================================================
stage                     function
========================  ==================================================
fetch                     :func:`fetch_seeds`
ingest + canonicalise     :func:`ingest_seeds`, :func:`canonicalise_atoms`,
                          :func:`add_hierarchy`
sample                    :func:`sample_batch`
generate                  :func:`generate_tasks`
verify                    :func:`verify_tasks`
export                    :func:`export_tasks`, :func:`copy_store`
report                    :func:`report_coverage`, :func:`report_tasks`
run (all of them)         :func:`run_pipeline`
========================  ==================================================
"""

from __future__ import annotations

from .export import ExportReport, ScreenOptions, copy_store, export_tasks, parse_band
from .graph import (
    FetchOutcome,
    IngestOutcome,
    add_hierarchy,
    canonicalise_atoms,
    fetch_seeds,
    ingest_seeds,
    load_seed_file,
)
from .progress import OnProgress, ProgressEvent, Steps, quiet
from .report import report_coverage, report_tasks
from .run import RunReport, TaskTools, run_pipeline
from .tasks import (
    GenerateReport,
    SampleReport,
    VerifyReport,
    generate_tasks,
    read_tasks,
    sample_batch,
    split_count,
    verify_tasks,
    write_sets,
)

__all__ = [
    "ExportReport",
    "FetchOutcome",
    "GenerateReport",
    "IngestOutcome",
    "OnProgress",
    "ProgressEvent",
    "RunReport",
    "SampleReport",
    "ScreenOptions",
    "Steps",
    "TaskTools",
    "VerifyReport",
    "add_hierarchy",
    "canonicalise_atoms",
    "copy_store",
    "export_tasks",
    "fetch_seeds",
    "generate_tasks",
    "ingest_seeds",
    "load_seed_file",
    "parse_band",
    "quiet",
    "read_tasks",
    "report_coverage",
    "report_tasks",
    "run_pipeline",
    "sample_batch",
    "split_count",
    "verify_tasks",
    "write_sets",
]
