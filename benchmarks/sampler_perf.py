"""Sampler scoring throughput on a synthetic graph, against a naive networkx scorer.

Graph: ``--atoms`` atoms (default 50k) in the five algorithm slots and enough seeds of
8 atoms to give about ``--pairs`` (default 2M) distinct co-occurring pairs. Scores
``--sets`` random 5-slot sets with the vectorised :func:`score_sets` (novelty,
calibrated compatibility, diversity, per-set feasibility), then a sample of them with a
naive scorer that walks networkx adjacency dicts pair by pair (same formulas), checks
both agree. Then times the search, ``sample_sets(strategy="novelty")``, batched as
shipped (many sets per numpy pass) and, as the same-run baseline, one set per pass.
Prints one JSON line: scored sets/s of each scorer and their ratio, search sets/s of
each search and their ratio, and the issue's targets. Runs on one core (BLAS threads
pinned to 1 before numpy loads); each timing is the best of ``--repeats``.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
from bisect import bisect_right  # noqa: E402

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import adr_graph.sample.sets as sets_module  # noqa: E402
from adr_graph.sample import PairModel, sample_sets, score_sets, slot_template  # noqa: E402
from adr_graph.schema import load_schemas  # noqa: E402

__all__ = ["main", "naive_scores", "synthetic_model"]

SLOTS = ["technique", "data_structure", "scenario", "constraint", "io_format"]


def synthetic_model(n_atoms: int, n_pairs: int, per_seed: int = 8, seed: int = 0) -> PairModel:
    rng = np.random.default_rng(seed)
    n_seeds = int(n_pairs / (per_seed * (per_seed - 1) / 2) * 1.05)
    weights = 1.0 / np.arange(1, n_atoms + 1) ** 0.5
    weights /= weights.sum()
    rows = np.repeat(np.arange(n_seeds), per_seed)
    cols = rng.choice(n_atoms, size=n_seeds * per_seed, p=weights)
    inc = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_seeds, n_atoms))
    inc.data[:] = 1.0
    ids = [f"algorithm/{SLOTS[i % 5]}/a{i}" for i in range(n_atoms)]
    return PairModel.from_incidence(
        inc, ids, [SLOTS[i % 5] for i in range(n_atoms)], ["algorithm"] * n_atoms
    )


def _graph(model: PairModel) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(range(len(model.atom_ids)))
    lo, hi = np.divmod(model.cooccur.keys, model.cooccur.n)
    graph.add_weighted_edges_from(
        zip(lo.tolist(), hi.tolist(), model.cooccur.values.tolist(), strict=True), weight="count"
    )
    return graph


def naive_scores(model: PairModel, graph: nx.Graph, sets: np.ndarray) -> np.ndarray:
    """Total score per set, pair by pair over networkx dicts (no numpy in the loop)."""
    w, alpha = model.weights, model.weights.smoothing
    max_nov = math.log((model.n_seeds + alpha) / alpha)
    nbr_ref, pop_ref = (list(x) for x in model.calibration["algorithm"][:2])
    totals = []
    for row in sets.tolist():
        nov_sum = comp_sum = 0.0
        comp_min = 1.0
        n_pairs = 0
        for x in range(len(row)):
            for y in range(x + 1, len(row)):
                a, b = row[x], row[y]
                count = graph[a][b]["count"] if graph.has_edge(a, b) else 0.0
                nov = math.log((model.n_seeds + alpha) / (count + alpha)) / max_nov
                na, nb = set(graph[a]), set(graph[b])
                cos = len(na & nb) / math.sqrt(len(na) * len(nb)) if na and nb else 0.0
                pop = math.log1p(model.frequency[a] * model.frequency[b])
                comp = w.neighbours * bisect_right(nbr_ref, cos) / len(
                    nbr_ref
                ) + w.popularity * bisect_right(pop_ref, pop) / len(pop_ref)
                comp = 1.0 if count > 0 else min(comp, 1.0)
                nov_sum += nov
                comp_sum += comp
                comp_min = min(comp_min, comp)
                n_pairs += 1
        div = 1.0  # no history: every atom and pair is unused
        total = nov_sum / n_pairs + 1.5 * comp_sum / n_pairs + 0.3 * div
        totals.append(total if comp_min >= w.threshold else total - 1.0)
    return np.array(totals)


def _best(repeats: int, call: object) -> float:
    """Fastest of ``repeats`` timed calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def _search_rate(model: PairModel, n: int, repeats: int, batch: int) -> float:
    schema = load_schemas()["algorithm"]
    assert slot_template(schema) == SLOTS
    shipped, sets_module.BATCH = sets_module.BATCH, batch
    try:
        return n / _best(repeats, lambda: sample_sets(model, schema, n, seed=0))
    finally:
        sets_module.BATCH = shipped


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--atoms", type=int, default=50_000)
    parser.add_argument("--pairs", type=int, default=2_000_000)
    parser.add_argument("--sets", type=int, default=20_000)
    parser.add_argument("--naive-sets", type=int, default=300)
    parser.add_argument("--search-sets", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model = synthetic_model(args.atoms, args.pairs)
    build_s = time.perf_counter() - start
    rng = np.random.default_rng(1)
    members = [np.flatnonzero(model.slots == s) for s in SLOTS]
    sets = np.stack([rng.choice(m, args.sets) for m in members], axis=1)

    score_sets(model, sets[:1_000])  # first use builds the lookup tables
    fast_s = _best(args.repeats, lambda: score_sets(model, sets))
    fast = score_sets(model, sets).total
    # the searches run before the naive scorer's networkx graph exists: its millions of
    # dicts would make every full garbage collection during a search slow
    batched = _search_rate(model, args.search_sets, args.repeats, sets_module.BATCH)
    one_by_one = _search_rate(model, args.search_sets // 5, args.repeats, 1)

    graph = _graph(model)
    naive = sets[: args.naive_sets]
    slow_s = _best(args.repeats, lambda: naive_scores(model, graph, naive))
    max_diff = float(np.abs(naive_scores(model, graph, naive) - fast[: args.naive_sets]).max())
    fast_rate, slow_rate = args.sets / fast_s, args.naive_sets / slow_s
    report = {
        "benchmark": "sampler_perf",
        "atoms": args.atoms,
        "cooccurrence_pairs": len(model.cooccur),
        "model_build_s": round(build_s, 2),
        "scored_sets_per_s": round(fast_rate, 1),
        "baseline": "naive networkx pair-by-pair scorer, same formulas",
        "naive_sets_per_s": round(slow_rate, 1),
        "speedup": round(fast_rate / slow_rate, 1),
        "max_abs_diff": max_diff,
        "search_sets_per_s": round(batched, 1),
        "search_baseline": "the same novelty search, one set per numpy pass",
        "search_one_set_per_pass_sets_per_s": round(one_by_one, 1),
        "search_speedup": round(batched / one_by_one, 1),
        "target_search_sets_per_s": 2000,
        "target_scorer_speedup": 20,
    }
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
