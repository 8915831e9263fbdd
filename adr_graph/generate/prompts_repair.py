"""The ``repair-v2`` prompt: one call that fixes the part of a task a failed step blames.

The message holds the task (statement, signature, reference, input code), the failed
step with its detail, and the step's evidence (:mod:`.evidence`): the failing input,
the exception and the line it left, both outputs, or the missing elements. What the
reply must hold depends on what the step blames (:data:`BLAME`):

- ``inputs``: ``generate(rng)`` and ``validate(inputs)``;
- ``reference``: the reference solution;
- ``inputs-or-reference`` (the reference raised on almost every input): whichever is
  wrong, only what changes;
- ``task``: the whole task in the task layout (statement and solution), when the task
  does not use its elements or is too small to be a task.

>>> BLAME["run_solutions"], BLAME["fidelity"]
('inputs-or-reference', 'task')
"""

from __future__ import annotations

from collections.abc import Mapping

from ..records import Atom, Task, Verdict
from .evidence import INPUT_FORM
from .parse import parameter_names
from .prompts_stdin import STDIN, STDIN_TASK_LAYOUT

__all__ = [
    "BLAME",
    "INPUTS_REPAIR_PROMPT_VERSION",
    "REGRESSED",
    "REPAIR_PROMPT_VERSION",
    "REPAIR_STDIN_PROMPT_VERSION",
    "blame_of",
    "build_inputs_repair_messages",
    "build_repair_messages",
    "fresh_inputs_first",
    "repair_version",
]

REPAIR_PROMPT_VERSION = "repair-v2"
#: Stdin/stdout tasks: the rewrite asks for a program in the stdin task layout.
REPAIR_STDIN_PROMPT_VERSION = "repair-stdin-v1"
#: Fresh input code from the evidence, the failing code not shown (first round only).
INPUTS_REPAIR_PROMPT_VERSION = "repair-inputs-v1"

#: The part of the task each failed step puts in question.
BLAME = {
    "generate_inputs": "inputs",
    "validate_inputs": "inputs",
    "run_solutions": "inputs-or-reference",
    "agree": "reference",
    "tool_calls": "reference",
    "triviality": "inputs",
    "fidelity": "task",
}

_TASK_LAYOUT = """TITLE: <a short title>
STATEMENT:
<what the function receives and returns, with limits on sizes and values>
SOLUTION:
```python
<the complete solution>
```"""


def blame_of(verdict: Verdict) -> str:
    """What ``verdict``'s failure blames; a reference too small to be a task blames the
    task itself.

    >>> blame_of(Verdict(step="triviality", ok=False, detail="the reference has 12 AST nodes"))
    'task'
    """
    if verdict.step == "triviality" and "AST nodes" in verdict.detail:
        return "task"
    return BLAME.get(verdict.step, "reference")


def _wanted(blame: str, task: Task) -> str:
    solution = (
        "the corrected complete program (it reads standard input)"
        if task.io_format == STDIN
        else f"the corrected complete reference solution, defining {task.entry_point}()"
    )
    inputs = "the corrected generate(rng) and validate(inputs) functions"
    if blame == "inputs":
        return (
            f"ONE fenced Python block with {inputs}. Make generate(rng) return inputs of "
            "the form the solution expects, varied enough that different inputs give "
            "different answers."
        )
    if blame == "reference":
        return f"ONE fenced Python block with {solution}. Keep the function name."
    if blame == "inputs-or-reference":
        return (
            f"ONE fenced Python block with either {inputs}, if the inputs have the wrong "
            f"form or values, or {solution}, if the solution is wrong. Define only what "
            "you change; keep the function names."
        )
    if task.io_format == STDIN:
        return (
            "the task rewritten so that it truly needs every required element, in exactly "
            "this layout (the solution is a complete program that reads standard input):"
            "\n\n" + STDIN_TASK_LAYOUT
        )
    return (
        "the task rewritten so that it truly needs every required element, in exactly "
        "this layout (the solution defines one plain top-level function):\n\n" + _TASK_LAYOUT
    )


def repair_version(task: Task) -> str:
    """The repair prompt's version for ``task``: one per task layout.

    >>> repair_version(Task.model_construct(io_format=STDIN))
    'repair-stdin-v1'
    """
    return REPAIR_STDIN_PROMPT_VERSION if task.io_format == STDIN else REPAIR_PROMPT_VERSION


def _elements(task: Task, atoms: Mapping[str, Atom]) -> str:
    lines = []
    for ref in task.provenance.atom_ids:
        atom = atoms.get(ref)
        slot, name = ref.split("/")[-2:]
        text = f"- {slot}: {atom.name if atom else name.replace('-', ' ')}"
        lines.append(text + (f": {atom.description}" if atom and atom.description else ""))
    return "\n".join(lines)


#: Added to the evidence of a round after one whose reply repeated the code unchanged.
UNCHANGED = (
    "A previous repair replied with this same code unchanged, and it fails the same way: "
    "change what the evidence points at."
)
#: Added to the evidence of a round after one whose reply made the task fail earlier.
REGRESSED = (
    "A previous repair changed the code, and the new code failed at an earlier check "
    "({detail}); that change was undone. Fix the failure above another way."
)


def build_repair_messages(
    task: Task, verdict: Verdict, atoms: Mapping[str, Atom] | None = None
) -> list[dict[str, str]]:
    """Messages of one repair call for ``task``, whose step ``verdict`` failed."""
    blame = blame_of(verdict)
    system = (
        "You repair a Python programming task that failed an automatic check. You get "
        "the task, its code and the exact evidence of the failure: find its cause and "
        "fix that. The code shown fails; a reply that repeats it unchanged is useless. "
        "Reply with " + _wanted(blame, task)
    )
    parts = [f"Task statement:\n{task.statement}"]
    if task.signature and task.io_format != STDIN:
        parts.append(f"Signature: {task.signature}")
    parts.append(f"Reference solution:\n```python\n{task.reference_solution.strip()}\n```")
    if task.input_generator:
        parts.append(f"Input code:\n```python\n{task.input_generator.strip()}\n```")
    parts.append(f"Failed check: {verdict.step}: {verdict.detail}")
    if verdict.evidence:
        parts.append(f"Evidence:\n{verdict.evidence}")
    if blame in ("inputs", "inputs-or-reference") and INPUT_FORM not in verdict.evidence:
        parts.append(INPUT_FORM)
    if blame == "task":
        parts.append(f"Required elements:\n{_elements(task, atoms or {})}")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]


def fresh_inputs_first(task: Task, verdict: Verdict, number: int) -> bool:
    """Whether round ``number`` asks for fresh input code (``repair-inputs-v1``) instead
    of ``repair-v2``: the first round of a function task whose inputs are in question.

    Shown the failing input code, the 1.5B model sent it back unchanged in 16 of the 28
    ``repair-v2`` rounds that blamed the inputs (two 12-set runs); code it is not shown
    it cannot echo. A second round still gets ``repair-v2``, which may change the
    reference instead.
    """
    inputs_blamed = blame_of(verdict) in ("inputs", "inputs-or-reference")
    return number == 1 and inputs_blamed and task.io_format != STDIN and bool(task.signature)


def build_inputs_repair_messages(task: Task, verdict: Verdict) -> list[dict[str, str]]:
    """Messages asking for new ``generate(rng)`` and ``validate(inputs)`` from the statement,
    the reference and the failure's evidence; the failing input code is not shown, and
    the layout guesses no values (the first prompt's guesses may be what failed)."""
    names = parameter_names(task.signature or "") or ["x"]
    values = "".join(
        f'        "{n}": <a value of the type and shape the function reads>,\n' for n in names
    )
    layout = (
        f"```python\ndef generate(rng):\n    return {{\n{values}    }}\n\n"
        "def validate(inputs):\n    return <True when inputs is legal for the statement>\n```"
    )
    system = (
        "You write test-input code for a Python function. Input code written before failed "
        "an automatic check; it is not shown. Read the function to see the type and shape "
        "of each parameter, then reply with ONE fenced Python block defining generate(rng) "
        "and validate(inputs): generate returns one random test input drawn with the "
        "random.Random rng, small and varied; validate returns True when an input is legal "
        "for the statement. Standard library only; do not call the function itself.\n\n"
        "Layout:\n\n" + layout
    )
    parts = [
        f"Statement:\n{task.statement}",
        f"Function:\n```python\n{task.reference_solution.strip()}\n```",
        f"Failed check: {verdict.step}: {verdict.detail}",
        f"Evidence:\n{verdict.evidence}",
    ]
    if INPUT_FORM not in verdict.evidence:
        parts.append(INPUT_FORM)
    parts.append(f"Write new generate(rng) and validate(inputs) for {task.signature}.")
    return [{"role": "system", "content": system}, {"role": "user", "content": "\n\n".join(parts)}]
