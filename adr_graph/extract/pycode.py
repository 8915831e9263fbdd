"""Small, total helpers over Python source: safe parsing, imports, call names.

Nothing here raises on bad input: unparsable code gives ``None`` and callers fall
back to text-only extraction.

>>> tree = parse_code("import numpy as np\\nnp.mean([1, 2])")
>>> facts = code_facts(tree)
>>> facts.qualified_calls
['numpy.mean']
"""

from __future__ import annotations

import ast
import logging
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = [
    "CodeFacts",
    "parse_code",
    "collect_imports",
    "dotted_name",
    "resolve_name",
    "code_facts",
    "walk_local",
    "is_recursive",
    "function_defs",
]

log = logging.getLogger(__name__)

_FENCE_RE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)```", re.DOTALL)


def parse_code(source: str | None) -> ast.Module | None:
    """Parse ``source`` into a module, or return ``None`` when it is not Python.

    Markdown code fences are unwrapped and indented snippets dedented first.

    >>> parse_code("def f(:") is None
    True
    >>> isinstance(parse_code("x = 1"), ast.Module)
    True
    """
    if not source or not source.strip():
        return None
    fenced = _FENCE_RE.findall(source)
    text = "\n".join(fenced) if fenced else source
    for attempt in (text, textwrap.dedent(text)):
        try:
            return ast.parse(attempt)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            last = exc
    log.debug("code does not parse (%s); falling back to text-only extraction", last)
    return None


def collect_imports(tree: ast.AST) -> dict[str, str]:
    """Map each local alias to the fully qualified name it was imported as.

    >>> collect_imports(ast.parse("import pandas as pd\\nfrom os import path as p"))
    {'pd': 'pandas', 'p': 'os.path'}
    """
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attribute accesses on a name, else ``None``."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def resolve_name(node: ast.AST, imports: dict[str, str]) -> str | None:
    """The qualified name of an expression whose head is an imported alias."""
    name = dotted_name(node)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    if head not in imports:
        return None
    return f"{imports[head]}.{rest}" if rest else imports[head]


def function_defs(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function or method definition, in source order."""
    found = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def walk_local(node: ast.AST) -> Iterator[ast.AST]:
    """Walk ``node``'s subtree without entering nested function or class bodies."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            stack.extend(ast.iter_child_nodes(child))


def _self_calls(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    calls = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        if isinstance(target, ast.Name) and target.id == func.name:
            calls.append(node)
        elif (isinstance(target, ast.Attribute) and target.attr == func.name
              and isinstance(target.value, ast.Name) and target.value.id in {"self", "cls"}):
            calls.append(node)
    return calls


def is_recursive(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``func`` calls itself (directly, or as ``self.name``)."""
    return bool(_self_calls(func))


@dataclass
class CodeFacts:
    """What one parse of a solution tells every detector."""

    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)
    qualified_calls: list[str] = field(default_factory=list)
    method_calls: list[str] = field(default_factory=list)
    builtin_calls: list[str] = field(default_factory=list)
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)
    recursive: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)

    def self_calls(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
        """Calls ``func`` makes to itself."""
        return _self_calls(func)

    def uses_module(self, module: str) -> bool:
        """Whether ``module`` (or a submodule) is imported."""
        return any(q == module or q.startswith(module + ".") for q in self.imports.values())

    def calls_any(self, *names: str) -> bool:
        """Whether a resolved call equals or starts with one of ``names``."""
        return any(q == n or q.startswith(n + ".") for q in self.qualified_calls for n in names)


def code_facts(tree: ast.Module) -> CodeFacts:
    """Collect imports, calls and functions of ``tree`` in one pass."""
    facts = CodeFacts(tree=tree, imports=collect_imports(tree))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset)):
        qualified = resolve_name(node.func, facts.imports)
        if qualified is not None:
            facts.qualified_calls.append(qualified)
        elif isinstance(node.func, ast.Name):
            facts.builtin_calls.append(node.func.id)
        elif isinstance(node.func, ast.Attribute):
            facts.method_calls.append(node.func.attr)
    facts.functions = function_defs(tree)
    facts.recursive = [f for f in facts.functions if is_recursive(f)]
    return facts
