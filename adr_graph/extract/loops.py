"""Loop-shaped technique detectors: tables, pointers, queues, stacks, windows.

>>> from adr_graph.extract.pycode import code_facts, parse_code
>>> src = '''
... def fib(n):
...     dp = [0] * (n + 1)
...     dp[1] = 1
...     for i in range(2, n + 1):
...         dp[i] = dp[i - 1] + dp[i - 2]
...     return dp[n]
... '''
>>> detect_table_dp(code_facts(parse_code(src)))
True
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from adr_graph.extract.pycode import CodeFacts, dotted_name

__all__ = [
    "detect_bfs",
    "detect_binary_search",
    "detect_convergence",
    "detect_greedy",
    "detect_monotonic_stack",
    "detect_prefix_sum",
    "detect_simulation",
    "detect_sliding_window",
    "detect_stack_dfs",
    "detect_table_dp",
    "detect_two_pointers",
]

_DP_NAME = re.compile(r"dp|^f$|^memo|^table$|^best$|^opt$|^ways$", re.IGNORECASE)
_PREFIX_NAME = re.compile(r"pre|cum|acc|psum|prefix|running|sums?$", re.IGNORECASE)
_SIM_NAME = re.compile(
    r"(?:^|_)(?:n_?|num_?)?(?:steps?|iterations?|iters?|epochs?|rounds?|generations?|gens?|"
    r"ticks?|turns?|days?|trials?|simulations?|sims?|timesteps?|moves?|years?|cycles?)(?:$|_)",
    re.IGNORECASE,
)
_LoopNode = ast.For | ast.While | ast.AsyncFor


def _loops(facts: CodeFacts) -> Iterator[ast.For | ast.While | ast.AsyncFor]:
    for node in facts.nodes:
        if isinstance(node, _LoopNode):
            yield node  # facts.nodes is computed once per parse


def _root(node: ast.AST) -> str | None:
    while isinstance(node, ast.Subscript):
        node = node.value
    return dotted_name(node)


def _has_offset(node: ast.Subscript) -> bool:
    cur: ast.AST = node
    while isinstance(cur, ast.Subscript):
        if any(
            isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add | ast.Sub)
            for n in ast.walk(cur.slice)
        ):
            return True
        cur = cur.value
    return False


def _outer_refs(expr: ast.AST, root: str) -> list[ast.Subscript]:
    inner = {id(n.value) for n in ast.walk(expr) if isinstance(n, ast.Subscript)}
    return [
        n
        for n in ast.walk(expr)
        if isinstance(n, ast.Subscript) and id(n) not in inner and _root(n) == root
    ]


def _table_updates(facts: CodeFacts) -> Iterator[tuple[str, ast.AST, list[ast.Subscript], bool]]:
    """(table, rhs, references to the table in rhs, is_augmented) for loop updates."""
    for loop in _loops(facts):
        for node in facts.local(loop):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, rhs, aug = node.targets[0], node.value, False
            elif isinstance(node, ast.AugAssign):
                target, rhs, aug = node.target, node.value, True
            else:
                continue
            if not isinstance(target, ast.Subscript):
                continue
            root = _root(target)
            refs = _outer_refs(rhs, root) if root else []
            if root and refs and (any(_has_offset(r) for r in refs) or _has_offset(target)):
                yield root, rhs, refs, aug


def _self_appends(facts: CodeFacts) -> Iterator[int]:
    """For each ``xs.append(expr)``, how many times ``expr`` reads ``xs[...]``."""
    for node in facts.nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "append"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.BinOp)
        ):
            owner = dotted_name(node.func.value)
            if owner:
                yield len(_outer_refs(node.args[0], owner))


def detect_table_dp(facts: CodeFacts) -> bool:
    """A table filled in a loop from its own earlier cells (``dp[i] = dp[i-1] ...``)."""
    for root, rhs, refs, aug in _table_updates(facts):
        short = root.rsplit(".", 1)[-1]
        if _DP_NAME.search(short):
            return True
        if _PREFIX_NAME.search(short):
            continue
        minmax = any(
            isinstance(n, ast.Call) and dotted_name(n.func) in {"min", "max"} for n in ast.walk(rhs)
        )
        if minmax or len(refs) >= 2 or aug:
            return True
    return any(count >= 2 for count in _self_appends(facts))


def _running_sum(facts: CodeFacts, loop: ast.For | ast.While | ast.AsyncFor) -> bool:
    summed = {
        n.target.id
        for n in facts.local(loop)
        if isinstance(n, ast.AugAssign)
        and isinstance(n.op, ast.Add)
        and isinstance(n.target, ast.Name)
    }
    return any(
        isinstance(n, ast.Call)
        and isinstance(n.func, ast.Attribute)
        and n.func.attr == "append"
        and len(n.args) == 1
        and isinstance(n.args[0], ast.Name)
        and n.args[0].id in summed
        for n in facts.local(loop)
    )


def detect_prefix_sum(facts: CodeFacts) -> bool:
    """``itertools.accumulate``, ``cumsum``, ``pre[i+1] = pre[i] + a[i]`` or a running sum."""
    if facts.calls_any("itertools.accumulate", "numpy.cumsum") or "cumsum" in facts.method_calls:
        return True
    for root, rhs, refs, aug in _table_updates(facts):
        if (
            len(refs) == 1
            and not aug
            and isinstance(rhs, ast.BinOp)
            and isinstance(rhs.op, ast.Add)
            and not _DP_NAME.search(root)
        ):
            return True
    if any(count == 1 for count in _self_appends(facts)):
        return True
    return any(_running_sum(facts, loop) for loop in _loops(facts) if isinstance(loop, ast.For))


def _test_names(test: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(test) if isinstance(n, ast.Name)}


def _is_halving(expr: ast.AST) -> bool:
    return any(
        isinstance(n, ast.BinOp)
        and (
            (
                isinstance(n.op, ast.FloorDiv | ast.Div)
                and isinstance(n.right, ast.Constant)
                and n.right.value == 2
            )
            or (
                isinstance(n.op, ast.RShift)
                and isinstance(n.right, ast.Constant)
                and n.right.value == 1
            )
        )
        for n in ast.walk(expr)
    )


def detect_binary_search(facts: CodeFacts) -> bool:
    """``bisect`` calls, or a ``while lo < hi`` loop that halves around a midpoint."""
    if facts.calls_any("bisect"):
        return True
    for loop in _loops(facts):
        if not isinstance(loop, ast.While):
            continue
        bounds = _test_names(loop.test)
        body = facts.local(loop)
        mids = {
            t.id
            for n in body
            if isinstance(n, ast.Assign) and _is_halving(n.value) and _test_names(n.value) & bounds
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for node in body:
            if (
                isinstance(node, ast.Assign)
                and mids & _test_names(node.value)
                and any(isinstance(t, ast.Name) and t.id in bounds for t in node.targets)
            ):
                return True
    return False


def _steps(body: list[ast.AST]) -> dict[str, set[str]]:
    moves: dict[str, set[str]] = {}
    for node in body:
        if (
            isinstance(node, ast.AugAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(node.op, ast.Add | ast.Sub)
        ):
            moves.setdefault(node.target.id, set()).add(type(node.op).__name__)
    return moves


def detect_two_pointers(facts: CodeFacts) -> bool:
    """Two indices compared in a ``while`` test and moved toward each other."""
    for loop in _loops(facts):
        if not isinstance(loop, ast.While):
            continue
        moves = _steps(facts.local(loop))
        for cmp in (n for n in ast.walk(loop.test) if isinstance(n, ast.Compare)):
            left, right = cmp.left, cmp.comparators[0]
            if not (isinstance(left, ast.Name) and isinstance(right, ast.Name)):
                continue
            a, b = moves.get(left.id, set()), moves.get(right.id, set())
            if ("Add" in a and "Sub" in b) or ("Sub" in a and "Add" in b):
                return True
    return False


def detect_sliding_window(facts: CodeFacts) -> bool:
    """A ``for`` over the right edge with an inner ``while`` advancing the left edge."""
    for loop in _loops(facts):
        if not isinstance(loop, ast.For):
            continue
        outer = _test_names(loop.target)
        for inner in facts.local(loop):
            if not isinstance(inner, ast.While):
                continue
            advanced = {k for k, v in _steps(facts.local(inner)).items() if "Add" in v}
            indexed = {
                n.id
                for s in ast.walk(inner)
                if isinstance(s, ast.Subscript)
                for n in ast.walk(s.slice)
                if isinstance(n, ast.Name)
            }
            reset = {
                n.id
                for a in facts.local(loop)
                if isinstance(a, ast.Assign)
                for t in a.targets
                for n in ast.walk(t)
                if isinstance(n, ast.Name)
            }
            if (advanced - outer - reset) & indexed:
                return True
    return False


def _method_on(
    body: list[ast.AST], methods: set[str], *, no_args: bool = False, zero_arg: bool = False
) -> set[str]:
    owners = set()
    for node in body:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in methods
        ):
            if no_args and node.args:
                continue
            if zero_arg and not (
                len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value == 0
            ):
                continue
            owner = dotted_name(node.func.value)
            if owner:
                owners.add(owner)
    return owners


def detect_bfs(facts: CodeFacts) -> bool:
    """A ``while`` loop that pops from the front of a queue it also pushes to."""
    for loop in _loops(facts):
        if isinstance(loop, ast.While):
            body = facts.local(loop)
            fronts = _method_on(body, {"popleft"}) | _method_on(body, {"pop"}, zero_arg=True)
            if fronts & _method_on(body, {"append", "extend", "appendleft"}):
                return True
    return False


def detect_stack_dfs(facts: CodeFacts) -> bool:
    """``while stack: x = stack.pop(); ...; stack.append(y)``."""
    for loop in _loops(facts):
        if isinstance(loop, ast.While) and dotted_name(loop.test):
            body = facts.local(loop)
            popped = _method_on(body, {"pop"}, no_args=True)
            if dotted_name(loop.test) in popped & _method_on(body, {"append", "extend"}):
                return True
    return False


def detect_monotonic_stack(facts: CodeFacts) -> bool:
    """``while st and st[-1] < x: st.pop()`` inside a loop over the input."""
    for loop in _loops(facts):
        if not (isinstance(loop, ast.While) and isinstance(loop.test, ast.BoolOp)):
            continue
        tops = {
            _root(n)
            for n in ast.walk(loop.test)
            if isinstance(n, ast.Subscript)
            and isinstance(n.slice, ast.UnaryOp)
            and isinstance(n.slice.op, ast.USub)
        }
        if tops & _method_on(facts.local(loop), {"pop"}, no_args=True):
            return True
    return False


def _sorted_names(facts: CodeFacts, func: ast.AST) -> set[str]:
    names = set()
    for node in facts.local(func):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "sort"
            and dotted_name(node.func.value)
        ):
            names.add(str(dotted_name(node.func.value)))
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and dotted_name(node.value.func) == "sorted"
        ):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _greedy_loop(facts: CodeFacts, loop: ast.For, sorted_names: set[str]) -> bool:
    iter_names = {dotted_name(n) for n in ast.walk(loop.iter)}
    direct = any(
        isinstance(n, ast.Call) and dotted_name(n.func) == "sorted" for n in ast.walk(loop.iter)
    )
    if not (direct or iter_names & sorted_names):
        return False
    body = facts.local(loop)
    if any(isinstance(n, _LoopNode) for n in body):
        return False
    assigned = {
        n.id
        for a in body
        if isinstance(a, ast.Assign | ast.AugAssign)
        for t in (a.targets if isinstance(a, ast.Assign) else [a.target])
        for n in ast.walk(t)
        if isinstance(n, ast.Name)
    }
    targets = _test_names(loop.target)
    return any(
        isinstance(n, ast.If)
        and isinstance(n.test, ast.Compare)
        and _test_names(n.test) & assigned
        and _test_names(n.test) & targets
        for n in body
    )


def detect_greedy(facts: CodeFacts) -> bool:
    """Sort, then one flat pass whose ``if`` compares against a running choice."""
    for func in facts.functions:
        names = _sorted_names(facts, func)
        loops = [n for n in facts.local(func) if isinstance(n, ast.For)]
        if any(_greedy_loop(facts, loop, names) for loop in loops):
            return True
    return False


def detect_convergence(facts: CodeFacts) -> bool:
    """``while abs(x1 - x0) > tol``: an iterative numerical method."""
    for loop in _loops(facts):
        if not isinstance(loop, ast.While):
            continue
        names = {
            (dotted_name(n) or "").rsplit(".", 1)[-1].lower()
            for n in ast.walk(loop.test)
            if isinstance(n, ast.Name | ast.Attribute)
        }
        tiny = any(
            isinstance(n, ast.Constant) and isinstance(n.value, float) and 0 < n.value < 1e-3
            for n in ast.walk(loop.test)
        )
        if (names & {"abs", "fabs"} or tiny) and (
            tiny or any(re.search(r"eps|tol|precision|threshold|error", n) for n in names)
        ):
            return True
    return False


def detect_simulation(facts: CodeFacts) -> bool:
    """Loops over a number of steps, rounds, days or trials."""
    for loop in _loops(facts):
        probe = loop.iter if isinstance(loop, ast.For | ast.AsyncFor) else loop.test
        if isinstance(loop, ast.For | ast.AsyncFor) and not (
            isinstance(probe, ast.Call) and dotted_name(probe.func) == "range"
        ):
            continue
        names = {
            dotted_name(n) or "" for n in ast.walk(probe) if isinstance(n, ast.Name | ast.Attribute)
        }
        if any(_SIM_NAME.search(n.rsplit(".", 1)[-1]) for n in names):
            return True
    return False
