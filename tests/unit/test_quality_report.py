"""The four task measures (``adr-graph report``) on the committed real-model output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.embed import HashingEmbedder
from adr_graph.records import GenerationFailure, Seed, Task
from adr_graph.reports.quality import task_quality
from adr_graph.reports.tasks import load_records

TASKS = Path(__file__).parents[1] / "data" / "tasks"


def seeds() -> list[Seed]:
    texts = {
        "algorithm": "Return the sum of two integers.",
        "data_science": "Build a DataFrame from records and return the column means.",
        "tool_usage": "Call the weather tool for each city the user names.",
    }
    return [
        Seed(id=f"s/{d}", domain=d, statement=t, source="t", license="MIT")
        for d, t in texts.items()
    ]


def loaded() -> tuple[list[Task], list[GenerationFailure]]:
    tasks = load_records(TASKS / "verified.jsonl", Task)
    failures = load_records(TASKS / "tasks.jsonl.failures.jsonl", GenerationFailure)
    return tasks, failures


def test_measures_of_the_real_model_batch() -> None:
    tasks, failures = loaded()
    report = task_quality(tasks, failures, seeds(), HashingEmbedder())
    assert (report.tasks, report.verified) == (20, 2)
    assert list(report.funnel.values()) == [24, 22, 20, 18, 5, 2, 2, 2, 2]
    # the add(x, y) task copies the seed "sum of two integers" almost word for word
    assert report.originality.count == 20 and report.originality.minimum is not None
    assert report.originality.minimum < 0.5 < report.originality.maximum  # type: ignore[operator]
    assert report.difficulty.pass_rate.median == 0.5 and report.difficulty.learnable_share == 0.0
    assert report.tests.mutation_score.median == 0.9 and report.fidelity.count == 0
    assert report.verified_by_round == {"first try": 2, "after 1 repair": 2, "after 2 repairs": 2}
    assert report.diversity.vendi is not None and 1.0 < report.diversity.vendi <= 20.0


def test_diversity_tells_copies_from_distinct_statements() -> None:
    tasks, _ = loaded()
    first = tasks[0]
    same = [first.model_copy(update={"id": f"c{k}"}) for k in range(4)]
    copies = task_quality(same, [], [], HashingEmbedder()).diversity
    assert copies.mean_distance == pytest.approx(0.0, abs=1e-6)
    assert copies.vendi == pytest.approx(1.0, abs=1e-3)
    distinct = task_quality(tasks[:4], [], [], HashingEmbedder()).diversity
    assert distinct.vendi is not None and distinct.vendi > 2.0
    assert task_quality([], [], [], HashingEmbedder()).diversity.vendi is None


def test_cli_report_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.unit.test_cli import run_cli

    seeds_file = tmp_path / "seeds.jsonl"
    seeds_file.write_text("".join(s.model_dump_json() + "\n" for s in seeds()))
    html = tmp_path / "q.html"
    args = ["report", str(TASKS / "verified.jsonl"), "--embedder", "hashing", "--seeds"]
    failures = ["--failures", str(TASKS / "tasks.jsonl.failures.jsonl")]
    code, out, err = run_cli(
        capsys, *args, str(seeds_file), *failures, "--html", str(html), "--cache",
        str(tmp_path / "c"), "--json",
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)
    assert doc["verified"] == 2 and doc["funnel"]["faithful (verified)"] == 2
    assert doc["originality"]["count"] == 20
    page = html.read_text()
    body = page.split("<body>", 1)[1]
    assert "Distributions" in body and "Verified by repair round" in body
    assert "{" not in body and "None" not in body  # no Python reprs
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = run_cli(capsys, "report", str(empty), "--embedder", "hashing", "--cache",
                           str(tmp_path / "c"))  # fmt: skip
    assert code != 0 and "no tasks" in err
