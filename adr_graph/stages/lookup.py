"""Extractors that ask an LLM: every seed (``--extractor llm``) or, in hybrid mode, the
seeds whose static atoms are thin, with the LLM's names folded into the known vocabulary.

Both return a lookup :data:`~adr_graph.ingest.Extractor` over answers fetched up front
(in parallel, cached), so that ingest itself never waits on the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..extract.hybrid import HybridStats, KnownNames, combine, is_thin, name_support
from ..hierarchy import load_hierarchies
from ..hierarchy.spec import vocabulary
from ..ingest import Extractor, is_trainable
from ..records import AtomCandidate, ElementSchema, Seed
from ..store.base import GraphStore
from .progress import Steps

if TYPE_CHECKING:
    from ..extract.llm import LlmExtractor

__all__ = ["LLM_SELECTIONS", "HybridOptions", "hybrid_lookup", "llm_lookup"]


def llm_lookup(
    seeds: Sequence[Seed],
    schemas: dict[str, ElementSchema],
    llm: LlmExtractor,
    include_eval: bool,
    steps: Steps,
    todo: Sequence[Seed] | None = None,
) -> tuple[Extractor, list[dict[str, str]]]:
    """Ask the model about every seed that will be ingested (or ``todo``); a lookup
    extractor and failures."""
    if todo is None:
        todo = [s for s in seeds if include_eval or is_trainable(s)]
    with steps.task(f"asking {llm.model}", total=len(todo)) as advance:
        batch = llm.extract_many(todo, schemas, on_done=lambda _r: advance())
    found: dict[str, list[AtomCandidate]] = batch.candidates

    def lookup(seed: Seed, _schema: ElementSchema) -> list[AtomCandidate]:
        return found.get(seed.id, [])

    failures = [f.model_dump() for f in batch.failures]
    steps.note(
        f"llm {llm.model} (prompt {llm.prompt_version}): {len(found)} seeds extracted, "
        f"{len(failures)} failed, {llm.http_calls} HTTP calls"
    )
    return lookup, failures


#: which seeds hybrid extraction asks the LLM about
LLM_SELECTIONS = ("thin", "all")


@dataclass(frozen=True)
class HybridOptions:
    """Which seeds hybrid extraction sends to the LLM."""

    select: str = "thin"
    limit: int | None = None
    include_eval: bool = False
    #: seeds that must name a new LLM atom before it enters the graph (else: a detail)
    min_support: int = 2


def hybrid_lookup(
    store: GraphStore,
    seeds: Sequence[Seed],
    schemas: dict[str, ElementSchema],
    llm: LlmExtractor,
    options: HybridOptions,
    steps: Steps,
) -> tuple[Extractor, list[dict[str, str]], HybridStats]:
    """Static atoms for every seed plus the LLM's, folded into the known vocabulary, for
    the seeds ``options`` selects (thin ones by default, at most ``options.limit``)."""
    from ..extract.static import extract_static

    static = {s.id: extract_static(s, schemas[s.domain]) for s in seeds if s.domain in schemas}
    wanted = [s for s in seeds if s.id in static and (options.include_eval or is_trainable(s))]
    if options.select == "thin":
        specs = load_hierarchies()
        wanted = [
            s
            for s in wanted
            if s.domain in specs
            and is_thin(static[s.id], schemas[s.domain], specs[s.domain].fallback_slugs())
        ]
    todo = wanted[: options.limit] if options.limit is not None else wanted
    steps.note(f"hybrid: asking the LLM about {len(todo)} of {len(seeds)} seeds ({options.select})")
    lookup, failures = llm_lookup(seeds, schemas, llm, options.include_eval, steps, todo)
    known = KnownNames.from_names(_known_names(store))
    stats = HybridStats()
    support = name_support((s, lookup(s, schemas[s.domain])) for s in todo)

    def hybrid(seed: Seed, schema: ElementSchema) -> list[AtomCandidate]:
        return combine(
            seed,
            static.get(seed.id, []),
            lookup(seed, schema),
            known,
            stats,
            support=support,
            min_support=options.min_support,
        )

    return hybrid, failures, stats


def _known_names(store: GraphStore) -> dict[tuple[str, str], list[str]]:
    """Every fine atom's name and aliases, and the hierarchy's members, per domain and slot."""
    names: dict[tuple[str, str], list[str]] = {}
    for atom in store.iter_atoms():
        if atom.level == 0:
            names.setdefault((atom.domain, atom.slot), []).extend([atom.name, *atom.aliases])
    for key, known in vocabulary().items():
        names.setdefault(key, []).extend(known)
    return names
