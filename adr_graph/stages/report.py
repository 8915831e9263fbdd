"""Report stage: how a batch of atom sets covers the graph, as numbers and as one HTML file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..records import AtomSet
from ..reports.coverage import CoverageTable, coverage_table
from ..sample import model_from_store
from ..store.base import GraphStore
from .progress import OnProgress, Steps

__all__ = ["report_coverage"]


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
