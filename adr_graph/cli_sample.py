"""``adr-graph sample`` and ``adr-graph coverage``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.table import Table

from ._io import atomic_write_text
from .cli_common import DEFAULT_STORE, JsonOpt, StoreOpt, app, emit_json, open_cli_store
from .cli_steps import err, progress
from .errors import InputError
from .records import AtomSet
from .reports.coverage import CoverageReport, coverage_report
from .sample import STRATEGIES, PairModel, model_from_store, sample_sets
from .schema import load_schemas

__all__ = ["read_sets", "split_count"]


def read_sets(path: Path) -> list[AtomSet]:
    """AtomSets from a JSONL file; a bad line names the file, line and field."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read atom sets: {exc.strerror}", path=str(path)) from exc
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            out.append(AtomSet.model_validate_json(line))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or None
            raise InputError(first["msg"], path=str(path), line=number, field=field) from exc
    return out


def _domains(domain: str | None) -> list[str]:
    schemas = load_schemas()
    if domain is None:
        return sorted(schemas)
    if domain not in schemas:
        raise InputError(
            f"unknown domain {domain!r}; choose from {', '.join(sorted(schemas))}", field="--domain"
        )
    return [domain]


def split_count(n: int, parts: int) -> list[int]:
    """``n`` split into ``parts`` near-equal counts, larger ones first.

    >>> split_count(7, 3)
    [3, 2, 2]
    """
    return [n // parts + (1 if k < n % parts else 0) for k in range(parts)]


@app.command("sample")
def sample_cmd(
    n: Annotated[int, typer.Option("-n", "--n", min=1, help="How many atom sets.")] = 10,
    strategy: Annotated[
        str, typer.Option("--strategy", help=f"One of {', '.join(STRATEGIES)}.")
    ] = "novelty",
    seed: Annotated[int, typer.Option("--seed", help="RNG seed (same seed, same sets).")] = 0,
    domain: Annotated[
        str | None, typer.Option("--domain", help="One domain; default: n split over all.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the sets as JSONL.")] = None,
    history: Annotated[
        list[Path] | None,
        typer.Option("--history", help="Earlier sets (JSONL) whose atoms and pairs count as used."),
    ] = None,
    store: StoreOpt = DEFAULT_STORE,
    as_json: JsonOpt = False,
) -> None:
    """Sample rarely-combined but compatible atom sets (or a baseline) from the graph."""
    if strategy not in STRATEGIES:
        raise InputError(
            f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}",
            field="--strategy",
        )
    domains = _domains(domain)
    earlier = [s for path in history or [] for s in read_sets(path)]
    opened = open_cli_store(store)
    try:
        with err.status("building the pair model"):
            model = model_from_store(opened, history=earlier)
    finally:
        opened.close()
    schemas = load_schemas()
    sets: list[AtomSet] = []
    with progress() as bar:
        task = bar.add_task(f"sampling ({strategy})", total=n)
        for dom, count in zip(domains, split_count(n, len(domains)), strict=True):
            if count:
                sets += sample_sets(
                    model,
                    schemas[dom],
                    count,
                    strategy=strategy,
                    seed=seed,
                    on_set=lambda _s: bar.advance(task),
                )
    lines = "".join(s.model_dump_json() + "\n" for s in sets)
    if out is not None:
        atomic_write_text(out, lines)
        err.print(f"wrote {len(sets)} atom sets to {out}")
    report = coverage_report(sets, model)
    err.print(
        f"never-seen-pair share {report.never_seen_pair_share:.2f}, "
        f"mean novelty {report.novelty_mean:.3f}, "
        f"mean compatibility {report.compatibility_mean:.3f}"
    )
    if as_json:
        payload: dict[str, object] = {
            "strategy": strategy,
            "seed": seed,
            "count": len(sets),
            "coverage": report.model_dump(),
        }
        payload["out"] = str(out) if out else None
        if out is None:
            payload["sets"] = [s.model_dump() for s in sets]
        emit_json(payload)
    elif out is None:
        sys.stdout.write(lines)


def _print_coverage(report: CoverageReport) -> None:
    table = Table("metric", "value", title="coverage", title_justify="left")
    for key, value in report.model_dump().items():
        shown = (
            json.dumps(value)
            if isinstance(value, dict)
            else (f"{value:.4f}" if isinstance(value, float) else str(value))
        )
        table.add_row(key, shown)
    err.print(table)


@app.command("coverage")
def coverage_cmd(
    sets: Annotated[Path, typer.Option("--sets", help="Atom sets JSONL (from `sample`).")],
    store: StoreOpt = DEFAULT_STORE,
    html_out: Annotated[
        Path | None,
        typer.Option("--html", help="Also write the key plots to one self-contained HTML file."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Coverage of a batch of atom sets: pairs, never-seen pairs, usage spread, diversity."""
    batch = read_sets(sets)
    if not batch:
        raise InputError("no atom sets in the file", path=str(sets))
    opened = open_cli_store(store)
    try:
        model = model_from_store(opened)
    finally:
        opened.close()
    missing = sorted({a.id for s in batch for a in s.atoms if a.id not in model.index})
    if missing:
        raise InputError(
            f"{len(missing)} atom(s) are not in the store, e.g. {missing[0]!r}; "
            "use the store the sets were sampled from",
            path=str(sets),
        )
    report = coverage_report(batch, model)
    if html_out is not None:
        _write_html(html_out, batch, model, report)
    if as_json:
        emit_json(report)
    else:
        _print_coverage(report)


def _write_html(path: Path, batch: list[AtomSet], model: PairModel, report: CoverageReport) -> None:
    from .reports.coverage import compatible_pairs
    from .reports.sampler import html_report, sampler_figures

    by_strategy: dict[str, list[AtomSet]] = {}
    for atom_set in batch:
        by_strategy.setdefault(atom_set.strategy, []).append(atom_set)
    domains = {s.domain for s in batch}
    ids = model.atom_ids
    compatible = {(ids[a], ids[b]) for a, b in compatible_pairs(model, domains).tolist()}
    in_domain = [a for a, d in zip(ids, model.domains, strict=True) if d in domains]
    figures = sampler_figures(by_strategy, compatible, in_domain)
    html_report(path, "adr-graph coverage", figures, [("Coverage", report.model_dump())])
    err.print(f"wrote {path}")
