"""Atom-space benchmark: how rich and how clean the graph's atoms are, per domain.

Prints one JSON line. Per domain:

- ``atoms_per_slot``: fine atoms (held by seeds) per slot; ``groups``/``areas``;
- ``sparse_share``: share of fine atoms held by at most 2 seeds;
- ``depth``: the longest IS_A chain; ``placed_share``: fine atoms with a parent group
  (``per_slot`` too); ``seed_details``: atoms kept as seed details instead (unplaced, one
  seed names them);
- ``generic_description_share``: fine atoms whose description is empty or shared verbatim
  by 3 or more atoms of their slot;
- ``variable_named_constraints``: constraint atoms whose name holds anything but the
  canonical classes (the issue's target: 0);
- ``merge_rate``: atoms folded into others by canonicalisation;
- ``novelty``: ``-n`` novelty sets sampled at the fine and at the coarse grain, with the
  never-seen-pair share and pair coverage of each (the coarse grain is the same run's
  baseline).

Gold precision/recall per extractor come from ``benchmarks/extract_quality.py``; with
``--gold-report FILE`` (its JSON line) they are copied in.

    python benchmarks/atom_space.py [--store .adr-graph/store] [-n 100] [--gold-report F]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from adr_graph.hierarchy.grain import store_at_grain
from adr_graph.records import Atom
from adr_graph.reports.coverage import coverage_report
from adr_graph.sample import model_from_store
from adr_graph.sample.sets import sample_sets
from adr_graph.schema import load_schemas
from adr_graph.store import GraphStore, open_store

#: a constraint atom's slug when it is a canonical class (bounds, big-O over n m k V E h)
CANONICAL_CONSTRAINT = re.compile(
    r"^(?:input-size-up-to-1e\d+|values-up-to-1e\d+|up-to-1e\d+-operations|"
    r"negative-values-allowed|constant-extra-space|in-place-modification|"
    r"(?:time|space)-complexity-o-(?:[nmkhve1]|log|sqrt|2|3|-)+)$"
)


def _depth(store: GraphStore) -> int:
    parents: dict[str, list[str]] = defaultdict(list)
    for edge in store.iter_edges("IS_A"):
        parents[edge.a].append(edge.b)

    def height(node: str) -> int:
        return max((1 + height(p) for p in parents.get(node, [])), default=0)

    return max((height(n) for n in list(parents)), default=0)


def _domain_figures(atoms: list[Atom], placed: set[str]) -> dict[str, Any]:
    fine = [a for a in atoms if a.level == 0]
    shared = Counter((a.slot, a.description) for a in fine)
    generic = [a for a in fine if not a.description.strip() or shared[(a.slot, a.description)] >= 3]
    per_slot: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for atom in fine:
        per_slot[atom.slot][0] += atom.id in placed
        per_slot[atom.slot][1] += 1
    merged = sum(len(a.merged_from) for a in fine)
    return {
        "fine_atoms": len(fine),
        "atoms_per_slot": dict(sorted(Counter(a.slot for a in fine).items())),
        "groups": sum(1 for a in atoms if a.level == 1),
        "areas": sum(1 for a in atoms if a.level == 2),
        "sparse_share": round(sum(a.frequency <= 2 for a in fine) / max(len(fine), 1), 4),
        "placed_share": round(sum(a.id in placed for a in fine) / max(len(fine), 1), 4),
        "placed_share_per_slot": {s: round(p / n, 4) for s, (p, n) in sorted(per_slot.items())},
        "generic_description_share": round(len(generic) / max(len(fine), 1), 4),
        "generic_examples": sorted({a.description[:60] for a in generic})[:5],
        "variable_named_constraints": sorted(
            a.name
            for a in fine
            if a.slot == "constraint" and not CANONICAL_CONSTRAINT.match(a.id.rsplit("/", 1)[1])
        ),
        "merge_rate": round(merged / max(len(fine) + merged, 1), 4),
    }


def _novelty(store: GraphStore, n: int, cache: Path | None) -> dict[str, dict[str, Any]]:
    schemas = load_schemas()
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for grain in ("fine", "coarse"):
        start = time.perf_counter()
        model = model_from_store(store_at_grain(store, grain), cache_dir=cache)
        for domain in sorted(set(model.domains)):
            sets = sample_sets(model, schemas[domain], n, strategy="novelty", seed=0)
            cov = coverage_report(sets, model)
            out[domain][grain] = {
                "sets": len(sets),
                "atoms_available": cov.atoms_available,
                "never_seen_pair_share": round(cov.never_seen_pair_share, 4),
                "pair_coverage": round(cov.pair_coverage, 6),
                "compatible_pairs": cov.compatible_pairs,
                "compatibility_mean": round(cov.compatibility_mean, 4),
            }
        out["_seconds"][grain] = round(time.perf_counter() - start, 1)
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", default=".adr-graph/store")
    parser.add_argument("-n", type=int, default=100, help="novelty sets per domain and grain")
    parser.add_argument("--cache", type=Path, default=Path(".adr-graph/cache/learned"))
    parser.add_argument("--gold-report", type=Path, help="a JSON line of extract_quality.py")
    args = parser.parse_args(argv)
    store = open_store(args.store)
    atoms = list(store.iter_atoms())
    placed = {e.a for e in store.iter_edges("IS_A")}
    by_domain: dict[str, list[Atom]] = defaultdict(list)
    for atom in atoms:
        by_domain[atom.domain].append(atom)
    result: dict[str, Any] = {
        "store": args.store,
        "depth": _depth(store),
        "domains": {d: _domain_figures(a, placed) for d, a in sorted(by_domain.items())},
    }
    for domain, figures in store.stats().domains.items():  # unplaced one-seed atoms kept apart
        result["domains"].setdefault(domain, {})["seed_details"] = figures.seed_details
    fine = [a for a in atoms if a.level == 0]
    shared = Counter((a.domain, a.slot, a.description) for a in fine)
    result["non_generic_description_share"] = round(
        sum(
            bool(a.description.strip()) and shared[(a.domain, a.slot, a.description)] < 3
            for a in fine
        )
        / max(len(fine), 1),
        4,
    )
    result["novelty"] = _novelty(store, args.n, args.cache)
    if args.gold_report is not None:
        result["gold"] = json.loads(args.gold_report.read_text().splitlines()[0])
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
