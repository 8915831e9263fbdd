"""Library-level pipeline steps: turning seeds into atoms and memberships in a store.

>>> from adr_graph.records import AtomCandidate, Seed
>>> from adr_graph.schema import load_schemas
>>> from adr_graph.store import EmbeddedStore
>>> def tiny(seed, schema):
...     return [AtomCandidate(slot="technique", name="Sorting", extractor="demo")]
>>> store = EmbeddedStore(None)
>>> seed = Seed(id="s1", domain="algorithm", statement="Sort it.", source="demo", license="MIT")
>>> report = ingest([seed], store, load_schemas(), tiny)
>>> report.seeds, report.new_atoms, store.seed_atoms("s1")
(1, 1, ['algorithm/technique/sorting'])
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .errors import InputError
from .records import Atom, AtomCandidate, ElementSchema, Seed, atom_id
from .store.base import GraphStore, SeedAtoms

__all__ = [
    "Extractor",
    "IngestReport",
    "candidates_to_atoms",
    "ingest",
    "is_trainable",
    "merged_ids",
]

log = logging.getLogger(__name__)

#: Turns one seed into atom candidates for the seed's domain schema.
Extractor = Callable[[Seed, ElementSchema], list[AtomCandidate]]


@dataclass
class IngestReport:
    """What one ingest did; counts are over the seeds given."""

    seeds: int = 0
    new_atoms: int = 0
    memberships: int = 0
    seeds_without_atoms: int = 0
    skipped_eval_split: int = 0
    by_domain: Counter[str] = field(default_factory=Counter)
    by_slot: Counter[str] = field(default_factory=Counter)


def is_trainable(seed: Seed) -> bool:
    """False for seeds from evaluation-only splits (e.g. DataFrameBench val/test).

    >>> is_trainable(Seed(id="a", domain="algorithm", statement="x", source="s",
    ...                   license="l", metadata={"trainable": False}))
    False
    """
    return bool(seed.metadata.get("trainable", True))


def candidates_to_atoms(
    seed: Seed, candidates: Iterable[AtomCandidate], schema: ElementSchema
) -> list[Atom]:
    """Canonical atoms for one seed's candidates (one atom per slot and slug)."""
    slots = {s.name for s in schema.slots}
    atoms: dict[str, Atom] = {}
    for cand in candidates:
        if cand.slot not in slots:
            raise InputError(
                f"extractor {cand.extractor!r} produced slot {cand.slot!r} which is not in the "
                f"{schema.domain} schema ({', '.join(sorted(slots))})",
                path=seed.id,
                field="slot",
            )
        ident = atom_id(seed.domain, cand.slot, cand.name)
        aliases = [cand.name] if cand.name != ident.rsplit("/", 1)[1] else []
        atom = Atom(
            id=ident,
            domain=seed.domain,
            slot=cand.slot,
            name=ident.rsplit("/", 1)[1],
            description=cand.description,
            aliases=aliases,
            extractors=[cand.extractor],
        )
        atoms.setdefault(ident, atom)
    return list(atoms.values())


def ingest(
    seeds: Iterable[Seed],
    store: GraphStore,
    schemas: Mapping[str, ElementSchema],
    extractor: Extractor,
    *,
    include_eval_splits: bool = False,
    batch_size: int = 2000,
    on_seed: Callable[[Seed], None] | None = None,
    details: Mapping[str, list[str]] | None = None,
) -> IngestReport:
    """Extract atoms from ``seeds`` and write atoms and memberships to ``store``.

    Writes go out in batches; the caller commits. Seeds of unknown domains raise
    ``InputError``; seeds from evaluation-only splits are skipped unless asked for.
    ``details`` maps a seed id to atom ids kept as that seed's details, not as graph
    atoms; it is read after the extractor ran on the seed (the hybrid extractor fills it).
    """
    report = IngestReport()
    redirect = merged_ids(store)
    atoms: dict[str, Atom] = {}
    rows: list[SeedAtoms] = []
    for seed in seeds:
        if on_seed is not None:
            on_seed(seed)
        if not include_eval_splits and not is_trainable(seed):
            report.skipped_eval_split += 1
            continue
        schema = schemas.get(seed.domain)
        if schema is None:
            raise InputError(
                f"no element schema for domain {seed.domain!r}", path=seed.id, field="domain"
            )
        found = candidates_to_atoms(seed, extractor(seed, schema), schema)
        seed_atoms = _redirect(found, redirect)
        _count(report, seed, seed_atoms)
        for atom in seed_atoms:
            atoms[atom.id] = atom if atom.id not in atoms else _merge_new(atoms[atom.id], atom)
        rows.append(
            SeedAtoms(
                seed_id=seed.id,
                domain=seed.domain,
                source=seed.source,
                license=seed.license,
                atom_ids=[a.id for a in seed_atoms],
                details=sorted(set((details or {}).get(seed.id, []))),
            )
        )
        if len(rows) >= batch_size:
            report.new_atoms += _flush(store, atoms, rows)
    report.new_atoms += _flush(store, atoms, rows)
    return report


def merged_ids(store: GraphStore) -> dict[str, str]:
    """Map of atom ids merged away by canonicalisation to the atom that absorbed them.

    Re-ingesting a corpus then adds memberships to the canonical atom instead of
    resurrecting its duplicates.
    """
    return {ev.merged_id: atom.id for atom in store.iter_atoms() for ev in atom.merged_from}


def _redirect(seed_atoms: list[Atom], redirect: Mapping[str, str]) -> list[Atom]:
    if not redirect:
        return seed_atoms
    out: dict[str, Atom] = {}
    for atom in seed_atoms:
        target = redirect.get(atom.id, atom.id)
        moved = atom if target == atom.id else atom.model_copy(update={"id": target})
        out[target] = moved if target not in out else _merge_new(out[target], moved)
    return list(out.values())


def _count(report: IngestReport, seed: Seed, seed_atoms: list[Atom]) -> None:
    report.seeds += 1
    report.by_domain[seed.domain] += 1
    report.memberships += len(seed_atoms)
    if not seed_atoms:
        report.seeds_without_atoms += 1
    for atom in seed_atoms:
        report.by_slot[f"{atom.domain}/{atom.slot}"] += 1


def _merge_new(old: Atom, new: Atom) -> Atom:
    return old.model_copy(
        update={
            "aliases": sorted(set(old.aliases) | set(new.aliases)),
            "extractors": sorted(set(old.extractors) | set(new.extractors)),
            "description": old.description or new.description,
        }
    )


def _flush(store: GraphStore, atoms: dict[str, Atom], rows: list[SeedAtoms]) -> int:
    """Write pending atoms then memberships; returns how many atoms were new."""
    new = sum(1 for a in atoms if store.get_atom(a) is None)
    store.upsert_atoms(atoms.values())
    store.set_memberships(rows)
    log.debug("flushed %d atoms (%d new), %d seeds", len(atoms), new, len(rows))
    atoms.clear()
    rows.clear()
    return new
