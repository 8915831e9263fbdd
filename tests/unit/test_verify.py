"""Verification in the real local sandbox: agreement, tests, mutants, failures, feedback."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from adr_graph.generate.generator import PROMPT_VERSIONS
from adr_graph.generate.verify import VerifyOptions, verify_task
from adr_graph.records import Task, TaskProvenance
from adr_graph.sandbox import Limits, LocalSandbox
from tests.unit.test_generate import SECOND, SPEC

FAST = VerifyOptions(
    n_inputs=12,
    min_inputs=5,
    mutants=8,
    limits=Limits(cpu_seconds=5, wall_seconds=10),
    min_fidelity=0.0,  # the gates have their own tests (test_gates.py)
    min_reference_nodes=0,
)


def make_task(**changes: str) -> Task:
    fields = {
        k: SPEC[k]
        for k in (
            "title",
            "statement",
            "entry_point",
            "signature",
            "reference_solution",
            "input_generator",
            "input_validator",
        )
    }
    fields["second_solution"] = SECOND["solution"].strip("`").removeprefix("python\n")
    fields.update(changes)
    return Task(
        id="task-test",
        domain="algorithm",
        provenance=TaskProvenance(
            atom_ids=["algorithm/technique/t0"],
            prompt_version="task-v3+inputs-v1+second-v2",
            model="m",
        ),
        **fields,
    )


@pytest.fixture(scope="module")
def sandbox() -> LocalSandbox:
    return LocalSandbox()


def steps(task: Task) -> dict[str, bool]:
    assert task.verification is not None
    return {v.step: v.ok for v in task.verification.verdicts}


def test_agreeing_solutions_give_tests_and_a_mutation_score(sandbox: LocalSandbox) -> None:
    done = verify_task(make_task(), sandbox, FAST)
    assert done.verification is not None and done.verification.verified, done.verification
    assert all(steps(done).values())
    assert len(done.tests) >= 5
    for test in done.tests:
        xs = test["input"][0]
        assert test["output"] == sum(x for x in xs if x % 2 == 0)
    assert done.verification.mutation_score is not None
    assert 0 < done.verification.mutation_score <= 1


def test_disagreeing_second_solution_is_rejected(sandbox: LocalSandbox) -> None:
    wrong = "def sum_even(xs):\n    return sum(xs)\n"
    done = verify_task(make_task(second_solution=wrong), sandbox, FAST)
    assert not done.verification.verified and steps(done)["agree"] is False  # type: ignore[union-attr]
    assert done.tests == []


def test_hanging_reference_times_out_and_is_rejected(sandbox: LocalSandbox) -> None:
    hang = "def sum_even(xs):\n    while True:\n        pass\n"
    opts = VerifyOptions(
        n_inputs=6, min_inputs=5, mutants=0, limits=Limits(cpu_seconds=1, wall_seconds=3)
    )
    done = verify_task(make_task(reference_solution=hang), sandbox, opts)
    assert not done.verification.verified and steps(done)["run_solutions"] is False  # type: ignore[union-attr]


def test_inputs_the_reference_rejects_are_dropped_and_counted(sandbox: LocalSandbox) -> None:
    # positional-list inputs (the older contract) still work; the reference raises on
    # inputs whose first item is odd: those are dropped, the rest become the tests
    gen = "def generate(rng):\n    return [[rng.randint(-9, 9) for _ in range(4)]]\n"
    picky_ref = (
        "def sum_even(xs):\n    if xs[0] % 2:\n        raise ValueError('odd')\n"
        "    return sum(x for x in xs if x % 2 == 0)\n"
    )
    task = make_task(input_generator=gen, input_validator="", reference_solution=picky_ref)
    opts = replace(FAST, n_inputs=30, min_inputs=3, mutants=0)
    done = verify_task(task, sandbox, opts)
    assert done.verification is not None and done.verification.verified
    (run,) = [v for v in done.verification.verdicts if v.step == "run_solutions"]
    assert "ValueError x" in run.detail and "dropped" in run.detail
    assert 3 <= len(done.tests) < 30 and all(t["input"][0][0] % 2 == 0 for t in done.tests)


def test_generated_inputs_are_matched_to_parameters(sandbox: LocalSandbox) -> None:
    two = make_task(
        signature="def f(a, b)",
        entry_point="f",
        reference_solution="def f(a, b):\n    return a - b\n",
        second_solution="def f(a, b):\n    return -(b - a)\n",
        input_generator="def generate(rng):\n    return {'b': rng.randint(0, 9), 'a': 100}\n",
        input_validator="def validate(inputs):\n    return set(inputs) == {'a', 'b'}\n",
    )
    done = verify_task(two, sandbox, replace(FAST, n_inputs=20, min_inputs=3, mutants=0))
    assert done.verification is not None and done.verification.verified
    assert all(t["input"][0] == 100 and t["output"] == 100 - t["input"][1] for t in done.tests)
    wrong_keys = two.model_copy(
        update={"input_generator": "def generate(rng):\n    return {'c': rng.random()}\n"}
    )
    assert steps(verify_task(wrong_keys, sandbox, FAST)) == {
        "fidelity": True,
        "generate_inputs": False,
    }


def test_broken_generator_and_picky_validator(sandbox: LocalSandbox) -> None:
    crash = verify_task(make_task(input_generator="def generate(rng):\n    1/0\n"), sandbox, FAST)
    assert steps(crash) == {"fidelity": True, "generate_inputs": False}
    picky = make_task(input_validator="def validate(args):\n    return False\n")
    assert steps(verify_task(picky, sandbox, FAST))["validate_inputs"] is False


def test_generated_code_cannot_read_host_secrets(
    sandbox: LocalSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-host-secret")
    leak = "import os\ndef sum_even(xs):\n    return os.environ.get('OPENAI_API_KEY', 'none')\n"
    done = verify_task(make_task(reference_solution=leak, second_solution=leak), sandbox, FAST)
    assert done.tests and all(t["output"] == "none" for t in done.tests)


def test_cli_generate_verify_feedback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("openai")
    from adr_graph.store import EmbeddedStore
    from tests.support.fake_openai import FakeOpenAI
    from tests.unit.test_cli import run_cli
    from tests.unit.test_generate import responder
    from tests.unit.test_sampler import planted_store

    store = tmp_path / "store"
    planted_store(store, n_seeds=40).commit()
    sets = tmp_path / "sets.jsonl"
    code, _, err = run_cli(
        capsys,
        "sample",
        "-n",
        "2",
        "--domain",
        "algorithm",
        "--store",
        str(store),
        "--out",
        str(sets),
    )
    assert code == 0, err
    tasks, verified = tmp_path / "tasks.jsonl", tmp_path / "verified.jsonl"
    with FakeOpenAI(responder) as server:
        code, out, err = run_cli(
            capsys,
            "generate",
            str(sets),
            "--out",
            str(tasks),
            "--store",
            str(store),
            "--llm-base-url",
            server.base_url,
            "--cache",
            str(tmp_path / "cache"),
            "--json",
        )
    assert code == 0, err
    assert json.loads(out)["new"] == 2
    assert "without seed examples" in err  # no seeds file in this cache: said, not silent
    written = [json.loads(line)["provenance"] for line in tasks.read_text().splitlines()]
    assert all(p["licenses"] and p["sources"] for p in written)  # stamped at generation
    code, out, err = run_cli(
        capsys,
        "verify",
        str(tasks),
        "--out",
        str(verified),
        "--store",
        str(store),
        "--inputs",
        "8",
        "--mutants",
        "4",
        "--min-fidelity",  # a sum of evens for atom t0: the gates have their own tests
        "0",
        "--min-reference-nodes",
        "0",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["verified"] == 2 and report["failed"] == 0
    stats = EmbeddedStore(store).stats()
    assert (stats.tasks, stats.verified_tasks) == (2, 2)
    # verify is resumable: a rerun does no sandbox work and writes nothing new
    lines = verified.read_text()
    code, _, _ = run_cli(
        capsys, "verify", str(tasks), "--out", str(verified), "--store", str(store)
    )
    assert code == 0 and verified.read_text() == lines
    # export: verified tasks only, as JSONL and as verl parquet
    code, out, err = run_cli(
        capsys,
        "export",
        str(verified),
        "--format",
        "jsonl",
        "--out",
        str(tmp_path / "train.jsonl"),
        "--json",
    )
    # the scripted model wrote the same task for both sets: export keeps one
    assert code == 0 and json.loads(out)["tasks"] == 1, err
    assert json.loads(out)["duplicates_dropped"] == 1
    pq = pytest.importorskip("pyarrow.parquet")
    parquet = tmp_path / "train.parquet"
    code, _, err = run_cli(
        capsys, "export", str(verified), "--format", "verl", "--out", str(parquet)
    )
    assert code == 0, err
    rows = pq.read_table(parquet).to_pylist()
    assert len(rows) == 1
    row = rows[0]
    assert json.loads(row["extra_info"]["screening"])["duplicate_of"] is None
    assert set(row) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    assert row["data_source"] == "adr-graph/algorithm" and row["prompt"][0]["role"] == "user"
    truth = json.loads(row["reward_model"]["ground_truth"])
    assert truth["entry_point"] == "sum_even" and len(truth["tests"]) >= 5

    recorded = json.loads(row["extra_info"]["provenance"])["prompt_version"]
    assert recorded == PROMPT_VERSIONS == "task-v3+inputs-v1+second-v2"
    code, _, err = run_cli(capsys, "export", "--format", "verl", "--out", str(tmp_path / "x"))
    assert code == 2 and "--format" in err


def test_solver_attempts_estimate_difficulty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openai")
    from tests.support.fake_openai import FakeOpenAI, Scripted
    from tests.unit.test_cli import run_cli

    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(make_task().model_dump_json() + "\n")
    wrong = json.dumps({"solution": "def sum_even(xs):\n    return 0\n"})
    right = json.dumps(
        {"solution": "def sum_even(xs):\n    return sum(x for x in xs if x % 2 == 0)\n"}
    )
    replies = iter([right, wrong, wrong, wrong])
    solves: list[str] = []

    def respond(body: dict[str, Any]) -> Scripted:
        # the endpoint also reads the task for fidelity (the LLM extractor): its malformed
        # reply is recorded on the task, never raised
        if "decompose programming tasks" in body["messages"][0]["content"]:
            return Scripted("no atoms here")
        solves.append(body["messages"][-1]["content"])
        return Scripted(next(replies))

    with FakeOpenAI(respond) as server:
        code, _, err = run_cli(
            capsys,
            "verify",
            str(tasks),
            "--out",
            str(tmp_path / "v.jsonl"),
            "--no-feedback",
            "--solver-attempts",
            "4",
            "--llm-base-url",
            server.base_url,
            "--model",
            "m",
            "--cache",
            str(tmp_path / "cache"),
            "--inputs",
            "8",
            "--mutants",
            "0",
            "--min-fidelity",
            "0",
            "--min-reference-nodes",
            "0",
            "--near-misses",
            "0",
            "--json",
        )
        assert len(solves) == 4 and len(server.requests) > 4
    assert code == 0, err
    (line,) = (tmp_path / "v.jsonl").read_text().splitlines()
    done = Task.model_validate_json(line)
    assert done.difficulty == 0.75  # 1 of 4 attempts passes
    fidelity = done.verification.fidelity  # type: ignore[union-attr]
    assert fidelity is not None and fidelity.extractors == ["static", "llm:m"]
    assert fidelity.errors and fidelity.errors[0].startswith("llm:m: LlmReplyError")


def test_a_generator_that_ignores_rng_gives_the_same_inputs_on_every_run() -> None:
    """The global ``random`` module is seeded per call: the tests of a task (and the
    evidence a repair is shown, hence its cache key) do not change between runs."""
    from adr_graph.generate.harness import generator_program
    from adr_graph.generate.running import marked_run

    code = "import random\n\ndef generate(rng):\n    return {'x': random.randint(0, 10**9)}\n"
    program = generator_program(code, n=6, seed=0)
    limits = Limits(cpu_seconds=5, wall_seconds=10)
    first, _ = marked_run(LocalSandbox(), program, None, limits)
    second, _ = marked_run(LocalSandbox(), program, None, limits)
    assert isinstance(first, list) and first == second
    assert len({json.dumps(x) for x in first}) == 6  # still varied across calls
