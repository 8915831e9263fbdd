"""The hierarchy data files, ``schema/hierarchy/<domain>.toml``, and lookups over them.

A file names, per slot, its **groups** (level 1) and **areas** (level 2). A fine atom lands
in a group by name (``members``), by a regular expression over its slug (``patterns``), by
its scenario keyword family (``labels``), or, for API slots, by its dotted prefix. The file
also holds curated descriptions and the grain each slot is kept at.

>>> spec = hierarchy_spec("algorithm")
>>> spec.place("technique", "dijkstra")
('shortest paths', 'graph algorithms')
>>> spec.place("constraint", "input-size-up-to-1e5")
('input size bounds', 'bounds')
>>> spec.describe("constraint", "input-size-up-to-1e5", "")
'The input holds at most about 10^5 items.'
"""

from __future__ import annotations

import re
from functools import cache, cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import SchemaError
from ..records import slugify
from ..schema import default_schema_dir, load_schemas, read_data_file

__all__ = [
    "ClusterRule",
    "DomainHierarchy",
    "GroupSpec",
    "SlotHierarchy",
    "hierarchy_spec",
    "load_hierarchies",
    "vocabulary",
]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GroupSpec(_Data):
    description: str
    area: str | None = None
    members: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    #: description of a member that has none of its own (``{name}``, ``{group}``, ``{1}``)
    template: str | None = None

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from exc
        return patterns


class ClusterRule(_Data):
    """Embedding clusters for atoms no name rule places (tools without a namespace)."""

    #: cosine distance below which two atoms join one cluster (average linkage)
    threshold: float = Field(gt=0, lt=2)
    min_size: int = Field(default=2, ge=2)
    #: a leftover atom joins the nearest cluster whose centroid is at least this similar
    attach: float = Field(default=0.45, ge=-1, le=1)
    #: name tokens that never name a family (verbs such as ``get``)
    stop_words: frozenset[str] = frozenset()


class SlotHierarchy(_Data):
    grain: str
    areas: dict[str, str] = Field(default_factory=dict)
    groups: dict[str, GroupSpec] = Field(default_factory=dict)
    #: scenario keyword family -> area; the family itself is the group
    labels: dict[str, str] = Field(default_factory=dict)
    descriptions: dict[str, str] = Field(default_factory=dict)
    #: dotted names group by their first ``prefix_depth`` parts when nothing else places them
    prefix_depth: int | None = Field(default=None, ge=1)
    cluster: ClusterRule | None = None
    #: an atom no rule places that fewer seeds than this name stays a detail of its seed
    #: (``adr_graph.hierarchy.details``); 1 keeps every such atom in the graph
    detail_below: int = Field(default=2, ge=1)
    #: the slot whose most frequent co-occurring atom names a family's area (capability)
    capability_slot: str | None = None
    #: packages whose docstrings may describe ``library_api`` atoms (imported by name)
    docstrings: tuple[str, ...] = ()
    #: a lexicon keyword table (``schema/lexicons``) whose labels are this slot's groups and
    #: whose plain keywords are its fine atoms
    keywords: str | None = None
    #: description of a fine atom found by a keyword of ``label`` (``{name}``, ``{group}``)
    keyword_template: str = "A story about {name}, from the {group} family."

    @cached_property
    def _keyword_labels(self) -> dict[str, str]:
        if self.keywords is None:
            return {}
        from ..lexicons import lexicon  # the lexicon names this slot's fine keywords

        table = lexicon(self.domain_name).keywords[self.keywords]
        out: dict[str, str] = {}
        for label, words in table.labels.items():
            for word in (*words.strong, *words.weak):
                if re.fullmatch(r"[a-z0-9 '-]+", word):
                    out.setdefault(slugify(word), label)
        return out

    domain_name: str = ""

    @cached_property
    def _members(self) -> dict[str, str]:
        return {slugify(m): g for g, spec in self.groups.items() for m in spec.members}

    @cached_property
    def _descriptions(self) -> dict[str, str]:
        return {slugify(k): v for k, v in self.descriptions.items()}

    @cached_property
    def _patterns(self) -> list[tuple[re.Pattern[str], str]]:
        return [(re.compile(p), g) for g, spec in self.groups.items() for p in spec.patterns]

    def group_of(self, name: str) -> tuple[str, re.Match[str] | None] | None:
        """The group a fine atom's name lands in by members or patterns, with the match."""
        slug = slugify(name)
        if slug in self._members:
            return self._members[slug], None
        labels = {slugify(label): label for label in self.labels}
        if slug in labels:
            return labels[slug], None
        if slug in self._keyword_labels:
            return self._keyword_labels[slug], None
        for pattern, group in self._patterns:
            found = pattern.search(slug)
            if found:
                return group, found
        return None

    def area_of(self, group: str) -> str | None:
        if group in self.groups:
            return self.groups[group].area
        return self.labels.get(group)

    def curated(self, name: str) -> str | None:
        """The description the file writes out for a fine atom, or ``None``."""
        return self._descriptions.get(slugify(name))

    def description_of(self, name: str) -> str | None:
        """The curated description of a fine atom, or one its group's template makes."""
        return self.curated(name) or self.templated(name)

    def templated(self, name: str) -> str | None:
        """The description a fine atom's group template (or keyword family) makes."""
        placed = self.group_of(name)
        if placed is not None and slugify(name) in self._keyword_labels:
            return self.keyword_template.format(name=name.replace("-", " "), group=placed[0])
        if placed is None or placed[0] not in self.groups:
            return None
        group, match = placed
        template = self.groups[group].template
        if template is None:
            return None
        captured = [g.replace("-", " ") for g in match.groups()] if match else []
        values = {"name": name.replace("-", " "), "group": group}
        values.update({str(i + 1): c for i, c in enumerate(captured)})
        return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


class DomainHierarchy(_Data):
    version: int = Field(ge=1)
    domain: str
    slots: dict[str, SlotHierarchy]
    #: per slot, the atoms static extraction falls back to when it recognises nothing; a
    #: seed whose required slot holds only these is *thin* (hybrid extraction asks the LLM)
    fallbacks: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    def fallback_slugs(self) -> dict[str, set[str]]:
        return {slot: {slugify(n) for n in names} for slot, names in self.fallbacks.items()}

    def place(self, slot: str, name: str) -> tuple[str, str | None] | None:
        """``(group, area)`` of a fine atom by the file's name rules, or ``None``."""
        spec = self.slots.get(slot)
        placed = spec.group_of(name) if spec else None
        if spec is None or placed is None:
            return None
        return placed[0], spec.area_of(placed[0])

    def describe(self, slot: str, name: str, current: str) -> str:
        """The file's description of an atom, else ``current``."""
        spec = self.slots.get(slot)
        return (spec.description_of(name) if spec else None) or current


def _check(path: Path, found: DomainHierarchy, slots: set[str]) -> DomainHierarchy:
    for slot, spec in found.slots.items():
        where = f"{path}: slots.{slot}"
        if slot not in slots:
            raise SchemaError(f"{where}: schema/{found.domain}.json has no slot {slot!r}")
        for group, gspec in spec.groups.items():
            if gspec.area is not None and gspec.area not in spec.areas:
                raise SchemaError(f"{where}.groups.{group}: area {gspec.area!r} is not listed")
        for label, area in spec.labels.items():
            if area not in spec.areas:
                raise SchemaError(f"{where}.labels.{label}: area {area!r} is not listed")
        if spec.capability_slot is not None and spec.capability_slot not in slots:
            raise SchemaError(f"{where}: capability_slot {spec.capability_slot!r} is no slot")
    return found


def load_hierarchies(schema_dir: Path | None = None) -> dict[str, DomainHierarchy]:
    """Every ``hierarchy/<domain>.toml`` under ``schema_dir``, checked against its schema."""
    folder = schema_dir or default_schema_dir()
    schemas = load_schemas(folder)
    out = {}
    for path in sorted((folder / "hierarchy").glob("*.toml")):
        if path.stem not in schemas:
            raise SchemaError(f"{path}: no schema/{path.stem}.json for this hierarchy's domain")
        found = read_data_file(path, DomainHierarchy)
        found = found.model_copy(
            update={
                "slots": {
                    k: v.model_copy(update={"domain_name": found.domain})
                    for k, v in found.slots.items()
                }
            }
        )
        if found.domain != path.stem:
            raise SchemaError(f"{path}: field 'domain': is {found.domain!r}, not {path.stem!r}")
        out[path.stem] = _check(path, found, {s.name for s in schemas[path.stem].slots})
    return out


def vocabulary(specs: dict[str, DomainHierarchy] | None = None) -> dict[tuple[str, str], list[str]]:
    """Every fine atom name the data files know, per ``(domain, slot)``: group members,
    keyword families and their plain keywords, and names with a curated description.

    >>> "dijkstra" in vocabulary()[("algorithm", "technique")]
    True
    """
    out: dict[tuple[str, str], list[str]] = {}
    for domain, spec in (specs or load_hierarchies()).items():
        for slot, s in spec.slots.items():
            names = [m for g in s.groups.values() for m in g.members]
            names += [*s.labels, *s.descriptions, *s._keyword_labels]
            out[(domain, slot)] = list(dict.fromkeys(names))
    return out


@cache
def hierarchy_spec(domain: str) -> DomainHierarchy:
    """The shipped hierarchy of ``domain`` (read once per process)."""
    return load_hierarchies()[domain]
