"""A learned pair-compatibility model: graph features of atom pairs, fitted per domain by
held-out link prediction on seed splits (scikit-learn logistic regression, Platt-calibrated).

Features of a pair ``(a, b)`` on a seed x atom incidence matrix: Adamic-Adar, resource
allocation, common neighbours and Jaccard of the two atoms' co-occurrence neighbourhoods,
the products of their frequencies and degrees, the count independence expects
(``f_a f_b / N``), the cosine of their neighbourhoods, the cosine of their embeddings, and
the slot-pair prior (the share of atom pairs of those two slots that co-occur at all).

Fitting never looks at evaluation data: the training seeds are split again, features come
from one part, and the label says whether a pair that never met there meets in the other.

>>> import scipy.sparse as sp
>>> inc = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1]]))
>>> f = PairFeatures.from_incidence(inc, np.array(["s", "t", "u", "t"]))
>>> f.matrix(np.array([0]), np.array([2])).shape
(1, 10)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import MissingExtraError

__all__ = ["FEATURES", "LearnedCompatibility", "PairFeatures", "candidate_pairs"]

FEATURES = (
    "adamic_adar",
    "resource_allocation",
    "common_neighbours",
    "jaccard",
    "log_frequency_product",
    "log_degree_product",
    "log_expected",
    "neighbour_cosine",
    "embedding_cosine",
    "slot_pair_prior",
)


@dataclass
class PairFeatures:
    """What :meth:`matrix` needs, computed once from an incidence matrix."""

    adjacency: sp.csr_matrix  # binary co-occurrence, no diagonal
    frequency: np.ndarray
    degree: np.ndarray
    n_seeds: int
    slots: np.ndarray
    slot_prior: dict[tuple[str, str], float]
    embeddings: np.ndarray | None = None

    @classmethod
    def from_incidence(
        cls, incidence: sp.spmatrix, slots: np.ndarray, embeddings: np.ndarray | None = None
    ) -> PairFeatures:
        inc = sp.csr_matrix(incidence, dtype=np.float64)
        counts = sp.csr_matrix(inc.T @ inc)
        frequency = counts.diagonal().astype(np.float64)
        adj = counts.copy()
        adj.setdiag(0)
        adj.eliminate_zeros()
        adj.data = np.ones_like(adj.data)
        degree = np.asarray(adj.sum(axis=1)).ravel()
        return cls(
            adjacency=adj,
            frequency=frequency,
            degree=degree,
            n_seeds=int(inc.shape[0]),
            slots=np.asarray(slots, dtype=object),
            slot_prior=_slot_prior(adj, np.asarray(slots, dtype=object)),
            embeddings=embeddings,
        )

    def matrix(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """``(len(i), len(FEATURES))`` features of the pairs ``(i[k], j[k])``."""
        shared = self.adjacency[i].multiply(self.adjacency[j]).tocsr()
        deg = self.degree
        common = np.asarray(shared.sum(axis=1)).ravel()
        with np.errstate(divide="ignore"):
            aa_w = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
            ra_w = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
        union = deg[i] + deg[j] - common
        fi, fj = self.frequency[i], self.frequency[j]
        cos = common / np.sqrt(np.maximum(deg[i] * deg[j], 1))
        emb = (
            np.einsum("ij,ij->i", self.embeddings[i], self.embeddings[j])
            if self.embeddings is not None
            else np.zeros(len(i))
        )
        pairs = zip(self.slots[i], self.slots[j], strict=True)
        prior = np.array([self.slot_prior.get(_key(a, b), 0.0) for a, b in pairs])
        return np.column_stack(
            [
                shared @ aa_w,
                shared @ ra_w,
                common,
                np.where(union > 0, common / np.maximum(union, 1), 0.0),
                np.log1p(fi * fj),
                np.log1p(deg[i] * deg[j]),
                np.log1p(fi * fj / max(self.n_seeds, 1)),
                cos,
                np.nan_to_num(emb),
                prior,
            ]
        )


def _key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def _slot_prior(adj: sp.csr_matrix, slots: np.ndarray) -> dict[tuple[str, str], float]:
    """Share of the atom pairs of each slot pair that co-occur in some seed."""
    sizes = {s: int((slots == s).sum()) for s in set(slots.tolist())}
    upper = sp.triu(adj, k=1).tocoo()
    seen: dict[tuple[str, str], int] = {}
    for a, b in zip(slots[upper.row], slots[upper.col], strict=True):
        seen[_key(a, b)] = seen.get(_key(a, b), 0) + 1
    prior = {}
    for (a, b), n in seen.items():
        total = sizes[a] * sizes[b] if a != b else sizes[a] * (sizes[a] - 1) / 2
        prior[(a, b)] = n / max(total, 1)
    return prior


def candidate_pairs(
    adjacency: sp.csr_matrix, slots: np.ndarray, members: np.ndarray, frequency: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-slot pairs of ``members`` seen at all (``frequency > 0``) that never co-occur
    in ``adjacency``: the pairs a link predictor is asked about."""
    members = members[frequency[members] > 0]
    a, b = np.triu_indices(len(members), 1)
    i, j = members[a], members[b]
    keep = slots[i] != slots[j]
    i, j = i[keep], j[keep]
    met = np.asarray(adjacency[i, j]).ravel() > 0
    return i[~met], j[~met]


class LearnedCompatibility:
    """Logistic regression on :data:`FEATURES`, Platt-calibrated, one per domain."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.models: dict[str, Any] = {}

    def fit(
        self,
        incidence: sp.spmatrix,
        slots: Sequence[str],
        domains: Sequence[str],
        embeddings: np.ndarray | None = None,
        folds: int = 5,
        max_negatives: int = 50_000,
    ) -> LearnedCompatibility:
        """Fit on ``folds`` inner splits of ``incidence``'s seeds, pooled: in each, features
        come from the other folds and the label says whether a pair that never met there
        meets in this one (more positives than one split gives small domains)."""
        try:
            from sklearn.calibration import CalibratedClassifierCV
            from sklearn.linear_model import LogisticRegression
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler
        except ImportError as exc:
            raise MissingExtraError("sklearn", "learn") from exc
        inc = sp.csr_matrix(incidence)
        rng = np.random.default_rng(self.seed)
        fold_of = rng.permutation(inc.shape[0]) % folds
        slot_arr, dom_arr = np.asarray(slots, dtype=object), np.asarray(domains, dtype=object)
        rows: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        for fold in range(folds):
            part, other = inc[fold_of != fold], inc[fold_of == fold]
            feats = PairFeatures.from_incidence(part, slot_arr, embeddings)
            later = sp.csr_matrix(other.T @ other)
            for domain in sorted(set(dom_arr.tolist())):
                members = np.flatnonzero(dom_arr == domain)
                i, j = candidate_pairs(feats.adjacency, slot_arr, members, feats.frequency)
                if len(i) > max_negatives:
                    pick = rng.choice(len(i), max_negatives, replace=False)
                    i, j = i[pick], j[pick]
                y = np.asarray(later[i, j]).ravel() > 0
                rows.setdefault(domain, []).append((feats.matrix(i, j), y))
        for domain, parts in rows.items():
            x = np.vstack([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            if y.sum() < 10 or (~y).sum() < 10:
                continue
            model = CalibratedClassifierCV(
                make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
                method="sigmoid",
                cv=3,
            )
            self.models[domain] = model.fit(x, y)
        return self

    def predict(
        self, features: PairFeatures, i: np.ndarray, j: np.ndarray, domain: str
    ) -> np.ndarray:
        """Calibrated probability that each pair can meet in a task of ``domain``."""
        model = self.models.get(domain)
        if model is None or len(i) == 0:
            return np.zeros(len(i))
        return np.asarray(model.predict_proba(features.matrix(i, j))[:, 1])
