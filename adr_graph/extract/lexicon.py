"""Keyword tables and a small scorer that ranks labels by keyword hits in text.

A table maps a canonical label to ``(strong, weak)`` keyword tuples; a strong hit
counts 1, a weak hit 0.5. Keywords match whole words, plural ``s``/``es`` allowed.

>>> rank_labels("Find the shortest path between two nodes of the graph.", SCENARIOS)[0]
('graphs and networks', 3.0)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

__all__ = [
    "LEETCODE_TOPICS",
    "SCENARIOS",
    "Lexicon",
    "pick_labels",
    "rank_labels",
]

#: label -> (strong keywords, weak keywords)
Lexicon = Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]

SCENARIOS: Lexicon = {
    "strings and text": (
        (
            "string",
            "substring",
            "character",
            "letter",
            "vowel",
            "consonant",
            "palindrome",
            "anagram",
            "word",
            "sentence",
            "text",
            "alphabet",
            "lowercase",
            "uppercase",
            "parenthes[ie]s",
            "bracket",
            "prefix",
            "suffix",
            "whitespace",
        ),
        ("char",),
    ),
    "geometry": (
        (
            "triangle",
            "circle",
            "polygon",
            "rectangle",
            "perimeter",
            "coordinate",
            "angle",
            "radius",
            "convex",
            "euclidean",
            "square",
            "geometry",
            "polar",
            "cartesian",
        ),
        ("area", "point", "distance", "line"),
    ),
    "graphs and networks": (
        (
            "graph",
            "vertex",
            "vertices",
            "edge",
            "node",
            "network",
            "path",
            "cycle",
            "connected component",
            "neighbou?r",
            "adjacen(?:t|cy)",
            "tree",
        ),
        ("leaf",),
    ),
    "finance": (
        (
            "price",
            "stock",
            "profit",
            "interest rate",
            "loan",
            "investment",
            "money",
            "budget",
            "tax",
            "salary",
            "payment",
            "bank",
            "currency",
            "portfolio",
            "dividend",
            "revenue",
            "option pricing",
            "coin",
            "dollar",
            "cash",
            "purchase",
            "discount",
        ),
        ("cost", "sell", "buy"),
    ),
    "physics": (
        (
            "velocity",
            "acceleration",
            "force",
            "mass",
            "energy",
            "gravity",
            "gravitational",
            "particle",
            "momentum",
            "temperature",
            "pressure",
            "wave",
            "friction",
            "orbit",
            "projectile",
            "spring",
            "voltage",
            "electric",
            "magnetic",
            "thermal",
            "heat",
            "quantum",
            "pendulum",
            "oscillat(?:or|ion)",
            "density",
            "fluid",
        ),
        ("speed",),
    ),
    "dates and time": (
        (
            "date",
            "month",
            "calendar",
            "clock",
            "weekday",
            "timestamp",
            "leap year",
            "hour",
            "minute",
            "duration",
        ),
        ("day", "year", "time"),
    ),
    "games and puzzles": (
        (
            "game",
            "player",
            "chess",
            "puzzle",
            "dice",
            "card",
            "sudoku",
            "queen",
            "tic-tac-toe",
            "maze",
            "knight",
            "nim",
            "poker",
            "bingo",
        ),
        ("move", "win", "board", "score"),
    ),
    "scheduling and intervals": (
        (
            "schedule",
            "scheduling",
            "interval",
            "meeting",
            "deadline",
            "job",
            "booking",
            "overlap",
            "processor",
            "calendar event",
            "task",
        ),
        ("event", "room", "start time"),
    ),
    "number theory": (
        (
            "prime",
            "divisor",
            "gcd",
            "lcm",
            "factor",
            "modulo",
            "digit",
            "divisible",
            "fibonacci",
            "factorial",
            "perfect number",
            "coprime",
            "parity",
        ),
        ("integer", "odd", "even"),
    ),
    "matrices and grids": (
        ("matrix", "matrices", "grid", "cell", "2d", "island", "row", "column"),
        ("board",),
    ),
    "probability and statistics": (
        (
            "probability",
            "random",
            "expected value",
            "variance",
            "distribution",
            "statistic",
            "sample",
            "mean",
            "median",
            "standard deviation",
            "monte carlo",
            "bayes",
            "stochastic",
        ),
        ("average",),
    ),
    "sequences and arrays": (
        (
            "sequence",
            "subarray",
            "subsequence",
            "array",
            "permutation",
            "consecutive",
            "series",
            "sorted list",
        ),
        ("list", "element"),
    ),
    "biology and chemistry": (
        (
            "dna",
            "rna",
            "protein",
            "gene",
            "genome",
            "molecule",
            "chemical",
            "reaction",
            "species",
            "bacteria",
            "cell division",
            "enzyme",
            "population",
        ),
        (),
    ),
    "cryptography and encoding": (
        (
            "encrypt",
            "decrypt",
            "cipher",
            "encode",
            "decode",
            "encoding",
            "checksum",
            "base64",
            "caesar",
            "hash",
            "binary representation",
        ),
        ("key",),
    ),
    "combinatorics": (
        ("combination", "arrangement", "ways to", "subset", "choose", "binomial", "partition"),
        (),
    ),
    "machine learning": (
        (
            "neural",
            "gradient",
            "training",
            "regression",
            "classifier",
            "weights",
            "loss",
            "activation",
            "perceptron",
            "learning rate",
            "kmeans",
            "k-means",
        ),
        ("model",),
    ),
    "logistics and routing": (
        (
            "city",
            "cities",
            "route",
            "delivery",
            "warehouse",
            "road",
            "flight",
            "traffic",
            "truck",
            "travel",
            "airport",
            "vehicle",
        ),
        (),
    ),
    "social and user data": (
        (
            "user",
            "account",
            "email",
            "friend",
            "follower",
            "social",
            "username",
            "profile",
            "message",
        ),
        (),
    ),
    "bits and binary": (("bit", "bitwise", "xor", "binary string", "bitmask"), ("binary",)),
}

#: LeetCode topic tag -> [(slot, canonical name)], names shared with the AST detectors.
LEETCODE_TOPICS: Mapping[str, tuple[tuple[str, str], ...]] = {
    "array": (("data_structure", "array"),),
    "string": (("data_structure", "string"), ("technique", "string manipulation")),
    "hash table": (("data_structure", "hash map"),),
    "hash function": (("technique", "hashing"),),
    "rolling hash": (("technique", "hashing"),),
    "dynamic programming": (("technique", "dynamic programming"),),
    "dp on trees": (("technique", "dynamic programming"), ("data_structure", "tree")),
    "tree dp": (("technique", "dynamic programming"), ("data_structure", "tree")),
    "knapsack problem": (("technique", "dynamic programming"),),
    "0-1 knapsack": (("technique", "dynamic programming"),),
    "complete knapsack": (("technique", "dynamic programming"),),
    "longest increasing subsequence": (("technique", "dynamic programming"),),
    "longest common subsequence": (("technique", "dynamic programming"),),
    "memoization": (("technique", "memoization"),),
    "math": (("technique", "math"),),
    "depth-first search": (("technique", "dfs"),),
    "breadth-first search": (("technique", "bfs"),),
    "0-1 bfs": (("technique", "bfs"),),
    "bidirectional search": (("technique", "bfs"),),
    "sorting": (("technique", "sorting"),),
    "sort": (("technique", "sorting"),),
    "counting sort": (("technique", "sorting"),),
    "bucket sort": (("technique", "sorting"),),
    "merge sort": (("technique", "sorting"), ("technique", "divide and conquer")),
    "radix sort": (("technique", "sorting"),),
    "quicksort": (("technique", "sorting"),),
    "quickselect": (("technique", "divide and conquer"),),
    "tree": (("data_structure", "tree"),),
    "binary tree": (("data_structure", "binary tree"),),
    "binary search tree": (("data_structure", "binary search tree"),),
    "cartesian tree": (("data_structure", "binary tree"),),
    "greedy": (("technique", "greedy"),),
    "two pointers": (("technique", "two pointers"),),
    "binary search": (("technique", "binary search"),),
    "ternary search": (("technique", "binary search"),),
    "matrix": (("data_structure", "matrix"),),
    "stack": (("data_structure", "stack"),),
    "monotonic stack": (("data_structure", "monotonic stack"),),
    "monotonic queue": (("data_structure", "deque"),),
    "bit manipulation": (("technique", "bit manipulation"),),
    "bitmask": (("technique", "bit manipulation"),),
    "heap (priority queue)": (("data_structure", "heap"),),
    "heap": (("data_structure", "heap"),),
    "backtracking": (("technique", "backtracking"),),
    "design": (("technique", "class design"),),
    "simulation": (("technique", "simulation"),),
    "sliding window": (("technique", "sliding window"),),
    "prefix sum": (("technique", "prefix sum"),),
    "linked list": (("data_structure", "linked list"),),
    "doubly-linked list": (("data_structure", "linked list"),),
    "graph theory": (("data_structure", "graph"),),
    "graph": (("data_structure", "graph"),),
    "directed acyclic graph": (("data_structure", "graph"),),
    "counting": (("technique", "counting"),),
    "recursion": (("technique", "recursion"),),
    "trie": (("data_structure", "trie"),),
    "divide and conquer": (("technique", "divide and conquer"),),
    "union-find": (("data_structure", "union-find"),),
    "union find": (("data_structure", "union-find"),),
    "queue": (("data_structure", "queue"),),
    "ordered set": (("data_structure", "sorted container"),),
    "topological sort": (("technique", "topological sort"),),
    "enumeration": (("technique", "enumeration"),),
    "geometry": (("technique", "math"),),
    "segment tree": (("data_structure", "segment tree"),),
    "binary indexed tree": (("data_structure", "binary indexed tree"),),
    "number theory": (("technique", "number theory"),),
    "greatest common divisor": (("technique", "number theory"),),
    "euclidean algorithm": (("technique", "number theory"),),
    "primality test": (("technique", "number theory"),),
    "prime number sieve": (("technique", "number theory"),),
    "sieve theory": (("technique", "number theory"),),
    "prime factorization": (("technique", "number theory"),),
    "shortest path": (("technique", "shortest path"),),
    "dijkstra's algorithm": (("technique", "shortest path"),),
    "dijkstra": (("technique", "shortest path"),),
    "bellman-ford algorithm": (("technique", "shortest path"),),
    "floyd-warshall algorithm": (("technique", "shortest path"),),
    "interactive": (("technique", "interactive querying"),),
    "data stream": (("technique", "streaming"),),
    "string matching": (("technique", "string matching"),),
    "knuth-morris-pratt algorithm": (("technique", "string matching"),),
    "z algorithm": (("technique", "string matching"),),
    "game theory": (("technique", "game theory"),),
    "minimax": (("technique", "game theory"),),
    "combinatorics": (("technique", "combinatorics"),),
    "randomized": (("technique", "randomization"),),
    "reservoir sampling": (("technique", "randomization"),),
    "rejection sampling": (("technique", "randomization"),),
    "probability and statistics": (("technique", "math"),),
    "iterator": (("technique", "class design"),),
    "brainteaser": (("technique", "math"),),
    "sweep line": (("technique", "sweep line"),),
    "linear algebra": (("technique", "linear algebra"),),
    "minimum spanning tree": (("technique", "minimum spanning tree"),),
    "bracket sequences": (("data_structure", "stack"),),
}


@lru_cache(maxsize=1024)
def _pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    body = "|".join(k.replace(" ", r"[\s_-]+") for k in keywords)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?:s|es)?(?![a-z0-9])")


def _hits(text: str, keywords: tuple[str, ...]) -> int:
    return len(_pattern(keywords).findall(text)) if keywords else 0


def rank_labels(text: str, table: Lexicon) -> list[tuple[str, float]]:
    """Labels with a positive score, best first; ties keep table order."""
    lowered = text.lower()
    scored = []
    for order, (label, (strong, weak)) in enumerate(table.items()):
        score = _hits(lowered, strong) + 0.5 * _hits(lowered, weak)
        if score > 0:
            scored.append((-score, order, label))
    return [(label, -neg) for neg, _, label in sorted(scored)]


def pick_labels(
    text: str, table: Lexicon, *, limit: int = 2, min_score: float = 1.0, runner_up: float = 0.6
) -> list[str]:
    """The best label plus close runners-up (score >= ``runner_up`` x best)."""
    ranked = [(label, s) for label, s in rank_labels(text, table) if s >= min_score]
    if not ranked:
        return []
    best = ranked[0][1]
    return [label for label, s in ranked[:limit] if s >= runner_up * best]
