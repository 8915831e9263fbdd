"""Keyword tables and a small scorer that ranks labels by keyword hits in text.

A table maps a canonical label to ``(strong, weak)`` keyword tuples; a strong hit
counts 1, a weak hit 0.5. Keywords match whole words, plural ``s``/``es`` allowed.

>>> from adr_graph.lexicons import lexicon
>>> scenarios = lexicon("algorithm").keywords["scenarios"].as_lexicon()
>>> rank_labels("Find the shortest path between two nodes of the graph.", scenarios)[0]
('graphs and networks', 3.0)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = [
    "Lexicon",
    "best_keyword",
    "pick_labels",
    "rank_labels",
]

#: label -> (strong keywords, weak keywords)
Lexicon = Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]]


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


def best_keyword(text: str, keywords: tuple[str, ...]) -> str | None:
    """The plain (non-regex) keyword with the most hits in ``text``; ties keep list order.

    >>> best_keyword("A palindrome is a string that reads the same; check the string.",
    ...              ("string", "palindrome", "parenthes[ie]s"))
    'string'
    """
    lowered = text.lower()
    best, best_hits = None, 0
    for word in keywords:
        if not re.fullmatch(r"[a-z0-9 '-]+", word):
            continue
        hits = _hits(lowered, (word,))
        if hits > best_hits:
            best, best_hits = word, hits
    return best
