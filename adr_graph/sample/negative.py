"""Negative evidence from the seeds: pairs that independence predicts often but that never
meet, and slot pairs where one slot's atom fixes the other's. Both become INCOMPATIBLE
edges that carry their evidence, so the sampler vetoes them and a Cypher user sees why.

- **never together**: within a domain of ``N`` seeds, atoms seen ``f_a`` and ``f_b``
  times would meet ``λ = f_a f_b / N`` times if independent. When they never meet and
  ``λ ≥ min_expected`` (default 5, i.e. a Poisson tail ``P(X = 0) = e^-λ ≤ 0.0067``), the
  pair is INCOMPATIBLE (``source = "negative:poisson"``, ``score = λ``).
- **slot dependency**: slot ``S`` fixes slot ``T`` when every atom of ``S`` seen in at least
  ``min_support`` seeds always comes with one and the same atom of ``T`` (at least two such
  atoms, mapping to at least two different ``T`` atoms). Then each such ``S`` atom is
  INCOMPATIBLE with every other ``T`` atom (``source = "negative:dependency"``).

>>> import scipy.sparse as sp
>>> rows = [[1, 0, 1, 0]] * 30 + [[0, 1, 0, 1]] * 30   # a always with x, b always with y
>>> inc = sp.csr_matrix(np.array(rows))
>>> ids = ["d/s/a", "d/s/b", "d/t/x", "d/t/y"]
>>> [(e.a, e.b, e.score) for e in never_together(inc, ids, ["s", "s", "t", "t"], ["d"] * 4)]
[('d/s/a', 'd/t/y', 15.0), ('d/s/b', 'd/t/x', 15.0)]
>>> slot_rules(inc, ["s", "s", "t", "t"], ["d"] * 4)
{('d', 's', 't'): {0: 2, 1: 3}, ('d', 't', 's'): {2: 0, 3: 1}}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from ..records import AtomEdge

__all__ = [
    "DEPENDENCY",
    "DERIVED_PREFIX",
    "NEVER_TOGETHER",
    "negative_evidence",
    "never_together",
    "slot_rules",
]

DERIVED_PREFIX = "negative:"  # the source of every edge derived here, and of no other
NEVER_TOGETHER = DERIVED_PREFIX + "poisson"
DEPENDENCY = DERIVED_PREFIX + "dependency"


def never_together(
    incidence: sp.csr_matrix,
    atom_ids: Sequence[str],
    slots: Sequence[str],
    domains: Sequence[str],
    min_expected: float = 5.0,
) -> list[AtomEdge]:
    """Cross-slot pairs of one domain expected ``≥ min_expected`` times yet never seen."""
    inc = sp.csc_matrix(incidence, dtype=np.float64)
    slot_arr, dom_arr = np.asarray(slots, dtype=object), np.asarray(domains, dtype=object)
    freq = np.asarray(inc.sum(axis=0)).ravel()
    out: list[AtomEdge] = []
    for domain in sorted(set(dom_arr.tolist())):
        cols = np.flatnonzero(dom_arr == domain)
        n_seeds = int((inc[:, cols].sum(axis=1) > 0).sum())
        if n_seeds == 0 or freq[cols].max() == 0:
            continue
        keep = cols[freq[cols] * freq[cols].max() >= min_expected * n_seeds]
        if len(keep) < 2:
            continue
        sub = inc[:, keep]
        together = (sub.T @ sub).toarray()
        expected = np.outer(freq[keep], freq[keep]) / n_seeds
        a, b = np.triu_indices(len(keep), 1)
        hit = (together[a, b] == 0) & (expected[a, b] >= min_expected)
        hit &= slot_arr[keep[a]] != slot_arr[keep[b]]
        for x, y in zip(a[hit], b[hit], strict=True):
            lam = float(expected[x, y])
            out.append(
                AtomEdge(
                    a=atom_ids[keep[x]],
                    b=atom_ids[keep[y]],
                    type="INCOMPATIBLE",
                    score=round(lam, 3),
                    source=NEVER_TOGETHER,
                    evidence=f"expected {lam:.1f} together if independent, observed 0 "
                    f"(Poisson p = {np.exp(-lam):.2g}) in {n_seeds} seeds",
                )
            )
    return out


def slot_rules(
    incidence: sp.csr_matrix,
    slots: Sequence[str],
    domains: Sequence[str],
    min_support: int = 20,
) -> dict[tuple[str, str, str], dict[int, int]]:
    """``(domain, S, T) -> {S atom: the T atom it always comes with}`` for every slot pair
    where ``S`` fixes ``T`` in the seeds (see the module docstring)."""
    inc = sp.csc_matrix(incidence, dtype=np.float64)
    slot_arr, dom_arr = np.asarray(slots, dtype=object), np.asarray(domains, dtype=object)
    freq = np.asarray(inc.sum(axis=0)).ravel()
    rules: dict[tuple[str, str, str], dict[int, int]] = {}
    for domain in sorted(set(dom_arr.tolist())):
        in_dom = dom_arr == domain
        for s in sorted(set(slot_arr[in_dom].tolist())):
            sources = np.flatnonzero(in_dom & (slot_arr == s) & (freq >= min_support))
            if len(sources) < 2:
                continue
            for t in sorted(set(slot_arr[in_dom].tolist()) - {s}):
                targets = np.flatnonzero(in_dom & (slot_arr == t))
                fixed = _fixed_targets(inc, sources, targets, freq)
                if fixed is not None and len(set(fixed.values())) >= 2:
                    rules[(domain, s, t)] = fixed
    return rules


def _fixed_targets(
    inc: sp.csc_matrix, sources: np.ndarray, targets: np.ndarray, freq: np.ndarray
) -> dict[int, int] | None:
    """Each source atom's single target atom, or None if any source has another."""
    together = (inc[:, sources].T @ inc[:, targets]).toarray()
    fixed = {}
    for row, src in enumerate(sources):
        hits = np.flatnonzero(together[row])
        if len(hits) != 1 or together[row, hits[0]] != freq[src]:
            return None
        fixed[int(src)] = int(targets[hits[0]])
    return fixed


def negative_evidence(
    incidence: sp.csr_matrix,
    atom_ids: Sequence[str],
    slots: Sequence[str],
    domains: Sequence[str],
    *,
    min_expected: float = 5.0,
    min_support: int = 20,
) -> list[AtomEdge]:
    """Every INCOMPATIBLE edge the seeds support: never-together pairs and slot rules (a
    pair both find carries the rule)."""
    edges = {
        (e.a, e.b): e for e in never_together(incidence, atom_ids, slots, domains, min_expected)
    }
    slot_arr = np.asarray(slots, dtype=object)
    for (domain, s, t), fixed in slot_rules(incidence, slots, domains, min_support).items():
        others = np.flatnonzero((np.asarray(domains, dtype=object) == domain) & (slot_arr == t))
        for src, tgt in fixed.items():
            for other in others[others != tgt]:
                edge = AtomEdge(
                    a=atom_ids[src],
                    b=atom_ids[int(other)],
                    type="INCOMPATIBLE",
                    score=1.0,
                    source=DEPENDENCY,
                    evidence=f"rule {domain}: {s} fixes {t}; {atom_ids[src]} always comes "
                    f"with {atom_ids[tgt]}",
                )
                edges[(edge.a, edge.b)] = edge  # the rule explains more than the tail test
    return sorted(edges.values(), key=lambda e: (e.a, e.b))
