"""Graph features of atom pairs, the input of the learned compatibility model.

Computed once from a seed x atom incidence matrix (:meth:`PairFeatures.from_incidence`);
:meth:`PairFeatures.matrix` then gives one row per pair, vectorised. The columns
(:data:`FEATURES`):

- topology of the co-occurrence graph: Adamic-Adar, resource allocation, common
  neighbours, Jaccard, neighbourhood cosine, and a rank-``spectral_rank`` spectral score
  (the pair's entry in the low-rank reconstruction of the normalised adjacency);
- popularity: products, minimum and maximum of the two atoms' frequencies, the product of
  their degrees, the count independence expects (``f_a f_b / N``), and the same expectation
  stratified by seed group (corpus) and weighted by seed size;
- slots: the slot-pair prior (share of the two slots' atom pairs that ever meet) and each
  atom's *reach* into the other's slot (share of that slot's atoms it meets);
- meaning: the cosine of the two atoms' embeddings, and how close each atom's embedding is
  to the mean embedding of the other's neighbours;
- context: the mean size (atoms per seed) of the seeds each atom appears in;
- hierarchy: how often the two atoms' *groups* (``schema/hierarchy``) meet, and that count
  over what independence expects, so a sparse fine atom borrows its group's evidence (an
  atom without a group stands for itself).

>>> inc = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1]]))
>>> f = PairFeatures.from_incidence(inc, np.array(["s", "t", "u", "t"]))
>>> f.matrix(np.array([0]), np.array([2])).shape == (1, len(FEATURES))
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "FEATURES",
    "PairFeatures",
    "binary_adjacency",
    "candidate_pairs",
    "pair_values",
    "parent_codes",
]

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
    "log_frequency_min",
    "log_frequency_max",
    "slot_reach_min",
    "slot_reach_max",
    "spectral",
    "neighbour_embedding_min",
    "neighbour_embedding_max",
    "log_seed_size_min",
    "log_seed_size_max",
    "log_expected_by_group",
    "log_expected_by_group_size",
    "log_parent_cooccurrence",
    "parent_lift",
)


def binary_adjacency(counts: sp.spmatrix) -> sp.csr_matrix:
    """The 0/1 co-occurrence graph of a count matrix: no diagonal, no explicit zeros.

    >>> binary_adjacency(sp.csr_matrix(np.array([[3, 2], [2, 1]]))).toarray().tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    adj = sp.csr_matrix(counts, dtype=np.float64, copy=True)
    adj.setdiag(0)
    adj.eliminate_zeros()
    adj.data = np.ones_like(adj.data)
    return adj


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


def _spectral(adj: sp.csr_matrix, degree: np.ndarray, rank: int, dense_up_to: int = 4000):
    """Rows ``u_k sqrt(lambda_k)`` of the top eigenpairs of ``D^-1/2 A D^-1/2``.

    Dense (LAPACK, deterministic) up to ``dense_up_to`` atoms; ARPACK with a fixed start
    vector beyond.
    """
    n = adj.shape[0]
    k = min(rank, n - 2)
    if k < 1 or adj.nnz == 0:
        return np.zeros((n, 1))
    scale = sp.diags(np.where(degree > 0, 1.0 / np.sqrt(np.maximum(degree, 1)), 0.0))
    norm = sp.csr_matrix(scale @ adj @ scale)
    if n <= dense_up_to:
        values, vectors = np.linalg.eigh(norm.toarray())
        values, vectors = values[-k:], vectors[:, -k:]
    else:
        from scipy.sparse.linalg import eigsh

        values, vectors = eigsh(norm, k=k, which="LA", v0=np.ones(n) / np.sqrt(n))
    return np.asarray(vectors * np.sqrt(np.maximum(values, 0.0)))


def _group_stats(inc: sp.csr_matrix, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group: atom frequencies ``(groups, atoms)``, and the two expectation weights
    ``1 / n_seeds`` and ``sum(size^2) / sum(size)^2`` as a ``(2, groups)`` array."""
    names, codes = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    member = sp.csr_matrix(
        (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(len(names), len(codes))
    )
    size = np.asarray(inc.sum(axis=1)).ravel()
    per_group = np.asarray((member @ inc).todense())
    seeds, total = member @ np.ones(len(codes)), member @ size
    weights = np.vstack(
        [1.0 / np.maximum(seeds, 1), (member @ size**2) / np.maximum(total, 1) ** 2]
    )
    return per_group, weights


@dataclass
class PairFeatures:
    """What :meth:`matrix` needs, computed once from an incidence matrix."""

    adjacency: sp.csr_matrix  # binary co-occurrence, no diagonal
    frequency: np.ndarray
    degree: np.ndarray
    n_seeds: int
    slots: np.ndarray
    slot_prior: dict[tuple[str, str], float]
    slot_codes: np.ndarray  # slot index per atom
    slot_reach: np.ndarray  # (atoms, slots): share of each slot's atoms an atom meets
    spectral: np.ndarray  # (atoms, rank)
    seed_size: np.ndarray  # mean atoms per seed of each atom's seeds
    group_frequency: np.ndarray  # (groups, atoms)
    group_weights: np.ndarray  # (2, groups)
    embeddings: np.ndarray | None = None
    neighbour_mean: np.ndarray | None = None  # mean embedding of each atom's neighbours
    parent_of: np.ndarray | None = None  # each atom's parent column in ``parent_counts``
    parent_counts: sp.csr_matrix | None = None  # seeds holding both parents

    @classmethod
    def from_incidence(
        cls,
        incidence: sp.spmatrix,
        slots: np.ndarray,
        embeddings: np.ndarray | None = None,
        groups: np.ndarray | None = None,
        spectral_rank: int = 32,
        parents: np.ndarray | None = None,
    ) -> PairFeatures:
        """Features of ``incidence`` (rows: seeds); ``groups`` labels each seed's corpus;
        ``parents`` gives each atom's hierarchy group as an integer code (see
        :func:`parent_codes`)."""
        inc = sp.csr_matrix(incidence, dtype=np.float64)
        counts = sp.csr_matrix(inc.T @ inc)
        frequency = counts.diagonal().astype(np.float64)
        adj = binary_adjacency(counts)
        degree = np.asarray(adj.sum(axis=1)).ravel()
        slot_arr = np.asarray(slots, dtype=object)
        names, codes = np.unique(slot_arr.astype(str), return_inverse=True)
        onehot = sp.csr_matrix(
            (np.ones(len(codes)), (np.arange(len(codes)), codes)), shape=(len(codes), len(names))
        )
        reach = np.asarray((adj @ onehot).todense()) / np.maximum(onehot.sum(axis=0).A1, 1)
        size = np.asarray(inc.sum(axis=1)).ravel()
        by_group = np.zeros(inc.shape[0], dtype=object) if groups is None else groups
        group_frequency, group_weights = _group_stats(inc, by_group)
        mean = None
        if embeddings is not None:
            inverse = np.where(degree > 0, 1.0 / np.maximum(degree, 1), 0.0)
            mean = np.asarray(sp.diags(inverse) @ adj @ embeddings)
        return cls(
            adjacency=adj,
            frequency=frequency,
            degree=degree,
            n_seeds=int(inc.shape[0]),
            slots=slot_arr,
            slot_prior=_slot_prior(adj, slot_arr),
            slot_codes=codes,
            slot_reach=reach,
            spectral=_spectral(adj, degree, spectral_rank),
            seed_size=(inc.T @ size) / np.maximum(frequency, 1),
            group_frequency=group_frequency,
            group_weights=group_weights,
            embeddings=embeddings,
            neighbour_mean=mean,
            parent_of=parents,
            parent_counts=_parent_counts(inc, parents),
        )

    def matrix(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """``(len(i), len(FEATURES))`` features of the pairs ``(i[k], j[k])``."""
        return np.column_stack(self._topology(i, j) + self._context(i, j))

    def _topology(self, i: np.ndarray, j: np.ndarray) -> list[np.ndarray]:
        shared = self.adjacency[i].multiply(self.adjacency[j]).tocsr()
        deg = self.degree
        common = np.asarray(shared.sum(axis=1)).ravel()
        with np.errstate(divide="ignore"):
            aa_w = np.where(deg > 1, 1.0 / np.log(np.maximum(deg, 2)), 0.0)
            ra_w = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
        union = deg[i] + deg[j] - common
        fi, fj = self.frequency[i], self.frequency[j]
        pairs = zip(self.slots[i], self.slots[j], strict=True)
        return [
            shared @ aa_w,
            shared @ ra_w,
            common,
            np.where(union > 0, common / np.maximum(union, 1), 0.0),
            np.log1p(fi * fj),
            np.log1p(deg[i] * deg[j]),
            np.log1p(fi * fj / max(self.n_seeds, 1)),
            common / np.sqrt(np.maximum(deg[i] * deg[j], 1)),
            self._dot(self.embeddings, self.embeddings, i, j),
            np.array([self.slot_prior.get(_key(a, b), 0.0) for a, b in pairs]),
            np.log1p(np.minimum(fi, fj)),
            np.log1p(np.maximum(fi, fj)),
        ]

    def _context(self, i: np.ndarray, j: np.ndarray) -> list[np.ndarray]:
        reach_i = self.slot_reach[i, self.slot_codes[j]]
        reach_j = self.slot_reach[j, self.slot_codes[i]]
        toward_j = self._dot(self.neighbour_mean, self.embeddings, i, j)
        toward_i = self._dot(self.neighbour_mean, self.embeddings, j, i)
        size = np.log(np.maximum(self.seed_size, 1.0))
        both = self.group_frequency[:, i] * self.group_frequency[:, j]
        by_group = self.group_weights @ both
        parent = self._parents(i, j)
        return [
            np.minimum(reach_i, reach_j),
            np.maximum(reach_i, reach_j),
            np.einsum("ij,ij->i", self.spectral[i], self.spectral[j]),
            np.minimum(toward_i, toward_j),
            np.maximum(toward_i, toward_j),
            np.minimum(size[i], size[j]),
            np.maximum(size[i], size[j]),
            np.log1p(by_group[0]),
            np.log1p(by_group[1]),
            *parent,
        ]

    def _parents(self, i: np.ndarray, j: np.ndarray) -> list[np.ndarray]:
        if self.parent_of is None or self.parent_counts is None:
            return [np.zeros(len(i)), np.zeros(len(i))]
        pi, pj = self.parent_of[i], self.parent_of[j]
        both = pair_values(self.parent_counts, pi, pj)
        freq = self.parent_counts.diagonal()
        expected = freq[pi] * freq[pj] / max(self.n_seeds, 1)
        return [np.log1p(both), np.log((both + 1.0) / (expected + 1.0))]

    @staticmethod
    def _dot(
        left: np.ndarray | None, right: np.ndarray | None, i: np.ndarray, j: np.ndarray
    ) -> np.ndarray:
        if left is None or right is None:
            return np.zeros(len(i))
        return np.nan_to_num(np.einsum("ij,ij->i", left[i], right[j]))


def parent_codes(atom_ids: Sequence[str], parent: Mapping[str, str]) -> np.ndarray:
    """Integer code of each atom's parent (an atom without one is its own parent).

    >>> parent_codes(["a", "b", "c"], {"a": "g", "b": "g"}).tolist()
    [0, 0, 1]
    """
    labels = [parent.get(a, a) for a in atom_ids]
    _, codes = np.unique(np.array(labels, dtype=object).astype(str), return_inverse=True)
    order: dict[int, int] = {}
    for code in codes.tolist():  # renumber in order of first appearance
        order.setdefault(code, len(order))
    return np.array([order[c] for c in codes.tolist()], dtype=np.int64)


def _parent_counts(inc: sp.csr_matrix, parents: np.ndarray | None) -> sp.csr_matrix | None:
    """Seeds holding both of two parents (the parents' co-occurrence matrix)."""
    if parents is None:
        return None
    n_parents = int(parents.max()) + 1 if len(parents) else 0
    up = sp.csr_matrix(
        (np.ones(len(parents)), (np.arange(len(parents)), parents)),
        shape=(len(parents), n_parents),
    )
    held = sp.csr_matrix(inc @ up)
    held.data = np.ones_like(held.data)
    return sp.csr_matrix(held.T @ held)


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
    met = pair_values(adjacency, i, j) > 0
    return i[~met], j[~met]


def pair_values(matrix: sp.csr_matrix, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """``matrix[i[k], j[k]]`` as a flat array (also for no pairs, where scipy returns a
    sparse matrix)."""
    if len(i) == 0:
        return np.zeros(0)
    return np.asarray(matrix[i, j]).ravel()
