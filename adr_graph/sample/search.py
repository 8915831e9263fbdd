"""Sampling strategies over a :class:`PairModel`: ``novelty`` and two baselines.

- ``novelty``: anchor on an under-used atom, then extend slot by slot along
  compatibility evidence toward low direct co-occurrence; atoms and pairs already used
  in this batch (or given as history) are discounted. Many sets grow at once
  (:mod:`adr_graph.sample.walk`).
- ``random``: one uniformly chosen atom per slot (ADR's released behaviour).
- ``cooccur-walk``: anchor by frequency, extend toward frequent co-occurrence
  (MathScale-style).

All three return :class:`~adr_graph.records.AtomSet` records scored by the same
:func:`score_sets`, so their numbers compare. Every random choice comes from
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..records import ElementSchema, ScoreBreakdown
from .model import PairModel

__all__ = [
    "STRATEGIES",
    "ObjectiveWeights",
    "PairScores",
    "SetScores",
    "baseline_set",
    "breakdowns",
    "explain",
    "explain_sets",
    "pair_index",
    "score_sets",
    "slot_template",
]

STRATEGIES = ("novelty", "random", "cooccur-walk")


@dataclass(frozen=True)
class ObjectiveWeights:
    """Weights of the set objective and the search's knobs.

    A set's total is ``novelty * mean pair novelty + compatibility * mean pair
    compatibility + diversity * unused share``, less 1 when a pair is below the
    threshold. The ``novelty`` search adds ``unseen_bonus`` to a candidate that brings
    the first never-seen pair, scores ``pool`` candidates per set and step (the whole
    slot when it has no more atoms than that) and picks by softmax at ``temperature``
    among the ``top_k`` best.
    """

    novelty: float = 1.0
    compatibility: float = 1.5
    diversity: float = 0.3
    unseen_bonus: float = 0.5
    top_k: int = 8
    temperature: float = 0.1
    pool: int = 64


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


@dataclass
class PairScores:
    """Per-pair terms of many sets, flat (set by set, pairs in :func:`pair_index` order)."""

    i: np.ndarray
    j: np.ndarray
    counts: np.ndarray  # seeds holding both atoms
    novelty: np.ndarray
    compatibility: np.ndarray
    used: np.ndarray  # earlier sets holding both atoms
    neighbour_cos: np.ndarray | None = None  # when asked for

    @classmethod
    def of(cls, model: PairModel, sets: np.ndarray, neighbours: bool = False) -> PairScores:
        """The terms of ``sets``' pairs; with ``neighbours``, also their neighbourhood
        cosines (computed once, for the hand-weighted score and the reasons alike)."""
        a, b = pair_index(sets.shape[1])
        i, j = sets[:, a].ravel(), sets[:, b].ravel()
        nbr = None
        if neighbours or model.learned is None:  # the hand-weighted score reads them
            nbr, counts = model.set_evidence(sets)
        else:
            counts = model.cooccurrence(i, j)
        return cls(
            i,
            j,
            counts,
            model.novelty(i, j, counts),
            model.compatibility(i, j, nbr, counts),
            model.used(i, j),
            nbr,
        )


def score_sets(
    model: PairModel,
    sets: np.ndarray,
    weights: ObjectiveWeights | None = None,
    pairs: PairScores | None = None,
) -> SetScores:
    """Score an ``(n_sets, k)`` array of atom indices, fully vectorised (``pairs``: their
    :class:`PairScores`, when already computed)."""
    w = weights or ObjectiveWeights()
    pairs = pairs if pairs is not None else PairScores.of(model, sets)
    shape = (sets.shape[0], len(pair_index(sets.shape[1])[0]))
    nov = pairs.novelty.reshape(shape)
    comp = pairs.compatibility.reshape(shape)
    unseen = (pairs.counts == 0).reshape(shape).sum(axis=1)
    pair_use = pairs.used.reshape(shape)
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


def explain_sets(
    model: PairModel, sets: np.ndarray, weights: ObjectiveWeights
) -> list[ScoreBreakdown]:
    """Score breakdown with per-pair evidence for each row of ``sets`` (one pass)."""
    pairs = PairScores.of(model, sets, neighbours=True)
    scores = score_sets(model, sets, weights, pairs)
    return breakdowns(model, sets, scores, pairs, range(len(sets)))


def breakdowns(
    model: PairModel,
    sets: np.ndarray,
    scores: SetScores,
    pairs: PairScores,
    rows: Iterable[int],
) -> list[ScoreBreakdown]:
    """Breakdowns of the ``rows`` of ``sets`` from their scores and pair terms (computed
    with ``neighbours``); each is validated once, pairs and all."""
    rows = list(rows)
    per_set = len(pair_index(sets.shape[1])[0])
    at = (np.asarray(rows, dtype=np.int64)[:, None] * per_set + np.arange(per_set)).ravel()
    i, j = pairs.i[at], pairs.j[at]
    assert pairs.neighbour_cos is not None
    learned = model.learned.probability.lookup(i, j) if model.learned is not None else None
    columns = [
        i.tolist(),
        j.tolist(),
        pairs.counts[at].tolist(),
        pairs.novelty[at].tolist(),
        pairs.compatibility[at].tolist(),
        pairs.neighbour_cos[at].tolist(),
        model.embedding_cosine(i, j).tolist(),
        pairs.used[at].tolist(),
        [None] * len(at) if learned is None else learned.tolist(),
    ]
    evidence = [
        {
            "a": model.atom_ids[a],
            "b": model.atom_ids[b],
            "cooccurrence": int(seen),
            "novelty": round(nov, 6),
            "compatibility": round(comp, 6),
            "reasons": _reasons(model, int(seen), prob, (nbr, cos, int(used), comp)),
        }
        for a, b, seen, nov, comp, nbr, cos, used, prob in zip(*columns, strict=True)
    ]
    return [
        ScoreBreakdown.model_validate(
            {
                "total": round(float(scores.total[row]), 6),
                "novelty": round(float(scores.novelty[row]), 6),
                "compatibility": round(float(scores.compatibility[row]), 6),
                "diversity": round(float(scores.diversity[row]), 6),
                "min_compatibility": round(float(scores.min_compatibility[row]), 6),
                "pairs": evidence[n * per_set : (n + 1) * per_set],
            }
        )
        for n, row in enumerate(rows)
    ]


def explain(model: PairModel, ids: np.ndarray, weights: ObjectiveWeights) -> ScoreBreakdown:
    """Score breakdown with per-pair evidence for one set."""
    return explain_sets(model, np.asarray(ids)[None, :], weights)[0]


def _reasons(
    model: PairModel, seen: int, learned: float | None, evidence: tuple[float, float, int, float]
) -> list[str]:
    """Why a pair scores as it does, in words."""
    nbr, cos, used, comp = evidence
    reasons = [f"seen together in {_plural(seen, 'seed')}" if seen else "never seen together"]
    if learned is not None and not seen:
        reasons.append(f"learned probability of meeting {learned:.3f}")
    reasons.append(f"neighbourhood cosine {nbr:.3f}")
    if not np.isnan(cos):
        reasons.append(f"embedding cosine {cos:.3f}")
    if used:
        reasons.append(f"used together in {_plural(used, 'earlier set')}")
    if comp < model.weights.threshold:
        reasons.append("below the compatibility threshold")
    return reasons


# -- strategies ------------------------------------------------------------------------------


def _cooccur_step(
    model: PairModel, chosen: list[int], cands: np.ndarray, rng: np.random.Generator
) -> int:
    ci = np.repeat(np.asarray(chosen), len(cands))
    cj = np.tile(cands, len(chosen))
    weight = model.cooccurrence(ci, cj).reshape(len(chosen), -1).sum(0).astype(float)
    if weight.sum() == 0:
        weight = model.frequency[cands] + 1e-9
    return int(cands[rng.choice(len(cands), p=weight / weight.sum())])


def baseline_set(
    model: PairModel,
    members: dict[str, np.ndarray],
    template: list[str],
    strategy: str,
    rng: np.random.Generator,
) -> list[int]:
    """One set of a baseline strategy (``random`` or ``cooccur-walk``), slot by slot in a
    random order; the ``novelty`` search is :func:`adr_graph.sample.walk.novelty_sets`."""
    order = list(rng.permutation(len(template)))
    picks: dict[int, int] = {}
    for slot_pos in order:
        cands = members[template[slot_pos]]
        cands = cands[~np.isin(cands, list(picks.values()))]
        if strategy == "random":
            picks[slot_pos] = int(rng.choice(cands))
        elif not picks:  # cooccur-walk anchors by frequency
            weight = model.frequency[cands] + 1e-9
            picks[slot_pos] = int(cands[rng.choice(len(cands), p=weight / weight.sum())])
        else:
            picks[slot_pos] = _cooccur_step(model, list(picks.values()), cands, rng)
    return [picks[p] for p in range(len(template))]
