"""Extractor vocabularies are data under schema/lexicons/, checked against the schemas."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adr_graph.errors import SchemaError
from adr_graph.extract import algorithm, data_science, dsapi, tool_usage
from adr_graph.lexicons import load_lexicons
from adr_graph.schema import default_schema_dir, load_schemas


def test_every_shipped_lexicon_names_only_schema_slots() -> None:
    lexicons = load_lexicons()
    assert sorted(lexicons) == ["algorithm", "data_science", "tool_usage"]
    schemas = load_schemas()
    for domain, lex in lexicons.items():
        slots = {s.name for s in schemas[domain].slots}
        assert {slot for _, slot in lex.slots_used()} <= slots


def test_the_extractors_read_their_tables_from_the_data_files() -> None:
    assert "graphs and networks" in algorithm.SCENARIOS
    assert algorithm.LEETCODE_TOPICS["breadth-first search"] == (("technique", "bfs"),)
    assert "statistical test" in data_science.TASK_GOALS
    assert "groupby" in dsapi.FRAME_METHODS
    assert tool_usage.CLASS_OBJECTIVES["TravelAPI"] == "travel booking"


@pytest.fixture
def schema_copy(tmp_path: Path) -> Path:
    target = tmp_path / "schema"
    shutil.copytree(default_schema_dir(), target)
    return target


def test_a_lexicon_naming_an_unknown_slot_is_refused(schema_copy: Path) -> None:
    path = schema_copy / "lexicons" / "tool_usage.toml"
    path.write_text(path.read_text().replace('slot = "objective"', 'slot = "objectiv"', 1))
    with pytest.raises(
        SchemaError, match=r"tool_usage.toml: table 'keywords.objectives' names slot 'objectiv'"
    ):
        load_lexicons(schema_copy)


def test_a_topic_map_naming_an_unknown_slot_is_refused(schema_copy: Path) -> None:
    path = schema_copy / "lexicons" / "algorithm.toml"
    text = path.read_text().replace(
        '"array" = [["data_structure", "array"]]', '"array" = [["structure", "array"]]'
    )
    path.write_text(text)
    with pytest.raises(
        SchemaError, match=r"slot_maps.leetcode_topics.array' names slot 'structure'"
    ):
        load_lexicons(schema_copy)


def test_a_malformed_lexicon_names_file_and_field(schema_copy: Path) -> None:
    path = schema_copy / "lexicons" / "data_science.toml"
    path.write_text(path.read_text().replace("strong = [", "strongest = [", 1))
    with pytest.raises(
        SchemaError, match=r"data_science.toml: field 'keywords.data_schemas.labels"
    ):
        load_lexicons(schema_copy)
    path.write_text("domain = [")
    with pytest.raises(SchemaError, match=r"data_science.toml: invalid TOML"):
        load_lexicons(schema_copy)
