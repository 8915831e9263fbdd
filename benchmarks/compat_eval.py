"""Held-out link prediction on the real store: is "compatible" what the data supports?

Seeds are split 80/20 ``--splits`` times. Candidates are the cross-slot pairs of a domain,
both atoms seen in the training 80 %, that never co-occur there; positives are those that
co-occur in the held-out 20 %. Per domain, the AUC (mean and standard deviation over splits) of:

- ``learned``: :class:`adr_graph.sample.learned.LearnedCompatibility`, fitted on inner
  splits of the training seeds only (never on the evaluation part), without the hierarchy;
- ``learned_hierarchy``: the same, with the parent-group features (co-occurrence and lift
  of the atoms' hierarchy groups), as ``sample`` fits it on a store with a hierarchy;
- ``hand_weighted``: today's ``PairModel.compatibility`` on the training seeds (without the
  derived INCOMPATIBLE edges, which are computed from every seed and would leak);
- ``adamic_adar``, ``popularity`` (``f_a f_b``) and ``embedding_cosine``, the baselines
  computed on the same candidates in the same run.

Then, on the whole store and the sampler's own model (learned score, derived vetoes):

- ``contradictions``: of the pairs independence expects at least 5 times that never meet
  (and the slot-rule pairs), the share called compatible, by the learned score alone and by
  the sampler's model;
- ``novelty_sets``: over ``--sets`` novelty sets per domain, the share with a pair below the
  threshold, the duplicates, and the never-seen-pair share.

Prints one JSON line. Usage::

    python benchmarks/compat_eval.py [--store .adr-graph/store] [--splits 5]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from adr_graph.hierarchy.grain import parent_groups
from adr_graph.reports.coverage import coverage_report
from adr_graph.sample import (
    PairModel,
    PairTable,
    SampleStats,
    model_from_store,
    sample_sets,
    split_seeds,
)
from adr_graph.sample.features import PairFeatures, candidate_pairs, pair_values, parent_codes
from adr_graph.sample.learned import LearnedCompatibility
from adr_graph.sample.negative import negative_evidence
from adr_graph.schema import load_schemas
from adr_graph.store import open_store

MAX_NEGATIVES = 100_000


def _auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score))


def _without_derived_vetoes(model: PairModel, store: object) -> PairModel:
    """The model with only hand-made INCOMPATIBLE edges: the derived ones (``negative:*``)
    come from every seed, held-out ones included, and would leak the answer."""
    kept = [
        (model.index[e.a], model.index[e.b])
        for e in store.iter_edges("INCOMPATIBLE")  # type: ignore[attr-defined]
        if not e.source.startswith("negative:") and e.a in model.index and e.b in model.index
    ]
    n = len(model.atom_ids)
    i = np.array([p[0] for p in kept], np.int64)
    j = np.array([p[1] for p in kept], np.int64)
    return replace(model, incompatible=PairTable.from_pairs(n, i, j, np.ones(len(kept))))


def one_split(
    store, proj, slots, domains, embeddings, groups, seed: int, parents=None
) -> dict[str, dict[str, float]]:
    train, held = split_seeds(proj.n_seeds, 0.2, seed=seed)
    inc = sp.csr_matrix(proj.incidence)
    feats = PairFeatures.from_incidence(inc[train], slots, embeddings, groups[train])
    later = sp.csr_matrix(inc[held].T @ inc[held])
    learned = LearnedCompatibility(seed=seed).fit(
        inc[train], slots, domains, embeddings, groups[train]
    )
    feats_h = learned_h = None
    if parents is not None:  # the same model with the hierarchy's parent-group features
        feats_h = PairFeatures.from_incidence(
            inc[train], slots, embeddings, groups[train], parents=parents
        )
        learned_h = LearnedCompatibility(seed=seed).fit(
            inc[train], slots, domains, embeddings, groups[train], parents=parents
        )
    hand = model_from_store(store, seed_rows=train, compatibility="hand")
    old = _without_derived_vetoes(hand, store)
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, float]] = {}
    for domain in sorted(set(domains.tolist())):
        members = np.flatnonzero(domains == domain)
        i, j = candidate_pairs(feats.adjacency, slots, members, feats.frequency)
        y = pair_values(later, i, j) > 0
        neg = np.flatnonzero(~y)
        if len(neg) > MAX_NEGATIVES:  # AUC is unbiased under random subsampling of negatives
            keep = np.sort(
                np.concatenate([np.flatnonzero(y), rng.choice(neg, MAX_NEGATIVES, False)])
            )
            i, j, y = i[keep], j[keep], y[keep]
        matrix = feats.matrix(i, j)
        scores = {
            "learned": learned.predict(feats, i, j, domain),
            "hand_weighted": old.hand_compatibility(i, j),
            "adamic_adar": matrix[:, 0],
            "popularity": matrix[:, 4],
            "embedding_cosine": matrix[:, 8],
        }
        if learned_h is not None:
            scores["learned_hierarchy"] = learned_h.predict(feats_h, i, j, domain)
        out[domain] = {k: _auc(y, v) for k, v in scores.items()}
        out[domain]["positives"] = int(y.sum())
    return out


def contradictions(store, proj, slots, domains, model: PairModel) -> dict[str, dict[str, object]]:
    """Share of the never-together and slot-rule pairs called compatible, per domain."""
    edges = negative_evidence(proj.incidence, proj.atom_ids, slots.tolist(), domains.tolist())
    out: dict[str, dict[str, object]] = {}
    threshold = model.weights.threshold
    unvetoed = replace(model, incompatible=PairTable(len(proj.atom_ids), np.zeros(0), np.zeros(0)))
    for domain in sorted(set(domains.tolist())):
        pairs = [
            (model.index[e.a], model.index[e.b]) for e in edges if e.a.startswith(domain + "/")
        ]
        if not pairs:
            continue
        i, j = np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])
        out[domain] = {
            "pairs": len(pairs),
            "learned_score_alone": round(
                float((unvetoed.compatibility(i, j) >= threshold).mean()), 4
            ),
            "hand_weighted_alone": round(
                float((unvetoed.hand_compatibility(i, j) >= threshold).mean()), 4
            ),
            "sampler": round(float((model.compatibility(i, j) >= threshold).mean()), 4),
        }
    return out


def novelty_sets(model: PairModel, n: int) -> dict[str, dict[str, object]]:
    """Over ``n`` novelty sets per domain: below-threshold, duplicates, never-seen share."""
    out: dict[str, dict[str, object]] = {}
    for domain, schema in sorted(load_schemas().items()):
        if domain not in set(model.domains.tolist()):
            continue
        stats = SampleStats()
        sets = sample_sets(model, schema, n, strategy="novelty", seed=0, stats=stats)
        keys = {frozenset(a.id for a in s.atoms) for s in sets}
        below = sum(s.score.min_compatibility < model.weights.threshold for s in sets)
        out[domain] = {
            "sets": len(sets),
            "below_threshold": int(below),
            "duplicates": len(sets) - len(keys),
            "never_seen_pair_share": round(coverage_report(sets, model).never_seen_pair_share, 4),
            "dropped_below_threshold": stats.below_threshold,
        }
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=".adr-graph/store")
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--sets", type=int, default=300)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with open_store(args.store) as store:
        proj = store.projection()
        atoms = {a.id: a for a in store.iter_atoms()}
        ordered = [atoms[a] for a in proj.atom_ids]
        slots = np.asarray([a.slot for a in ordered], dtype=object)
        domains = np.asarray([a.domain for a in ordered], dtype=object)
        vectors = [a.embedding for a in ordered]
        embeddings = (
            np.asarray(vectors, dtype=np.float64) if all(v is not None for v in vectors) else None
        )
        source = {m.seed_id: m.source for m in store.iter_memberships()}
        groups = np.array([source.get(s, "") for s in proj.seed_ids], dtype=object)
        parent = parent_groups(store)
        parents = parent_codes(proj.atom_ids, parent) if parent else None
        runs = [
            one_split(store, proj, slots, domains, embeddings, groups, s, parents)
            for s in range(args.splits)
        ]
        model = model_from_store(store)
        contra = contradictions(store, proj, slots, domains, model)
        novelty = novelty_sets(model, args.sets)
    table: dict[str, dict[str, object]] = {}
    for domain in runs[0]:
        table[domain] = {
            name: {
                "mean": round(float(np.mean([r[domain][name] for r in runs])), 3),
                "std": round(float(np.std([r[domain][name] for r in runs])), 3),
            }
            for name in runs[0][domain]
            if name != "positives"
        }
        table[domain]["positives_per_split"] = float(
            np.mean([r[domain]["positives"] for r in runs])
        )
        best = max(table[domain][k]["mean"] for k in ("adamic_adar", "popularity"))  # type: ignore[index]
        table[domain]["target"] = round(best + 0.03, 3)
    report = {
        "benchmark": "compat_eval",
        "store": args.store,
        "splits": args.splits,
        "auc": table,
        "contradiction_acceptance": contra,
        "novelty_sets": novelty,
        "threshold": model.weights.threshold,
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
