"""Every Cypher statement the Bolt store sends, and the identifier allow-lists.

Values always travel as parameters. Labels, relationship types and property names
cannot be parameters in Cypher, so the few statements that need one are built only
through :func:`label`, :func:`rel_type` and :func:`prop`, which accept names from
fixed allow-lists and nothing else. The statements stick to what both Neo4j 5 and
ArcadeDB's Bolt endpoint accept (see ``schema/README.md``).

>>> rel_type("SIMILAR")
'SIMILAR'
>>> rel_type("SIMILAR]->() DETACH DELETE n //")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
adr_graph.errors.InputError: field 'relationship type': 'SIMILAR]->() DETACH ... is not allowed...
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError, SchemaError
from ..records import EDGE_TYPES
from ..schema import default_schema_dir

__all__ = [
    "LABELS",
    "PROPERTIES",
    "REL_TYPES",
    "label",
    "prop",
    "rel_type",
    "schema_statements",
    "typed_edge_statements",
]

LABELS: frozenset[str] = frozenset({"Atom", "Seed", "Task"})
REL_TYPES: frozenset[str] = frozenset({"HAS_ATOM", "CO_OCCURS", "COMBINES", *EDGE_TYPES})
PROPERTIES: frozenset[str] = frozenset(
    {"id", "domain", "slot", "name", "source", "license", "count", "pmi", "npmi", "score", "level"}
)


def _allowed(kind: str, name: str, allowed: frozenset[str]) -> str:
    if name not in allowed:
        raise InputError(
            f"{name!r} is not allowed; use one of {', '.join(sorted(allowed))}", field=kind
        )
    return name


def label(name: str) -> str:
    """A node label from :data:`LABELS`, or :class:`InputError`."""
    return _allowed("label", name, LABELS)


def rel_type(name: str) -> str:
    """A relationship type from :data:`REL_TYPES`, or :class:`InputError`."""
    return _allowed("relationship type", name, REL_TYPES)


def prop(name: str) -> str:
    """A property name from :data:`PROPERTIES`, or :class:`InputError`."""
    return _allowed("property", name, PROPERTIES)


_COMMENT_RE = re.compile(r"^\s*//.*$", re.MULTILINE)


def schema_statements(name: str = "graph", schema_dir: Path | None = None) -> list[str]:
    """The statements of ``schema/<name>.cypher`` (comments dropped, split on ``;``)."""
    path = (schema_dir or default_schema_dir()) / f"{name}.cypher"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read Cypher schema: {exc.strerror}") from exc
    body = _COMMENT_RE.sub("", text)
    return [" ".join(s.split()) for s in body.split(";") if s.strip()]


# -- atoms ------------------------------------------------------------------------------
GET_ATOMS = """
UNWIND $ids AS id
MATCH (a:Atom {id: id})
OPTIONAL MATCH (a)<-[h:HAS_ATOM]-(:Seed)
RETURN properties(a) AS props, count(h) AS frequency
"""

PAGE_ATOMS = """
MATCH (a:Atom)
WHERE a.id > $after AND ($domain IS NULL OR a.domain = $domain)
  AND ($slot IS NULL OR a.slot = $slot)
WITH a ORDER BY a.id LIMIT $limit
OPTIONAL MATCH (a)<-[h:HAS_ATOM]-(:Seed)
RETURN properties(a) AS props, count(h) AS frequency
ORDER BY props.id
"""

WRITE_ATOMS = """
UNWIND $rows AS r
MERGE (a:Atom {id: r.id})
SET a.domain = r.domain, a.slot = r.slot, a.name = r.name, a.description = r.description,
    a.aliases = r.aliases, a.extractors = r.extractors, a.embedding = r.embedding,
    a.embedder = r.embedder, a.merged_from = r.merged_from, a.merged_count = r.merged_count,
    a.level = r.level
"""

EXISTING_ATOMS = "UNWIND $ids AS id MATCH (a:Atom {id: id}) RETURN a.id AS id"

HELD_ATOMS = """
UNWIND $ids AS id
MATCH (a:Atom {id: id})<-[:HAS_ATOM|COMBINES]-()
RETURN DISTINCT a.id AS id
"""

DELETE_ATOMS = "UNWIND $ids AS id MATCH (a:Atom {id: id}) DETACH DELETE a"

CLEAR_ATOMS = "MATCH (a:Atom) WITH a LIMIT $limit DETACH DELETE a RETURN count(*) AS n"
CLEAR_SEEDS = "MATCH (s:Seed) WITH s LIMIT $limit DETACH DELETE s RETURN count(*) AS n"

# -- seeds and memberships -----------------------------------------------------------------
OLD_MEMBERSHIPS = """
UNWIND $ids AS sid
MATCH (s:Seed {id: sid})-[:HAS_ATOM]->(a:Atom)
RETURN sid AS seed, collect(a.id) AS atoms
"""

WRITE_SEEDS = """
UNWIND $rows AS r
MERGE (s:Seed {id: r.seed_id})
SET s.domain = r.domain, s.source = r.source, s.license = r.license, s.details = r.details
"""

DROP_MEMBERSHIPS = "UNWIND $ids AS sid MATCH (:Seed {id: sid})-[h:HAS_ATOM]->() DELETE h"

ADD_MEMBERSHIPS = """
UNWIND $pairs AS p
MATCH (s:Seed {id: p.seed})
MATCH (a:Atom {id: p.atom})
CREATE (s)-[:HAS_ATOM]->(a)
"""

ADD_COOCCURRENCE = """
UNWIND $deltas AS d
MATCH (a:Atom {id: d.a})
MATCH (b:Atom {id: d.b})
MERGE (a)-[c:CO_OCCURS]->(b)
ON CREATE SET c.count = d.n
ON MATCH SET c.count = c.count + d.n
"""

PRUNE_COOCCURRENCE = """
UNWIND $pairs AS p
MATCH (:Atom {id: p.a})-[c:CO_OCCURS]->(:Atom {id: p.b})
WHERE c.count <= 0
DELETE c
"""

ATOM_SEEDS = "MATCH (s:Seed)-[:HAS_ATOM]->(:Atom {id: $id}) RETURN s.id AS id ORDER BY id"

SEED_ATOMS = "MATCH (:Seed {id: $id})-[:HAS_ATOM]->(a:Atom) RETURN a.id AS id ORDER BY id"

PAGE_SEEDS = """
MATCH (s:Seed)
WHERE s.id > $after
WITH s ORDER BY s.id LIMIT $limit
OPTIONAL MATCH (s)-[:HAS_ATOM]->(a:Atom)
RETURN s.id AS seed_id, s.domain AS domain, s.source AS source, s.license AS license,
       s.details AS details, collect(a.id) AS atom_ids
ORDER BY seed_id
"""

# -- task outcomes (verification feedback) ------------------------------------------------
WRITE_TASKS = """
UNWIND $rows AS r
MERGE (t:Task {id: r.task_id})
SET t.domain = r.domain, t.verified = r.verified, t.atom_ids = r.atom_ids
"""

DROP_COMBINES = "UNWIND $ids AS tid MATCH (:Task {id: tid})-[c:COMBINES]->() DELETE c"

ADD_COMBINES = """
UNWIND $pairs AS p
MATCH (t:Task {id: p.task})
MATCH (a:Atom {id: p.atom})
CREATE (t)-[:COMBINES]->(a)
"""

PAGE_TASKS = """
MATCH (t:Task)
WHERE t.id > $after
RETURN t.id AS task_id, t.domain AS domain, t.atom_ids AS atom_ids, t.verified AS verified
ORDER BY task_id LIMIT $limit
"""

COUNT_TASKS = """
MATCH (t:Task)
RETURN count(t) AS n, sum(CASE WHEN t.verified THEN 1 ELSE 0 END) AS verified
"""

CLEAR_TASKS = "MATCH (t:Task) WITH t LIMIT $limit DETACH DELETE t RETURN count(*) AS n"

SEEDS_BY_ID = """
UNWIND $ids AS sid
MATCH (s:Seed {id: sid})
OPTIONAL MATCH (s)-[:HAS_ATOM]->(a:Atom)
RETURN s.id AS seed_id, s.domain AS domain, s.source AS source, s.license AS license,
       s.details AS details, collect(a.id) AS atom_ids
"""

# -- co-occurrence reads ---------------------------------------------------------------------
PAIR_COUNT = """
MATCH (a:Atom {id: $a})-[c:CO_OCCURS]-(b:Atom {id: $b})
RETURN c.count AS count
"""

NEIGHBOURS = """
MATCH (a:Atom {id: $id})-[c:CO_OCCURS]-(b:Atom)
RETURN b.id AS id, c.count AS count
ORDER BY count DESC, id ASC
LIMIT $limit
"""

FREQUENCIES = """
UNWIND $ids AS id
MATCH (a:Atom {id: id})
OPTIONAL MATCH (a)<-[h:HAS_ATOM]-(:Seed)
RETURN id, count(h) AS frequency
"""

COUNT_SEEDS = "MATCH (s:Seed) RETURN count(s) AS n"

ALL_COOCCURRENCE = """
MATCH (x:Atom)-[c:CO_OCCURS]->(y:Atom)
RETURN x.id AS a, y.id AS b, c.count AS count, c.npmi AS npmi
"""

SET_ASSOCIATION = """
UNWIND $rows AS r
MATCH (:Atom {id: r.a})-[c:CO_OCCURS]->(:Atom {id: r.b})
SET c.pmi = r.pmi, c.npmi = r.npmi
"""

ALL_FREQUENCIES = """
MATCH (a:Atom)
OPTIONAL MATCH (a)<-[h:HAS_ATOM]-(:Seed)
RETURN a.id AS id, count(h) AS frequency, a.frequency AS stored
"""

SET_FREQUENCIES = "UNWIND $rows AS r MATCH (a:Atom {id: r.id}) SET a.frequency = r.frequency"

# -- stats ---------------------------------------------------------------------------------
STATS_SLOTS = """
MATCH (a:Atom)
OPTIONAL MATCH (a)<-[h:HAS_ATOM]-(:Seed)
WITH a, count(h) AS freq
RETURN a.domain AS domain, a.slot AS slot, coalesce(a.level, 0) AS level, count(a) AS atoms,
       sum(freq) AS memberships,
       sum(CASE WHEN a.embedding IS NULL THEN 0 ELSE 1 END) AS embedded,
       sum(coalesce(a.merged_count, 0)) AS merged
"""

STATS_SEEDS = """
MATCH (s:Seed)
RETURN s.domain AS domain, s.source AS source, count(s) AS seeds,
       sum(size(coalesce(s.details, []))) AS details
"""

COUNT_MEMBERSHIPS = "MATCH (:Seed)-[h:HAS_ATOM]->(:Atom) RETURN count(h) AS n"

COUNT_COOCCURRENCE = "MATCH (:Atom)-[c:CO_OCCURS]->(:Atom) RETURN count(c) AS n"


def typed_edge_statements(edge_type: str) -> dict[str, str]:
    """Write/read/count/delete statements for one typed atom-atom edge (type allow-listed)."""
    kind = rel_type(edge_type)
    return {
        "write": (
            "UNWIND $rows AS r MATCH (a:Atom {id: r.a}) MATCH (b:Atom {id: r.b}) "
            f"MERGE (a)-[e:{kind}]->(b) SET e.score = r.score, e.source = r.source, "
            "e.evidence = r.evidence"
        ),
        "read": (
            f"MATCH (x:Atom)-[e:{kind}]->(y:Atom) "
            "RETURN x.id AS a, y.id AS b, e.score AS score, e.source AS source, "
            "e.evidence AS evidence "
            "ORDER BY a, b"
        ),
        "count": f"MATCH (:Atom)-[e:{kind}]->(:Atom) RETURN count(e) AS n",
        "delete": (
            f"UNWIND $rows AS r MATCH (a:Atom {{id: r.a}})-[e:{kind}]->(b:Atom {{id: r.b}}) "
            "DELETE e"
        ),
    }
