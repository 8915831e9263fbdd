"""The learned compatibility model (issue 14, part 1, first cut): fitted by held-out link
prediction on inner seed splits, it ranks pairs that later meet above pairs that do not."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from adr_graph.sample.features import FEATURES, PairFeatures, candidate_pairs
from adr_graph.sample.learned import LearnedCompatibility

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
