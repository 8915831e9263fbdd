"""Repair from sandbox evidence, on the scripted server and the real sandbox: what the
repair call is shown, what it replaces, rounds, faults, the funnel and resuming."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adr_graph.chat import make_client
from adr_graph.generate.generator import TaskGenerator
from adr_graph.generate.prompts_repair import UNCHANGED, build_repair_messages, repair_version
from adr_graph.generate.repair import NOTHING_CHANGED, REGRESSED_ERROR, TaskRepairer, failed_step
from adr_graph.generate.verify import VerifyOptions
from adr_graph.records import Task, TaskProvenance, Verdict
from adr_graph.sandbox import Limits, LocalSandbox
from adr_graph.stages import verify_tasks
from tests.support.fake_openai import FakeOpenAI, Scripted

OPTS = VerifyOptions(
    n_inputs=10, mutants=0, limits=Limits(cpu_seconds=5, wall_seconds=10), min_fidelity=0.0
)
REFERENCE = """def polygon_twice_area(points):
    total = 0
    for k in range(len(points)):
        x1, y1 = points[k]
        x2, y2 = points[(k + 1) % len(points)]
        total += x1 * y2 - x2 * y1
    return abs(total)
"""
SECOND = """def polygon_twice_area(points):
    n = len(points)
    s = sum(points[i][0] * points[(i + 1) % n][1] for i in range(n))
    s -= sum(points[(i + 1) % n][0] * points[i][1] for i in range(n))
    return abs(s)
"""
FLAT = "def generate(rng):\n    return {'points': [rng.randint(-9, 9) for _ in range(6)]}\n"
PAIRS = (
    "def generate(rng):\n    n = rng.randint(3, 6)\n"
    "    return {'points': [[rng.randint(-9, 9), rng.randint(-9, 9)] for _ in range(n)]}\n\n"
    "def validate(inputs):\n    return all(len(p) == 2 for p in inputs['points'])\n"
)


def polygon_task(**changes: Any) -> Task:
    fields: dict[str, Any] = {
        "id": "task-poly",
        "domain": "algorithm",
        "title": "Polygon area",
        "statement": "Given the vertices of a polygon as (x, y) pairs, return twice its area.",
        "entry_point": "polygon_twice_area",
        "signature": "def polygon_twice_area(points)",
        "reference_solution": REFERENCE,
        "second_solution": SECOND,
        "input_generator": FLAT,
        "provenance": TaskProvenance(
            atom_ids=["algorithm/scenario/geometry"], prompt_version="p", model="m"
        ),
    }
    fields.update(changes)
    return Task.model_validate(fields)


def fenced(code: str) -> str:
    return f"```python\n{code}```"


def run_stage(
    tmp_path: Path, tasks: list[Task], respond: Callable[[dict[str, Any]], Scripted], rounds: int
) -> tuple[Any, list[dict[str, Any]], Path]:
    out = tmp_path / f"v{len(list(tmp_path.glob('v*.jsonl')))}.jsonl"
    with FakeOpenAI(respond) as server:
        client = make_client(server.base_url, timeout=10)
        generator = TaskGenerator(client, "m", cache_dir=tmp_path / "cache")
        report = verify_tasks(
            tasks, out, LocalSandbox(), OPTS, repairer=TaskRepairer(generator), repair_rounds=rounds
        )
        return report, list(server.requests), out


def done_task(out: Path) -> Task:
    (line,) = out.read_text().splitlines()
    return Task.model_validate_json(line)


def test_a_generator_of_the_wrong_shape_is_repaired_from_the_exact_evidence(
    tmp_path: Path,
) -> None:
    report, requests, out = run_stage(
        tmp_path, [polygon_task()], lambda body: Scripted(fenced(PAIRS)), rounds=2
    )
    (request,) = requests
    shown = request["messages"][1]["content"]
    # the failing input, the exception with its message, the line it left, the input form
    assert "On input [[" in shown and "TypeError: cannot unpack non-iterable int object" in shown
    assert "at line 4: `x1, y1 = points[k]`" in shown and "tuples and sets arrive as lists" in shown
    assert "generate(rng) and validate(inputs)" in request["messages"][0]["content"]
    task = done_task(out)
    assert task.verification is not None and task.verification.verified
    (repair,) = task.repairs
    assert repair.round == 1 and repair.step == "run_solutions" and repair.verified
    assert repair.changed == ["input_generator", "input_validator"]
    assert task.input_generator == PAIRS and task.tests
    assert report.verified_by_round == {"1": 1} and report.repair_calls == 1
    # a rerun on a fresh output repeats no paid call: the reply comes from the cache
    _, requests, out2 = run_stage(
        tmp_path, [polygon_task()], lambda body: Scripted("unused"), rounds=2
    )
    assert requests == [] and done_task(out2).verification.verified  # type: ignore[union-attr]


def test_round_one_asks_for_fresh_inputs_without_the_failing_code_then_repair_v2(
    tmp_path: Path,
) -> None:
    still_flat = FLAT.replace("range(6)", "range(7)")
    replies = iter([fenced(still_flat), fenced(PAIRS)])
    _, requests, out = run_stage(
        tmp_path, [polygon_task()], lambda body: Scripted(next(replies)), rounds=2
    )
    first, second = (r["messages"] for r in requests)
    # round 1: the evidence and the reference, not the input code that failed, and a
    # layout that guesses no values
    assert "it is not shown" in first[0]["content"] and FLAT.strip() not in first[1]["content"]
    assert "cannot unpack non-iterable int object" in first[1]["content"]
    assert REFERENCE.strip() in first[1]["content"] and "rng.randint" not in first[0]["content"]
    # round 2: repair-v2, shown the (new) failing input code
    assert still_flat.strip() in second[1]["content"] and "You repair" in second[0]["content"]
    task = done_task(out)
    assert [r.prompt_version for r in task.repairs] == ["repair-inputs-v1", "repair-v2"]
    assert [r.round for r in task.repairs] == [1, 2] and task.repairs[1].verified


def test_a_reply_that_fails_earlier_is_undone_and_the_next_round_is_told(
    tmp_path: Path,
) -> None:
    crashing = "def generate(rng):\n    raise RuntimeError('no inputs')\n"
    replies = iter([fenced(crashing), fenced(PAIRS)])
    report, requests, out = run_stage(
        tmp_path, [polygon_task()], lambda body: Scripted(next(replies)), rounds=2
    )
    task = done_task(out)
    first, second = task.repairs
    # round 1 made the inputs crash (generate_inputs, before run_solutions): undone
    assert first.error.startswith(REGRESSED_ERROR) and "generate_inputs" in first.error
    assert "earlier check (generate_inputs" in requests[1]["messages"][1]["content"]
    assert second.verified and task.input_generator == PAIRS and report.verified == 1
    # with one round only, the task keeps its own generator and its own failure
    replies = iter([fenced(crashing)])
    _, _, out = run_stage(
        tmp_path / "one", [polygon_task()], lambda body: Scripted(next(replies)), rounds=1
    )
    kept = done_task(out)
    assert kept.input_generator == FLAT and failed_step(kept).step == "run_solutions"  # type: ignore[union-attr]


def test_disagreement_sends_both_outputs_and_takes_a_new_reference(tmp_path: Path) -> None:
    wrong = REFERENCE.replace("return abs(total)", "return total")
    task = polygon_task(reference_solution=wrong, input_generator=PAIRS)
    report, requests, out = run_stage(
        tmp_path, [task], lambda body: Scripted(fenced(REFERENCE)), rounds=2
    )
    shown = requests[0]["messages"][1]["content"]
    assert "Failed check: agree" in shown and "an independent solution" in shown
    fixed = done_task(out)
    assert fixed.reference_solution == REFERENCE and fixed.repairs[0].changed == [
        "reference_solution"
    ]
    assert report.verified == 1


def test_a_reference_reply_under_another_name_is_bound_to_the_entry_point(
    tmp_path: Path,
) -> None:
    """The 1.5B model renamed the function in 5 of 9 reference repairs of tool tasks."""
    wrong = REFERENCE.replace("return abs(total)", "return total")
    task = polygon_task(reference_solution=wrong, input_generator=PAIRS)
    renamed = REFERENCE.replace("def polygon_twice_area", "def shoelace")
    report, _, out = run_stage(tmp_path, [task], lambda body: Scripted(fenced(renamed)), rounds=1)
    fixed = done_task(out)
    assert fixed.reference_solution.endswith("polygon_twice_area = shoelace\n")
    assert report.verified == 1 and fixed.repairs[0].verified
    # two candidate functions: which one is meant is unknown, so the round is an error
    two = renamed + "\n\ndef helper(x):\n    return x\n"
    fresh = tmp_path / "fresh"  # a cache of its own: the prompt is the same
    fresh.mkdir()
    _, _, out = run_stage(fresh, [task], lambda body: Scripted(fenced(two)), rounds=1)
    (repair,) = done_task(out).repairs
    assert "defines no function polygon_twice_area" in repair.error


def test_rounds_stop_at_the_limit_and_record_each_try(tmp_path: Path) -> None:
    still_flat = FLAT.replace("range(6)", "range(7)")
    replies = iter([fenced(still_flat), fenced(PAIRS)])
    report, requests, out = run_stage(
        tmp_path, [polygon_task()], lambda body: Scripted(next(replies)), rounds=2
    )
    task = done_task(out)
    assert [r.verified for r in task.repairs] == [False, True] and len(requests) == 2
    assert report.verified_by_round == {"2": 1}
    replies = iter([fenced(still_flat)])
    _, requests, out = run_stage(
        tmp_path / "one", [polygon_task()], lambda body: Scripted(next(replies)), rounds=1
    )
    assert len(requests) == 1 and not done_task(out).verification.verified  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (Scripted("I cannot help with that."), "TaskReplyError"),
        (Scripted("server down", status=500), "LlmCallError"),
    ],
)
def test_bad_replies_and_faults_are_recorded_rounds_not_crashes(
    tmp_path: Path, reply: Scripted, error: str
) -> None:
    _, _, out = run_stage(tmp_path, [polygon_task()], lambda body: reply, rounds=2)
    task = done_task(out)
    assert task.verification is not None and not task.verification.verified
    (record,) = task.repairs  # an unusable reply ends the repairs
    assert error in record.error and not record.changed


def test_a_reply_repeating_the_code_is_told_so_next_round(tmp_path: Path) -> None:
    _, requests, out = run_stage(
        tmp_path, [polygon_task()], lambda body: Scripted(fenced(FLAT)), rounds=2
    )
    task = done_task(out)
    assert [r.error for r in task.repairs] == [NOTHING_CHANGED, NOTHING_CHANGED]
    assert len(requests) == 2 and UNCHANGED in requests[1]["messages"][1]["content"]
    assert UNCHANGED not in requests[0]["messages"][1]["content"]


def test_low_fidelity_rewrites_the_task_then_asks_for_new_inputs_and_second(
    tmp_path: Path,
) -> None:
    bisect_ref = (
        "import bisect\n\ndef insert_position(values, target):\n    ordered = []\n"
        "    for value in values:\n        bisect.insort(ordered, value)\n"
        "    return bisect.bisect_left(ordered, target)\n"
    )
    rewrite = (
        "TITLE: Insert position\nSTATEMENT:\nGiven a list of integers and a target, return "
        "where the target goes in the sorted list.\nSOLUTION:\n" + fenced(bisect_ref)
    )
    inputs = (
        "def generate(rng):\n    return {'values': [rng.randint(0, 9) for _ in range(5)], "
        "'target': rng.randint(0, 9)}\n"
    )
    second = (
        "def insert_position(values, target):\n    return sum(1 for v in values if v < target)\n"
    )

    def respond(body: dict[str, Any]) -> Scripted:
        system = body["messages"][0]["content"]
        if system.startswith("You repair"):
            return Scripted(rewrite)
        if "test-input code" in system:
            return Scripted(fenced(inputs))
        return Scripted(fenced(second))

    task = polygon_task(
        input_generator=PAIRS,
        provenance=TaskProvenance(
            atom_ids=["algorithm/technique/binary-search"], prompt_version="p", model="m"
        ),
    )
    strict = VerifyOptions(n_inputs=10, mutants=0)
    with FakeOpenAI(respond) as server:
        generator = TaskGenerator(make_client(server.base_url, timeout=10), "m", cache_dir=None)
        report = verify_tasks(
            [task], tmp_path / "v.jsonl", LocalSandbox(), strict, repairer=TaskRepairer(generator),
            repair_rounds=1,
        )  # fmt: skip
        sent = server.requests[0]["messages"][1]["content"]
    assert "Required elements:\n- technique: binary search" in sent
    fixed = done_task(tmp_path / "v.jsonl")
    assert fixed.entry_point == "insert_position" and fixed.fidelity == 1.0
    assert fixed.repairs[0].step == "fidelity" and fixed.repairs[0].verified
    assert report.verified_by_round == {"1": 1}


def test_a_stdin_task_is_rewritten_as_a_program_under_its_own_prompt_version() -> None:
    task = polygon_task(io_format="stdin", entry_point=None, signature=None)
    low = Verdict(step="fidelity", ok=False, detail="fidelity 0.00", evidence="missing: geometry")
    system = build_repair_messages(task, low)[0]["content"]
    assert "complete program that reads standard input" in system and "sys.stdin" in system
    assert "one plain top-level function" not in system
    assert repair_version(task) == "repair-stdin-v1"
    function_system = build_repair_messages(polygon_task(), low)[0]["content"]
    assert "one plain top-level function" in function_system and "sys.stdin" not in function_system
    assert repair_version(polygon_task()) == "repair-v2"


def test_failed_step_prefers_running_steps_and_needs_evidence() -> None:
    assert failed_step(polygon_task()) is None  # not verified yet: nothing to act on
    report = {"verification": {"verified": False, "verdicts": [
        {"step": "fidelity", "ok": False, "detail": "d", "evidence": "missing"},
        {"step": "agree", "ok": False, "detail": "d", "evidence": "outputs"},
        {"step": "generate_inputs", "ok": False, "detail": "d"},
    ]}}  # fmt: skip
    task = polygon_task(**report)
    step = failed_step(task)
    assert step is not None and step.step == "agree"
    assert json.loads(task.model_dump_json())["repairs"] == []
