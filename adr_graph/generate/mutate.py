"""AST mutants of a reference solution, for measuring how strong a task's tests are.

Each mutant changes one site: a comparison operator (``<`` <-> ``<=``, ``==`` <-> ``!=``
...), an arithmetic operator (``+`` <-> ``-``, ``*`` <-> ``//``...), an integer constant
(``n`` -> ``n + 1``), a boolean operator (``and`` <-> ``or``) or a ``return`` of a
constant. Mutants are source text only; they run in the sandbox like any other code.

>>> mutants = ast_mutants("def f(a, b):\\n    return a + b if a < b else a\\n")
>>> len(mutants) >= 2 and all("def f" in m for m in mutants)
True
"""

from __future__ import annotations

import ast
import random
from collections.abc import Iterator

__all__ = ["ast_mutants"]

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Div: ast.Mult,
}


def _sites(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(node index in ast.walk order, kind) of every mutable site."""
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _COMPARE_SWAPS:
            yield index, "compare"
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAPS:
            yield index, "binop"
        elif isinstance(node, ast.BoolOp):
            yield index, "boolop"
        elif (
            isinstance(node, ast.Constant)
            and type(node.value) is int
            and not isinstance(node.value, bool)
        ):
            yield index, "constant"


def _apply(tree: ast.AST, target: int, kind: str) -> None:
    for index, node in enumerate(ast.walk(tree)):
        if index != target:
            continue
        if kind == "compare" and isinstance(node, ast.Compare):
            node.ops[0] = _COMPARE_SWAPS[type(node.ops[0])]()
        elif kind == "binop" and isinstance(node, ast.BinOp):
            node.op = _BINOP_SWAPS[type(node.op)]()
        elif kind == "boolop" and isinstance(node, ast.BoolOp):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif kind == "constant" and isinstance(node, ast.Constant) and type(node.value) is int:
            node.value = int(node.value) + 1
        return


def ast_mutants(source: str, limit: int = 12, seed: int = 0) -> list[str]:
    """Up to ``limit`` distinct one-site mutants of ``source`` (a fixed random choice).

    Returns ``[]`` when ``source`` does not parse.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    original = ast.unparse(tree)
    sites = list(_sites(tree))
    random.Random(seed).shuffle(sites)
    out: list[str] = []
    for index, kind in sites:
        mutated = ast.parse(source)
        _apply(mutated, index, kind)
        text = ast.unparse(mutated)
        if text != original and text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out
