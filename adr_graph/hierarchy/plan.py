"""Place a domain's fine atoms into groups and areas: pure functions over atom records.

Name rules come first (:meth:`DomainHierarchy.place`); dotted API names then group by
namespace; what is still unplaced is clustered by embedding (scikit-learn's
agglomerative clustering, cosine, average linkage) where the slot asks for it.

>>> from adr_graph.records import Atom
>>> atoms = [Atom(id="algorithm/technique/dijkstra", domain="algorithm", slot="technique",
...               name="dijkstra", frequency=3)]
>>> plan = plan_hierarchy(atoms, hierarchy_spec("algorithm"))
>>> [(e.a, e.b) for e in plan.edges]  # doctest: +NORMALIZE_WHITESPACE
[('algorithm/technique/dijkstra', 'algorithm/technique/group:shortest-paths'),
 ('algorithm/technique/group:shortest-paths', 'algorithm/technique/area:graph-algorithms')]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..records import Atom, AtomEdge, slugify
from .spec import ClusterRule, DomainHierarchy, SlotHierarchy, hierarchy_spec

__all__ = ["HierarchyPlan", "area_id", "cluster_names", "group_id", "plan_hierarchy"]

#: ``source`` of every IS_A edge this module makes
EDGE_SOURCE = "hierarchy"


def group_id(domain: str, slot: str, name: str) -> str:
    """Id of a level-1 group (``:`` never occurs in a fine atom's slug)."""
    return f"{domain}/{slot}/group:{slugify(name)}"


def area_id(domain: str, slot: str, name: str) -> str:
    """Id of a level-2 area."""
    return f"{domain}/{slot}/area:{slugify(name)}"


@dataclass
class HierarchyPlan:
    """Group and area atoms, ``IS_A`` edges, and the fine atoms nothing placed."""

    groups: dict[str, Atom] = field(default_factory=dict)
    edges: list[AtomEdge] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    #: how each fine atom was placed: ``name``, ``namespace``, ``cluster`` or ``nearest``
    placed_by: Counter[str] = field(default_factory=Counter)

    def add_node(self, atom: Atom) -> str:
        self.groups.setdefault(atom.id, atom)
        return atom.id

    def link(self, child: str, parent: str, evidence: str) -> None:
        self.edges.append(
            AtomEdge(
                a=child, b=parent, type="IS_A", score=1.0, source=EDGE_SOURCE, evidence=evidence
            )
        )


def _node(domain: str, slot: str, name: str, level: int, description: str) -> Atom:
    make = group_id if level == 1 else area_id
    return Atom(
        id=make(domain, slot, name),
        domain=domain,
        slot=slot,
        name=name,
        description=description,
        extractors=["hierarchy"],
        level=level,
    )


def _attach(
    plan: HierarchyPlan,
    atom: Atom,
    spec: SlotHierarchy,
    group: str,
    area: str | None,
    *,
    evidence: str,
    group_text: str = "",
    area_text: str = "",
) -> None:
    domain, slot = atom.domain, atom.slot
    described = spec.groups[group].description if group in spec.groups else group_text
    gid = plan.add_node(_node(domain, slot, group, 1, described or f"The {group} group of {slot}."))
    plan.link(atom.id, gid, evidence)
    if area:
        text = spec.areas.get(area) or area_text or f"The {area} area of {slot}."
        aid = plan.add_node(_node(domain, slot, area, 2, text))
        if not any(e.a == gid and e.b == aid for e in plan.edges):
            plan.link(gid, aid, "area of the group (schema/hierarchy)")


def cluster_names(names: Sequence[str], stop_words: Collection[str] = ()) -> str:
    """A family name for a cluster: its most common name token that is no stop word.

    >>> cluster_names(["get-weather", "weather-forecast", "get-time"], {"get"})
    'weather'
    """
    tokens = Counter(
        t for n in names for t in set(re.split(r"[-._]+", n.lower())) if t and t not in stop_words
    )
    return _most_common(tokens) or names[0]


def _most_common(counts: Counter[str]) -> str | None:
    """The most common key, ties broken by the key itself (never by hash or input order)."""
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counts else None


def _clusters(atoms: Sequence[Atom], rule: ClusterRule) -> list[list[int]]:
    """Index lists of the clusters (``min_size`` or more) of atoms with embeddings."""
    from sklearn.cluster import AgglomerativeClustering

    if len(atoms) < rule.min_size:
        return []
    vectors = np.array([a.embedding for a in atoms], dtype=np.float32)
    labels = AgglomerativeClustering(
        n_clusters=None, distance_threshold=rule.threshold, metric="cosine", linkage="average"
    ).fit_predict(vectors)
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        members[int(label)].append(i)
    return [m for m in members.values() if len(m) >= rule.min_size]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _family_of(name: str, depth: int) -> str | None:
    parts = name.split(".")
    return ".".join(parts[:depth]) if len(parts) > depth else None


def _place_slot(
    plan: HierarchyPlan,
    atoms: Sequence[Atom],
    spec: SlotHierarchy,
    domain_spec: DomainHierarchy,
    capability: Mapping[str, Counter[str]],
) -> None:
    families: dict[str, list[Atom]] = defaultdict(list)
    rest: list[Atom] = []
    for atom in atoms:
        placed = domain_spec.place(atom.slot, atom.name)
        if placed is not None:
            _attach(plan, atom, spec, placed[0], placed[1], evidence="named in schema/hierarchy")
            plan.placed_by["name"] += 1
        elif spec.prefix_depth and (family := _family_of(atom.name, spec.prefix_depth)):
            families[family].append(atom)
        else:
            rest.append(atom)
    for family in [f for f, m in families.items() if len(m) < 2]:
        rest += families.pop(family)  # a namespace of one tool says nothing: cluster it
    for family, members in families.items():
        for atom in members:
            families_by = "namespace"
            _attach_family(plan, atom, spec, family, members, capability, families_by)
    _cluster_rest(plan, rest, spec, families, capability)


def _capability(members: Sequence[Atom], capability: Mapping[str, Counter[str]]) -> str | None:
    total: Counter[str] = Counter()
    for atom in members:
        total.update(capability.get(atom.id, Counter()))
    return _most_common(total)


def _attach_family(
    plan: HierarchyPlan,
    atom: Atom,
    spec: SlotHierarchy,
    family: str,
    members: Sequence[Atom],
    capability: Mapping[str, Counter[str]],
    how: str,
) -> None:
    area = (
        family.split(".")[0] if spec.capability_slot is None else _capability(members, capability)
    )
    if area == family:
        area = None
    text = f"{family}: {len(members)} related {atom.slot.replace('_', ' ')} atoms ({how})."
    area_text = f"Tools whose requests most often ask for {area}." if spec.capability_slot else ""
    _attach(plan, atom, spec, family, area, evidence=how, group_text=text, area_text=area_text)
    plan.placed_by[how] += 1


def _cluster_rest(
    plan: HierarchyPlan,
    rest: Sequence[Atom],
    spec: SlotHierarchy,
    families: dict[str, list[Atom]],
    capability: Mapping[str, Counter[str]],
) -> None:
    embedded = [a for a in rest if a.embedding is not None]
    plan.unplaced += [a.id for a in rest if a.embedding is None or spec.cluster is None]
    if spec.cluster is None or not embedded:
        return
    taken: set[int] = set()
    for members in _clusters(embedded, spec.cluster):
        group = [embedded[i] for i in members]
        family = cluster_names([a.name for a in group], spec.cluster.stop_words)
        while family in families:
            family += "+"
        families[family] = group
        taken.update(members)
        for atom in group:
            _attach_family(plan, atom, spec, family, group, capability, "cluster")
    _attach_nearest(
        plan, [a for i, a in enumerate(embedded) if i not in taken], spec, families, capability
    )


def _attach_nearest(
    plan: HierarchyPlan,
    left: Sequence[Atom],
    spec: SlotHierarchy,
    families: dict[str, list[Atom]],
    capability: Mapping[str, Counter[str]],
) -> None:
    assert spec.cluster is not None
    names = [f for f, m in families.items() if any(a.embedding is not None for a in m)]
    if not left or not names:
        plan.unplaced += [a.id for a in left]
        return
    centroids = _unit(
        np.array(
            [
                np.mean([a.embedding for a in families[f] if a.embedding is not None], axis=0)
                for f in names
            ],
            dtype=np.float32,
        )
    )
    vectors = _unit(np.array([a.embedding for a in left], dtype=np.float32))
    sims = vectors @ centroids.T
    for atom, row in zip(left, sims, strict=True):
        best = int(np.argmax(row))
        if row[best] >= spec.cluster.attach:
            _attach_family(
                plan, atom, spec, names[best], families[names[best]], capability, "nearest"
            )
        else:
            plan.unplaced.append(atom.id)


def plan_hierarchy(
    atoms: Sequence[Atom],
    spec: DomainHierarchy | None = None,
    *,
    capability: Mapping[str, Counter[str]] | None = None,
) -> HierarchyPlan:
    """Groups, areas and ``IS_A`` edges for the fine atoms of one domain.

    ``capability`` maps a fine atom id to the names of the atoms of the slot's
    ``capability_slot`` that its seeds hold, with counts (tools -> objectives).
    """
    plan = HierarchyPlan()
    fine = sorted((a for a in atoms if a.level == 0), key=lambda a: a.id)  # order-free result
    if not fine:
        return plan
    spec = spec or hierarchy_spec(fine[0].domain)
    by_slot: dict[str, list[Atom]] = defaultdict(list)
    for atom in fine:
        by_slot[atom.slot].append(atom)
    for slot, members in sorted(by_slot.items()):
        slot_spec = spec.slots.get(slot)
        if slot_spec is None:
            plan.unplaced += [a.id for a in members]
            continue
        _place_slot(plan, members, slot_spec, spec, capability or {})
    return plan
