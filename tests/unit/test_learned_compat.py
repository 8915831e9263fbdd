"""The learned compatibility model (issue 14, part 1): fitted by held-out link prediction on
inner seed splits, it ranks pairs that later meet above pairs that do not; the sampler scores
with it, caches it per store content and says when it refits."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from adr_graph.sample import compatibility_summary, model_from_store, sample_sets
from adr_graph.sample.features import FEATURES, PairFeatures, candidate_pairs
from adr_graph.sample.learned import LearnedCompatibility, cached_learned_table, learned_table
from adr_graph.schema import load_schemas
from tests.unit.test_cli import run_cli
from tests.unit.test_sampler import planted_store

pytest.importorskip("sklearn")


def _planted(n_seeds: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Two communities over 3 slots x 8 atoms: seeds draw each slot's atom from their own
    community, so pairs across communities never meet and pairs inside do, sooner or later."""
    rng = np.random.default_rng(seed)
    slots = np.array([s for s in ("t", "d", "c") for _ in range(8)], dtype=object)
    rows = np.zeros((n_seeds, 24))
    for r in range(n_seeds):
        community = r % 2
        for k in range(3):
            rows[r, k * 8 + community * 4 + rng.integers(0, 4)] = 1
    return sp.csr_matrix(rows), slots, np.array(["d"] * 24, dtype=object)


def test_it_ranks_pairs_that_meet_later_first() -> None:
    from sklearn.metrics import roc_auc_score

    inc, slots, domains = _planted(200, seed=0)
    train, held = inc[:60], inc[60:]  # few training seeds: some pairs not met yet
    model = LearnedCompatibility(seed=0).fit(train, slots, domains)
    feats = PairFeatures.from_incidence(train, slots)
    i, j = candidate_pairs(feats.adjacency, slots, np.arange(24), feats.frequency)
    later = (held.T @ held).toarray()
    y = later[i, j] > 0
    assert y.any() and (~y).any()
    p = model.predict(feats, i, j, "d")
    assert ((p >= 0) & (p <= 1)).all()
    assert roc_auc_score(y, p) > 0.95  # the cross-community pairs rank last


def test_features_have_their_documented_shape_and_unseen_domains_score_zero() -> None:
    inc, slots, domains = _planted(40, seed=1)
    feats = PairFeatures.from_incidence(inc, slots)
    assert feats.matrix(np.array([0, 1]), np.array([8, 9])).shape == (2, len(FEATURES))
    model = LearnedCompatibility().fit(inc, slots, domains)
    assert model.predict(feats, np.array([0]), np.array([8]), "other").tolist() == [0.0]


def test_the_fitted_table_is_cached_per_store_content_and_refits_when_it_changes(
    tmp_path: Path,
) -> None:
    inc, slots, domains = _planted(60, seed=0)
    ids = [f"d/{s}/{k}" for k, s in enumerate(slots)]
    first = cached_learned_table(tmp_path, inc, ids, slots, domains)
    assert first.refit and first.domains == ("d",) and len(list(tmp_path.glob("*.npz"))) == 1
    again = cached_learned_table(tmp_path, inc, ids, slots, domains)
    assert not again.refit and again.key == first.key
    assert np.array_equal(again.probability.values, first.probability.values)
    assert np.array_equal(again.probability.keys, first.probability.keys)
    grown = sp.vstack([inc, inc[:1]]).tocsr()  # one more seed: other content, other key
    third = cached_learned_table(tmp_path, grown, ids, slots, domains)
    assert third.refit and third.key != first.key
    assert len(list(tmp_path.glob("*.npz"))) == 2 and not list(tmp_path.glob("*.tmp"))


def test_the_store_model_scores_with_the_learned_table_and_keeps_the_hand_baseline(
    tmp_path: Path,
) -> None:
    store = planted_store(n_seeds=120)
    learned = model_from_store(store, cache_dir=tmp_path)
    hand = model_from_store(store, compatibility="hand")
    assert learned.learned is not None and hand.learned is None
    assert compatibility_summary(learned)["kind"] == "learned"
    assert compatibility_summary(hand)["kind"] == "hand"
    i, j = np.triu_indices(len(learned.atom_ids), 1)
    assert np.allclose(hand.compatibility(i, j), learned.hand_compatibility(i, j))
    assert not np.allclose(learned.compatibility(i, j), learned.hand_compatibility(i, j))
    unseen = (learned.cooccurrence(i, j) == 0) & (learned.slots[i] != learned.slots[j])
    # cross-community pairs (never seen, few shared neighbours) rank below the unseen pairs
    # inside a community
    community = np.array([int(a.rsplit("/", 1)[1][3:]) >= 6 for a in learned.atom_ids])
    inside = unseen & (community[i] == community[j])
    across = unseen & (community[i] != community[j])
    score = learned.compatibility(i, j)
    assert inside.any() and score[inside].mean() > score[across].mean() + 0.3
    sets = sample_sets(learned, load_schemas()["algorithm"], 3, seed=0)
    reasons = [r for s in sets for pair in s.score.pairs for r in pair.reasons]
    assert any(r.startswith("learned probability of meeting") for r in reasons)
    with pytest.raises(ValueError, match="compatibility must be one of"):
        model_from_store(store, compatibility="magic")


def test_sample_reports_a_refit_once_then_loads_the_cached_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    planted_store(tmp_path / "store", n_seeds=120).commit()
    args = ["sample", "-n", "3", "--domain", "algorithm", "--store", str(tmp_path / "store")]
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0 and "fitted the learned compatibility model" in err
    model = json.loads(out)["compatibility_model"]
    assert model["kind"] == "learned" and model["refit"] is True
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0 and "fitted the learned" not in err
    assert json.loads(out)["compatibility_model"]["refit"] is False
    code, out, _ = run_cli(capsys, *args, "--json", "--compatibility", "hand")
    assert code == 0 and json.loads(out)["compatibility_model"]["kind"] == "hand"
    code, _, err = run_cli(capsys, *args, "--compatibility", "magic")
    assert code != 0 and "--compatibility" in err


def test_a_domain_too_large_to_tabulate_keeps_the_hand_score(
    caplog: pytest.LogCaptureFixture,
) -> None:
    inc, slots, domains = _planted(60, seed=0)
    assert learned_table(inc, slots, domains).domains == ("d",)
    with caplog.at_level("WARNING"):
        table = learned_table(inc, slots, domains, max_pairs=10)
    assert table.domains == () and len(table.probability) == 0
    assert "keeps the hand-weighted score" in caplog.text
