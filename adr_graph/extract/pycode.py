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
    "annotation_kind",
    "code_facts",
    "collect_imports",
    "container_kinds",
    "dotted_name",
    "function_defs",
    "is_recursive",
    "parse_code",
    "resolve_name",
    "walk_local",
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


def collect_imports(tree: ast.AST, nodes: list[ast.AST] | None = None) -> dict[str, str]:
    """Map each local alias to the fully qualified name it was imported as.

    >>> collect_imports(ast.parse("import pandas as pd\\nfrom os import path as p"))
    {'pd': 'pandas', 'p': 'os.path'}
    """
    aliases: dict[str, str] = {}
    for node in nodes if nodes is not None else ast.walk(tree):
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
    return sorted(found, key=lambda n: (n.lineno, n.col_offset, n.end_col_offset or 0))


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def walk_local(node: ast.AST) -> Iterator[ast.AST]:
    """Walk ``node``'s subtree without entering nested function or class bodies."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, _SCOPES):
            stack.extend(ast.iter_child_nodes(child))


def _self_calls(func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    calls = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        plain = isinstance(target, ast.Name) and target.id == func.name
        method = (
            isinstance(target, ast.Attribute)
            and target.attr == func.name
            and isinstance(target.value, ast.Name)
            and target.value.id in {"self", "cls"}
        )
        if plain or method:
            calls.append(node)
    return calls


def is_recursive(func: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``func`` calls itself (directly, or as ``self.name``)."""
    return bool(_self_calls(func))


@dataclass
class CodeFacts:
    """What one parse of a solution tells every detector."""

    tree: ast.Module
    nodes: list[ast.AST] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)
    qualified_calls: list[str] = field(default_factory=list)
    method_calls: list[str] = field(default_factory=list)
    builtin_calls: list[str] = field(default_factory=list)
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    recursive: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)
    _local: dict[int, list[ast.AST]] = field(default_factory=dict, repr=False)
    _selfcalls: dict[int, list[ast.Call]] = field(default_factory=dict, repr=False)

    def local(self, node: ast.AST) -> list[ast.AST]:
        """:func:`walk_local` of ``node``, computed once per node."""
        key = id(node)
        if key not in self._local:
            self._local[key] = list(walk_local(node))
        return self._local[key]

    def self_calls(self, func: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
        """Calls ``func`` makes to itself."""
        key = id(func)
        if key not in self._selfcalls:
            self._selfcalls[key] = _self_calls(func)
        return self._selfcalls[key]

    def uses_module(self, module: str) -> bool:
        """Whether ``module`` (or a submodule) is imported."""
        return any(q == module or q.startswith(module + ".") for q in self.imports.values())

    def calls_any(self, *names: str) -> bool:
        """Whether a resolved call equals or starts with one of ``names``."""
        return any(q == n or q.startswith(n + ".") for q in self.qualified_calls for n in names)


def code_facts(tree: ast.Module) -> CodeFacts:
    """Collect imports, calls and functions of ``tree`` in one pass."""
    nodes = list(ast.walk(tree))
    facts = CodeFacts(tree=tree, nodes=nodes, imports=collect_imports(tree, nodes))
    calls = [n for n in facts.nodes if isinstance(n, ast.Call)]
    for node in sorted(calls, key=lambda n: (n.lineno, n.col_offset, n.end_col_offset or 0)):
        qualified = resolve_name(node.func, facts.imports)
        if qualified is not None:
            facts.qualified_calls.append(qualified)
        elif isinstance(node.func, ast.Name):
            facts.builtin_calls.append(node.func.id)
        elif isinstance(node.func, ast.Attribute):
            facts.method_calls.append(node.func.attr)
    facts.functions = sorted(
        (n for n in facts.nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)),
        key=lambda n: (n.lineno, n.col_offset, n.end_col_offset or 0),
    )
    facts.recursive = [f for f in facts.functions if facts.self_calls(f)]
    facts.kinds = container_kinds(tree, facts.imports, nodes)
    return facts


_KIND_BY_CALL = {
    "dict": "dict",
    "collections.defaultdict": "dict",
    "collections.OrderedDict": "dict",
    "collections.Counter": "counter",
    "set": "set",
    "frozenset": "set",
    "list": "list",
    "collections.deque": "deque",
    "queue.Queue": "queue",
    "queue.PriorityQueue": "heap",
    "queue.LifoQueue": "stack",
    "str": "str",
    "tuple": "tuple",
}
_NUMPY_MAKERS = {
    "array",
    "zeros",
    "ones",
    "empty",
    "full",
    "arange",
    "linspace",
    "asarray",
    "eye",
    "identity",
    "zeros_like",
    "ones_like",
}
_ANNOTATION_KINDS = {
    "str": "str",
    "dict": "dict",
    "Dict": "dict",
    "set": "set",
    "Set": "set",
    "list": "list",
    "List": "list",
    "Sequence": "list",
    "tuple": "tuple",
    "Tuple": "tuple",
    "deque": "deque",
}


def _is_list_expr(node: ast.AST) -> bool:
    if isinstance(node, ast.List | ast.ListComp):
        return True
    return (
        isinstance(node, ast.BinOp)
        and isinstance(node.op, ast.Mult)
        and (_is_list_expr(node.left) or _is_list_expr(node.right))
    )


def _value_kind(node: ast.AST, imports: dict[str, str]) -> str | None:
    if isinstance(node, ast.Dict | ast.DictComp):
        return "dict"
    if isinstance(node, ast.Set | ast.SetComp):
        return "set"
    if isinstance(node, ast.ListComp):
        return "matrix" if _is_list_expr(node.elt) else "list"
    if _is_list_expr(node):
        inner = node.elts if isinstance(node, ast.List) else []
        return "matrix" if inner and all(_is_list_expr(e) for e in inner) else "list"
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return "str"
    if isinstance(node, ast.Call):
        name = resolve_name(node.func, imports) or dotted_name(node.func) or ""
        if name.startswith("numpy.") and name.rsplit(".", 1)[-1] in _NUMPY_MAKERS:
            return "ndarray"
        return _KIND_BY_CALL.get(name)
    return None


def annotation_kind(node: ast.AST | None) -> str | None:
    """Container kind of a type annotation such as ``List[List[int]]`` or ``str``."""
    if node is None:
        return None
    if isinstance(node, ast.Subscript):
        outer = annotation_kind(node.value)
        if outer == "list" and annotation_kind(node.slice) == "list":
            return "matrix"
        return outer
    name = dotted_name(node) or ""
    return _ANNOTATION_KINDS.get(name.rsplit(".", 1)[-1])


def container_kinds(
    tree: ast.AST, imports: dict[str, str], nodes: list[ast.AST] | None = None
) -> dict[str, str]:
    """Best-effort kind (dict, set, list, matrix, ...) of each assigned name.

    >>> container_kinds(ast.parse("seen = set()\\ngrid = [[0] * 3 for _ in range(3)]"), {})
    {'seen': 'set', 'grid': 'matrix'}
    """
    kinds: dict[str, str] = {}
    wanted = (ast.Assign, ast.AnnAssign, ast.arg)
    found = [n for n in (nodes if nodes is not None else ast.walk(tree)) if isinstance(n, wanted)]
    for node in sorted(found, key=lambda n: (n.lineno, n.col_offset)):
        pairs: list[tuple[ast.AST, str | None]] = []
        if isinstance(node, ast.Assign):
            kind = _value_kind(node.value, imports)
            pairs = [(t, kind) for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            kind = annotation_kind(node.annotation)
            if node.value is not None:
                kind = _value_kind(node.value, imports) or kind
            pairs = [(node.target, kind)]
        elif isinstance(node, ast.arg):
            pairs = [(ast.Name(id=node.arg), annotation_kind(node.annotation))]
        for target, kind in pairs:
            name = dotted_name(target)
            if name and kind and name not in kinds:
                kinds[name] = kind
    return kinds
