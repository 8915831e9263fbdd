"""Embedders, the embedding cache and canonicalisation on an in-memory store."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from adr_graph.canonical import canonicalise, guard_key, knn, merge_allowed
from adr_graph.embed import CachedEmbedder, EmbeddingCache, HashingEmbedder, atom_text
from adr_graph.errors import MissingExtraError
from adr_graph.records import Atom
from adr_graph.store import EmbeddedStore, SeedAtoms

pytest.importorskip("faiss", reason="canonicalise needs faiss (the 'embed' extra)")


class TableEmbedder:
    """Embeds each text as the unit vector at a given angle (degrees) in a plane."""

    name = "table"
    dim = 3

    def __init__(self, angles: dict[str, float]) -> None:
        self.angles = angles

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        # a merged atom's text gains "(aliases: ...)": it keeps its name's angle
        rad = [math.radians(self.angles[t.split(" (aliases: ")[0]]) for t in texts]
        return np.array([[math.cos(r), math.sin(r), 0.0] for r in rad], dtype=np.float32)


def make_store(slot: str, names: dict[str, int], domain: str = "algorithm") -> EmbeddedStore:
    """One atom per name (id ``domain/slot/<index>``) seen in ``names[name]`` seeds."""
    store = EmbeddedStore(None)
    ids = {n: f"{domain}/{slot}/a{i}" for i, n in enumerate(names)}
    store.upsert_atoms(Atom(id=i, domain=domain, slot=slot, name=n) for n, i in ids.items())
    rows = [
        SeedAtoms(
            seed_id=f"s-{ids[n].rsplit('/', 1)[1]}-{j}",
            domain=domain,
            source="t",
            atom_ids=[ids[n]],
        )
        for n, freq in names.items()
        for j in range(freq)
    ]
    store.set_memberships(rows)
    return store


def names_of(store: EmbeddedStore) -> list[str]:
    return sorted(a.name for a in store.iter_atoms())


# -- embedders ---------------------------------------------------------------------------
def test_hashing_embedder_is_deterministic_normalised_and_spelling_aware() -> None:
    emb = HashingEmbedder(256)
    vecs = emb.encode(["hash map", "hashmap", "priority queue", "hash map"])
    assert vecs.dtype == np.float32 and vecs.shape == (4, 256)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(vecs[0], vecs[3])
    np.testing.assert_array_equal(
        vecs, HashingEmbedder(256).encode(["hash map", "hashmap", "priority queue", "hash map"])
    )
    assert vecs[0] @ vecs[1] > 0.4 > vecs[0] @ vecs[2]


def test_atom_text_uses_description_and_aliases() -> None:
    atom = Atom(
        id="a/s/x",
        domain="a",
        slot="s",
        name="bfs",
        description="breadth first",
        aliases=["BFS", "level order"],
    )
    assert atom_text(atom) == "bfs: breadth first (aliases: BFS, level order)"


def test_knn_raises_missing_extra_without_faiss(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "faiss", None)
    with pytest.raises(MissingExtraError, match=r"adr-graph\[embed\]"):
        knn(np.eye(2, dtype=np.float32), 1)


# -- cache ---------------------------------------------------------------------------------
def test_cached_embedder_counts_hits_and_misses_and_encodes_misses_once() -> None:
    calls: list[list[str]] = []

    class Spy(HashingEmbedder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            calls.append(list(texts))
            return super().encode(texts)

    cached = CachedEmbedder(Spy(64), EmbeddingCache(None))
    first = cached.encode(["a", "b", "a"])
    assert (cached.hits, cached.misses) == (1, 2) and calls == [["a", "b"]]
    second = cached.encode(["b", "a"])
    assert (cached.hits, cached.misses) == (3, 2) and len(calls) == 1
    np.testing.assert_array_equal(second, first[[1, 0]])


def test_cache_round_trips_through_npz_atomically(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "embeddings.npz"
    cached = CachedEmbedder(HashingEmbedder(32), EmbeddingCache(path))
    want = cached.encode(["binary search", "heap"])
    cached.save()
    assert path.exists() and [p.name for p in path.parent.iterdir()] == ["embeddings.npz"]
    again = CachedEmbedder(HashingEmbedder(32), EmbeddingCache(path))
    got = again.encode(["heap", "binary search"])
    assert (again.hits, again.misses) == (2, 0)
    np.testing.assert_array_equal(got, want[[1, 0]])


def test_cache_keys_depend_on_the_embedder_name() -> None:
    assert EmbeddingCache.key("m1", "x") != EmbeddingCache.key("m2", "x")
    cache = EmbeddingCache(None)
    CachedEmbedder(HashingEmbedder(32), cache).encode(["x"])
    other = CachedEmbedder(HashingEmbedder(64), EmbeddingCache(None))
    other.encode(["x"])
    assert other.misses == 1 and len(cache) == 1


# -- guards --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("slot", "a", "b", "ok"),
    [
        ("constraint", "input size up to 1e4", "input size up to 1e5", False),
        ("constraint", "input size up to 1e4", "input size up to 1e4", True),
        ("constraint", "time-complexity-o-log-n", "time-complexity-o-n-log-n", False),
        ("constraint", "time-complexity-o-logn", "time-complexity-o-log-n", True),
        ("behavioral_constraint", "raises-valueerror", "raises-typeerror", False),
        ("library_api", "pandas.DataFrame.groupby", "pandas.dataframe.group_by", True),
        ("library_api", "numpy.random.rand", "numpy.random.randn", False),
        ("tool", "flight.search", "flights.search", False),
        ("tool", "hotel-booking-book", "hotel_booking.book", True),
        ("technique", "hash map", "hashmap", True),
    ],
)
def test_merge_guards(slot: str, a: str, b: str, ok: bool) -> None:
    assert merge_allowed(slot, a, b) is ok
    assert (guard_key(slot, a) == guard_key(slot, b)) is ok


# -- canonicalise --------------------------------------------------------------------------
def test_exact_duplicates_merge_into_the_more_frequent_atom() -> None:
    store = make_store("data_structure", {"hashmap": 1, "hash map": 3, "heap": 2})
    emb = TableEmbedder({"hashmap": 0.0, "hash map": 1.0, "heap": 90.0})
    report = canonicalise(store, emb, merge_threshold=0.99, similar_low=0.5)
    assert names_of(store) == ["hash map", "heap"]
    keep = next(a for a in store.iter_atoms() if a.name == "hash map")
    assert keep.aliases == ["hashmap"] and keep.frequency == 4
    assert [m.name for m in keep.merged_from] == ["hashmap"]
    assert keep.merged_from[0].method == "cosine:table"
    assert keep.merged_from[0].score == pytest.approx(math.cos(math.radians(1.0)), abs=1e-5)
    assert keep.embedding == pytest.approx(
        [math.cos(math.radians(1.0)), math.sin(math.radians(1.0)), 0.0], abs=1e-6
    )
    assert (report.atoms_before, report.atoms_after) == (3, 2)
    assert report.per_slot == {"algorithm/data_structure": {"before": 3, "after": 2}}
    assert report.similar_edges == 0 and list(store.iter_edges("SIMILAR")) == []


def test_frequency_ties_keep_the_smaller_id() -> None:
    store = make_store("technique", {"dp": 1, "dynamic programming": 1})
    canonicalise(
        store, TableEmbedder({"dp": 0.0, "dynamic programming": 0.5}), merge_threshold=0.99
    )
    assert [a.id for a in store.iter_atoms()] == ["algorithm/technique/a0"]


def test_chains_collapse_to_one_canonical_via_union_find() -> None:
    # a~b and b~c clear the threshold, a~c (cos 36 deg = 0.81) does not
    store = make_store("technique", {"a": 1, "b": 1, "c": 5, "far": 1})
    emb = TableEmbedder({"a": 0.0, "b": 18.0, "c": 36.0, "far": 120.0})
    report = canonicalise(store, emb, merge_threshold=0.95, similar_low=0.9)
    assert names_of(store) == ["c", "far"]
    assert sorted(m.name for m in report.merged) == ["a", "b"]
    keep = store.get_atom("algorithm/technique/a2")
    assert keep is not None and keep.frequency == 7 and keep.aliases == ["a", "b"]


def test_guards_block_merges_even_at_cosine_one() -> None:
    store = make_store("constraint", {"input size up to 1e4": 1, "input size up to 1e5": 1})
    emb = TableEmbedder({"input size up to 1e4": 0.0, "input size up to 1e5": 0.0})
    report = canonicalise(store, emb, merge_threshold=0.9, similar_low=0.5)
    assert report.merged == [] and len(names_of(store)) == 2

    api = make_store(
        "library_api", {"df.groupby": 1, "df.merge": 1, "DF.group_by": 1}, domain="data_science"
    )
    emb = TableEmbedder({"df.groupby": 0.0, "df.merge": 0.0, "DF.group_by": 40.0})
    canonicalise(api, emb, merge_threshold=0.9, similar_low=0.7)
    # equal API names merge at the SIMILAR floor; different ones never do
    assert names_of(api) == ["df.groupby", "df.merge"]


def test_similar_edges_cover_the_band_and_respect_k() -> None:
    angles = {"hub": 0.0, "n1": 30.0, "n2": 35.0, "n3": 40.0, "far": 100.0}
    store = make_store("scenario", dict.fromkeys(angles, 1))
    report = canonicalise(store, TableEmbedder(angles), merge_threshold=0.999, similar_low=0.7, k=2)
    edges = list(store.iter_edges("SIMILAR"))
    assert report.similar_edges == len(edges) > 0
    degree: dict[str, int] = {}
    for e in edges:
        assert 0.7 <= e.score < 0.999 and e.source == "table"
        degree[e.a] = degree.get(e.a, 0) + 1
        degree[e.b] = degree.get(e.b, 0) + 1
    assert max(degree.values()) <= 2
    assert "algorithm/scenario/a4" not in degree  # 'far' is outside the band


def test_canonicalise_stores_embeddings_and_is_deterministic() -> None:
    names = {
        "hash map": 2,
        "hashmap": 1,
        "hash maps": 1,
        "binary search": 3,
        "binary-search": 1,
        "heap": 2,
        "priority queue": 1,
        "n up to 1e4": 1,
        "n up to 1e5": 1,
    }

    def run() -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
        store = make_store("technique", names)
        emb = CachedEmbedder(HashingEmbedder(256), EmbeddingCache(None))
        report = canonicalise(store, emb, merge_threshold=0.7, similar_low=0.1)
        survivors = sum(1 for a in store.iter_atoms() if a.merged_from)
        # every name once, plus each survivor's merged text (its aliases grew)
        assert (report.cache_hits, report.cache_misses) == (0, len(names) + survivors)
        assert all(a.embedding is not None and len(a.embedding) == 256 for a in store.iter_atoms())
        again = canonicalise(store, emb, merge_threshold=0.7, similar_low=0.1)
        assert (again.cache_misses, again.merged) == (0, [])  # a fixed point
        merges = [(m.merged_id, m.name, m.score) for m in report.merged]
        edges = [(e.a, e.b, e.score) for e in store.iter_edges("SIMILAR")]
        return merges, sorted(edges)

    first = run()
    assert first == run()
    merged_names = {name for _, name, _ in first[0]}
    assert {"hashmap", "binary-search"} <= merged_names
    assert not merged_names & {"n up to 1e4", "n up to 1e5"}


def test_reingest_after_merge_feeds_the_canonical_atom() -> None:
    from adr_graph.ingest import ingest, merged_ids
    from adr_graph.records import AtomCandidate, Seed
    from adr_graph.schema import load_schemas

    store = EmbeddedStore(None)
    schemas = load_schemas()

    def extractor(seed: Seed, _schema: object) -> list[AtomCandidate]:
        names = ["hashmap", "hash map"] if seed.id == "s1" else ["hashmap"]
        return [AtomCandidate(slot="data_structure", name=n, extractor="t") for n in names]

    seeds = [
        Seed(id=s, domain="algorithm", statement="x", source="t", license="MIT")
        for s in ("s1", "s2")
    ]
    ingest(seeds, store, schemas, extractor)
    emb = TableEmbedder({"hashmap": 0.0, "hash-map": 1.0})
    emb = CachedEmbedder(emb, EmbeddingCache(None))  # type: ignore[arg-type]
    canonicalise(store, emb, merge_threshold=0.99, similar_low=0.5)
    (kept,) = store.iter_atoms()
    assert merged_ids(store) == {"algorithm/data_structure/hash-map": kept.id}
    # the same corpus again: no duplicate comes back, memberships stay on the survivor
    ingest(seeds, store, schemas, extractor)
    assert [a.id for a in store.iter_atoms()] == [kept.id]
    assert store.seed_atoms("s1") == [kept.id] and store.get_atom(kept.id).frequency == 2  # type: ignore[union-attr]
    report = canonicalise(store, emb, merge_threshold=0.99, similar_low=0.5)
    assert report.cache_misses == 0  # the survivor's merged text was embedded last time
    assert report.merged == [] and len(store.get_atom(kept.id).merged_from) == 1  # type: ignore[union-attr]


def test_the_embedder_table_names_what_the_embedders_record() -> None:
    from adr_graph.embed import EMBEDDER_KINDS, HashingEmbedder, SentenceTransformerEmbedder

    hashing = HashingEmbedder()
    assert EMBEDDER_KINDS["hashing"] == (hashing.name, hashing.dim)
    assert EMBEDDER_KINDS["minilm"][0] == SentenceTransformerEmbedder.name
