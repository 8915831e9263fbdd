"""Extraction quality benchmark: extractors against the hand-labelled gold set.

Prints one JSON line on stdout. For each extractor asked for: overall, per-domain and
per-slot micro precision, recall, F1 and tp/fp/fn, and seeds per second. Fine atoms are
rolled up to the gold's grain through ``schema/hierarchy`` before they are compared.

- ``static``: the offline extractor (always run; the baseline of the same run);
- ``llm``: an OpenAI-compatible endpoint (``--llm-base-url``; replies are cached under
  ``--cache``, so a rerun costs nothing), with the reply's JSON Schema sent;
- ``hybrid``: static plus the LLM's atoms folded into the known vocabulary
  (:mod:`adr_graph.extract.hybrid`), with the fold counts and merge rate; a new name
  enters only when ``--min-support`` gold seeds name it, as ``ingest`` does;
- ``hybrid_open``: the same without that gate (every new LLM name is an atom).

``--closed-vocabulary`` asks the LLM to pick, for each slot the hierarchy names, among
those names only (the prompt lists them; the reply schema admits nothing else).

    python benchmarks/extract_quality.py [--gold PATH ...] [--show-errors]
    python benchmarks/extract_quality.py --llm-base-url http://127.0.0.1:8799/v1 \\
        --model qwen2.5-coder-1.5b-instruct-q4_k_m --cache .adr-graph/cache/llm
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from adr_graph.extract.hybrid import HybridStats, KnownNames, combine, name_support
from adr_graph.extract.quality import GoldItem, Mismatch, load_gold, score_extractor
from adr_graph.extract.static import extract_static
from adr_graph.hierarchy.spec import vocabulary
from adr_graph.records import AtomCandidate, ElementSchema, Seed
from adr_graph.schema import load_schemas

_GOLD_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "gold"
#: The gold set: 45 seeds of the corpora the lexicons were written from, and 30 held-out
#: seeds of a corpus none was (``tests/data/gold/README.md``).
DEFAULT_GOLD = (_GOLD_DIR / "extraction_gold.jsonl", _GOLD_DIR / "extraction_gold_heldout.jsonl")


def _print_errors(label: str, errors: list[Mismatch]) -> None:
    print(f"# {label}: {len(errors)}", file=sys.stderr)
    for err in errors:
        print(f"{label}\t{err.seed_id}\t{err.slot}\t{err.name}", file=sys.stderr)


def _timed(items: list[GoldItem], extractor: Any, schemas: dict[str, ElementSchema]) -> dict:
    start = time.perf_counter()
    report = score_extractor(items, extractor, schemas)
    seconds = time.perf_counter() - start
    return {**report.as_dict(), "seeds_per_s": round(len(items) / seconds, 3), "_report": report}


def _llm_runs(args: argparse.Namespace, items: list[GoldItem], schemas: dict) -> dict[str, Any]:
    from adr_graph.extract.llm import LlmExtractor, make_client

    llm = LlmExtractor(
        make_client(args.llm_base_url, timeout=600),
        args.model,
        cache_dir=args.cache,
        max_concurrency=1,
        max_tokens=args.max_tokens,
        max_atoms=args.max_atoms,
        vocabulary=vocabulary() if args.closed_vocabulary else None,
    )
    replies: dict[str, list[AtomCandidate]] = {}
    failures: list[str] = []

    def ask(seed: Seed, schema: ElementSchema) -> list[AtomCandidate]:
        result = llm.extract_many([seed], {seed.domain: schema}).results[0]
        if result.failure is not None:
            failures.append(f"{seed.id}: {result.failure.reason[:200]}")
        replies[seed.id] = result.candidates
        return result.candidates

    out: dict[str, Any] = {"llm": _timed(items, ask, schemas)}
    out["llm"]["failures"] = failures
    support = name_support((item.seed, replies[item.seed.id]) for item in items)
    for label, min_support in (("hybrid", args.min_support), ("hybrid_open", 1)):
        known = KnownNames.from_names(vocabulary())
        stats = HybridStats()

        def hybrid(
            seed: Seed,
            schema: ElementSchema,
            stats: HybridStats = stats,
            known=known,
            m=min_support,
        ) -> list[AtomCandidate]:
            static = extract_static(seed, schema)
            return combine(
                seed, static, replies[seed.id], known, stats, support=support, min_support=m
            )

        out[label] = _timed(items, hybrid, schemas)
        out[label]["fold"] = stats.as_dict()
        out[label]["min_support"] = min_support
        out[label]["seeds_per_s_note"] = "static time only; the LLM replies are the llm run's"
    return out


def main(argv: list[str] | None = None) -> int:
    """Score the extractors on the gold file and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gold",
        type=Path,
        action="append",
        help="gold JSONL file; repeat for several (default: the gold set and its held-out part)",
    )
    parser.add_argument("--show-errors", action="store_true", help="misses and FPs to stderr")
    parser.add_argument("--llm-base-url", help="also score llm and hybrid against this endpoint")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct-q4_k_m")
    parser.add_argument("--cache", type=Path, default=Path(".adr-graph/cache/llm"))
    parser.add_argument("--max-atoms", type=int, default=8, help="atoms the reply schema allows")
    parser.add_argument("--max-tokens", type=int, default=640)
    parser.add_argument(
        "--closed-vocabulary",
        action="store_true",
        help="llm: list the hierarchy's names per slot and admit only them where a slot has any",
    )
    parser.add_argument(
        "--min-support",
        type=int,
        default=2,
        help="hybrid: gold seeds that must name a new LLM atom (hybrid_open: 1, no gate)",
    )
    parser.add_argument(
        "--per-domain", type=int, help="score only the first N gold seeds of each domain"
    )
    args = parser.parse_args(argv)
    golds = args.gold or list(DEFAULT_GOLD)
    try:
        items = [item for path in golds for item in load_gold(path)]
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.per_domain is not None:
        taken: dict[str, int] = {}
        kept = []
        for item in items:
            taken[item.seed.domain] = taken.get(item.seed.domain, 0) + 1
            if taken[item.seed.domain] <= args.per_domain:
                kept.append(item)
        items = kept
    schemas = load_schemas()
    runs = {"static": _timed(items, extract_static, schemas)}
    if args.llm_base_url:
        runs.update(_llm_runs(args, items, schemas))
    reports = {name: run.pop("_report") for name, run in runs.items()}
    gold = [str(g) for g in golds]
    if len(runs) == 1:
        print(json.dumps({"extractor": "static", "gold": gold, **runs["static"]}))
    else:
        print(json.dumps({"gold": gold, "seeds": len(items), "extractors": runs}))
    if args.show_errors:
        for name, report in reports.items():
            _print_errors(f"{name} miss", report.misses)
            _print_errors(f"{name} false_positive", report.false_positives)
    return 0


if __name__ == "__main__":
    sys.exit(main())
