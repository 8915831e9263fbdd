"""Loading users' seed JSONL files: round trip and every located error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adr_graph.errors import InputError
from adr_graph.records import Seed
from adr_graph.seeds import SeedLoadResult, iter_seeds, load_seeds, write_seeds


def seed_dict(i: int, domain: str = "algorithm", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"mine/{i}",
        "domain": domain,
        "statement": f"Task {i}.",
        "source": "me",
        "license": "MIT",
        **extra,
    }


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_round_trip(tmp_path: Path) -> None:
    seeds = [
        Seed(**seed_dict(1, solution="def f(): pass", metadata={"k": [1, 2]})),
        Seed(**seed_dict(2, domain="tool_usage")),
    ]
    path = tmp_path / "sub" / "seeds.jsonl"
    assert write_seeds(seeds, path) == 2
    result = load_seeds(path)
    assert isinstance(result, SeedLoadResult)
    assert result.seeds == seeds and result.errors == []
    assert not list(path.parent.glob(".*.tmp"))


def test_blank_lines_are_skipped_and_numbered(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "s.jsonl", ["", json.dumps(seed_dict(1)), "   ", json.dumps(seed_dict(1))]
    )
    with pytest.raises(InputError) as info:
        load_seeds(path)
    assert info.value.line == 4 and info.value.field == "id"
    assert "line 2" in info.value.reason


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ("{not json", None, "invalid JSON"),
        ("[1, 2]", None, "expected a JSON object, got list"),
        (json.dumps(seed_dict(1, domain="Bad Domain")), "domain", "pattern"),
        (
            json.dumps({k: v for k, v in seed_dict(1).items() if k != "statement"}),
            "statement",
            "Field required",
        ),
        (json.dumps(seed_dict(1, id="has space")), "id", "letters, digits"),
        (json.dumps(seed_dict(1, color="red")), "color", "Extra inputs"),
        (json.dumps(seed_dict(1, metadata=[])), "metadata", "dictionary"),
    ],
)
def test_each_error_names_file_line_and_field(
    tmp_path: Path, line: str, field: str | None, message: str
) -> None:
    path = write_lines(tmp_path / "s.jsonl", [json.dumps(seed_dict(0)), line])
    with pytest.raises(InputError) as info:
        load_seeds(path)
    err = info.value
    assert (err.path, err.line, err.field) == (str(path), 2, field)
    assert message in str(err)
    assert str(err).startswith(f"{path}:2: ")


def test_every_validation_error_of_a_line_is_reported(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [json.dumps({"id": "x", "metadata": 3})])
    with pytest.raises(InputError) as info:
        load_seeds(path)
    assert info.value.reason == (
        "missing field(s) 'domain', 'statement'; field 'metadata': "
        "Input should be a valid dictionary"
    )


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"id": "\xff"}\n')
    with pytest.raises(InputError, match="UTF-8") as info:
        load_seeds(path)
    assert info.value.line == 1


def test_domain_filter(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "s.jsonl",
        [json.dumps(seed_dict(1)), json.dumps(seed_dict(2, domain="tool_usage"))],
    )
    assert len(load_seeds(path, domains=["algorithm", "tool_usage"]).seeds) == 2
    with pytest.raises(InputError) as info:
        load_seeds(path, domains={"algorithm", "data_science"})
    err = info.value
    assert (err.line, err.field) == (2, "domain")
    assert "algorithm, data_science" in err.reason
    kept = load_seeds(path, domains=["algorithm"], skip_bad=True)
    assert [s.id for s in kept.seeds] == ["mine/1"] and len(kept.errors) == 1


def test_skip_bad_counts(tmp_path: Path) -> None:
    lines = [
        json.dumps(seed_dict(1)),
        "{oops",
        json.dumps(seed_dict(2)),
        "3",
        json.dumps(seed_dict(1)),
        json.dumps(seed_dict(4, domain="")),
    ]
    path = write_lines(tmp_path / "s.jsonl", lines)
    result = load_seeds(path, skip_bad=True)
    assert [s.id for s in result.seeds] == ["mine/1", "mine/2"]
    assert [(e.line, e.field) for e in result.errors] == [
        (2, None),
        (4, None),
        (5, "id"),
        (6, "domain"),
    ]
    errors: list[InputError] = []
    assert len(list(iter_seeds(path, skip_bad=True, errors=errors))) == 2
    assert len(errors) == 4
    assert len(list(iter_seeds(path, skip_bad=True))) == 2


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(InputError, match="not found") as info:
        load_seeds(missing)
    assert info.value.path == str(missing) and info.value.line is None


def test_write_failure_leaves_old_file(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_seeds([Seed(**seed_dict(1))], path)
    before = path.read_text()

    def broken() -> Any:
        yield Seed(**seed_dict(2))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_seeds(broken(), path)
    assert path.read_text() == before
