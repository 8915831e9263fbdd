"""Static extraction for the ``tool_usage`` domain (BFCL-style metadata).

>>> from adr_graph.records import Seed
>>> seed = Seed(id="t/1", domain="tool_usage", source="x", license="MIT",
...             statement="What is the weather in Paris and in Rome?",
...             metadata={"category": "parallel", "functions": [
...                 {"name": "get_weather", "description": "Current weather for a city."}]})
>>> [(f.slot, f.name) for f in extract_tool_usage(seed)][:3]
[('objective', 'weather lookup'), ('tool', 'get_weather'), ('logic_constraint', 'parallel calls')]
"""

from __future__ import annotations

import ast
import re
from typing import Any

from adr_graph.extract.found import Found
from adr_graph.extract.lexicon import pick_labels, rank_labels
from adr_graph.lexicons import lexicon
from adr_graph.records import Seed

__all__ = ["category_of", "extract_tool_usage", "parse_call"]

_LEX = lexicon("tool_usage")
OBJECTIVES = _LEX.keywords["objectives"].as_lexicon()
FALLBACK_OBJECTIVE = _LEX.keywords["objectives"].fallback or "general request"
CLASS_TOOLS = _LEX.maps["class_tools"].entries
CLASS_OBJECTIVES = _LEX.maps["class_objectives"].entries
_DESCRIPTION_LIMIT = 200

_LOGIC: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("parallel_multiple", ("parallel multiple",)),
    ("parallel", ("parallel calls",)),
    ("multiple", ("choose among multiple tools",)),
    ("irrelevance", ("irrelevance detection",)),
    ("relevance", ("relevance detection",)),
    ("multi_turn_miss_param", ("multi-turn", "missing parameter (ask user)")),
    ("multi_turn_miss_func", ("multi-turn", "missing function")),
    ("multi_turn_long_context", ("multi-turn", "long context")),
    ("multi_turn", ("multi-turn",)),
    ("memory", ("memory recall",)),
    ("web_search", ("web search",)),
    ("simple", ("single call",)),
)


def category_of(seed_id: str, metadata: dict[str, Any]) -> str:
    """Normalised BFCL category, from metadata or else from the seed id.

    >>> category_of("bfcl/live_multiple_5-3-0", {})
    'live_multiple'
    """
    raw = str(metadata.get("category") or "").strip().lower()
    if not raw:
        raw = seed_id.rsplit("/", 1)[-1]
        raw = re.sub(r"_\d+(?:-.*)?$", "", raw)
    return re.sub(r"^bfcl_v\d+_", "", raw)


def _logic(category: str) -> list[str]:
    base = category.removeprefix("live_")
    for key, names in _LOGIC:
        if base.startswith(key):
            return list(names)
    return ["single call"] if not category.startswith(("memory", "web")) else []


def _interface(category: str) -> str:
    if category.startswith(("multi_turn", "memory")):
        return "multi-turn chat with stateful environment"
    if category.endswith("_java"):
        return "java function specs"
    if category.endswith("_javascript"):
        return "javascript function specs"
    if category.startswith("live_"):
        return "live user query"
    if category.startswith("web_search"):
        return "single chat turn with web search tools"
    return "single chat turn with JSON-schema function specs"


def _calls(truth: Any) -> list[Any]:
    if isinstance(truth, list):
        return [c for item in truth for c in (item if isinstance(item, list) else [item])]
    return []


def _output_spec(category: str, truth: Any) -> str:
    if category.startswith(("memory", "web_search")):
        return "final text answer"
    if "irrelevance" in category:
        return "no function call (abstain)"
    if category.startswith("multi_turn"):
        return "ordered call sequence per turn"
    calls = _calls(truth)
    if len(calls) > 1 or "parallel" in category:
        return "several function calls"
    return "single function call with typed arguments"


def parse_call(text: str) -> tuple[str, dict[str, Any]] | None:
    """Name and literal keyword arguments of a call written as Python source.

    >>> parse_call("place_order(symbol='AAPL', amount=100)")
    ('place_order', {'symbol': 'AAPL', 'amount': 100})
    """
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not isinstance(node, ast.Call):
        return None
    name = ast.unparse(node.func)
    args: dict[str, Any] = {}
    for kw in node.keywords:
        try:
            args[kw.arg or "**"] = ast.literal_eval(kw.value)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            continue
    return name, args


def _has_dependency(statement: str, truth: Any) -> bool:
    """A later call uses a number that the user never typed (it came from a result)."""
    parsed = [p for p in (parse_call(c) for c in _calls(truth) if isinstance(c, str)) if p]
    text = statement.lower()
    for _, args in parsed[1:]:
        for value in args.values():
            if (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and abs(value) >= 10
                and str(value).lower() not in text
            ):
                return True
    return False


_FAMILY_RE = re.compile(r"belongs to the ([A-Z]\w+)")


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _families(metadata: dict[str, Any], functions: list[dict[str, Any]]) -> list[str]:
    classes = [str(c) for c in _listed(metadata.get("involved_classes"))]
    if not classes and str(metadata.get("category") or "").startswith("multi_turn"):
        classes = [
            m.group(1)
            for f in functions
            for m in [_FAMILY_RE.search(str(f.get("description") or ""))]
            if m
        ]
    return list(dict.fromkeys(classes))


def _tools(metadata: dict[str, Any], used: set[str]) -> list[Found]:
    functions = [f for f in _listed(metadata.get("functions")) if isinstance(f, dict)]
    found = [
        Found("tool", cls, CLASS_TOOLS.get(cls, "stateful tool family"))
        for cls in _families(metadata, functions)
    ]
    if found and used:
        functions = [f for f in functions if str(f.get("name", "")).rsplit(".", 1)[-1] in used]
    elif found:
        functions = []
    for func in functions:
        name = str(func.get("name") or "").strip()
        if name:
            desc = " ".join(str(func.get("description") or "").split())
            # BFCL's multi-turn specs open with the API's shared blurb; keep the tool's own part
            desc = desc.rsplit("Tool description:", 1)[-1].strip()
            found.append(Found("tool", name, desc[:_DESCRIPTION_LIMIT]))
    return found


def _objective(statement: str, metadata: dict[str, Any]) -> list[str]:
    classes = [
        str(c) for c in _listed(metadata.get("involved_classes")) if str(c) in CLASS_OBJECTIVES
    ]
    ranked = [label for label, _ in rank_labels(statement, OBJECTIVES)]
    family = [CLASS_OBJECTIVES[c] for c in classes if c not in {"MemoryAPI", "WebSearchAPI"}]
    if family:
        return [next((label for label in ranked if label in family), family[0])]
    descriptions = " ".join(
        str(f.get("description") or "")
        for f in _listed(metadata.get("functions"))
        if isinstance(f, dict)
    )
    picked = (
        pick_labels(statement, OBJECTIVES, limit=1, min_score=0.5)
        or pick_labels(descriptions, OBJECTIVES, limit=1)
        or [CLASS_OBJECTIVES[c] for c in classes][:1]
    )
    return picked or [FALLBACK_OBJECTIVE]


def extract_tool_usage(seed: Seed) -> list[Found]:
    """Objective, tool, logic constraint, input interface and output spec elements."""
    meta = seed.metadata
    category = category_of(seed.id, meta)
    truth = meta.get("ground_truth")
    used = {
        p[0].rsplit(".", 1)[-1]
        for p in (parse_call(c) for c in _calls(truth) if isinstance(c, str))
        if p
    }
    found = [
        Found("objective", o, "what the user asks for") for o in _objective(seed.statement, meta)
    ]
    found += _tools(meta, used)
    logic = _logic(category)
    if category.startswith("multi_turn") and _has_dependency(seed.statement, truth):
        logic.append("argument dependencies")
    found += [Found("logic_constraint", name, f"BFCL category {category!r}") for name in logic]
    found.append(Found("input_interface", _interface(category), "how the request arrives"))
    found.append(Found("output_spec", _output_spec(category, truth), "what a correct answer is"))
    return found
