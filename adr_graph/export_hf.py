"""``--format hf``: a Hugging Face ``datasets`` directory of verified tasks.

The directory holds ``data/train-00000-of-00001.parquet`` (and ``data/test-…`` with a
held-out split) plus a dataset card ``README.md`` whose YAML header names the splits, so
that both ``datasets.load_dataset(DIR)`` and ``datasets.load_dataset("parquet",
data_dir=DIR)`` read it. A row holds the prompt, the verl ``data_source`` and
``ground_truth`` (so :mod:`adr_graph.reward` scores it), a few columns to filter on, and the
whole task as JSON (``task``), which round-trips to :class:`~adr_graph.records.Task`.

The held-out split is by atom pair: tasks that share an atom pair are linked, and whole
linked groups go to ``test`` (in a seeded random order) until about ``test_share`` of the
tasks are there, so no test task shares an atom pair with a training task.

>>> sorted(pairs_of(["a/x/1", "a/y/2", "a/z/3"]))
[('a/x/1', 'a/y/2'), ('a/x/1', 'a/z/3'), ('a/y/2', 'a/z/3')]
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

from ._io import atomic_write_text, atomic_writer
from .errors import InputError, MissingExtraError
from .export import verl_row
from .records import Task

__all__ = ["held_out_split", "hf_row", "pairs_of", "write_hf_dataset"]


def pairs_of(atom_ids: Sequence[str]) -> set[tuple[str, str]]:
    """Every unordered pair of a task's atoms, sorted within the pair."""
    return {tuple(sorted(p)) for p in combinations(set(atom_ids), 2)}  # type: ignore[misc]


def held_out_split(
    tasks: Sequence[Task], test_share: float, *, seed: int = 0
) -> tuple[list[Task], list[Task]]:
    """(train, test): whole groups of tasks linked by a shared atom pair go to test until
    ``test_share`` of the tasks are there; no test task shares a pair with a train task."""
    parent = list(range(len(tasks)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[tuple[str, str], int] = {}
    for i, task in enumerate(tasks):
        for pair in pairs_of(task.provenance.atom_ids):
            j = first_with.setdefault(pair, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(tasks)):
        groups.setdefault(root(i), []).append(i)
    order: list[list[int]] = sorted(groups.values())
    random.Random(seed).shuffle(order)
    want = max(1, round(test_share * len(tasks)))
    test: set[int] = set()
    for group in order:  # whole groups that fit
        if len(test) + len(group) <= want:
            test.update(group)
    if not test and order:  # every group is bigger than the share: the smallest one
        smallest: list[int] = min(order, key=len)
        test.update(smallest)
    return [t for i, t in enumerate(tasks) if i not in test], [tasks[i] for i in sorted(test)]


def hf_row(task: Task, index: int, split: str) -> dict[str, Any]:
    """One dataset row: prompt, verl fields, filter columns and the whole task as JSON."""
    verl = verl_row(task, index)
    return {
        "id": task.id,
        "domain": task.domain,
        "split": split,
        "prompt": verl["prompt"][0]["content"],
        "data_source": verl["data_source"],
        "ground_truth": verl["reward_model"]["ground_truth"],
        "io_format": task.io_format or "function",
        "entry_point": task.entry_point or "",
        "difficulty": task.difficulty,
        "mutation_score": task.verification.mutation_score if task.verification else None,
        "license": ", ".join(task.provenance.licenses) or "unknown",
        "atom_ids": list(task.provenance.atom_ids),
        "task": task.model_dump_json(),
    }


def _write_split(rows: list[dict[str, Any]], path: Path) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise MissingExtraError("pyarrow", "export") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, "wb") as handle:
        pq.write_table(pa.Table.from_pylist(rows), handle)


def _card(splits: dict[str, list[Task]]) -> str:
    """The dataset card: YAML header (license, splits) and what the tasks are."""
    tasks = [t for part in splits.values() for t in part]
    licenses = sorted({lic for t in tasks for lic in t.provenance.licenses}) or ["unknown"]
    domains = Counter(t.domain for t in tasks)
    models = sorted({t.provenance.model for t in tasks})
    prompts = sorted({t.provenance.prompt_version for t in tasks})
    scores = sorted(
        t.verification.mutation_score
        for t in tasks
        if t.verification and t.verification.mutation_score is not None
    )
    files = "\n".join(
        f"      - split: {name}\n        path: data/{name}-00000-of-00001.parquet"
        for name, part in splits.items()
        if part
    )
    lic = "\n".join(f"  - {_license_id(x)}" for x in licenses)
    median = f"{scores[len(scores) // 2]:.2f}" if scores else "not measured"
    per_domain = "\n".join(f"| {d} | {n} |" for d, n in sorted(domains.items()))
    sizes = ", ".join(f"{name} {len(part)}" for name, part in splits.items())
    return f"""---
license:
{lic}
configs:
  - config_name: default
    data_files:
{files}
---

# adr-graph tasks

Verified code tasks made by adr_graph from rarely combined but compatible atom sets.
Each task's reference solution and tests were checked by running them in a sandbox: two
independent solutions agree on every test input, no trivial program passes the tests,
and the task uses its atoms (fidelity gate).

- Tasks: {len(tasks)} ({sizes}); the test split shares no atom pair with train.
- Licenses of the seed tasks they were made from: {", ".join(licenses)}.
- Generation model(s): {", ".join(models)}; prompt versions: {", ".join(prompts)}.
- Verification: sandboxed runs of both solutions, triviality and fidelity gates; median
  mutation score {median}.

| domain | tasks |
|---|---|
{per_domain}

Columns: `prompt`, `data_source` and `ground_truth` (score with `adr_graph.reward.compute_score`,
or in verl as a custom reward), filter columns, and `task`, the whole task as JSON
(`adr_graph.records.Task.model_validate_json`).
"""


def _license_id(name: str) -> str:
    """A license name as the card's YAML list wants it (lower case, no spaces)."""
    return name.strip().lower().replace(" ", "-") or "unknown"


def write_hf_dataset(
    tasks: Sequence[Task], out: Path, *, test_share: float = 0.0, seed: int = 0
) -> dict[str, int]:
    """Write ``tasks`` as a ``datasets`` directory at ``out`` (which must not hold files);
    returns the row count per split."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not an empty directory", field="--out")
    if not 0.0 <= test_share < 1.0:
        raise InputError(f"test share {test_share} must be in [0, 1)", field="--test-share")
    train, test = held_out_split(tasks, test_share, seed=seed) if test_share else (list(tasks), [])
    splits = {"train": train, "test": test}
    for name, part in splits.items():
        if part:
            rows = [hf_row(t, i, name) for i, t in enumerate(part)]
            _write_split(rows, out / "data" / f"{name}-00000-of-00001.parquet")
    atomic_write_text(out / "README.md", _card(splits))
    return {name: len(part) for name, part in splits.items()}
