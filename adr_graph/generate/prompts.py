r"""Versioned prompts for task generation and their response models.

Two calls per task: ``task-v1`` writes the task (statement, signature, reference
solution, input generator and validator) from an atom set; ``second-v1`` sees only
the statement and signature and writes an independent solution. Every task records
both versions.

Execution contract shared by all domains (the verifier's harness relies on it): the
task is a Python function ``entry_point``; one test input is a JSON list of positional
arguments; the function returns a JSON-serialisable value. ``generate(rng)`` returns
one input from a ``random.Random``; ``validate(args)`` returns ``True`` for a legal one.

>>> spec = parse_task_reply('{"title": "t", "statement": "s", "entry_point": "f", '
...     '"signature": "def f(x: int) -> int", "reference_solution": "def f(x):\\n return x", '
...     '"input_generator": "def generate(rng):\\n return [rng.randint(0, 9)]", '
...     '"input_validator": "def validate(args):\\n return True"}')
>>> spec.entry_point
'f'
"""

from __future__ import annotations

import ast
import json
import re

from pydantic import BaseModel, Field, ValidationError

from ..errors import AdrGraphError
from ..records import Atom, AtomSet

__all__ = [
    "SECOND_PROMPT_VERSION",
    "SOLVE_PROMPT_VERSION",
    "TASK_PROMPT_VERSION",
    "SecondSolution",
    "TaskReplyError",
    "TaskSpec",
    "build_second_messages",
    "build_solve_messages",
    "build_task_messages",
    "parse_second_reply",
    "parse_task_reply",
]

TASK_PROMPT_VERSION = "task-v2"
SECOND_PROMPT_VERSION = "second-v1"
SOLVE_PROMPT_VERSION = "solve-v1"

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


class TaskReplyError(AdrGraphError):
    """A model reply is not the JSON object the prompt asks for."""

    def __init__(self, reason: str, reply: str = "") -> None:
        self.reason = reason
        self.reply = reply
        super().__init__(reason)


class TaskSpec(BaseModel):
    """What the ``task-v1`` call must return."""

    title: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=1)
    entry_point: str = Field(pattern=_IDENT)
    signature: str = Field(min_length=1)
    reference_solution: str = Field(min_length=1)
    input_generator: str = Field(min_length=1)
    input_validator: str = Field(min_length=1)


class SecondSolution(BaseModel):
    """What the ``second-v1`` (and ``solve-v1``) call must return."""

    solution: str = Field(min_length=1)


_DOMAIN_GUIDE = {
    "algorithm": "an algorithmic function; inputs are numbers, strings, lists or dicts",
    "data_science": (
        "a data-analysis function using pandas/numpy: it receives plain JSON data (lists of "
        "records or column lists), builds the DataFrame itself, and returns plain JSON "
        "(numbers, lists, dicts; round floats to 6 places); data must be deterministic"
    ),
    "tool_usage": (
        "a tool-calling function: the statement defines the available tools (name, "
        "parameters, types); the function receives the user's request as data and returns "
        'the list of calls to make, as [{"name": ..., "arguments": {...}}]'
    ),
}


_EXAMPLE_REPLY = json.dumps(
    {
        "title": "Longest run of equal letters",
        "statement": "Given a string s of lowercase letters (1 <= len(s) <= 1000), return the "
        "length of the longest block of consecutive equal letters.",
        "entry_point": "longest_run",
        "signature": "def longest_run(s: str) -> int",
        "reference_solution": "def longest_run(s):\n    best = cur = 1\n"
        "    for a, b in zip(s, s[1:]):\n        cur = cur + 1 if a == b else 1\n"
        "        best = max(best, cur)\n    return best\n",
        "input_generator": "def generate(rng):\n    n = rng.randint(1, 50)\n"
        "    return [''.join(rng.choice('ab') for _ in range(n))]\n",
        "input_validator": "def validate(args):\n    s = args[0]\n"
        "    return isinstance(s, str) and 1 <= len(s) <= 1000 and s.islower()\n",
    },
    indent=1,
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
    """Messages asking for a task that combines every atom of ``atom_set``."""
    guide = _DOMAIN_GUIDE.get(atom_set.domain, _DOMAIN_GUIDE["algorithm"])
    shown = "\n\n".join(f"Example {i + 1}:\n{e[:600]}" for i, e in enumerate(examples[:3]))
    system = (
        "You write new, self-contained Python programming tasks for training code models. "
        "Reply with one JSON object and nothing else, with the string fields: title, "
        "statement, entry_point, signature, reference_solution, input_generator, "
        "input_validator. The statement explains the task, input and output precisely and "
        "gives no hint of the solution. reference_solution defines the function "
        "entry_point (standard library, numpy and pandas only; no I/O). input_generator "
        "defines generate(rng) that returns ONE input as a JSON list of positional "
        "arguments, drawn with the random.Random rng. input_validator defines "
        "validate(args) returning True when args is a legal input.\n\n"
        "Example of the reply format (a different task):\n" + _EXAMPLE_REPLY
    )
    user = (
        f"Domain: {atom_set.domain} ({guide}).\n"
        f"The task must combine all of these elements:\n{_atom_lines(atom_set, atoms)}\n\n"
        f"Existing tasks that use some of them (for style only; do not copy):\n{shown}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def build_second_messages(spec: TaskSpec) -> list[dict[str, str]]:
    """Messages asking for an independent solution from the statement alone."""
    system = (
        "You solve Python programming tasks. Reply with one JSON object "
        '{"solution": "<python code>"} and nothing else. The code defines the requested '
        "function; prefer a simple, obviously correct method (brute force is fine)."
    )
    user = f"{spec.statement}\n\nImplement:\n{spec.signature}\n(function name: {spec.entry_point})"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def build_solve_messages(
    statement: str, signature: str, entry_point: str, attempt: int
) -> list[dict[str, str]]:
    """Messages for a solver-model attempt (difficulty estimate); ``attempt`` varies the
    cache key so k attempts are k samples."""
    system = (
        "You solve Python programming tasks. Reply with one JSON object "
        '{"solution": "<python code>"} and nothing else.'
    )
    user = f"{statement}\n\nImplement:\n{signature}\n(function name: {entry_point})"
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": f"{user}\n\n(attempt {attempt + 1})"},
    ]


_FENCE_RE = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.DOTALL)


def _json_object(text: str) -> dict[str, object]:
    candidates = [m.group(1) for m in _FENCE_RE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        value = _lenient_object(candidate)
        if isinstance(value, dict):
            return value
    raise TaskReplyError("no JSON object in the reply", text)


def _lenient_object(candidate: str) -> object:
    """JSON (raw newlines in strings allowed), else a Python dict literal: small models
    often put code in triple-quoted strings. ``ast.literal_eval`` evaluates no code."""
    try:
        return json.loads(candidate, strict=False)
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(candidate)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


def _strip_code_fence(code: str) -> str:
    match = re.match(r"^\s*```(?:python)?\s*\n(.*?)\n?```\s*$", code, re.DOTALL)
    return match.group(1) if match else code


def parse_task_reply(text: str) -> TaskSpec:
    """Validate a ``task-v1`` reply; code fields lose surrounding code fences."""
    raw = _json_object(text)
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise TaskReplyError(f"field {where!r}: {first['msg']}", text) from exc
    return spec.model_copy(
        update={
            k: _strip_code_fence(getattr(spec, k))
            for k in ("reference_solution", "input_generator", "input_validator")
        }
    )


def parse_second_reply(text: str) -> SecondSolution:
    """Validate a ``second-v1`` / ``solve-v1`` reply."""
    raw = _json_object(text)
    try:
        second = SecondSolution.model_validate(raw)
    except ValidationError as exc:
        raise TaskReplyError(f"field 'solution': {exc.errors()[0]['msg']}", text) from exc
    return SecondSolution(solution=_strip_code_fence(second.solution))
