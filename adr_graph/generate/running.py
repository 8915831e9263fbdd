"""Running generated code of a task in the sandbox and reading back its results.

Shared by verification (:mod:`.verify`), its gates (:mod:`.gates`) and repair. Programs
are the generated code plus a driver (:mod:`.harness`); nothing runs in this process.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..records import Task
from ..sandbox import Limits, RunRequest, RunResult, Sandbox
from .harness import (
    HarnessError,
    call_program,
    outputs_equal,
    parse_marked,
    stdin_program,
    stdout_equal,
    validator_program,
)
from .prompts_stdin import STDIN

__all__ = [
    "accepted",
    "comparator",
    "marked_run",
    "passes",
    "run_detail",
    "run_solutions",
    "solution_program",
]

Results = list[dict[str, Any]]


def run_detail(result: RunResult) -> str:
    """A failed run in one line: status, exit code and the tail of stderr."""
    tail = (result.stderr or "").strip().splitlines()[-3:]
    return f"{result.status} (exit {result.exit_code}): " + " | ".join(tail)[:300]


def marked_run(
    sandbox: Sandbox, code: str, inputs: list[Any] | None, limits: Limits
) -> tuple[Any, str]:
    """The driver's result document of one run, or ``None`` and why."""
    files = {"inputs.json": json.dumps(inputs)} if inputs is not None else {}
    result = sandbox.run(RunRequest(code=code, files=files, limits=limits))
    if result.status != "ok":
        return None, run_detail(result)
    try:
        return parse_marked(result.stdout), ""
    except HarnessError as exc:
        return None, str(exc)


def accepted(
    task: Task, sandbox: Sandbox, values: list[Any], limits: Limits
) -> tuple[list[bool] | None, str]:
    """Whether the task's validator accepts each of ``values`` (all, without a validator);
    ``None`` and why when the validator run fails or answers out of shape."""
    if not task.input_validator:
        return [True] * len(values), ""
    flags, why = marked_run(sandbox, validator_program(task.input_validator), values, limits)
    if not isinstance(flags, list) or len(flags) != len(values):
        return None, why or "bad result"
    return [flag is True for flag in flags], ""


def run_solutions(
    sandbox: Sandbox, programs: Sequence[str], inputs: list[Any], limits: Limits, workers: int = 2
) -> list[Results | None]:
    """Run several solutions on the same inputs in parallel; ``None`` for a failed run."""
    requests = [
        RunRequest(code=p, files={"inputs.json": json.dumps(inputs)}, limits=limits)
        for p in programs
    ]
    out: list[Results | None] = []
    for result in sandbox.run_many(requests, max_workers=workers):
        try:
            out.append(parse_marked(result.stdout) if result.status == "ok" else None)
        except HarnessError:
            out.append(None)
    return out


def solution_program(task: Task, code: str) -> str:
    """``code`` wrapped in the driver that runs it on ``inputs.json`` (by task kind)."""
    if task.io_format == STDIN:
        return stdin_program(code)
    return call_program(code, task.entry_point or "solve")


def comparator(task: Task) -> Callable[[Any, Any], bool]:
    """How two outputs of ``task`` compare: printed text token by token, else values."""
    return stdout_equal if task.io_format == STDIN else outputs_equal


def passes(results: Results | None, tests: list[dict[str, Any]], task: Task) -> bool:
    """Whether a run's ``results`` match every expected output of ``tests``."""
    if results is None or len(results) != len(tests):
        return False
    same = comparator(task)
    return all(
        r.get("ok") and same(t["output"], r["value"]) for r, t in zip(results, tests, strict=True)
    )
