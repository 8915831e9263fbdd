"""Extractor vocabularies as data: ``schema/lexicons/<domain>.toml``, checked against the
domain's element schema.

A lexicon file holds named tables of four kinds, each naming the slot its labels fill:
``keywords`` (label -> strong/weak keywords, ranked by :func:`~adr_graph.extract.lexicon.
rank_labels`), ``maps`` (key -> label), ``pairs`` (ordered ``[pattern, label]`` rules) and
``words`` (a word list). ``slot_maps`` map a key to ``[slot, name]`` pairs in any slot.

>>> algo = lexicon("algorithm")
>>> algo.keywords["scenarios"].slot, algo.keywords["scenarios"].fallback
('scenario', 'general computation')
>>> algo.slot_maps["leetcode_topics"]["hash table"]
(('data_structure', 'hash map'),)
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .errors import SchemaError
from .records import ElementSchema
from .schema import default_schema_dir, load_schemas, read_data_file

__all__ = ["DomainLexicon", "KeywordTable", "lexicon", "load_lexicon", "load_lexicons"]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KeywordLabel(_Table):
    strong: tuple[str, ...]
    weak: tuple[str, ...] = ()


class KeywordTable(_Table):
    slot: str
    fallback: str | None = None
    labels: dict[str, KeywordLabel]

    def as_lexicon(self) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
        """``label -> (strong, weak)``, the shape the keyword scorer ranks with."""
        return {label: (k.strong, k.weak) for label, k in self.labels.items()}


class MapTable(_Table):
    slot: str
    entries: dict[str, str]


class PairTable(_Table):
    slot: str
    entries: tuple[tuple[str, str], ...]


class WordTable(_Table):
    slot: str
    words: frozenset[str]


class DomainLexicon(_Table):
    """Every vocabulary table of one domain."""

    version: int = Field(ge=1)
    domain: str
    keywords: dict[str, KeywordTable] = Field(default_factory=dict)
    maps: dict[str, MapTable] = Field(default_factory=dict)
    pairs: dict[str, PairTable] = Field(default_factory=dict)
    words: dict[str, WordTable] = Field(default_factory=dict)
    slot_maps: dict[str, dict[str, tuple[tuple[str, str], ...]]] = Field(default_factory=dict)

    def slots_used(self) -> list[tuple[str, str]]:
        """``(table, slot)`` for every slot this lexicon names."""
        used = [
            (f"{kind}.{name}", table.slot)
            for kind in ("keywords", "maps", "pairs", "words")
            for name, table in getattr(self, kind).items()
        ]
        for name, entries in self.slot_maps.items():
            used += [
                (f"slot_maps.{name}.{key}", slot) for key, v in entries.items() for slot, _ in v
            ]
        return used


def load_lexicon(path: Path, schema: ElementSchema) -> DomainLexicon:
    """Read one lexicon file and check every slot it names against ``schema``."""
    found = read_data_file(path, DomainLexicon)
    if found.domain != schema.domain:
        raise SchemaError(f"{path}: field 'domain': is {found.domain!r}, not {schema.domain!r}")
    slots = {s.name for s in schema.slots}
    for table, slot in found.slots_used():
        if slot not in slots:
            raise SchemaError(
                f"{path}: table {table!r} names slot {slot!r}, which schema/{schema.domain}.json "
                f"does not have ({', '.join(sorted(slots))})"
            )
    return found


def load_lexicons(schema_dir: Path | None = None) -> dict[str, DomainLexicon]:
    """Every ``lexicons/<domain>.toml`` under ``schema_dir``, checked against its schema."""
    folder = schema_dir or default_schema_dir()
    schemas = load_schemas(folder)
    out = {}
    for path in sorted((folder / "lexicons").glob("*.toml")):
        if path.stem not in schemas:
            raise SchemaError(f"{path}: no schema/{path.stem}.json for this lexicon's domain")
        out[path.stem] = load_lexicon(path, schemas[path.stem])
    return out


@cache
def lexicon(domain: str) -> DomainLexicon:
    """The shipped lexicon of ``domain`` (read once per process)."""
    folder = default_schema_dir()
    path = folder / "lexicons" / f"{domain}.toml"
    return load_lexicon(path, load_schemas(folder)[domain])
