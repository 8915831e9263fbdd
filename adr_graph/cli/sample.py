"""``adr-graph sample`` and ``adr-graph coverage``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._io import parse_record
from ..errors import InputError
from ..hierarchy.grain import GRAINS, store_at_grain
from ..records import AtomSet
from ..reports.coverage import CoverageTable
from ..sample import COMPATIBILITY_KINDS, STRATEGIES, compatibility_summary, model_from_store
from ..schema import load_schemas
from ..stages import report_coverage, sample_batch, write_sets
from .common import JsonOpt, Reporter, StoreOpt, emit_json, err, open_cli_store, settings_from

__all__ = ["coverage_cmd", "read_sets", "sample_cmd"]


def read_sets(path: Path) -> list[AtomSet]:
    """AtomSets from a JSONL file; a bad line names the file, line and field."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read atom sets: {exc.strerror}", path=str(path)) from exc
    return [
        parse_record(line, AtomSet, path, number)
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]


def sample_cmd(
    n: Annotated[int, typer.Option("-n", min=1, help="How many atom sets.")] = 10,
    strategy: Annotated[
        str, typer.Option("--strategy", help=f"One of {', '.join(STRATEGIES)}.")
    ] = "novelty",
    seed: Annotated[int, typer.Option("--seed", help="RNG seed (same seed, same sets).")] = 0,
    domain: Annotated[
        str | None,
        typer.Option("--domain", help="One domain; default: n split over the store's domains."),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the sets as JSONL.")] = None,
    history: Annotated[
        list[Path] | None,
        typer.Option(
            "--history",
            metavar="SETS.jsonl",
            help="Earlier sets (JSONL) whose atoms and pairs count as used.",
        ),
    ] = None,
    compatibility: Annotated[
        str,
        typer.Option(
            "--compatibility",
            help="learned (fitted on the store, cached per store content) or hand (baseline).",
        ),
    ] = "learned",
    grain: Annotated[
        str,
        typer.Option(
            "--grain",
            help="fine (the atoms seeds hold) or coarse (their groups, from schema/hierarchy).",
        ),
    ] = "fine",
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sample rarely-combined but compatible atom sets (or a baseline) from the graph."""
    if grain not in GRAINS:
        raise InputError(
            f"unknown grain {grain!r}; choose from {', '.join(GRAINS)}", field="--grain"
        )
    if strategy not in STRATEGIES:
        raise InputError(
            f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}",
            field="--strategy",
        )
    if compatibility not in COMPATIBILITY_KINDS:
        raise InputError(
            f"unknown compatibility {compatibility!r}; "
            f"choose from {', '.join(COMPATIBILITY_KINDS)}",
            field="--compatibility",
        )
    settings = settings_from(store=store)
    schemas = load_schemas(settings.schema_dir)
    earlier = [s for path in history or [] for s in read_sets(path)]
    with open_cli_store(settings) as opened, err.status("building the pair model"):
        model = model_from_store(
            store_at_grain(opened, grain),
            history=earlier,
            compatibility=compatibility,
            cache_dir=settings.layout.learned_dir,
        )
    if model.learned is not None and model.learned.refit:
        err.print(
            f"fitted the learned compatibility model in {model.learned.seconds:.1f} s "
            f"(domains: {', '.join(model.learned.domains) or 'none'}); cached for this store"
        )
    report = sample_batch(
        model,
        schemas,
        n,
        strategy=strategy,
        seed=seed,
        domain=domain,
        history=earlier,
        on_progress=Reporter(),
    )
    sets = report.sets
    if out is not None:
        write_sets(sets, out)
        err.print(f"wrote {len(sets)} atom sets to {out}")
    cov = report.coverage
    if report.shortfall:
        err.print(f"[yellow]made {len(sets)} of {n} atom sets (see above for why)[/]")
    err.print(
        f"never-seen-pair share {cov.never_seen_pair_share:.2f}, "
        f"mean novelty {cov.novelty_mean:.3f}, mean compatibility {cov.compatibility_mean:.3f}"
    )
    if as_json:
        payload: dict[str, object] = {
            "strategy": strategy,
            "grain": grain,
            "seed": seed,
            "count": len(sets),
            "requested": n,
            "shortfall": report.shortfall,
            "coverage": cov.model_dump(),
            "skipped_domains": report.skipped,
            "compatibility_model": compatibility_summary(model),
            "out": str(out) if out else None,
        }
        if out is None:
            payload["sets"] = [s.model_dump() for s in sets]
        emit_json(payload)
    elif out is None:
        sys.stdout.write("".join(s.model_dump_json() + "\n" for s in sets))


#: (column title, CoverageReport field) of the coverage table.
_COLUMNS = (
    ("sets", "sets"),
    ("distinct", "distinct_sets"),
    ("pair cov.", "pair_coverage"),
    ("never-seen", "never_seen_pair_share"),
    ("novelty", "novelty_mean"),
    ("compat.", "compatibility_mean"),
    ("atom cov.", "atom_coverage"),
    ("gini", "atom_usage_gini"),
    ("jaccard", "mean_jaccard_distance"),
)


def _print_coverage(table: CoverageTable) -> None:
    shown = Table("strategy", "domain", *(t for t, _ in _COLUMNS), title="coverage")
    for strategy, domain, report in table.rows():
        values = [getattr(report, field) for _, field in _COLUMNS]
        shown.add_row(
            strategy, domain, *(f"{v:.3f}" if isinstance(v, float) else str(v) for v in values)
        )
    # eleven columns: never squeeze them below their width (a narrow terminal wraps lines)
    Console(stderr=True, width=max(err.width, 132)).print(shown)


def coverage_cmd(
    sets: Annotated[Path, typer.Option("--sets", help="Atom sets JSONL (from `sample`).")],
    store: StoreOpt = None,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the key plots to one self-contained HTML file."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Coverage of a batch of atom sets: pairs, never-seen pairs, usage spread, diversity."""
    batch = read_sets(sets)
    settings = settings_from(store=store)
    with open_cli_store(settings) as opened:
        report = report_coverage(
            opened,
            batch,
            html=html_out,
            source=str(sets),
            model_cache=settings.layout.learned_dir,
            on_progress=Reporter(),
        )
    if as_json:
        emit_json(report)
    else:
        _print_coverage(report)
