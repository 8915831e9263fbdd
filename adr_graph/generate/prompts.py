"""Versioned prompts for task generation (their replies are read by :mod:`.parse`).

Three calls per task, each recorded by version on the task:

- ``task-v3`` writes the task and its reference solution from an atom set, as
  ``TITLE:`` / ``STATEMENT:`` / ``SOLUTION:`` sections with the code in a fence;
- ``inputs-v1`` sees the statement, signature and reference and writes
  ``generate(rng)`` (a dict keyed by parameter name) and ``validate(inputs)``;
- ``second-v2`` sees only the statement and signature and writes an independent
  solution (brute force welcome).

``solve-v2`` is the solver-model prompt used to estimate difficulty. Atom sets with the
``stdin/stdout`` io_format atom get the ``*-stdin-v1`` variants of all four
(:mod:`.prompts_stdin`); tool-usage sets get ``task-tools-v1``, which adds a ``TOOLS:``
section of tool schemas (:mod:`.tools`).

Execution contract (the verifier's harness relies on it): a function task is a Python
function; one test input is a JSON list of positional arguments; the function returns a
JSON-serialisable value. A stdin task is a program; one test input is its standard input
(a string) and the output is what it prints.

>>> from adr_graph.records import AtomRef, AtomSet
>>> s = AtomSet(domain="algorithm", atoms=[AtomRef(id="algorithm/technique/bfs",
...     slot="technique", name="bfs")], strategy="novelty", rng_seed=0)
>>> "technique: bfs" in build_task_messages(s, {}, [])[1]["content"]
True
"""

from __future__ import annotations

import re

from ..records import Atom, AtomSet
from .parse import TaskDraft, parameter_names
from .prompts_stdin import (
    INPUTS_STDIN_PROMPT_VERSION,
    SECOND_STDIN_PROMPT_VERSION,
    TASK_STDIN_PROMPT_VERSION,
    inputs_stdin_system,
    reads_stdin,
    solve_stdin_system,
    task_stdin_system,
)
from .tools import TASK_TOOLS_PROMPT_VERSION, TOOLS_LAYOUT

__all__ = [
    "INPUTS_PROMPT_VERSION",
    "PROMPTS",
    "SECOND_PROMPT_VERSION",
    "SOLVE_PROMPT_VERSION",
    "STDIN_PROMPTS",
    "STOP",
    "TASK_PROMPT_VERSION",
    "TOOLS_PROMPTS",
    "build_inputs_messages",
    "build_second_messages",
    "build_solve_messages",
    "build_task_messages",
    "prompts_for",
]

TASK_PROMPT_VERSION = "task-v3"
INPUTS_PROMPT_VERSION = "inputs-v1"
SECOND_PROMPT_VERSION = "second-v2"
SOLVE_PROMPT_VERSION = "solve-v2"

#: The (task, inputs, second) prompt versions for each kind of task.
PROMPTS = (TASK_PROMPT_VERSION, INPUTS_PROMPT_VERSION, SECOND_PROMPT_VERSION)
STDIN_PROMPTS = (
    TASK_STDIN_PROMPT_VERSION,
    INPUTS_STDIN_PROMPT_VERSION,
    SECOND_STDIN_PROMPT_VERSION,
)
TOOLS_PROMPTS = (TASK_TOOLS_PROMPT_VERSION, INPUTS_PROMPT_VERSION, SECOND_PROMPT_VERSION)

#: Stop sequences: small models repeat the example reply after their own.
STOP = ["\nExample reply", "\nTITLE:", "\n# Example"]

_DOMAIN_GUIDE = {
    "algorithm": "an algorithmic function; its arguments are numbers, strings, lists or dicts",
    "data_science": (
        "a data-analysis function using pandas or numpy: it receives plain data (a list of "
        "records or lists of numbers), builds the DataFrame itself, and returns plain "
        "numbers, lists or dicts (floats rounded to 6 places); no files, no plots, no "
        "randomness"
    ),
    "tool_usage": (
        "a tool-calling function: the statement defines the tools (name, parameters, "
        "types); the function receives the user's request as data and returns the list "
        'of calls to make, as [{"name": ..., "arguments": {...}}]'
    ),
}

# A layout with placeholders, not a worked example: small models copy a worked example
# verbatim instead of writing a new task.
_TASK_LAYOUT = """TITLE: <a short title>
STATEMENT:
<what the function receives and returns, with limits on sizes and values>
SOLUTION:
```python
def <function_name>(<arguments>):
    <code>
```"""


# Value recipes by parameter-name pattern (value, type): small models cannot infer a
# parameter's type from the statement, so the layout spells out a likely one that the
# model adjusts.
_RECIPES = [
    (
        r"grid|matrix|board",
        "[[rng.randint(0, 9) for _ in range(rng.randint(1, 4))] for _ in range(rng.randint(1, 4))]",
        "list",
    ),
    (
        r"edges|pairs|intervals",
        "[[rng.randint(0, 5), rng.randint(0, 5)] for _ in range(rng.randint(1, 6))]",
        "list",
    ),
    (
        r"records|rows|data|df|table",
        '[{"a": rng.randint(0, 9), "b": rng.random()} for _ in range(rng.randint(1, 6))]',
        "list",
    ),
    (
        r"words|strings|names|tokens",
        '[rng.choice(["ab", "ba", "abc"]) for _ in range(rng.randint(1, 6))]',
        "list",
    ),
    (
        r"^(s|t|text|string|word|pattern|st)\d?$",
        '"".join(rng.choice("abc") for _ in range(rng.randint(1, 8)))',
        "str",
    ),
    (
        r"s$|list|arr|array|seq|values|heights|prices",
        "[rng.randint(-9, 9) for _ in range(rng.randint(1, 8))]",
        "list",
    ),
]


def _recipe(name: str) -> tuple[str, str]:
    for pattern, value, kind in _RECIPES:
        if re.search(pattern, name.lower()):
            return value, kind
    return "rng.randint(1, 20)", "int"


def _inputs_layout(draft: TaskDraft) -> str:
    """The reply layout, with the function's parameters, a likely value of each, and a
    validator that checks those types (the model adds the statement's limits)."""
    names = parameter_names(draft.signature or "") or ["x"]
    recipes = [_recipe(n) for n in names]
    fields = "".join(
        f'        "{n}": {value},\n' for n, (value, _) in zip(names, recipes, strict=True)
    )
    checks = " and ".join(
        f'isinstance(inputs["{n}"], {kind})' for n, (_, kind) in zip(names, recipes, strict=True)
    )
    return (
        "```python\ndef generate(rng):\n"
        "    # adjust each value to the type and limits the statement gives\n"
        f"    return {{\n{fields}    }}\n\n"
        "def validate(inputs):\n"
        "    # inputs is a dict like the one generate returns; check the statement's limits\n"
        f"    return {checks}\n```"
    )


def _atom_lines(atom_set: AtomSet, atoms: dict[str, Atom]) -> str:
    lines = []
    for ref in atom_set.atoms:
        atom = atoms.get(ref.id)
        description = f": {atom.description}" if atom and atom.description else ""
        lines.append(f"- {ref.slot}: {ref.name}{description}")
    return "\n".join(lines)


def build_task_messages(
    atom_set: AtomSet, atoms: dict[str, Atom], examples: list[str]
) -> list[dict[str, str]]:
    """Messages asking for a task (and its reference) combining every atom of the set,
    in the task prompt :func:`prompts_for` picks."""
    guide = _DOMAIN_GUIDE.get(atom_set.domain, _DOMAIN_GUIDE["algorithm"])
    shown = "\n\n".join(f"Example {i + 1}:\n{e[:600]}" for i, e in enumerate(examples[:3]))
    task_prompt = prompts_for(atom_set)[0]
    if task_prompt == TASK_STDIN_PROMPT_VERSION:
        system, guide = task_stdin_system(), "a program: standard input in, standard output out"
    elif task_prompt == TASK_TOOLS_PROMPT_VERSION:
        system = _task_tools_system()
    else:
        system = _task_function_system()
    user = f"Domain: {atom_set.domain} ({guide}).\n"
    user += f"The task must combine all of these elements:\n{_atom_lines(atom_set, atoms)}\n"
    if shown:
        user += f"\nExisting tasks that use some of them (style only; do not copy):\n{shown}\n"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def prompts_for(atom_set: AtomSet) -> tuple[str, str, str]:
    """The (task, inputs, second) prompt versions that serve ``atom_set``."""
    if reads_stdin(atom_set):
        return STDIN_PROMPTS
    return TOOLS_PROMPTS if atom_set.domain == "tool_usage" else PROMPTS


def _task_function_system() -> str:
    """System message of ``task-v3``: a plain function task."""
    return (
        "You write one new, self-contained Python programming task and its reference "
        "solution. Reply in exactly this layout: a TITLE line, a STATEMENT section that "
        "says precisely what the function receives and returns, with limits on sizes and "
        "values, and no hint of the method; then a SOLUTION section with ONE fenced Python "
        "block that defines a plain top-level function (no class, no input(), no print, "
        "no example calls). Standard library, numpy and pandas only.\n\n"
        "Layout:\n\n" + _TASK_LAYOUT
    )


def _task_tools_system() -> str:
    """System message of ``task-tools-v1``: the function task plus a TOOLS section."""
    layout = _TASK_LAYOUT.replace("SOLUTION:", TOOLS_LAYOUT + "\nSOLUTION:")
    return (
        "You write one new, self-contained Python tool-calling task and its reference "
        "solution. Reply in exactly this layout: a TITLE line; a STATEMENT section that "
        "describes the user's request the function receives and what it returns, with no "
        "hint of the method; a TOOLS section with ONE JSON list of the tools the calls may "
        "use (name, parameters with their JSON types, required parameters); then a "
        "SOLUTION section with ONE fenced Python block that defines a plain top-level "
        'function returning the list of calls, each {"name": ..., "arguments": {...}} '
        "(no class, no input(), no print, no example calls). Standard library only.\n\n"
        "Layout:\n\n" + layout
    )


def build_inputs_messages(draft: TaskDraft) -> list[dict[str, str]]:
    """Messages asking for the input generator and validator of a drafted task.

    ``generate(rng)`` returns a dict keyed by parameter name (small models confuse "a
    list of arguments" with "an argument that is a list"); the verifier turns it into
    positional arguments. For a stdin program (no signature) it returns the whole input.
    """
    if draft.signature is None:
        user = (
            f"Statement:\n{draft.statement}\n\nProgram:\n```python\n"
            f"{draft.reference_solution.strip()}\n```\n\n"
            "Write generate(rng) and validate(text) for its standard input."
        )
        return [
            {"role": "system", "content": inputs_stdin_system()},
            {"role": "user", "content": user},
        ]
    system = (
        "You write test-input code for a Python function. Reply with ONE fenced Python "
        "block defining generate(rng), which returns one random test input drawn with the "
        "random.Random rng (use rng.randint, rng.choice, rng.random; keep inputs small), "
        "and validate(inputs), which returns True when the input is legal for the "
        "statement. Standard library only; do not call the function itself.\n\nLayout:\n\n"
        + _inputs_layout(draft)
    )
    user = (
        f"Statement:\n{draft.statement}\n\nFunction:\n```python\n"
        f"{draft.reference_solution.strip()}\n```\n\n"
        f"Write generate(rng) and validate(inputs) for {draft.signature}."
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _solve_messages(statement: str, signature: str | None, extra: str) -> list[dict[str, str]]:
    """Solve messages for a function (``signature``) or, without one, a stdin program."""
    if signature is None:
        system = solve_stdin_system(extra)
        user = f"{statement}\n\nWrite the program: read standard input, print the answer."
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]
    system = (
        "You solve Python programming tasks. Reply with ONE fenced Python block that "
        "defines the requested top-level function (no class, no input(), no example "
        "calls)." + extra
    )
    user = f"{statement}\n\nImplement:\n{signature}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def build_second_messages(draft: TaskDraft) -> list[dict[str, str]]:
    """Messages asking for an independent solution from the statement alone."""
    return _solve_messages(
        draft.statement,
        draft.signature,
        " Prefer a simple, obviously correct method; brute force is fine.",
    )


def build_solve_messages(
    statement: str, signature: str | None, attempt: int
) -> list[dict[str, str]]:
    """Messages for a solver-model attempt (difficulty estimate); ``attempt`` varies the
    cache key so that k attempts are k samples; no ``signature``: a stdin program."""
    messages = _solve_messages(statement, signature, "")
    messages[1]["content"] += f"\n\n(attempt {attempt + 1})"
    return messages
