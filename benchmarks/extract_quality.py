"""Extraction quality benchmark: the static extractor against the hand-labelled gold set.

Prints one JSON line on stdout: overall, per-domain and per-slot micro precision, recall,
F1 and tp/fp/fn counts. ``--show-errors`` lists every miss and false positive on stderr.

    python benchmarks/extract_quality.py [--gold PATH] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from adr_graph.extract.quality import Mismatch, load_gold, score_extractor
from adr_graph.extract.static import extract_static
from adr_graph.schema import load_schemas

DEFAULT_GOLD = (
    Path(__file__).resolve().parent.parent / "tests" / "data" / "gold" / "extraction_gold.jsonl"
)


def _print_errors(label: str, errors: list[Mismatch]) -> None:
    print(f"# {label}: {len(errors)}", file=sys.stderr)
    for err in errors:
        print(f"{label}\t{err.seed_id}\t{err.slot}\t{err.name}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Score :func:`extract_static` on the gold file and print the JSON report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gold",
        type=Path,
        default=DEFAULT_GOLD,
        help="gold JSONL file (default: the bundled gold set)",
    )
    parser.add_argument(
        "--show-errors", action="store_true", help="print misses and false positives to stderr"
    )
    args = parser.parse_args(argv)
    try:
        items = load_gold(args.gold)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = score_extractor(items, extract_static, load_schemas())
    print(json.dumps({"extractor": "static", "gold": str(args.gold), **report.as_dict()}))
    if args.show_errors:
        _print_errors("miss", report.misses)
        _print_errors("false_positive", report.false_positives)
    return 0


if __name__ == "__main__":
    sys.exit(main())
