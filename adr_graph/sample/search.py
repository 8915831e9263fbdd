"""Sampling strategies over a :class:`PairModel`: ``novelty`` and two baselines.

- ``novelty``: anchor on an under-used atom, then extend slot by slot along
  compatibility evidence toward low direct co-occurrence; atoms and pairs already used
  in this batch (or given as history) are discounted.
- ``random``: one uniformly chosen atom per slot (ADR's released behaviour).
- ``cooccur-walk``: anchor by frequency, extend toward frequent co-occurrence
  (MathScale-style).

All three return :class:`~adr_graph.records.AtomSet` records scored by the same
:func:`score_sets`, so their numbers compare. Every random choice comes from
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..records import ElementSchema, PairEvidence, ScoreBreakdown
from .model import PairModel

__all__ = [
    "STRATEGIES",
    "Batch",
    "ObjectiveWeights",
    "SetScores",
    "explain",
    "one_set",
    "pair_index",
    "score_sets",
    "slot_template",
]

STRATEGIES = ("novelty", "random", "cooccur-walk")


@dataclass(frozen=True)
class ObjectiveWeights:
    """Weights of the set objective and the search's knobs."""

    novelty: float = 1.0
    compatibility: float = 1.5
    diversity: float = 0.3
    unseen_bonus: float = 0.5
    top_k: int = 8
    temperature: float = 0.1
    pool: int = 512


def slot_template(schema: ElementSchema, include_optional: bool = True) -> list[str]:
    """Slots a set fills: every required slot ``min`` times, optional slots once.

    >>> from adr_graph.schema import load_schemas
    >>> slot_template(load_schemas()["algorithm"])
    ['technique', 'data_structure', 'scenario', 'constraint', 'io_format']
    """
    out: list[str] = []
    for spec in schema.slots:
        times = spec.cardinality.min if spec.required else int(include_optional)
        out.extend([spec.name] * times)
    return out


@dataclass
class SetScores:
    """Scores of many sets at once (rows: sets)."""

    novelty: np.ndarray
    compatibility: np.ndarray
    min_compatibility: np.ndarray
    diversity: np.ndarray
    total: np.ndarray
    unseen_pairs: np.ndarray  # pairs never seen together in seeds, per set


def pair_index(k: int) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.triu_indices(k, 1)
    return a, b


def score_sets(
    model: PairModel, sets: np.ndarray, weights: ObjectiveWeights | None = None
) -> SetScores:
    """Score an ``(n_sets, k)`` array of atom indices, fully vectorised."""
    w = weights or ObjectiveWeights()
    a, b = pair_index(sets.shape[1])
    i, j = sets[:, a].ravel(), sets[:, b].ravel()
    shape = (sets.shape[0], len(a))
    nov = model.novelty(i, j).reshape(shape)
    comp = model.compatibility(i, j).reshape(shape)
    unseen = (model.cooccurrence(i, j) == 0).reshape(shape).sum(axis=1)
    pair_use = model.used(i, j).reshape(shape)
    div = 0.5 * model.diversity(sets).mean(axis=1) + 0.5 * (1.0 / (1.0 + pair_use)).mean(axis=1)
    novelty, compat, min_comp = nov.mean(axis=1), comp.mean(axis=1), comp.min(axis=1)
    feasible = min_comp >= model.weights.threshold
    total = w.novelty * novelty + w.compatibility * compat + w.diversity * div
    total = np.where(feasible, total, total - 1.0)
    return SetScores(novelty, compat, min_comp, div, total, unseen)


def _plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, plural unless one.

    >>> _plural(1, "seed"), _plural(3, "earlier set")
    ('1 seed', '3 earlier sets')
    """
    return f"{count} {noun}" + ("" if count == 1 else "s")


def explain(model: PairModel, ids: np.ndarray, weights: ObjectiveWeights) -> ScoreBreakdown:
    """Score breakdown with per-pair evidence for one set."""
    scores = score_sets(model, ids[None, :], weights)
    a, b = pair_index(len(ids))
    i, j = ids[a], ids[b]
    counts, nov = model.cooccurrence(i, j), model.novelty(i, j)
    comp, nbr = model.compatibility(i, j), model.neighbour_cosine(i, j)
    cos, used = model.embedding_cosine(i, j), model.used(i, j)
    learned = model.learned.probability.lookup(i, j) if model.learned is not None else None
    pairs = []
    for x in range(len(i)):
        seen = int(counts[x])
        reasons = [f"seen together in {_plural(seen, 'seed')}" if seen else "never seen together"]
        if learned is not None and not seen:
            reasons.append(f"learned probability of meeting {learned[x]:.3f}")
        reasons.append(f"neighbourhood cosine {nbr[x]:.3f}")
        if not np.isnan(cos[x]):
            reasons.append(f"embedding cosine {cos[x]:.3f}")
        if used[x]:
            reasons.append(f"used together in {_plural(int(used[x]), 'earlier set')}")
        if comp[x] < model.weights.threshold:
            reasons.append("below the compatibility threshold")
        pairs.append(
            PairEvidence(
                a=model.atom_ids[i[x]],
                b=model.atom_ids[j[x]],
                cooccurrence=int(counts[x]),
                novelty=round(float(nov[x]), 6),
                compatibility=round(float(comp[x]), 6),
                reasons=reasons,
            )
        )
    return ScoreBreakdown(
        total=round(float(scores.total[0]), 6),
        novelty=round(float(scores.novelty[0]), 6),
        compatibility=round(float(scores.compatibility[0]), 6),
        diversity=round(float(scores.diversity[0]), 6),
        min_compatibility=round(float(scores.min_compatibility[0]), 6),
        pairs=pairs,
    )


# -- strategies ------------------------------------------------------------------------------


def _softmax_pick(scores: np.ndarray, k: int, temp: float, rng: np.random.Generator) -> int:
    top = np.argsort(-scores, kind="stable")[:k]
    logits = (scores[top] - scores[top].max()) / max(temp, 1e-6)
    p = np.exp(logits)
    return int(top[rng.choice(len(top), p=p / p.sum())])


def _pool(
    candidates: np.ndarray, size: int, rng: np.random.Generator, extra: np.ndarray | None = None
) -> np.ndarray:
    if len(candidates) <= size:
        return candidates
    picked = rng.choice(candidates, size=size, replace=False)
    if extra is not None and len(extra):
        picked = np.union1d(picked, extra)
    return picked


def _neighbours(
    model: PairModel, rows: np.ndarray, cap: int, rng: np.random.Generator
) -> np.ndarray:
    """Up to ``cap`` co-occurrence neighbours of each row (a random window of hubs)."""
    indptr, indices = model.basis.indptr, model.basis.indices
    parts = []
    for row in rows.tolist():
        start, end = indptr[row], indptr[row + 1]
        if end - start > cap:
            start = int(rng.integers(start, end - cap + 1))
            end = start + cap
        parts.append(indices[start:end])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=indices.dtype)


def _two_hop(
    model: PairModel,
    chosen: list[int],
    candidates: np.ndarray,
    limit: int,
    rng: np.random.Generator,
    cap: int = 48,
) -> np.ndarray:
    """Candidates reached most often over 2-hop co-occurrence paths from ``chosen``.

    Sampled: at most ``cap`` neighbours per atom on each hop, so hubs cost no more than
    rare atoms.
    """
    first = np.unique(_neighbours(model, np.asarray(chosen), cap, rng))
    if len(first) > cap:
        first = rng.choice(first, cap, replace=False)
    second = _neighbours(model, first, cap, rng)
    second = second[np.isin(second, candidates)]
    if len(second) == 0:
        return second
    found, hits = np.unique(second, return_counts=True)
    return found[np.argsort(-hits, kind="stable")[:limit]]


class Batch:
    """How often each atom was used so far in this batch (discounts it for diversity)."""

    def __init__(self, n: int) -> None:
        self.atoms = np.zeros(n)

    def add(self, ids: Sequence[int]) -> None:
        self.atoms[list(ids)] += 1


def _novelty_step(
    model: PairModel,
    chosen: list[int],
    cands: np.ndarray,
    batch: Batch,
    w: ObjectiveWeights,
    rng: np.random.Generator,
    need_unseen: bool,
    last: bool,
) -> int:
    """Best-scored compatible candidate (softmax over the top ``w.top_k``).

    While the set holds no never-seen pair, only compatible candidates that add one are
    feasible when any exist; on the last slot a candidate that adds one is taken even
    when none of them is compatible (the set is then marked below threshold).
    """
    pool = _pool(cands, w.pool, rng, _two_hop(model, chosen, cands, w.pool // 2, rng))
    m, k = len(pool), len(chosen)
    ci = np.repeat(np.asarray(chosen), m)
    cj = np.tile(pool, k)
    nbr = None  # the neighbourhood term only where the hand-weighted score reads it
    if model.scores_by_hand(model.domains[chosen[0]]):
        nbr = model.neighbour_cosine_block(np.asarray(chosen), pool).ravel()
    comp = model.compatibility(ci, cj, nbr).reshape(k, m)
    nov = model.novelty(ci, cj).reshape(k, m)
    unseen = (model.cooccurrence(ci, cj) == 0).reshape(k, m).any(0)
    usage = model.atom_usage[pool] + batch.atoms[pool]  # type: ignore[index]
    score = w.novelty * nov.mean(0) + w.compatibility * comp.mean(0) + w.diversity / (1.0 + usage)
    feasible = comp.min(0) >= model.weights.threshold
    if need_unseen:
        score = score + w.unseen_bonus * unseen
        if (feasible & unseen).any():
            feasible &= unseen
        elif last and unseen.any():  # no compatible way to a new pair: take the best new one
            feasible = unseen
    score = np.where(feasible, score, score - 2.0)
    return int(pool[_softmax_pick(score, w.top_k, w.temperature, rng)])


def _cooccur_step(
    model: PairModel,
    chosen: list[int],
    cands: np.ndarray,
    batch: Batch,
    w: ObjectiveWeights,
    rng: np.random.Generator,
) -> int:
    ci = np.repeat(np.asarray(chosen), len(cands))
    cj = np.tile(cands, len(chosen))
    weight = model.cooccurrence(ci, cj).reshape(len(chosen), -1).sum(0).astype(float)
    if weight.sum() == 0:
        weight = model.frequency[cands] + 1e-9
    return int(cands[rng.choice(len(cands), p=weight / weight.sum())])


def _anchor(
    model: PairModel, cands: np.ndarray, strategy: str, batch: Batch, rng: np.random.Generator
) -> int:
    if strategy == "random":
        return int(rng.choice(cands))
    if strategy == "cooccur-walk":
        weight = model.frequency[cands] + 1e-9
    else:  # under-used atoms first, never-used atoms most
        usage = model.atom_usage[cands] + batch.atoms[cands]  # type: ignore[index]
        weight = 1.0 / (1.0 + usage) ** 2
    return int(cands[rng.choice(len(cands), p=weight / weight.sum())])


def one_set(
    model: PairModel,
    members: dict[str, np.ndarray],
    template: list[str],
    strategy: str,
    batch: Batch,
    w: ObjectiveWeights,
    rng: np.random.Generator,
) -> list[int]:
    order = list(rng.permutation(len(template)))
    picks: dict[int, int] = {}
    first = order[0]
    picks[first] = _anchor(model, members[template[first]], strategy, batch, rng)
    has_unseen = False
    for step, slot_pos in enumerate(order[1:], start=2):
        cands = members[template[slot_pos]]
        cands = cands[~np.isin(cands, list(picks.values()))]
        chosen = list(picks.values())
        if strategy == "random":
            picks[slot_pos] = int(rng.choice(cands))
        elif strategy == "cooccur-walk":
            picks[slot_pos] = _cooccur_step(model, chosen, cands, batch, w, rng)
        else:
            last = step == len(template)
            pick = _novelty_step(model, chosen, cands, batch, w, rng, not has_unseen, last)
            picks[slot_pos] = pick
            has_unseen = has_unseen or bool(
                (model.cooccurrence(np.asarray(chosen), np.full(len(chosen), pick)) == 0).any()
            )
    return [picks[p] for p in range(len(template))]
