"""Fidelity: does a task carry the atoms it was built from?

The task's statement and reference solution are read as if they were a seed, by the
same extractors that build the graph (the static one always; the LLM one too when an
endpoint is configured). A requested atom is **found** when an extractor names it: the
same atom id, or one of the atom's aliases or merged names. It is **unknown** when none
of the extractors at hand ever produced that atom (the store records which extractors
made each atom: an atom only the LLM extractor found cannot be checked statically), and
**missing** otherwise. Fidelity is ``found / requested``: unknown atoms do not count as
found.

>>> from adr_graph.records import TaskProvenance
>>> task = Task(id="t", domain="algorithm", statement="Sort the list, then binary search.",
...             reference_solution="import bisect\\ndef f(a, x):\\n"
...                                "    return bisect.bisect_left(sorted(a), x)\\n",
...             provenance=TaskProvenance(prompt_version="p", model="m", atom_ids=[
...                 "algorithm/technique/binary-search", "algorithm/data_structure/trie"]))
>>> record = FidelityCheck.static().measure(task)
>>> record.score, record.missing
(0.5, ['algorithm/data_structure/trie'])
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import AdrGraphError
from ..records import (
    Atom,
    AtomCandidate,
    ElementSchema,
    FidelityRecord,
    Seed,
    Task,
    atom_id,
    slugify,
)
from ..schema import load_schemas

__all__ = ["MIN_FIDELITY", "Extractor", "FidelityCheck", "task_as_seed"]

#: Default ``--min-fidelity``: a task carrying fewer than 60 % of its atoms is not verified.
MIN_FIDELITY = 0.6

#: Reads a seed against its domain's schema (``extract_static``, ``LlmExtractor.extract``).
Extractor = Callable[[Seed, ElementSchema], list[AtomCandidate]]


def task_as_seed(task: Task) -> Seed:
    """The task as the extractors read a seed: statement, reference solution, entry point,
    and (tool-usage tasks) its declared tools as the seed's functions."""
    metadata = {"functions": task.tools} if task.tools else {}
    return Seed(
        id=slugify(task.id).replace(".", "-"),
        domain=task.domain,
        statement=task.statement,
        solution=task.reference_solution,
        entry_point=task.entry_point,
        source="generated",
        license="n/a",
        metadata=metadata,
    )


def _names(atom_ref: str, atom: Atom | None) -> set[str]:
    """Slugs under which an extractor may name the atom ``atom_ref``."""
    names = {atom_ref.rsplit("/", 1)[-1]}
    if atom is not None:
        names |= {slugify(n) for n in (atom.name, *atom.aliases)}
        names |= {m.merged_id.rsplit("/", 1)[-1] for m in atom.merged_from}
        names |= {slugify(m.name) for m in atom.merged_from}
    return names


@dataclass
class FidelityCheck:
    """Measures fidelity with ``extractors`` (name, function), static first.

    ``atoms`` holds the store's records of requested atoms, when one is open: their
    aliases and merged names count as found, and their ``extractors`` say which atoms
    the extractors at hand could not have found (unknown).
    """

    extractors: Sequence[tuple[str, Extractor]]
    schemas: Mapping[str, ElementSchema] = field(default_factory=load_schemas)
    atoms: Mapping[str, Atom] = field(default_factory=dict)

    @classmethod
    def static(cls, atoms: Mapping[str, Atom] | None = None) -> FidelityCheck:
        """The static extractor alone, over the packaged schemas."""
        from ..extract.static import EXTRACTOR_NAME, extract_static  # heavy: lexicons

        return cls([(EXTRACTOR_NAME, extract_static)], atoms=atoms or {})

    def extracted(self, task: Task) -> tuple[set[str], list[str]]:
        """Atom ids the extractors name in ``task``, and the failures of those that could
        not read it (an LLM fault is recorded, never raised)."""
        schema = self.schemas.get(task.domain)
        if schema is None:
            return set(), [f"no element schema for domain {task.domain!r}"]
        seed = task_as_seed(task)
        named: set[str] = set()
        errors: list[str] = []
        for name, extract in self.extractors:
            try:
                named |= {atom_id(task.domain, c.slot, c.name) for c in extract(seed, schema)}
            except AdrGraphError as exc:
                errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
        return named, errors

    def _checkable(self, atom: Atom | None) -> bool:
        """Whether an extractor at hand is of a kind that made ``atom`` (``llm:m1`` and
        ``llm:m2`` are one kind)."""
        if atom is None or not atom.extractors:
            return True
        kinds = {name.split(":", 1)[0] for name, _ in self.extractors}
        return any(made.split(":", 1)[0] in kinds for made in atom.extractors)

    def measure(self, task: Task) -> FidelityRecord:
        """Found, missing and unknown requested atoms of ``task``, overall and per slot."""
        named, errors = self.extracted(task)
        found: list[str] = []
        missing: list[str] = []
        unknown: list[str] = []
        per_slot: dict[str, list[bool]] = {}
        for ref in task.provenance.atom_ids:
            atom = self.atoms.get(ref)
            slot_prefix = ref.rsplit("/", 1)[0]
            hit = any(f"{slot_prefix}/{name}" in named for name in _names(ref, atom))
            (found if hit else missing if self._checkable(atom) else unknown).append(ref)
            per_slot.setdefault(slot_prefix.rsplit("/", 1)[-1], []).append(hit)
        requested = len(task.provenance.atom_ids)
        return FidelityRecord(
            score=round(len(found) / requested, 4) if requested else 1.0,
            by_slot={s: round(sum(h) / len(h), 4) for s, h in per_slot.items()},
            found=found,
            missing=missing,
            unknown=unknown,
            extractors=[name for name, _ in self.extractors],
            errors=errors,
        )
