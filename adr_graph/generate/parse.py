r"""Read model replies: sectioned task drafts, fenced code, the function to call.

Small local models keep a simple layout far better than JSON with code inside strings,
so the task prompt asks for ``TITLE:`` / ``STATEMENT:`` / ``SOLUTION:`` sections with
the code in a fence, and the other prompts for one fenced code block. The parsers are
lenient about layout (a JSON object with the fields, or bare code, is read too) and
strict about content: code must parse, and the function to call must exist. Nothing
here executes model code (``ast`` only).

>>> draft = parse_task_reply(
...     "TITLE: Sum\nSTATEMENT:\nAdd two numbers.\nSOLUTION:\n```python\n"
...     "def helper(a):\n    return a\n\ndef add(a, b):\n    return helper(a) + b\n```")
>>> draft.entry_point, draft.signature
('add', 'def add(a, b)')
"""

from __future__ import annotations

import ast
import json
import re

from pydantic import BaseModel, Field, ValidationError

from ..errors import TaskReplyError

__all__ = [
    "InputsSpec",
    "SecondSolution",
    "TaskDraft",
    "TaskReplyError",
    "code_blocks",
    "parameter_names",
    "parse_inputs_reply",
    "parse_second_reply",
    "parse_task_reply",
    "reads_stdin_code",
]

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"


class TaskDraft(BaseModel):
    """What the task prompt yields: the task and its reference solution."""

    title: str = Field(min_length=1, max_length=200)
    statement: str = Field(min_length=1)
    #: the function to call; ``None`` (with ``signature``) for a stdin/stdout program
    entry_point: str | None = Field(default=None, pattern=_IDENT)
    signature: str | None = Field(default=None, min_length=1)
    reference_solution: str = Field(min_length=1)


class InputsSpec(BaseModel):
    """What the inputs prompt yields: ``generate(rng)`` and (optionally) ``validate(inputs)``."""

    input_generator: str = Field(min_length=1)
    input_validator: str | None = None


class SecondSolution(BaseModel):
    """What the second-solution and solver prompts yield."""

    solution: str = Field(min_length=1)


_FENCE_RE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def code_blocks(text: str) -> list[str]:
    """Contents of the fenced code blocks of ``text`` (JSON fences skipped; an unclosed
    last fence, as left by a length cut-off, still counts)."""
    return [m.group(2) for m in _FENCE_RE.finditer(text) if m.group(1).lower() != "json"]


def _json_field(text: str, name: str) -> str | None:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    candidate = text[start : end + 1]
    try:
        value = json.loads(candidate, strict=False)
    except json.JSONDecodeError:
        try:  # a Python dict literal (triple-quoted code); literal_eval runs no code
            value = ast.literal_eval(candidate)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return None
    field = value.get(name) if isinstance(value, dict) else None
    return field if isinstance(field, str) and field.strip() else None


def _parse(code: str, what: str, reply: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError as exc:
        reason = f"{what} is not valid Python: line {exc.lineno}: {exc.msg}"
        raise TaskReplyError(reason, reply) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise TaskReplyError(f"{what} cannot be parsed: {exc}", reply) from exc


def _code(text: str, what: str) -> str:
    """The code of a reply: its fenced blocks, else a JSON ``solution``, else the text."""
    blocks = code_blocks(text)
    if blocks:
        return "\n\n".join(b.strip("\n") for b in blocks) + "\n"
    from_json = _json_field(text, "solution")
    code = from_json if from_json is not None else text
    code = re.sub(r"^\s*```[A-Za-z]*\s*\n|\n?```\s*$", "", code)
    if not code.strip():
        raise TaskReplyError(f"no {what} code in the reply", text)
    return code


def _called_names(node: ast.AST) -> set[str]:
    return {
        n.func.id
        for n in ast.walk(node)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }


def _entry_point(module: ast.Module, statement: str, reply: str) -> tuple[str, str]:
    """The function a test calls: a public top-level function no other one calls,
    preferring one the statement names; a lone public method of a lone class is
    rejected with a clear reason (tests call plain functions)."""
    functions = [
        n
        for n in module.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and not n.name.startswith("_")
    ]
    if not functions:
        raise TaskReplyError("the solution defines no top-level function to call", reply)
    called = set().union(*(_called_names(f) for f in functions))
    roots = [f for f in functions if f.name not in called] or functions
    named = [f for f in roots if re.search(rf"\b{re.escape(f.name)}\b", statement)]
    chosen = (named or roots)[-1]
    return chosen.name, f"def {chosen.name}({ast.unparse(chosen.args)})"


def parameter_names(signature: str) -> list[str]:
    """Positional parameter names of ``def f(...)`` text (``[]`` if it does not parse).

    >>> parameter_names("def f(a, b: int = 2, *rest)")
    ['a', 'b']
    """
    try:
        module = ast.parse(signature.strip().rstrip(":") + ":\n    pass\n")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    node = module.body[0] if module.body else None
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    return [a.arg for a in [*node.args.posonlyargs, *node.args.args]]


def _section(text: str, name: str, until: str) -> str:
    match = re.search(rf"^\W*{name}\W*:\s*(.*?)(?=^\W*{until}\W*:|```|\Z)", text, re.S | re.M)
    return match.group(1).strip() if match else ""


def reads_stdin_code(module: ast.Module) -> bool:
    """Whether parsed code reads standard input (``input()``, ``sys.stdin``, ``fileinput``).

    >>> reads_stdin_code(ast.parse("import sys\\nn = int(sys.stdin.readline())"))
    True
    """
    for node in ast.walk(module):
        called = node.func if isinstance(node, ast.Call) else None
        if isinstance(called, ast.Name) and called.id == "input":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "stdin":
            return True
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if "fileinput" in names:
                return True
    return False


def parse_task_reply(text: str, stdin: bool = False) -> TaskDraft:
    """Read a ``task-v3`` reply (TITLE / STATEMENT / SOLUTION sections); with ``stdin``
    a ``task-stdin-v1`` reply, whose solution is a program reading standard input."""
    title = _section(text, "TITLE", "STATEMENT").splitlines()
    statement = _section(text, "STATEMENT", "(?:SOLUTION|TOOLS)")
    if not statement:
        raise TaskReplyError("no STATEMENT section in the reply", text)
    after = text.split("SOLUTION", 1)[1] if "SOLUTION" in text else text
    blocks = code_blocks(after)
    if not blocks:
        raise TaskReplyError("no fenced solution code after the statement", text)
    code = blocks[0].strip("\n") + "\n"
    module = _parse(code, "the solution", text)
    if stdin:
        if not reads_stdin_code(module):
            raise TaskReplyError("the solution program does not read standard input", text)
        name = (title[0].strip() if title else "")[:200] or "stdin program"
        return _draft(text, title=name, statement=statement, reference_solution=code)
    entry, signature = _entry_point(module, statement, text)
    return _draft(
        text,
        title=(title[0].strip() if title else entry)[:200] or entry,
        statement=statement,
        entry_point=entry,
        signature=signature,
        reference_solution=code,
    )


def _draft(reply: str, **fields: str) -> TaskDraft:
    """The draft, or a :class:`TaskReplyError` naming the field it cannot take (e.g. a
    function name the harness cannot call, such as a non-ASCII identifier)."""
    try:
        return TaskDraft(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(map(str, error["loc"]))
        raise TaskReplyError(f"the reply's {field} is unusable: {error['msg']}", reply) from None


def _defines(module: ast.Module, name: str) -> bool:
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in module.body)


def parse_inputs_reply(text: str) -> InputsSpec:
    """Read an ``inputs-v1`` reply: code defining ``generate(rng)`` and ``validate(inputs)``.

    Both functions may share one block; the whole block serves as generator and
    validator source (each driver calls only its own function).
    """
    code = _code(text, "input generator")
    module = _parse(code, "the input generator", text)
    if not _defines(module, "generate"):
        raise TaskReplyError("the reply defines no generate(rng) function", text)
    validator = code if _defines(module, "validate") else None
    return InputsSpec(input_generator=code, input_validator=validator)


def parse_second_reply(
    text: str, entry_point: str | None = None, *, adopt: bool = False
) -> SecondSolution:
    """Read a ``second-v2`` / ``solve-v2`` reply: fenced code (or JSON ``solution``).

    With ``entry_point``, the code must define that function. With ``adopt``, code that
    defines no such function but exactly one other top-level function (input helpers
    ``generate``/``validate`` aside) gets ``entry_point`` bound to that one.

    >>> parse_second_reply("def go(x): return x", "f", adopt=True).solution.splitlines()[-1]
    'f = go'
    """
    code = _code(text, "solution")
    module = _parse(code, "the solution", text)
    if entry_point and not _defines(module, entry_point):
        only = _single_function(module) if adopt else None
        if only is None:
            raise TaskReplyError(f"the solution defines no function {entry_point}()", text)
        code = f"{code.rstrip()}\n\n\n{entry_point} = {only}\n"
    return SecondSolution(solution=code)


def _single_function(module: ast.Module) -> str | None:
    """The name of the module's one top-level function other than the input helpers."""
    names = [
        n.name
        for n in module.body
        if isinstance(n, ast.FunctionDef) and n.name not in ("generate", "validate")
    ]
    return names[0] if len(names) == 1 else None
