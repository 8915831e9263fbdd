"""The store seen at a coarser grain: each fine atom replaced by its group.

:func:`coarse_view` builds an in-memory store whose atoms are the level-1 groups (plus
any fine atom no group holds) and whose seeds hold the groups of their atoms. Everything
that runs on a store (the pair model, the sampler, coverage) then runs on the view; the
sets it returns name group atoms, which the real store also holds.

>>> from adr_graph.records import Atom
>>> from adr_graph.store import EmbeddedStore, SeedAtoms
>>> from adr_graph.hierarchy.build import build_hierarchy
>>> store = EmbeddedStore(None)
>>> names = [("technique", "dijkstra"), ("technique", "bellman-ford"), ("scenario", "velocity")]
>>> _ = store.upsert_atoms([Atom(id=f"algorithm/{s}/{n}", domain="algorithm", slot=s, name=n)
...                         for s, n in names])
>>> _ = store.set_memberships([SeedAtoms(seed_id=f"s{i}", domain="algorithm", source="t",
...     atom_ids=[f"algorithm/technique/{t}", "algorithm/scenario/velocity"])
...     for i, t in enumerate(["dijkstra", "bellman-ford"])])
>>> _ = build_hierarchy(store)
>>> view = coarse_view(store)
>>> sorted(a.id for a in view.iter_atoms())
['algorithm/scenario/group:physics', 'algorithm/technique/group:shortest-paths']
>>> view.get_atom("algorithm/technique/group:shortest-paths").frequency
2
"""

from __future__ import annotations

from ..records import AtomEdge
from ..store.base import GraphStore, SeedAtoms
from ..store.embedded import EmbeddedStore

__all__ = ["GRAINS", "coarse_view", "parent_groups", "store_at_grain"]

#: ``fine``: the atoms seeds hold; ``coarse``: their level-1 groups (``schema/hierarchy``)
GRAINS = ("fine", "coarse")


def parent_groups(store: GraphStore) -> dict[str, str]:
    """Fine atom id -> its level-1 group id, from the store's ``IS_A`` edges."""
    levels = {a.id: a.level for a in store.iter_atoms()}
    return {
        e.a: e.b for e in store.iter_edges("IS_A") if levels.get(e.a) == 0 and levels.get(e.b) == 1
    }


def coarse_view(store: GraphStore) -> EmbeddedStore:
    """An in-memory store of groups and group memberships (see the module docstring)."""
    from ..sample.negative import negative_evidence

    parents = parent_groups(store)
    atoms = {a.id: a for a in store.iter_atoms()}
    view = EmbeddedStore(None)
    kept = {parents.get(a.id, a.id) for a in atoms.values() if a.level == 0}
    view.upsert_atoms(atoms[a].model_copy(update={"level": 0}) for a in sorted(kept))
    view.set_memberships(
        SeedAtoms(
            seed_id=row.seed_id,
            domain=row.domain,
            source=row.source,
            license=row.license,
            atom_ids=list(dict.fromkeys(parents.get(a, a) for a in row.atom_ids)),
        )
        for row in store.iter_memberships()
    )
    proj = view.projection()
    ordered = [view.get_atom(a) for a in proj.atom_ids]
    derived: list[AtomEdge] = negative_evidence(
        proj.incidence,
        proj.atom_ids,
        [a.slot for a in ordered if a is not None],
        [a.domain for a in ordered if a is not None],
    )
    view.upsert_edges(derived)
    return view


def store_at_grain(store: GraphStore, grain: str) -> GraphStore:
    """``store`` itself for ``fine``, its :func:`coarse_view` for ``coarse``."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    return store if grain == "fine" else coarse_view(store)
