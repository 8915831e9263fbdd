"""Tests of extraction-quality scoring and the static extractor's floor on the gold set."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from adr_graph.extract.quality import (
    Counts,
    Extractor,
    GoldItem,
    load_gold,
    score_extractor,
    score_sets,
)
from adr_graph.extract.static import extract_static
from adr_graph.records import AtomCandidate, ElementSchema, Seed
from adr_graph.schema import load_schemas

GOLD = Path(__file__).resolve().parents[1] / "data" / "gold" / "extraction_gold.jsonl"
HELD_OUT = GOLD.with_name("extraction_gold_heldout.jsonl")
SCHEMAS = load_schemas()

#: Measured on 45 seeds: overall P 0.83 / R 0.85; floors sit a few points below.
OVERALL_FLOOR = {"precision": 0.78, "recall": 0.80}
DOMAIN_FLOORS = {
    "algorithm": {"precision": 0.65, "recall": 0.69},  # measured 0.71 / 0.75
    "data_science": {"precision": 0.77, "recall": 0.82},  # measured 0.83 / 0.88
    "tool_usage": {"precision": 0.93, "recall": 0.90},  # measured 0.98 / 0.95
}


def _seed(seed_id: str = "t/1", domain: str = "algorithm") -> Seed:
    return Seed(id=seed_id, domain=domain, statement="x", source="test", license="MIT")


def _fixed(mapping: dict[str, dict[str, list[str]]]) -> Extractor:
    def extractor(seed: Seed, schema: ElementSchema) -> list[AtomCandidate]:
        return [
            AtomCandidate(slot=slot, name=name, extractor="fixed")
            for slot, names in mapping.get(seed.id, {}).items()
            for name in names
        ]

    return extractor


def test_counts_scores_and_empty_conventions() -> None:
    counts = Counts(tp=3, fp=1, fn=2)
    assert counts.precision == pytest.approx(0.75)
    assert counts.recall == pytest.approx(0.6)
    assert counts.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert (Counts().precision, Counts().recall) == (1.0, 1.0)
    assert Counts(fp=2, fn=2).f1 == 0.0


def test_score_sets_matches_by_slug() -> None:
    hit, missed, extra = score_sets(["Binary Search", "Two  Pointers"], ["binary-search", "bfs"])
    assert (hit, missed, extra) == ({"binary-search"}, {"two-pointers"}, {"bfs"})


def test_score_extractor_micro_averages_per_domain_and_slot() -> None:
    items = [
        GoldItem(_seed("a/1"), {"technique": ["dp", "greedy"], "scenario": ["strings"]}),
        GoldItem(_seed("a/2"), {"technique": ["bfs"]}),
        GoldItem(_seed("d/1", "data_science"), {"library_api": ["numpy.mean"]}),
    ]
    extractor = _fixed(
        {
            "a/1": {"technique": ["DP", "sorting"], "scenario": ["strings"]},
            "a/2": {"technique": ["bfs"], "data_structure": ["queue"]},
            "d/1": {"library_api": ["numpy.mean"]},
        }
    )
    report = score_extractor(items, extractor, SCHEMAS)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (4, 2, 1)
    assert report.per_domain["algorithm"].precision == pytest.approx(3 / 5)
    assert report.per_domain["data_science"].f1 == 1.0
    tech = report.per_slot["algorithm/technique"]
    assert (tech.tp, tech.fp, tech.fn) == (2, 1, 1)
    assert report.per_slot["algorithm/data_structure"].precision == 0.0
    assert [(m.seed_id, m.slot, m.name) for m in report.misses] == [("a/1", "technique", "greedy")]
    assert {m.name for m in report.false_positives} == {"sorting", "queue"}
    assert report.seeds == 3
    assert json.loads(json.dumps(report.as_dict()))["overall"]["tp"] == 4


def test_load_gold_reports_file_and_line(tmp_path: Path) -> None:
    good = {"seed": _seed().model_dump(), "gold": {"technique": ["dp"]}, "notes": "n"}
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps({"seed": good["seed"]}) + "\n")
    with pytest.raises(ValueError, match=r"g\.jsonl:3"):
        load_gold(path)
    path.write_text(json.dumps(good) + "\n")
    [item] = load_gold(path)
    assert item.gold == {"technique": ["dp"]} and item.notes == "n"


def test_gold_set_is_well_formed() -> None:
    items = load_gold(GOLD)
    domains = Counter(item.seed.domain for item in items)
    assert len(items) >= 45 and min(domains.values()) >= 12
    assert len({item.seed.id for item in items}) == len(items)
    assert GOLD.stat().st_size < 400_000
    for item in items:
        slots = {spec.name for spec in SCHEMAS[item.seed.domain].slots}
        assert set(item.gold) <= slots, item.seed.id
        if item.seed.source.startswith("dataframebench") or "dataframebench" in item.seed.id:
            assert item.seed.metadata.get("split") == "train", item.seed.id


def test_held_out_gold_is_thirty_labelled_seeds_of_a_corpus_the_lexicons_never_saw() -> None:
    items = load_gold(HELD_OUT)
    assert len(items) == 30 and {i.seed.source for i in items} == {"algorithms==1.0.1"}
    assert not {i.seed.id for i in items} & {i.seed.id for i in load_gold(GOLD)}
    slots = {spec.name for spec in SCHEMAS["algorithm"].slots}
    for item in items:
        assert item.seed.domain == "algorithm" and set(item.gold) == slots, item.seed.id
        assert item.gold["technique"] and item.gold["io_format"] and item.notes, item.seed.id


def test_static_extractor_keeps_its_floor_on_the_held_out_seeds() -> None:
    """Measured 0.69 / 0.68 when the file was added (0.83 / 0.85 on the seeds the
    lexicons were written from), 0.74 / 0.76 once a ``Time:`` line followed by a ``Space:``
    line was read as time: the floor guards the number the README reports."""
    report = score_extractor(load_gold(HELD_OUT), extract_static, SCHEMAS)
    assert report.overall.precision >= 0.72 and report.overall.recall >= 0.72, report.as_dict()
    constraint = report.per_slot["algorithm/constraint"]
    assert constraint.precision >= 0.95 and constraint.recall >= 0.85, report.as_dict()


def test_static_extractor_keeps_quality_floors() -> None:
    report = score_extractor(load_gold(GOLD), extract_static, SCHEMAS)
    assert report.overall.precision >= OVERALL_FLOOR["precision"], report.as_dict()
    assert report.overall.recall >= OVERALL_FLOOR["recall"], report.as_dict()
    for domain, floor in DOMAIN_FLOORS.items():
        counts = report.per_domain[domain]
        assert counts.precision >= floor["precision"], (domain, counts.as_dict())
        assert counts.recall >= floor["recall"], (domain, counts.as_dict())
