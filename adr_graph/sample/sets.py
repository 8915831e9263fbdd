"""Batches of atom sets the sampler can stand behind: distinct, runnable in the sandbox,
and (for ``novelty``) with every pair compatible; an under-filled batch says why.

>>> stats = SampleStats(requested=3, made=1, attempts=9, below_threshold=6, duplicates=2)
>>> print(stats.why_short())  # doctest: +NORMALIZE_WHITESPACE
made 1 of 3 sets in 9 tries: 6 had a pair below the compatibility threshold, 2 repeated a
set already made or in the history
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..records import AtomRef, AtomSet, ElementSchema, ScoreBreakdown
from .model import PairModel
from .search import (
    STRATEGIES,
    ObjectiveWeights,
    PairScores,
    baseline_set,
    breakdowns,
    score_sets,
    slot_template,
)
from .walk import novelty_sets

__all__ = ["SampleStats", "sample_sets"]


@dataclass
class SampleStats:
    """What one :func:`sample_sets` call tried and why it dropped candidate sets."""

    requested: int = 0
    made: int = 0
    attempts: int = 0
    below_threshold: int = 0
    duplicates: int = 0
    not_sandboxable_atoms: int = 0

    @property
    def shortfall(self) -> int:
        return self.requested - self.made

    def why_short(self) -> str:
        """One line on an under-filled batch (empty when it is full)."""
        if not self.shortfall:
            return ""
        return (
            f"made {self.made} of {self.requested} sets in {self.attempts} tries: "
            f"{self.below_threshold} had a pair below the compatibility threshold, "
            f"{self.duplicates} repeated a set already made or in the history"
        )


def _members(
    model: PairModel, schema: ElementSchema, template: list[str], stats: SampleStats
) -> dict[str, np.ndarray]:
    """Candidate atoms per slot: the domain's atoms the sandbox can run."""
    in_domain = model.domains == schema.domain
    members = {}
    for slot in set(template):
        found = np.flatnonzero(in_domain & (model.slots == slot))
        runnable = np.ones(len(found), dtype=bool)
        if any(rule.applies_to(slot) for rule in schema.not_sandboxable):
            runnable = np.array(
                [schema.sandboxable(slot, model.atom_ids[x].rsplit("/", 1)[1]) for x in found],
                dtype=bool,
            )
        stats.not_sandboxable_atoms += int((~runnable).sum())
        members[slot] = found[runnable]
    empty = sorted(s for s, m in members.items() if len(m) < template.count(s))
    if empty:
        raise InputError(
            f"no atoms for slot(s) {', '.join(empty)} of domain {schema.domain}; "
            "ingest seeds of that domain first",
            field="--domain",
        )
    return members


def _atom_set(
    model: PairModel,
    schema: ElementSchema,
    ids: list[int],
    score: ScoreBreakdown,
    strategy: str,
    seed: int,
) -> AtomSet:
    return AtomSet(
        domain=schema.domain,
        atoms=[
            AtomRef(
                id=model.atom_ids[x],
                slot=str(model.slots[x]),
                name=model.atom_ids[x].rsplit("/", 1)[1],
            )
            for x in ids
        ],
        score=score,
        strategy=strategy,
        rng_seed=seed,
    )


BATCH = 256  # novelty sets drawn per numpy pass


def _draw(
    model: PairModel,
    members: dict[str, np.ndarray],
    template: list[str],
    strategy: str,
    usage: np.ndarray,
    w: ObjectiveWeights,
    rng: np.random.Generator,
    size: int,
) -> np.ndarray:
    """``size`` candidate sets; a baseline draws one at a time as it always has."""
    if strategy == "novelty":
        return novelty_sets(model, members, template, usage, w, rng, size)
    return np.array([baseline_set(model, members, template, strategy, rng)])


def sample_sets(
    model: PairModel,
    schema: ElementSchema,
    n: int,
    *,
    strategy: str = "novelty",
    seed: int = 0,
    weights: ObjectiveWeights | None = None,
    include_optional: bool = True,
    on_set: Callable[[AtomSet], None] | None = None,
    exclude: Iterable[AtomSet] = (),
    stats: SampleStats | None = None,
    max_tries: int | None = None,
) -> list[AtomSet]:
    """Up to ``n`` distinct atom sets of ``schema``'s domain with ``strategy``.

    Deterministic for a given model, schema, ``n``, ``strategy`` and ``seed``. Atoms the
    schema marks ``not_sandboxable`` are never drawn; a set equal to one made before or
    to one in ``exclude`` is dropped, and so is a ``novelty`` set with any pair below the
    compatibility threshold (the baselines keep their own rules). After ``max_tries``
    (default ``10 n + 50``) it returns what it has; ``stats`` says why. Raises
    :class:`InputError` when a slot of the template has no atoms.
    """
    if strategy not in STRATEGIES:
        raise InputError(
            f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}",
            field="--strategy",
        )
    w = weights or ObjectiveWeights()
    stats = stats if stats is not None else SampleStats()
    stats.requested += n
    template = slot_template(schema, include_optional)
    members = _members(model, schema, template, stats)
    rng = np.random.default_rng(seed)
    assert model.atom_usage is not None
    usage = np.array(model.atom_usage, dtype=np.float64, copy=True)  # history + this batch
    seen = {frozenset(a.id for a in s.atoms) for s in exclude}
    out: list[AtomSet] = []
    tries = max_tries if max_tries is not None else 10 * n + 50
    tried = 0
    while len(out) < n and tried < tries:
        size = min(BATCH, tries - tried, n - len(out) + (n - len(out) + 3) // 4)
        drawn = _draw(model, members, template, strategy, usage, w, rng, size)
        pairs = PairScores.of(model, drawn, neighbours=True)
        scores = score_sets(model, drawn, w, pairs)
        kept: list[int] = []
        for row, ids in enumerate(drawn.tolist()):
            if len(out) + len(kept) >= n:
                break
            tried += 1
            stats.attempts += 1
            key = frozenset(model.atom_ids[x] for x in ids)
            if key in seen:
                stats.duplicates += 1
            elif strategy == "novelty" and scores.min_compatibility[row] < model.weights.threshold:
                stats.below_threshold += 1
            else:
                seen.add(key)
                usage[ids] += 1
                kept.append(row)
        for row, breakdown in zip(kept, breakdowns(model, drawn, scores, pairs, kept), strict=True):
            out.append(_atom_set(model, schema, drawn[row].tolist(), breakdown, strategy, seed))
            stats.made += 1
            if on_set is not None:
                on_set(out[-1])
    return out
