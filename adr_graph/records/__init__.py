"""Typed records that flow through the pipeline. No I/O in here.

:mod:`.graph` holds the graph's records (seeds, schemas, atoms, edges, atom sets) and
:mod:`.tasks` those of generated tasks; both are re-exported here.

>>> Task.model_fields["provenance"].is_required()
True
"""

from .graph import (
    DIRECTED_EDGE_TYPES,
    DOMAINS,
    EDGE_TYPES,
    Atom,
    AtomCandidate,
    AtomEdge,
    AtomRef,
    AtomSet,
    Cardinality,
    Cooccurrence,
    Domain,
    ElementSchema,
    MergeEvidence,
    NotSandboxable,
    PairEvidence,
    ScoreBreakdown,
    Seed,
    SlotSpec,
    atom_id,
    slugify,
)
from .tasks import (
    FidelityRecord,
    GenerationFailure,
    RepairRound,
    Screening,
    Task,
    TaskOutcome,
    TaskProvenance,
    Verdict,
    VerificationRecord,
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
    "FidelityRecord",
    "GenerationFailure",
    "MergeEvidence",
    "NotSandboxable",
    "PairEvidence",
    "RepairRound",
    "ScoreBreakdown",
    "Screening",
    "Seed",
    "SlotSpec",
    "Task",
    "TaskOutcome",
    "TaskProvenance",
    "Verdict",
    "VerificationRecord",
    "atom_id",
    "slugify",
]
