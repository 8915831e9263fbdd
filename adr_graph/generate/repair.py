"""Repair from sandbox evidence: up to ``rounds`` repair calls per failed task.

After :func:`~adr_graph.generate.verify.verify_task` fails a task, the first failed step
that carries evidence is sent to the model (:mod:`.prompts_repair`), the part it blames
is replaced by the reply, and the task is verified again. Each round is recorded on the
task (:class:`~adr_graph.records.RepairRound`); replies are cached by the chat layer, so a
rerun after a kill repeats no paid call. A malformed reply or an LLM fault ends the
repairs of that task as a recorded round, never a crash; a reply that repeats the code
unchanged is recorded too, and the next round tells the model so. A reply that makes the
task fail at an earlier step (inputs that no longer run, say) is undone: the round is
recorded with that error, the task goes on from its last version, and the next round is
told what happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import EmptyReplyError, LlmCallError, TaskReplyError
from ..records import Atom, RepairRound, Task, Verdict
from .parse import parse_inputs_reply, parse_second_reply, parse_task_reply
from .prompts import PROMPTS, STDIN_PROMPTS, TOOLS_PROMPTS
from .prompts_repair import (
    INPUTS_REPAIR_PROMPT_VERSION,
    REGRESSED,
    UNCHANGED,
    blame_of,
    build_inputs_repair_messages,
    build_repair_messages,
    fresh_inputs_first,
    repair_version,
)
from .prompts_stdin import STDIN

if TYPE_CHECKING:
    from ..chat import CachedChat
    from ..sandbox import Sandbox
    from .fidelity import FidelityCheck
    from .generator import TaskGenerator
    from .near_miss import NearMissWriter
    from .verify import VerifyOptions

__all__ = [
    "DEFAULT_REPAIR_ROUNDS",
    "NOTHING_CHANGED",
    "REGRESSED_ERROR",
    "TaskRepairer",
    "failed_step",
    "verify_with_repairs",
]

#: Default ``--repair-rounds``.
DEFAULT_REPAIR_ROUNDS = 2
#: The error of a round whose reply repeated the code (the next round says so).
NOTHING_CHANGED = "the reply changed nothing"
#: The error of a round whose reply made the task fail at an earlier step (undone).
REGRESSED_ERROR = "the reply made the task fail earlier; the previous version was kept"

#: Steps in the order a repair takes them: the task must run before its gates matter.
_ORDER = (
    "generate_inputs",
    "validate_inputs",
    "run_solutions",
    "agree",
    "tool_calls",
    "fidelity",
    "triviality",
)


def failed_step(task: Task) -> Verdict | None:
    """The failed step a repair should act on first (one with evidence), if any."""
    verdicts = task.verification.verdicts if task.verification else []
    failed = {v.step: v for v in verdicts if not v.ok and v.evidence}
    return next((failed[s] for s in _ORDER if s in failed), None)


@dataclass
class TaskRepairer:
    """Repairs with ``generator``'s chats: ``repair-v2`` for the fix and, when the task
    is rewritten, its inputs and second-solution prompts for the rest."""

    generator: TaskGenerator
    atoms: Mapping[str, Atom] = field(default_factory=dict)

    def chat(self, version: str) -> CachedChat:
        """The cached chat of one repair prompt version."""
        return self.generator.chat(version)

    def repair(
        self, task: Task, verdict: Verdict, number: int = 1
    ) -> tuple[Task | None, RepairRound]:
        """The repaired task (``None`` when the reply is unusable) and the record of round
        ``number``: fresh input code first when the inputs are in question
        (:func:`~.prompts_repair.fresh_inputs_first`), else ``repair-v2``."""
        if fresh_inputs_first(task, verdict, number):
            version, blame = INPUTS_REPAIR_PROMPT_VERSION, "inputs"
            messages = build_inputs_repair_messages(task, verdict)
        else:
            version, blame = repair_version(task), blame_of(verdict)
            messages = build_repair_messages(task, verdict, self.atoms)
        record = RepairRound(round=number, step=verdict.step, prompt_version=version)
        try:
            reply, _ = self.chat(version).reply(messages)
            update = self._update(task, reply, blame)
        except (TaskReplyError, LlmCallError, EmptyReplyError) as exc:
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
            return None, record.model_copy(update={"error": error})
        changed = sorted(k for k, v in update.items() if getattr(task, k) != v)
        if not changed:
            return None, record.model_copy(update={"error": NOTHING_CHANGED})
        return task.model_copy(update=update), record.model_copy(update={"changed": changed})

    def _update(self, task: Task, reply: str, blame: str) -> dict[str, Any]:
        if blame == "task":
            return self._rewrite(task, reply)
        if blame in ("inputs", "inputs-or-reference"):
            try:
                spec = parse_inputs_reply(reply)
            except TaskReplyError:
                if blame == "inputs":
                    raise
            else:
                validator = spec.input_validator or task.input_validator
                return {"input_generator": spec.input_generator, "input_validator": validator}
        entry = None if task.io_format == STDIN else task.entry_point
        return {"reference_solution": parse_second_reply(reply, entry, adopt=True).solution}

    def _rewrite(self, task: Task, reply: str) -> dict[str, Any]:
        """A new statement and reference, then new inputs and a new independent second
        solution for them."""
        stdin = task.io_format == STDIN
        versions = STDIN_PROMPTS if stdin else TOOLS_PROMPTS if task.tools else PROMPTS
        draft = parse_task_reply(reply, stdin=stdin)
        if task.tools:  # the declared tools stay; the statement lists them again
            from .generator import with_tools
            from .tools import ToolSpec

            tools = [ToolSpec.model_validate(t) for t in task.tools]
            draft = draft.model_copy(update={"statement": with_tools(draft.statement, tools)})
        inputs = self.generator.inputs_for(draft, versions)
        return {
            "title": draft.title,
            "statement": draft.statement,
            "entry_point": draft.entry_point,
            "signature": draft.signature,
            "reference_solution": draft.reference_solution,
            "input_generator": inputs.input_generator,
            "input_validator": inputs.input_validator,
            "second_solution": self.generator.second_for(draft, versions),
        }


def verify_with_repairs(
    task: Task,
    sandbox: Sandbox,
    opts: VerifyOptions,
    *,
    repairer: TaskRepairer | None = None,
    rounds: int = DEFAULT_REPAIR_ROUNDS,
    solver: Any = None,
    fidelity: FidelityCheck | None = None,
    near_miss: NearMissWriter | None = None,
) -> Task:
    """:func:`verify_task`, then up to ``rounds`` repair rounds while it fails."""
    from .verify import verify_task

    def verify(candidate: Task) -> Task:
        return verify_task(candidate, sandbox, opts, solver, fidelity, near_miss)

    done = verify(task)
    history: list[RepairRound] = []
    note = ""  # what the next round is told about the last one
    for number in range(1, rounds + 1):
        verdict = failed_step(done)
        if repairer is None or verdict is None or _verified(done):
            break
        if note:  # the last reply repeated the code or made things worse: say so
            verdict = verdict.model_copy(update={"evidence": f"{verdict.evidence}\n{note}"})
        fixed, record = repairer.repair(done, verdict, number)
        note = UNCHANGED if fixed is None and record.error == NOTHING_CHANGED else ""
        if fixed is None:
            history.append(record)
            if note:
                continue
            break
        candidate = verify(fixed)
        if _progress(candidate) < _progress(done):  # fails earlier: keep the last version
            worse = failed_step(candidate)
            detail = f"{worse.step}: {worse.detail}" if worse else "no evidence"
            note = REGRESSED.format(detail=detail[:300])
            history.append(record.model_copy(update={"error": f"{REGRESSED_ERROR} ({detail})"}))
            continue
        done = candidate
        history.append(record.model_copy(update={"verified": _verified(done)}))
    return done.model_copy(update={"repairs": history})


def _progress(task: Task) -> int:
    """How far ``task`` gets: the position in :data:`_ORDER` of the step a repair would
    act on, past the end when verified, -1 when a failure carries no evidence."""
    if _verified(task):
        return len(_ORDER)
    step = failed_step(task)
    return _ORDER.index(step.step) if step is not None and step.step in _ORDER else -1


def _verified(task: Task) -> bool:
    return task.verification is not None and task.verification.verified
