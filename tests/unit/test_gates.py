"""The fidelity and triviality gates of ``verify``: a hand-written fixture set in the real
sandbox, the CLI, and the checks' edge cases (aliases, unknown atoms, extractor faults)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.errors import LlmReplyError
from adr_graph.generate.fidelity import FidelityCheck
from adr_graph.generate.trivial import MIN_AST_NODES, reference_size, trivial_programs
from adr_graph.generate.verify import VerifyOptions, verify_task
from adr_graph.records import Atom, AtomCandidate, ElementSchema, Seed, Task
from adr_graph.sandbox import Limits, LocalSandbox
from tests.unit.test_stdin_tasks import stdin_task

HANDWRITTEN = Path(__file__).parents[1] / "data" / "tasks" / "handwritten.jsonl"
OPTS = VerifyOptions(n_inputs=12, mutants=0, limits=Limits(cpu_seconds=5, wall_seconds=10))
#: what the triviality verdict of each trivial fixture task must name
TRIVIAL_BY = {
    "hand-trivial-add": "12 AST nodes, fewer than 30",
    "hand-trivial-sorted-input": "passed by a trivial program: the first argument sorted",
    "hand-trivial-constant-output": "passed by a trivial program: the constant true",
    "hand-trivial-identity": "passed by a trivial program: the first argument",
}


def fixture_tasks() -> list[Task]:
    return [Task.model_validate_json(line) for line in HANDWRITTEN.read_text().splitlines()]


def verdicts(task: Task) -> dict[str, tuple[bool, str]]:
    assert task.verification is not None
    return {v.step: (v.ok, v.detail) for v in task.verification.verdicts}


@pytest.fixture(scope="module")
def checked() -> dict[str, Task]:
    sandbox = LocalSandbox()
    return {t.id: verify_task(t, sandbox, OPTS) for t in fixture_tasks()}


def test_the_fixture_holds_three_or_more_of_each_kind() -> None:
    kinds = [t.id.split("-")[1] for t in fixture_tasks()]
    assert all(kinds.count(k) >= 3 for k in ("faithful", "unfaithful", "trivial"))


def test_faithful_fixture_tasks_are_verified(checked: dict[str, Task]) -> None:
    faithful = [t for name, t in checked.items() if name.startswith("hand-faithful")]
    for task in faithful:
        assert task.verification is not None and task.verification.verified, verdicts(task)
        assert task.fidelity is not None and task.fidelity >= 0.6 and task.tests


def test_unfaithful_fixture_tasks_fail_on_fidelity_naming_the_missing_atoms(
    checked: dict[str, Task],
) -> None:
    for name, task in checked.items():
        if not name.startswith("hand-unfaithful"):
            continue
        steps = verdicts(task)
        assert task.verification is not None and not task.verification.verified
        ok, detail = steps["fidelity"]
        assert not ok and "below --min-fidelity 0.6" in detail
        assert steps["agree"][0] and steps["triviality"][0]  # only the gate rejects them
        record = task.verification.fidelity
        assert record is not None and record.missing and record.score == task.fidelity
        assert all(m.split("/", 1)[1] in detail for m in record.missing)


def test_trivial_fixture_tasks_fail_on_triviality_naming_the_program(
    checked: dict[str, Task],
) -> None:
    for name, expected in TRIVIAL_BY.items():
        task = checked[name]
        ok, detail = verdicts(task)["triviality"]
        assert not ok and expected in detail, detail
        assert task.verification is not None and not task.verification.verified
        assert task.verification.mutation_score is None


def test_cli_verify_reports_the_gates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.unit.test_cli import run_cli

    out = tmp_path / "v.jsonl"
    args = ["verify", str(HANDWRITTEN), "--out", str(out), "--no-feedback", "--mutants", "0"]
    code, stdout, err = run_cli(capsys, *args, "--inputs", "12", "--json")
    assert code == 0, err
    report = json.loads(stdout)
    assert report["verified"] == 3 and report["failed"] == 7
    from adr_graph.sandbox import LocalSandbox

    with LocalSandbox() as best:  # the mode the CLI ran in is reported
        wanted = best.isolation + ("+zygote" if best.mode == "zygote" else "")
    assert report["isolation"] == wanted
    assert report["failed_steps"]["triviality"] == 4 and report["failed_steps"]["fidelity"] >= 3
    done = [Task.model_validate_json(line) for line in out.read_text().splitlines()]
    assert all(t.fidelity is not None for t in done)
    # --min-fidelity 0 lets the unfaithful ones through; the trivial ones stay out
    loose = tmp_path / "loose.jsonl"
    code, stdout, err = run_cli(
        capsys, *args[:3], str(loose), *args[4:], "--min-fidelity", "0", "--json"
    )
    assert code == 0, err
    assert json.loads(stdout)["verified"] == 6


def test_stdin_trivial_programs_are_caught() -> None:
    echo = "import sys\nprint(sys.stdin.read())\n"
    task = stdin_task(reference_solution=echo, second_solution=echo)
    loose = VerifyOptions(n_inputs=8, mutants=0, min_fidelity=0.0, min_reference_nodes=0)
    ok, detail = verdicts(verify_task(task, LocalSandbox(), loose))["triviality"]
    assert not ok and "the input echoed" in detail
    names = [n for n, _ in trivial_programs([{"output": "3"}, {"output": "4"}], "", stdin=True)]
    assert names[0] == 'the constant output "3"' and "nothing printed" in names


def test_reference_size() -> None:
    assert reference_size("def f(:") == 0
    assert reference_size("def add(x, y):\n    return x + y\n") < MIN_AST_NODES
    assert trivial_programs([], "f", stdin=False) == []


def _task(atom_ids: list[str], code: str, statement: str = "Compute it.") -> Task:
    return Task.model_validate(
        {
            "id": "t-1",
            "domain": "algorithm",
            "statement": statement,
            "reference_solution": code,
            "provenance": {"atom_ids": atom_ids, "prompt_version": "p", "model": "m"},
        }
    )


BISECT = "import bisect\ndef f(a, x):\n    return bisect.bisect_left(a, x)\n"


def test_fidelity_counts_aliases_and_merged_names_as_found() -> None:
    task = _task(["algorithm/technique/halving-search"], BISECT)
    assert FidelityCheck.static().measure(task).score == 0.0
    alias = Atom(
        id="algorithm/technique/halving-search",
        domain="algorithm",
        slot="technique",
        name="halving search",
        aliases=["Binary Search"],
    )
    record = FidelityCheck.static({alias.id: alias}).measure(task)
    assert record.score == 1.0 and record.by_slot == {"technique": 1.0}


def test_atoms_no_extractor_at_hand_made_are_unknown_not_found() -> None:
    llm_only = Atom(
        id="algorithm/scenario/space-travel",
        domain="algorithm",
        slot="scenario",
        name="space travel",
        extractors=["llm:qwen"],
    )
    task = _task([llm_only.id, "algorithm/technique/binary-search"], BISECT)
    record = FidelityCheck.static({llm_only.id: llm_only}).measure(task)
    assert record.unknown == [llm_only.id] and record.missing == []
    assert record.score == 0.5  # unknown is not found

    def reads_space(seed: Seed, schema: ElementSchema) -> list[AtomCandidate]:
        return [AtomCandidate(slot="scenario", name="Space Travel", extractor="llm:other")]

    both = FidelityCheck.static({llm_only.id: llm_only})
    both.extractors = [*both.extractors, ("llm:other", reads_space)]
    assert both.measure(task).score == 1.0  # any LLM model can check an LLM-made atom


def test_a_failing_extractor_is_recorded_not_raised() -> None:
    def broken(seed: Seed, schema: ElementSchema) -> list[AtomCandidate]:
        raise LlmReplyError("reply is not JSON")

    check = FidelityCheck.static()
    check.extractors = [*check.extractors, ("llm:m", broken)]
    record = check.measure(_task(["algorithm/technique/binary-search"], BISECT))
    assert record.score == 1.0 and record.errors[0].startswith("llm:m: LlmReplyError:")
    assert "reply is not JSON" in record.errors[0]
    unknown_domain = _task(["x/y/z"], BISECT).model_copy(update={"domain": "tool_usage"})
    assert FidelityCheck([], schemas={}).measure(unknown_domain).errors
