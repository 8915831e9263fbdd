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
from ..records import AtomRef, AtomSet, ElementSchema
from .model import PairModel
from .search import STRATEGIES, Batch, ObjectiveWeights, explain, one_set, pair_index, slot_template

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
    strategy: str,
    seed: int,
    w: ObjectiveWeights,
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
        score=explain(model, np.asarray(ids), w),
        strategy=strategy,
        rng_seed=seed,
    )


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
    batch = Batch(len(model.atom_ids))
    seen = {frozenset(a.id for a in s.atoms) for s in exclude}
    out: list[AtomSet] = []
    tries = max_tries if max_tries is not None else 10 * n + 50
    for _ in range(tries):
        if len(out) >= n:
            break
        stats.attempts += 1
        ids = one_set(model, members, template, strategy, batch, w, rng)
        key = frozenset(model.atom_ids[x] for x in ids)
        if key in seen:
            stats.duplicates += 1
            continue
        if strategy == "novelty" and _min_compatibility(model, ids) < model.weights.threshold:
            stats.below_threshold += 1
            continue
        seen.add(key)
        batch.add(ids)
        out.append(_atom_set(model, schema, ids, strategy, seed, w))
        stats.made += 1
        if on_set is not None:
            on_set(out[-1])
    return out


def _min_compatibility(model: PairModel, ids: list[int]) -> float:
    arr = np.asarray(ids)
    a, b = pair_index(len(arr))
    return float(model.compatibility(arr[a], arr[b]).min()) if len(a) else 1.0
