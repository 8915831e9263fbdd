"""Sampler evaluation on the real-corpus graph: novelty vs the two baselines.

Builds the pair model from a random 80% of the seeds, samples ``--sets`` sets per
strategy for every domain, and prints one JSON line: per strategy the mean novelty and
compatibility, the share of sets holding a pair never seen in (training) seeds, pair and
atom coverage, usage entropy and set diversity; the ratio of each ``novelty`` figure
against ``random`` and ``cooccur-walk``; and the held-out check: of the sampled pairs
absent from the training seeds, how many the model calls compatible and how often such
pairs do co-occur in the held-out 20% (compatibility precision), versus the same rate for
pairs that ``random`` samples.

The detailed figures come from the first split; the held-out comparison is repeated on
``--splits`` random splits (default 3) and averaged, since held-out co-occurrences of
unseen pairs are rare (a few per hundred).

Usage: python benchmarks/sampler_eval.py [--store .adr-graph/store] [--sets 1000]
(run ``adr-graph run`` first to build the store).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from adr_graph.records import AtomSet
from adr_graph.reports.coverage import coverage_report
from adr_graph.sample import PairModel, model_from_store, sample_sets, split_seeds
from adr_graph.sample.model import PairTable
from adr_graph.schema import load_schemas
from adr_graph.store import EmbeddedStore

__all__ = ["heldout_precision", "main"]

STRATEGIES = ("novelty", "random", "cooccur-walk")
FIGURES = (
    "novelty_mean",
    "compatibility_mean",
    "never_seen_pair_share",
    "pair_coverage",
    "atom_coverage",
    "atom_usage_entropy",
    "mean_jaccard_distance",
)


def _pairs(model: PairModel, sets: list[AtomSet]) -> tuple[np.ndarray, np.ndarray]:
    i, j = [], []
    for s in sets:
        ids = sorted(model.index[a.id] for a in s.atoms)
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                i.append(ids[x])
                j.append(ids[y])
    return np.array(i, np.int64), np.array(j, np.int64)


def heldout_precision(model: PairModel, held: PairTable, sets: list[AtomSet]) -> dict[str, float]:
    """Among sampled pairs unseen in training: compatible share, and how often those
    compatible (resp. all unseen) pairs co-occur in the held-out seeds."""
    i, j = _pairs(model, sets)
    unseen = model.cooccurrence(i, j) == 0
    i, j = i[unseen], j[unseen]
    compatible = model.compatibility(i, j) >= model.weights.threshold
    in_held = held.lookup(i, j) > 0
    return {
        "unseen_pairs": len(i),
        "compatible_share": float(compatible.mean()) if len(i) else 0.0,
        "compatible_precision": float(in_held[compatible].mean()) if compatible.any() else 0.0,
        "unseen_heldout_rate": float(in_held.mean()) if len(i) else 0.0,
    }


def _evaluate(
    store: EmbeddedStore, sets_total: int, holdout: float, seed: int
) -> tuple[dict[str, dict[str, object]], int, int]:
    """All three strategies on one train/held-out split."""
    proj = store.projection()
    train, held_rows = split_seeds(proj.n_seeds, holdout, seed=seed)
    model = model_from_store(store, seed_rows=train)
    held_counts = sp.csr_matrix(proj.incidence[held_rows].T @ proj.incidence[held_rows])
    held = PairTable.from_matrix(held_counts)
    schemas = load_schemas()
    per_domain = max(1, sets_total // len(schemas))
    results: dict[str, dict[str, object]] = {}
    for strategy in STRATEGIES:
        start = time.perf_counter()
        sets: list[AtomSet] = []
        for domain in sorted(schemas):
            sets += sample_sets(model, schemas[domain], per_domain, strategy=strategy, seed=seed)
        seconds = time.perf_counter() - start
        cov = coverage_report(sets, model)
        results[strategy] = {
            **{k: round(float(getattr(cov, k)), 4) for k in FIGURES},
            "sets": len(sets),
            "sets_per_s": round(len(sets) / seconds, 1),
            "heldout": {k: round(v, 4) for k, v in heldout_precision(model, held, sets).items()},
        }
    return results, len(train), len(held_rows)


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path(".adr-graph/store"))
    parser.add_argument("--sets", type=int, default=1000)
    parser.add_argument("--holdout", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--splits", type=int, default=3, help="held-out splits to average")
    args = parser.parse_args(argv)

    store = EmbeddedStore(args.store)
    splits = [
        _evaluate(store, args.sets, args.holdout, args.seed + 100 * r) for r in range(args.splits)
    ]
    results, n_train, n_held = splits[0]
    ratios = {
        base: {
            k: round(float(results["novelty"][k]) / max(float(results[base][k]), 1e-9), 3)
            for k in FIGURES
        }
        for base in ("random", "cooccur-walk")
    }

    def held(split: dict[str, dict[str, object]], strategy: str, key: str) -> float:
        return float(split[strategy]["heldout"][key])  # type: ignore[index]

    novelty_prec = [held(r, "novelty", "compatible_precision") for r, _, _ in splits]
    random_rate = [held(r, "random", "unseen_heldout_rate") for r, _, _ in splits]
    report: dict[str, object] = {
        "benchmark": "sampler_eval",
        "store": str(args.store),
        "seeds_train": n_train,
        "seeds_heldout": n_held,
        "results": results,
        "novelty_over": ratios,
        "heldout_splits": args.splits,
        "novelty_compatible_precision": [round(x, 4) for x in novelty_prec],
        "random_unseen_heldout_rate": [round(x, 4) for x in random_rate],
        "heldout_precision_ratio_mean": round(
            float(np.mean(novelty_prec)) / max(float(np.mean(random_rate)), 1e-9), 3
        ),
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
