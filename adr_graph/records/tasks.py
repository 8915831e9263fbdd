"""Records of generated tasks: verdicts, repairs, fidelity, screening and provenance."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .graph import Domain, _Record

__all__ = [
    "FidelityRecord",
    "GenerationFailure",
    "RepairRound",
    "Screening",
    "Task",
    "TaskOutcome",
    "TaskProvenance",
    "Verdict",
    "VerificationRecord",
]


class Verdict(_Record):
    step: str
    ok: bool
    detail: str = ""
    #: for a failed step, what a repair call is shown: the failing input, the exception
    #: and its line, both outputs, or the missing atoms
    evidence: str = ""


class RepairRound(_Record):
    """One repair call on a task that failed verification, and what came of it."""

    round: int = Field(ge=1)
    step: str  # the failed step whose evidence was sent
    prompt_version: str
    #: task fields the reply replaced (empty when the reply could not be used)
    changed: list[str] = Field(default_factory=list)
    error: str = ""  # why the reply could not be used (malformed, LLM fault)
    verified: bool = False  # the verdict after this round


class FidelityRecord(_Record):
    """Which requested atoms the extractors found in a task (see
    :mod:`adr_graph.generate.fidelity`)."""

    score: float = Field(ge=0.0, le=1.0)
    by_slot: dict[str, float] = Field(default_factory=dict)
    found: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    #: requested atoms none of the extractors at hand could have found
    unknown: list[str] = Field(default_factory=list)
    extractors: list[str] = Field(default_factory=list)
    #: extractors that failed on this task (e.g. a malformed LLM reply), with why
    errors: list[str] = Field(default_factory=list)


class VerificationRecord(_Record):
    verified: bool
    verdicts: list[Verdict] = Field(default_factory=list)
    mutation_score: float | None = None
    fidelity: FidelityRecord | None = None
    #: share of the near-miss solutions the tests kill, before and after adding the inputs
    #: that separate the survivors (``None``: not measured)
    near_miss_kill_rate_before: float | None = None
    near_miss_kill_rate: float | None = None
    near_misses: int = 0  # plausible-but-wrong solutions that ran
    #: surviving near misses that no test, separating or probe input told from the
    #: reference (perhaps correct after all; still counted in the kill rates)
    near_misses_equivalent: int = 0
    separating_tests: int = 0  # tests added to kill them


class Screening(_Record):
    """Duplicate and contamination screening of a task before export (:mod:`adr_graph.screen`)."""

    #: the earlier task (of the batch or an earlier output) this one repeats
    duplicate_of: str | None = None
    #: statement cosine to the closest earlier kept task (the one repeated, if any)
    duplicate_similarity: float | None = None
    nearest_eval_seed: str | None = None
    eval_cosine: float | None = None
    #: word 13-grams shared with the evaluation seed that shares most (``eval_ngram_seed``)
    eval_ngrams: int = 0
    eval_ngram_seed: str | None = None
    contaminated: bool = False


class TaskProvenance(_Record):
    atom_ids: list[str]
    seed_ids: list[str] = Field(default_factory=list)
    prompt_version: str
    model: str
    sampler: dict[str, Any] = Field(default_factory=dict)
    #: corpora (package==version) and licenses of the seeds the task cites (set on export)
    sources: list[str] = Field(default_factory=list)
    licenses: list[str] = Field(default_factory=list)


class Task(_Record):
    """A generated task with everything needed to verify and export it."""

    id: str
    domain: Domain
    title: str = ""
    statement: str
    entry_point: str | None = None
    signature: str | None = None
    io_format: str | None = None
    reference_solution: str
    input_generator: str | None = None
    input_validator: str | None = None
    second_solution: str | None = None
    #: tool_usage tasks: the declared tool schemas every returned call must fit
    tools: list[dict[str, Any]] | None = None
    tests: list[dict[str, Any]] = Field(default_factory=list)
    verification: VerificationRecord | None = None
    difficulty: float | None = None
    #: share of the requested atoms the extractors find in the task (``verify``)
    fidelity: float | None = None
    #: repair rounds ``verify`` ran on this task, in order
    repairs: list[RepairRound] = Field(default_factory=list)
    #: set by ``export``: duplicates and closeness to evaluation-only seeds
    screening: Screening | None = None
    provenance: TaskProvenance


class TaskOutcome(_Record):
    """What verification said about a task built from these atoms (fed back to the graph)."""

    task_id: str
    domain: Domain
    atom_ids: list[str] = Field(min_length=1)
    verified: bool


class GenerationFailure(BaseModel):
    """Why no task came out of one atom set (one line of ``TASKS.failures.jsonl``)."""

    id: str
    atom_ids: list[str]
    stage: str  # "task", "inputs" or "second"
    reason: str
