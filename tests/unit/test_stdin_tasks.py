"""stdin/stdout tasks: prompts, reply parsing, generation, sandboxed verification, export."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adr_graph._io import JsonlCheckpoint
from adr_graph.chat import CachedChat
from adr_graph.errors import TaskReplyError
from adr_graph.export import verl_row
from adr_graph.generate.generator import STDIN_PROMPT_VERSIONS, TaskGenerator, task_id
from adr_graph.generate.parse import parse_task_reply
from adr_graph.generate.prompts import (
    build_inputs_messages,
    build_solve_messages,
    build_task_messages,
)
from adr_graph.generate.prompts_stdin import SOLVE_STDIN_PROMPT_VERSION
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
from tests.unit.test_generate import responder
from tests.unit.test_verify import FAST as VERIFY_FAST

pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")

STATEMENT = (
    "The first line holds n (1 <= n <= 8), the second n integers between -9 and 9. "
    "Print the sum of the even ones, then on a second line their mean as a decimal."
)
REFERENCE = (
    "import sys\n\n\ndef main():\n    data = sys.stdin.read().split()\n"
    "    n = int(data[0])\n    xs = [int(v) for v in data[1:1 + n]]\n"
    "    print(sum(x for x in xs if x % 2 == 0))\n    print(sum(xs) / n)\n\n\nmain()\n"
)
# same answers, another method and another float format; ends with sys.exit(0)
SECOND = (
    "import sys\nn = int(input())\nxs = list(map(int, input().split()))\ntotal = 0\n"
    "for x in xs:\n    if x % 2 == 0:\n        total += x\nprint(total)\n"
    "print('%.9f' % (sum(xs) / n))\nsys.exit(0)\n"
)
GENERATOR = (
    "def generate(rng):\n    n = rng.randint(1, 8)\n"
    "    xs = [rng.randint(-9, 9) for _ in range(n)]\n"
    "    return f'{n}\\n' + ' '.join(map(str, xs)) + '\\n'\n\n"
    "def validate(text):\n    return 1 <= int(text.split()[0]) <= 8\n"
)
TASK_REPLY = f"TITLE: Even sum\nSTATEMENT:\n{STATEMENT}\nSOLUTION:\n```python\n{REFERENCE}```\n"
FAST = VERIFY_FAST


def stdin_set() -> AtomSet:
    atoms = [
        AtomRef(id="algorithm/technique/counting", slot="technique", name="counting"),
        AtomRef(id="algorithm/io_format/stdin-stdout", slot="io_format", name="stdin/stdout"),
    ]
    return AtomSet(domain="algorithm", atoms=atoms, strategy="novelty", rng_seed=3)


def stdin_task(**changes: Any) -> Task:
    fields: dict[str, Any] = {
        "title": "Even sum",
        "statement": STATEMENT,
        "io_format": "stdin",
        "reference_solution": REFERENCE,
        "input_generator": GENERATOR,
        "input_validator": GENERATOR,
        "second_solution": SECOND,
    }
    fields.update(changes)
    provenance = TaskProvenance(
        atom_ids=["algorithm/io_format/stdin-stdout"], prompt_version="p", model="m"
    )
    return Task(id="task-stdin", domain="algorithm", provenance=provenance, **fields)


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return LocalSandbox()


def test_prompts_ask_for_a_program_when_the_set_has_the_stdin_atom() -> None:
    system = build_task_messages(stdin_set(), {}, [])[0]["content"]
    assert "reads standard input" in system and "no input()" not in system
    draft = parse_task_reply(TASK_REPLY, stdin=True)
    assert (draft.entry_point, draft.signature, draft.title) == (None, None, "Even sum")
    inputs_system = build_inputs_messages(draft)[0]["content"]
    assert "validate(text)" in inputs_system and "single string" in inputs_system
    solve = build_solve_messages(STATEMENT, None, 0)
    assert "complete program" in solve[0]["content"] and "(attempt 1)" in solve[1]["content"]


def test_a_program_that_ignores_stdin_is_rejected() -> None:
    reply = TASK_REPLY.replace(REFERENCE, "def f(xs):\n    return sum(xs)\n")
    with pytest.raises(TaskReplyError, match="does not read standard input"):
        parse_task_reply(reply, stdin=True)
    # ``sys.stdin`` attribute access and fileinput count as reading it
    for code in ("import sys\nprint(sys.stdin.readline())\n", "import fileinput\n"):
        parse_task_reply(TASK_REPLY.replace(REFERENCE, code), stdin=True)


def stdin_responder(body: dict[str, Any]) -> Scripted:
    system = body["messages"][0]["content"]
    if "prints the answer to standard output" in system:
        return Scripted(TASK_REPLY)
    if "test-input code" in system:
        return Scripted(f"```python\n{GENERATOR}```")
    if "complete program" in system:
        return Scripted(f"```python\n{SECOND}```")
    return responder(body)  # the function-task prompts


def test_generator_writes_a_stdin_task_and_records_its_prompts(tmp_path: Path) -> None:
    from adr_graph.chat import make_client

    function_set = stdin_set().model_copy(update={"atoms": stdin_set().atoms[:1]})
    with FakeOpenAI(stdin_responder) as server:
        gen = TaskGenerator(make_client(server.base_url, timeout=10), "m", cache_dir=None)
        tasks = JsonlCheckpoint(tmp_path / "t.jsonl", Task)
        fails = JsonlCheckpoint(tmp_path / "f.jsonl", GenerationFailure)
        assert gen.generate_many([stdin_set(), function_set], {}, {}, tasks, fails) == (2, 0, 0)
    task = tasks.records[task_id(stdin_set(), "m")]
    assert (task.io_format, task.entry_point, task.signature) == ("stdin", None, None)
    assert task.provenance.prompt_version == STDIN_PROMPT_VERSIONS
    assert STDIN_PROMPT_VERSIONS == "task-stdin-v1+inputs-stdin-v1+second-stdin-v1"
    other = tasks.records[task_id(function_set, "m")]
    assert (other.io_format, other.entry_point) == (None, "sum_even")
    assert other.provenance.prompt_version.startswith("task-v3")


def test_stdin_task_is_verified_with_printed_outputs(sandbox: LocalSandbox) -> None:
    done = verify_task(stdin_task(), sandbox, FAST)
    assert done.verification is not None and done.verification.verified, done.verification
    assert len(done.tests) >= 5
    test = done.tests[0]
    first, values = test["input"].split("\n")[:2]
    xs = [int(v) for v in values.split()]
    evens, mean = test["output"].split("\n")
    assert int(evens) == sum(x for x in xs if x % 2 == 0) and float(mean) == sum(xs) / len(xs)
    assert int(first) == len(xs)
    score = done.verification.mutation_score
    assert score is not None and score > 0.5


def test_stdin_disagreement_crashes_and_wrong_inputs_are_verdicts(sandbox: LocalSandbox) -> None:
    wrong = SECOND.replace("total += x", "total += 2 * x")
    verdicts = verify_task(stdin_task(second_solution=wrong), sandbox, FAST).verification
    assert verdicts is not None and not verdicts.verified
    assert verdicts.verdicts[-1].step == "agree" and "agree on" in verdicts.verdicts[-1].detail
    exits = verify_task(stdin_task(reference_solution="import sys\nsys.exit(3)\n"), sandbox, FAST)
    assert exits.verification is not None
    assert "SystemExit x" in exits.verification.verdicts[-1].detail
    numbers = "def generate(rng):\n    return [rng.randint(1, 8)]\n"
    bad = verify_task(stdin_task(input_generator=numbers), sandbox, FAST).verification
    assert bad is not None and "0 fit standard input strings" in bad.verdicts[1].detail


def test_solver_difficulty_on_a_stdin_task(tmp_path: Path, sandbox: LocalSandbox) -> None:
    from adr_graph.chat import make_client

    replies = iter([SECOND, "print(0)\n", "import sys\nsys.exit(1)\n"])
    with FakeOpenAI(lambda body: Scripted(f"```python\n{next(replies)}```")) as server:
        client = make_client(server.base_url, timeout=10)
        chat = CachedChat(client, "m", cache_dir=None, prompt_version=SOLVE_STDIN_PROMPT_VERSION)
        opts = replace(FAST, n_inputs=8, mutants=0, solver_attempts=3)
        done = verify_task(stdin_task(), sandbox, opts, solver=chat)
        assert "complete program" in server.requests[0]["messages"][0]["content"]
    assert done.difficulty == pytest.approx(0.6667)  # 1 of 3 attempts passes


def test_verl_row_of_a_stdin_task() -> None:
    task = stdin_task(
        tests=[{"input": "1\n2\n", "output": "2\n2.0"}],
        verification=VerificationRecord(verified=True),
    )
    row = verl_row(task, 0)
    truth = json.loads(row["reward_model"]["ground_truth"])
    assert truth == {"version": 2, "io": "stdin", "entry_point": None, "tests": task.tests}
    assert "reads standard input" in row["prompt"][0]["content"]
