"""Deterministic static extractor: AST patterns, keyword tables and metadata rules.

The same seed always gives the same candidates, in the same order: slots in schema
order, and inside a slot the most specific or most relevant element first.

>>> from adr_graph.records import Seed
>>> from adr_graph.schema import load_schemas
>>> seed = Seed(id="demo/1", domain="algorithm", source="demo", license="MIT",
...             statement="Given a sorted list of numbers, find where x goes.",
...             solution="import bisect\\ndef f(a, x):\\n    return bisect.bisect_left(a, x)")
>>> [(c.slot, c.name) for c in extract_static(seed, load_schemas()["algorithm"])][:2]
[('technique', 'binary search'), ('data_structure', 'array')]
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping

from adr_graph.extract.algorithm import extract_algorithm
from adr_graph.extract.data_science import extract_data_science
from adr_graph.extract.found import Found
from adr_graph.extract.tool_usage import extract_tool_usage
from adr_graph.hierarchy.describe import describe_atom
from adr_graph.records import AtomCandidate, ElementSchema, Seed, slugify

__all__ = ["EXTRACTOR_NAME", "extract_many", "extract_static"]

log = logging.getLogger(__name__)

#: Value of ``AtomCandidate.extractor`` for everything this module produces.
EXTRACTOR_NAME = "static"

_DESCRIPTION_LIMIT = 200

_EXTRACTORS: dict[str, Callable[[Seed], list[Found]]] = {
    "algorithm": extract_algorithm,
    "data_science": extract_data_science,
    "tool_usage": extract_tool_usage,
}


def _clean_name(name: str) -> str:
    return " ".join(name.split()).strip(" .,;:")


def _candidates(found: Iterable[Found], schema: ElementSchema) -> list[AtomCandidate]:
    order = {spec.name: i for i, spec in enumerate(schema.slots)}
    seen: set[tuple[str, str]] = set()
    kept: list[tuple[int, int, AtomCandidate]] = []
    for position, item in enumerate(found):
        name = _clean_name(item.name)
        key = (item.slot, slugify(name))
        if item.slot not in order or not name or key in seen:
            continue
        seen.add(key)
        reason = " ".join(item.description.split())
        description = describe_atom(schema.domain, item.slot, name, reason)[:_DESCRIPTION_LIMIT]
        candidate = AtomCandidate(
            slot=item.slot, name=name, description=description, extractor=EXTRACTOR_NAME
        )
        kept.append((order[item.slot], position, candidate))
    return [c for _, _, c in sorted(kept, key=lambda t: (t[0], t[1]))]


def extract_static(seed: Seed, schema: ElementSchema) -> list[AtomCandidate]:
    """Atom candidates for ``seed`` in the slots of ``schema``.

    Never raises on bad code: unparsable solutions fall back to the statement and
    metadata. Candidates are deduplicated by (slot, normalised name).
    """
    extractor = _EXTRACTORS.get(seed.domain) or _EXTRACTORS.get(schema.domain)
    if extractor is None:
        log.debug("no static rules for domain %r (seed %s)", seed.domain, seed.id)
        return []
    if seed.domain != schema.domain:
        log.debug("seed %s has domain %r but schema is %r", seed.id, seed.domain, schema.domain)
    try:
        found = extractor(seed)
    except RecursionError:
        log.debug("seed %s: code nests too deeply; using the statement only", seed.id)
        found = extractor(seed.model_copy(update={"solution": None}))
    return _candidates(found, schema)


def extract_many(
    seeds: Iterable[Seed], schemas: Mapping[str, ElementSchema]
) -> Iterator[tuple[Seed, list[AtomCandidate]]]:
    """Run :func:`extract_static` over ``seeds``; a seed with no schema gets ``[]``."""
    for seed in seeds:
        schema = schemas.get(seed.domain)
        if schema is None:
            log.warning("seed %s: no element schema for domain %r; skipped", seed.id, seed.domain)
            yield seed, []
            continue
        yield seed, extract_static(seed, schema)
