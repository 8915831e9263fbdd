"""Unit tests for the deterministic static extractor (adr_graph.extract.static)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from adr_graph.extract.constraints import find_constraints
from adr_graph.extract.static import EXTRACTOR_NAME, extract_many, extract_static
from adr_graph.hierarchy import hierarchy_spec
from adr_graph.records import AtomCandidate, ElementSchema, Seed, slugify
from adr_graph.schema import load_schemas

SCHEMAS = load_schemas()


def _seed(domain: str, statement: str, solution: str | None = None, **metadata: object) -> Seed:
    key = zlib.crc32(f"{statement}|{solution}|{sorted(metadata)}".encode())
    return Seed(
        id=f"test/{key}",
        domain=domain,
        statement=statement,
        solution=solution,
        source="unit-test",
        license="MIT",
        metadata=dict(metadata),
    )


def _run(seed: Seed) -> list[AtomCandidate]:
    return extract_static(seed, SCHEMAS[seed.domain])


def _names(candidates: list[AtomCandidate], slot: str) -> list[str]:
    return [c.name for c in candidates if c.slot == slot]


# --------------------------------------------------------------------------- real-looking seeds

# HumanEval/72 (MIT), prompt + canonical solution.
HUMANEVAL_72 = '''
def will_it_fly(q,w):
    """Return True if the object q will fly: it is balanced (a palindromic list) and
    the sum of its elements is less than or equal the maximum possible weight w."""
    if sum(q) > w:
        return False

    i, j = 0, len(q)-1
    while i<j:
        if q[i] != q[j]:
            return False
        i+=1
        j-=1
    return True
'''

# CodeI/O record from reasoning-gym (Apache-2.0): fractional knapsack.
CODEIO_KNAPSACK = """
def main_solution(values, weights, capacity):
    index = list(range(len(values)))
    ratio = [v / w for v, w in zip(values, weights)]
    index.sort(key=lambda i: ratio[i], reverse=True)
    max_value = 0
    fractions = [0] * len(values)
    for i in index:
        if weights[i] <= capacity:
            fractions[i] = 1
            max_value += values[i]
            capacity -= weights[i]
        else:
            fractions[i] = capacity / weights[i]
            max_value += values[i] * capacity / weights[i]
            break
    return {"max_value": max_value, "fractions": fractions}
"""

# BFCL v4 parallel_0 (Apache-2.0).
BFCL_PARALLEL_0: dict[str, Any] = {
    "category": "parallel",
    "turns": 1,
    "functions": [
        {
            "name": "spotify.play",
            "description": "Play specific tracks from a given artist for a specific time duration.",
            "parameters": {
                "type": "dict",
                "properties": {
                    "artist": {
                        "type": "string",
                        "description": "The artist whose songs you want to play.",
                    },
                    "duration": {"type": "integer", "description": "The duration in minutes."},
                },
                "required": ["artist", "duration"],
            },
        }
    ],
    "ground_truth": [
        {"spotify.play": {"artist": ["Taylor Swift"], "duration": [20]}},
        {"spotify.play": {"artist": ["Maroon 5"], "duration": [15]}},
    ],
}
BFCL_PARALLEL_0_TEXT = (
    "Play songs from the artists Taylor Swift and Maroon 5, with a play time "
    "of 20 minutes and 15 minutes respectively, on Spotify."
)

# DataFrameBench T0001 (CC-BY-4.0), shortened.
DFB_T0001 = '''
import pandas as pd
import numpy as np
import matplotlib.pyplot as plt


def task_func(data):
    """
    Returns:
    - dict: Contains the calculated mean, median, and standard deviation.
    - matplotlib.axes._axes.Axes: A subplot object with the histogram.
    """
    df = pd.DataFrame(data)
    df["Price_Float"] = df["Price_String"].apply(lambda x: float(x.replace(",", "")))
    mean_price = np.mean(df["Price_Float"])
    median_price = np.median(df["Price_Float"])
    std_dev_price = np.std(df["Price_Float"], ddof=1)
    ax = plt.hist(df["Price_Float"], bins="auto", color="blue", alpha=0.7, rwidth=0.85)
    plt.title("Histogram of Product Prices")
    return {"mean": mean_price, "median": median_price, "std_dev": std_dev_price}, ax
'''
DFB_T0001_TEXT = (
    "Processes a mapping containing product names and their prices in string format, computes "
    "mean, median and sample standard deviation and draws a histogram.\n\n"
    "The function should output with:\n"
    "    dict: Contains the calculated mean, median, and standard deviation (sample).\n"
    "    matplotlib.axes._axes.Axes: A subplot object that represents the histogram.\n"
)


# --------------------------------------------------------------------------- algorithm


def test_bisect_solution_yields_binary_search() -> None:
    seed = _seed(
        "algorithm",
        "Return where x would be inserted in the sorted list a.",
        "import bisect\n\ndef insert_at(a, x):\n    return bisect.bisect_left(a, x)\n",
    )
    assert "binary search" in _names(_run(seed), "technique")


def test_lo_hi_mid_loop_yields_binary_search() -> None:
    code = """
def search(nums, target):
    lo, hi = 0, len(nums) - 1
    while lo <= hi:
        mid = (lo + hi) // 2
        if nums[mid] == target:
            return mid
        if nums[mid] < target:
            lo = mid + 1
        else:
            hi = mid - 1
    return -1
"""
    names = _names(_run(_seed("algorithm", "Find target in a sorted array.", code)), "technique")
    assert names[0] == "binary search"
    assert "two pointers" not in names


def test_real_humaneval_palindrome_yields_two_pointers() -> None:
    found = _run(_seed("algorithm", "Will the object fly?", HUMANEVAL_72))
    assert "two pointers" in _names(found, "technique")
    assert _names(found, "io_format") == ["function arguments and return"]


def test_real_codeio_knapsack_yields_greedy_and_key_sort() -> None:
    found = _run(
        _seed("algorithm", "Fractional knapsack: maximise the value carried.", CODEIO_KNAPSACK)
    )
    techniques = _names(found, "technique")
    assert "greedy" in techniques
    assert "sorting with key" in techniques
    assert "array" in _names(found, "data_structure")


def test_dp_table_and_memoisation() -> None:
    table = """
def climb(n):
    dp = [0] * (n + 1)
    dp[0] = dp[1] = 1
    for i in range(2, n + 1):
        dp[i] = dp[i - 1] + dp[i - 2]
    return dp[n]
"""
    memo = """
from functools import lru_cache

@lru_cache(maxsize=None)
def ways(n):
    return 1 if n < 2 else ways(n - 1) + ways(n - 2)
"""
    assert "dynamic programming" in _names(_run(_seed("algorithm", "Stairs.", table)), "technique")
    techniques = _names(_run(_seed("algorithm", "Stairs.", memo)), "technique")
    assert {"memoization", "recursion"} <= set(techniques)


def test_bfs_dfs_heap_and_counter() -> None:
    bfs = """
from collections import deque

def reachable(graph, start):
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in graph[node]:
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
"""
    found = _run(_seed("algorithm", "Which nodes of the graph can be reached?", bfs))
    assert "bfs" in _names(found, "technique")
    assert {"deque", "graph", "hash set"} <= set(_names(found, "data_structure"))
    fine = _names(found, "scenario")[0]
    assert hierarchy_spec("algorithm").place("scenario", fine)[0] == "graphs and networks"

    dfs = (
        "def count(adj, s):\n    stack = [s]\n    seen = set()\n    while stack:\n"
        "        v = stack.pop()\n        seen.add(v)\n        stack.extend(adj[v])\n"
        "    return len(seen)\n"
    )
    found = _run(_seed("algorithm", "Count nodes.", dfs))
    assert "dfs" in _names(found, "technique")
    assert "stack" in _names(found, "data_structure")

    heap = (
        "import heapq\nfrom collections import Counter\n\ndef top_k(words, k):\n"
        "    counts = Counter(words)\n    return heapq.nlargest(k, counts, key=counts.get)\n"
    )
    found = _run(_seed("algorithm", "Return the k most frequent words.", heap))
    assert "counting" in _names(found, "technique")
    assert {"heap", "counter"} <= set(_names(found, "data_structure"))


def test_leetcode_topics_map_to_shared_names() -> None:
    seed = _seed(
        "algorithm",
        "Given an integer array nums, return the number of subarrays.",
        topics=["Hash Table", "Dynamic Programming"],
        constraints="- 1 <= nums.length <= 2 * 10^4\n- -1000 <= nums[i] <= 1000",
    )
    found = _run(seed)
    assert "hash map" in _names(found, "data_structure")
    assert "dynamic programming" in _names(found, "technique")
    assert _names(found, "io_format") == ["class method"]
    assert "input size up to 1e4" in _names(found, "constraint")
    assert "negative values allowed" in _names(found, "constraint")


def test_leetcode_topic_names_merge_with_code_names() -> None:
    topics = _seed("algorithm", "Search.", topics="Binary Search, Breadth-First Search, Union Find")
    names = set(_names(_run(topics), "technique")) | set(_names(_run(topics), "data_structure"))
    assert {"binary search", "bfs", "union-find"} <= names


def test_design_problem_and_stdin_io_formats() -> None:
    design = _seed("algorithm", "Design a data structure.", topics=["Design", "Hash Table"])
    assert _names(_run(design), "io_format") == ["stateful class design"]
    stdin = _seed("algorithm", "Read n and print n squared.", "n = int(input())\nprint(n * n)\n")
    assert _names(_run(stdin), "io_format") == ["stdin/stdout"]


def test_scenario_pick_and_fallback() -> None:
    geo = _seed(
        "algorithm",
        "Given the radius of a circle and a triangle's angle, return the area of the polygon.",
        "def f(r):\n    return r * r\n",
    )
    # the fine atom is the family's strongest subject word; the hierarchy puts it in the family
    assert _names(_run(geo), "scenario") == ["triangle"]
    assert hierarchy_spec("algorithm").place("scenario", "triangle") == ("geometry", "mathematics")
    plain = _seed("algorithm", "Do it.", "def f(x):\n    return x\n")
    assert _names(_run(plain), "scenario") == ["general computation"]


def test_constraint_phrases() -> None:
    text = (
        "<code>1 &lt;= n &lt;= 5 * 10<sup>4</sup></code>\n- `0 <= nums[i] <= 10^9`\n"
        "Follow up: can you do it in O(n) time and O(1) extra space, in-place?"
    )
    found = find_constraints(text)
    assert found[:2] == ["input size up to 1e5", "values up to 1e9"]
    assert {"time complexity O(n)", "constant extra space", "in-place modification"} <= set(found)


def test_algorithm_names_are_lowercase_phrases() -> None:
    found = _run(_seed("algorithm", "Sort the words.", CODEIO_KNAPSACK, topics=["Sorting"]))
    assert all(c.name == c.name.lower() for c in found if c.slot != "constraint")


# --------------------------------------------------------------------------- data science


def test_numpy_alias_resolves_to_qualified_api() -> None:
    seed = _seed(
        "data_science",
        "Return the mean.",
        "import numpy as np\n\ndef task_func(x):\n    return np.mean(x)\n",
    )
    assert _names(_run(seed), "library_api") == ["numpy.mean"]


def test_from_import_and_dataframe_methods() -> None:
    code = """
import pandas as pd
from sklearn.linear_model import LinearRegression


def task_func(path):
    df = pd.read_csv(path)
    totals = df.groupby("region").agg({"sales": "sum"}).reset_index()
    model = LinearRegression()
    model.fit(totals[["sales"]], totals["sales"])
    if df.empty:
        raise ValueError("no rows")
    return model
"""
    found = _run(_seed("data_science", "Fit a linear regression on the CSV file.", code))
    apis = _names(found, "library_api")
    assert {
        "pandas.read_csv",
        "pandas.DataFrame.groupby",
        "sklearn.linear_model.LinearRegression",
        "sklearn.linear_model.LinearRegression.fit",
    } <= set(apis)
    assert len(apis) <= 6
    assert _names(found, "data_schema") == ["csv file"]
    assert "regression modelling" in _names(found, "task_goal")
    behaviour = _names(found, "behavioral_constraint")
    assert "raises ValueError on invalid input" in behaviour
    assert "handles empty input" in behaviour


def test_real_dataframebench_record() -> None:
    seed = _seed(
        "data_science",
        DFB_T0001_TEXT,
        DFB_T0001,
        category="visualisation",
        libs=["matplotlib", "numpy"],
    )
    found = _run(seed)
    assert _names(found, "task_goal")[0] == "visualisation"
    assert _names(found, "output_contract") == ["tuple"]
    assert {"numpy.mean", "matplotlib.pyplot.hist"} <= set(_names(found, "library_api"))
    assert "pandas.DataFrame.replace" not in _names(found, "library_api")  # str.replace
    assert _names(found, "data_schema") == ["dictionary input"]


def test_fixed_seed_and_single_output_contract() -> None:
    code = (
        "import numpy as np\nimport pandas as pd\n\ndef task_func(n, seed=0):\n"
        "    np.random.seed(seed)\n    return pd.DataFrame(np.random.rand(n, 2))\n"
    )
    text = "Generate random data.\n\nThe function should output with:\n    DataFrame: data.\n"
    found = _run(_seed("data_science", text, code))
    assert _names(found, "output_contract") == ["pandas dataframe"]
    assert "fixed random seed" in _names(found, "behavioral_constraint")
    assert _names(found, "data_schema") == ["random generated data"]


# --------------------------------------------------------------------------- tool usage


def test_real_bfcl_parallel_seed() -> None:
    found = _run(_seed("tool_usage", BFCL_PARALLEL_0_TEXT, **BFCL_PARALLEL_0))
    assert _names(found, "tool") == ["spotify.play"]
    assert _names(found, "logic_constraint") == ["parallel calls"]
    assert _names(found, "output_spec") == ["several function calls"]
    assert _names(found, "input_interface") == ["single chat turn with JSON-schema function specs"]
    assert _names(found, "objective") == ["entertainment"]
    tool = next(c for c in found if c.slot == "tool")
    assert tool.description.startswith("Play specific tracks")


def test_bfcl_multi_turn_with_dependencies() -> None:
    meta: dict[str, Any] = {
        "category": "multi_turn_base",
        "turns": 3,
        "involved_classes": ["TradingBot"],
        "ground_truth": [
            [
                "get_stock_info(symbol='AAPL')",
                "place_order(order_type='Buy',symbol='AAPL',price=227.16,amount=100)",
            ],
            ["get_order_details(order_id=12446)"],
            ["cancel_order(order_id=12446)"],
        ],
    }
    text = (
        "Purchase 100 Apple shares at the market price.\n\nReview the AAPL order.\n\n"
        "Cancel the previously placed order."
    )
    found = _run(_seed("tool_usage", text, **meta))
    assert _names(found, "tool") == ["TradingBot"]
    assert _names(found, "logic_constraint") == ["multi-turn", "argument dependencies"]
    assert _names(found, "output_spec") == ["ordered call sequence per turn"]
    assert _names(found, "input_interface") == ["multi-turn chat with stateful environment"]
    assert _names(found, "objective") == ["finance/trading"]


@pytest.mark.parametrize(
    ("category", "slot", "expected"),
    [
        ("multi_turn_miss_param", "logic_constraint", "missing parameter (ask user)"),
        ("multi_turn_miss_func", "logic_constraint", "missing function"),
        ("multi_turn_long_context", "logic_constraint", "long context"),
        ("multiple", "logic_constraint", "choose among multiple tools"),
        ("live_parallel_multiple", "logic_constraint", "parallel multiple"),
        ("simple_python", "logic_constraint", "single call"),
        ("memory", "logic_constraint", "memory recall"),
        ("memory", "output_spec", "final text answer"),
        ("web_search", "logic_constraint", "web search"),
        ("simple_java", "input_interface", "java function specs"),
        ("simple_javascript", "input_interface", "javascript function specs"),
        ("live_simple", "input_interface", "live user query"),
    ],
)
def test_bfcl_categories(category: str, slot: str, expected: str) -> None:
    seed = _seed(
        "tool_usage",
        "What is the weather in Paris?",
        category=category,
        functions=[{"name": "get_weather", "description": "Weather for a city."}],
    )
    assert expected in _names(_run(seed), slot)


# --------------------------------------------------------------------------- contract


ALL_SEEDS = [
    _seed("algorithm", "Will the object fly?", HUMANEVAL_72),
    _seed("algorithm", "Knapsack.", CODEIO_KNAPSACK, input_generator="def g(rng): pass"),
    _seed(
        "algorithm",
        "Merge accounts.",
        topics=["Array", "Union Find", "Sorting"],
        constraints="- 1 <= accounts.length <= 1000",
    ),
    _seed("data_science", DFB_T0001_TEXT, DFB_T0001, category="visualisation"),
    _seed("tool_usage", BFCL_PARALLEL_0_TEXT, **BFCL_PARALLEL_0),
]


@pytest.mark.parametrize("seed", ALL_SEEDS, ids=lambda s: s.domain)
def test_candidates_respect_schema_and_are_unique(seed: Seed) -> None:
    schema = SCHEMAS[seed.domain]
    found = _run(seed)
    slots = [s.name for s in schema.slots]
    assert found, "no candidates"
    assert all(c.slot in slots for c in found)
    assert all(c.extractor == EXTRACTOR_NAME == "static" for c in found)
    keys = [(c.slot, slugify(c.name)) for c in found]
    assert len(keys) == len(set(keys))
    assert [slots.index(c.slot) for c in found] == sorted(slots.index(c.slot) for c in found)
    for slot in schema.required_slots:
        assert slot in {c.slot for c in found}, slot


def test_only_slots_of_the_given_schema() -> None:
    small = ElementSchema.model_validate(
        {
            "domain": "algorithm",
            "version": 1,
            "description": "techniques only",
            "slots": [
                {
                    "name": "technique",
                    "definition": "t",
                    "required": True,
                    "cardinality": {"min": 1, "max": 2},
                }
            ],
        }
    )
    found = extract_static(ALL_SEEDS[0], small)
    assert found and {c.slot for c in found} == {"technique"}


def test_output_is_deterministic() -> None:
    first = [[c.model_dump() for c in _run(s)] for s in ALL_SEEDS]
    second = [[c.model_dump() for c in _run(s.model_copy(deep=True))] for s in ALL_SEEDS]
    assert first == second


def test_output_does_not_depend_on_hash_seed() -> None:
    script = (
        "import json, sys\n"
        "from adr_graph.extract.static import extract_static\n"
        "from adr_graph.records import Seed\n"
        "from adr_graph.schema import load_schemas\n"
        "schemas = load_schemas()\n"
        "seeds = [Seed.model_validate(s) for s in json.load(sys.stdin)]\n"
        "print(json.dumps([[c.model_dump() for c in extract_static(s, schemas[s.domain])]"
        " for s in seeds]))\n"
    )
    payload = json.dumps([s.model_dump() for s in ALL_SEEDS])
    root = str(Path(__file__).resolve().parents[2])
    outputs = []
    for hash_seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": hash_seed,
            "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
        proc = subprocess.run(
            [sys.executable, "-c", script],
            input=payload,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]


@pytest.mark.parametrize(
    "code",
    [
        "def broken(:\n    return 1 +",
        "```python\nwhile True print('x')\n```",
        "\x00\x01 not python at all",
        "def f(x):\n" + "    " + "(" * 300 + "x" + ")" * 300 + "\n",
        "y = x" + ".f()" * 3000 + "\n",
    ],
)
def test_broken_code_does_not_raise(code: str) -> None:
    seed = _seed("algorithm", "Given a list of integers nums, return the sorted list.", code)
    found = _run(seed)
    assert _names(found, "technique")
    assert _names(found, "data_structure") == ["array", "scalar values"]
    ds_seed = _seed("data_science", "Plot the dataframe.", code, libs=["pandas"])
    assert _names(_run(ds_seed), "library_api") == ["pandas"]


def test_odd_metadata_does_not_raise() -> None:
    seeds = [
        _seed("algorithm", "x", topics=123, constraints=None, methods="nope"),
        _seed(
            "tool_usage", "x", functions="not a list", ground_truth=[["f(("]], involved_classes=None
        ),
        _seed("tool_usage", "x", category="multi_turn_base", ground_truth="oops"),
        _seed("data_science", "x", solution="import pandas as pd\npd.", libs=None),
        _seed("data_science", "x", solution="x = (", libs={"a": 1}, category=["?"]),
        _seed("tool_usage", "x", involved_classes="GorillaFileSystem", functions=[1, None]),
    ]
    for seed in seeds:
        assert all(isinstance(c, AtomCandidate) for c in _run(seed))


def test_extract_many_pairs_seeds_and_skips_unknown_domains() -> None:
    other = Seed(
        id="test/other", domain="robotics", statement="Move the arm.", source="t", license="MIT"
    )
    pairs = list(extract_many([*ALL_SEEDS[:2], other], SCHEMAS))
    assert [s.id for s, _ in pairs] == [ALL_SEEDS[0].id, ALL_SEEDS[1].id, "test/other"]
    assert pairs[0][1] == _run(ALL_SEEDS[0])
    assert pairs[2][1] == []
