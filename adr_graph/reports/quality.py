"""The four measures the ADR paper reports, for any batch of tasks (``adr-graph report``).

- **originality**: ``1 -`` the highest cosine between a task's statement and a seed
  statement of its domain (0 = a verbatim copy);
- **diversity**: the mean pairwise cosine distance of the statements, and the Vendi score
  (the effective number of distinct statements; from the ``vendi-score`` package, when
  installed);
- **difficulty**: the distribution of solver pass rates (``1 - difficulty``) of verified
  tasks, and the share in the learnable band ``0 < p < 1``;
- **test quality**: the mutation score and the near-miss kill rate of verified tasks;

plus fidelity and the yield per stage (the verification funnel and the yield by repair
round).

>>> from adr_graph.embed import HashingEmbedder
>>> report = task_quality([], [], [], HashingEmbedder())
>>> report.tasks, report.diversity.mean_distance
(0, None)
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, Field

from ..embed import Embedder, l2_normalise
from ..records import GenerationFailure, Seed, Task
from .tasks import originality, verification_funnel, yield_by_round

__all__ = ["Spread", "TaskQuality", "task_quality"]


class Spread(BaseModel):
    """Summary of a list of numbers (``None`` when empty)."""

    count: int = 0
    mean: float | None = None
    median: float | None = None
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            return cls()
        return cls(
            count=len(values),
            mean=round(statistics.fmean(values), 4),
            median=round(statistics.median(values), 4),
            minimum=round(min(values), 4),
            maximum=round(max(values), 4),
        )


class Diversity(BaseModel):
    mean_distance: float | None = None
    vendi: float | None = None


class Difficulty(BaseModel):
    pass_rate: Spread = Field(default_factory=Spread)
    learnable_share: float | None = None  # share of rated tasks with 0 < pass rate < 1


class TestQuality(BaseModel):
    mutation_score: Spread = Field(default_factory=Spread)
    near_miss_kill_rate: Spread = Field(default_factory=Spread)
    #: surviving near misses that nothing told from the reference (perhaps correct)
    near_misses_not_shown_wrong: int = 0


class TaskQuality(BaseModel):
    """The measures of one batch; counts are of tasks unless named otherwise."""

    tasks: int
    verified: int
    originality: Spread
    diversity: Diversity
    difficulty: Difficulty
    tests: TestQuality
    fidelity: Spread
    funnel: dict[str, int]
    verified_by_round: dict[str, int]


def _diversity(tasks: Sequence[Task], embedder: Embedder) -> Diversity:
    if len(tasks) < 2:
        return Diversity()
    vectors = l2_normalise(np.asarray(embedder.encode([t.statement for t in tasks]), float))
    sims = vectors @ vectors.T
    distance = float(1.0 - sims[np.triu_indices(len(tasks), 1)].mean())
    try:
        from vendi_score import vendi
    except ImportError:
        return Diversity(mean_distance=round(distance, 4))
    return Diversity(
        mean_distance=round(distance, 4), vendi=round(float(vendi.score_dual(vectors)), 4)
    )


def task_quality(
    tasks: Sequence[Task],
    failures: Sequence[GenerationFailure],
    seeds: Sequence[Seed],
    embedder: Embedder,
) -> TaskQuality:
    """The measures of ``tasks`` (as ``verify`` wrote them), with the generation
    ``failures`` for the funnel and ``seeds`` for originality."""
    verified = [t for t in tasks if t.verification and t.verification.verified]
    near = originality(tasks, seeds, embedder) if tasks else []
    pass_rates = [1.0 - t.difficulty for t in verified if t.difficulty is not None]
    mutation = [
        t.verification.mutation_score
        for t in verified
        if t.verification and t.verification.mutation_score is not None
    ]
    rounds = max([len(t.repairs) for t in tasks] + [2])
    return TaskQuality(
        tasks=len(tasks),
        verified=len(verified),
        originality=Spread.of([1.0 - o.similarity for o in near]),
        diversity=_diversity(tasks, embedder),
        difficulty=Difficulty(
            pass_rate=Spread.of(pass_rates),
            learnable_share=round(sum(0 < p < 1 for p in pass_rates) / len(pass_rates), 4)
            if pass_rates
            else None,
        ),
        tests=TestQuality(
            mutation_score=Spread.of(mutation),
            near_miss_kill_rate=Spread.of(
                [
                    r.near_miss_kill_rate
                    for t in verified
                    if (r := t.verification) and r.near_miss_kill_rate is not None
                ]
            ),
            near_misses_not_shown_wrong=sum(
                t.verification.near_misses_equivalent for t in verified if t.verification
            ),
        ),
        fidelity=Spread.of([t.fidelity for t in tasks if t.fidelity is not None]),
        funnel={s.name: s.count for s in verification_funnel(tasks, failures)},
        verified_by_round={s.name: s.count for s in yield_by_round(tasks, rounds)},
    )
