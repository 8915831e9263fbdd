"""The pair model the sampler scores with: novelty and compatibility of atom pairs.

Built once from a store's sparse projection (or any seed x atom incidence matrix);
every score is computed on numpy arrays for many pairs at once.

- **novelty** of a pair: smoothed ``-log P(pair)`` from seed co-occurrence plus earlier
  generated sets, scaled to ``(0, 1]``: a never-seen pair scores 1.
- **compatibility**: evidence that the pair can share one task without direct
  co-occurrence. With a :class:`~adr_graph.sample.learned.LearnedTable` (what
  ``model_from_store`` builds by default) it is the learned probability that the pair
  meets in a new seed, ranked against the domain's never-seen cross-slot pairs. Without
  one (or in a domain too small to fit), it is the hand-weighted baseline
  (:meth:`PairModel.hand_compatibility`): cosine of the two atoms' co-occurrence
  neighbourhoods (2-hop paths), popularity, and embedding similarity inside a band. Either
  way, pairs already seen together count as compatible, and explicit INCOMPATIBLE edges,
  near-duplicates and failing verification outcomes veto or penalise.

>>> import scipy.sparse as sp
>>> inc = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1], [1, 1, 0]]))
>>> model = PairModel.from_incidence(inc, ["d/t/a", "d/s/b", "d/x/c"], ["t", "s", "x"],
...                                  ["d", "d", "d"])
>>> model.cooccurrence(np.array([0, 0]), np.array([1, 2])).tolist()
[2, 0]
>>> bool(model.novelty(np.array([0]), np.array([2]))[0] == 1.0)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from ..records import AtomSet
from ..store.base import Projection
from .kernels import EmpiricalCDF, Neighbours
from .table import PairTable

if TYPE_CHECKING:
    from .learned import LearnedTable

__all__ = ["CompatibilityWeights", "PairModel", "PairTable"]


@dataclass(frozen=True)
class CompatibilityWeights:
    """How compatibility evidence is combined (each part in ``[0, 1]``).

    Raw evidence is calibrated per domain into its empirical CDF over random cross-slot
    pairs (``calibration_pairs`` of them), so a score of 0.8 means "stronger than 80 %
    of random pairs of this domain": ``neighbours`` weighs the cosine of co-occurrence
    neighbourhoods (2-hop paths), ``popularity`` how often both atoms are used at all
    (``log(1 + f_a f_b)``), ``embedding`` the band score of the embedding cosine (0 below
    ``unrelated``, 1 from ``band_low``; at or above ``duplicate`` a near-duplicate,
    vetoed). A pair is compatible at ``threshold`` or above; pairs seen together in a
    seed are compatible (1.0).
    """

    neighbours: float = 0.6
    popularity: float = 0.3
    embedding: float = 0.1
    unrelated: float = 0.1
    band_low: float = 0.35
    duplicate: float = 0.93
    threshold: float = 0.6
    smoothing: float = 0.5
    calibration_pairs: int = 20_000


@dataclass
class PairModel:
    """Atoms, their co-occurrence, embeddings, vetoes and history, as arrays."""

    atom_ids: list[str]
    slots: np.ndarray  # slot name per atom
    domains: np.ndarray  # domain per atom
    n_seeds: int
    frequency: np.ndarray
    cooccur: PairTable
    embeddings: np.ndarray | None = None
    incompatible: PairTable = field(default_factory=lambda: PairTable(0, np.zeros(0), np.zeros(0)))
    failures: PairTable | None = None
    passes: PairTable | None = None
    history: PairTable | None = None
    atom_usage: np.ndarray | None = None
    weights: CompatibilityWeights = field(default_factory=CompatibilityWeights)
    learned: LearnedTable | None = None
    index: dict[str, int] = field(default_factory=dict)
    calibration: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)
    _neighbours: Neighbours | None = field(default=None, init=False, repr=False, compare=False)
    _cdfs: dict[tuple[str, int], EmpiricalCDF] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self.index = {a: i for i, a in enumerate(self.atom_ids)}
        # integer codes of slots and domains: comparing them beats comparing strings
        self._slot_code = np.unique(self.slots.astype(str), return_inverse=True)[1].ravel()
        names, self._domain_code = np.unique(self.domains.astype(str), return_inverse=True)
        self._domain_code = self._domain_code.ravel()
        self._domain_names = names.tolist()
        if not self.calibration:
            self.calibration = self._calibrate()
        n = len(self.atom_ids)
        if self.incompatible.n == 0:
            self.incompatible = PairTable(n, np.zeros(0, np.int64), np.zeros(0))
        if self.atom_usage is None:
            self.atom_usage = np.zeros(n, dtype=np.float64)
        self._max_novelty = float(
            np.log((self.n_seeds + self.weights.smoothing) / self.weights.smoothing)
        )

    def _calibrate(self) -> dict[str, tuple[np.ndarray, ...]]:
        """Sorted raw evidence of random cross-slot pairs, per domain (fixed RNG): the
        neighbourhood cosine, the popularity and, among never-seen pairs, the learned
        probability."""
        rng = np.random.default_rng(0)
        out: dict[str, tuple[np.ndarray, ...]] = {}
        for domain in sorted(set(self.domains.tolist())):
            idx = np.flatnonzero(self.domains == domain)
            if len(idx) < 2:
                continue
            size = self.weights.calibration_pairs
            i, j = rng.choice(idx, size), rng.choice(idx, size)
            keep = self.slots[i] != self.slots[j]
            i, j = i[keep], j[keep]
            learned = np.zeros(0)
            if self.learned is not None and domain in self.learned.domains:
                unseen = self.cooccur.lookup(i, j) == 0
                learned = np.sort(self.learned.probability.lookup(i[unseen], j[unseen]))
            out[domain] = (
                np.sort(self.neighbour_cosine(i, j)),
                np.sort(self._popularity(i, j)),
                learned,
            )
        return out

    def _popularity(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        return np.log1p(self.frequency[i] * self.frequency[j])

    def _cdf(self, part: int, i: np.ndarray, values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(values))
        codes = self._domain_code[i]
        for code in np.unique(codes).tolist():
            domain = self._domain_names[code]
            if domain not in self.calibration:
                continue
            if (domain, part) not in self._cdfs:
                self._cdfs[domain, part] = EmpiricalCDF(self.calibration[domain][part])
            cdf = self._cdfs[domain, part]
            if (codes == code).all():  # one domain: no masking
                return cdf(values)
            mask = codes == code
            out[mask] = cdf(values[mask])
        return out

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_incidence(
        cls,
        incidence: sp.csr_matrix,
        atom_ids: Sequence[str],
        slots: Sequence[str],
        domains: Sequence[str],
        **extra: object,
    ) -> PairModel:
        """Model from a seed x atom 0/1 incidence matrix (rows: seeds)."""
        inc = sp.csr_matrix(incidence, dtype=np.float64)
        counts = sp.csr_matrix(inc.T @ inc)
        frequency = counts.diagonal().astype(np.float64)
        return cls(
            atom_ids=list(atom_ids),
            slots=np.asarray(slots, dtype=object),
            domains=np.asarray(domains, dtype=object),
            n_seeds=int(inc.shape[0]),
            frequency=frequency,
            cooccur=PairTable.from_matrix(counts),
            **extra,  # type: ignore[arg-type]
        )

    @classmethod
    def from_projection(
        cls, proj: Projection, slots: Sequence[str], domains: Sequence[str], **extra: object
    ) -> PairModel:
        return cls.from_incidence(proj.incidence, proj.atom_ids, slots, domains, **extra)

    def with_history(self, sets: Iterable[AtomSet]) -> PairModel:
        """A copy that treats atoms and pairs of ``sets`` as already used."""
        usage = np.array(self.atom_usage, dtype=np.float64, copy=True)
        i_list: list[int] = []
        j_list: list[int] = []
        for atom_set in sets:
            ids = [self.index[a.id] for a in atom_set.atoms if a.id in self.index]
            usage[ids] += 1
            for x in range(len(ids)):
                for y in range(x + 1, len(ids)):
                    i_list.append(ids[x])
                    j_list.append(ids[y])
        n = len(self.atom_ids)
        old = self.history
        i_arr, j_arr = np.array(i_list, np.int64), np.array(j_list, np.int64)
        vals = np.ones(len(i_arr))
        if old is not None and len(old):
            lo, hi = np.divmod(old.keys, n)
            i_arr, j_arr = np.concatenate([i_arr, lo]), np.concatenate([j_arr, hi])
            vals = np.concatenate([vals, old.values])
        return replace(self, history=PairTable.from_pairs(n, i_arr, j_arr, vals), atom_usage=usage)

    # -- pair scores --------------------------------------------------------------------
    def cooccurrence(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Seeds holding both atoms of each pair."""
        return self.cooccur.lookup(i, j).astype(np.int64)

    def cooccur_matrix(self, keep: np.ndarray) -> sp.coo_matrix:
        """Co-occurrence counts among the sorted atom indices ``keep`` (upper triangle)."""
        lo, hi = np.divmod(self.cooccur.keys, max(self.cooccur.n, 1))
        pos = np.full(len(self.atom_ids), -1, dtype=np.int64)
        pos[keep] = np.arange(len(keep))
        mask = (pos[lo] >= 0) & (pos[hi] >= 0)
        return sp.coo_matrix(
            (self.cooccur.values[mask], (pos[lo[mask]], pos[hi[mask]])),
            shape=(len(keep), len(keep)),
        )

    def used(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Earlier generated sets holding both atoms of each pair."""
        return self.history.lookup(i, j) if self.history is not None else np.zeros(len(i))

    def novelty(self, i: np.ndarray, j: np.ndarray, counts: np.ndarray | None = None) -> np.ndarray:
        """Smoothed ``-log P(pair)`` over seeds and earlier sets, in ``(0, 1]``
        (``counts``: the pairs' :meth:`cooccurrence`, when already looked up)."""
        alpha = self.weights.smoothing
        seeds = self.cooccur.lookup(i, j) if counts is None else counts
        seen = seeds + self.used(i, j)
        return np.log((self.n_seeds + alpha) / (seen + alpha)) / self._max_novelty

    @property
    def neighbours(self) -> Neighbours:
        """The co-occurrence table as the compiled pair kernel reads it (built once)."""
        if self._neighbours is None:
            self._neighbours = Neighbours.of(self.cooccur.symmetric())
        return self._neighbours

    @property
    def basis(self) -> sp.csr_matrix:
        """Rows of the binary co-occurrence adjacency scaled by ``1/sqrt(degree)``: the
        neighbourhood cosines of all pairs are ``basis @ basis.T``."""
        return self.neighbours.basis()

    def neighbour_cosine(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """Cosine of the co-occurrence neighbourhoods of each pair (shared 2-hop paths)."""
        return self.neighbour_evidence(i, j)[0]

    def neighbour_evidence(self, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`neighbour_cosine` and :meth:`cooccurrence` of each pair in one pass
        (cheapest when consecutive pairs share their first atom)."""
        cosine, count = self.neighbours.evidence(i, j)
        return cosine, count.astype(np.int64)

    def set_evidence(self, sets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`neighbour_evidence` of the pairs inside each row of ``sets`` (flat, set
        by set, pairs in ``numpy.triu_indices`` order), each atom's row read once a set."""
        cosine, count = self.neighbours.within(sets)
        return cosine, count.astype(np.int64)

    def embedding_cosine(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        if self.embeddings is None:
            return np.full(len(i), np.nan)
        return np.einsum("ij,ij->i", self.embeddings[i], self.embeddings[j])

    def band(self, cosine: np.ndarray) -> np.ndarray:
        """Embedding evidence: 0 when unrelated, rising to 1 inside the band."""
        w = self.weights
        ramp = (cosine - w.unrelated) / max(w.band_low - w.unrelated, 1e-9)
        return np.where(np.isnan(cosine), 0.0, np.clip(ramp, 0.0, 1.0))

    def compatibility(
        self,
        i: np.ndarray,
        j: np.ndarray,
        neighbour_cos: np.ndarray | None = None,
        counts: np.ndarray | None = None,
    ) -> np.ndarray:
        """Calibrated evidence in ``[0, 1]``; 0 for vetoed pairs (INCOMPATIBLE,
        near-duplicate, same slot, different domains); 1 for pairs seen together.

        The learned score where the model has one for the pair's domain, else the
        hand-weighted baseline. ``neighbour_cos`` may carry precomputed neighbourhood
        cosines of the pairs (used by the baseline only), ``counts`` their
        :meth:`cooccurrence`.
        """
        learned = self.learned
        if learned is None:
            return self.hand_compatibility(i, j, neighbour_cos, counts)
        fitted = np.isin(self.domains[i], learned.domains)
        if not fitted.all():
            nbr = None if neighbour_cos is None else neighbour_cos[~fitted]
            seen = None if counts is None else counts[~fitted]
            out = np.empty(len(i))
            out[~fitted] = self.hand_compatibility(i[~fitted], j[~fitted], nbr, seen)
            seen = None if counts is None else counts[fitted]
            out[fitted] = self.compatibility(i[fitted], j[fitted], counts=seen)
            return out
        score = self._cdf(2, i, learned.probability.lookup(i, j))
        return self._finish(i, j, score, self.embedding_cosine(i, j), counts)

    def scores_by_hand(self, domain: str) -> bool:
        """Whether ``domain``'s pairs get the hand-weighted score (no learned one)."""
        return self.learned is None or domain not in self.learned.domains

    def hand_compatibility(
        self,
        i: np.ndarray,
        j: np.ndarray,
        neighbour_cos: np.ndarray | None = None,
        counts: np.ndarray | None = None,
    ) -> np.ndarray:
        """The hand-weighted baseline: neighbourhood cosine, popularity and embedding band,
        each calibrated per domain, combined by :class:`CompatibilityWeights`."""
        w = self.weights
        cos = self.embedding_cosine(i, j)
        nbr = self.neighbour_cosine(i, j) if neighbour_cos is None else neighbour_cos
        score = (
            w.neighbours * self._cdf(0, i, nbr)
            + w.popularity * self._cdf(1, i, self._popularity(i, j))
            + w.embedding * self.band(cos)
        )
        return self._finish(i, j, score, cos, counts)

    def _finish(
        self,
        i: np.ndarray,
        j: np.ndarray,
        score: np.ndarray,
        cos: np.ndarray,
        counts: np.ndarray | None = None,
    ) -> np.ndarray:
        """Seen pairs 1, outcome penalty, vetoes 0."""
        seen = self.cooccurrence(i, j) if counts is None else counts
        score = np.where(seen > 0, 1.0, np.minimum(score, 1.0))
        if self.failures is not None:
            fails = self.failures.lookup(i, j)
            oks = self.passes.lookup(i, j) if self.passes is not None else 0.0
            score = score * (oks + 1.0) / (oks + fails + 1.0)
        return np.where(self.vetoed(i, j, cos), 0.0, score)

    def vetoed(self, i: np.ndarray, j: np.ndarray, cos: np.ndarray | None = None) -> np.ndarray:
        cos = self.embedding_cosine(i, j) if cos is None else cos
        near_dup = np.nan_to_num(cos, nan=0.0) >= self.weights.duplicate
        same_slot = (self._slot_code[i] == self._slot_code[j]) | (i == j)
        other_domain = self._domain_code[i] != self._domain_code[j]
        return (self.incompatible.lookup(i, j) > 0) | near_dup | same_slot | other_domain

    def diversity(self, atoms: np.ndarray) -> np.ndarray:
        """``1 / (1 + usage)`` per atom: 1 for atoms no earlier set used."""
        assert self.atom_usage is not None
        return 1.0 / (1.0 + self.atom_usage[atoms])
