"""Records validate what they should; schemas load and fail with file and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from adr_graph.errors import SchemaError
from adr_graph.records import AtomSet, ElementSchema, Seed, Task, atom_id, slugify
from adr_graph.schema import default_schema_dir, load_schema_file, load_schemas


def test_seed_rejects_bad_ids_and_empty_fields() -> None:
    good = {"id": "x/1", "domain": "algorithm", "statement": "s", "source": "src", "license": "MIT"}
    assert Seed(**good).metadata == {}
    for field, value in [
        ("id", " spaced"),
        ("id", ""),
        ("statement", ""),
        ("domain", "Bad Domain"),
    ]:
        with pytest.raises(ValidationError) as exc:
            Seed(**{**good, field: value})
        assert exc.value.errors()[0]["loc"] == (field,)
    with pytest.raises(ValidationError):
        Seed(**good, unexpected=1)  # type: ignore[call-arg]


def test_slug_and_atom_ids_are_stable() -> None:
    assert slugify("Hash Table") == slugify("hash-table") == "hash-table"
    assert slugify("Ünïcödé  Names!") == "unicode-names"
    assert slugify("???") == "unnamed"
    assert (
        atom_id("data_science", "library_api", "pandas.DataFrame.groupby")
        == "data_science/library_api/pandas.dataframe.groupby"
    )


def test_builtin_schemas_have_the_design_slots() -> None:
    schemas = load_schemas()
    assert [s.name for s in schemas["algorithm"].slots] == [
        "technique",
        "data_structure",
        "scenario",
        "constraint",
        "io_format",
    ]
    assert [s.name for s in schemas["data_science"].slots] == [
        "data_schema",
        "task_goal",
        "library_api",
        "output_contract",
        "behavioral_constraint",
    ]
    assert [s.name for s in schemas["tool_usage"].slots] == [
        "objective",
        "tool",
        "logic_constraint",
        "input_interface",
        "output_spec",
    ]
    for schema in schemas.values():
        for slot in schema.slots:
            assert slot.cardinality.min <= slot.cardinality.max
            assert slot.required == (slot.cardinality.min >= 1)


def write(folder: Path, name: str, doc: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(doc) if not isinstance(doc, str) else doc)
    return path


def base_schema() -> dict:
    return json.loads((default_schema_dir() / "algorithm.json").read_text())


def test_user_domain_schema_loads(tmp_path: Path) -> None:
    doc = base_schema() | {"domain": "sql"}
    write(tmp_path, "sql.json", doc)
    assert list(load_schemas(tmp_path)) == ["sql"]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d["slots"][0].pop("definition"), "slots.0.definition"),
        (lambda d: d["slots"][0]["cardinality"].update(min=3, max=1), "below min"),
        (lambda d: d["slots"].append(dict(d["slots"][0])), "duplicate slot names: technique"),
        (lambda d: d["slots"][0]["cardinality"].update(min=0), "required but cardinality.min is 0"),
        (lambda d: d.update(domain="data_science"), "rename the file"),
    ],
)
def test_invalid_schema_names_file_and_field(tmp_path: Path, mutate, needle: str) -> None:
    doc = base_schema()
    mutate(doc)
    path = write(tmp_path, "algorithm.json", doc)
    with pytest.raises(SchemaError) as exc:
        load_schema_file(path)
    assert str(path) in str(exc.value) and needle in str(exc.value)


def test_schema_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "algorithm.json", '{\n  "domain": "algorithm",\n  oops\n}')
    with pytest.raises(SchemaError, match=r"algorithm.json:3: invalid JSON"):
        load_schema_file(path)


def test_empty_schema_dir(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="no domain schema files"):
        load_schemas(tmp_path)


def test_atomset_and_task_records_round_trip() -> None:
    atom_set = AtomSet.model_validate(
        {
            "domain": "algorithm",
            "strategy": "random",
            "rng_seed": 3,
            "atoms": [{"id": "algorithm/technique/bfs", "slot": "technique", "name": "bfs"}],
            "score": {
                "total": 1.5,
                "novelty": 2.0,
                "compatibility": 0.5,
                "pairs": [{"a": "x", "b": "y", "cooccurrence": 0, "reasons": ["never seen"]}],
            },
        }
    )
    assert AtomSet.model_validate_json(atom_set.model_dump_json()) == atom_set
    task = Task.model_validate(
        {
            "id": "t1",
            "domain": "algorithm",
            "statement": "do it",
            "reference_solution": "def f(): ...",
            "provenance": {
                "atom_ids": ["algorithm/technique/bfs"],
                "prompt_version": "v1",
                "model": "m",
            },
        }
    )
    assert Task.model_validate_json(task.model_dump_json()) == task
    with pytest.raises(ValidationError):
        AtomSet.model_validate(
            {"domain": "algorithm", "strategy": "random", "rng_seed": 1, "atoms": []}
        )


def test_element_schema_slot_lookup() -> None:
    schema: ElementSchema = load_schemas()["tool_usage"]
    assert schema.slot("tool").cardinality.max == 3
    with pytest.raises(KeyError):
        schema.slot("nope")
