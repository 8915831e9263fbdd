"""``--format hf``: a directory the real ``datasets`` library loads, whose rows round-trip
to Task, with a test split that shares no atom pair with train."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.errors import InputError
from adr_graph.export_hf import held_out_split, pairs_of, write_hf_dataset
from adr_graph.records import Task, TaskProvenance, VerificationRecord

WORDS = ["median", "mode", "range", "count", "maximum", "minimum", "spread", "product", "parity",
         "checksum"]  # fmt: skip


def task(i: int, atoms: list[str], license_: str = "MIT") -> Task:
    return Task(
        id=f"t{i}",
        domain="algorithm" if i % 3 else "data_science",
        statement=f"Return the {WORDS[i]} of the {WORDS[-1 - i]} values, step {i}.",
        entry_point="solve",
        signature="def solve(x)",
        reference_solution=f"def solve(x):\n    return x * {i}\n",
        tests=[{"input": [i], "output": i}],
        verification=VerificationRecord(verified=True, mutation_score=0.5 + i / 100),
        provenance=TaskProvenance(
            atom_ids=atoms, prompt_version="task-v3", model="qwen", licenses=[license_]
        ),
    )


def batch() -> list[Task]:
    """Three groups linked by shared pairs (a-b, c-d, e-f), and loners."""
    atoms = [["a", "b"], ["a", "b", "x"], ["c", "d"], ["c", "d", "y"], ["e", "f"], ["g", "h"],
             ["i", "j"], ["k", "l"], ["m", "n"], ["o", "p"]]  # fmt: skip
    return [task(i, [f"algorithm/technique/{a}" for a in group]) for i, group in enumerate(atoms)]


def test_held_out_split_shares_no_pair() -> None:
    for seed in range(5):
        train, test = held_out_split(batch(), 0.3, seed=seed)
        assert len(train) + len(test) == 10 and 1 <= len(test) <= 3
        train_pairs = set().union(*(pairs_of(t.provenance.atom_ids) for t in train))
        test_pairs = set().union(*(pairs_of(t.provenance.atom_ids) for t in test))
        assert not train_pairs & test_pairs


def test_datasets_loads_the_directory_and_rows_round_trip(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    tasks = batch()
    tasks[0] = task(0, tasks[0].provenance.atom_ids, "Apache-2.0")
    out, cache = tmp_path / "hf", tmp_path / "hf-cache"
    sizes = write_hf_dataset(tasks, out, test_share=0.2, seed=1)
    assert sizes["train"] + sizes["test"] == 10 and sizes["test"] >= 1
    for loaded in (
        datasets.load_dataset("parquet", data_dir=str(out / "data"), cache_dir=str(cache)),
        datasets.load_dataset(str(out), cache_dir=str(cache)),
    ):
        assert set(loaded) == {"train", "test"}
        assert loaded["train"].num_rows == sizes["train"]
        rows = [*loaded["train"], *loaded["test"]]
        back = {
            Task.model_validate_json(r["task"]).id: Task.model_validate_json(r["task"])
            for r in rows
        }
        assert back == {t.id: t for t in tasks}
        assert all(json.loads(r["ground_truth"])["version"] == 2 for r in rows)
        assert all("return x" not in r["prompt"] for r in rows)
    card = (out / "README.md").read_text()
    assert "license:\n  - apache-2.0\n  - mit\n" in card
    assert "| algorithm | 6 |" in card and "| data_science | 4 |" in card
    assert "qwen" in card and "task-v3" in card and "median\n  mutation score" in card


def test_hf_export_refuses_a_used_directory_and_a_bad_share(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("taken")
    with pytest.raises(InputError, match="not an empty directory"):
        write_hf_dataset(batch(), tmp_path)
    with pytest.raises(InputError, match="test share"):
        write_hf_dataset(batch(), tmp_path / "new", test_share=1.0)


def test_cli_exports_hf(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.unit.test_cli import run_cli

    tasks = tmp_path / "verified.jsonl"
    tasks.write_text("".join(t.model_dump_json() + "\n" for t in batch()))
    out = tmp_path / "hf"
    code, stdout, err = run_cli(
        capsys, "export", str(tasks), "--format", "hf", "--out", str(out),
        "--test-share", "0.2", "--cache", str(tmp_path), "--json",
    )  # fmt: skip
    assert code == 0, err
    report = json.loads(stdout)
    assert report["format"] == "hf" and report["splits"]["test"] >= 1
    assert sum(report["splits"].values()) == report["tasks"] == 10 - report["duplicates_dropped"]
    assert (out / "data" / "train-00000-of-00001.parquet").is_file()
