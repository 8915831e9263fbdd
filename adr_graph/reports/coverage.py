"""Coverage metrics of a batch of atom sets over a pair model (CLI and notebooks).

>>> import scipy.sparse as sp
>>> from adr_graph.records import AtomRef, AtomSet
>>> from adr_graph.sample.model import PairModel
>>> inc = sp.csr_matrix(np.array([[1, 1, 0], [0, 1, 1]]))
>>> model = PairModel.from_incidence(inc, ["algorithm/t/a", "algorithm/s/b", "algorithm/x/c"],
...                                  ["t", "s", "x"], ["algorithm"] * 3)
>>> refs = [AtomRef(id=i, slot=i.split("/")[1], name=i[-1]) for i in model.atom_ids]
>>> sets = [AtomSet(domain="algorithm", atoms=[refs[0], refs[2]], strategy="t", rng_seed=0)]
>>> report = coverage_report(sets, model)
>>> report.sets, report.never_seen_pair_share, report.pairs_hit
(1, 1.0, 1)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel

from ..records import AtomSet
from ..sample.model import PairModel

__all__ = [
    "CoverageReport",
    "CoverageTable",
    "compatible_pair_count",
    "compatible_pairs",
    "coverage_report",
    "coverage_table",
    "gini",
    "mean_jaccard_distance",
    "normalised_entropy",
]


class CoverageReport(BaseModel):
    """What a batch of sets covers; ``coverage --json`` prints this."""

    sets: int
    distinct_sets: int
    atoms_used: int
    atoms_available: int
    atom_coverage: float
    pairs_hit: int
    compatible_pairs_hit: int
    compatible_pairs: int
    pair_coverage: float
    never_seen_pair_share: float
    novelty_mean: float
    novelty_quantiles: dict[str, float]
    compatibility_mean: float
    atom_usage_entropy: float
    atom_usage_gini: float
    mean_jaccard_distance: float


def normalised_entropy(counts: np.ndarray) -> float:
    """Shannon entropy of ``counts`` over its length, in ``[0, 1]``.

    >>> normalised_entropy(np.array([1, 1, 1, 1])), normalised_entropy(np.array([4, 0, 0, 0]))
    (1.0, 0.0)
    """
    total = counts.sum()
    if total == 0 or len(counts) < 2:
        return 0.0
    p = counts[counts > 0] / total
    return float(abs((p * np.log(p)).sum()) / np.log(len(counts)))


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of usage (0: all equal, towards 1: concentrated).

    >>> gini(np.array([2, 2, 2])), round(gini(np.array([0, 0, 6])), 3)
    (0.0, 0.667)
    """
    if len(counts) == 0 or counts.sum() == 0:
        return 0.0
    x = np.sort(counts.astype(np.float64))
    n = len(x)
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def mean_jaccard_distance(
    sets: Sequence[frozenset[str]], max_pairs: int = 200_000, seed: int = 0
) -> float:
    """Mean pairwise Jaccard distance between sets (a fixed random sample when many).

    >>> mean_jaccard_distance([frozenset("ab"), frozenset("bc")])
    0.6666666666666667
    """
    n = len(sets)
    if n < 2:
        return 0.0
    total = n * (n - 1) // 2
    if total <= max_pairs:
        pairs = list(combinations(range(n), 2))
    else:
        rng = np.random.default_rng(seed)
        a, b = rng.integers(0, n, max_pairs), rng.integers(0, n, max_pairs)
        pairs = [(x, y) for x, y in zip(a.tolist(), b.tolist(), strict=True) if x != y]
    dist = [1 - len(sets[x] & sets[y]) / len(sets[x] | sets[y]) for x, y in pairs]
    return float(np.mean(dist))


def compatible_pairs(model: PairModel, domains: set[str]) -> np.ndarray:
    """``(n, 2)`` sorted atom-index pairs of ``domains`` the model deems compatible."""
    keep = np.flatnonzero(np.isin(model.domains, sorted(domains)))
    if len(keep) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    basis = model.basis[keep]
    cos = sp.triu(basis @ basis.T, k=1).tocoo()
    i, j = keep[cos.row], keep[cos.col]
    seen = sp.triu(model.cooccur_matrix(keep), k=1).tocoo()
    cand_i = np.concatenate([i, keep[seen.row]])
    cand_j = np.concatenate([j, keep[seen.col]])
    n = len(model.atom_ids)
    keys = np.unique(np.minimum(cand_i, cand_j) * n + np.maximum(cand_i, cand_j))
    lo, hi = np.divmod(keys, n)
    ok = model.compatibility(lo, hi) >= model.weights.threshold
    return np.stack([lo[ok], hi[ok]], axis=1)


def compatible_pair_count(model: PairModel, domains: set[str]) -> int:
    """Cross-slot pairs of ``domains`` the model deems compatible (exact, sparse)."""
    return len(compatible_pairs(model, domains))


def coverage_report(sets: Sequence[AtomSet], model: PairModel) -> CoverageReport:
    """Coverage of ``sets`` (all of the model's atoms of their domains count)."""
    domains = {s.domain for s in sets}
    in_domain = np.isin(model.domains, sorted(domains))
    usage: Counter[int] = Counter()
    pairs: set[tuple[int, int]] = set()
    never_seen = 0
    for atom_set in sets:
        ids = sorted({model.index[a.id] for a in atom_set.atoms if a.id in model.index})
        usage.update(ids)
        set_pairs = list(combinations(ids, 2))
        pairs.update(set_pairs)
        if set_pairs:
            arr = np.array(set_pairs)
            never_seen += bool((model.cooccurrence(arr[:, 0], arr[:, 1]) == 0).any())
    counts = np.zeros(len(model.atom_ids))
    for atom, n in usage.items():
        counts[atom] = n
    domain_counts = counts[in_domain]
    pair_arr = np.array(sorted(pairs)) if pairs else np.zeros((0, 2), np.int64)
    comp_hit = (
        int((model.compatibility(pair_arr[:, 0], pair_arr[:, 1]) >= model.weights.threshold).sum())
        if len(pair_arr)
        else 0
    )
    universe = compatible_pair_count(model, domains) if sets else 0
    novelty = np.array([s.score.novelty for s in sets]) if sets else np.zeros(1)
    quantiles = np.quantile(novelty, [0.1, 0.5, 0.9])
    frozen = [frozenset(a.id for a in s.atoms) for s in sets]
    return CoverageReport(
        sets=len(sets),
        distinct_sets=len(set(frozen)),
        atoms_used=int((domain_counts > 0).sum()),
        atoms_available=int(in_domain.sum()),
        atom_coverage=float((domain_counts > 0).mean()) if in_domain.any() else 0.0,
        pairs_hit=len(pairs),
        compatible_pairs_hit=comp_hit,
        compatible_pairs=universe,
        pair_coverage=comp_hit / universe if universe else 0.0,
        never_seen_pair_share=never_seen / len(sets) if sets else 0.0,
        novelty_mean=float(novelty.mean()),
        novelty_quantiles={
            "p10": float(quantiles[0]),
            "p50": float(quantiles[1]),
            "p90": float(quantiles[2]),
        },
        compatibility_mean=float(np.mean([s.score.compatibility for s in sets])) if sets else 0.0,
        atom_usage_entropy=normalised_entropy(domain_counts),
        atom_usage_gini=gini(domain_counts),
        mean_jaccard_distance=mean_jaccard_distance(frozen),
    )


class CoverageTable(BaseModel):
    """Coverage per strategy and domain: ``strategies[strategy][domain]``; ``coverage
    --json`` prints this."""

    strategies: dict[str, dict[str, CoverageReport]]

    def rows(self) -> list[tuple[str, str, CoverageReport]]:
        """``(strategy, domain, report)`` in a stable order."""
        return [
            (strategy, domain, report)
            for strategy, by_domain in sorted(self.strategies.items())
            for domain, report in sorted(by_domain.items())
        ]


def coverage_table(sets: Sequence[AtomSet], model: PairModel) -> CoverageTable:
    """:func:`coverage_report` of each strategy's sets of each domain."""
    groups: dict[str, dict[str, list[AtomSet]]] = {}
    for atom_set in sets:
        groups.setdefault(atom_set.strategy, {}).setdefault(atom_set.domain, []).append(atom_set)
    return CoverageTable(
        strategies={
            strategy: {domain: coverage_report(group, model) for domain, group in by.items()}
            for strategy, by in groups.items()
        }
    )
