"""``adr-graph generate`` and ``adr-graph verify``: atom sets -> tasks -> verified tasks.

Both are resumable: their ``--out`` JSONL is a checkpoint, so a rerun continues where
the last one stopped (Ctrl-C or a crash loses at most the task in flight).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

from ._io import atomic_write_text
from .chat import CachedChat
from .cli_common import (
    DEFAULT_CACHE,
    DEFAULT_STORE,
    ApiKeyOpt,
    BaseUrlOpt,
    CacheOpt,
    JsonOpt,
    ModelOpt,
    StoreOpt,
    app,
    emit_json,
    open_cli_store,
)
from .cli_sample import read_sets
from .cli_steps import LlmOptions, err, llm_client, progress
from .errors import InputError
from .generate.generator import GenerationFailure, JsonlCheckpoint, TaskGenerator
from .generate.prompts import SOLVE_PROMPT_VERSION
from .records import Atom, AtomSet, Task, TaskOutcome
from .seeds.loader import load_seeds
from .store.base import GraphStore

__all__ = ["examples_for", "generate_tasks", "solver_chat", "verify_tasks"]


def solver_chat(llm: LlmOptions, cache: Path) -> CachedChat:
    """The chat that samples solver attempts for difficulty estimates (``solve-v1``)."""
    client, name = llm_client(llm)
    return CachedChat(
        client,
        name,
        cache_dir=cache / "llm",
        prompt_version=SOLVE_PROMPT_VERSION,
        max_tokens=1024,
        temperature=0.8,
    )


def examples_for(
    store: GraphStore, atom_ids: set[str], seeds_file: Path | None
) -> dict[str, list[tuple[str, str]]]:
    """Up to three ``(seed_id, statement)`` examples per atom, from the seeds JSONL."""
    if seeds_file is None or not seeds_file.is_file():
        return {}
    wanted = {a: store.atom_seeds(a)[:3] for a in atom_ids}
    needed = {s for ids in wanted.values() for s in ids}
    statements = {
        s.id: s.statement for s in load_seeds(seeds_file, skip_bad=True).seeds if s.id in needed
    }
    return {a: [(s, statements[s]) for s in ids if s in statements] for a, ids in wanted.items()}


def generate_tasks(
    sets: list[AtomSet],
    store_uri: str,
    out: Path,
    cache: Path,
    llm: LlmOptions,
    retry_failed: bool = False,
) -> dict[str, Any]:
    """Generate a task for every set not yet in ``out`` (or its failures file)."""
    client, model = llm_client(llm)
    store = open_cli_store(store_uri)
    try:
        atom_ids = {a.id for s in sets for a in s.atoms}
        atoms: dict[str, Atom] = {a: atom for a in atom_ids if (atom := store.get_atom(a))}
        examples = examples_for(store, atom_ids, cache / "seeds" / "seeds.jsonl")
    finally:
        store.close()
    generator = TaskGenerator(
        client,
        model,
        cache_dir=cache / "llm",
        max_concurrency=llm.concurrency,
        json_mode=llm.json_mode,
    )
    tasks = JsonlCheckpoint(out, Task)
    failures = JsonlCheckpoint(out.with_name(out.name + ".failures.jsonl"), GenerationFailure)
    for checkpoint in (tasks, failures):  # both files exist after a run, even when empty
        if not checkpoint.path.exists():
            atomic_write_text(checkpoint.path, "")
    with progress() as bar:
        job = bar.add_task(f"generating tasks ({model})", total=len(sets))
        new, failed, skipped = generator.generate_many(
            sets,
            atoms,
            examples,
            tasks,
            failures,
            on_done=lambda _r: bar.advance(job),
            retry_failed=retry_failed,
        )
    err.print(
        f"generated {new} task(s), {failed} failed, {skipped} already done "
        f"({generator.http_calls} HTTP calls) -> {out}"
    )
    return {
        "out": str(out),
        "new": new,
        "failed": failed,
        "skipped": skipped,
        "failures_file": str(failures.path),
        "model": model,
    }


def verify_tasks(
    tasks_file: Path, out: Path, store_uri: str | None, opts: Any, solver: Any = None
) -> dict[str, Any]:
    """Verify every task of ``tasks_file`` not yet in ``out``; feed outcomes to the store."""
    from .generate.verify import verify_task
    from .sandbox import LocalSandbox

    todo = list(JsonlCheckpoint(tasks_file, Task).records.values())
    done = JsonlCheckpoint(out, Task)
    sandbox = LocalSandbox()
    verified = failed = 0
    with progress() as bar:
        job = bar.add_task("verifying in the sandbox", total=len(todo))
        for task in todo:
            if task.id not in done:
                result = verify_task(task, sandbox, opts, solver)
                done.append(result)
            bar.advance(job)
    outcomes = [
        TaskOutcome(
            task_id=t.id,
            domain=t.domain,
            atom_ids=t.provenance.atom_ids,
            verified=bool(t.verification and t.verification.verified),
        )
        for t in done.records.values()
    ]
    verified = sum(o.verified for o in outcomes)
    failed = len(outcomes) - verified
    if store_uri is not None and outcomes:
        store = open_cli_store(store_uri)
        try:
            store.record_outcomes(outcomes)
            store.commit()
        finally:
            store.close()
    reasons: dict[str, int] = defaultdict(int)
    for task in done.records.values():
        for verdict in task.verification.verdicts if task.verification else []:
            if not verdict.ok:
                reasons[verdict.step] += 1
    err.print(
        f"verified {verified} of {len(outcomes)} task(s) -> {out}; outcomes written to {store_uri}"
        if store_uri
        else ""
    )
    return {
        "out": str(out),
        "verified": verified,
        "failed": failed,
        "failed_steps": dict(reasons),
        "network_isolated": sandbox.network_isolation,
    }


@app.command("generate")
def generate_cmd(
    sets: Annotated[Path, typer.Argument(help="Atom sets JSONL (from `sample`).")],
    out: Annotated[Path, typer.Option("--out", help="Tasks JSONL (a resumable checkpoint).")],
    store: StoreOpt = DEFAULT_STORE,
    cache: CacheOpt = DEFAULT_CACHE,
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    llm_concurrency: Annotated[int, typer.Option("--llm-concurrency", min=1)] = 2,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Retry sets recorded as failures.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a task (statement, reference, generator, validator, second solution) per set."""
    batch = read_sets(sets)
    if not batch:
        raise InputError("no atom sets in the file", path=str(sets))
    llm = LlmOptions(llm_base_url, llm_api_key, model, llm_concurrency)
    report = generate_tasks(batch, store, out, cache, llm, retry_failed)
    if as_json:
        emit_json(report)


@app.command("verify")
def verify_cmd(
    tasks: Annotated[Path, typer.Argument(help="Tasks JSONL (from `generate`).")],
    out: Annotated[Path, typer.Option("--out", help="Verified tasks JSONL (resumable).")],
    store: StoreOpt = DEFAULT_STORE,
    inputs: Annotated[int, typer.Option("--inputs", min=1, help="Inputs to generate.")] = 20,
    mutants: Annotated[int, typer.Option("--mutants", min=0, help="AST mutants to run.")] = 12,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Sandbox runs at once.")] = 2,
    no_feedback: Annotated[
        bool, typer.Option("--no-feedback", help="Do not write outcomes to the store.")
    ] = False,
    solver_attempts: Annotated[
        int,
        typer.Option(
            "--solver-attempts",
            min=0,
            help="Solver-model attempts per task for a difficulty estimate (needs an "
            "LLM endpoint).",
        ),
    ] = 0,
    cache: CacheOpt = DEFAULT_CACHE,
    llm_base_url: BaseUrlOpt = None,
    llm_api_key: ApiKeyOpt = None,
    model: ModelOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run every task's code in the sandbox; keep tasks whose two solutions agree."""
    from .generate.verify import VerifyOptions

    if not tasks.is_file():
        raise InputError("no such tasks file", path=str(tasks))
    solver = None
    if solver_attempts:
        solver = solver_chat(LlmOptions(llm_base_url, llm_api_key, model), cache)
    opts = VerifyOptions(
        n_inputs=inputs, mutants=mutants, workers=workers, solver_attempts=solver_attempts
    )
    report = verify_tasks(tasks, out, None if no_feedback else store, opts, solver)
    if as_json:
        emit_json(report)
