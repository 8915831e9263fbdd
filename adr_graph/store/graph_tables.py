"""The Bolt graph model as column tables, read from an embedded store.

:func:`graph_tables` turns a store into one table per node label and relationship type,
with the property names the Bolt store writes (``schema/README.md``): ``Atom`` carries
``frequency`` (seeds holding it), ``merged_from`` as JSON text and ``merged_count``;
``CO_OCCURS`` runs from the smaller atom id to the larger with ``count``, ``pmi`` and
``npmi``. An embedded Cypher engine loads these tables (``adr_graph.store.embedded_cypher``).

>>> from adr_graph.records import Atom
>>> from adr_graph.store import EmbeddedStore, SeedAtoms
>>> store = EmbeddedStore(None)
>>> _ = store.upsert_atoms([Atom(id=f"algorithm/technique/{n}", domain="algorithm",
...                              slot="technique", name=n) for n in ("bfs", "dfs")])
>>> _ = store.set_memberships([SeedAtoms(seed_id="s1", domain="algorithm", source="demo",
...     atom_ids=["algorithm/technique/bfs", "algorithm/technique/dfs"])])
>>> tables = graph_tables(store)
>>> tables["CO_OCCURS"]["count"], tables["Atom"]["frequency"]
([1], [1, 1])
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from ..records import EDGE_TYPES
from .embedded import EmbeddedStore
from .views import cooccurrence_rows

__all__ = ["NODE_PROPERTIES", "REL_ENDS", "REL_PROPERTIES", "graph_tables"]

#: Node label -> (property, column type); the first property is the primary key.
NODE_PROPERTIES: dict[str, list[tuple[str, str]]] = {
    "Atom": [
        ("id", "STRING"),
        ("domain", "STRING"),
        ("slot", "STRING"),
        ("name", "STRING"),
        ("description", "STRING"),
        ("aliases", "STRING[]"),
        ("extractors", "STRING[]"),
        ("embedding", "DOUBLE[]"),
        ("embedder", "STRING"),
        ("merged_from", "STRING"),
        ("merged_count", "INT64"),
        ("frequency", "INT64"),
        ("level", "INT64"),
    ],
    "Seed": [
        ("id", "STRING"),
        ("domain", "STRING"),
        ("source", "STRING"),
        ("license", "STRING"),
        ("details", "STRING[]"),
    ],
    "Task": [
        ("id", "STRING"),
        ("domain", "STRING"),
        ("verified", "BOOLEAN"),
        ("atom_ids", "STRING[]"),
    ],
}

_TYPED = [("score", "DOUBLE"), ("source", "STRING"), ("evidence", "STRING")]
#: Relationship type -> (property, column type).
REL_PROPERTIES: dict[str, list[tuple[str, str]]] = {
    "HAS_ATOM": [],
    "COMBINES": [],
    "CO_OCCURS": [("count", "INT64"), ("pmi", "DOUBLE"), ("npmi", "DOUBLE")],
    **{kind: list(_TYPED) for kind in EDGE_TYPES},
}
#: Relationship type -> (from label, to label).
REL_ENDS: dict[str, tuple[str, str]] = {
    "HAS_ATOM": ("Seed", "Atom"),
    "COMBINES": ("Task", "Atom"),
    **{kind: ("Atom", "Atom") for kind in ("CO_OCCURS", *EDGE_TYPES)},
}

Table = dict[str, list[Any]]


def _table(label: str, properties: dict[str, list[tuple[str, str]]], ends: bool) -> Table:
    columns = ["from", "to"] if ends else []
    return {name: [] for name in columns + [p for p, _t in properties[label]]}


def _append(table: Table, row: dict[str, Any]) -> None:
    for column, values in table.items():
        values.append(row[column])


def _node_tables(store: EmbeddedStore, tables: dict[str, Table]) -> None:
    for atom in sorted(store.iter_atoms(), key=lambda a: a.id):
        evidence = [m.model_dump() for m in atom.merged_from]
        row = atom.model_dump(include={p for p, _t in NODE_PROPERTIES["Atom"]})
        row.update(merged_from=json.dumps(evidence), merged_count=len(evidence))
        _append(tables["Atom"], row)
    for seed in sorted(store.iter_memberships(), key=lambda s: s.seed_id):
        _append(tables["Seed"], {**seed.model_dump(exclude={"seed_id"}), "id": seed.seed_id})
        for atom_id in dict.fromkeys(seed.atom_ids):
            _append(tables["HAS_ATOM"], {"from": seed.seed_id, "to": atom_id})
    for task in sorted(store.iter_outcomes(), key=lambda t: t.task_id):
        _append(tables["Task"], {**task.model_dump(exclude={"task_id"}), "id": task.task_id})
        for atom_id in dict.fromkeys(task.atom_ids):
            _append(tables["COMBINES"], {"from": task.task_id, "to": atom_id})


def graph_tables(store: EmbeddedStore) -> dict[str, Table]:
    """Every node label and relationship type of ``store`` as a table (column -> values).

    Relationship tables start with ``from`` and ``to`` columns (node ids).
    """
    tables = {label: _table(label, NODE_PROPERTIES, False) for label in NODE_PROPERTIES}
    tables.update({kind: _table(kind, REL_PROPERTIES, True) for kind in REL_PROPERTIES})
    _node_tables(store, tables)
    for a, b, count, pmi, npmi in cooccurrence_rows(store.projection()):
        _append(tables["CO_OCCURS"], {"from": a, "to": b, "count": count, "pmi": pmi, "npmi": npmi})
    typed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for edge in store.iter_edges():
        typed[edge.type].append(
            {"from": edge.a, "to": edge.b, **edge.model_dump(exclude={"a", "b", "type"})}
        )
    for kind, rows in typed.items():
        for row in sorted(rows, key=lambda r: (r["from"], r["to"])):
            _append(tables[kind], row)
    return tables
