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
from dataclasses import dataclass, field, replace
from typing import Any

from ..chat import CachedChat
from ..errors import EmptyReplyError, LlmCallError, TaskReplyError
from ..records import Task, Verdict, VerificationRecord
from ..sandbox import Limits, Sandbox
from .evidence import disagreement, raised, rejected
from .fidelity import MIN_FIDELITY, FidelityCheck
from .gates import fidelity_verdict, static_check, triviality_verdict
from .harness import generator_program
from .mutate import ast_mutants
from .near_miss import NearMissWriter, near_miss_tests
from .parse import parameter_names, parse_second_reply
from .prompts import build_solve_messages
from .prompts_stdin import STDIN
from .running import (
    Results,
    accepted,
    comparator,
    marked_run,
    passes,
    run_solutions,
    solution_program,
)
from .tools import ToolSpec, check_tool_calls
from .trivial import MIN_AST_NODES

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
    near_misses: int = 4


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


#: Probe inputs per test input that near misses also run on (from another generator seed).
PROBE_FACTOR = 5


def _probe_inputs(task: Task, sandbox: Sandbox, opts: VerifyOptions) -> list[Any]:
    """Fresh valid inputs from the task's generator, with another seed."""
    more = replace(opts, n_inputs=opts.n_inputs * PROBE_FACTOR, seed=opts.seed + 1)
    return _inputs(task, sandbox, more, [])


def _inputs(
    task: Task, sandbox: Sandbox, opts: VerifyOptions, verdicts: list[Verdict]
) -> list[Any]:
    """Generated inputs that the validator accepts, as positional argument lists."""
    code = generator_program(task.input_generator or "", n=opts.n_inputs, seed=opts.seed)
    raw, why = marked_run(sandbox, code, None, opts.limits)
    if not isinstance(raw, list):
        detail = why or "not a list"
        evidence = f"Running generate(rng) {opts.n_inputs} times failed: {detail}"
        verdicts.append(Verdict(step="generate_inputs", ok=False, detail=detail, evidence=evidence))
        return []
    fit, wanted = _fits(task)
    # distinct inputs in a canonical order (their JSON text): a generator that iterates a
    # set yields them in another order in every process, and the evidence a repair is
    # shown, hence its cache key, must not depend on that
    by_text = {json.dumps(x, sort_keys=True): x for x in raw}
    unique = [by_text[text] for text in sorted(by_text)]
    shaped = [x for x in unique if fit(x) is not None]
    ok = len(shaped) >= opts.min_inputs
    misfits = [x for x in unique if fit(x) is None]
    verdicts.append(
        Verdict(
            step="generate_inputs",
            ok=ok,
            detail=f"{len(unique)} distinct inputs of {len(raw)}, {len(shaped)} fit {wanted}",
            evidence="" if ok else rejected(misfits or unique, f"Inputs must fit {wanted}"),
        )
    )
    if not ok:
        return []
    valid = shaped
    if task.input_validator:
        flags, why = accepted(task, sandbox, shaped, opts.limits)
        if flags is None:
            evidence = f"Running validate(inputs) failed: {why}"
            verdicts.append(
                Verdict(step="validate_inputs", ok=False, detail=why, evidence=evidence)
            )
            return []
        valid = [x for x, ok in zip(shaped, flags, strict=True) if ok]
        refused = [x for x, ok in zip(shaped, flags, strict=True) if not ok]
        ok = len(valid) >= opts.min_inputs
        verdicts.append(
            Verdict(
                step="validate_inputs",
                ok=ok,
                detail=f"{len(valid)} of {len(shaped)} inputs valid",
                evidence="" if ok else rejected(refused, "validate(inputs) rejected inputs"),
            )
        )
    return [args for x in valid if (args := fit(x)) is not None]


def _agree(
    task: Task,
    inputs: list[Any],
    runs: tuple[Results | None, Results | None],
    min_inputs: int,
    verdicts: list[Verdict],
) -> list[int]:
    """Indices of the inputs where the reference ran; empty unless both agree on all."""
    reference, second = runs
    if reference is None or second is None:
        which = "reference" if reference is None else "second solution"
        detail = f"{which} run failed"
        evidence = f"The {which} crashed or timed out on the whole input set."
        verdicts.append(Verdict(step="run_solutions", ok=False, detail=detail, evidence=evidence))
        return []
    ran = [i for i, r in enumerate(reference) if r.get("ok")]
    errors = Counter(str(r.get("error")) for r in reference if not r.get("ok"))
    kinds = ", ".join(f"{name} x{count}" for name, count in errors.most_common(3))
    first_raise = next((i for i, r in enumerate(reference) if not r.get("ok")), None)
    ok = len(ran) >= min_inputs
    verdicts.append(
        Verdict(
            step="run_solutions",
            ok=ok,
            detail=f"reference raised on {len(reference) - len(ran)} of {len(reference)} inputs"
            + (f" ({kinds}; those inputs dropped)" if errors else ""),
            evidence=""
            if ok or first_raise is None
            else raised(task.reference_solution, inputs[first_raise], reference[first_raise])
            + "\n"
            + rejected([inputs[first_raise]], "The input as the reference received it"),
        )
    )
    if not ok:
        return []
    same = comparator(task)
    agrees = [
        bool(second[i].get("ok")) and same(reference[i]["value"], second[i]["value"]) for i in ran
    ]
    differ = next((i for i, a in zip(ran, agrees, strict=True) if not a), None)
    verdicts.append(
        Verdict(
            step="agree",
            ok=all(agrees),
            detail=f"solutions agree on {sum(agrees)} of {len(agrees)} inputs",
            evidence=""
            if differ is None
            else disagreement(inputs[differ], reference[differ], second[differ]),
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


def _mutation_score(
    task: Task, sandbox: Sandbox, tests: list[dict[str, Any]], opts: VerifyOptions
) -> float | None:
    mutants = ast_mutants(task.reference_solution, limit=opts.mutants, seed=opts.seed)
    if not mutants:
        return None
    inputs = [t["input"] for t in tests]
    runs = run_solutions(sandbox, [solution_program(task, m) for m in mutants], inputs, opts.limits)
    killed = sum(not passes(r, tests, task) for r in runs)
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
        programs.append(solution_program(task, code))
    if not programs:
        return None
    runs = run_solutions(sandbox, programs, [t["input"] for t in tests], opts.limits, opts.workers)
    return round(1.0 - sum(passes(r, tests, task) for r in runs) / len(runs), 4)


def _agreed_tests(
    task: Task, sandbox: Sandbox, opts: VerifyOptions, verdicts: list[Verdict]
) -> list[dict[str, Any]]:
    """The input/output pairs both solutions agree on (and whose calls fit the declared
    tools); empty when the task fails a step before that."""
    inputs = _inputs(task, sandbox, opts, verdicts)
    runnable = task.io_format == STDIN or bool(task.entry_point)
    if len(inputs) < opts.min_inputs or not task.second_solution or not runnable:
        return []
    reference, second = run_solutions(
        sandbox,
        [
            solution_program(task, task.reference_solution),
            solution_program(task, task.second_solution),
        ],
        inputs,
        opts.limits,
    )
    kept = _agree(task, inputs, (reference, second), opts.min_inputs, verdicts)
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
    near_miss: NearMissWriter | None = None,
) -> Task:
    """A copy of ``task`` with verdicts, fidelity, tests (the agreed input/output pairs,
    kept even when a gate then rejects the task), mutation score and difficulty (both
    only when verified). ``fidelity``: the check to measure it with (the static
    extractor by default); ``near_miss``: the writer of near misses (none: not measured)."""
    opts = opts or VerifyOptions()
    faithful = (fidelity or static_check()).measure(task)
    verdicts = [fidelity_verdict(faithful, opts.min_fidelity)]
    tests = _agreed_tests(task, sandbox, opts, verdicts)
    if tests:
        verdicts.append(
            triviality_verdict(
                task, sandbox, tests, opts.min_reference_nodes, opts.limits, opts.workers
            )
        )
    verified = bool(tests) and all(v.ok for v in verdicts)
    misses = None
    if verified and near_miss is not None and opts.near_misses > 0:
        misses = near_miss_tests(
            task, sandbox, tests, near_miss, k=opts.near_misses, fit=_fits(task)[0],
            limits=opts.limits, probe=lambda: _probe_inputs(task, sandbox, opts),
        )  # fmt: skip
        tests = tests + misses.added
    mutation = _mutation_score(task, sandbox, tests, opts) if verified else None
    difficulty = None
    if verified and solver is not None and opts.solver_attempts > 0:
        difficulty = _difficulty(task, sandbox, solver, tests, opts)
    record = VerificationRecord(
        verified=verified, verdicts=verdicts, mutation_score=mutation, fidelity=faithful
    )
    if misses is not None:
        record = record.model_copy(
            update={
                "near_miss_kill_rate_before": misses.kill_rate_before,
                "near_miss_kill_rate": misses.kill_rate,
                "near_misses": misses.tried,
                "separating_tests": len(misses.added),
                "near_misses_equivalent": misses.equivalent,
            }
        )
    update = {"tests": tests, "verification": record, "difficulty": difficulty}
    return task.model_copy(update={**update, "fidelity": faithful.score})
