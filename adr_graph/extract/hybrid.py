"""Hybrid extraction: the static atoms, plus the LLM's open-vocabulary atoms folded into
the same vocabulary.

An LLM name is matched against the names the graph already knows for its slot (the
store's atoms and aliases, the hierarchy's members, the seed's static atoms) by a
*surface key*: lower case, hyphenated, each word singular. ``numpy-arrays`` lands on
``numpy array``; ``single`` lands on ``single call`` when that is the only known name it
prefixes. A name glued from several known names (``aggregation-filtering-visualisation``)
is split into them. What matches nothing stays a new atom, with the LLM's provenance.

>>> known = KnownNames.from_names({("data_science", "task_goal"): ["aggregation",
...     "filtering", "visualisation", "statistical test"]})
>>> known.fold("data_science", "task_goal", "Aggregation-Filtering-Statistical-Tests")
(['aggregation', 'filtering', 'statistical test'], 'split')
>>> known.fold("data_science", "task_goal", "visualisations")
(['visualisation'], 'surface')
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ..records import AtomCandidate, ElementSchema, Seed, atom_id, slugify

__all__ = [
    "HybridStats",
    "KnownNames",
    "Support",
    "combine",
    "is_thin",
    "name_support",
    "surface_key",
]

_KEEP_S = re.compile(r"(?:ss|us|is|ics|sis|ous)$")


def _singular(word: str) -> str:
    if len(word) <= 3 or _KEEP_S.search(word) or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if re.search(r"(?:ches|shes|xes|zes|sses)$", word):
        return word[:-2]
    return word[:-1]


def surface_key(name: str) -> str:
    """The slug of ``name`` with every hyphen-separated word made singular.

    >>> surface_key("Function-Calls with typed arguments"), surface_key("numpy arrays")
    ('function-call-with-typed-argument', 'numpy-array')
    """
    return "-".join(_singular(w) for w in slugify(name).split("-") if w)


@dataclass
class HybridStats:
    """How the LLM's names were folded in (the merge rate is ``1 - new / llm``)."""

    llm: int = 0
    exact: int = 0
    surface: int = 0
    prefix: int = 0
    split: int = 0
    new: int = 0
    #: new names too few seeds support: kept as seed-level details, not graph atoms
    held_back: int = 0
    #: seed id -> the ``slot: name`` details held back for it
    details: dict[str, list[str]] = field(default_factory=dict)
    #: seed id -> the atom ids those details would have had (``Seed.details`` in the store)
    detail_ids: dict[str, list[str]] = field(default_factory=dict)

    @property
    def merge_rate(self) -> float:
        return round(1 - self.new / self.llm, 4) if self.llm else 0.0

    def as_dict(self) -> dict[str, float]:
        fields = ("llm", "exact", "surface", "prefix", "split", "new", "held_back")
        return {**{k: getattr(self, k) for k in fields}, "merge_rate": self.merge_rate}


#: ``(domain, slot, surface key)`` -> how many seeds name it
Support = Mapping[tuple[str, str, str], int]


def name_support(
    replies: Iterable[tuple[Seed, Sequence[AtomCandidate]]],
) -> Counter[tuple[str, str, str]]:
    """How many seeds' replies hold each name, by surface key (once per seed).

    >>> seed = Seed(id="s", domain="algorithm", source="t", license="MIT", statement="x")
    >>> names = [AtomCandidate(slot="technique", name=n, extractor="llm:m")
    ...          for n in ("k-means", "K Means")]
    >>> dict(name_support([(seed, names)]))
    {('algorithm', 'technique', 'k-mean'): 1}
    """
    out: Counter[tuple[str, str, str]] = Counter()
    for seed, candidates in replies:
        out.update({(seed.domain, c.slot, surface_key(c.name)) for c in candidates})
    return out


@dataclass
class KnownNames:
    """Per ``(domain, slot)``: surface key -> canonical name of every known atom."""

    by_slot: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_names(cls, names: Mapping[tuple[str, str], Iterable[str]]) -> KnownNames:
        out: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for key, values in names.items():
            for name in values:
                out[key].setdefault(surface_key(name), name)
        return cls(dict(out))

    def add(self, domain: str, slot: str, name: str) -> None:
        self.by_slot.setdefault((domain, slot), {}).setdefault(surface_key(name), name)

    def _split(self, table: Mapping[str, str], words: list[str]) -> list[str] | None:
        """Cover ``words`` by the fewest known keys (at least two); ``None`` if impossible."""
        best: list[list[str] | None] = [[]] + [None] * len(words)
        for end in range(1, len(words) + 1):
            for start in range(end):
                head = best[start]
                key = "-".join(words[start:end])
                shorter = best[end] is None or len(head or []) + 1 < len(best[end] or [])
                if head is not None and key in table and shorter:
                    best[end] = [*head, table[key]]
        found = best[len(words)]
        return found if found is not None and len(found) >= 2 else None

    def fold(self, domain: str, slot: str, name: str) -> tuple[list[str], str]:
        """The known names an LLM name stands for, and how it matched (``exact``,
        ``surface``, ``prefix``, ``split`` or ``new``)."""
        table = self.by_slot.get((domain, slot), {})
        key = surface_key(name)
        if key in table:
            exact = slugify(table[key]) == slugify(name)
            return [table[key]], "exact" if exact else "surface"
        longer = [k for k in table if k.startswith(key + "-")]
        if len(longer) == 1:
            return [table[longer[0]]], "prefix"
        parts = self._split(table, key.split("-"))
        if parts:
            return list(dict.fromkeys(parts)), "split"
        return [name], "new"


def is_thin(
    candidates: Sequence[AtomCandidate], schema: ElementSchema, fallbacks: Mapping[str, set[str]]
) -> bool:
    """Whether static extraction says little: a required slot is empty or holds only its
    fallback atoms (``schema/hierarchy``'s ``fallbacks``)."""
    held: dict[str, set[str]] = defaultdict(set)
    for cand in candidates:
        held[cand.slot].add(slugify(cand.name))
    for slot in schema.required_slots:
        names = held.get(slot, set())
        if not names or names <= fallbacks.get(slot, set()):
            return True
    return False


def _support(support: Support | None, seed: Seed, cand: AtomCandidate) -> int:
    """Seeds naming ``cand`` (1, this seed, when nobody counted)."""
    if support is None:
        return 1
    return support.get((seed.domain, cand.slot, surface_key(cand.name)), 1)


def combine(
    seed: Seed,
    static: Sequence[AtomCandidate],
    llm: Sequence[AtomCandidate],
    known: KnownNames,
    stats: HybridStats,
    *,
    support: Support | None = None,
    min_support: int = 1,
) -> list[AtomCandidate]:
    """The static candidates, then the LLM's folded into known names.

    A name that folds into nothing is a new atom only when at least ``min_support``
    seeds name it (``support``, from :func:`name_support`); otherwise it stays a detail
    of this seed (``stats.details``), as the grain of ``schema/README.md`` asks.
    """
    for cand in static:
        known.add(seed.domain, cand.slot, cand.name)
    out = list(static)
    seen = {(c.slot, slugify(c.name)) for c in static}
    how: Counter[str] = Counter()
    for cand in llm:
        stats.llm += 1
        names, kind = known.fold(seed.domain, cand.slot, cand.name)
        how[kind] += 1
        if kind == "new" and _support(support, seed, cand) < min_support:
            stats.held_back += 1
            stats.details.setdefault(seed.id, []).append(f"{cand.slot}: {cand.name}")
            ident = atom_id(seed.domain, cand.slot, cand.name)
            stats.detail_ids.setdefault(seed.id, []).append(ident)
            continue
        for name in names:
            if (cand.slot, slugify(name)) not in seen:
                seen.add((cand.slot, slugify(name)))
                out.append(cand.model_copy(update={"name": name}))
    for kind, n in how.items():
        setattr(stats, kind, getattr(stats, kind) + n)
    return out
