"""AST detectors for algorithmic techniques.

Each detector looks for one narrow, recognisable code shape and prefers missing
a technique over claiming a wrong one.

>>> from adr_graph.extract.pycode import code_facts, parse_code
>>> src = "import bisect\\ndef f(a, x):\\n    return bisect.bisect_left(sorted(a), x)"
>>> detect_techniques(code_facts(parse_code(src)))
['binary search', 'sorting']
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from adr_graph.extract.loops import (
    detect_bfs,
    detect_binary_search,
    detect_convergence,
    detect_greedy,
    detect_prefix_sum,
    detect_simulation,
    detect_sliding_window,
    detect_stack_dfs,
    detect_table_dp,
    detect_two_pointers,
)
from adr_graph.extract.pycode import CodeFacts, dotted_name

__all__ = ["TECHNIQUE_ORDER", "detect_techniques", "has_loop"]

_MATH_MODULES = ("math", "cmath", "fractions", "decimal", "statistics")
_STR_METHODS = frozenset(
    {
        "split",
        "join",
        "replace",
        "strip",
        "lstrip",
        "rstrip",
        "lower",
        "upper",
        "isalpha",
        "isdigit",
        "isalnum",
        "isspace",
        "isupper",
        "islower",
        "startswith",
        "endswith",
        "find",
        "rfind",
        "capitalize",
        "title",
        "swapcase",
        "zfill",
        "ljust",
        "rjust",
        "center",
        "partition",
        "rpartition",
        "splitlines",
        "casefold",
        "isnumeric",
        "isdecimal",
    }
)
_BIT_OPS = (ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift)


def has_loop(facts: CodeFacts) -> bool:
    """Whether the code has any loop or comprehension."""
    kinds = (ast.For, ast.While, ast.AsyncFor, ast.comprehension)
    return any(isinstance(n, kinds) for n in facts.nodes)


def _memoization(facts: CodeFacts) -> bool:
    for func in facts.functions:
        for deco in func.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = dotted_name(target) or ""
            if name.rsplit(".", 1)[-1] in {"lru_cache", "cache"}:
                return True
    for func in facts.recursive:
        stored = {
            dotted_name(n.value)
            for n in facts.local(func)
            if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store)
        }
        for node in facts.local(func):
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.ops[0], ast.In)
                and dotted_name(node.comparators[0]) in stored
            ):
                return True
    return False


def _tree_or_graph_recursion(facts: CodeFacts) -> bool:
    for func in facts.recursive:
        calls = facts.self_calls(func)
        attrs = {
            n.attr
            for c in calls
            for a in c.args
            for n in ast.walk(a)
            if isinstance(n, ast.Attribute)
        }
        if attrs & {"left", "right", "children"}:
            return True
        loops = [n for n in facts.local(func) if isinstance(n, ast.For)]
        in_loop = {id(c) for loop in loops for c in ast.walk(loop) if isinstance(c, ast.Call)}
        visited = any(
            re.search(r"visit|seen", dotted_name(n) or "")
            for n in facts.local(func)
            if isinstance(n, ast.Name | ast.Attribute)
        )
        if (any(id(c) in in_loop for c in calls) and visited) or len(calls) >= 4:
            return True
    return False


def _backtracking(facts: CodeFacts) -> bool:
    for func in facts.recursive:
        for loop in (n for n in facts.local(func) if isinstance(n, ast.For)):
            body = list(ast.walk(loop))
            if not any(c in body for c in facts.self_calls(func)):
                continue
            methods = {
                n.func.attr
                for n in body
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            }
            if {"append", "pop"} <= methods or {"add", "remove"} <= methods:
                return True
    return False


def _divide_and_conquer(facts: CodeFacts) -> bool:
    for func in facts.recursive:
        calls = facts.self_calls(func)
        if len(calls) < 2:
            continue
        parts = [n for c in calls for a in c.args for n in ast.walk(a)]
        if any(
            isinstance(n, ast.Slice) or (isinstance(n, ast.Name) and n.id in {"mid", "m"})
            for n in parts
        ):
            return True
    return False


def _names(facts: CodeFacts) -> set[str]:
    return {n.id.lower() for n in facts.nodes if isinstance(n, ast.Name)}


def _shortest_path(facts: CodeFacts) -> bool:
    return "heapq.heappop" in facts.qualified_calls and bool(
        _names(facts) & {"dist", "dists", "distance", "distances"}
    )


def _topological(facts: CodeFacts) -> bool:
    return bool(_names(facts) & {"indegree", "in_degree", "indeg", "in_degrees", "indegrees"})


def _is_setlike(node: ast.AST, facts: CodeFacts) -> bool:
    if isinstance(node, ast.Set | ast.SetComp | ast.Compare):
        return True
    if isinstance(node, ast.Call) and dotted_name(node.func) in {"set", "frozenset"}:
        return True
    return facts.kinds.get(dotted_name(node) or "") in {"set", "dict", "counter"}


def _bit_manipulation(facts: CodeFacts) -> bool:
    hits = 0
    for node in facts.nodes:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            hits += 1
        elif isinstance(node, ast.BinOp | ast.AugAssign) and isinstance(node.op, _BIT_OPS):
            left = node.left if isinstance(node, ast.BinOp) else node.target
            if not (
                _is_setlike(left, facts)
                or _is_setlike(node.value if isinstance(node, ast.AugAssign) else node.right, facts)
            ):
                hits += 1
    return hits >= (3 if facts.uses_module("numpy") else 1)


def _number_theory(facts: CodeFacts) -> bool:
    if facts.calls_any("math.gcd", "math.lcm", "math.isqrt", "sympy.isprime", "sympy.factorint"):
        return True
    if any(
        len(c.args) == 3
        for c in facts.nodes
        if isinstance(c, ast.Call) and dotted_name(c.func) == "pow"
    ):
        return True
    names = {f.name.lower() for f in facts.functions}
    return any(re.search(r"prime|sieve|gcd|lcm|divisor|factori[sz]", n) for n in names)


def _counting(facts: CodeFacts) -> bool:
    if facts.calls_any("collections.Counter"):
        return True
    for node in facts.nodes:
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.op, ast.Add)
            and isinstance(node.target, ast.Subscript)
            and facts.kinds.get(dotted_name(node.target.value) or "") in {"dict", "counter"}
        ):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and len(node.args) == 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value == 0
        ):
            return True
    return False


def _sort_calls(facts: CodeFacts) -> list[ast.Call]:
    return [
        n
        for n in facts.nodes
        if isinstance(n, ast.Call)
        and (
            dotted_name(n.func) == "sorted"
            or (isinstance(n.func, ast.Attribute) and n.func.attr == "sort" and not n.args)
        )
    ]


def _sorting_with_key(facts: CodeFacts) -> bool:
    return any(k.arg == "key" for c in _sort_calls(facts) for k in c.keywords)


def _sorting(facts: CodeFacts) -> bool:
    return bool(_sort_calls(facts)) and not _sorting_with_key(facts)


def _string_manipulation(facts: CodeFacts) -> bool:
    used = set(facts.method_calls) & _STR_METHODS
    used |= set(facts.builtin_calls) & {"ord", "chr"}
    return len(used) >= 2


def _digit_manipulation(facts: CodeFacts) -> bool:
    ops = [
        n
        for n in facts.nodes
        if isinstance(n, ast.BinOp | ast.AugAssign)
        and isinstance(n.op, ast.Mod | ast.FloorDiv)
        and isinstance(getattr(n, "right", getattr(n, "value", None)), ast.Constant)
        and getattr(getattr(n, "right", getattr(n, "value", None)), "value", None) == 10
    ]
    return len(ops) >= 2


def _math(facts: CodeFacts) -> bool:
    return facts.calls_any(*_MATH_MODULES) or any(
        isinstance(n, ast.Attribute) and dotted_name(n) in {"math.pi", "math.e", "math.inf"}
        for n in facts.nodes
    )


#: Detectors by canonical technique name, most specific first (the order results come in).
_DETECTORS: dict[str, Callable[[CodeFacts], bool]] = {
    "dynamic programming": detect_table_dp,
    "memoization": _memoization,
    "binary search": detect_binary_search,
    "bfs": detect_bfs,
    "dfs": lambda f: detect_stack_dfs(f) or _tree_or_graph_recursion(f),
    "backtracking": _backtracking,
    "divide and conquer": _divide_and_conquer,
    "shortest path": _shortest_path,
    "topological sort": _topological,
    "two pointers": detect_two_pointers,
    "sliding window": detect_sliding_window,
    "prefix sum": detect_prefix_sum,
    "greedy": detect_greedy,
    "bit manipulation": _bit_manipulation,
    "number theory": _number_theory,
    "combinatorics": lambda f: f.calls_any(
        "math.comb", "math.perm", "math.factorial", "scipy.special.comb"
    ),
    "enumeration": lambda f: f.calls_any(
        "itertools.permutations", "itertools.combinations", "itertools.product"
    ),
    "counting": _counting,
    "sorting with key": _sorting_with_key,
    "sorting": _sorting,
    "recursion": lambda f: bool(f.recursive),
    "regular expressions": lambda f: f.calls_any("re", "regex"),
    "string manipulation": _string_manipulation,
    "linear algebra": lambda f: (
        f.calls_any("numpy.linalg", "numpy.dot", "numpy.matmul", "scipy.linalg")
        or any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) for n in f.nodes)
    ),
    "numerical methods": lambda f: (
        detect_convergence(f)
        or f.calls_any("scipy.optimize", "scipy.integrate", "scipy.interpolate", "numpy.polyfit")
    ),
    "simulation": detect_simulation,
    "randomization": lambda f: f.calls_any("random", "numpy.random"),
    "digit manipulation": _digit_manipulation,
    "math": _math,
}

#: Canonical technique names, most specific first.
TECHNIQUE_ORDER: tuple[str, ...] = tuple(_DETECTORS)


def detect_techniques(facts: CodeFacts) -> list[str]:
    """Technique names found in the code, most specific first."""
    return [name for name in TECHNIQUE_ORDER if _DETECTORS[name](facts)]
