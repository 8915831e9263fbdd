"""Score an extractor against hand-labelled gold atoms: micro precision, recall and F1.

A predicted atom matches a gold atom when both sit in the same slot and their names
slugify to the same text (:func:`adr_graph.records.slugify`). Counts are summed over
all seeds (micro average) overall, per domain and per ``domain/slot``.

>>> from adr_graph.records import AtomCandidate, ElementSchema, Seed
>>> schema = ElementSchema.model_validate({"domain": "algorithm", "version": 1,
...     "description": "", "slots": [{"name": "technique", "definition": "d",
...     "required": True, "cardinality": {"min": 1, "max": 2}}]})
>>> seed = Seed(id="s/1", domain="algorithm", statement="x", source="t", license="MIT")
>>> item = GoldItem(seed=seed, gold={"technique": ["Binary Search", "greedy"]})
>>> def extractor(seed, schema):
...     return [AtomCandidate(slot="technique", name="binary search", extractor="t"),
...             AtomCandidate(slot="technique", name="bfs", extractor="t")]
>>> report = score_extractor([item], extractor, {"algorithm": schema})
>>> (report.overall.tp, report.overall.fp, report.overall.fn, report.overall.precision)
(1, 1, 1, 0.5)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adr_graph.records import AtomCandidate, ElementSchema, Seed, slugify

__all__ = [
    "Counts",
    "Extractor",
    "GoldItem",
    "Mismatch",
    "QualityReport",
    "load_gold",
    "rolled_up",
    "score_extractor",
    "score_sets",
]

#: An extractor: ``(seed, schema) -> candidates`` (e.g. :func:`extract_static`).
Extractor = Callable[[Seed, ElementSchema], list[AtomCandidate]]


@dataclass(frozen=True)
class GoldItem:
    """One labelled seed: the seed and, per slot, the atom names a human would give."""

    seed: Seed
    gold: dict[str, list[str]]
    notes: str = ""


@dataclass
class Counts:
    """True positives, false positives and false negatives with derived scores."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        """Accumulate counts in place."""
        self.tp += tp
        self.fp += fp
        self.fn += fn

    @property
    def precision(self) -> float:
        """``tp / (tp + fp)``; 1.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """``tp / (tp + fn)``; 1.0 when there was nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0.0 when both are 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, Any]:
        """Counts and rounded scores as a JSON-ready dict."""
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass(frozen=True)
class Mismatch:
    """A missed gold atom or a false-positive prediction in one seed."""

    seed_id: str
    domain: str
    slot: str
    name: str


@dataclass
class QualityReport:
    """Micro-averaged scores overall, per domain and per ``domain/slot``, with errors."""

    overall: Counts = field(default_factory=Counts)
    per_domain: dict[str, Counts] = field(default_factory=dict)
    per_slot: dict[str, Counts] = field(default_factory=dict)
    misses: list[Mismatch] = field(default_factory=list)
    false_positives: list[Mismatch] = field(default_factory=list)
    seeds: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The scores (not the error lists) as one JSON-ready dict."""
        return {
            "seeds": self.seeds,
            "overall": self.overall.as_dict(),
            "per_domain": {k: v.as_dict() for k, v in sorted(self.per_domain.items())},
            "per_slot": {k: v.as_dict() for k, v in sorted(self.per_slot.items())},
        }


def _gold_names(value: Any, where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict) or not all(
        isinstance(v, list) and all(isinstance(n, str) for n in v) for v in value.values()
    ):
        raise ValueError(f"{where}: field 'gold' must map slot names to lists of strings")
    return {str(k): list(v) for k, v in value.items()}


def load_gold(path: str | Path) -> list[GoldItem]:
    """Read a gold JSONL file: one ``{"seed": ..., "gold": {...}, "notes": ...}`` a line.

    Raises
    ------
    ValueError
        If a line is not JSON or lacks a valid ``seed`` or ``gold`` field; the message
        names the file and line.
    """
    items: list[GoldItem] = []
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
                seed = Seed.model_validate(record["seed"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{where}: bad gold record ({exc})") from exc
            gold = _gold_names(record.get("gold"), where)
            items.append(GoldItem(seed=seed, gold=gold, notes=str(record.get("notes", ""))))
    return items


def score_sets(
    gold: Iterable[str], predicted: Iterable[str]
) -> tuple[set[str], set[str], set[str]]:
    """Matched, missed and false-positive slugs of one slot of one seed.

    >>> score_sets(["Hash Map", "heap"], ["hash map", "stack"])
    ({'hash-map'}, {'heap'}, {'stack'})
    """
    gold_slugs = {slugify(n) for n in gold}
    pred_slugs = {slugify(n) for n in predicted}
    return gold_slugs & pred_slugs, gold_slugs - pred_slugs, pred_slugs - gold_slugs


def _predicted(seed: Seed, extractor: Extractor, schema: ElementSchema) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for cand in extractor(seed, schema):
        found.setdefault(cand.slot, []).append(cand.name)
    return found


def rolled_up(domain: str, slot: str, gold: Iterable[str], predicted: Iterable[str]) -> list[str]:
    """Predicted names, each replaced by its hierarchy group when the gold names that group
    and not the fine atom itself (gold is labelled at the group grain; ``schema/hierarchy``).

    >>> rolled_up("algorithm", "scenario", ["geometry"], ["triangle", "palindrome"])
    ['geometry', 'palindrome']
    """
    from ..hierarchy import hierarchy_spec

    wanted = {slugify(g) for g in gold}
    try:
        spec = hierarchy_spec(domain)
    except KeyError:
        return list(predicted)
    out = []
    for name in predicted:
        placed = None if slugify(name) in wanted else spec.place(slot, name)
        out.append(placed[0] if placed and slugify(placed[0]) in wanted else name)
    return out


def _score_item(item: GoldItem, predicted: Mapping[str, list[str]], report: QualityReport) -> None:
    domain = item.seed.domain
    for slot in sorted(set(item.gold) | set(predicted)):
        gold = item.gold.get(slot, [])
        guessed = rolled_up(domain, slot, gold, predicted.get(slot, []))
        hit, missed, extra = score_sets(gold, guessed)
        counts = (len(hit), len(extra), len(missed))
        report.overall.add(*counts)
        report.per_domain.setdefault(domain, Counts()).add(*counts)
        report.per_slot.setdefault(f"{domain}/{slot}", Counts()).add(*counts)
        report.misses += [Mismatch(item.seed.id, domain, slot, n) for n in sorted(missed)]
        report.false_positives += [Mismatch(item.seed.id, domain, slot, n) for n in sorted(extra)]


def score_extractor(
    items: Iterable[GoldItem], extractor: Extractor, schemas: Mapping[str, ElementSchema]
) -> QualityReport:
    """Run ``extractor`` on every gold seed and score it against the gold atoms.

    Parameters
    ----------
    items
        Labelled seeds, e.g. from :func:`load_gold`.
    extractor
        ``(seed, schema) -> list[AtomCandidate]``.
    schemas
        Element schemas by domain; a seed whose domain has none raises ``KeyError``.

    Returns
    -------
    QualityReport
        Micro-averaged counts and scores plus every miss and false positive.
    """
    report = QualityReport()
    for item in items:
        schema = schemas[item.seed.domain]
        _score_item(item, _predicted(item.seed, extractor, schema), report)
        report.seeds += 1
    return report
