"""Tool-usage tasks: declared tool schemas, generation, and the check of returned calls."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adr_graph._io import JsonlCheckpoint
from adr_graph.errors import TaskReplyError
from adr_graph.export import verl_row
from adr_graph.generate.generator import TaskGenerator
from adr_graph.generate.parse import parse_task_reply
from adr_graph.generate.prompts import build_task_messages
from adr_graph.generate.tools import check_tool_calls, parse_tools_section
from adr_graph.generate.verify import verify_task
from adr_graph.records import (
    AtomRef,
    AtomSet,
    GenerationFailure,
    Task,
    TaskProvenance,
    VerificationRecord,
)
from adr_graph.sandbox import LocalSandbox
from tests.support.fake_openai import FakeOpenAI, Scripted
from tests.unit.test_verify import FAST as VERIFY_FAST

pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")

TOOLS = [
    {"name": "get_weather", "parameters": {"city": "string", "days": "integer"},
     "required": ["city"]},
    {"name": "convert", "parameters": {"amount": "number", "unit": "string"},
     "required": ["amount", "unit"]},
]  # fmt: skip
STATEMENT = (
    "plan_calls(request) receives a dict with a city name and a number of days and "
    "returns the weather calls to make: one per day count, at most 3 days per call."
)
REFERENCE = (
    "def plan_calls(request):\n    calls, left = [], request['days']\n"
    "    while left > 0:\n        step = min(3, left)\n"
    "        calls.append({'name': 'get_weather', "
    "'arguments': {'city': request['city'], 'days': step}})\n        left -= step\n"
    "    return calls\n"
)
SECOND = (
    "def plan_calls(request):\n    out = []\n    d = request['days']\n"
    "    for start in range(0, d, 3):\n"
    "        out.append({'name': 'get_weather', "
    "'arguments': {'city': request['city'], 'days': min(3, d - start)}})\n    return out\n"
)
GENERATOR = (
    "def generate(rng):\n    return {'request': {'city': rng.choice(['Oslo', 'Lima']), "
    "'days': rng.randint(0, 10)}}\n"
)
REPLY = (
    f"TITLE: Weather plan\nSTATEMENT:\n{STATEMENT}\nTOOLS:\n```json\n{json.dumps(TOOLS)}\n```\n"
    f"SOLUTION:\n```python\n{REFERENCE}```\n"
)
FAST = replace(VERIFY_FAST, mutants=6)


def tool_set() -> AtomSet:
    atoms = [
        AtomRef(id="tool_usage/tool/get_weather", slot="tool", name="get_weather"),
        AtomRef(id="tool_usage/objective/travel", slot="objective", name="travel"),
    ]
    return AtomSet(domain="tool_usage", atoms=atoms, strategy="novelty", rng_seed=5)


def tool_task(**changes: Any) -> Task:
    fields: dict[str, Any] = {
        "title": "Weather plan",
        "statement": STATEMENT,
        "entry_point": "plan_calls",
        "signature": "def plan_calls(request)",
        "reference_solution": REFERENCE,
        "input_generator": GENERATOR,
        "second_solution": SECOND,
        "tools": TOOLS,
    }
    fields.update(changes)
    provenance = TaskProvenance(atom_ids=["tool_usage/tool/get_weather"], prompt_version="p",
                                model="m")  # fmt: skip
    return Task(id="task-tools", domain="tool_usage", provenance=provenance, **fields)


def test_tools_section_is_read_and_checked() -> None:
    tools = parse_tools_section(REPLY)
    assert [t.name for t in tools] == ["get_weather", "convert"]
    assert parse_tools_section(f"TOOLS: {json.dumps(TOOLS[:1])}")[0].required == ["city"]
    draft = parse_task_reply(REPLY)
    assert draft.statement == STATEMENT and draft.entry_point == "plan_calls"
    bad = {
        "TITLE: x\nSTATEMENT:\ny\n": "no TOOLS section",
        'TOOLS:\n```json\n[{"name": "f"\n```': "not a JSON list of tools",
        'TOOLS: [{"name": "f", "parameters": {"a": null}}]': "not a JSON list of tools",
        'TOOLS: [{"name": "f", "required": ["a"]}]': "undeclared argument",
        "TOOLS: []": "declares no tool",
        'TOOLS: {"name": "f"}': "the section: Input should be a valid list",
        'TOOLS: [{"name": "f", "parameters": {"a": null}}]\n': "tool 1 parameters.a: Input",
    }
    for reply, reason in bad.items():
        with pytest.raises(TaskReplyError, match=reason):
            parse_tools_section(reply)


def test_tool_parameter_types_are_read_leniently() -> None:
    # what small models write: aliases, placeholders kept, JSON-schema, values for types
    reply = (
        'TOOLS: [{"name": "find-movies", "parameters": {"genre": "Action", "n": "<int>", '
        '"actors": ["Tom Hanks"], "year": {"type": "integer"}, "adult": false}}, '
        '{"name": "g", "parameters": {"type": "object", "properties": {"q": {"type": "str"}}}}]'
    )
    first, second = parse_tools_section(reply)
    assert first.parameters == {
        "genre": "string",
        "n": "integer",
        "actors": "array",
        "year": "integer",
        "adult": "boolean",
    }
    assert second.parameters == {"q": "string"}


@pytest.mark.parametrize(
    ("calls", "reason"),
    [
        ([{"name": "get_weather", "arguments": {"city": "Oslo", "days": 2}}], None),
        ([{"name": "convert", "arguments": {"amount": 2, "unit": "km"}}], None),
        ([], None),
        ({"name": "get_weather"}, "not a list of calls"),
        ([{"name": "get_weather"}], "is not {'name'"),
        ([{"name": "book", "arguments": {}}], "undeclared tool 'book'"),
        ([{"name": "get_weather", "arguments": []}], "not an object"),
        ([{"name": "get_weather", "arguments": {"days": 1}}], "lacks required argument city"),
        ([{"name": "get_weather", "arguments": {"city": "a", "x": 1}}], "undeclared argument x"),
        ([{"name": "get_weather", "arguments": {"city": "a", "days": "2"}}], "not of type integer"),
        ([{"name": "get_weather", "arguments": {"city": "a", "days": True}}], "type integer"),
        ([{"name": "convert", "arguments": {"amount": False, "unit": "k"}}], "type number"),
    ],
)
def test_check_tool_calls(calls: Any, reason: str | None) -> None:
    tools = parse_tools_section(f"TOOLS: {json.dumps(TOOLS)}")
    found = check_tool_calls(calls, tools)
    assert found is None if reason is None else reason in (found or "")


def tool_responder(body: dict[str, Any]) -> Scripted:
    system = body["messages"][0]["content"]
    if "tool-calling task" in system:
        return Scripted(REPLY)
    if "test-input code" in system:
        return Scripted(f"```python\n{GENERATOR}```")
    return Scripted(f"```python\n{SECOND}```")


def test_generator_records_the_declared_tools(tmp_path: Path) -> None:
    from adr_graph.chat import make_client

    assert "TOOLS section" in build_task_messages(tool_set(), {}, [])[0]["content"]
    with FakeOpenAI(tool_responder) as server:
        gen = TaskGenerator(make_client(server.base_url, timeout=10), "m", cache_dir=None)
        tasks = JsonlCheckpoint(tmp_path / "t.jsonl", Task)
        fails = JsonlCheckpoint(tmp_path / "f.jsonl", GenerationFailure)
        assert gen.generate_many([tool_set()], {}, {}, tasks, fails) == (1, 0, 0)
        second_prompt = server.requests[-1]["messages"][1]["content"]
    (task,) = tasks.records.values()
    assert task.tools == TOOLS and "get_weather" in second_prompt  # the solver sees the tools
    assert task.provenance.prompt_version == "task-tools-v1+inputs-v1+second-v2"
    assert task.statement.startswith(STATEMENT) and '"required"' in task.statement


def test_reply_without_tools_is_a_recorded_failure(tmp_path: Path) -> None:
    from adr_graph.chat import make_client

    untooled = REPLY.replace(f"TOOLS:\n```json\n{json.dumps(TOOLS)}\n```\n", "")
    with FakeOpenAI(lambda body: Scripted(untooled)) as server:
        gen = TaskGenerator(make_client(server.base_url, timeout=10), "m", cache_dir=None)
        fails = JsonlCheckpoint(tmp_path / "f.jsonl", GenerationFailure)
        tasks = JsonlCheckpoint(tmp_path / "t.jsonl", Task)
        assert gen.generate_many([tool_set()], {}, {}, tasks, fails) == (0, 1, 0)
    (failure,) = fails.records.values()
    assert (failure.stage, failure.reason) == ("task", "no TOOLS section in the reply")


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return LocalSandbox()


def test_calls_are_verified_against_the_tools(sandbox: LocalSandbox) -> None:
    done = verify_task(tool_task(), sandbox, FAST)
    assert done.verification is not None and done.verification.verified, done.verification
    assert [v.step for v in done.verification.verdicts][-2:] == ["tool_calls", "triviality"]
    assert all(v.ok for v in done.verification.verdicts)
    assert any(t["output"] for t in done.tests) and done.verification.mutation_score is not None
    # both solutions agree, but pass days as a string: agreement alone would keep the task
    days = "'days': min(3, d - start)"
    wrong = tool_task(
        reference_solution=REFERENCE.replace("'days': step", "'days': str(step)"),
        second_solution=SECOND.replace(days, "'days': str(min(3, d - start))"),
    )
    failed = verify_task(wrong, sandbox, FAST).verification
    assert failed is not None and not failed.verified
    last = failed.verdicts[-1]
    assert last.step == "tool_calls" and not last.ok and "not of type integer" in last.detail
    assert {v.step: v.ok for v in failed.verdicts}["agree"]


def test_verl_row_carries_the_tools() -> None:
    task = tool_task(tests=[{"input": [{"city": "Oslo", "days": 1}], "output": []}],
                     verification=VerificationRecord(verified=True))  # fmt: skip
    truth = json.loads(verl_row(task, 0)["reward_model"]["ground_truth"])
    assert truth["tools"] == TOOLS and truth["io"] == "function"
