"""Build a :class:`PairModel` from any :class:`GraphStore`.

>>> from adr_graph.records import Atom
>>> from adr_graph.store import EmbeddedStore, SeedAtoms
>>> store = EmbeddedStore(None)
>>> _ = store.upsert_atoms([Atom(id=f"algorithm/{s}/{n}", domain="algorithm", slot=s, name=n)
...                         for s, n in [("technique", "bfs"), ("scenario", "grid")]])
>>> _ = store.set_memberships([SeedAtoms(seed_id="s1", domain="algorithm", source="t",
...     atom_ids=["algorithm/technique/bfs", "algorithm/scenario/grid"])])
>>> model = model_from_store(store)
>>> model.atom_ids, int(model.n_seeds)
(['algorithm/scenario/grid', 'algorithm/technique/bfs'], 1)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..hierarchy.grain import parent_groups
from ..records import AtomSet
from ..store.base import GraphStore
from .features import parent_codes
from .learned import cached_learned_table
from .model import CompatibilityWeights, PairModel, PairTable

__all__ = ["COMPATIBILITY_KINDS", "compatibility_summary", "model_from_store", "split_seeds"]

#: ``learned``: the fitted model (scikit-learn, a core dependency); ``hand``: the
#: hand-weighted baseline.
COMPATIBILITY_KINDS = ("learned", "hand")

log = logging.getLogger(__name__)


def _embedding_matrix(vectors: Sequence[list[float] | None]) -> np.ndarray | None:
    widths = {len(v) for v in vectors if v is not None}
    if len(widths) != 1:
        return None  # none embedded, or mixed models: band evidence is skipped
    (width,) = widths
    out = np.zeros((len(vectors), width), dtype=np.float32)
    for row, vec in enumerate(vectors):
        if vec is not None:
            out[row] = vec
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms > 0, norms, 1.0)


def model_from_store(
    store: GraphStore,
    *,
    history: Iterable[AtomSet] = (),
    seed_rows: np.ndarray | None = None,
    weights: CompatibilityWeights | None = None,
    compatibility: str = "learned",
    cache_dir: Path | None = None,
) -> PairModel:
    """Pair model over the store's projection, embeddings and INCOMPATIBLE edges.

    ``seed_rows`` restricts co-occurrence to those rows of the projection (e.g. a
    training split); ``history`` marks atoms and pairs of earlier sets as used.
    ``compatibility`` picks the score (:data:`COMPATIBILITY_KINDS`); the learned one is
    fitted on the store's seeds (``seed_rows`` only) and cached in ``cache_dir`` under a
    key of that data, so the next call with the same data loads it instead of refitting.
    """
    if compatibility not in COMPATIBILITY_KINDS:
        raise ValueError(
            f"compatibility must be one of {COMPATIBILITY_KINDS}, not {compatibility!r}"
        )
    proj = store.projection()
    atoms = {a.id: a for a in store.iter_atoms()}
    ordered = [atoms[a] for a in proj.atom_ids]
    incidence = sp.csr_matrix(proj.incidence if seed_rows is None else proj.incidence[seed_rows])
    embeddings = _embedding_matrix([a.embedding for a in ordered])
    slots, domains = [a.slot for a in ordered], [a.domain for a in ordered]
    learned = None
    if compatibility == "learned":
        groups = _seed_groups(store, proj.seed_ids)
        parents = parent_codes(proj.atom_ids, parent_groups(store))
        learned = cached_learned_table(
            cache_dir,
            incidence,
            proj.atom_ids,
            slots,
            domains,
            embeddings,
            groups if seed_rows is None else groups[seed_rows],
            parents=parents,
        )
    index = proj.index
    bad = [
        (index[e.a], index[e.b])
        for e in store.iter_edges("INCOMPATIBLE")
        if e.a in index and e.b in index
    ]
    n = len(ordered)
    incompatible = PairTable.from_pairs(
        n,
        np.array([p[0] for p in bad], np.int64),
        np.array([p[1] for p in bad], np.int64),
        np.ones(len(bad)),
    )
    passes, failures = _outcome_tables(store, index, n)
    model = PairModel.from_incidence(
        incidence,
        proj.atom_ids,
        slots,
        domains,
        embeddings=embeddings,
        incompatible=incompatible,
        passes=passes,
        failures=failures,
        weights=weights or CompatibilityWeights(),
        learned=learned,
    )
    log.info(
        "pair model: %d atoms, %d seeds, %d co-occurring pairs, %d vetoed pairs",
        n,
        model.n_seeds,
        len(model.cooccur),
        len(bad),
    )
    history = list(history)
    return model.with_history(history) if history else model


def compatibility_summary(model: PairModel) -> dict[str, object]:
    """Which compatibility score ``model`` uses, and whether it was refitted just now.

    >>> compatibility_summary(PairModel.from_incidence(sp.csr_matrix((1, 1)), ["a"], ["s"],
    ...     ["d"]))["kind"]
    'hand'
    """
    if model.learned is None:
        return {"kind": "hand", "threshold": model.weights.threshold}
    return {**model.learned.summary(), "threshold": model.weights.threshold}


def _seed_groups(store: GraphStore, seed_ids: Sequence[str]) -> np.ndarray:
    """The corpus (``source``) of each seed, in projection order."""
    source = {m.seed_id: m.source for m in store.iter_memberships()}
    return np.array([source.get(s, "") for s in seed_ids], dtype=object)


def _outcome_tables(
    store: GraphStore, index: dict[str, int], n: int
) -> tuple[PairTable | None, PairTable | None]:
    """Verified / failed task counts on every atom pair of recorded outcomes."""
    i: list[int] = []
    j: list[int] = []
    ok: list[float] = []
    for outcome in store.iter_outcomes():
        ids = sorted({index[a] for a in outcome.atom_ids if a in index})
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                i.append(ids[x])
                j.append(ids[y])
                ok.append(1.0 if outcome.verified else 0.0)
    if not i:
        return None, None
    ia, ja, oks = np.array(i, np.int64), np.array(j, np.int64), np.array(ok)
    return PairTable.from_pairs(n, ia, ja, oks), PairTable.from_pairs(n, ia, ja, 1.0 - oks)


def split_seeds(n_seeds: int, holdout: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a train / held-out split of the seeds.

    >>> train, held = split_seeds(10, 0.2, seed=1)
    >>> len(train), len(held), sorted([*train, *held]) == list(range(10))
    (8, 2, True)
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_seeds)
    cut = round(n_seeds * holdout)
    return np.sort(order[cut:]), np.sort(order[:cut])
