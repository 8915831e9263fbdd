"""``adr-graph generate`` and ``adr-graph verify``: atom sets -> tasks -> verified tasks.

Both are resumable: their ``--out`` JSONL is a checkpoint, so a rerun continues where
the last one stopped (Ctrl-C or a crash loses at most the task in flight).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import InputError
from ..generate.fidelity import MIN_FIDELITY
from ..generate.repair import DEFAULT_REPAIR_ROUNDS
from ..generate.trivial import MIN_AST_NODES
from ..settings import Settings
from ..stages import generate_tasks, read_tasks, verify_tasks
from .common import (
    ApiKeyOpt,
    BaseUrlOpt,
    CacheOpt,
    ConcurrencyOpt,
    JsonOpt,
    MinFidelityOpt,
    MinNodesOpt,
    ModelOpt,
    Reporter,
    StoreOpt,
    emit_json,
    err,
    open_cli_store,
    settings_from,
    solver_chat,
)
from .graph import llm_extractor
from .sample import read_sets

__all__ = ["generate_cmd", "task_generator", "verify_cmd"]

SeedsOpt = Annotated[
    Path | None,
    typer.Option(
        "--seeds",
        help="Seeds JSONL whose statements are shown as examples. Env: ADR_GRAPH_SEEDS. "
        "Default: <cache>/seeds/seeds.jsonl (where `seeds fetch` writes).",
        show_default=False,
    ),
]


def task_generator(settings: Settings) -> Any:
    """The task generator on the configured endpoint, with its reply cache."""
    from ..chat import llm_client
    from ..generate.generator import TaskGenerator

    opts = settings.llm()
    client, model = llm_client(opts)
    return TaskGenerator(
        client,
        model,
        cache_dir=settings.layout.llm_dir,
        max_concurrency=opts.concurrency,
        json_mode=opts.json_mode,
    )


def generate_cmd(
    sets: Annotated[Path, typer.Argument(help="Atom sets JSONL (from `sample`).")],
    out: Annotated[Path, typer.Option("--out", help="Tasks JSONL (a resumable checkpoint).")],
    store: StoreOpt = None,
    cache: CacheOpt = None,
    seeds: SeedsOpt = None,
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    llm_concurrency: ConcurrencyOpt = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Retry sets recorded as failures.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a task (statement, reference, generator, validator, second solution) per set."""
    batch = read_sets(sets)
    if not batch:
        raise InputError("no atom sets in the file", path=str(sets))
    settings = settings_from(
        store=store, cache=cache, seeds=seeds, llm_base_url=llm_base_url,
        llm_api_key=llm_api_key, model=model, llm_concurrency=llm_concurrency,
    )  # fmt: skip
    generator = task_generator(settings)
    with open_cli_store(settings) as opened:
        report = generate_tasks(
            batch, opened, generator, out, seeds_file=settings.layout.seeds_file,
            retry_failed=retry_failed, on_progress=Reporter(),
        )  # fmt: skip
    if as_json:
        emit_json(report)


def llm_checks(settings: Settings, read_with_llm: bool, endpoint: bool) -> tuple[Any, Any, Any]:
    """The fidelity check (the static extractor, plus the LLM one with ``read_with_llm``)
    and, with an ``endpoint``, a repairer and a near-miss writer on the task generator's
    endpoint (else ``None``)."""
    from ..generate.fidelity import FidelityCheck
    from ..generate.near_miss import (
        NearMissWriter,
    )
    from ..generate.repair import TaskRepairer

    fidelity = FidelityCheck.static()
    if read_with_llm:
        reader = llm_extractor(settings)
        fidelity.extractors = [*fidelity.extractors, (reader.name, reader.extract)]
    if not endpoint:
        return fidelity, None, None
    generator = task_generator(settings)
    return fidelity, TaskRepairer(generator), NearMissWriter.on(generator)


RepairOpt = Annotated[
    int,
    typer.Option(
        "--repair-rounds",
        min=0,
        help="Repair calls per failed task, each sent the failed step's evidence "
        "(needs an endpoint).",
    ),
]


def verify_cmd(
    tasks: Annotated[Path, typer.Argument(help="Tasks JSONL (from `generate`).")],
    out: Annotated[Path, typer.Option("--out", help="Verified tasks JSONL (resumable).")],
    store: StoreOpt = None,
    inputs: Annotated[int, typer.Option("--inputs", min=1, help="Inputs to generate.")] = 20,
    mutants: Annotated[int, typer.Option("--mutants", min=0, help="AST mutants to run.")] = 12,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Sandbox runs at once (one warm zygote each).")
    ] = 2,
    no_feedback: Annotated[
        bool, typer.Option("--no-feedback", help="Do not write outcomes to the store.")
    ] = False,
    solver_attempts: Annotated[
        int,
        typer.Option(
            "--solver-attempts",
            min=0,
            help="Solver-model attempts per task for a difficulty estimate (needs an endpoint).",
        ),
    ] = 0,
    min_fidelity: MinFidelityOpt = MIN_FIDELITY,
    min_reference_nodes: MinNodesOpt = MIN_AST_NODES,
    repair_rounds: RepairOpt = DEFAULT_REPAIR_ROUNDS,
    near_misses: Annotated[
        int,
        typer.Option(
            "--near-misses",
            min=0,
            help="Plausible-but-wrong solutions per verified task the tests must kill; inputs "
            "that separate survivors become tests (needs an endpoint).",
        ),
    ] = 4,
    cache: CacheOpt = None,
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run every task's code in the sandbox; keep tasks whose two solutions agree, whose
    tests no trivial program passes, and that carry enough of their atoms (fidelity:
    the static extractor, plus the LLM one when an endpoint is configured). With an
    endpoint, a failed task gets up to --repair-rounds repair calls."""
    from ..generate.verify import VerifyOptions
    from ..sandbox import LocalSandbox

    todo = read_tasks(tasks)
    settings = settings_from(
        store=store, cache=cache, llm_base_url=llm_base_url, llm_api_key=llm_api_key, model=model
    )
    solver = solver_chat(settings.llm(), settings.layout.llm_dir) if solver_attempts else None
    opts = VerifyOptions(
        n_inputs=inputs, mutants=mutants, workers=workers, solver_attempts=solver_attempts,
        min_fidelity=min_fidelity, min_reference_nodes=min_reference_nodes,
        near_misses=near_misses,
    )  # fmt: skip
    endpoint = settings.llm_base_url is not None
    if (repair_rounds or near_misses) and not endpoint:
        err.print("no LLM endpoint (--llm-base-url / OPENAI_BASE_URL): no repairs, no near misses")
    fidelity, repairer, near_miss = llm_checks(settings, endpoint, endpoint)
    feedback = nullcontext(None) if no_feedback else open_cli_store(settings)
    with feedback as opened, LocalSandbox(workers=workers) as sandbox:
        report = verify_tasks(
            todo, out, sandbox, opts, solver=solver, store=opened, fidelity=fidelity,
            repairer=repairer, repair_rounds=repair_rounds, near_miss=near_miss,
            on_progress=Reporter(),
        )  # fmt: skip
    if as_json:
        emit_json(report)
