"""``adr-graph report``: the four task measures of a batch (originality, diversity,
difficulty, test quality), with fidelity and the yield per stage and repair round."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..reports.quality import TaskQuality
from ..stages import read_tasks, report_tasks
from .common import CacheOpt, JsonOpt, Reporter, emit_json, err, make_embedder, settings_from

__all__ = ["report_cmd"]


def report_cmd(
    tasks: Annotated[Path, typer.Argument(help="Tasks JSONL as `verify` writes it.")],
    failures: Annotated[
        Path | None,
        typer.Option(
            "--failures",
            help="Generation failures JSONL (`generate` writes TASKS.jsonl.failures.jsonl), "
            "for the funnel.",
            show_default=False,
        ),
    ] = None,
    seeds: Annotated[
        Path | None,
        typer.Option(
            "--seeds",
            help="Seeds JSONL for originality. Default: <cache>/seeds/seeds.jsonl.",
            show_default=False,
        ),
    ] = None,
    embedder: Annotated[
        str, typer.Option("--embedder", help="Statement embeddings: minilm or hashing.")
    ] = "minilm",
    html_out: Annotated[
        Path | None, typer.Option("--html", help="Also write the tables to one HTML file.")
    ] = None,
    cache: CacheOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Originality, diversity, difficulty and test quality of a batch of tasks, with
    fidelity and the yield per stage and per repair round."""
    from ..records import GenerationFailure
    from ..reports.tasks import load_records
    from ..seeds.loader import iter_seeds

    settings = settings_from(cache=cache, seeds=seeds)
    loaded = read_tasks(tasks)
    failed = load_records(failures, GenerationFailure) if failures else []
    seeds_file = settings.layout.seeds_file
    seed_list = list(iter_seeds(seeds_file, skip_bad=True)) if seeds_file.is_file() else []
    emb = make_embedder(embedder, settings.layout.embeddings_dir)
    report = report_tasks(
        loaded, failed, seed_list, emb, html=html_out, source=str(tasks), on_progress=Reporter()
    )
    emb.cache.save()  # seed statements embedded once, reused by the next report
    if as_json:
        emit_json(report)
    else:
        _print(report)


def _print(report: TaskQuality) -> None:
    def spread(name: str, median: float | None, count: int) -> str:
        return f"{name:<22}{'-' if median is None else f'{median:.3f}'} (median of {count})"

    lines = [
        f"tasks                 {report.tasks}, {report.verified} verified",
        spread("originality", report.originality.median, report.originality.count),
        f"diversity             {report.diversity.mean_distance} mean cosine distance, "
        f"Vendi {report.diversity.vendi}",
        spread(
            "solver pass rate",
            report.difficulty.pass_rate.median,
            report.difficulty.pass_rate.count,
        ),
        f"learnable share       {report.difficulty.learnable_share}",
        spread(
            "mutation score", report.tests.mutation_score.median, report.tests.mutation_score.count
        ),
        spread("fidelity", report.fidelity.median, report.fidelity.count),
        "funnel                " + " -> ".join(f"{n} {c}" for n, c in report.funnel.items()),
        "by repair round       "
        + ", ".join(f"{n} {c}" for n, c in report.verified_by_round.items()),
    ]
    err.print("\n".join(lines), markup=False, highlight=False)
