"""The ``novelty`` search, batched: many sets grow slot by slot, one numpy pass a step.

Each set of a batch draws its own slot order and an anchor (under-used atoms first; no
two sets of a batch share an anchor while the slot has atoms enough). Every later step
extends every set of the wave at once, each into the slot its own order names next:

- draws a candidate pool per set: the ends of random 2-hop co-occurrence walks from the
  set's atoms into its slot (atoms the neighbourhood evidence favours) and uniform draws
  from the slot (so atoms far from the seeds stay reachable); a slot of at most
  ``pool`` atoms is taken whole (padded to the step's width, the padding never picked);
- scores every (set atom, candidate) pair: novelty, compatibility and whether the two
  were ever seen together;
- picks by softmax among each set's ``top_k`` best candidates. While a set holds no
  never-seen pair, only compatible candidates that add one are feasible when any exist;
  on the last slot a candidate that adds one is taken even when none is compatible (the
  set is then below the threshold, and :func:`~adr_graph.sample.sets.sample_sets` drops
  it).

Every random choice comes from the ``rng`` passed in.

>>> import scipy.sparse as sp
>>> from adr_graph.sample.model import PairModel
>>> from adr_graph.sample.search import ObjectiveWeights
>>> inc = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1]]))
>>> model = PairModel.from_incidence(inc, ["d/t/a", "d/s/b", "d/s/c", "d/s/e"],
...                                  ["t", "s", "s", "s"], ["d"] * 4)
>>> members = {"t": np.array([0]), "s": np.array([1, 2, 3])}
>>> sets = novelty_sets(model, members, ["t", "s"], np.zeros(4), ObjectiveWeights(),
...                     np.random.default_rng(0), size=3)
>>> sets.shape, sorted(set(sets[:, 0].tolist()))
((3, 2), [0])
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .model import PairModel
from .search import ObjectiveWeights

__all__ = ["novelty_sets", "softmax_picks"]


# sets that grow together before the usage counts see their atoms: smaller waves spread a
# batch wider (one set at a time is the sequential search), larger ones run faster
WAVE = 32


def novelty_sets(
    model: PairModel,
    members: dict[str, np.ndarray],
    template: list[str],
    usage: np.ndarray,
    weights: ObjectiveWeights,
    rng: np.random.Generator,
    size: int,
) -> np.ndarray:
    """``size`` sets as an ``(size, len(template))`` array of atom indices.

    ``members`` maps each slot to its candidate atoms, ``usage`` counts earlier uses of
    every atom (history plus this batch): the anchor and the diversity term prefer
    atoms used less. The sets grow in waves of :data:`WAVE`; each wave counts the atoms
    of the waves before it as used.
    """
    usage = np.array(usage, dtype=np.float64, copy=True)
    cands = _Candidates(len(model.atom_ids), members, template)
    waves = []
    for start in range(0, size, WAVE):  # later waves see the atoms earlier ones used
        wave = _wave(model, cands, usage, weights, rng, min(WAVE, size - start))
        np.add.at(usage, wave.ravel(), 1.0)
        waves.append(wave)
    return np.concatenate(waves) if waves else np.zeros((0, len(template)), dtype=np.int64)


class _Candidates:
    """Each slot's candidate atoms, flat, so that every set of a step can draw from its
    own slot in one numpy pass."""

    def __init__(self, n_atoms: int, members: dict[str, np.ndarray], template: list[str]):
        slots = sorted(set(template))
        self.of_position = np.array([slots.index(slot) for slot in template], dtype=np.int64)
        self.arrays = [np.asarray(members[slot], dtype=np.int64) for slot in slots]
        self.size = np.array([len(a) for a in self.arrays], dtype=np.int64)
        self.start = np.concatenate([[0], np.cumsum(self.size)[:-1]]).astype(np.int64)
        self.flat = np.concatenate(self.arrays)
        self.code = np.full(n_atoms, -1, dtype=np.int64)  # the slot an atom is drawn for
        for code, atoms in enumerate(self.arrays):
            self.code[atoms] = code


def _wave(
    model: PairModel,
    cands: _Candidates,
    usage: np.ndarray,
    weights: ObjectiveWeights,
    rng: np.random.Generator,
    size: int,
) -> np.ndarray:
    """One wave of ``size`` sets, grown together (usage fixed while they grow): a step
    extends every set of the wave at once, each into the slot its own order names."""
    k = len(cands.of_position)
    orders = rng.permuted(np.tile(np.arange(k), (size, 1)), axis=1)
    picks = np.full((size, k), -1, dtype=np.int64)
    for first, rows in _groups(orders[:, 0]):
        atoms = cands.arrays[cands.of_position[first]]
        picks[rows, first] = _anchors(atoms, usage, len(rows), rng)
    has_unseen = np.zeros(size, dtype=bool)
    every = np.arange(size)
    for step in range(1, k):
        positions = orders[:, step]
        chosen = np.take_along_axis(picks, orders[:, :step], axis=1)
        slot = cands.of_position[positions]
        pool, valid = _pools(model, chosen, slot, cands, weights.pool, rng)
        pick, adds_unseen = _step(
            model, chosen, pool, valid, usage, weights, rng, ~has_unseen, last=step == k - 1
        )
        picks[every, positions] = pick
        has_unseen |= adds_unseen
    return picks


def _groups(values: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """``(value, rows holding it)`` for each distinct value, in ascending order."""
    for value in np.unique(values).tolist():
        yield value, np.flatnonzero(values == value)


def _anchors(cands: np.ndarray, usage: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` anchors, weighted ``1 / (1 + usage)^2``, distinct while the slot allows."""
    weight = 1.0 / (1.0 + usage[cands]) ** 2
    return rng.choice(cands, size=n, replace=n > len(cands), p=weight / weight.sum())


def _walk_ends(
    model: PairModel,
    chosen: np.ndarray,
    slot: np.ndarray,
    code: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """``n`` ends of random 2-hop co-occurrence walks per set that land among its slot's
    candidates (``code[atom] == slot[set]``; ``-1`` where too few do); each walk starts at
    a random atom of the set."""
    g, t = chosen.shape
    tries = 4 * n
    indptr, indices = model.neighbours.indptr, model.neighbours.indices
    node = chosen[np.arange(g)[:, None], rng.integers(t, size=(g, tries))]
    alive = np.ones(node.shape, dtype=bool)
    for _hop in range(2):
        start, degree = indptr[node], indptr[node + 1] - indptr[node]
        alive &= degree > 0
        offset = (rng.random(node.shape) * degree).astype(np.int64)
        node = np.where(alive, indices[np.minimum(start + offset, len(indices) - 1)], node)
    landed = alive & (code[node] == slot[:, None])
    first = np.argsort(~landed, axis=1, kind="stable")[:, :n]  # landed walks first
    ends = np.take_along_axis(node, first, axis=1)
    return np.where(np.take_along_axis(landed, first, axis=1), ends, -1)


def _pools(
    model: PairModel,
    chosen: np.ndarray,
    slot: np.ndarray,
    cands: _Candidates,
    pool: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates per set and which of them count, two ``(sets, width)`` arrays: a slot
    of at most ``pool`` atoms whole (padded), a larger one as 2-hop walk ends (half) and
    uniform draws."""
    g, size = len(chosen), cands.size[slot]
    width = int(min(pool, size.max()))
    offset = (rng.random((g, width)) * size[:, None]).astype(np.int64)
    out = cands.flat[cands.start[slot][:, None] + offset]
    valid = np.ones((g, width), dtype=bool)
    big = size > pool
    if big.any():
        walked = _walk_ends(model, chosen[big], slot[big], cands.code, pool // 2, rng)
        drawn = out[big, : pool // 2]
        out[big, : pool // 2] = np.where(walked >= 0, walked, drawn)
    for small in np.unique(slot[~big]).tolist():  # every atom of a small slot, once
        rows, atoms = np.flatnonzero(slot == small), cands.arrays[small]
        out[rows, : len(atoms)] = atoms
        valid[rows, len(atoms) :] = False
    return out, valid


def _step(
    model: PairModel,
    chosen: np.ndarray,
    pool: np.ndarray,
    valid: np.ndarray,
    usage: np.ndarray,
    w: ObjectiveWeights,
    rng: np.random.Generator,
    need_unseen: np.ndarray,
    last: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """One pick per set from its ``pool`` (entries not ``valid`` are never picked), and
    whether it adds a never-seen pair."""
    g, t = chosen.shape
    shape = (g, t, pool.shape[1])
    ci = np.broadcast_to(chosen[:, :, None], shape).ravel()
    cj = np.broadcast_to(pool[:, None, :], shape).ravel()
    nbr = None  # the neighbourhood term, only where the hand-weighted score reads it
    if model.scores_by_hand(model.domains[chosen[0, 0]]):
        block_cos, block_counts = model.neighbours.among(chosen, pool)
        nbr, counts = block_cos.ravel(), block_counts.ravel().astype(np.int64)
    else:
        counts = model.cooccurrence(ci, cj)
    comp = model.compatibility(ci, cj, nbr, counts).reshape(shape)
    nov = model.novelty(ci, cj, counts).reshape(shape)
    unseen = (counts == 0).reshape(shape).any(axis=1) & valid
    score = w.novelty * nov.mean(1) + w.compatibility * comp.mean(1)
    score = score + w.diversity / (1 + usage[pool])
    score = np.where(need_unseen[:, None], score + w.unseen_bonus * unseen, score)
    feasible = (comp.min(axis=1) >= model.weights.threshold) & valid
    adds_new = feasible & unseen
    only_new = need_unseen & adds_new.any(axis=1)
    feasible = np.where(only_new[:, None], adds_new, feasible)
    any_new = need_unseen & ~only_new & last & unseen.any(axis=1)
    feasible = np.where(any_new[:, None], unseen, feasible)
    score = np.where(feasible, score, score - 2.0)
    taken = (pool[:, None, :] == chosen[:, :, None]).any(axis=1)  # a slot drawn twice
    score = np.where(taken, score - 1e6, score)
    score = np.where(valid, score, -1e9)
    col = softmax_picks(score, w.top_k, w.temperature, rng)
    rows = np.arange(g)
    return pool[rows, col], unseen[rows, col]


def softmax_picks(
    scores: np.ndarray, k: int, temperature: float, rng: np.random.Generator
) -> np.ndarray:
    """Per row, a column drawn by softmax over the row's ``k`` best scores.

    >>> scores = np.array([[0.0, 5.0, 1.0], [9.0, 0.0, 0.0]])
    >>> softmax_picks(scores, 2, 0.01, np.random.default_rng(0)).tolist()
    [1, 0]
    """
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    best = np.take_along_axis(scores, top, axis=1)
    weight = np.exp((best - best[:, :1]) / max(temperature, 1e-6))
    cumulative = np.cumsum(weight / weight.sum(axis=1, keepdims=True), axis=1)
    drawn = (cumulative < rng.random((len(scores), 1))).sum(axis=1)
    return top[np.arange(len(top)), np.minimum(drawn, top.shape[1] - 1)]
