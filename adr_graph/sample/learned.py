"""The learned pair-compatibility model: fitted per domain by held-out link prediction.

Fitting never looks at evaluation data. The training seeds are split into ``folds``; in
each, :class:`~adr_graph.sample.features.PairFeatures` come from the other folds and the
label says whether a pair that never met there meets in this fold. The pooled rows fit, per
domain, a soft vote of a spline logistic regression (smooth, monotone-ish effects) and a
histogram gradient-boosted tree ensemble (interactions), Platt-calibrated to a probability
with scikit-learn's ``CalibratedClassifierCV``.

:func:`learned_table` scores every never-seen cross-slot pair of each fitted domain once and
keeps the probabilities in a :class:`~adr_graph.sample.model.PairTable`;
:func:`cached_learned_table` stores that table under a key of the data it was fitted on, so
sampling the same store again does not refit.

>>> round(float(LearnedCompatibility().predict(None, np.zeros(0, int), np.zeros(0, int),
...     "algorithm").sum()), 1)
0.0
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import MissingExtraError
from .features import PairFeatures, candidate_pairs, pair_values
from .model import PairTable

__all__ = [
    "LearnedCompatibility",
    "LearnedTable",
    "cached_learned_table",
    "learned_table",
    "snapshot_key",
]

log = logging.getLogger(__name__)

#: Bumped whenever features, estimator or labels change: old cache entries then miss.
MODEL_VERSION = "pair-v3"
MIN_LABELS = 10  # positives and negatives a domain needs to be fitted


def _estimator(seed: int) -> Any:
    try:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier, VotingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import SplineTransformer, StandardScaler
    except ImportError as exc:
        raise MissingExtraError("sklearn", "learn") from exc
    splines = make_pipeline(
        StandardScaler(),
        SplineTransformer(n_knots=4, degree=2),
        LogisticRegression(C=0.1, max_iter=5000),
    )
    trees = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        min_samples_leaf=40,
        l2_regularization=1.0,
        random_state=seed,
    )
    vote = VotingClassifier([("splines", splines), ("trees", trees)], voting="soft")
    return CalibratedClassifierCV(vote, method="sigmoid", cv=3)


class LearnedCompatibility:
    """Per-domain calibrated classifiers over :data:`~adr_graph.sample.features.FEATURES`."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.models: dict[str, Any] = {}

    def fit(
        self,
        incidence: sp.spmatrix,
        slots: Sequence[str] | np.ndarray,
        domains: Sequence[str] | np.ndarray,
        embeddings: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        folds: int = 5,
        max_negatives: int = 50_000,
        parents: np.ndarray | None = None,
    ) -> LearnedCompatibility:
        """Fit on ``folds`` inner splits of ``incidence``'s seeds, pooled. Domains with
        fewer than ten positive or negative rows are left unfitted."""
        _estimator(self.seed)  # fail early, with the extra to install
        inc = sp.csr_matrix(incidence)
        rng = np.random.default_rng(self.seed)
        fold_of = rng.permutation(inc.shape[0]) % folds
        slot_arr, dom_arr = np.asarray(slots, dtype=object), np.asarray(domains, dtype=object)
        rows: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for fold in range(folds):
            rest = fold_of != fold
            part_groups = None if groups is None else np.asarray(groups)[rest]
            feats = PairFeatures.from_incidence(
                inc[rest], slot_arr, embeddings, part_groups, parents=parents
            )
            other = inc[fold_of == fold]
            later = sp.csr_matrix(other.T @ other)
            for domain in sorted(set(dom_arr.tolist())):
                members = np.flatnonzero(dom_arr == domain)
                i, j = candidate_pairs(feats.adjacency, slot_arr, members, feats.frequency)
                if len(i) > max_negatives:
                    pick = rng.choice(len(i), max_negatives, replace=False)
                    i, j = i[pick], j[pick]
                y = pair_values(later, i, j) > 0
                rows.setdefault(domain, []).append((feats.matrix(i, j), y))
        for domain, parts in rows.items():
            x = np.vstack([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            if y.sum() >= MIN_LABELS and (~y).sum() >= MIN_LABELS:
                self.models[domain] = _estimator(self.seed).fit(x, y)
        return self

    def predict(
        self, features: PairFeatures | None, i: np.ndarray, j: np.ndarray, domain: str
    ) -> np.ndarray:
        """Calibrated probability that each pair meets in a new seed of ``domain``."""
        model = self.models.get(domain)
        if model is None or features is None or len(i) == 0:
            return np.zeros(len(i))
        return np.asarray(model.predict_proba(features.matrix(i, j))[:, 1])


@dataclass
class LearnedTable:
    """Learned probabilities of every never-seen cross-slot pair of the fitted domains."""

    probability: PairTable
    domains: tuple[str, ...]
    key: str = ""
    refit: bool = False
    seconds: float = 0.0

    def summary(self) -> dict[str, object]:
        """What ``sample --json`` reports of the model."""
        return {
            "kind": "learned",
            "version": MODEL_VERSION,
            "key": self.key[:16],
            "refit": self.refit,
            "seconds": round(self.seconds, 2),
            "domains": list(self.domains),
        }


def learned_table(
    incidence: sp.spmatrix,
    slots: Sequence[str],
    domains: Sequence[str],
    embeddings: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    seed: int = 0,
    chunk: int = 200_000,
    max_pairs: int = 5_000_000,
    parents: np.ndarray | None = None,
) -> LearnedTable:
    """Fit :class:`LearnedCompatibility` on all of ``incidence`` and score every candidate
    pair of each fitted domain (in chunks of ``chunk`` pairs). A domain with more than
    ``max_pairs`` candidates (about 3,200 atoms) is left to the hand-weighted score, with a
    warning: the table grows with the square of the domain."""
    started = time.perf_counter()
    slot_arr, dom_arr = np.asarray(slots, dtype=object), np.asarray(domains, dtype=object)
    learned = LearnedCompatibility(seed=seed).fit(
        incidence, slot_arr, dom_arr, embeddings, groups, parents=parents
    )
    feats = PairFeatures.from_incidence(incidence, slot_arr, embeddings, groups, parents=parents)
    keys, values = [np.zeros(0, np.int64)], [np.zeros(0)]
    n = len(slot_arr)
    for domain in sorted(set(learned.models)):
        members = np.flatnonzero(dom_arr == domain)
        i, j = candidate_pairs(feats.adjacency, slot_arr, members, feats.frequency)
        if len(i) > max_pairs:
            log.warning(
                "domain %s has %d candidate pairs (over %d): it keeps the hand-weighted score",
                domain,
                len(i),
                max_pairs,
            )
            learned.models.pop(domain)
            continue
        for start in range(0, len(i), chunk):
            a, b = i[start : start + chunk], j[start : start + chunk]
            keys.append(np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b))
            values.append(learned.predict(feats, a, b, domain))
    return LearnedTable(
        probability=PairTable(n, np.concatenate(keys), np.concatenate(values)),
        domains=tuple(sorted(learned.models)),
        refit=True,
        seconds=time.perf_counter() - started,
    )


def snapshot_key(
    incidence: sp.spmatrix,
    atom_ids: Sequence[str],
    slots: Sequence[str],
    domains: Sequence[str],
    embeddings: np.ndarray | None,
    groups: np.ndarray | None,
    seed: int = 0,
    parents: np.ndarray | None = None,
) -> str:
    """SHA-256 of everything the fitted table depends on (and :data:`MODEL_VERSION`)."""
    inc = sp.csr_matrix(incidence)
    inc.sort_indices()
    digest = hashlib.sha256(f"{MODEL_VERSION}\0{seed}".encode())
    extra = [] if parents is None else parents.tolist()
    for part in (atom_ids, slots, domains, [] if groups is None else groups.tolist(), extra):
        digest.update("\0".join(map(str, part)).encode() + b"\1")
    for array in (inc.indptr, inc.indices, inc.data):
        digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())
    if embeddings is not None:
        digest.update(np.round(np.asarray(embeddings, np.float64), 5).tobytes())
    return digest.hexdigest()


def cached_learned_table(
    cache_dir: Path | None,
    incidence: sp.spmatrix,
    atom_ids: Sequence[str],
    slots: Sequence[str],
    domains: Sequence[str],
    embeddings: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    seed: int = 0,
    parents: np.ndarray | None = None,
) -> LearnedTable:
    """The table from ``cache_dir/<key>.npz`` when present, else fitted and written there
    (atomically; ``cache_dir=None`` fits in memory only). Refits are logged."""
    key = snapshot_key(incidence, atom_ids, slots, domains, embeddings, groups, seed, parents)
    path = None if cache_dir is None else Path(cache_dir) / f"{key[:32]}.npz"
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            stored = PairTable(len(atom_ids), data["keys"], data["values"])
            return LearnedTable(stored, tuple(str(d) for d in data["domains"]), key=key)
    log.info("fitting the learned compatibility model (%d atoms)", len(atom_ids))
    table = learned_table(incidence, slots, domains, embeddings, groups, seed, parents=parents)
    table.key = key
    log.info(
        "learned compatibility fitted in %.1f s: domains %s, %d scored pairs%s",
        table.seconds,
        ", ".join(table.domains) or "none",
        len(table.probability),
        f", cached in {path}" if path else "",
    )
    if path is not None:
        _write_npz(path, table)
    return table


def _write_npz(path: Path, table: LearnedTable) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(
                out,
                keys=table.probability.keys,
                values=table.probability.values.astype(np.float64),
                domains=np.array(table.domains, dtype=str),
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
