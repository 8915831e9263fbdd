"""Task quality on a local model: `novelty` against `random` sampling, same model and count.

Needs the real store (``make demo``) and an OpenAI-compatible endpoint serving the model
(``MODEL="$(scripts/llm-server.sh fetch-coder)" N_THREADS=2 PORT=8799 scripts/llm-server.sh
start``). For each strategy it samples ``--sets`` atom sets (same ``--seed``), generates a
task for each, verifies them in the sandbox with up to ``--repair-rounds`` repair calls, and
measures:

- the funnel (sets, tasks written, verified) and the verified count after 0, 1, 2 rounds;
- the faithful-and-verified yield (verified now means: solutions agree, no trivial program
  passes, fidelity >= 0.6), and the mean fidelity of all tasks;
- originality: 1 - the highest MiniLM cosine between a task's statement and a seed's;
- diversity: the mean pairwise cosine distance of the task statements;
- the median mutation score of verified tasks; difficulty from ``--solver-attempts``;
- the median near-miss kill rate of verified tasks, before and after the separating
  inputs (``--near-misses`` plausible-but-wrong solutions each);
- LLM tokens per verified task (calls this run made; cached replies cost none).

Raw outputs (tasks, verified tasks, failures) go to ``--out`` per strategy. Prints one
JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from adr_graph.chat import make_client
from adr_graph.embed import l2_normalise
from adr_graph.generate.generator import TaskGenerator
from adr_graph.generate.near_miss import (
    NEAR_MISS_PROMPT_VERSION,
    SEPARATE_PROMPT_VERSION,
    NearMissWriter,
)
from adr_graph.generate.repair import TaskRepairer
from adr_graph.generate.verify import VerifyOptions
from adr_graph.records import Task
from adr_graph.reports.tasks import originality
from adr_graph.sample import model_from_store
from adr_graph.sandbox import LocalSandbox
from adr_graph.schema import load_schemas
from adr_graph.seeds.loader import iter_seeds
from adr_graph.stages import generate_tasks, read_tasks, sample_batch, verify_tasks
from adr_graph.store import EmbeddedStore

__all__ = ["main"]


def _diversity(vectors: np.ndarray) -> float | None:
    if len(vectors) < 2:
        return None
    sims = vectors @ vectors.T
    upper = sims[np.triu_indices(len(vectors), 1)]
    return round(float(1.0 - upper.mean()), 4)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


def _measures(tasks: list[Task], seeds: list[Any], embedder: Any) -> dict[str, Any]:
    verified = [t for t in tasks if t.verification and t.verification.verified]
    near = originality(tasks, seeds, embedder) if tasks else []
    vectors = l2_normalise(embedder.encode([t.statement for t in tasks])) if tasks else None
    difficulty = [t.difficulty for t in verified if t.difficulty is not None]
    return {
        "mean_fidelity": _median([t.fidelity for t in tasks if t.fidelity is not None]),
        "originality_median": _median([1.0 - o.similarity for o in near]),
        "diversity": _diversity(vectors) if vectors is not None else None,
        "mutation_median_verified": _median(
            [
                t.verification.mutation_score
                for t in verified
                if t.verification and t.verification.mutation_score is not None
            ]
        ),
        "difficulty": difficulty,
        "learnable_share": round(sum(0 < d < 1 for d in difficulty) / len(difficulty), 4)
        if difficulty
        else None,
        "near_miss_kill_rate_before": _median(
            [
                r.near_miss_kill_rate_before
                for t in verified
                if (r := t.verification) and r.near_miss_kill_rate_before is not None
            ]
        ),
        "near_miss_kill_rate": _median(
            [
                r.near_miss_kill_rate
                for t in verified
                if (r := t.verification) and r.near_miss_kill_rate is not None
            ]
        ),
    }


def _strategy(args: argparse.Namespace, strategy: str, ctx: dict[str, Any]) -> dict[str, Any]:
    out = args.out / strategy
    out.mkdir(parents=True, exist_ok=True)
    report = sample_batch(
        ctx["model"], ctx["schemas"], args.sets, strategy=strategy, seed=args.seed
    )
    generator: TaskGenerator = ctx["generator"]
    before = generator.tokens
    start = time.perf_counter()
    written = generate_tasks(
        report.sets, ctx["store"], generator, out / "tasks.jsonl", seeds_file=args.seeds
    )
    opts = VerifyOptions(solver_attempts=args.solver_attempts, near_misses=args.near_misses)
    near_miss = NearMissWriter(
        generator.chat(NEAR_MISS_PROMPT_VERSION), generator.chat(SEPARATE_PROMPT_VERSION)
    )
    checked = verify_tasks(
        read_tasks(out / "tasks.jsonl"), out / "verified.jsonl", LocalSandbox(), opts,
        solver=ctx["solver"], store=None, repairer=TaskRepairer(generator),
        repair_rounds=args.repair_rounds, near_miss=near_miss,
    )  # fmt: skip
    tasks = read_tasks(out / "verified.jsonl")
    tokens = (
        generator.tokens - before + ctx["solver"].prompt_tokens + ctx["solver"].completion_tokens
    )
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
        **_measures(tasks, ctx["seeds"], ctx["embedder"]),
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
    ctx = {
        "store": store,
        "schemas": load_schemas(),
        "model": model_from_store(store, cache_dir=args.cache / "learned"),
        "generator": TaskGenerator(client, args.model, cache_dir=llm_dir, max_concurrency=1),
        "solver": solver_chat(
            LlmOptions(base_url=args.base_url, api_key="sk-local", model=args.model, timeout=600),
            llm_dir,
        ),
        "seeds": list(iter_seeds(args.seeds, skip_bad=True)),
        "embedder": make_embedder("minilm", args.cache / "embeddings"),
    }
    report: dict[str, Any] = {"benchmark": "task_quality", "model": args.model, "sets": args.sets}
    for strategy in args.strategies.split(","):
        report[strategy] = _strategy(args, strategy, ctx)
    report["targets"] = {
        "faithful_verified_yield": 0.25,
        "novelty_at_least_random": ["originality_median", "faithful_verified_yield"],
        "mutation_median_verified": 0.9,
        "near_miss_kill_rate": 0.8,
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
