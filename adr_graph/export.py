"""Export verified tasks for RL training: JSONL, or verl-style parquet.

verl rows (one per task): ``data_source`` (``adr-graph/<domain>``), ``prompt`` (chat
messages), ``ability`` (``code``), ``reward_model`` (``{"style": "rule", "ground_truth":
<JSON of version, io kind, entry point and tests>}``, scored by :mod:`adr_graph.reward`)
and ``extra_info`` (task id, index, split, entry point, mutation score, difficulty,
provenance as JSON). Parquet needs ``pyarrow`` (``pip install adr-graph[export]``).

>>> from adr_graph.records import Task, TaskProvenance, VerificationRecord
>>> task = Task(id="t1", domain="algorithm", statement="Add.", entry_point="add",
...     signature="def add(a, b)", reference_solution="def add(a, b): return a + b",
...     tests=[{"input": [1, 2], "output": 3}], verification=VerificationRecord(verified=True),
...     provenance=TaskProvenance(atom_ids=["algorithm/technique/x"], prompt_version="v",
...                               model="m"))
>>> row = verl_row(task, 0)
>>> row["data_source"], json.loads(row["reward_model"]["ground_truth"])["tests"][0]["output"]
('adr-graph/algorithm', 3)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ._io import atomic_write_text, atomic_writer
from .errors import MissingExtraError
from .records import Task

__all__ = [
    "APPS_DATA_SOURCE",
    "GROUND_TRUTH_VERSION",
    "apps_misfit",
    "apps_row",
    "keep",
    "verl_row",
    "write_jsonl",
    "write_verl_parquet",
]

#: The ``version`` of every exported ground truth (:mod:`adr_graph.reward` reads this one;
#: rows without a version are version 1).
GROUND_TRUTH_VERSION = 2
#: What ``--format apps`` rows name as their source: verl's built-in scorer sends
#: ``apps`` (like ``codecontests``, ``codeforces``, ``taco``) to its APPS code checker.
APPS_DATA_SOURCE = "apps"


def keep(tasks: Iterable[Task], band: tuple[float, float] | None = None) -> list[Task]:
    """Verified tasks (with tests), and within ``band`` of difficulty when given."""
    out = []
    for task in tasks:
        if not (task.verification and task.verification.verified and task.tests):
            continue
        if band is not None and (
            task.difficulty is None or not band[0] <= task.difficulty <= band[1]
        ):
            continue
        out.append(task)
    return out


def _prompt(task: Task) -> str:
    if task.io_format == "stdin":
        return (
            f"{task.statement}\n\nWrite a complete Python program that reads standard "
            "input and prints the answer.\n\nReturn only the code."
        )
    return (
        f"{task.statement}\n\nWrite a Python function with this signature:\n"
        f"{task.signature}\n\nReturn only the code."
    )


def verl_row(task: Task, index: int) -> dict[str, Any]:
    """One verl-style training row for ``task``."""
    # io "stdin": each test input is the program's standard input, the output what it
    # prints (compare token by token); io "function": positional arguments -> return value
    io = "stdin" if task.io_format == "stdin" else "function"
    truth: dict[str, Any] = {"version": GROUND_TRUTH_VERSION, "io": io}
    truth |= {"entry_point": task.entry_point, "tests": task.tests}
    if task.tools:  # every returned call must fit these schemas
        truth["tools"] = task.tools
    return {
        "data_source": f"adr-graph/{task.domain}",
        "prompt": [{"role": "user", "content": _prompt(task)}],
        "ability": "code",
        "reward_model": {"style": "rule", "ground_truth": json.dumps(truth)},
        "extra_info": {
            "index": index,
            "split": "train",
            "task_id": task.id,
            "entry_point": task.entry_point or "",
            "mutation_score": (task.verification.mutation_score if task.verification else None),
            "difficulty": task.difficulty,
            "provenance": task.provenance.model_dump_json(),
            "license": ", ".join(task.provenance.licenses) or "unknown",
            "sources": ", ".join(task.provenance.sources),
            "screening": task.screening.model_dump_json() if task.screening else None,
        },
    }


def apps_misfit(task: Task) -> str | None:
    """Why ``task`` cannot be scored in the APPS layout, or ``None`` when it can.

    Function tasks (``fn_name``, one JSON value per argument line) and stdin programs fit.
    Tool-call tasks do not: the APPS checker compares values and cannot check calls
    against their declared schemas (export them as ``verl`` with :mod:`adr_graph.reward`).
    """
    if task.tools:
        return "a tool-call task: the APPS checker cannot check calls against tool schemas"
    return None


def apps_row(task: Task, index: int) -> dict[str, Any]:
    """One verl row in the APPS/TACO layout, for verl's default reward (no adr_graph at
    train time): ``{"inputs", "outputs"[, "fn_name"]}``, all strings.

    >>> from adr_graph.records import TaskProvenance
    >>> t = Task(id="t", domain="algorithm", statement="Add.", entry_point="add",
    ...     reference_solution="def add(a, b): return a + b",
    ...     tests=[{"input": [1, [2]], "output": [3]}],
    ...     provenance=TaskProvenance(atom_ids=[], prompt_version="v", model="m"))
    >>> json.loads(apps_row(t, 0)["reward_model"]["ground_truth"])
    {'inputs': ['1\\n[2]'], 'outputs': ['[3]'], 'fn_name': 'add'}
    """
    row = verl_row(task, index)
    truth: dict[str, Any]
    if task.io_format == "stdin":
        truth = {
            "inputs": [str(t["input"]) for t in task.tests],
            "outputs": [str(t["output"]) for t in task.tests],
        }
    else:
        truth = {
            "inputs": ["\n".join(json.dumps(a) for a in t["input"]) for t in task.tests],
            "outputs": [json.dumps(t["output"]) for t in task.tests],
            "fn_name": task.entry_point,
        }
    row["data_source"] = APPS_DATA_SOURCE
    row["reward_model"] = {"style": "rule", "ground_truth": json.dumps(truth)}
    row["extra_info"]["domain"] = task.domain
    return row


def write_jsonl(tasks: Sequence[Task], path: Path) -> int:
    """Write tasks as JSONL atomically; returns the count."""
    atomic_write_text(path, "".join(t.model_dump_json() + "\n" for t in tasks))
    return len(tasks)


def write_verl_parquet(tasks: Sequence[Task], path: Path, layout: str = "verl") -> int:
    """Write verl-style rows (``layout`` ``verl``, or ``apps`` for verl's built-in
    scorer) as parquet atomically; returns the count."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingExtraError("pyarrow", "export") from exc
    make = apps_row if layout == "apps" else verl_row
    table = pa.Table.from_pylist([make(t, i) for i, t in enumerate(tasks)])
    with atomic_writer(path, "wb") as handle:
        pq.write_table(table, handle)
    return len(tasks)
