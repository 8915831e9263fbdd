"""Library API calls of data-science code, resolved through imports and simple types.

``import pandas as pd; df = pd.read_csv(p); df.groupby("k")`` gives
``pandas.read_csv`` and ``pandas.DataFrame.groupby``.

>>> from adr_graph.extract.pycode import code_facts, parse_code
>>> src = ("import pandas as pd\\ndef f(p):\\n"
...        "    df = pd.read_csv(p)\\n    return df.groupby('k').sum()")
>>> library_calls(code_facts(parse_code(src)))
['pandas.read_csv', 'pandas.DataFrame.groupby', 'pandas.DataFrame.sum']
"""

from __future__ import annotations

import ast
import re
from collections import Counter

from adr_graph.extract.pycode import CodeFacts, dotted_name, resolve_name
from adr_graph.lexicons import lexicon

__all__ = ["AXES_METHODS", "FRAME_METHODS", "library_calls", "rank_apis", "variable_types"]

#: API words are data: schema/lexicons/data_science.toml
_LEX = lexicon("data_science")
FRAME_METHODS = _LEX.words["frame_methods"].words
AXES_METHODS = _LEX.words["axes_methods"].words
_AMBIGUOUS = _LEX.words["ambiguous_methods"].words
_FRAME_NAME = re.compile(r"df|frame|data|series|^s$|col|table|grouped|^g$|result", re.IGNORECASE)
_SERIES_ONLY = frozenset({"between", "unique", "tolist", "map", "to_frame"})
_ACCESSORS = frozenset({"str", "dt", "cat"})
_FRAME_MAKERS = (
    "pandas.DataFrame",
    "pandas.read_",
    "pandas.concat",
    "pandas.merge",
    "pandas.pivot_table",
    "pandas.crosstab",
    "pandas.get_dummies",
    "pandas.json_normalize",
)
_NUMPY_MAKERS = (
    "numpy.array",
    "numpy.zeros",
    "numpy.ones",
    "numpy.arange",
    "numpy.linspace",
    "numpy.random.",
    "numpy.asarray",
    "numpy.empty",
    "numpy.full",
)
_LOW_VALUE = _LEX.words["low_value_apis"].words
_LOW_METHODS = _LEX.words["low_value_methods"].words


def _type_of_call(qualified: str) -> str | None:
    if qualified.startswith(_FRAME_MAKERS):
        return "pandas.DataFrame"
    if qualified in {"pandas.Series", "pandas.to_datetime"}:
        return "pandas.Series"
    if qualified.startswith(_NUMPY_MAKERS):
        return "numpy.ndarray"
    if qualified in {
        "matplotlib.pyplot.gca",
        "matplotlib.pyplot.subplot",
        "matplotlib.pyplot.axes",
    }:
        return "matplotlib.axes.Axes"
    if qualified == "matplotlib.pyplot.figure":
        return "matplotlib.figure.Figure"
    last = qualified.rsplit(".", 1)[-1]
    if qualified.startswith(("sklearn.", "scipy.", "statsmodels.")) and last[:1].isupper():
        return qualified
    return None


def variable_types(facts: CodeFacts) -> dict[str, str]:
    """Qualified type of names assigned from constructors, factories or annotations."""
    types: dict[str, str] = {}
    for node in facts.nodes:
        if isinstance(node, ast.arg) and node.annotation is not None:
            qualified = resolve_name(node.annotation, facts.imports)
            if qualified and qualified.endswith(("DataFrame", "Series", "ndarray")):
                types.setdefault(node.arg, qualified)
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        qualified = resolve_name(node.value.func, facts.imports) or ""
        target = node.targets[0]
        if qualified == "matplotlib.pyplot.subplots" and isinstance(target, ast.Tuple):
            names = [dotted_name(e) for e in target.elts]
            kinds = ["matplotlib.figure.Figure", "matplotlib.axes.Axes"]
            types.update({n: k for n, k in zip(names, kinds, strict=False) if n})
            continue
        kind = _type_of_call(qualified)
        name = dotted_name(target)
        if kind and name:
            types.setdefault(name, kind)
    return types


def _method_api(node: ast.Attribute, facts: CodeFacts, types: dict[str, str]) -> str | None:
    method, receiver = node.attr, node.value
    if isinstance(receiver, ast.Attribute) and receiver.attr in _ACCESSORS:
        return f"pandas.Series.{receiver.attr}.{method}" if facts.uses_module("pandas") else None
    owner = types.get(dotted_name(receiver) or "")
    if owner == "numpy.ndarray":
        return f"numpy.ndarray.{method}"
    if owner and not owner.startswith("pandas."):
        return f"{owner}.{method}"
    name = (dotted_name(receiver) or "").rsplit(".", 1)[-1].lower()
    if (
        facts.uses_module("matplotlib")
        and method in AXES_METHODS
        and (name.startswith("ax") or (owner is None and method not in FRAME_METHODS))
    ):
        return f"matplotlib.axes.Axes.{method}"
    if method in FRAME_METHODS and (owner or facts.uses_module("pandas")):
        if owner is None and method in _AMBIGUOUS and not _frame_like(receiver):
            return None
        kind = "Series" if method in _SERIES_ONLY else "DataFrame"
        return f"{owner or 'pandas.' + kind}.{method}"
    return None


def _frame_like(receiver: ast.AST) -> bool:
    """A receiver that looks like a DataFrame/Series: ``df[...]``, ``df.x.y()``, a chain."""
    if isinstance(receiver, ast.Subscript):
        return _frame_like(receiver.value)
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute):
        return receiver.func.attr in FRAME_METHODS - _AMBIGUOUS or _frame_like(receiver.func.value)
    if isinstance(receiver, ast.Attribute):
        return receiver.attr in {"loc", "iloc", "T", "values", "index", "columns"} or (
            _frame_like(receiver.value)
        )
    name = dotted_name(receiver) or ""
    return bool(_FRAME_NAME.search(name.rsplit(".", 1)[-1]))


def library_calls(facts: CodeFacts) -> list[str]:
    """Every library call in source order (repeats kept, for counting)."""
    types = variable_types(facts)
    calls = sorted(
        (n for n in facts.nodes if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset, n.end_col_offset or 0),
    )
    found = []
    for call in calls:
        api = resolve_name(call.func, facts.imports)
        if api is None and isinstance(call.func, ast.Attribute):
            api = _method_api(call.func, facts, types)
        if api and not api.startswith("typing."):
            found.append(api)
    return found


def _weight(api: str) -> float:
    if api in _LOW_VALUE or api.rsplit(".", 1)[-1] in _LOW_METHODS:
        return 0.3
    return 1.0


def rank_apis(calls: list[str], *, limit: int = 6) -> list[str]:
    """The ``limit`` most relevant APIs: weighted count, then first appearance.

    >>> rank_apis(["pandas.DataFrame", "numpy.mean", "pandas.DataFrame", "numpy.mean"])
    ['numpy.mean', 'pandas.DataFrame']
    """
    counts = Counter(calls)
    first = {api: i for i, api in reversed(list(enumerate(calls)))}
    ranked = sorted(counts, key=lambda a: (-_weight(a) * counts[a], first[a]))
    return ranked[:limit]
