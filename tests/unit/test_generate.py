"""Task generation: prompts, harness text, mutants, checkpoint, generator over a scripted server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adr_graph._io import JsonlCheckpoint
from adr_graph.generate.generator import TaskGenerator, task_id
from adr_graph.generate.harness import HarnessError, outputs_equal, parse_marked
from adr_graph.generate.mutate import ast_mutants
from adr_graph.generate.parse import (
    TaskReplyError,
    parse_inputs_reply,
    parse_second_reply,
    parse_task_reply,
)
from adr_graph.generate.prompts import (
    TASK_PROMPT_VERSION,
    build_inputs_messages,
    build_task_messages,
)
from adr_graph.records import AtomRef, AtomSet, GenerationFailure, Task
from tests.support.fake_openai import FakeOpenAI, Scripted

pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")

SPEC = {
    "title": "Sum of evens",
    "statement": "Given a list of integers, return the sum of the even ones.",
    "entry_point": "sum_even",
    "signature": "def sum_even(xs)",
    "reference_solution": "def sum_even(xs):\n    return sum(x for x in xs if x % 2 == 0)\n",
    "input_generator": "def generate(rng):\n"
    "    return {'xs': [rng.randint(-9, 9) for _ in range(5)]}\n",
    "input_validator": "def validate(inputs):\n    return isinstance(inputs['xs'], list)\n",
}
SECOND = {
    "solution": "```python\ndef sum_even(xs):\n    t = 0\n    for x in xs:\n"
    "        if x % 2 == 0:\n            t += x\n    return t\n```"
}
# Replies in the layouts the prompts ask for (what a well-behaved model sends).
TASK_REPLY = (
    f"TITLE: {SPEC['title']}\nSTATEMENT:\n{SPEC['statement']}\nSOLUTION:\n"
    f"```python\n{SPEC['reference_solution']}```\n"
)
INPUTS_REPLY = f"```python\n{SPEC['input_generator']}\n{SPEC['input_validator']}```"


def atom_set(k: int = 0) -> AtomSet:
    atoms = [
        AtomRef(id=f"algorithm/technique/t{k}", slot="technique", name=f"t{k}"),
        AtomRef(id="algorithm/data_structure/list", slot="data_structure", name="list"),
    ]
    return AtomSet(domain="algorithm", atoms=atoms, strategy="novelty", rng_seed=1)


def responder(body: dict[str, Any]) -> Scripted:
    system = body["messages"][0]["content"]
    if "You write one new" in system:
        return Scripted(TASK_REPLY)
    if "test-input code" in system:
        return Scripted(INPUTS_REPLY)
    return Scripted(SECOND["solution"])


def test_task_reply_sections_and_entry_point() -> None:
    draft = parse_task_reply("Sure!\n" + TASK_REPLY + "\nHope this helps.")
    assert (draft.title, draft.entry_point) == ("Sum of evens", "sum_even")
    assert draft.signature == "def sum_even(xs)"
    assert draft.reference_solution == SPEC["reference_solution"]
    # markdown-decorated headings; helpers called by the entry point are not chosen
    helper = (
        "**TITLE:** t\n**STATEMENT:**\nCall solve(a).\n**SOLUTION:**\n```python\n"
        "def solve(a):\n    return _h(a) + twice(a)\n\ndef twice(a):\n    return 2 * a\n"
        "\ndef _h(a):\n    return a\n```"
    )
    assert parse_task_reply(helper).entry_point == "solve"
    # a function name the harness cannot call is a reply error, not a crash
    with pytest.raises(TaskReplyError, match="entry_point is unusable"):
        parse_task_reply(TASK_REPLY.replace("def sum_even", "def \u00c0sum_even"))
    # a length cut-off leaves the fence unclosed: the code is still read
    assert parse_task_reply(TASK_REPLY.rstrip("`\n")).entry_point == "sum_even"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("I cannot do that", "no STATEMENT"),
        ("TITLE: t\nSTATEMENT:\nDo it.\nSOLUTION:\nsorry", "no fenced solution"),
        ("STATEMENT:\nx\nSOLUTION:\n```python\ndef f(:\n```", "not valid Python: line 1"),
        (
            "STATEMENT:\nx\nSOLUTION:\n```python\nclass S:\n    def f(self): pass\n```",
            "no top-level function",
        ),
    ],
)
def test_task_reply_errors_say_what_is_wrong(reply: str, reason: str) -> None:
    with pytest.raises(TaskReplyError, match=reason) as info:
        parse_task_reply(reply)
    assert info.value.reply == reply


def test_inputs_and_second_replies() -> None:
    spec = parse_inputs_reply(INPUTS_REPLY)
    assert "def generate" in spec.input_generator and spec.input_validator is not None
    no_validator = parse_inputs_reply("```python\ndef generate(rng):\n    return {}\n```")
    assert no_validator.input_validator is None
    with pytest.raises(TaskReplyError, match="no generate"):
        parse_inputs_reply("```python\ndef make(rng):\n    return {}\n```")
    assert parse_second_reply(SECOND["solution"], "sum_even").solution.startswith("def sum_even")
    with pytest.raises(TaskReplyError, match="no function sum_even"):
        parse_second_reply("```python\ndef other(xs):\n    return 0\n```", "sum_even")
    # JSON replies (with raw newlines, or a Python dict with triple quotes) still read
    raw = '{"solution": "def f(x):\n    return x"}'.replace("\\n", "\n")
    assert parse_second_reply(raw).solution.startswith("def f(x):\n    return x")
    triple = '{\n  "solution": """\ndef f(x):\n    return x\n"""\n}'
    assert "return x" in parse_second_reply(triple, "f").solution
    bare = "def f(x):\n    return x\n"
    assert parse_second_reply(bare, "f").solution == bare


def test_prompts_carry_atoms_examples_and_parameters() -> None:
    messages = build_task_messages(atom_set(), {}, ["A previous task statement."])
    assert "t0" in messages[1]["content"] and "A previous task" in messages[1]["content"]
    draft = parse_task_reply(TASK_REPLY)
    system = build_inputs_messages(draft)[0]["content"]
    assert '"xs": [rng.randint' in system and 'isinstance(inputs["xs"], list)' in system


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

    def distinct(body: dict[str, Any]) -> Scripted:
        # name the technique in each statement, so the follow-up prompts of the two sets
        # differ and none is answered from the other's cache entry (whatever the timing)
        reply = responder(body)
        user = body["messages"][-1]["content"]
        if reply.content == TASK_REPLY:
            technique = "t0" if "t0" in user else "t1"
            statement = f"{SPEC['statement']} (technique {technique})"
            return Scripted(TASK_REPLY.replace(SPEC["statement"], statement))
        return reply

    with FakeOpenAI(distinct) as server:
        gen = TaskGenerator(
            make_client(server.base_url, timeout=10),
            "fake-model",
            cache_dir=tmp_path / "cache",
            max_concurrency=2,
        )
        tasks = JsonlCheckpoint(tmp_path / "tasks.jsonl", Task)
        fails = JsonlCheckpoint(tmp_path / "failures.jsonl", GenerationFailure)
        new, failed, skipped = gen.generate_many(sets, {}, {}, tasks, fails)
        assert (new, failed, skipped) == (2, 0, 1) and len(server.requests) == 6
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
        assert again == (0, 0, 3) and gen2.http_calls == 0 and len(server.requests) == 6
    assert len((tmp_path / "tasks.jsonl").read_text().splitlines()) == 2


def test_malformed_reply_is_a_recorded_failure(tmp_path: Path) -> None:
    from adr_graph.chat import make_client

    with FakeOpenAI(lambda body: Scripted("no json at all")) as server:
        gen = TaskGenerator(make_client(server.base_url, timeout=10), "fake-model", cache_dir=None)
        tasks = JsonlCheckpoint(tmp_path / "t.jsonl", Task)
        fails = JsonlCheckpoint(tmp_path / "f.jsonl", GenerationFailure)
        assert gen.generate_many([atom_set()], {}, {}, tasks, fails) == (0, 1, 0)
    (failure,) = fails.records.values()
    assert failure.stage == "task" and "no STATEMENT" in failure.reason


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


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("fault", ["down", "slow", "429", "500"])
def test_endpoint_faults_are_retried_then_recorded(tmp_path: Path, fault: str) -> None:
    """Endpoint down / slow / 429 / 500: bounded retries with backoff, then one recorded
    failure per set; nothing raises, nothing is written to the tasks file."""
    import time

    from adr_graph.chat import RetryPolicy, make_client

    sleeps: list[float] = []
    status = {"429": 429, "500": 500}.get(fault, 200)
    scripted = Scripted(
        "rate limited" if status != 200 else "", status=status, delay=2.0 * (fault == "slow")
    )
    with FakeOpenAI(lambda body: scripted) as server:
        url = f"http://127.0.0.1:{_closed_port()}/v1" if fault == "down" else server.base_url
        gen = TaskGenerator(
            make_client(url, timeout=0.5),
            "m",
            cache_dir=None,
            retry=RetryPolicy(max_retries=2, backoff=0.01, sleep=sleeps.append),
        )
        tasks = JsonlCheckpoint(tmp_path / "t.jsonl", Task)
        fails = JsonlCheckpoint(tmp_path / "f.jsonl", GenerationFailure)
        started = time.monotonic()
        assert gen.generate_many([atom_set()], {}, {}, tasks, fails) == (0, 1, 0)
        assert time.monotonic() - started < 10
        if fault != "down":
            assert len(server.requests) == 3  # the first try and two retries
    assert sleeps == [0.01, 0.02]  # exponential backoff, bounded by max_retries
    (failure,) = fails.records.values()
    assert failure.stage == "task" and "after 3 attempts" in failure.reason
    assert not (tmp_path / "t.jsonl").exists()
