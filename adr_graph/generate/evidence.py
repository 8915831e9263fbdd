"""Evidence of a failed verification step, put the way a repair call can act on it.

A repair works when it names the failing input, the exception, the line that raised and
what form inputs take; "fix the generator" with a traceback tail does not (measured on
the 1.5B model). Each function here renders one kind of failure as short plain text for
:attr:`~adr_graph.records.Verdict.evidence`.

>>> print(raised("def f(p):\\n    x, y = p\\n    return x\\n", [4],
...              {"error": "TypeError", "message": "cannot unpack", "line": 2}))
On input [4] the reference raised TypeError: cannot unpack
at line 2: `x, y = p`
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["INPUT_FORM", "disagreement", "raised", "rejected", "shown", "trivial_pass"]

#: What the harness does to a generated input before any function sees it.
INPUT_FORM = (
    "Inputs travel as JSON: generate(rng) returns a dict keyed by parameter name (or, for "
    "one parameter, the value); tuples and sets arrive as lists, dict keys as strings. "
    "validate(inputs) and the solution receive that JSON form."
)


#: A default repr's memory address (``<X object at 0x7f...>``): different in every run, so
#: it is masked, or the repair prompt (and its cache key) would change from run to run.
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def shown(value: Any, limit: int = 300) -> str:
    """``value`` as compact JSON, cut at ``limit`` characters, memory addresses masked.

    >>> shown({"a": [1, 2]}), shown(list(range(200)), 12)
    ('{"a": [1, 2]}', '[0, 1, 2,...')
    >>> shown(["<__main__.Ship object at 0x7f4822794510>"])
    '["<__main__.Ship object at 0x...>"]'
    """
    text = _ADDRESS.sub(" at 0x...", json.dumps(value, default=repr))
    return text if len(text) <= limit else text[: limit - 3] + "..."


def raised(code: str, args: Any, result: dict[str, Any]) -> str:
    """A run that raised: the input, the exception and the line of ``code`` it left."""
    text = f"On input {shown(args)} the reference raised {result.get('error')}"
    if result.get("message"):
        text += f": {result['message']}"
    line = result.get("line")
    lines = code.splitlines()
    if isinstance(line, int) and 0 < line <= len(lines):
        text += f"\nat line {line}: `{lines[line - 1].strip()}`"
    return text


def disagreement(args: Any, reference: dict[str, Any], second: dict[str, Any]) -> str:
    """The first input on which the two solutions differ, with both results."""
    other = shown(second["value"]) if second.get("ok") else f"raised {second.get('error')}"
    return (
        f"On input {shown(args)} the reference returned {shown(reference.get('value'))}, "
        f"an independent solution {other}."
    )


def rejected(inputs: Sequence[Any], what: str) -> str:
    """Generated inputs that did not make it (up to two), and why, with the input form."""
    examples = "; ".join(shown(x, 200) for x in list(inputs)[:2])
    return f"{what}, e.g. {examples}.\n{INPUT_FORM}"


def trivial_pass(program: str, tests: Sequence[dict[str, Any]]) -> str:
    """Tests a trivial program also passes (up to three shown)."""
    pairs = "; ".join(f"{shown(t['input'], 120)} -> {shown(t['output'], 80)}" for t in tests[:3])
    return (
        f"The tests are also passed by {program}: the generated inputs do not exercise the "
        f"task (tests: {pairs})."
    )
