"""The batched novelty search and the fast paths it scores with: each must give what the
plain path gives."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from adr_graph.sample import PairModel, PairTable, SampleStats, sample_sets, score_sets, walk
from adr_graph.sample.search import ObjectiveWeights, explain, explain_sets
from adr_graph.sample.walk import novelty_sets, softmax_picks
from adr_graph.schema import load_schemas

SCHEMA = load_schemas()["algorithm"]
SLOTS = ["technique", "data_structure", "scenario", "constraint", "io_format"]


def random_model(n_atoms: int = 600, n_seeds: int = 900, per_seed: int = 5) -> PairModel:
    """A skewed random graph: a few hubs, many rare atoms, five slots."""
    rng = np.random.default_rng(0)
    weights = 1.0 / np.arange(1, n_atoms + 1) ** 0.7
    cols = rng.choice(n_atoms, size=n_seeds * per_seed, p=weights / weights.sum())
    rows = np.repeat(np.arange(n_seeds), per_seed)
    inc = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_seeds, n_atoms))
    inc.data[:] = 1.0
    ids = [f"algorithm/{SLOTS[i % 5]}/a{i}" for i in range(n_atoms)]
    slots = [SLOTS[i % 5] for i in range(n_atoms)]
    return PairModel.from_incidence(inc, ids, slots, ["algorithm"] * n_atoms)


@pytest.fixture(scope="module")
def model() -> PairModel:
    return random_model()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 60))
def test_the_sparse_lookup_agrees_with_the_sorted_one(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, 300), rng.integers(0, n, 300)  # self-pairs included
    table = PairTable.from_pairs(n, i, j, rng.random(300))
    qi, qj = rng.integers(0, n, 2_000), rng.integers(0, n, 2_000)
    step = PairTable.SPARSE_LOOKUP // 2  # below the threshold: the sorted keys
    small = [table.lookup(qi[x : x + step], qj[x : x + step]) for x in range(0, 2_000, step)]
    np.testing.assert_array_equal(table.lookup(qi, qj), np.concatenate(small))
    grid = table.lookup(qi.reshape(40, 50), qj.reshape(40, 50))
    np.testing.assert_array_equal(grid.ravel(), table.lookup(qi, qj))


def test_precomputed_counts_change_nothing(model: PairModel) -> None:
    rng = np.random.default_rng(2)
    i, j = rng.integers(0, 600, 5_000), rng.integers(0, 600, 5_000)
    counts = model.cooccurrence(i, j)
    np.testing.assert_array_equal(model.novelty(i, j, counts), model.novelty(i, j))
    np.testing.assert_array_equal(
        model.compatibility(i, j, counts=counts), model.compatibility(i, j)
    )


def test_explaining_many_sets_equals_explaining_each(model: PairModel) -> None:
    members = [np.flatnonzero(model.slots == s) for s in SLOTS]
    rng = np.random.default_rng(3)
    sets = np.stack([rng.choice(m, 40) for m in members], axis=1)
    w = ObjectiveWeights()
    together = explain_sets(model, sets, w)
    assert [b.model_dump() for b in together] == [explain(model, s, w).model_dump() for s in sets]
    totals = score_sets(model, sets, w).total
    assert [b.total for b in together] == pytest.approx(totals.tolist(), abs=1e-6)


def test_the_walk_fills_every_slot_with_its_own_atoms(model: PairModel) -> None:
    members = {s: np.flatnonzero(model.slots == s) for s in SLOTS}
    w = ObjectiveWeights(pool=16)  # slots of 120 atoms: pools of walk ends and draws
    sets = novelty_sets(model, members, SLOTS, np.zeros(600), w, np.random.default_rng(4), 300)
    assert sets.shape == (300, 5)
    for col, slot in enumerate(SLOTS):
        assert np.isin(sets[:, col], members[slot]).all()
    again = novelty_sets(model, members, SLOTS, np.zeros(600), w, np.random.default_rng(4), 300)
    np.testing.assert_array_equal(sets, again)


def test_small_and_large_slots_grow_in_one_step(model: PairModel) -> None:
    members = {s: np.flatnonzero(model.slots == s) for s in SLOTS}
    members["scenario"] = members["scenario"][:3]  # whole slot, padded to the pool width
    w = ObjectiveWeights(pool=16)
    sets = novelty_sets(model, members, SLOTS, np.zeros(600), w, np.random.default_rng(8), 300)
    for col, slot in enumerate(SLOTS):
        assert np.isin(sets[:, col], members[slot]).all()
    assert set(sets[:, 2].tolist()) == set(members["scenario"].tolist())
    assert len(set(sets[:, 0].tolist())) > 50  # the large slots still spread


def test_the_walk_prefers_compatible_unseen_sets_over_chance(model: PairModel) -> None:
    stats = SampleStats()
    novel = sample_sets(model, SCHEMA, 200, seed=5, stats=stats)
    chance = sample_sets(model, SCHEMA, 200, strategy="random", seed=5)
    assert stats.made == 200
    assert len({frozenset(a.id for a in s.atoms) for s in novel}) == 200
    assert all(s.score.min_compatibility >= model.weights.threshold for s in novel)
    mean = np.mean([s.score.compatibility for s in novel])
    assert mean > np.mean([s.score.compatibility for s in chance]) + 0.1
    assert all(any(p.cooccurrence == 0 for p in s.score.pairs) for s in novel)


def test_a_slot_drawn_twice_never_repeats_an_atom(model: PairModel) -> None:
    members = {s: np.flatnonzero(model.slots == s) for s in SLOTS}
    template = ["technique", "technique", "scenario"]
    sets = novelty_sets(
        model,
        members,
        template,
        np.zeros(600),
        ObjectiveWeights(pool=8),
        np.random.default_rng(6),
        200,
    )
    assert (sets[:, 0] != sets[:, 1]).all()


def test_softmax_picks_follow_the_scores() -> None:
    rng = np.random.default_rng(7)
    scores = np.tile(np.array([0.0, 1.0, 0.9, -5.0]), (4_000, 1))
    picks = softmax_picks(scores, 2, 0.1, rng)
    share = np.bincount(picks, minlength=4) / len(picks)
    # top two only, in the ratio exp(0.1 / 0.1) = e
    assert share[0] == share[3] == 0
    assert share[1] / share[2] == pytest.approx(np.e, rel=0.1)


def test_later_waves_avoid_the_atoms_earlier_ones_used(
    model: PairModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = {s: np.flatnonzero(model.slots == s) for s in SLOTS}
    w = ObjectiveWeights(pool=16, diversity=3.0)

    def spread(wave: int) -> int:
        monkeypatch.setattr(walk, "WAVE", wave)
        rng = np.random.default_rng(8)
        sets = novelty_sets(model, members, SLOTS, np.zeros(600), w, rng, 240)
        return len(np.unique(sets))

    assert spread(8) > spread(240) * 1.1
