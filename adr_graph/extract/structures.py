"""AST detectors for the data structures a solution builds or manipulates.

>>> from adr_graph.extract.pycode import code_facts, parse_code
>>> src = "import heapq\\ndef f(a):\\n    h = list(a)\\n    heapq.heapify(h)\\n    return h[0]"
>>> detect_structures(code_facts(parse_code(src)))
['heap', 'array']
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from adr_graph.extract.loops import detect_monotonic_stack, detect_stack_dfs
from adr_graph.extract.pycode import CodeFacts, dotted_name

__all__ = ["STRUCTURE_ORDER", "detect_structures"]

_STACK_NAME = re.compile(r"^(?:.*_)?(?:stack|stk|st)$", re.IGNORECASE)
_GRAPH_NAME = re.compile(r"graph|adj|neighbo|^g$|^edges_of$", re.IGNORECASE)
_GRID_NAME = re.compile(r"grid|matrix|board|^mat$|^maze$", re.IGNORECASE)
_STR_ONLY = frozenset(
    {
        "isalpha",
        "isdigit",
        "isalnum",
        "isspace",
        "isupper",
        "islower",
        "lower",
        "upper",
        "swapcase",
        "capitalize",
        "zfill",
        "splitlines",
        "casefold",
    }
)


def _attrs(facts: CodeFacts) -> set[str]:
    return {n.attr for n in facts.nodes if isinstance(n, ast.Attribute)}


def _subscripted(facts: CodeFacts) -> set[str]:
    return {
        name
        for n in facts.nodes
        if isinstance(n, ast.Subscript)
        for name in [dotted_name(n.value)]
        if name
    }


def _used_as(facts: CodeFacts, kind: str) -> bool:
    """A name of this kind is indexed, tested with ``in`` or mutated by a method."""
    names = {n for n, k in facts.kinds.items() if k == kind}
    if not names:
        return False
    touched = _subscripted(facts)
    for node in facts.nodes:
        if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
            touched.add(dotted_name(node.comparators[0]) or "")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            touched.add(dotted_name(node.func.value) or "")
    return bool(names & touched)


def _hash_map(facts: CodeFacts) -> bool:
    return _used_as(facts, "dict") or facts.calls_any(
        "collections.defaultdict", "collections.OrderedDict"
    )


def _hash_set(facts: CodeFacts) -> bool:
    if any(isinstance(n, ast.SetComp) for n in facts.nodes):
        return True
    return (
        "set" in facts.builtin_calls or "frozenset" in facts.builtin_calls or _used_as(facts, "set")
    )


def _array(facts: CodeFacts) -> bool:
    """A list is built, indexed or mutated, or a parameter is annotated as a list."""
    params = {n.arg for n in facts.nodes if isinstance(n, ast.arg)}
    listy = {n for n, k in facts.kinds.items() if k == "list"}
    used = _subscripted(facts) | _method_owners(facts, {"append", "extend", "pop", "insert"})
    return bool(listy & (used | params))


def _method_owners(facts: CodeFacts, methods: set[str]) -> set[str]:
    return {
        dotted_name(n.func.value) or ""
        for n in facts.nodes
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in methods
    }


def _stack(facts: CodeFacts) -> bool:
    if detect_stack_dfs(facts):
        return True
    pushed = _method_owners(facts, {"append", "extend"})
    popped = {
        dotted_name(n.func.value) or ""
        for n in facts.nodes
        if isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "pop"
        and not n.args
    }
    both = pushed & popped
    return any(_STACK_NAME.search(n.rsplit(".", 1)[-1]) for n in both) or (
        "queue.LifoQueue" in facts.qualified_calls
    )


def _matrix(facts: CodeFacts) -> bool:
    if "matrix" in facts.kinds.values():
        return True
    for node in facts.nodes:
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Subscript)
            and isinstance(node.slice, ast.Name)
            and isinstance(node.value.slice, ast.Name)
        ):
            return True
    return any(_GRID_NAME.search(n.rsplit(".", 1)[-1]) for n in _subscripted(facts))


def _tuple(facts: CodeFacts) -> bool:
    for node in facts.nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"append", "add", "heappush"}
            and any(isinstance(a, ast.Tuple) for a in node.args)
        ):
            return True
        if (
            isinstance(node, ast.Call)
            and dotted_name(node.func) in {"heapq.heappush", "heappush"}
            and any(isinstance(a, ast.Tuple) for a in node.args)
        ):
            return True
    return False


def _string(facts: CodeFacts) -> bool:
    if "str" in facts.kinds.values() and (set(facts.method_calls) & {"join", "split", "replace"}):
        return True
    if set(facts.method_calls) & _STR_ONLY or {"ord", "chr"} & set(facts.builtin_calls):
        return True
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "join"
        and isinstance(n.func.value, ast.Constant)
        for n in facts.nodes
    )


def _graph(facts: CodeFacts) -> bool:
    owners = _subscripted(facts) | _method_owners(facts, {"append", "add"})
    return any(_GRAPH_NAME.search(n.rsplit(".", 1)[-1]) for n in owners if n) or facts.uses_module(
        "networkx"
    )


def _union_find(facts: CodeFacts) -> bool:
    names = {f.name.lower() for f in facts.functions}
    return bool(names & {"find", "find_set", "find_root", "root"}) and any(
        re.search(r"parent|root", n) for n in _subscripted(facts)
    )


def _trie(facts: CodeFacts) -> bool:
    classes = {n.name.lower() for n in facts.nodes if isinstance(n, ast.ClassDef)}
    return any("trie" in c for c in classes) or (
        "children" in _attrs(facts) and bool(_attrs(facts) & {"is_end", "is_word", "end"})
    )


#: Detectors by canonical data-structure name, most specific first (the order results come in).
_DETECTORS: dict[str, Callable[[CodeFacts], bool]] = {
    "trie": _trie,
    "union-find": _union_find,
    "heap": lambda f: f.calls_any("heapq", "queue.PriorityQueue"),
    "deque": lambda f: f.calls_any("collections.deque"),
    "queue": lambda f: f.calls_any("queue.Queue", "queue.SimpleQueue"),
    "graph": _graph,
    "binary tree": lambda f: {"left", "right"} <= _attrs(f),
    "tree": lambda f: "children" in _attrs(f) and not _trie(f),
    "linked list": lambda f: "next" in _attrs(f) and "next" not in f.builtin_calls,
    "monotonic stack": detect_monotonic_stack,
    "stack": _stack,
    "matrix": _matrix,
    "counter": lambda f: f.calls_any("collections.Counter"),
    "hash map": _hash_map,
    "hash set": _hash_set,
    "numpy array": lambda f: "ndarray" in f.kinds.values(),
    "tuple": _tuple,
    "string": _string,
    "array": _array,
}

#: Canonical data-structure names, most specific first.
STRUCTURE_ORDER: tuple[str, ...] = tuple(_DETECTORS)


def detect_structures(facts: CodeFacts) -> list[str]:
    """Data-structure names found in the code, most specific first."""
    found = [name for name in STRUCTURE_ORDER if _DETECTORS[name](facts)]
    if "monotonic stack" in found and "stack" in found:
        found.remove("stack")
    return found
