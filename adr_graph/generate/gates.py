"""The gates a task passes after its solutions agree: triviality and fidelity.

- **triviality**: the reference has at least ``min_reference_nodes`` AST nodes, and no
  trivial program (:mod:`.trivial`) passes the tests;
- **fidelity**: the extractors find at least ``min_fidelity`` of the requested atoms in
  the task (:mod:`.fidelity`).

Each returns a :class:`~adr_graph.records.Verdict` with the evidence a repair acts on.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..records import FidelityRecord, Task, Verdict
from ..sandbox import Limits, Sandbox
from .evidence import trivial_pass
from .fidelity import FidelityCheck
from .prompts_stdin import STDIN
from .running import passes, run_solutions, solution_program
from .trivial import reference_size, trivial_programs

__all__ = ["fidelity_verdict", "static_check", "triviality_verdict"]


def triviality_verdict(
    task: Task,
    sandbox: Sandbox,
    tests: list[dict[str, Any]],
    min_nodes: int,
    limits: Limits,
    workers: int = 2,
) -> Verdict:
    """Whether the reference is big enough and the tests reject every trivial program."""
    size = reference_size(task.reference_solution)
    if size < min_nodes:
        detail = f"the reference has {size} AST nodes, fewer than {min_nodes}"
        evidence = f"The reference is too small to be a task: {detail}."
        return Verdict(step="triviality", ok=False, detail=detail, evidence=evidence)
    programs = trivial_programs(tests, task.entry_point or "solve", stdin=task.io_format == STDIN)
    codes = [solution_program(task, code) for _, code in programs]
    runs = run_solutions(sandbox, codes, [t["input"] for t in tests], limits, workers)
    passed = [name for (name, _), r in zip(programs, runs, strict=True) if passes(r, tests, task)]
    if passed:
        detail = f"the tests are passed by a trivial program: {', '.join(passed)}"
        evidence = trivial_pass(passed[0], tests)
        return Verdict(step="triviality", ok=False, detail=detail, evidence=evidence)
    detail = f"{len(programs)} trivial programs fail the tests; the reference has {size} AST nodes"
    return Verdict(step="triviality", ok=True, detail=detail)


@lru_cache(maxsize=1)
def static_check() -> FidelityCheck:
    """The default fidelity check: the static extractor over the packaged schemas."""
    return FidelityCheck.static()


def fidelity_verdict(record: FidelityRecord, min_fidelity: float) -> Verdict:
    """The fidelity step: the score, the missing and unknown atoms, pass or fail."""
    found = len(record.found)
    total = found + len(record.missing) + len(record.unknown)
    parts = [f"fidelity {record.score:.2f} ({found} of {total} atoms found)"]
    if record.missing:
        parts.append("missing: " + ", ".join(a.split("/", 1)[-1] for a in record.missing))
    if record.unknown:
        parts.append("unknown: " + ", ".join(a.split("/", 1)[-1] for a in record.unknown))
    ok = record.score >= min_fidelity
    evidence = ""
    if not ok:
        parts.append(f"below --min-fidelity {min_fidelity:g}")
        names = ", ".join(a.split("/", 1)[-1].replace("/", ": ") for a in record.missing)
        evidence = f"The task does not visibly use these required elements: {names}."
    return Verdict(step="fidelity", ok=ok, detail="; ".join(parts), evidence=evidence)
