"""Near-miss tests on the scripted server and the real sandbox: kill rates before and
after the separating inputs, the inputs' checks, and bad replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from adr_graph.chat import make_client
from adr_graph.generate.generator import TaskGenerator
from adr_graph.generate.near_miss import NearMissWriter, near_miss_tests
from adr_graph.generate.verify import VerifyOptions, verify_task
from adr_graph.records import Task
from adr_graph.sandbox import Limits, LocalSandbox
from adr_graph.stages import verify_tasks
from tests.support.fake_openai import FakeOpenAI, Scripted

HANDWRITTEN = Path(__file__).parents[1] / "data" / "tasks" / "handwritten.jsonl"
OPTS = VerifyOptions(n_inputs=12, mutants=0, limits=Limits(cpu_seconds=5, wall_seconds=10))
KILLED = "def longest_increasing(values):\n    return len(set(values))\n"
# right on every generated input (at most 12 values), wrong on longer lists
SURVIVOR = (
    "def longest_increasing(values):\n    if len(values) > 15:\n        return 1\n"
    "    best = [1] * len(values)\n    for i in range(len(values)):\n"
    "        for j in range(i):\n            if values[j] < values[i]:\n"
    "                best[i] = max(best[i], best[j] + 1)\n    return max(best)\n"
)
CASES = "def cases():\n    return [{'values': list(range(20))}, {'values': [3]}]\n"


def lis_task() -> Task:
    lines = HANDWRITTEN.read_text().splitlines()
    return next(t for line in lines if (t := Task.model_validate_json(line)).id.endswith("lis-dp"))


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def respond(body: dict[str, Any]) -> Scripted:
    system, user = body["messages"][0]["content"], body["messages"][1]["content"]
    if system.startswith("You write test inputs"):
        return Scripted(fenced(CASES))
    if "(variant 1)" in user:
        return Scripted(fenced(KILLED))
    if "(variant 2)" in user:
        return Scripted(fenced(SURVIVOR))
    return Scripted("no code in this reply")


def writer(base_url: str, cache: Path | None = None) -> NearMissWriter:
    gen = TaskGenerator(make_client(base_url, timeout=10), "m", cache_dir=cache)
    return NearMissWriter.on(gen)


def test_separating_inputs_kill_the_survivor_and_become_tests() -> None:
    with FakeOpenAI(respond) as server:
        done = verify_task(lis_task(), LocalSandbox(), OPTS, near_miss=writer(server.base_url))
        prompts = [r["messages"][1]["content"] for r in server.requests]
    record = done.verification
    assert record is not None and record.verified
    # four asked, the third and fourth replies hold no code: two near misses ran
    assert record.near_misses == 2 and record.near_miss_kill_rate_before == 0.5
    assert record.near_miss_kill_rate == 1.0 and record.separating_tests == 2
    assert record.near_misses_equivalent == 0
    assert {"input": [list(range(20))], "output": 20} in done.tests
    assert SURVIVOR.strip() in prompts[-1] and "Correct solution" in prompts[-1]


def test_cases_the_solutions_disagree_on_or_the_validator_rejects_are_not_kept() -> None:
    def only_bad_cases(body: dict[str, Any]) -> Scripted:
        if body["messages"][0]["content"].startswith("You write test inputs"):
            # 2000 values: the validator allows at most 1000; a string: no such parameter
            return Scripted(fenced("def cases():\n    return [{'values': [0] * 2000}, 'x']\n"))
        return respond(body)

    with FakeOpenAI(only_bad_cases) as server:
        done = verify_task(lis_task(), LocalSandbox(), OPTS, near_miss=writer(server.base_url))
    record = done.verification
    assert record is not None and record.separating_tests == 0
    assert record.near_miss_kill_rate == record.near_miss_kill_rate_before == 0.5
    # the generator makes at most 12 values: no probe shows the survivor wrong, so it is
    # counted as not shown wrong, yet stays in the kill rate (it is wrong on 16+ values)
    assert record.near_misses_equivalent == 1


def test_no_near_miss_at_all_is_recorded_as_unmeasured(tmp_path: Path) -> None:
    with FakeOpenAI(lambda body: Scripted("server error", status=500)) as server:
        report = verify_tasks(
            [lis_task()], tmp_path / "v.jsonl", LocalSandbox(), OPTS,
            near_miss=writer(server.base_url),
        )  # fmt: skip
    assert report.verified == 1 and report.near_miss_kill_rate is None
    with FakeOpenAI(respond) as server:
        report = verify_tasks(
            [lis_task()], tmp_path / "w.jsonl", LocalSandbox(), OPTS,
            near_miss=writer(server.base_url, tmp_path / "cache"),
        )  # fmt: skip
    assert report.near_miss_kill_rate_before == 0.5 and report.near_miss_kill_rate == 1.0
    assert report.near_misses_not_shown_wrong == 0


def test_probe_inputs_kill_a_survivor_the_model_found_no_input_for() -> None:
    """Wrong on lists of four only; the separating call returns nothing usable."""
    right = lis_task().second_solution or ""
    head = "def longest_increasing(values):\n"
    four = right.replace(head, head + "    if len(values) == 4:\n        return 0\n")
    tests = [{"input": [[1, 2, 3]], "output": 3}, {"input": [[3, 2, 1]], "output": 1}]
    probe = [[[5, 1, 6, 2]], [[2, 9]]]

    def answer(body: dict[str, Any]) -> Scripted:
        user = body["messages"][1]["content"]
        code = four if "(variant 1)" in user else right if "(variant 2)" in user else "none"
        return Scripted(fenced(code) if code != "none" else "no code")

    with FakeOpenAI(answer) as server:
        result = near_miss_tests(
            lis_task(), LocalSandbox(), tests, writer(server.base_url), k=2,
            fit=lambda value: value, limits=OPTS.limits, probe=lambda: probe,
        )  # fmt: skip
    # both survive the two tests; the probe kills the wrong one; the right one is not
    # shown wrong by anything, and stays in the rate
    assert result.tried == 2 and result.kill_rate_before == 0.0 and result.kill_rate == 0.5
    assert result.added == [{"input": [[5, 1, 6, 2]], "output": 2}] and result.equivalent == 1
