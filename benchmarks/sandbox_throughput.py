"""Sandbox throughput: ``LocalSandbox.run_many`` in each mode vs bare ``subprocess.run``.

Two programs: ``print(1)`` and a typical solution (read 10k ints from stdin, sort,
print the sum). For each, executions/s through ``LocalSandbox.run_many`` (2 workers) with
the warm zygote (bubblewrap), the cold bubblewrap path and the ``unshare`` fallback, and
bare ``subprocess.run([sys.executable, file])`` sequentially and on a 2-thread pool, all
in the same run, plus each mode's ratios to the bare figures. Modes this host cannot give
are left out. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from adr_graph.sandbox import LocalSandbox, RunRequest

__all__ = ["PROGRAMS", "main", "measure"]

PROGRAMS: dict[str, str] = {
    "trivial": "print(1)",
    "sort_10k": ("import sys\nnums = sorted(map(int, sys.stdin.read().split()))\nprint(sum(nums))"),
}


def _stdin_for(name: str) -> str:
    if name == "trivial":
        return ""
    rng = random.Random(0)
    return " ".join(str(rng.randint(-(10**9), 10**9)) for _ in range(10_000))


def measure(fn: Callable[[], int], repeat: int) -> float:
    """Executions per second of ``fn`` (which returns how many programs it ran)."""
    best = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        count = fn()
        best = max(best, count / (time.perf_counter() - started))
    return round(best, 2)


def _bare(path: Path, stdin: str) -> None:
    done = subprocess.run(
        [sys.executable, str(path)], input=stdin.encode(), capture_output=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.decode())


def _sandboxes() -> dict[str, LocalSandbox]:
    """The modes this host gives: ``zygote`` and ``cold`` need bubblewrap."""
    boxes = {"zygote": LocalSandbox(workers=2), "cold": LocalSandbox(zygote=False)}
    boxes["unshare"] = LocalSandbox(bwrap=False)
    if boxes["zygote"].mode != "zygote":
        boxes.pop("zygote").close()
    if boxes["cold"].isolation != "bwrap":
        boxes.pop("cold")
    return boxes


def _bench_program(
    sandboxes: dict[str, LocalSandbox], code: str, stdin: str, n: int, repeat: int
) -> dict[str, Any]:
    reqs = [RunRequest(code=code, stdin=stdin)] * n
    rates: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "main.py"
        path.write_text(code)

        def sandboxed(box: LocalSandbox) -> Callable[[], int]:
            def run() -> int:
                results = box.run_many(reqs, max_workers=2)
                if any(r.status != "ok" for r in results):
                    raise RuntimeError(results[0].stderr)
                return n

            return run

        def bare_seq() -> int:
            for _ in range(n):
                _bare(path, stdin)
            return n

        def bare_pool() -> int:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(lambda _: _bare(path, stdin), range(n)))
            return n

        for mode, box in sandboxes.items():
            box.run_many(reqs[:4], max_workers=2)  # start the zygotes outside the clock
            rates[mode] = measure(sandboxed(box), repeat)
        rates["bare_sequential"] = measure(bare_seq, repeat)
        rates["bare_pool_2"] = measure(bare_pool, repeat)
    for mode in sandboxes:
        rates[f"{mode}_vs_bare_sequential"] = round(rates[mode] / rates["bare_sequential"], 3)
        rates[f"{mode}_vs_bare_pool_2"] = round(rates[mode] / rates["bare_pool_2"], 3)
    return rates


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print one JSON line; returns the same record."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=40, help="programs per measurement")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many")
    args = parser.parse_args(argv)
    sandboxes = _sandboxes()
    record: dict[str, Any] = {
        "benchmark": "sandbox_throughput",
        "unit": "executions/s",
        "n": args.n,
        "modes": {mode: box.isolation for mode, box in sandboxes.items()},
        "cgroup_isolation": next(iter(sandboxes.values())).cgroup_isolation,
    }
    for name, code in PROGRAMS.items():
        record[name] = _bench_program(sandboxes, code, _stdin_for(name), args.n, args.repeat)
    for box in sandboxes.values():
        box.close()
    print(json.dumps(record))
    return record


if __name__ == "__main__":
    main()
