"""Reward throughput: ``adr_graph.reward.compute_score`` on a GRPO-sized batch.

64 completions (half right, half wrong) of one function task with 8 tests, scored through
``compute_score`` from a thread pool (as a batched reward manager would), against the
sandbox's bare throughput in the same run: the same 64 driver programs handed straight to
``LocalSandbox.run_many`` (no extraction, no comparison), both with ``--workers`` warm
zygotes. Prints one JSON line: completions/s of both, their ratio, and the scores' sum.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from adr_graph.generate.harness import call_program
from adr_graph.reward import compute_score, extract_code
from adr_graph.sandbox import Limits, LocalSandbox, RunRequest

__all__ = ["main"]

RIGHT = "def solve(values, k):\n    return sorted(values)[-k:] if k else []\n"
WRONG = "def solve(values, k):\n    return sorted(values)[:k]\n"


def _truth() -> dict[str, Any]:
    tests = []
    for i in range(8):
        values = [(i * 37 + j * 11) % 23 for j in range(20 + i)]
        k = i % 4 + 1
        tests.append({"input": [values, k], "output": sorted(values)[-k:]})
    return {"version": 2, "io": "function", "entry_point": "solve", "tests": tests}


def _best(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    truth = _truth()
    completions = [f"```python\n{RIGHT if i % 2 else WRONG}```" for i in range(args.completions)]
    scores: list[float] = []

    def rewarded() -> None:
        with ThreadPoolExecutor(max_workers=args.workers * 2) as pool:
            done = pool.map(
                lambda c: compute_score("adr-graph/algorithm", c, truth, workers=args.workers),
                completions,
            )
            scores[:] = [r["score"] for r in done]

    inputs = json.dumps([t["input"] for t in truth["tests"]])
    limits = Limits(cpu_seconds=10, wall_seconds=20)
    requests = [
        RunRequest(
            code=call_program(extract_code(c) or "", "solve"),
            files={"inputs.json": inputs},
            limits=limits,
        )
        for c in completions
    ]
    with LocalSandbox(workers=args.workers) as sandbox:
        sandbox.run_many(requests[:4], max_workers=args.workers)  # start the zygotes

        def bare() -> None:
            results = sandbox.run_many(requests, max_workers=args.workers)
            assert all(r.status == "ok" for r in results)

        compute_score("adr-graph/algorithm", completions[0], truth, workers=args.workers)
        reward_s = _best(rewarded, args.repeat)
        bare_s = _best(bare, args.repeat)
        mode = sandbox.mode
    record = {
        "benchmark": "reward_throughput",
        "unit": "completions/s",
        "completions": args.completions,
        "tests_per_completion": len(truth["tests"]),
        "workers": args.workers,
        "sandbox_mode": mode,
        "compute_score": round(args.completions / reward_s, 1),
        "bare_sandbox_run_many": round(args.completions / bare_s, 1),
        "ratio": round(bare_s / reward_s, 3),
        "score_sum": sum(scores),
    }
    print(json.dumps(record))
    return record


if __name__ == "__main__":
    main()
