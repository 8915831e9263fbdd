"""Static extraction for the ``algorithm`` domain.

>>> from adr_graph.records import Seed
>>> seed = Seed(id="s/1", domain="algorithm", source="x", license="MIT",
...             statement="Return the index of x in the sorted list a.",
...             solution="import bisect\\ndef f(a, x):\\n    return bisect.bisect_left(a, x)")
>>> [(f.slot, f.name) for f in extract_algorithm(seed) if f.slot == "technique"]
[('technique', 'binary search')]
"""

from __future__ import annotations

import ast
import re
from typing import Any

from adr_graph.extract.constraints import find_constraints, normalise_math_text
from adr_graph.extract.found import Found
from adr_graph.extract.lexicon import best_keyword, pick_labels
from adr_graph.extract.patterns import TECHNIQUE_ORDER, detect_techniques, has_loop
from adr_graph.extract.pycode import (
    CodeFacts,
    annotation_kind,
    code_facts,
    dotted_name,
    parse_code,
)
from adr_graph.extract.structures import STRUCTURE_ORDER, detect_structures
from adr_graph.lexicons import lexicon
from adr_graph.records import Seed

__all__ = [
    "extract_algorithm",
    "signature_structures",
    "text_structures",
    "topic_atoms",
]


_SCENARIO_TABLE = lexicon("algorithm").keywords["scenarios"]
SCENARIOS = _SCENARIO_TABLE.as_lexicon()
FALLBACK_SCENARIO = _SCENARIO_TABLE.fallback or "general computation"
LEETCODE_TOPICS = lexicon("algorithm").slot_maps["leetcode_topics"]

_TEXT_STRUCTURES: tuple[tuple[str, str], ...] = (
    ("linked list", r"linked list|\blistnode\b"),
    ("binary tree", r"binary tree|\btreenode\b"),
    ("graph", r"\bgraph\b|\bedges?\b.*\bnodes?\b"),
    ("matrix", r"\bmatrix\b|\bgrid\b|list of lists|2d (?:array|list)|list\[list\["),
    ("hash map", r"\bdict(?:ionary)?\b|\bmapping\b"),
    ("string", r"\bstring\b|\bstr\b"),
    ("array", r"\barray\b|\blist\b|\bnums\b|list\[|\bsequence\b"),
    ("scalar values", r"\bint(?:eger)?s?\b|\bfloats?\b|\bnumbers?\b"),
)


def topic_atoms(topics: Any) -> list[Found]:
    """Atoms for LeetCode-style topic tags (a list, or one comma-separated string)."""
    if isinstance(topics, str):
        topics = topics.split(",")
    if not isinstance(topics, list | tuple):
        return []
    found = []
    for topic in topics:
        tag = str(topic).strip()
        for slot, name in LEETCODE_TOPICS.get(tag.lower(), ()):
            found.append(Found(slot, name, f"from topic tag {tag!r}"))
    return found


def text_structures(text: str, *, limit: int = 2) -> list[str]:
    """Data structures named in statement text, most specific first."""
    lowered = text.lower()
    names = [name for name, pattern in _TEXT_STRUCTURES if re.search(pattern, lowered)]
    return names[:limit]


_CLASS_STRUCTURES = {
    "TreeNode": "binary tree",
    "ListNode": "linked list",
    "Node": "tree",
    "NestedInteger": "tree",
    "Interval": "array",
}
_KIND_NAMES = {
    "list": "array",
    "matrix": "matrix",
    "str": "string",
    "dict": "hash map",
    "set": "hash set",
    "tuple": "tuple",
    "deque": "deque",
}


def _signatures(meta: dict[str, Any]) -> list[str]:
    sigs = [str(m.get("signature")) for m in meta.get("methods") or [] if isinstance(m, dict)]
    if isinstance(meta.get("signature"), str):
        sigs.append(meta["signature"])
    return [s for s in sigs if s.startswith("(")]


def signature_structures(meta: dict[str, Any]) -> list[str]:
    """Data structures named by method signatures in metadata (LeetCode style).

    >>> signature_structures({"signature": "(self, grid: list[list[int]]) -> int"})
    ['matrix']
    """
    names: list[str] = []
    for sig in _signatures(meta):
        tree = parse_code(f"def _f{sig}:\n    pass\n")
        func = tree.body[0] if tree is not None and tree.body else None
        if not isinstance(func, ast.FunctionDef):
            continue
        for arg in [*func.args.args, *func.args.kwonlyargs]:
            text = ast.unparse(arg.annotation) if arg.annotation is not None else ""
            names += [v for k, v in _CLASS_STRUCTURES.items() if re.search(rf"\b{k}\b", text)]
            kind = annotation_kind(arg.annotation)
            if kind in _KIND_NAMES and not names:
                names.append(_KIND_NAMES[kind])
    return list(dict.fromkeys(names))


_RANKS = {
    "technique": {n: i for i, n in enumerate(TECHNIQUE_ORDER)},
    "data_structure": {n: i for i, n in enumerate(STRUCTURE_ORDER)},
}


def _specificity(found: Found) -> int:
    """Sort key: most specific technique / structure first; other slots keep order."""
    ranks = _RANKS.get(found.slot)
    if ranks is None:
        return 0
    if found.name in {"iteration", "direct computation", "scalar values"}:
        return len(ranks) + 1
    return ranks.get(found.name, len(ranks) // 2)


def _code_atoms(facts: CodeFacts) -> list[Found]:
    techniques = detect_techniques(facts)
    if not techniques:
        techniques = ["iteration"] if has_loop(facts) else ["direct computation"]
    found = [Found("technique", t, "detected in the reference solution") for t in techniques]
    found += [
        Found("data_structure", d, "built or used by the reference solution")
        for d in detect_structures(facts)
    ]
    return found


def _reads_stdin(facts: CodeFacts) -> bool:
    if "input" in facts.builtin_calls or facts.calls_any("sys.stdin", "fileinput"):
        return True
    return any(dotted_name(n) == "sys.stdin" for n in facts.nodes if isinstance(n, ast.Attribute))


def _io_format(seed: Seed, facts: CodeFacts | None) -> Found:
    meta = seed.metadata
    topics = (
        [str(t).lower() for t in meta.get("topics") or []]
        if isinstance(meta.get("topics"), list)
        else str(meta.get("topics") or "").lower()
    )
    if facts is not None and _reads_stdin(facts):
        return Found("io_format", "stdin/stdout", "reads standard input, prints the answer")
    class_name = meta.get("class_name") or meta.get("solution_class_name")
    if "design" in topics or class_name not in (None, "Solution"):
        return Found("io_format", "stateful class design", "a class whose methods are called")
    if meta.get("topics") is not None or "class Solution" in (seed.solution or seed.statement):
        return Found("io_format", "class method", "a method of class Solution")
    return Found("io_format", "function arguments and return", "arguments in, return value out")


def _scenario_atoms(text: str) -> list[Found]:
    """The statement's strongest subject word under each keyword family picked (the fine
    scenario atom), or the family itself when only weak or pattern keywords matched."""
    labels = pick_labels(text, SCENARIOS) or [FALLBACK_SCENARIO]
    out = []
    for label in labels:
        strong = SCENARIOS[label][0] if label in SCENARIOS else ()
        word = best_keyword(text, strong)
        out.append(Found("scenario", word or label, f"keywords of {label!r} in the statement"))
    return out


def _statement_text(seed: Seed) -> str:
    parts = [seed.statement]
    for key in ("constraints", "io_spec"):
        value = seed.metadata.get(key)
        if isinstance(value, str) and value not in seed.statement:
            parts.append(value)
    return normalise_math_text("\n".join(parts))


def _constraint_atoms(seed: Seed, text: str) -> list[Found]:
    found = [Found("constraint", c, "stated in the task") for c in find_constraints(text)]
    if seed.metadata.get("input_generator") and not any(
        f.name.startswith("input size") for f in found
    ):
        found += [
            Found("constraint", c, "from the input generator")
            for c in _generator_sizes(str(seed.metadata["input_generator"]))
        ]
    return found


def _generator_sizes(code: str) -> list[str]:
    tree = parse_code(code)
    if tree is None:
        return []
    highs = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and dotted_name(node.func) == "range"
            and node.args
            and isinstance(node.args[-1], ast.Call)
            and (dotted_name(node.args[-1].func) or "").endswith("randint")
            and len(node.args[-1].args) == 2
            and isinstance(node.args[-1].args[1], ast.Constant)
        ):
            value = node.args[-1].args[1].value
            if isinstance(value, int) and value > 0:
                highs.append(value)
    if not highs:
        return []
    return find_constraints(f"1 <= n <= {max(highs)}")[:1]


def extract_algorithm(seed: Seed) -> list[Found]:
    """Technique, data structure, scenario, constraint and io_format elements."""
    tree = parse_code(seed.solution)
    facts = code_facts(tree) if tree is not None else None
    found = topic_atoms(seed.metadata.get("topics"))
    if facts is not None:
        found += _code_atoms(facts)
    text = _statement_text(seed)
    if not any(f.slot == "data_structure" for f in found):
        found += [
            Found("data_structure", d, "from the method signature")
            for d in signature_structures(seed.metadata)
        ]
    if not any(f.slot == "data_structure" for f in found):
        inputs = re.split(r"\n\s*output\s*:", text, maxsplit=1, flags=re.IGNORECASE)[0]
        found += [
            Found("data_structure", d, "named in the statement")
            for d in text_structures(inputs) or ["scalar values"]
        ]
    if not any(f.slot == "technique" for f in found):
        found.append(Found("technique", "iteration", "no specific technique recognised"))
    found = sorted(found, key=_specificity)
    scenario_text = " ".join([str(seed.metadata.get("title") or ""), text])
    found += _scenario_atoms(scenario_text)
    found += _constraint_atoms(seed, text)
    found.append(_io_format(seed, facts))
    return found
