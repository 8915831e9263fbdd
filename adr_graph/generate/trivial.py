"""Triviality: programs a task's tests must tell apart from its reference.

A verified task whose tests a trivial program also passes teaches nothing. The trivial
programs (:func:`trivial_programs`) are, by task kind:

- function tasks: the most common expected output as a constant; the first argument
  (the identity); ``None``, ``0``, ``[]`` and ``""``; the first argument sorted;
- stdin/stdout tasks: the most common expected output printed; the input echoed;
  nothing, and ``0``; the input's tokens sorted.

They run in the sandbox like any generated code. A reference with fewer than
:data:`MIN_AST_NODES` AST nodes is trivial too, whatever its tests
(``def add(x, y): return x + y`` has 12; a linear search with ``enumerate`` 31).

>>> reference_size("def add(x, y):\\n    return x + y\\n")
12
>>> [name for name, _ in trivial_programs([{"output": 3}, {"output": 3}], "f", stdin=False)][:2]
['the constant 3', 'the first argument']
"""

from __future__ import annotations

import ast
import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from .evidence import shown

__all__ = ["MIN_AST_NODES", "reference_size", "trivial_programs"]

#: A reference with fewer AST nodes than this (the whole module, ``ast.walk``) is trivial.
MIN_AST_NODES = 30

_FUNCTION_BODIES = (
    ("the first argument", "return args[0] if args else None"),
    ("None", "return None"),
    ("0", "return 0"),
    ("an empty list", "return []"),
    ("an empty string", 'return ""'),
    ("the first argument sorted", "return sorted(args[0])"),
)

_STDIN_BODIES = (
    ("the input echoed", "print(sys.stdin.read())"),
    ("nothing printed", "pass"),
    ("0 printed", "print(0)"),
    ("the input's tokens sorted", "print(' '.join(sorted(sys.stdin.read().split())))"),
)


def reference_size(code: str) -> int:
    """AST nodes of ``code`` (0 when it does not parse)."""
    try:
        return sum(1 for _ in ast.walk(ast.parse(code)))
    except (SyntaxError, ValueError, RecursionError):
        return 0


def _most_common(outputs: Sequence[Any]) -> Any:
    counts = Counter(json.dumps(o, sort_keys=True) for o in outputs)
    return json.loads(counts.most_common(1)[0][0])


def trivial_programs(
    tests: Sequence[dict[str, Any]], entry_point: str, *, stdin: bool
) -> list[tuple[str, str]]:
    """``(name, code)`` of each trivial program for tests with these outputs; the code is
    a solution the task's driver runs like the reference (none when there are no tests)."""
    if not tests:
        return []
    common = _most_common([t["output"] for t in tests])
    if stdin:
        constant = f"print({common!r})" if isinstance(common, str) else "pass"
        printed = [("the constant output " + shown(common, 40), constant), *_STDIN_BODIES]
        return [(name, f"import sys\n{body}\n") for name, body in printed]
    constant_body = f"return _json.loads({json.dumps(common)!r})"
    returned = [("the constant " + shown(common, 40), constant_body), *_FUNCTION_BODIES]
    return [
        (name, f"import json as _json\ndef {entry_point}(*args, **kwargs):\n    {body}\n")
        for name, body in returned
    ]
