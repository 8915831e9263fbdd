"""Constraint phrases from statement text: size bounds, value ranges, complexity.

Bounds are bucketed to the nearest power of ten so that ``5 * 10^4`` and ``10^5``
become one atom; big-O bounds become canonical classes over ``n, m, k, V, E, h``
(:func:`~adr_graph.extract.complexity.canonical_big_o`), so no atom is named after a
statement's variables.

>>> find_constraints("- 1 <= nums.length <= 10^5\\n- -10^9 <= nums[i] <= 10^9")
['input size up to 1e5', 'values up to 1e9', 'negative values allowed']
>>> find_constraints("Follow up: O(nums1.length + nums2.length) time, O(rowIndex) extra space")
['time complexity O(n + m)', 'space complexity O(n)']
"""

from __future__ import annotations

import ast
import html
import math
import re

from adr_graph.extract.complexity import canonical_big_o

__all__ = ["find_constraints", "normalise_math_text", "parse_bound"]

_NUM = r"-?\d[\d,]*(?:\.\d+)?(?:[ \t]*(?:\^|\*\*|\*|\u00d7|\+|-)[ \t]*-?\d[\d,]*)*(?:e\d+)?"
_BOUND_RE = re.compile(
    rf"(?P<lo>{_NUM})\s*(?:<=|<)\s*(?P<var>[A-Za-z_][^<>=\n;]{{0,60}}?)\s*(?:<=|<)\s*(?P<hi>{_NUM})"
)
_UPPER_RE = re.compile(
    rf"(?P<var>[A-Za-z_][\w.\[\]()]{{0,40}})\s*<=\s*(?P<hi>{_NUM})(?!\s*(?:<|\d))"
)
_BIG_O_RE = re.compile(r"\bO\(\s*([^()]{1,30}?(?:\([^()]*\))?[^()]{0,20}?)\s*\)")
_SIZE_VAR = re.compile(
    r"length|len\(|\.size|size|^n$|^m$|number of|count|^q$|queries|nodes"
    r"|edges|^n\s*,|, *n$",
    re.IGNORECASE,
)
_CALLS_RE = re.compile(r"at most\s+(" + _NUM + r")\s+calls", re.IGNORECASE)


def normalise_math_text(text: str) -> str:
    """Unescape HTML, turn ``<sup>``/``<sub>`` into ``^``/``_`` and drop markup.

    >>> normalise_math_text("<code>1 &lt;= n &lt;= 10<sup>5</sup></code>")
    '1 <= n <= 10^5'
    """
    text = re.sub(r"<sup>\s*", "^", text, flags=re.IGNORECASE)
    text = re.sub(r"<sub>\s*", "_", text, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]{1,40}>", "", text)
    text = html.unescape(text).replace("\u2264", "<=").replace("\u2265", ">=")
    return text.replace("`", "").replace("\u00a0", " ").replace("$", "")


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval_node(node.operand)
    if isinstance(node, ast.BinOp):
        left, right = _eval_node(node.left), _eval_node(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) <= 400:
            return float(left**right)
        ops = {ast.Add: left + right, ast.Sub: left - right, ast.Mult: left * right}
        for op_type, value in ops.items():
            if isinstance(node.op, op_type):
                return value
    raise ValueError("unsupported bound expression")


def parse_bound(text: str) -> float | None:
    """Numeric value of a bound such as ``2 * 10^4`` or ``2^31 - 1``; ``None`` if unclear.

    >>> parse_bound("2 * 10^4"), parse_bound("2^31 - 1"), parse_bound("1,000")
    (20000.0, 2147483647.0, 1000.0)
    """
    expr = text.replace(",", "").replace("^", "**").replace("\u00d7", "*")
    try:
        return _eval_node(ast.parse(expr.strip(), mode="eval").body)
    except (SyntaxError, ValueError, OverflowError, RecursionError):
        return None


def _bucket(value: float) -> str:
    exponent = max(0, round(math.log10(value))) if value >= 1 else 0
    return f"1e{exponent}"


def _bounds(text: str) -> list[tuple[str, float, float | None]]:
    found = [
        (m["var"].strip(), parse_bound(m["hi"]), parse_bound(m["lo"]))
        for m in _BOUND_RE.finditer(text)
    ]
    if not found:
        found = [(m["var"].strip(), parse_bound(m["hi"]), None) for m in _UPPER_RE.finditer(text)]
    return [(var, hi, lo) for var, hi, lo in found if hi is not None]


_KIND_AFTER = re.compile(
    r"[ \t]*(?:amorti[sz]ed[ \t]+|extra[ \t]+|additional[ \t]+|auxiliary[ \t]+)?"
    r"(time|runtime|space|memory)\b",
    re.IGNORECASE,
)
_KIND_BEFORE = re.compile(r"\b(time|runtime|space|memory)\b", re.IGNORECASE)


def _bound_kind(text: str, start: int, end: int) -> str:
    """``space`` or ``time`` for the bound at ``text[start:end]``: the word right after it
    (``O(n) time``, ``O(1) extra space``), else the last such word in the 40 characters
    before it on its line (``Space: O(1)``), else time.

    >>> keon = "Time: O(n)" + chr(10) + "Space: O(1)"
    >>> _bound_kind(keon, 6, 10), _bound_kind(keon, 18, 22)
    ('time', 'space')
    >>> _bound_kind("in O(1) extra memory.", 3, 7)
    'space'
    """
    right = _KIND_AFTER.match(text, end)
    if right:
        word = right.group(1)
    else:
        words = _KIND_BEFORE.findall(text[max(0, start - 40) : start].rsplit("\n", 1)[-1])
        word = words[-1] if words else "time"
    return "space" if word.lower() in ("space", "memory") else "time"


def _complexities(text: str) -> list[str]:
    """Stated complexity bounds as canonical classes; unparsable ones give no atom."""
    names = []
    for match in _BIG_O_RE.finditer(text):
        inner = canonical_big_o(re.sub(r"\s+", " ", match.group(1)).strip())
        if inner is None:
            continue
        kind = _bound_kind(text, match.start(), match.end())
        if kind == "space" and inner == "1":
            names.append("constant extra space")
        else:
            names.append(f"{kind} complexity O({inner})")
    return names


def find_constraints(text: str) -> list[str]:
    """Canonical constraint phrases found in ``text`` (statement plus constraint list)."""
    text = normalise_math_text(text)
    sizes: list[float] = []
    values: list[float] = []
    negative = False
    for var, hi, lo in _bounds(text):
        is_size = _SIZE_VAR.search(var) is not None and abs(hi) <= 1e6
        (sizes if is_size else values).append(abs(hi))
        negative = negative or (lo is not None and lo < 0)
    names = []
    if sizes:
        names.append(f"input size up to {_bucket(max(sizes))}")
    if values:
        names.append(f"values up to {_bucket(max(values))}")
    if negative:
        names.append("negative values allowed")
    calls = [parse_bound(m.group(1)) for m in _CALLS_RE.finditer(text)]
    if any(c for c in calls):
        names.append(f"up to {_bucket(max(c for c in calls if c))} operations")
    names.extend(_complexities(text))
    lowered = text.lower()
    if re.search(r"\bin[- ]place\b", lowered):
        names.append("in-place modification")
    if re.search(r"constant (?:extra )?(?:space|memory)", lowered):
        names.append("constant extra space")
    return list(dict.fromkeys(names))
