"""Figures of the atom graph itself (notebook 01): sizes, distributions, co-occurrence,
an embedding map. Pure functions over a store's atoms and :class:`Projection`; the
``plot_*`` helpers draw on a matplotlib ``Axes`` they are given.

>>> from adr_graph.records import Atom
>>> from adr_graph.store.views import build_projection
>>> atoms = [Atom(id=f"algorithm/technique/{n}", domain="algorithm", slot="technique",
...     name=n, frequency=f) for n, f in (("bfs", 2), ("dp", 1))]
>>> proj = build_projection([a.id for a in atoms], {"s1": ["algorithm/technique/bfs"],
...     "s2": [a.id for a in atoms]})
>>> [(r.domain, r.slot, r.atoms, r.memberships) for r in slot_table(atoms, proj)]
[('algorithm', 'technique', 2, 3)]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..records import Atom
from ..schema import default_schema_dir
from ..store.base import Projection

__all__ = [
    "CooccurrenceBlock",
    "EmbeddingMap",
    "SlotRow",
    "comparable_rows",
    "cooccurrence_block",
    "degrees",
    "embedding_map",
    "example_queries",
    "plot_cooccurrence",
    "plot_embedding_map",
    "plot_log_histogram",
    "slot_table",
]


@dataclass(frozen=True)
class SlotRow:
    """Atoms of one (domain, slot): how many, how often held, how many by one seed only."""

    domain: str
    slot: str
    atoms: int
    memberships: int
    singletons: int
    median_frequency: float


def slot_table(atoms: Iterable[Atom], proj: Projection) -> list[SlotRow]:
    """One row per (domain, slot), frequencies taken from the projection."""
    groups: dict[tuple[str, str], list[int]] = {}
    for atom in atoms:
        index = proj.index.get(atom.id)
        freq = int(proj.frequency[index]) if index is not None else 0
        groups.setdefault((atom.domain, atom.slot), []).append(freq)
    return [
        SlotRow(d, s, len(f), sum(f), sum(x == 1 for x in f), float(np.median(f)))
        for (d, s), f in sorted(groups.items())
    ]


def degrees(proj: Projection) -> np.ndarray:
    """Co-occurrence degree of every atom (distinct atoms it shares a seed with)."""
    counts = proj.counts.tocsr(copy=True)
    counts.setdiag(0)
    counts.eliminate_zeros()
    return np.diff(counts.indptr).astype(np.int64)


@dataclass(frozen=True)
class CooccurrenceBlock:
    """Seeds shared by the top atoms of two slots: ``counts[i, j]`` for rows x cols."""

    rows: list[str]
    cols: list[str]
    counts: np.ndarray


def _top(atoms: Sequence[Atom], proj: Projection, domain: str, slot: str, k: int) -> list[str]:
    chosen = [a.id for a in atoms if a.domain == domain and a.slot == slot and a.id in proj.index]
    chosen.sort(key=lambda a: (-int(proj.frequency[proj.index[a]]), a))
    return chosen[:k]


def cooccurrence_block(
    atoms: Sequence[Atom], proj: Projection, domain: str, slots: tuple[str, str], k: int = 15
) -> CooccurrenceBlock:
    """Co-occurrence counts between the ``k`` most frequent atoms of two slots."""
    rows = _top(atoms, proj, domain, slots[0], k)
    cols = _top(atoms, proj, domain, slots[1], k)
    r = [proj.index[a] for a in rows]
    c = [proj.index[a] for a in cols]
    block = proj.counts[r][:, c].toarray() if r and c else np.zeros((len(r), len(c)))
    return CooccurrenceBlock(rows, cols, np.asarray(block, dtype=np.int64))


@dataclass(frozen=True)
class EmbeddingMap:
    """Atoms projected onto the first two principal components of their embeddings."""

    atom_ids: list[str]
    slots: list[str]
    frequency: np.ndarray
    xy: np.ndarray
    explained: tuple[float, float]


def embedding_map(atoms: Iterable[Atom], domain: str | None = None) -> EmbeddingMap:
    """PCA (via SVD, no extra dependency) of the atoms that carry an embedding."""
    chosen = [a for a in atoms if a.embedding and (domain is None or a.domain == domain)]
    if len(chosen) < 3:
        raise ValueError("need at least 3 embedded atoms for a 2-D map")
    matrix = np.asarray([a.embedding for a in chosen], dtype=np.float64)
    centred = matrix - matrix.mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2 / float((singular**2).sum())
    return EmbeddingMap(
        atom_ids=[a.id for a in chosen],
        slots=[a.slot for a in chosen],
        frequency=np.asarray([a.frequency for a in chosen], dtype=np.int64),
        xy=centred @ vt[:2].T,
        explained=(float(variance[0]), float(variance[1])),
    )


def comparable_rows(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Query rows as sorted JSON, floats to 6 places and lists sorted, so that two engines'
    answers compare equal when they hold the same rows (``collect()`` has no order).

    >>> left = comparable_rows([{"b": [2, 1], "a": 0.1234567}])
    >>> left == comparable_rows([{"a": 0.123457, "b": [1, 2]}])
    True
    """

    def norm(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 6) if math.isfinite(value) else str(value)
        if isinstance(value, list):
            return sorted((norm(v) for v in value), key=json.dumps)
        return value

    return sorted(json.dumps({k: norm(v) for k, v in r.items()}, sort_keys=True) for r in rows)


def example_queries(readme: Path | None = None) -> dict[str, str]:
    """The example Cypher queries of the schema README keyed by a short title (the
    prose before each, cut at its first dash, colon or parenthesis), so that notebooks
    and tests run exactly what the documentation shows."""
    text = (readme or default_schema_dir() / "README.md").read_text(encoding="utf-8")
    section = text.split("## Example queries", 1)[-1].split("\n## ", 1)[0]
    parts = section.split("```")
    queries: dict[str, str] = {}
    for prose, block in zip(parts[0::2], parts[1::2], strict=False):
        if not block.startswith("cypher\n"):
            continue
        paragraph = " ".join(prose.strip().split("\n\n")[-1].split())
        title = re.split(r" — | \(|:", paragraph, maxsplit=1)[0].strip() or "query"
        queries[title] = block.removeprefix("cypher\n").strip()
    return queries


def plot_log_histogram(ax: Any, values: Sequence[float], what: str, unit: str) -> None:
    """Histogram on log-spaced bins with a log count axis (for heavy-tailed counts)."""
    data = np.asarray([v for v in values if v > 0], dtype=np.float64)
    top = max(float(data.max()) if data.size else 1.0, 2.0)
    bins = np.unique(np.logspace(0, np.log10(top + 1), 30).round())
    ax.hist(data, bins=bins, color="#4c72b0")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{what} ({unit}, log scale)")
    ax.set_ylabel("atoms (log scale)")
    ax.set_title(f"{what} of {len(data):,} atoms")


def plot_cooccurrence(ax: Any, block: CooccurrenceBlock, slots: tuple[str, str]) -> Any:
    """Heatmap of shared seeds (log colour scale); returns the image for a colour bar."""
    from matplotlib.colors import LogNorm

    shown = np.where(block.counts > 0, block.counts, np.nan)
    vmax = max(int(block.counts.max()) if block.counts.size else 1, 2)
    image = ax.imshow(shown, cmap="viridis", norm=LogNorm(vmin=1, vmax=vmax), aspect="auto")
    ax.set_xticks(range(len(block.cols)), [c.rsplit("/", 1)[-1] for c in block.cols])
    ax.set_yticks(range(len(block.rows)), [r.rsplit("/", 1)[-1] for r in block.rows])
    ax.tick_params(axis="x", labelrotation=90)
    ax.set_xlabel(f"{slots[1]} (most frequent first)")
    ax.set_ylabel(f"{slots[0]} (most frequent first)")
    ax.set_title(f"Seeds holding both atoms ({slots[0]} x {slots[1]}; blank = never)")
    return image


def plot_embedding_map(ax: Any, emap: EmbeddingMap, title: str) -> None:
    """Scatter of the map, one colour per slot, marker area ~ sqrt(frequency)."""
    sizes = 4 + 6 * np.sqrt(emap.frequency)
    for slot in sorted(set(emap.slots)):
        mask = np.asarray([s == slot for s in emap.slots])
        ax.scatter(emap.xy[mask, 0], emap.xy[mask, 1], s=sizes[mask], alpha=0.6, label=slot)
    ax.set_xlabel(f"PC 1 ({emap.explained[0]:.0%} of variance)")
    ax.set_ylabel(f"PC 2 ({emap.explained[1]:.0%} of variance)")
    ax.set_title(title)
    ax.legend(title="slot (size ~ seeds)", fontsize="small", markerscale=0.7)
