"""``adr-graph run``: the whole pipeline on one opened store, ending with a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InputError
from ..generate.fidelity import MIN_FIDELITY
from ..schema import load_schemas
from ..screen import evaluation_seeds
from ..settings import DEFAULT_OUT, Settings
from ..stages import (
    RunReport,
    ScreenOptions,
    TaskTools,
    fetch_seeds,
    load_seed_file,
    run_pipeline,
)
from .common import (
    ApiKeyOpt,
    BaseUrlOpt,
    CacheOpt,
    ConcurrencyOpt,
    JsonOpt,
    MinFidelityOpt,
    ModelOpt,
    Reporter,
    StoreOpt,
    emit_json,
    err,
    make_embedder,
    open_cli_store,
    settings_from,
    solver_chat,
)
from .graph import (
    CorpusOpt,
    EmbedderOpt,
    ExtractorOpt,
    check_extractor,
    corpus_names,
    llm_extractor,
    print_stats,
)
from .tasks import llm_checks

__all__ = ["run_cmd"]


def run_cmd(
    store: StoreOpt = None,
    cache: CacheOpt = None,
    corpus: CorpusOpt = "all",
    extractor: ExtractorOpt = None,
    embedder: EmbedderOpt = "minilm",
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    llm_concurrency: ConcurrencyOpt = None,
    sets: Annotated[
        int, typer.Option("--sets", min=1, help="Atom sets to sample, split over the domains.")
    ] = 30,
    tasks: Annotated[
        int, typer.Option("--tasks", min=0, help="Sets to turn into tasks (with an LLM).")
    ] = 6,
    no_tasks: Annotated[
        bool, typer.Option("--no-tasks", help="Stop after sampling, even with an endpoint.")
    ] = False,
    solver_attempts: Annotated[
        int, typer.Option("--solver-attempts", min=0, help="Solver attempts per task.")
    ] = 2,
    min_fidelity: MinFidelityOpt = MIN_FIDELITY,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir", help="Where sets, reports, tasks and exports go.", show_default=False
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The whole pipeline: fetch -> ingest -> canonicalise -> sample -> coverage report,
    then, with an LLM endpoint (--llm-base-url / OPENAI_BASE_URL): generate -> verify ->
    export. Atoms come from the static extractor, or the LLM one when an endpoint is
    configured, unless --extractor static is given.
    """
    settings = settings_from(
        store=store, cache=cache, llm_base_url=llm_base_url, llm_api_key=llm_api_key,
        model=model, llm_concurrency=llm_concurrency,
    )  # fmt: skip
    out = out_dir or DEFAULT_OUT
    reporter = Reporter()
    layout = settings.layout
    schemas = load_schemas(settings.schema_dir)
    fetched = fetch_seeds(corpus_names(corpus), layout.downloads, layout.seeds_file, reporter)
    seeds, _ = load_seed_file(fetched.seeds_file, schemas, on_progress=reporter)
    endpoint = settings.llm_base_url is not None
    kind = check_extractor(extractor or ("llm" if endpoint else "static"))
    if kind == "hybrid":
        raise InputError(
            "run takes --extractor static or llm; build a hybrid graph with "
            "`adr-graph ingest --extractor hybrid`",
            field="--extractor",
        )
    use_llm = kind == "llm"
    wants_tasks = endpoint and tasks and not no_tasks
    tools = _task_tools(settings, solver_attempts, min_fidelity, use_llm) if wants_tasks else None
    emb = make_embedder(embedder, layout.embeddings_dir)
    if tools is not None:  # exports are screened against the evaluation-only seeds
        tools.screen = ScreenOptions(emb, eval_seeds=evaluation_seeds(seeds))
    with open_cli_store(settings, create=True) as opened:
        report = run_pipeline(
            opened, seeds, schemas, out, embedder=emb,
            llm=llm_extractor(settings) if use_llm else None,
            llm_failures_file=layout.llm_dir / "failures.jsonl", seeds_file=fetched.seeds_file,
            n_sets=sets, n_tasks=tasks, tools=tools, model_cache=layout.learned_dir,
            on_progress=reporter,
        )  # fmt: skip
    print_stats(report.stats)
    _summary(report, endpoint)
    if as_json:
        doc = report.model_dump(mode="json")
        doc["corpora"] = fetched.counts
        emit_json(doc)


def _task_tools(
    settings: Settings, solver_attempts: int, min_fidelity: float, use_llm: bool
) -> TaskTools:
    """Generator, sandbox, verify options, solver, fidelity check (the static extractor,
    plus the LLM one when atoms come from it), repairer and near-miss writer."""
    from ..generate.verify import VerifyOptions
    from ..sandbox import LocalSandbox

    solver = solver_chat(settings.llm(), settings.layout.llm_dir) if solver_attempts else None
    fidelity, repairer, near_miss = llm_checks(settings, use_llm, endpoint=True)
    return TaskTools(
        generator=repairer.generator,
        sandbox=LocalSandbox(),
        verify=VerifyOptions(solver_attempts=solver_attempts, min_fidelity=min_fidelity),
        solver=solver,
        fidelity=fidelity,
        repairer=repairer,
        near_miss=near_miss,
    )


def _summary(report: RunReport, endpoint: bool) -> None:
    by_domain = ", ".join(f"{d} {n}" for d, n in sorted(report.sets_by_domain.items()))
    lines = [f"sets      {report.sets_count} ({by_domain}) -> {report.sets}"]
    lines += [f"          {d}: {why}" for d, why in sorted(report.sets_shortfall.items())]
    if report.coverage_html:
        lines.append(f"coverage  {report.coverage_html}")
    if report.tasks is not None:
        t = report.tasks
        lines.append(
            f"tasks     {t.generate.new + t.generate.skipped} written, {t.generate.failed} "
            f"failed -> {t.tasks}"
        )
        failed_at = ", ".join(f"{k} {n}" for k, n in sorted(t.verify.failed_steps.items()))
        lines.append(
            f"verified  {t.verify.verified} of {t.verify.verified + t.verify.failed}"
            + (f" (failed at: {failed_at})" if failed_at else "")
        )
        lines.append(f"exported  {t.exported} -> {t.train_jsonl}, {t.train_parquet}")
    elif not endpoint:
        lines.append(
            "tasks     none: no LLM endpoint (set --llm-base-url / OPENAI_BASE_URL, or "
            "`make demo` starts a local one)"
        )
    err.print("[bold]adr-graph run[/]\n" + "\n".join("  " + line for line in lines))
