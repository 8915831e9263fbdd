"""adr_graph.reward: the verl custom reward, called exactly as verl's reward manager calls
it (``verl/workers/reward_manager/naive.py``: keyword arguments ``data_source``,
``solution_str``, ``ground_truth``, ``extra_info``; ``verl/trainer/ppo/reward.py``'s
``_call_with_kwargs`` merges the config's ``reward_kwargs`` in, verl 0.9.1)."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from adr_graph.errors import InputError
from adr_graph.export import verl_row
from adr_graph.generate.harness import MARKER
from adr_graph.records import Task, TaskProvenance, VerificationRecord
from adr_graph.reward import compute_score, extract_code
from tests.unit.test_sandbox import fusion_url  # noqa: F401  (scripted SandboxFusion)
from tests.unit.test_stdin_tasks import REFERENCE as STDIN_REFERENCE
from tests.unit.test_stdin_tasks import stdin_task
from tests.unit.test_tool_tasks import REFERENCE as TOOL_REFERENCE
from tests.unit.test_tool_tasks import tool_task

SORT = "def solve(values):\n    return sorted(values)\n"
TESTS = [{"input": [[3, 1, 2]], "output": [1, 2, 3]}, {"input": [[5, 4]], "output": [4, 5]},
         {"input": [[]], "output": []}, {"input": [[2, 2, 1]], "output": [1, 2, 2]}]  # fmt: skip


def _call_with_kwargs(raw_fn: Any, extra_kwargs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
    """verl 0.9.1's wrapper around a custom reward function (verl/trainer/ppo/reward.py)."""
    return raw_fn(*args, **{**kwargs, **extra_kwargs})


def score_like_verl(row: dict[str, Any], response: str, **reward_kwargs: Any) -> Any:
    """What NaiveRewardManager does for one item of a batch."""
    fn = partial(_call_with_kwargs, compute_score, reward_kwargs)
    extra_info = dict(row["extra_info"], num_turns=None, rollout_reward_scores={})
    return fn(
        data_source=row["data_source"],
        solution_str=response,
        ground_truth=row["reward_model"]["ground_truth"],
        extra_info=extra_info,
    )


def sort_task() -> Task:
    return Task(
        id="sort",
        domain="algorithm",
        statement="Sort the values.",
        entry_point="solve",
        signature="def solve(values)",
        reference_solution=SORT,
        tests=TESTS,
        verification=VerificationRecord(verified=True),
        provenance=TaskProvenance(
            atom_ids=["algorithm/technique/sorting"], prompt_version="p", model="m"
        ),
    )


def sort_row() -> dict[str, Any]:
    return verl_row(sort_task(), 0)


def fenced(code: str) -> str:
    return f"Here is my solution.\n```python\n{code}```\nIt sorts."


def test_reference_scores_one_and_a_mutant_less() -> None:
    row = sort_row()
    good = score_like_verl(row, fenced(SORT), timeout_seconds=5)
    assert good == {"score": 1.0, "passed": 4, "total": 4, "status": "ok", "reason": ""}
    mutant = SORT.replace("sorted(values)", "sorted(values)[:2]")
    bad = score_like_verl(row, fenced(mutant))
    assert 0 < bad["score"] < 1 and bad["reason"] == "2 of 4 tests failed; test 1: wrong output"
    assert score_like_verl(row, SORT)["score"] == 1.0  # bare code, no fence


@pytest.mark.parametrize(
    ("completion", "status", "reason"),
    [
        ("I am sorry, I cannot help.", "no_code", "no code in the completion"),
        (fenced("while True:\n    pass\n"), "cpu_limit", "ended cpu_limit"),
        (fenced("import time\ntime.sleep(60)\n"), "timeout", "ended timeout"),
        (fenced("def solve(values):\n    raise ValueError(values)\n"), "ok", "4 of 4 tests failed"),
        (fenced("def solve(values):\n    raise SystemExit(3)\n"), "error", "ended error"),
        (fenced("import sys\nsys.exit(3)\n"), "error", "ended error"),
        (fenced("import os\nos.kill(os.getpid(), 9)\n"), "killed", "ended killed"),
        (fenced("def other(v):\n    return v\n"), "ok", "test 1: NameError: name 'solve'"),
        (fenced("x = [0] * (10 ** 12)\n"), "memory", "ended memory"),
    ],
)
def test_hostile_and_broken_completions_score_zero(
    completion: str, status: str, reason: str
) -> None:
    result = score_like_verl(sort_row(), completion, timeout_seconds=1)
    assert (result["score"], result["status"]) == (0.0, status), result
    assert reason in result["reason"]


def test_a_forged_result_line_earns_nothing() -> None:
    """The expected outputs never enter the sandbox: printing the driver's marker with
    made-up results and leaving early scores what those results are worth."""
    forged = json.dumps([{"ok": True, "value": "anything"}] * 4)
    code = f"import os\nprint({MARKER!r} + {forged!r}, flush=True)\nos._exit(0)\n"
    result = score_like_verl(sort_row(), fenced(code))
    assert result["score"] == 0.0 and result["passed"] == 0


def test_stdin_and_tool_call_tasks_are_scored() -> None:
    stdin = stdin_task(tests=[{"input": "3\n1 2 4\n", "output": "6\n2.3333333"}],
                       verification=VerificationRecord(verified=True))  # fmt: skip
    row = verl_row(stdin, 0)
    assert score_like_verl(row, fenced(STDIN_REFERENCE))["score"] == 1.0
    assert score_like_verl(row, fenced("print(0)\n"))["score"] == 0.0
    calls = [{"name": "get_weather", "arguments": {"city": "Oslo", "days": 3}},
             {"name": "get_weather", "arguments": {"city": "Oslo", "days": 1}}]  # fmt: skip
    tools = tool_task(tests=[{"input": [{"city": "Oslo", "days": 4}], "output": calls}],
                      verification=VerificationRecord(verified=True))  # fmt: skip
    row = verl_row(tools, 0)
    assert score_like_verl(row, fenced(TOOL_REFERENCE))["score"] == 1.0
    # right values, but days as a string: equal after normalising? the schema says no
    wrong = TOOL_REFERENCE.replace("'days': step", "'days': str(step)")
    assert score_like_verl(row, fenced(wrong))["score"] == 0.0


def test_an_older_ground_truth_is_refused_by_version() -> None:
    row = sort_row()
    truth = json.loads(row["reward_model"]["ground_truth"])
    del truth["version"]  # what exports before version 2 wrote
    with pytest.raises(InputError, match=r"ground truth version 1.*export the tasks again"):
        compute_score("adr-graph/algorithm", fenced(SORT), json.dumps(truth))


def test_concurrent_calls_are_bounded_and_right() -> None:
    row = sort_row()
    completions = [fenced(SORT), fenced(SORT.replace("sorted(values)", "list(values)"))] * 8
    with ThreadPoolExecutor(max_workers=8) as pool:
        scores = list(pool.map(lambda c: score_like_verl(row, c, workers=2)["score"], completions))
    assert scores == [1.0, 0.25] * 8  # list(values) is right on [] only


def test_code_is_extracted_from_the_last_fenced_block() -> None:
    text = (
        "<think>```python\nwrong = 1\n```</think>\n```py\nfirst = 1\n```\n```python\nlast = 2\n```"
    )
    assert extract_code(text) == "last = 2\n"
    assert extract_code("```\nplain = 3\n```") == "plain = 3\n"
    assert extract_code("") is None and extract_code("Sorting is easy.") is None


@pytest.fixture()
def default_compute_score() -> Any:
    """verl 0.9.1's own ``verl.utils.reward_score.default_compute_score``, the scorer
    verl uses when no custom reward is set; for ``data_source`` in (codecontests, apps,
    codeforces, taco) without a SandboxFusion URL it runs ``prime_code``. Imported from the
    installed wheel with ``verl`` and ``verl.utils`` as bare namespace packages, so their
    ``__init__`` files (ray, torch, tensordict) do not run; every module the scorer uses is
    verl's own file. ``make test`` installs verl with ``--no-deps``."""
    import importlib
    import importlib.util
    import sys
    import types
    from pathlib import Path

    spec = importlib.util.find_spec("verl")
    if spec is None or spec.origin is None:
        if os.environ.get("ADR_GRAPH_REQUIRE_VERL") == "1":
            pytest.fail("ADR_GRAPH_REQUIRE_VERL=1 but verl is not installed (make test does)")
        pytest.skip("verl is not installed (make test installs it with --no-deps)")
    root = Path(spec.origin).parent
    saved = {k: v for k, v in sys.modules.items() if k == "verl" or k.startswith("verl.")}
    for name, path in (("verl", root), ("verl.utils", root / "utils")):
        package = types.ModuleType(name)
        package.__path__ = [str(path)]
        sys.modules[name] = package
    try:
        yield importlib.import_module("verl.utils.reward_score").default_compute_score
    finally:
        for name in [k for k in sys.modules if k == "verl" or k.startswith("verl.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_verls_own_default_scorer_scores_an_apps_row(default_compute_score: Any) -> None:
    """The reference scores 1.0 and a mutant less, with no adr_graph code at scoring time.
    (verl's checker runs the code in a child of this process: it is this test's own
    handwritten code, never generated code.)"""
    from adr_graph.export import apps_row

    row = apps_row(sort_task(), 0)
    assert row["data_source"] == "apps"
    truth = row["reward_model"]["ground_truth"]
    mutant = SORT.replace("sorted(values)", "sorted(values)[:2]")
    good = default_compute_score(row["data_source"], fenced(SORT), truth)
    bad = default_compute_score(row["data_source"], fenced(mutant), truth)
    assert float(good) == 1.0 and float(bad) < 1.0
    stdin = apps_row(
        stdin_task(tests=[{"input": "3\n1 2 4\n", "output": "6\n2.3333333333333335\n"}],
                   verification=VerificationRecord(verified=True)), 0)  # fmt: skip
    truth = stdin["reward_model"]["ground_truth"]
    assert float(default_compute_score("apps", fenced(STDIN_REFERENCE), truth)) == 1.0


def test_apps_export_leaves_out_tool_tasks_and_prompts_hold_no_answers(tmp_path: Any) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    from adr_graph.stages import export_tasks

    calls = [{"name": "get_weather", "arguments": {"city": "Oslo", "days": 1}}]
    tools = tool_task(tests=[{"input": [{"city": "Oslo", "days": 1}], "output": calls}],
                      verification=VerificationRecord(verified=True))  # fmt: skip
    out = tmp_path / "train.parquet"
    report = export_tasks([sort_task(), tools], out, "apps")
    assert (report.tasks, report.left_out) == (1, 1)
    rows = pq.read_table(out).to_pylist()
    assert [r["data_source"] for r in rows] == ["apps"]
    verl = tmp_path / "verl.parquet"
    assert export_tasks([sort_task(), tools], verl, "verl").tasks == 2
    for row in rows + pq.read_table(verl).to_pylist():
        prompt = json.dumps(row["prompt"])
        truth = row["reward_model"]["ground_truth"]
        assert "return sorted" not in prompt and "plan_calls(request):" not in prompt
        assert "[1, 2, 3]" not in prompt and "inputs" not in prompt  # no tests, no answers
        assert "sorted" not in prompt.replace("Sort the values", "")  # no hint of the way
        assert json.loads(truth)  # the tests are in the ground truth only


def test_cli_exports_apps(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    from tests.unit.test_cli import run_cli

    tasks = tmp_path / "verified.jsonl"
    tasks.write_text(sort_task().model_dump_json() + "\n")
    out = tmp_path / "apps.parquet"
    args = ["export", str(tasks), "--format", "apps", "--out", str(out), "--cache", str(tmp_path)]
    code, stdout, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    assert json.loads(stdout)["format"] == "apps" and out.is_file()
    code, _, err = run_cli(capsys, *args[:3], "arrow", *args[4:])
    assert code == 2 and "--format" in err


def test_openrlhf_loads_the_reward_file_and_scores() -> None:
    """Loaded as OpenRLHF 0.11 loads a ``.py`` --remote_rm_url (importlib from the file,
    ``reward_func(queries, prompts, labels)``, openrlhf/utils/agent.py)."""
    import importlib.util

    import adr_graph.reward_openrlhf as shipped

    spec = importlib.util.spec_from_file_location("reward_func", shipped.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    row = sort_row()
    prompt = row["prompt"][0]["content"]
    label = row["reward_model"]["ground_truth"]
    out = module.reward_func(
        [prompt + fenced(SORT), prompt + "no idea"], [prompt, prompt], [label, label]
    )
    assert [float(x) for x in out["rewards"]] == [1.0, 0.0]
    assert [float(x) for x in out["extra_logs"]["tests_passed"]] == [4.0, 0.0]


def test_a_sandboxfusion_url_sends_the_run_there(fusion_url: str) -> None:  # noqa: F811
    """With ``sandbox_url`` the program goes to that server (here a scripted one whose
    answer carries no result line: score 0 with the reason, no exception)."""
    from tests.unit.test_sandbox import _FakeFusion

    result = score_like_verl(sort_row(), fenced(SORT), sandbox_url=fusion_url)
    assert (result["score"], result["status"]) == (0.0, "error")
    assert "HarnessError" in result["reason"]
    sent = _FakeFusion.received[-1]
    assert "def solve(values)" in sent["code"] and "inputs.json" in sent["files"]
