"""A reward function for RL trainers: run a completion on a task's tests in the sandbox.

:func:`compute_score` has verl's custom-reward signature. Point verl at it with::

    reward:
      custom_reward_function:
        path: pkg://adr_graph.reward
        name: compute_score
        reward_kwargs: {timeout_seconds: 10, workers: 4}   # optional

and train on ``adr-graph export --format verl`` rows. verl's reward managers call it as
``compute_score(data_source=..., solution_str=..., ground_truth=..., extra_info=...)``
with the ``reward_kwargs`` merged in (``verl/workers/reward_manager/naive.py``, and
``_call_with_kwargs`` in ``verl/trainer/ppo/reward.py``, verl 0.9.1).

The completion's code (the last fenced block, else the whole text when it parses) runs in
the adr_graph sandbox, never in this process: a :class:`~adr_graph.sandbox.LocalSandbox`
(warm zygotes, at most ``workers`` runs at once) or, with ``sandbox_url``, a SandboxFusion
server. Only the tests' inputs enter the sandbox; the expected outputs stay here, so a
program that prints a forged result learns nothing. The score is the share of tests
passed; timeouts, crashes, hostile or non-code completions score 0 with the reason in the
returned dict, never an exception. Only a ground truth this version cannot read raises
(:class:`~adr_graph.errors.InputError`, naming its version).

>>> truth = {"version": 2, "io": "function", "entry_point": "add",
...          "tests": [{"input": [1, 2], "output": 3}, {"input": [2, 2], "output": 4}]}
>>> compute_score("adr-graph/algorithm", "```python\\ndef add(a, b):\\n    return a + b\\n```",
...               truth)["score"]
1.0
>>> compute_score("adr-graph/algorithm", "I cannot do that.", truth)["reason"]
'no code in the completion'
"""

from __future__ import annotations

import ast
import json
import re
import threading
from typing import Any

from .errors import InputError
from .export import GROUND_TRUTH_VERSION
from .generate.harness import (
    HarnessError,
    call_program,
    outputs_equal,
    parse_marked,
    stdin_program,
    stdout_equal,
)
from .generate.tools import ToolSpec, check_tool_calls
from .sandbox import Limits, LocalSandbox, RemoteSandbox, RunRequest, Sandbox

__all__ = ["GROUND_TRUTH_VERSION", "compute_score", "extract_code", "load_ground_truth"]

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_SANDBOXES: dict[tuple[str, int], Sandbox] = {}
_LOCK = threading.Lock()


def extract_code(completion: str) -> str | None:
    """The code of a completion: its last fenced block, else all of it when it parses.

    >>> extract_code("Here:\\n```python\\nx = 1\\n```\\ndone")
    'x = 1\\n'
    >>> extract_code("x = 1") , extract_code("just words, no code")
    ('x = 1', None)
    """
    text = _THINK.sub("", completion or "")
    blocks = [b for b in _FENCE.findall(text) if b.strip()]
    if blocks:
        return str(blocks[-1])
    stripped = text.strip()
    if not stripped:
        return None
    try:
        tree = ast.parse(stripped)
    except (SyntaxError, ValueError):
        return None
    statements = [s for s in tree.body if not isinstance(s, ast.Expr)]
    return stripped if statements else None  # a bare sentence parses as one expression


def load_ground_truth(ground_truth: str | dict[str, Any]) -> dict[str, Any]:
    """The ground truth of an exported row, checked for its version and layout."""
    truth = json.loads(ground_truth) if isinstance(ground_truth, str) else dict(ground_truth)
    version = truth.get("version", 1)
    if version != GROUND_TRUTH_VERSION:
        raise InputError(
            f"ground truth version {version}: this adr_graph reads version "
            f"{GROUND_TRUTH_VERSION}; export the tasks again with `adr-graph export`",
            field="ground_truth",
        )
    if truth.get("io") not in ("function", "stdin") or not isinstance(truth.get("tests"), list):
        raise InputError("ground truth without io or tests", field="ground_truth")
    return truth


def _sandbox(url: str | None, workers: int) -> Sandbox:
    key = (url or "local", workers)
    with _LOCK:
        if key not in _SANDBOXES:
            _SANDBOXES[key] = RemoteSandbox(url) if url else LocalSandbox(workers=workers)
        return _SANDBOXES[key]


def _result(score: float, passed: int, total: int, status: str, reason: str) -> dict[str, Any]:
    """The returned dict: always the same keys (verl collects each into a list)."""
    return {"score": score, "passed": passed, "total": total, "status": status, "reason": reason}


def _verdicts(truth: dict[str, Any], values: list[Any]) -> tuple[list[bool], str]:
    """Which tests the run's per-test results pass, and why the first failing one fails."""
    same = stdout_equal if truth["io"] == "stdin" else outputs_equal
    tools = [ToolSpec.model_validate(t) for t in truth.get("tools") or []]
    verdicts: list[bool] = []
    why = ""
    for test, got in zip(truth["tests"], values, strict=False):
        ran = isinstance(got, dict) and bool(got.get("ok"))
        ok = ran and same(test["output"], got["value"])
        problem = None if ok or ran else f"{got.get('error')}: {got.get('message')}"
        if ok and tools and (problem := check_tool_calls(got["value"], tools)):
            ok = False
        if not ok and not why:
            why = f"test {len(verdicts) + 1}: {problem or 'wrong output'}"
        verdicts.append(ok)
    return verdicts, why


def compute_score(
    data_source: str,
    solution_str: str,
    ground_truth: str | dict[str, Any],
    extra_info: dict[str, Any] | None = None,
    *,
    timeout_seconds: float = 10.0,
    memory_mb: int = 1024,
    workers: int = 2,
    sandbox_url: str | None = None,
    **_: Any,
) -> dict[str, Any]:
    """Score ``solution_str`` on the tests of ``ground_truth``: the share passed, with
    ``passed``, ``total``, the sandbox ``status`` and a ``reason`` (empty when all pass)."""
    truth = load_ground_truth(ground_truth)
    total = len(truth["tests"])
    code = extract_code(solution_str)
    if code is None:
        return _result(0.0, 0, total, "no_code", "no code in the completion")
    try:
        if truth["io"] == "stdin":
            program = stdin_program(code)
        else:
            program = call_program(code, truth.get("entry_point") or "solve")
        inputs = json.dumps([t["input"] for t in truth["tests"]])
        limits = Limits(
            cpu_seconds=timeout_seconds, wall_seconds=timeout_seconds * 2, memory_mb=memory_mb
        )
        run = _sandbox(sandbox_url, workers).run(
            RunRequest(code=program, files={"inputs.json": inputs}, limits=limits)
        )
        if run.status != "ok":
            tail = (run.stderr or "").strip().splitlines()[-1:] or [""]
            why = f"the program ended {run.status}: {tail[0]}"[:300]
            return _result(0.0, 0, total, run.status, why)
        verdicts, why = _verdicts(truth, parse_marked(run.stdout))
    except (HarnessError, ValueError, TypeError, KeyError, OSError) as exc:
        return _result(0.0, 0, total, "error", f"{type(exc).__name__}: {exc}"[:300])
    passed = sum(verdicts)
    reason = "" if passed == total else f"{total - passed} of {total} tests failed; {why}"[:300]
    return _result(passed / total if total else 0.0, passed, total, "ok", reason)
