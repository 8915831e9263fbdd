"""Embedding throughput: our cached pipeline vs a bare ``SentenceTransformer.encode``.

Texts: the atom texts of a real store (``--store DIR``) or N synthetic atom-like
texts. Prints one JSON line: atoms/s of ``CachedEmbedder(SentenceTransformerEmbedder(),
EmbeddingCache(None))`` on a cold cache, atoms/s of the bare model call on the same
texts with the same batch size, their ratio (target >= 0.9), and a second pipeline
pass on the warm cache (hit rate must be 1.0).
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from adr_graph.embed import (
    CachedEmbedder,
    EmbeddingCache,
    SentenceTransformerEmbedder,
    atom_text,
)
from adr_graph.store import EmbeddedStore

__all__ = ["main", "store_texts", "synthetic_texts"]

_WORDS = [
    "binary",
    "search",
    "tree",
    "heap",
    "queue",
    "stack",
    "graph",
    "shortest",
    "path",
    "dynamic",
    "programming",
    "greedy",
    "interval",
    "window",
    "prefix",
    "sum",
    "hash",
    "map",
    "string",
    "matrix",
    "sort",
    "merge",
    "count",
    "pandas",
    "dataframe",
    "groupby",
    "filter",
    "pivot",
    "api",
    "weather",
    "flight",
    "hotel",
    "booking",
    "convert",
    "currency",
    "calculate",
    "area",
]


def synthetic_texts(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct atom-like texts: ``a-b-c: a sentence about them``.

    >>> synthetic_texts(2)[0].count(":")
    1
    """
    rng = np.random.default_rng(seed)
    out: list[str] = []
    for i in range(n):
        name = "-".join(rng.choice(_WORDS, size=3))
        words = " ".join(rng.choice(_WORDS, size=int(rng.integers(6, 16))))
        out.append(f"{name}: {words} (variant {i})")
    return out


def store_texts(path: Path) -> list[str]:
    """The embedding texts of every atom in an embedded store, in id order."""
    store = EmbeddedStore(path)
    return [atom_text(a) for a in sorted(store.iter_atoms(), key=lambda a: a.id)]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="embedded store directory to take texts from")
    parser.add_argument("-n", type=int, default=5000, help="synthetic texts (without --store)")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    texts = store_texts(args.store) if args.store else synthetic_texts(args.n)
    inner = SentenceTransformerEmbedder(batch_size=args.batch_size)
    inner.encode(texts[:256])  # warm-up: first-call allocation, thread pools

    def bare() -> np.ndarray:
        return np.asarray(
            inner.model.encode(
                texts,
                batch_size=args.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        )

    bare_s, want = timed(bare)
    pipeline = CachedEmbedder(inner, EmbeddingCache(None))
    cold_s, got = timed(lambda: pipeline.encode(texts))
    hits0 = pipeline.hits
    warm_s, again = timed(lambda: pipeline.encode(texts))
    n = len(texts)
    result = {
        "benchmark": "embed_throughput",
        "texts": n,
        "source": str(args.store) if args.store else "synthetic",
        "batch_size": args.batch_size,
        "pipeline_atoms_per_s": round(n / cold_s, 1),
        "bare_atoms_per_s": round(n / bare_s, 1),
        "ratio": round(bare_s / cold_s, 3),
        "target_ratio": 0.9,
        "max_abs_diff": float(np.abs(got - want).max()) if n else 0.0,
        "warm_hit_rate": round((pipeline.hits - hits0) / n, 4) if n else 1.0,
        "warm_s": round(warm_s, 4),
        "warm_identical": bool(np.array_equal(got, again)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
