"""Screening before export: near-duplicates (statement cosine, normalised reference) and
contamination by evaluation-only seeds (13-gram overlap, cosine); the export CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.embed import HashingEmbedder
from adr_graph.records import Seed, Task, VerificationRecord
from adr_graph.screen import normalised_code, screen_tasks

HANDWRITTEN = Path(__file__).parents[1] / "data" / "tasks" / "handwritten.jsonl"


def tasks() -> list[Task]:
    return [Task.model_validate_json(line) for line in HANDWRITTEN.read_text().splitlines()]


def test_near_duplicates_by_statement_or_normalised_reference() -> None:
    batch = tasks()[:3]
    reworded = batch[0].model_copy(update={"id": "copy-statement"})
    recommented = batch[1].model_copy(
        update={
            "id": "copy-code",
            "statement": "A wholly different story about the same function, told again.",
            "reference_solution": '"""module doc"""\n'
            + batch[1].reference_solution.replace("\n", "  # note\n", 1),
        }
    )
    screened = screen_tasks([*batch, reworded, recommented], HashingEmbedder())
    dups = {t.id: t.screening.duplicate_of for t in screened if t.screening}
    assert dups[reworded.id] == batch[0].id and dups[recommented.id] == batch[1].id
    assert all(dups[t.id] is None for t in batch)
    # against earlier outputs: the whole batch repeats them
    again = screen_tasks(batch, HashingEmbedder(), earlier=batch)
    assert [t.screening.duplicate_of for t in again if t.screening] == [t.id for t in batch]


def test_contamination_by_shared_13_grams_is_flagged() -> None:
    task = tasks()[0]
    copied = " ".join(task.statement.split()[:20])
    seeds = [
        Seed(id="dfb/T9", domain="algorithm", statement=copied, source="s", license="MIT"),
        Seed(id="dfb/T8", domain="algorithm", statement="Plot a histogram.", source="s",
             license="MIT"),
    ]  # fmt: skip
    (flagged,) = screen_tasks([task], HashingEmbedder(), eval_seeds=seeds)
    assert flagged.screening is not None and flagged.screening.contaminated
    assert flagged.screening.eval_ngram_seed == "dfb/T9" and flagged.screening.eval_ngrams >= 8
    (clean,) = screen_tasks([task], HashingEmbedder(), eval_seeds=seeds[1:])
    assert clean.screening is not None and not clean.screening.contaminated
    assert clean.screening.eval_ngrams == 0 and clean.screening.nearest_eval_seed == "dfb/T8"


def test_normalised_code_ignores_docstrings_comments_and_layout() -> None:
    a = 'def f(x):\n    """Doc."""\n    return  x+1  # add one\n'
    assert normalised_code(a) == normalised_code("def f(x):\n    return x + 1")
    assert normalised_code("def f(:") == "def f(:"


def test_cli_export_screens_and_decontaminates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.unit.test_cli import run_cli

    passed = VerificationRecord(verified=True)
    tests = [{"input": [1], "output": 1}]
    batch = [t.model_copy(update={"verification": passed, "tests": tests}) for t in tasks()]
    verified = tmp_path / "verified.jsonl"
    duplicate = batch[0].model_copy(update={"id": "dup"})
    verified.write_text("".join(t.model_dump_json() + "\n" for t in [*batch, duplicate]))
    seeds = tmp_path / "seeds.jsonl"
    copied = " ".join(batch[1].statement.split()[:20])
    seed = Seed(id="dfb/T1", domain="algorithm", statement=copied, source="dataframebench==1",
                license="MIT", metadata={"trainable": False})  # fmt: skip
    seeds.write_text(seed.model_dump_json() + "\n")
    monkeypatch.setenv("ADR_GRAPH_SEEDS", str(seeds))
    monkeypatch.chdir(tmp_path)  # no store here: the tasks carry their licenses
    env = ["--cache", str(tmp_path / "c"), "--json"]
    base = ["export", str(verified), "--out"]
    code, out, err = run_cli(capsys, *base, str(tmp_path / "a.jsonl"), *env)
    assert code == 0, err
    report = json.loads(out)
    assert report["tasks"] == 10 and report["duplicates_dropped"] == 1
    assert report["contaminated"] == 1 and report["decontaminated"] == 0
    rows = [json.loads(line) for line in (tmp_path / "a.jsonl").read_text().splitlines()]
    assert sum(r["screening"]["contaminated"] for r in rows) == 1
    code, out, err = run_cli(capsys, *base, str(tmp_path / "b.jsonl"), "--decontaminate", *env)
    assert code == 0, err
    assert json.loads(out)["tasks"] == 9 and json.loads(out)["decontaminated"] == 1
    against = ["--against", str(tmp_path / "a.jsonl")]
    code, out, err = run_cli(capsys, *base, str(tmp_path / "c.jsonl"), *against, *env)
    assert code == 0, err
    assert json.loads(out)["tasks"] == 0 and json.loads(out)["duplicates_dropped"] == 11
