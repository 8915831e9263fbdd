"""Backend-independent views of a store: the sparse projection and the networkx graph.

>>> proj = build_projection(["a", "b", "c"], {"s1": ["a", "b"], "s2": ["a", "b", "c"]})
>>> int(proj.counts[0, 1]), proj.frequency.tolist()
(2, [2, 2, 1])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import networkx as nx

from ..records import Atom
from .base import Projection
from .cooccur import cooccurrence_counts, incidence_matrix, pmi_npmi

__all__ = ["association_graph", "build_projection", "cooccurrence_rows"]


def build_projection(atom_ids: Sequence[str], members: Mapping[str, Iterable[str]]) -> Projection:
    """Projection over sorted ``atom_ids`` and seeds ``members`` (seed id -> atom ids)."""
    ordered = sorted(atom_ids)
    index = {a: i for i, a in enumerate(ordered)}
    seeds = sorted(members)
    rows = [[index[a] for a in members[s]] for s in seeds]
    incidence = incidence_matrix(rows, len(ordered))
    counts, freq = cooccurrence_counts(incidence)
    return Projection(ordered, seeds, incidence, counts, freq, index)


def cooccurrence_rows(proj: Projection) -> Iterator[tuple[str, str, int, float, float]]:
    """Every co-occurring pair once, smaller atom id first: ``(a, b, count, pmi, npmi)``."""
    upper = proj.counts.tocoo()
    mask = upper.row < upper.col
    rows, cols, data = upper.row[mask], upper.col[mask], upper.data[mask]
    pmi, npmi = pmi_npmi(data, proj.frequency[rows], proj.frequency[cols], proj.n_seeds)
    for r, c, n, p, q in zip(rows, cols, data, pmi, npmi, strict=True):
        yield proj.atom_ids[r], proj.atom_ids[c], int(n), float(p), float(q)


def association_graph(atoms: Iterable[Atom], proj: Projection) -> nx.Graph:
    """Atom graph: nodes carry atom fields (no embedding), ``CO_OCCURS`` edges carry
    count, pmi and npmi."""
    graph = nx.Graph()
    for atom in atoms:
        graph.add_node(atom.id, **atom.model_dump(exclude={"id", "embedding"}))
    for a, b, count, pmi, npmi in cooccurrence_rows(proj):
        graph.add_edge(a, b, type="CO_OCCURS", count=count, pmi=pmi, npmi=npmi)
    return graph
