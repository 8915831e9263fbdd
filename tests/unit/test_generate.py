"""Task generation: prompts, harness text, mutants, checkpoint, generator over a scripted server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adr_graph.generate.generator import GenerationFailure, JsonlCheckpoint, TaskGenerator, task_id
from adr_graph.generate.harness import HarnessError, outputs_equal, parse_marked
from adr_graph.generate.mutate import ast_mutants
from adr_graph.generate.prompts import (
    TASK_PROMPT_VERSION,
    TaskReplyError,
    build_task_messages,
    parse_second_reply,
    parse_task_reply,
)
from adr_graph.records import AtomRef, AtomSet, Task
from tests.support.fake_openai import FakeOpenAI, Scripted

pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")

SPEC = {
    "title": "Sum of evens",
    "statement": "Given a list of integers, return the sum of the even ones.",
    "entry_point": "sum_even",
    "signature": "def sum_even(xs: list[int]) -> int",
    "reference_solution": "def sum_even(xs):\n    return sum(x for x in xs if x % 2 == 0)\n",
    "input_generator": "def generate(rng):\n    return [[rng.randint(-9, 9) for _ in range(5)]]\n",
    "input_validator": "def validate(args):\n    return isinstance(args[0], list)\n",
}
SECOND = {
    "solution": "```python\ndef sum_even(xs):\n    t = 0\n    for x in xs:\n"
    "        if x % 2 == 0:\n            t += x\n    return t\n```"
}


def atom_set(k: int = 0) -> AtomSet:
    atoms = [
        AtomRef(id=f"algorithm/technique/t{k}", slot="technique", name=f"t{k}"),
        AtomRef(id="algorithm/data_structure/list", slot="data_structure", name="list"),
    ]
    return AtomSet(domain="algorithm", atoms=atoms, strategy="novelty", rng_seed=1)


def responder(body: dict[str, Any]) -> Scripted:
    system = body["messages"][0]["content"]
    if "You write new" in system:
        return Scripted(json.dumps(SPEC))
    return Scripted(json.dumps(SECOND))


def test_prompts_parse_and_strip_fences() -> None:
    spec = parse_task_reply("Here you go:\n```json\n" + json.dumps(SPEC) + "\n```")
    assert spec.entry_point == "sum_even"
    assert parse_second_reply(json.dumps(SECOND)).solution.startswith("def sum_even")
    with pytest.raises(TaskReplyError, match="entry_point"):
        parse_task_reply(json.dumps({**SPEC, "entry_point": "not an identifier"}))
    with pytest.raises(TaskReplyError, match="no JSON"):
        parse_task_reply("I cannot do that")
    # small models: raw newlines inside strings, or a Python dict with triple quotes
    raw = '{"solution": "def f(x):\n    return x"}'.replace("\\n", "\n")
    assert parse_second_reply(raw).solution == "def f(x):\n    return x"
    triple = '```json\n{\n  "solution": """\ndef f(x):\n    return x\n"""\n}\n```'
    assert "return x" in parse_second_reply(triple).solution
    messages = build_task_messages(atom_set(), {}, ["A previous task statement."])
    assert "t0" in messages[1]["content"] and "A previous task" in messages[1]["content"]


def test_mutants_change_one_site_and_parse() -> None:
    mutants = ast_mutants(SPEC["reference_solution"], limit=20)
    assert mutants and len(set(mutants)) == len(mutants)
    assert all("def sum_even" in m and m != SPEC["reference_solution"] for m in mutants)
    assert any("!=" in m for m in mutants)  # x % 2 == 0 -> !=
    assert ast_mutants("def broken(:") == []


def test_outputs_compare_structurally_with_float_tolerance() -> None:
    assert outputs_equal({"a": [1, 2.0]}, {"a": [1, 2.0000000001]})
    assert not outputs_equal([1, 2], [2, 1]) and not outputs_equal(True, 1)
    assert not outputs_equal({"a": 1}, {"b": 1})
    with pytest.raises(HarnessError):
        parse_marked("no marker here")


def test_checkpoint_drops_a_truncated_last_line(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    log = JsonlCheckpoint(path, GenerationFailure)
    log.append(GenerationFailure(id="a", atom_ids=["x"], stage="task", reason="r"))
    with path.open("a") as handle:
        handle.write('{"id": "b", "atom_ids": [')  # a kill -9 in the middle of a write
    again = JsonlCheckpoint(path, GenerationFailure)
    assert list(again.records) == ["a"]
    assert path.read_text().count("\n") == 1 and path.read_text().endswith("\n")


def test_generator_writes_tasks_and_resumes_without_repeating(tmp_path: Path) -> None:
    from adr_graph.chat import make_client

    sets = [atom_set(0), atom_set(1), atom_set(0)]  # the duplicate is done once
    with FakeOpenAI(responder) as server:
        gen = TaskGenerator(
            make_client(server.base_url, timeout=10),
            "fake-model",
            cache_dir=tmp_path / "cache",
            max_concurrency=2,
        )
        tasks = JsonlCheckpoint(tmp_path / "tasks.jsonl", Task)
        fails = JsonlCheckpoint(tmp_path / "failures.jsonl", GenerationFailure)
        new, failed, skipped = gen.generate_many(sets, {}, {}, tasks, fails)
        assert (new, failed, skipped) == (2, 0, 1) and len(server.requests) == 4
        task = tasks.records[task_id(sets[0], "fake-model")]
        assert task.entry_point == "sum_even" and "t = 0" in task.second_solution
        assert task.provenance.prompt_version.startswith(TASK_PROMPT_VERSION)
        assert task.provenance.atom_ids == [a.id for a in sets[0].atoms]
        # a rerun with fresh objects skips everything: no HTTP, no duplicate lines
        gen2 = TaskGenerator(
            make_client(server.base_url, timeout=10), "fake-model", cache_dir=tmp_path / "cache"
        )
        tasks2 = JsonlCheckpoint(tmp_path / "tasks.jsonl", Task)
        again = gen2.generate_many(
            sets, {}, {}, tasks2, JsonlCheckpoint(tmp_path / "failures.jsonl", GenerationFailure)
        )
        assert again == (0, 0, 3) and gen2.http_calls == 0 and len(server.requests) == 4
    assert len((tmp_path / "tasks.jsonl").read_text().splitlines()) == 2


def test_malformed_reply_is_a_recorded_failure(tmp_path: Path) -> None:
    from adr_graph.chat import make_client

    with FakeOpenAI(lambda body: Scripted("no json at all")) as server:
        gen = TaskGenerator(make_client(server.base_url, timeout=10), "fake-model", cache_dir=None)
        tasks = JsonlCheckpoint(tmp_path / "t.jsonl", Task)
        fails = JsonlCheckpoint(tmp_path / "f.jsonl", GenerationFailure)
        assert gen.generate_many([atom_set()], {}, {}, tasks, fails) == (0, 1, 0)
    (failure,) = fails.records.values()
    assert failure.stage == "task" and "no JSON" in failure.reason


def test_retry_failed_regenerates_recorded_failures(tmp_path: Path) -> None:
    from adr_graph.chat import make_client

    tasks = JsonlCheckpoint(tmp_path / "t.jsonl", Task)
    fails = JsonlCheckpoint(tmp_path / "f.jsonl", GenerationFailure)
    with FakeOpenAI(lambda body: Scripted("no json at all")) as server:
        gen = TaskGenerator(make_client(server.base_url, timeout=10), "m", cache_dir=None)
        assert gen.generate_many([atom_set()], {}, {}, tasks, fails) == (0, 1, 0)
    with FakeOpenAI(responder) as server:
        gen = TaskGenerator(make_client(server.base_url, timeout=10), "m", cache_dir=None)
        assert gen.generate_many([atom_set()], {}, {}, tasks, fails) == (0, 0, 1)
        assert gen.generate_many([atom_set()], {}, {}, tasks, fails, retry_failed=True) == (1, 0, 0)
    assert task_id(atom_set(), "m") in tasks
