"""Negative evidence (issue 14, part 2): a planted functional dependency and a planted
never-together pair become INCOMPATIBLE edges with their evidence, and the sampler vetoes
them."""

from __future__ import annotations

import numpy as np
import pytest

from adr_graph.records import Atom, AtomEdge
from adr_graph.sample import model_from_store, sample_sets
from adr_graph.sample.negative import DEPENDENCY, NEVER_TOGETHER
from adr_graph.schema import load_schemas
from adr_graph.stages.graph import add_negative_evidence
from adr_graph.store import EmbeddedStore, SeedAtoms

SLOTS = {"technique": 4, "data_structure": 4, "scenario": 4, "constraint": 4, "io_format": 2}


def _id(slot: str, k: int) -> str:
    return f"algorithm/{slot}/{slot[:3]}{k}"


def _seeded_store() -> EmbeddedStore:
    """technique fixes io_format (tec0, tec1 -> io0; tec2, tec3 -> io1); tec0 never meets
    dat3 although both are common; everything else is drawn at random."""
    rng = np.random.default_rng(0)
    store = EmbeddedStore(None)
    store.upsert_atoms(
        Atom(id=_id(s, k), domain="algorithm", slot=s, name=f"{s[:3]}{k}")
        for s, n in SLOTS.items()
        for k in range(n)
    )
    rows = []
    for n in range(400):
        tec = int(rng.integers(4))
        dat = int(rng.integers(3 if tec == 0 else 4))
        picks = [
            _id("technique", tec),
            _id("data_structure", dat),
            _id("scenario", int(rng.integers(4))),
            _id("constraint", int(rng.integers(4))),
            _id("io_format", 0 if tec < 2 else 1),
        ]
        rows.append(SeedAtoms(seed_id=f"s{n}", domain="algorithm", source="t", atom_ids=picks))
    store.set_memberships(rows)
    return store


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    store = _seeded_store()
    counts = add_negative_evidence(store)
    assert counts[DEPENDENCY] == 4 and counts[NEVER_TOGETHER] >= 1
    return store


def test_edges_the_seeds_stop_supporting_go_and_hand_made_ones_stay() -> None:
    store = _seeded_store()
    never = (_id("data_structure", 3), _id("technique", 0))
    by_hand = AtomEdge(
        a=_id("scenario", 0), b=_id("constraint", 1), type="INCOMPATIBLE", source="manual"
    )
    on_a_derived_pair = AtomEdge(a=never[0], b=never[1], type="INCOMPATIBLE", source="expert")
    store.upsert_edges([by_hand])
    add_negative_evidence(store)
    edges = {(e.a, e.b): e for e in store.iter_edges("INCOMPATIBLE")}
    assert edges[never].source == NEVER_TOGETHER
    # new seeds where tec0 meets dat3 often: the never-together edge loses its support
    store.set_memberships(
        SeedAtoms(
            seed_id=f"new{n}",
            domain="algorithm",
            source="t",
            atom_ids=[never[1], never[0], _id("scenario", n % 4), _id("io_format", 0)],
        )
        for n in range(60)
    )
    add_negative_evidence(store)
    edges = {(e.a, e.b): e for e in store.iter_edges("INCOMPATIBLE")}
    assert never not in edges
    assert edges[(by_hand.a, by_hand.b)].source == "manual"
    assert any(e.source == DEPENDENCY for e in edges.values())  # still supported
    # a hand-made edge on a pair the seeds flag keeps its own source
    other = _seeded_store()
    other.upsert_edges([on_a_derived_pair])
    add_negative_evidence(other)
    edges = {(e.a, e.b): e for e in other.iter_edges("INCOMPATIBLE")}
    assert edges[never].source == "expert"


def test_both_kinds_are_edges_with_their_evidence(store: EmbeddedStore) -> None:
    edges = {(e.a, e.b): e for e in store.iter_edges("INCOMPATIBLE")}
    never = edges[(_id("data_structure", 3), _id("technique", 0))]
    assert never.source == NEVER_TOGETHER and never.score >= 5
    assert "observed 0" in never.evidence and "Poisson p" in never.evidence
    rule = edges[(_id("io_format", 1), _id("technique", 0))]
    assert rule.source == DEPENDENCY and "technique fixes io_format" in rule.evidence
    assert (_id("io_format", 0), _id("technique", 0)) not in edges  # the pair that does occur
    # pairs that meet at random are never flagged
    assert not [e for e in edges.values() if "scenario" in e.a + e.b]


def test_the_model_and_the_sampler_veto_them(store: EmbeddedStore) -> None:
    model = model_from_store(store)
    ix = model.index
    i = np.array([ix[_id("technique", 0)], ix[_id("technique", 0)], ix[_id("technique", 2)]])
    j = np.array([ix[_id("data_structure", 3)], ix[_id("io_format", 1)], ix[_id("io_format", 0)]])
    assert model.compatibility(i, j).tolist() == [0.0, 0.0, 0.0]
    sets = sample_sets(model, load_schemas()["algorithm"], 40, strategy="novelty", seed=1)
    assert sets
    for atom_set in sets:
        ids = {a.id for a in atom_set.atoms}
        assert not {_id("technique", 0), _id("data_structure", 3)} <= ids
        assert not {_id("technique", 0), _id("io_format", 1)} <= ids
        assert not {_id("technique", 2), _id("io_format", 0)} <= ids
