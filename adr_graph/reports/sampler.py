"""Figures of the atom graph and of sampler coverage, for notebooks and the HTML report.

Data functions (pure, numpy) compute what each figure shows; ``plot_*`` functions draw
it on a matplotlib ``Axes`` (imported lazily: ``pip install adr-graph[notebooks]``);
:func:`html_report` puts figures into one self-contained HTML file (PNG as base64).

>>> from adr_graph.records import AtomRef, AtomSet
>>> refs = [AtomRef(id=f"d/s{i}/a{i}", slot=f"s{i}", name=f"a{i}") for i in range(3)]
>>> sets = [AtomSet(domain="algorithm", atoms=refs[:2], strategy="t", rng_seed=0),
...         AtomSet(domain="algorithm", atoms=refs[1:], strategy="t", rng_seed=0)]
>>> coverage_curve(sets, {("d/s0/a0", "d/s1/a1"), ("d/s1/a1", "d/s2/a2")}).tolist()
[0.5, 1.0]
>>> lorenz([0, 0, 2, 2]).tolist()
[0.0, 0.0, 0.0, 0.5, 1.0]
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from .._io import atomic_write_text
from ..errors import MissingExtraError
from ..records import AtomSet
from ..sample.model import PairModel
from .coverage import compatible_pairs, coverage_table

__all__ = [
    "atom_usage",
    "coverage_curve",
    "figure_png",
    "html_report",
    "lorenz",
    "plot_coverage_curves",
    "plot_histograms",
    "plot_lorenz",
    "sampler_figures",
    "write_coverage_html",
]


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingExtraError("matplotlib", "notebooks") from exc
    return plt


def coverage_curve(sets: Sequence[AtomSet], compatible: set[tuple[str, str]]) -> np.ndarray:
    """Share of ``compatible`` pairs (sorted id tuples) hit after each set, in order."""
    hit: set[tuple[str, str]] = set()
    out = np.zeros(len(sets))
    for k, atom_set in enumerate(sets):
        ids = sorted({a.id for a in atom_set.atoms})
        hit.update(p for p in combinations(ids, 2) if p in compatible)
        out[k] = len(hit) / len(compatible) if compatible else 0.0
    return out


def lorenz(counts: Iterable[float]) -> np.ndarray:
    """Lorenz curve of usage counts: cumulative share, starting at 0."""
    x = np.sort(np.asarray(list(counts), dtype=float))
    total = x.sum()
    if total == 0:
        return np.linspace(0, 1, len(x) + 1)
    return np.concatenate([[0.0], np.cumsum(x) / total])


def atom_usage(sets: Iterable[AtomSet], atom_ids: Sequence[str]) -> list[float]:
    """How many of ``sets`` use each of ``atom_ids`` (0 for unused atoms), in that order."""
    counts = dict.fromkeys(atom_ids, 0.0)
    for atom_set in sets:
        for ref in atom_set.atoms:
            if ref.id in counts:
                counts[ref.id] += 1
    return list(counts.values())


def plot_coverage_curves(ax: Any, curves: dict[str, np.ndarray]) -> None:
    for name, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=name)
    ax.set_xlabel("atom sets sampled")
    ax.set_ylabel("share of compatible pairs covered")
    ax.set_title("Pair coverage as sets are sampled")
    ax.legend()


def plot_histograms(ax: Any, values: Mapping[str, Sequence[float]], what: str) -> None:
    bins = np.linspace(0, 1, 26)
    for name, vals in values.items():
        ax.hist(vals, bins=bins, alpha=0.5, label=name)
    ax.set_xlabel(f"mean pair {what} of a set (0-1)")
    ax.set_ylabel("atom sets")
    ax.set_title(f"Set {what} by strategy")
    ax.legend()


def plot_lorenz(ax: Any, usage: Mapping[str, Sequence[float]]) -> None:
    styles = ["-", "--", ":", "-."]
    for k, (name, counts) in enumerate(usage.items()):
        curve = lorenz(counts)
        ax.plot(
            np.linspace(0, 1, len(curve)),
            curve,
            label=name,
            linestyle=styles[k % len(styles)],
            linewidth=2,
        )
    ax.plot([0, 1], [0, 1], color="grey", linewidth=1, label="equal use")
    ax.set_xlabel("share of the domains' atoms (least used first)")
    ax.set_ylabel("share of all atom uses")
    ax.set_title("Atom usage (Lorenz curve)")
    ax.legend()


def figure_png(fig: Any) -> bytes:
    """PNG bytes of a matplotlib figure (closed afterwards)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def sampler_figures(
    by_strategy: dict[str, list[AtomSet]],
    compatible: set[tuple[str, str]],
    atoms_by_domain: Mapping[str, Sequence[str]],
) -> list[tuple[str, bytes]]:
    """The sampler figures as PNGs: pair coverage, novelty and compatibility histograms,
    and one Lorenz curve of atom usage per domain (a big domain would flatten a pooled one).
    """
    plt = _pyplot()
    figures = []
    fig, ax = plt.subplots(figsize=(6.5, 4))
    plot_coverage_curves(ax, {k: coverage_curve(v, compatible) for k, v in by_strategy.items()})
    figures.append(("Pair coverage", figure_png(fig)))
    for what in ("novelty", "compatibility"):
        fig, ax = plt.subplots(figsize=(6.5, 4))
        plot_histograms(
            ax, {k: [getattr(s.score, what) for s in v] for k, v in by_strategy.items()}, what
        )
        figures.append((f"Set {what}", figure_png(fig)))
    for domain, atom_ids in sorted(atoms_by_domain.items()):
        fig, ax = plt.subplots(figsize=(6.5, 4))
        usage = {
            name: atom_usage([s for s in sets if s.domain == domain], atom_ids)
            for name, sets in by_strategy.items()
        }
        plot_lorenz(ax, usage)
        ax.set_title(f"Atom usage, {domain} ({len(atom_ids)} atoms)")
        figures.append((f"Atom usage: {domain}", figure_png(fig)))
    return figures


def _cell(value: Any) -> str:
    """A table cell a person reads: numbers rounded, mappings as ``key value`` pairs, a
    missing value as a dash.

    >>> _cell(0.123456), _cell({"p10": 0.51234, "p50": 0.7}), _cell(12), _cell(None)
    ('0.123', 'p10 0.512 · p50 0.700', '12', '-')
    """
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, Mapping):
        return " · ".join(f"{k} {_cell(v)}" for k, v in value.items())
    return str(value)


def html_report(
    path: Path,
    title: str,
    figures: Sequence[tuple[str, bytes]],
    tables: Sequence[tuple[str, dict[str, Any]]] = (),
) -> Path:
    """Write one self-contained HTML file (figures embedded as base64 PNG)."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        "</title><style>body{font-family:sans-serif;max-width:960px;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px}"
        f"</style></head><body><h1>{html.escape(title)}</h1>"
    ]
    for name, table in tables:
        parts.append(f"<h2>{html.escape(name)}</h2>{_html_table(table)}")
    for name, png in figures:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f"<h2>{html.escape(name)}</h2>"
            f"<img alt='{html.escape(name)}' src='data:image/png;base64,{data}'>"
        )
    parts.append("</body></html>")
    atomic_write_text(path, "\n".join(parts))
    return path


def _html_table(table: Mapping[str, Any]) -> str:
    """Rows of ``name -> values``; values that are mappings become one column each."""
    if table and all(isinstance(v, Mapping) for v in table.values()):
        columns = list(next(iter(table.values())))
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in ["", *columns])
        body = "".join(
            f"<tr><th>{html.escape(str(k))}</th>"
            + "".join(f"<td>{html.escape(_cell(v.get(c, '')))}</td>" for c in columns)
            + "</tr>"
            for k, v in table.items()
        )
        return f"<table><tr>{head}</tr>{body}</table>"
    rows = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_cell(v))}</td></tr>"
        for k, v in table.items()
    )
    return f"<table>{rows}</table>"


def write_coverage_html(path: Path, batch: Sequence[AtomSet], model: PairModel) -> Path:
    """The coverage of ``batch`` (a strategy x domain table, figures per strategy and a
    Lorenz curve per domain) as one self-contained HTML file."""
    by_strategy: dict[str, list[AtomSet]] = {}
    for atom_set in batch:
        by_strategy.setdefault(atom_set.strategy, []).append(atom_set)
    domains = {s.domain for s in batch}
    ids = model.atom_ids
    compatible = {(ids[a], ids[b]) for a, b in compatible_pairs(model, domains).tolist()}
    atoms_by_domain = {
        d: [a for a, dom in zip(ids, model.domains, strict=True) if dom == d] for d in domains
    }
    figures = sampler_figures(by_strategy, compatible, atoms_by_domain)
    table = coverage_table(batch, model)
    rows = {
        f"{strategy} / {domain}": {k: v for k, v in r.model_dump().items() if k in _COLUMNS}
        for strategy, domain, r in table.rows()
    }
    return html_report(path, "adr-graph coverage", figures, [("Coverage", rows)])


#: The coverage columns a person compares across strategies and domains.
_COLUMNS = (
    "sets",
    "distinct_sets",
    "pair_coverage",
    "never_seen_pair_share",
    "novelty_mean",
    "compatibility_mean",
    "atom_coverage",
    "atom_usage_gini",
    "mean_jaccard_distance",
)
