"""Held-out link prediction on the real store: is "compatible" what the data supports?

Seeds are split 80/20 ``--splits`` times. Candidates are the cross-slot pairs of a domain,
both atoms seen in the training 80 %, that never co-occur there; positives are those that
co-occur in the held-out 20 %. Per domain, the AUC (mean and standard deviation over splits) of:

- ``learned``: :class:`adr_graph.sample.learned.LearnedCompatibility`, fitted on an inner
  split of the training seeds only (never on the evaluation part);
- ``hand_weighted``: today's ``PairModel.compatibility`` on the training seeds (without the
  derived INCOMPATIBLE edges, which are computed from every seed and would leak);
- ``adamic_adar``, ``popularity`` (``f_a f_b``) and ``embedding_cosine``, the baselines
  computed on the same candidates in the same run.

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

from adr_graph.sample import PairModel, PairTable, model_from_store, split_seeds
from adr_graph.sample.learned import LearnedCompatibility, PairFeatures, candidate_pairs
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


def one_split(store, proj, slots, domains, embeddings, seed: int) -> dict[str, dict[str, float]]:
    train, held = split_seeds(proj.n_seeds, 0.2, seed=seed)
    inc = sp.csr_matrix(proj.incidence)
    feats = PairFeatures.from_incidence(inc[train], slots, embeddings)
    later = sp.csr_matrix(inc[held].T @ inc[held])
    learned = LearnedCompatibility(seed=seed).fit(inc[train], slots, domains, embeddings)
    old = _without_derived_vetoes(model_from_store(store, seed_rows=train), store)
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, float]] = {}
    for domain in sorted(set(domains.tolist())):
        members = np.flatnonzero(domains == domain)
        i, j = candidate_pairs(feats.adjacency, slots, members, feats.frequency)
        y = np.asarray(later[i, j]).ravel() > 0
        neg = np.flatnonzero(~y)
        if len(neg) > MAX_NEGATIVES:  # AUC is unbiased under random subsampling of negatives
            keep = np.sort(
                np.concatenate([np.flatnonzero(y), rng.choice(neg, MAX_NEGATIVES, False)])
            )
            i, j, y = i[keep], j[keep], y[keep]
        matrix = feats.matrix(i, j)
        scores = {
            "learned": learned.predict(feats, i, j, domain),
            "hand_weighted": old.compatibility(i, j),
            "adamic_adar": matrix[:, 0],
            "popularity": matrix[:, 4],
            "embedding_cosine": matrix[:, 8],
        }
        out[domain] = {k: _auc(y, v) for k, v in scores.items()}
        out[domain]["positives"] = int(y.sum())
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=".adr-graph/store")
    parser.add_argument("--splits", type=int, default=5)
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
        runs = [one_split(store, proj, slots, domains, embeddings, s) for s in range(args.splits)]
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
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
