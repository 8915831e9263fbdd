"""Canonicalise atoms: embed them, merge near-duplicates, link similar ones.

Per ``(domain, slot)`` group: every atom is embedded (the vector is stored on the
atom), exact k-NN runs on a faiss ``IndexFlatIP``, pairs at or above
``merge_threshold`` that pass the guard rules are merged (union-find, so a chain
``a~b~c`` ends with one canonical atom), and remaining pairs whose cosine lies in
``[similar_low, merge_threshold)`` become ``SIMILAR`` edges.

Guard rules block a merge whatever the cosine: names holding different numbers
(``n <= 1e4`` vs ``n <= 1e5``), and, in the API slots (``library_api``, ``tool``),
names that differ once case and ``_-.`` are ignored.

>>> numbers_in("input size up to 1e4"), numbers_in("n <= 10^5")
(('1e4',), ('10^5',))
>>> api_key("pandas.DataFrame.group_by") == api_key("pandas.dataframe.groupby")
True
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .embed import Embedder, atom_text
from .errors import MissingExtraError
from .records import Atom, AtomEdge, MergeEvidence
from .store.base import GraphStore

__all__ = [
    "API_SLOTS",
    "DEFAULT_MERGE_THRESHOLD",
    "DEFAULT_SIMILAR_LOW",
    "CanonicalReport",
    "UnionFind",
    "api_key",
    "canonicalise",
    "complexity_in",
    "embedded_with",
    "embedder_mismatch",
    "errors_in",
    "guard_key",
    "merge_allowed",
    "numbers_in",
]

log = logging.getLogger(__name__)

#: Cosine (all-MiniLM-L6-v2) at or above which two atoms of one slot are merged.
#: Chosen on the real ``adr-graph run`` store (1,949 atoms): with the guards, 0.90
#: also merged ``parallel-calls``/``parallel-multiple`` (0.917, distinct BFCL
#: categories); 0.93 keeps only true duplicates (``o-logn``/``o-log-n``, 0.941).
DEFAULT_MERGE_THRESHOLD = 0.93
#: Lower end of the band that yields SIMILAR edges (about 3.6k edges on that store;
#: pairs near 0.6 are still topically related, e.g. ``compute/get-exchange-rate``).
DEFAULT_SIMILAR_LOW = 0.6
#: Slots whose names are API / tool identifiers: embeddings alone never merge them.
API_SLOTS: frozenset[str] = frozenset({"library_api", "tool"})

_BIG_O_RE = re.compile(r"(?:^|[^a-z])o[-(\s]+([a-z0-9^*+\s\-.]+?)(?:\)|$|-?(?:time|space)\b)")
_ERROR_RE = re.compile(r"[a-z]*(?:error|exception)")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*(?:e[+-]?\d+|\^\d+|\*\*\d+)?", re.IGNORECASE)


def numbers_in(name: str) -> tuple[str, ...]:
    """The sorted distinct number literals in a name (``1e4``, ``10^5``, ``3.5``)."""
    return tuple(sorted({m.group(0).lower() for m in _NUMBER_RE.finditer(name)}))


def api_key(name: str) -> str:
    """An API or tool name with case and ``_``, ``-``, ``.`` removed."""
    return re.sub(r"[_\-.\s]", "", name.lower())


def complexity_in(name: str) -> str:
    """The big-O expression of a name with separators removed, or ``""``.

    >>> complexity_in("time-complexity-o-n-log-n"), complexity_in("O(n logn) time")
    ('nlogn', 'nlogn')
    """
    match = _BIG_O_RE.search(name.lower())
    return re.sub(r"[^a-z0-9^*]", "", match.group(1)) if match else ""


def errors_in(name: str) -> tuple[str, ...]:
    """Exception class names mentioned in a name (``valueerror``, ``keyerror`` ...).

    >>> errors_in("raises-ValueError-on-invalid-input")
    ('valueerror',)
    """
    return tuple(sorted(set(_ERROR_RE.findall(name.lower()))))


def guard_key(slot: str, name: str) -> tuple[object, ...]:
    """Names may merge only when their guard keys are equal (an equivalence).

    The key holds the number literals, the big-O expression, the exception names
    and, in :data:`API_SLOTS`, the whole :func:`api_key`; union-find chains
    therefore cannot join two atoms the guards keep apart.
    """
    api = api_key(name) if slot in API_SLOTS else ""
    return (numbers_in(name), complexity_in(name), errors_in(name), api)


def merge_allowed(slot: str, a: str, b: str) -> bool:
    """Whether the guard rules let two names of ``slot`` merge.

    >>> merge_allowed("constraint", "input size up to 1e4", "input size up to 1e5")
    False
    >>> merge_allowed("constraint", "time-complexity-o-log-n", "time-complexity-o-n-log-n")
    False
    >>> merge_allowed("library_api", "df.groupby", "df.merge")
    False
    >>> merge_allowed("technique", "hash map", "hashmap")
    True
    """
    return guard_key(slot, a) == guard_key(slot, b)


class UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving.

    >>> uf = UnionFind(4); uf.union(0, 1); uf.union(1, 2)
    >>> uf.find(2) == uf.find(0), uf.find(3) == uf.find(0)
    (True, False)
    """

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)


@dataclass
class CanonicalReport:
    """What :func:`canonicalise` did; ``per_slot`` maps ``domain/slot`` to before/after."""

    atoms_before: int = 0
    atoms_after: int = 0
    merged: list[MergeEvidence] = field(default_factory=list)
    similar_edges: int = 0
    per_slot: dict[str, dict[str, int]] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def merge_rate(self) -> float:
        return (
            (self.atoms_before - self.atoms_after) / self.atoms_before if self.atoms_before else 0.0
        )


def knn(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product neighbours (self included) with faiss ``IndexFlatIP``."""
    try:
        import faiss
    except ImportError as exc:
        raise MissingExtraError("faiss", "embed") from exc
    data = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexFlatIP(data.shape[1])
    index.add(data)
    scores, ids = index.search(data, min(k, len(data)))
    return scores, ids


def candidate_pairs(vectors: np.ndarray, k: int, low: float) -> list[tuple[float, int, int]]:
    """Pairs ``(cos, i, j)`` with ``i < j`` among each row's k nearest, cosine >= ``low``.

    Scores are recomputed with numpy so the order is reproducible; best first.
    """
    _, ids = knn(vectors, k + 1)
    pairs: set[tuple[int, int]] = set()
    for i, row in enumerate(ids):
        pairs.update((min(i, int(j)), max(i, int(j))) for j in row if j >= 0 and j != i)
    scored = [(float(vectors[i] @ vectors[j]), i, j) for i, j in pairs]
    return sorted((p for p in scored if p[0] >= low), key=lambda p: (-p[0], p[1], p[2]))


def _cluster(
    atoms: Sequence[Atom], pairs: list[tuple[float, int, int]], thresholds: tuple[float, float]
) -> dict[int, list[int]]:
    """Union-find over guarded pairs; root -> members of every group of two or more.

    A pair merges at ``thresholds[0]``; names that are equal once case and ``_-.``
    are dropped (``hash map``/``hashmap``; the only merges the guard allows in
    :data:`API_SLOTS`) need just ``thresholds[1]``, the SIMILAR floor.
    """
    uf = UnionFind(len(atoms))
    for score, i, j in pairs:
        a, b = atoms[i].name, atoms[j].name
        need = thresholds[1] if api_key(a) == api_key(b) else thresholds[0]
        if score >= need and merge_allowed(atoms[i].slot, a, b):
            uf.union(i, j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(atoms)):
        groups[uf.find(i)].append(i)
    return {root: members for root, members in groups.items() if len(members) > 1}


def _merge_groups(
    store: GraphStore,
    atoms: Sequence[Atom],
    vectors: np.ndarray,
    groups: dict[int, list[int]],
    method: str,
) -> tuple[list[MergeEvidence], set[int]]:
    """Fold each group into its most frequent atom (ties: smallest id)."""
    evidence: list[MergeEvidence] = []
    gone: set[int] = set()
    for members in sorted(groups.values()):
        keep = min(members, key=lambda m: (-atoms[m].frequency, atoms[m].id))
        for m in sorted(members, key=lambda m: atoms[m].id):
            if m == keep:
                continue
            score = round(float(vectors[keep] @ vectors[m]), 6)
            ev = MergeEvidence(
                merged_id=atoms[m].id, name=atoms[m].name, score=score, method=method
            )
            store.merge_atoms(atoms[keep].id, atoms[m].id, ev)
            evidence.append(ev)
            gone.add(m)
    return evidence, gone


def _similar_edges(
    atoms: Sequence[Atom], vectors: np.ndarray, k: int, low: float, high: float, source: str
) -> list[AtomEdge]:
    """SIMILAR edges for cosines in ``[low, high)``, up to ``k`` per atom."""
    if len(atoms) < 2:
        return []
    taken: dict[int, int] = defaultdict(int)
    edges: dict[tuple[str, str], AtomEdge] = {}
    for score, i, j in candidate_pairs(vectors, k, low):
        if score >= high or taken[i] >= k or taken[j] >= k:
            continue
        taken[i] += 1
        taken[j] += 1
        edge = AtomEdge(
            a=atoms[i].id, b=atoms[j].id, type="SIMILAR", score=round(score, 6), source=source
        )
        edges[(edge.a, edge.b)] = edge
    return [edges[key] for key in sorted(edges)]


def _reembed_survivors(
    store: GraphStore,
    atoms: Sequence[Atom],
    vectors: np.ndarray,
    groups: dict[int, list[int]],
    embedder: Embedder,
    gone: set[int],
) -> None:
    """Embed each surviving atom again from its merged text (aliases now included).

    Its SIMILAR edges then use that vector, and the next run finds every text in the
    cache with the same vectors, so canonicalisation is a fixed point.
    """
    survivors = sorted({m for members in groups.values() for m in members} - gone)
    merged = [store.get_atom(atoms[i].id) for i in survivors]
    fresh = embedder.encode([atom_text(a) for a in merged if a is not None])
    vectors[survivors] = fresh
    store.upsert_atoms(
        a.model_copy(update={"embedding": v.tolist(), "embedder": embedder.name})
        for a, v in zip(merged, fresh, strict=True)
        if a is not None
    )


def _canonicalise_group(
    store: GraphStore,
    atoms: list[Atom],
    embedder: Embedder,
    report: CanonicalReport,
    thresholds: tuple[float, float, int],
) -> None:
    merge_threshold, similar_low, k = thresholds
    vectors = embedder.encode([atom_text(a) for a in atoms])
    store.upsert_atoms(
        a.model_copy(update={"embedding": v.tolist(), "embedder": embedder.name})
        for a, v in zip(atoms, vectors, strict=True)
    )
    groups: dict[int, list[int]] = {}
    if len(atoms) > 1:
        pairs = candidate_pairs(vectors, k, similar_low)
        groups = _cluster(atoms, pairs, (merge_threshold, similar_low))
    merged, gone = _merge_groups(store, atoms, vectors, groups, f"cosine:{embedder.name}")
    if groups:
        _reembed_survivors(store, atoms, vectors, groups, embedder, gone)
    keep = [i for i in range(len(atoms)) if i not in gone]
    edges = _similar_edges(
        [atoms[i] for i in keep], vectors[keep], k, similar_low, merge_threshold, embedder.name
    )
    store.upsert_edges(edges)
    report.merged.extend(merged)
    report.similar_edges += len(edges)
    report.per_slot[f"{atoms[0].domain}/{atoms[0].slot}"] = {
        "before": len(atoms),
        "after": len(keep),
    }


def canonicalise(
    store: GraphStore,
    embedder: Embedder,
    *,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    similar_low: float = DEFAULT_SIMILAR_LOW,
    k: int = 10,
) -> CanonicalReport:
    """Embed, merge near-duplicates and add SIMILAR edges, slot by slot.

    Deterministic for a fixed store and embedder: groups, atoms and pairs are
    processed in sorted order. Returns a :class:`CanonicalReport`.
    """
    if not 0.0 <= similar_low <= merge_threshold:
        raise ValueError("need 0 <= similar_low <= merge_threshold")
    groups: dict[tuple[str, str], list[Atom]] = defaultdict(list)
    for atom in store.iter_atoms():
        if atom.level == 0:  # groups and areas of the hierarchy are never merged
            groups[(atom.domain, atom.slot)].append(atom)
    report = CanonicalReport()
    hits0, misses0 = getattr(embedder, "hits", 0), getattr(embedder, "misses", 0)
    for key in sorted(groups):
        atoms = sorted(groups[key], key=lambda a: a.id)
        _canonicalise_group(store, atoms, embedder, report, (merge_threshold, similar_low, k))
        log.info("canonicalised %s/%s: %s", *key, report.per_slot[f"{key[0]}/{key[1]}"])
    report.atoms_before = sum(v["before"] for v in report.per_slot.values())
    report.atoms_after = sum(v["after"] for v in report.per_slot.values())
    report.cache_hits = getattr(embedder, "hits", 0) - hits0
    report.cache_misses = getattr(embedder, "misses", 0) - misses0
    return report


def embedded_with(store: GraphStore) -> str | None:
    """The embedder whose vectors the store's atoms carry (``"<n>-dimensional"`` for atoms
    embedded before stores recorded it), or ``None`` when no atom is embedded."""
    for atom in store.iter_atoms():
        if atom.embedding is not None:
            return atom.embedder or f"{len(atom.embedding)}-dimensional"
    return None


def embedder_mismatch(found: str | None, wanted: str, dim: int) -> bool:
    """Whether canonicalising with ``wanted`` (``dim`` wide) would re-embed a store whose
    atoms carry ``found``.

    >>> embedder_mismatch(None, "hashing-256", 256), embedder_mismatch("a", "a", 384)
    (False, False)
    >>> embedder_mismatch("all-MiniLM-L6-v2", "hashing-256", 256)
    True
    >>> embedder_mismatch("384-dimensional", "all-MiniLM-L6-v2", 384)
    False
    """
    if found is None or found == wanted:
        return False
    return found != f"{dim}-dimensional"
