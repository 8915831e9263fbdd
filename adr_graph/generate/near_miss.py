"""Near-miss tests: plausible-but-wrong solutions the tests must kill (ADR's adversarial
refinement, re-checked).

For a verified task, the model writes ``k`` solutions that look right but are subtly wrong
(``near-miss-v1``, one call each). They run on the tests in the sandbox; the share the
tests kill is the *kill rate before*. For the survivors, one ``separate-v1`` call asks for
inputs that tell them from the task (a ``cases()`` function, run in the sandbox). Those
inputs are checked like generated ones (they must fit the parameters and pass the
validator), and kept only where the reference and the independent second solution agree;
they become extra tests, and the survivors run again: the *kill rate* after.

Small models often write a "near miss" that is in fact correct (the 1.5B model's four
for the hand-written union-find task all were). So the survivors also run on ``probe``
inputs, fresh ones from the task's own generator: an input on which a survivor differs from
the reference (while the reference and the second solution agree) becomes a test too. A
survivor that no test, separating input or probe input tells from the reference is counted
in ``equivalent`` ("not shown wrong"). It stays in the kill rates' denominator: the probes
come from the same generator, so a near miss wrong only outside its range (a longer list
than it makes) would otherwise pass for a correct one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import EmptyReplyError, LlmCallError, TaskReplyError
from ..records import Task
from .harness import cases_program
from .parse import code_blocks, parse_second_reply
from .prompts_stdin import STDIN
from .running import accepted, comparator, marked_run, passes, run_solutions, solution_program

if TYPE_CHECKING:
    from ..chat import CachedChat
    from ..sandbox import Limits, Sandbox
    from .generator import TaskGenerator

__all__ = [
    "NEAR_MISS_PROMPT_VERSION",
    "SEPARATE_PROMPT_VERSION",
    "NearMissResult",
    "NearMissWriter",
    "near_miss_tests",
]

NEAR_MISS_PROMPT_VERSION = "near-miss-v1"
SEPARATE_PROMPT_VERSION = "separate-v1"
_FAULTS = (TaskReplyError, LlmCallError, EmptyReplyError)


def _task_text(task: Task) -> str:
    signature = "" if task.io_format == STDIN else f"\n\nSignature: {task.signature}"
    return f"Task:\n{task.statement}{signature}"


@dataclass
class NearMissWriter:
    """The two chats: one writes near misses, the other inputs that separate them."""

    near_miss_chat: CachedChat
    separate_chat: CachedChat

    @classmethod
    def on(cls, generator: TaskGenerator) -> NearMissWriter:
        """The writer on ``generator``'s endpoint and reply cache."""
        return cls(
            generator.chat(NEAR_MISS_PROMPT_VERSION), generator.chat(SEPARATE_PROMPT_VERSION)
        )

    def near_misses(self, task: Task, k: int) -> list[str]:
        """Up to ``k`` plausible-but-wrong solutions (replies that do not parse are left out)."""
        system = (
            "You write a Python solution that looks correct but is subtly wrong: it passes "
            "simple cases and fails some edge case (an off-by-one, a missed empty or negative "
            "input, a wrong tie-break, an overflowed bound). Reply with ONE fenced Python block "
            "defining the same function; no comments that point at the mistake."
        )
        out = []
        entry = None if task.io_format == STDIN else task.entry_point
        for variant in range(k):
            user = f"{_task_text(task)}\n\n(variant {variant + 1})"
            messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
            try:
                reply, _ = self.near_miss_chat.reply(messages)
                out.append(parse_second_reply(reply, entry).solution)
            except _FAULTS:
                continue
        return out

    def separating_cases(self, task: Task, survivors: list[str]) -> str | None:
        """Code defining ``cases()``, inputs meant to tell ``survivors`` from the task's
        reference (``None`` on a bad reply)."""
        shown = "\n\n".join(f"```python\n{code.strip()}\n```" for code in survivors[:3])
        system = (
            "You write test inputs that expose wrong solutions. Reply with ONE fenced Python "
            "block defining cases(), which returns a list of inputs (each a dict keyed by "
            "parameter name, as the function receives them; for a program, the standard input "
            "text) on which the correct solution and the wrong ones below give different "
            "answers. Keep inputs small and legal for the statement."
        )
        user = (
            f"{_task_text(task)}\n\nCorrect solution:\n```python\n"
            f"{task.reference_solution.strip()}\n```\n\nWrong solutions that pass the current "
            f"tests:\n{shown}"
        )
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            reply, _ = self.separate_chat.reply(messages)
        except _FAULTS:
            return None
        code = "\n\n".join(code_blocks(reply))
        return code if "def cases" in code else None


@dataclass(frozen=True)
class NearMissResult:
    """Near misses that ran, the kill rates before and after, the tests added, and how
    many survivors nothing told from the reference."""

    tried: int
    kill_rate_before: float | None
    kill_rate: float | None
    added: list[dict[str, Any]]
    equivalent: int = 0


def _agreed_cases(
    task: Task,
    sandbox: Sandbox,
    cases: list[Any],
    fit: Callable[[Any], Any],
    limits: Limits,
) -> list[dict[str, Any]]:
    """Tests from ``cases``: fitting, valid inputs on which reference and second agree
    (none when the validator cannot be run, as for generated inputs)."""
    fitting = [c for c in cases if fit(c) is not None]
    flags, _ = accepted(task, sandbox, fitting, limits) if fitting else ([], "")
    shaped = [fit(c) for c, ok in zip(fitting, flags or [False] * len(fitting), strict=True) if ok]
    if not shaped or not task.second_solution:
        return []
    ref, second = run_solutions(
        sandbox,
        [solution_program(task, c) for c in (task.reference_solution, task.second_solution)],
        shaped,
        limits,
    )
    if ref is None or second is None:
        return []
    same = comparator(task)
    return [
        {"input": args, "output": r["value"]}
        for args, r, s in zip(shaped, ref, second, strict=True)
        if r.get("ok") and s.get("ok") and same(r["value"], s["value"])
    ]


def _unseen(inputs: list[Any], tests: list[dict[str, Any]]) -> list[Any]:
    """``inputs`` that are not already the input of one of ``tests``."""
    seen = {json.dumps(t["input"], sort_keys=True) for t in tests}
    return [x for x in inputs if json.dumps(x, sort_keys=True) not in seen]


def _differing_cases(
    task: Task, sandbox: Sandbox, survivors: list[str], probe: list[Any], limits: Limits
) -> tuple[list[dict[str, Any]], list[bool]]:
    """Tests from ``probe`` inputs on which some survivor differs from the reference (the
    reference and the second solution agreeing there), and which survivors differ at all."""
    if not probe or not survivors or not task.second_solution:
        return [], [False] * len(survivors)
    codes = [task.reference_solution, task.second_solution, *survivors]
    ref, second, *runs = run_solutions(
        sandbox, [solution_program(task, c) for c in codes], probe, limits
    )
    if ref is None or second is None:
        return [], [False] * len(survivors)
    same = comparator(task)
    trusted = [
        i for i, (r, s) in enumerate(zip(ref, second, strict=True))
        if r.get("ok") and s.get("ok") and same(r["value"], s["value"])
    ]  # fmt: skip

    def differs(run: Any, i: int) -> bool:
        return run is None or not run[i].get("ok") or not same(ref[i]["value"], run[i]["value"])

    hits = [[i for i in trusted if differs(run, i)] for run in runs]
    cases = sorted({i for found in hits for i in found[:5]})
    added = [{"input": probe[i], "output": ref[i]["value"]} for i in cases]
    return added, [bool(found) for found in hits]


def near_miss_tests(
    task: Task,
    sandbox: Sandbox,
    tests: list[dict[str, Any]],
    writer: NearMissWriter,
    *,
    k: int,
    fit: Callable[[Any], Any],
    limits: Limits,
    probe: Callable[[], list[Any]] | None = None,
) -> NearMissResult:
    """Run ``k`` near misses on ``tests``; add inputs that separate the survivors (from
    the model, and from the inputs ``probe`` makes, asked for only when some survive)."""
    wrong = writer.near_misses(task, k)
    if not wrong or not tests:
        return NearMissResult(len(wrong), None, None, [])
    inputs = [t["input"] for t in tests]
    runs = run_solutions(sandbox, [solution_program(task, c) for c in wrong], inputs, limits)
    survivors = [c for c, r in zip(wrong, runs, strict=True) if passes(r, tests, task)]
    added: list[dict[str, Any]] = []
    code = writer.separating_cases(task, survivors) if survivors else None
    if code is not None:
        cases, _ = marked_run(sandbox, cases_program(code), None, limits)
        if isinstance(cases, list):
            added = _agreed_cases(task, sandbox, _unseen(cases, tests)[:20], fit, limits)
    probes = _unseen(probe(), tests) if probe is not None and survivors else []
    probed, shown = _differing_cases(task, sandbox, survivors, probes, limits)
    added += probed
    still = survivors
    if added:
        everything = tests + added
        programs = [solution_program(task, c) for c in survivors]
        again = run_solutions(sandbox, programs, [t["input"] for t in everything], limits)
        passing = [passes(r, everything, task) for r in again]
        still = [c for c, ok in zip(survivors, passing, strict=True) if ok]
    # a survivor nothing tells from the reference may be equivalent: counted, not excluded
    equivalent = sum(
        1 for c, wrong_somewhere in zip(survivors, shown, strict=True)
        if c in still and not wrong_somewhere
    )  # fmt: skip
    before = round(1 - len(survivors) / len(wrong), 4)
    after = round(1 - len(still) / len(wrong), 4)
    return NearMissResult(len(wrong), before, after, added, equivalent)
