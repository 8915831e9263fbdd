"""Verify a generated task by running its code in a sandbox, never in this process.

Steps (each recorded as a :class:`~adr_graph.records.Verdict`): generate inputs with the
task's generator, keep those its validator accepts, run the reference and the
independent second solution on them, and keep the task only when both agree on every
input the reference accepts (inputs on which the reference raises are dropped and
counted; at least ``min_inputs`` must remain). The agreed pairs become the tests. A
stdin/stdout task's inputs are standard-input strings and its outputs what it prints,
compared token by token. A tool-usage task's returned calls must also fit the tools it
declares (step ``tool_calls``).
Two gates follow (:mod:`.trivial`, :mod:`.fidelity`): the tests must reject every
trivial program and the reference must not be tiny (step ``triviality``), and the
extractors must find at least ``min_fidelity`` of the requested atoms in the task (step
``fidelity``, always measured and recorded on the task).
Test strength is the share of AST mutants of the reference the tests kill; difficulty
is ``1 - pass rate`` of ``k`` solver-model attempts (optional).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..chat import CachedChat
from ..errors import EmptyReplyError, LlmCallError, TaskReplyError
from ..records import FidelityRecord, Task, Verdict, VerificationRecord
from ..sandbox import Limits, RunRequest, RunResult, Sandbox
from .fidelity import MIN_FIDELITY, FidelityCheck
from .harness import (
    HarnessError,
    call_program,
    generator_program,
    outputs_equal,
    parse_marked,
    stdin_program,
    stdout_equal,
    validator_program,
)
from .mutate import ast_mutants
from .parse import parameter_names, parse_second_reply
from .prompts import build_solve_messages
from .prompts_stdin import STDIN
from .tools import ToolSpec, check_tool_calls
from .trivial import MIN_AST_NODES, reference_size, trivial_programs

__all__ = ["VerifyOptions", "as_arguments", "verify_task"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifyOptions:
    """How hard to check: inputs, mutants, solver attempts, the gates and sandbox limits."""

    n_inputs: int = 20
    min_inputs: int = 5
    seed: int = 0
    mutants: int = 12
    solver_attempts: int = 0
    workers: int = 2
    limits: Limits = field(default_factory=Limits)
    min_fidelity: float = MIN_FIDELITY
    min_reference_nodes: int = MIN_AST_NODES


def _detail(result: RunResult) -> str:
    tail = (result.stderr or "").strip().splitlines()[-3:]
    return f"{result.status} (exit {result.exit_code}): " + " | ".join(tail)[:300]


def _marked(
    sandbox: Sandbox, code: str, inputs: list[Any] | None, limits: Limits
) -> tuple[Any, str]:
    files = {"inputs.json": json.dumps(inputs)} if inputs is not None else {}
    result = sandbox.run(RunRequest(code=code, files=files, limits=limits))
    if result.status != "ok":
        return None, _detail(result)
    try:
        return parse_marked(result.stdout), ""
    except HarnessError as exc:
        return None, str(exc)


def _calls(
    sandbox: Sandbox, programs: Sequence[str], inputs: list[Any], limits: Limits, workers: int = 2
) -> list[list[dict[str, Any]] | None]:
    """Run several solutions on the same inputs in parallel; ``None`` for a failed run."""
    requests = [
        RunRequest(code=p, files={"inputs.json": json.dumps(inputs)}, limits=limits)
        for p in programs
    ]
    out: list[list[dict[str, Any]] | None] = []
    for result in sandbox.run_many(requests, max_workers=workers):
        try:
            out.append(parse_marked(result.stdout) if result.status == "ok" else None)
        except HarnessError:
            out.append(None)
    return out


def _program(task: Task, code: str) -> str:
    """``code`` wrapped in the driver that runs it on ``inputs.json`` (by task kind)."""
    if task.io_format == STDIN:
        return stdin_program(code)
    return call_program(code, task.entry_point or "solve")


def _same(task: Task) -> Callable[[Any, Any], bool]:
    return stdout_equal if task.io_format == STDIN else outputs_equal


def _fits(task: Task) -> tuple[Callable[[Any], Any], str]:
    """How to turn one generated input into a test input (``None`` if it does not fit
    the task), and what fitting means, for the verdict."""
    if task.io_format == STDIN:
        return (lambda value: value if isinstance(value, str) else None), "standard input strings"
    params = parameter_names(task.signature or "")
    wanted = f"the parameters ({', '.join(params) or 'unknown'})"
    return (lambda value: as_arguments(value, params)), wanted


def as_arguments(value: Any, params: Sequence[str]) -> list[Any] | None:
    """One generated input as positional arguments, or ``None`` if it does not fit.

    A dict keyed by exactly the parameter names is ordered by them; a list with one
    item per parameter is taken as is; for a one-parameter function any other value is
    the argument itself.

    >>> as_arguments({"b": 2, "a": 1}, ["a", "b"]), as_arguments([1, 2], ["a", "b"])
    ([1, 2], [1, 2])
    >>> as_arguments([3, 4, 5], ["xs"]), as_arguments({"a": 1}, ["a", "b"])
    ([[3, 4, 5]], None)
    """
    if isinstance(value, dict) and params and set(value) == set(params):
        return [value[p] for p in params]
    if isinstance(value, list) and (not params or len(value) == len(params)):
        return value
    if len(params) == 1:
        return [value]
    return None


def _inputs(
    task: Task, sandbox: Sandbox, opts: VerifyOptions, verdicts: list[Verdict]
) -> list[Any]:
    """Generated inputs that the validator accepts, as positional argument lists."""
    code = generator_program(task.input_generator or "", n=opts.n_inputs, seed=opts.seed)
    raw, why = _marked(sandbox, code, None, opts.limits)
    if not isinstance(raw, list):
        verdicts.append(Verdict(step="generate_inputs", ok=False, detail=why or "not a list"))
        return []
    fit, wanted = _fits(task)
    unique = list({json.dumps(x, sort_keys=True): x for x in raw}.values())
    shaped = [x for x in unique if fit(x) is not None]
    verdicts.append(
        Verdict(
            step="generate_inputs",
            ok=len(shaped) >= opts.min_inputs,
            detail=f"{len(unique)} distinct inputs of {len(raw)}, {len(shaped)} fit {wanted}",
        )
    )
    if len(shaped) < opts.min_inputs:
        return []
    valid = shaped
    if task.input_validator:
        flags, why = _marked(sandbox, validator_program(task.input_validator), shaped, opts.limits)
        if not isinstance(flags, list) or len(flags) != len(shaped):
            verdicts.append(Verdict(step="validate_inputs", ok=False, detail=why or "bad result"))
            return []
        valid = [x for x, ok in zip(shaped, flags, strict=True) if ok is True]
        verdicts.append(
            Verdict(
                step="validate_inputs",
                ok=len(valid) >= opts.min_inputs,
                detail=f"{len(valid)} of {len(shaped)} inputs valid",
            )
        )
    return [args for x in valid if (args := fit(x)) is not None]


def _agree(
    reference: list[dict[str, Any]] | None,
    second: list[dict[str, Any]] | None,
    min_inputs: int,
    verdicts: list[Verdict],
    same: Callable[[Any, Any], bool] = outputs_equal,
) -> list[int]:
    """Indices of the inputs where the reference ran; empty unless both agree on all."""
    if reference is None or second is None:
        which = "reference" if reference is None else "second solution"
        verdicts.append(Verdict(step="run_solutions", ok=False, detail=f"{which} run failed"))
        return []
    ran = [i for i, r in enumerate(reference) if r.get("ok")]
    raised = Counter(str(r.get("error")) for r in reference if not r.get("ok"))
    kinds = ", ".join(f"{name} x{count}" for name, count in raised.most_common(3))
    verdicts.append(
        Verdict(
            step="run_solutions",
            ok=len(ran) >= min_inputs,
            detail=f"reference raised on {len(reference) - len(ran)} of {len(reference)} inputs"
            + (f" ({kinds}; those inputs dropped)" if raised else ""),
        )
    )
    if len(ran) < min_inputs:
        return []
    agrees = [
        bool(second[i].get("ok")) and same(reference[i]["value"], second[i]["value"]) for i in ran
    ]
    verdicts.append(
        Verdict(
            step="agree",
            ok=all(agrees),
            detail=f"solutions agree on {sum(agrees)} of {len(agrees)} inputs",
        )
    )
    return ran if all(agrees) else []


def _calls_fit_tools(task: Task, outputs: list[Any], verdicts: list[Verdict]) -> bool:
    """Whether every call list the reference returned fits the task's declared tools."""
    tools = [ToolSpec.model_validate(t) for t in task.tools or []]
    reasons = [r for value in outputs if (r := check_tool_calls(value, tools))]
    detail = f"{len(outputs) - len(reasons)} of {len(outputs)} call lists fit the tools"
    verdicts.append(
        Verdict(
            step="tool_calls",
            ok=not reasons,
            detail=detail + (f" (first misfit: {reasons[0]})" if reasons else ""),
        )
    )
    return not reasons


def _passes(
    results: list[dict[str, Any]] | None,
    tests: list[dict[str, Any]],
    same: Callable[[Any, Any], bool],
) -> bool:
    if results is None or len(results) != len(tests):
        return False
    return all(
        r.get("ok") and same(t["output"], r["value"]) for r, t in zip(results, tests, strict=True)
    )


def _not_trivial(
    task: Task,
    sandbox: Sandbox,
    tests: list[dict[str, Any]],
    opts: VerifyOptions,
    verdicts: list[Verdict],
) -> bool:
    """Whether the reference is big enough and the tests reject every trivial program."""
    size = reference_size(task.reference_solution)
    if size < opts.min_reference_nodes:
        detail = f"the reference has {size} AST nodes, fewer than {opts.min_reference_nodes}"
        verdicts.append(Verdict(step="triviality", ok=False, detail=detail))
        return False
    programs = trivial_programs(tests, task.entry_point or "solve", stdin=task.io_format == STDIN)
    inputs = [t["input"] for t in tests]
    codes = [_program(task, code) for _, code in programs]
    runs = _calls(sandbox, codes, inputs, opts.limits, opts.workers)
    passed = [
        name for (name, _), r in zip(programs, runs, strict=True) if _passes(r, tests, _same(task))
    ]
    detail = (
        f"the tests are passed by a trivial program: {', '.join(passed)}"
        if passed
        else f"{len(programs)} trivial programs fail the tests; the reference has {size} AST nodes"
    )
    verdicts.append(Verdict(step="triviality", ok=not passed, detail=detail))
    return not passed


@lru_cache(maxsize=1)
def _static_check() -> FidelityCheck:
    return FidelityCheck.static()


def _fidelity_verdict(record: FidelityRecord, opts: VerifyOptions) -> Verdict:
    found = len(record.found)
    total = found + len(record.missing) + len(record.unknown)
    parts = [f"fidelity {record.score:.2f} ({found} of {total} atoms found)"]
    if record.missing:
        parts.append("missing: " + ", ".join(a.split("/", 1)[-1] for a in record.missing))
    if record.unknown:
        parts.append("unknown: " + ", ".join(a.split("/", 1)[-1] for a in record.unknown))
    ok = record.score >= opts.min_fidelity
    if not ok:
        parts.append(f"below --min-fidelity {opts.min_fidelity:g}")
    return Verdict(step="fidelity", ok=ok, detail="; ".join(parts))


def _mutation_score(
    task: Task, sandbox: Sandbox, tests: list[dict[str, Any]], opts: VerifyOptions
) -> float | None:
    mutants = ast_mutants(task.reference_solution, limit=opts.mutants, seed=opts.seed)
    if not mutants:
        return None
    inputs = [t["input"] for t in tests]
    runs = _calls(sandbox, [_program(task, m) for m in mutants], inputs, opts.limits)
    killed = sum(not _passes(r, tests, _same(task)) for r in runs)
    return round(killed / len(mutants), 4)


def _difficulty(
    task: Task,
    sandbox: Sandbox,
    solver: CachedChat,
    tests: list[dict[str, Any]],
    opts: VerifyOptions,
) -> float | None:
    programs = []
    signature = None if task.io_format == STDIN else task.signature or ""
    for attempt in range(opts.solver_attempts):
        messages = build_solve_messages(task.statement, signature, attempt)
        try:
            code = parse_second_reply(solver.reply(messages)[0], task.entry_point).solution
        except (TaskReplyError, LlmCallError, EmptyReplyError):
            code = "raise SystemExit('no solution')"
        programs.append(_program(task, code))
    if not programs:
        return None
    runs = _calls(sandbox, programs, [t["input"] for t in tests], opts.limits, opts.workers)
    return round(1.0 - sum(_passes(r, tests, _same(task)) for r in runs) / len(runs), 4)


def _agreed_tests(
    task: Task, sandbox: Sandbox, opts: VerifyOptions, verdicts: list[Verdict]
) -> list[dict[str, Any]]:
    """The input/output pairs both solutions agree on (and whose calls fit the declared
    tools); empty when the task fails a step before that."""
    inputs = _inputs(task, sandbox, opts, verdicts)
    runnable = task.io_format == STDIN or bool(task.entry_point)
    if len(inputs) < opts.min_inputs or not task.second_solution or not runnable:
        return []
    reference, second = _calls(
        sandbox,
        [_program(task, task.reference_solution), _program(task, task.second_solution)],
        inputs,
        opts.limits,
    )
    kept = _agree(reference, second, opts.min_inputs, verdicts, _same(task))
    if not kept or reference is None:
        return []
    outputs = [reference[i]["value"] for i in kept]
    if task.tools and not _calls_fit_tools(task, outputs, verdicts):
        return []
    return [{"input": inputs[i], "output": out} for i, out in zip(kept, outputs, strict=True)]


def verify_task(
    task: Task,
    sandbox: Sandbox,
    opts: VerifyOptions | None = None,
    solver: CachedChat | None = None,
    fidelity: FidelityCheck | None = None,
) -> Task:
    """A copy of ``task`` with verdicts, fidelity, tests (the agreed input/output pairs,
    kept even when a gate then rejects the task), mutation score and difficulty (both
    only when verified). ``fidelity``: the check to measure it with (the static
    extractor by default)."""
    opts = opts or VerifyOptions()
    faithful = (fidelity or _static_check()).measure(task)
    verdicts = [_fidelity_verdict(faithful, opts)]
    tests = _agreed_tests(task, sandbox, opts, verdicts)
    verified = bool(tests) and _not_trivial(task, sandbox, tests, opts, verdicts)
    verified = verified and verdicts[0].ok
    mutation = _mutation_score(task, sandbox, tests, opts) if verified else None
    difficulty = None
    if verified and solver is not None and opts.solver_attempts > 0:
        difficulty = _difficulty(task, sandbox, solver, tests, opts)
    record = VerificationRecord(
        verified=verified, verdicts=verdicts, mutation_score=mutation, fidelity=faithful
    )
    update = {"tests": tests, "verification": record, "difficulty": difficulty}
    return task.model_copy(update={**update, "fidelity": faithful.score})
