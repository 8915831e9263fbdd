"""Task quality on a local model: `novelty` against `random` sampling, same model and count.

Needs the real store (``make demo``) and an OpenAI-compatible endpoint serving the model
(``MODEL="$(scripts/llm-server.sh fetch-coder)" N_THREADS=2 PORT=8799 scripts/llm-server.sh
start``). For each strategy it samples ``--sets`` atom sets (same ``--seed``), generates a
task for each, verifies them in the sandbox with up to ``--repair-rounds`` repair calls, and
measures:

- the funnel (sets, tasks written, verified) and the verified count after 0, 1, 2 rounds;
- the faithful-and-verified yield (verified now means: solutions agree, no trivial program
  passes, fidelity >= 0.6);
- under ``quality``, what ``adr-graph report`` gives (:func:`task_quality`, MiniLM):
  originality, diversity (mean distance, Vendi), fidelity, difficulty from
  ``--solver-attempts``, mutation score and near-miss kill rate (``--near-misses``
  plausible-but-wrong solutions per verified task);
- LLM tokens per verified task (this strategy's calls; cached replies cost none).

Raw outputs (tasks, verified tasks, failures) go to ``--out`` per strategy. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from adr_graph.chat import make_client
from adr_graph.generate.generator import TaskGenerator
from adr_graph.generate.near_miss import NearMissWriter
from adr_graph.generate.repair import TaskRepairer
from adr_graph.generate.verify import VerifyOptions
from adr_graph.records import GenerationFailure
from adr_graph.reports.quality import task_quality
from adr_graph.reports.tasks import load_records
from adr_graph.sample import model_from_store
from adr_graph.sandbox import LocalSandbox
from adr_graph.schema import load_schemas
from adr_graph.seeds.loader import iter_seeds
from adr_graph.stages import generate_tasks, read_tasks, sample_batch, verify_tasks
from adr_graph.store import EmbeddedStore

__all__ = ["main"]


def _tokens(ctx: dict[str, Any]) -> int:
    """Tokens the generator's chats and the solver have used so far."""
    solver = ctx["solver"]
    return int(ctx["generator"].tokens + solver.prompt_tokens + solver.completion_tokens)


def _strategy(args: argparse.Namespace, strategy: str, ctx: dict[str, Any]) -> dict[str, Any]:
    out = args.out / strategy
    out.mkdir(parents=True, exist_ok=True)
    report = sample_batch(
        ctx["model"], ctx["schemas"], args.sets, strategy=strategy, seed=args.seed
    )
    generator: TaskGenerator = ctx["generator"]
    before = _tokens(ctx)  # this strategy's calls only
    start = time.perf_counter()
    written = generate_tasks(
        report.sets, ctx["store"], generator, out / "tasks.jsonl", seeds_file=args.seeds
    )
    opts = VerifyOptions(solver_attempts=args.solver_attempts, near_misses=args.near_misses)
    near_miss = NearMissWriter.on(generator)
    checked = verify_tasks(
        read_tasks(out / "tasks.jsonl"), out / "verified.jsonl", LocalSandbox(), opts,
        solver=ctx["solver"], store=None, repairer=TaskRepairer(generator),
        repair_rounds=args.repair_rounds, near_miss=near_miss,
    )  # fmt: skip
    tasks = read_tasks(out / "verified.jsonl")
    failures = load_records(out / "tasks.jsonl.failures.jsonl", GenerationFailure)
    tokens = _tokens(ctx) - before
    return {
        "sets": len(report.sets),
        "tasks_written": written.new + written.skipped,
        "generation_failures": written.failed,
        "verified": checked.verified,
        "verified_by_round": checked.verified_by_round,
        "faithful_verified_yield": round(checked.verified / max(len(report.sets), 1), 4),
        "failed_steps": checked.failed_steps,
        "repair_calls": checked.repair_calls,
        "tokens_per_verified": round(tokens / checked.verified) if checked.verified else None,
        "seconds": round(time.perf_counter() - start, 1),
        "quality": task_quality(tasks, failures, ctx["seeds"], ctx["embedder"]).model_dump(),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path(".adr-graph/store"))
    parser.add_argument("--seeds", type=Path, default=Path(".adr-graph/cache/seeds/seeds.jsonl"))
    parser.add_argument("--base-url", default="http://127.0.0.1:8799/v1")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct-q4_k_m")
    parser.add_argument("--sets", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repair-rounds", type=int, default=2)
    parser.add_argument("--solver-attempts", type=int, default=2)
    parser.add_argument("--near-misses", type=int, default=4)
    parser.add_argument("--strategies", default="novelty,random")
    parser.add_argument("--out", type=Path, default=Path(".adr-graph/out/task_quality"))
    parser.add_argument("--cache", type=Path, default=Path(".adr-graph/cache"))
    args = parser.parse_args(argv)

    from adr_graph.chat import LlmOptions
    from adr_graph.cli.common import make_embedder, solver_chat

    client = make_client(args.base_url, timeout=600)
    llm_dir = args.cache / "llm"
    store = EmbeddedStore(args.store)
    embedder = make_embedder("minilm", args.cache / "embeddings")
    ctx: dict[str, Any] = {
        "store": store,
        "schemas": load_schemas(),
        "model": model_from_store(store, cache_dir=args.cache / "learned"),
        "generator": TaskGenerator(client, args.model, cache_dir=llm_dir, max_concurrency=1),
        "solver": solver_chat(
            LlmOptions(base_url=args.base_url, api_key="sk-local", model=args.model, timeout=600),
            llm_dir,
        ),
        "seeds": list(iter_seeds(args.seeds, skip_bad=True)),
        "embedder": embedder,
    }
    report: dict[str, Any] = {"benchmark": "task_quality", "model": args.model, "sets": args.sets}
    for strategy in args.strategies.split(","):
        report[strategy] = _strategy(args, strategy, ctx)
    report["targets"] = {
        "faithful_verified_yield": 0.25,
        "novelty_at_least_random": ["quality.originality.median", "faithful_verified_yield"],
        "quality.tests.mutation_score.median": 0.9,
        "quality.tests.near_miss_kill_rate.median": 0.8,
    }
    embedder.cache.save()  # the seed statements, embedded once
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
