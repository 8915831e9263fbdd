"""Cypher on the embedded store against Cypher on a Bolt server, on the same graph.

For each embedded engine installed (LadybugDB ``real_ladybug``, the default; ``kuzu`` and
``ryugraph`` when present) it prints, on the store given by ``--store`` (build one with
``adr-graph run``):

- ``build_s``: loading the snapshot into the engine's database (the first query after an
  ingest pays it), and ``build_peak_rss_mb``, the peak memory of that build (a child
  process);
- ``warm_open_first_query_s``: opening the cached database and the first query, in-process;
- ``warm_cli_s`` (default engine only): a whole ``adr-graph query --json`` process on the
  cached database, interpreter start included (target < 3 s);
- per example query of ``schema/README.md``: the median latency over ``--repeat`` runs, and
  whether its rows equal the Bolt server's (order-free, floats to 6 places);
- ``install_mb``: the engine package on disk.

Baselines from the same run: the Bolt server (ArcadeDB started by ``scripts/arcadedb.sh``
unless ``--uri``), loaded with ``adr-graph import``'s copy, with the same queries; and
``python_api_load_s``, the time ``EmbeddedStore(path)`` takes to load the snapshot (how a
user queried the embedded store before). One JSON line. Usage::

    python benchmarks/query_latency.py --store .adr-graph/store
    python benchmarks/query_latency.py --store S --engines real_ladybug,kuzu --no-bolt
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from adr_graph.reports.graph import comparable_rows, example_queries
from adr_graph.store import EmbeddedStore
from adr_graph.store.embedded_cypher import ENGINES, EmbeddedCypher

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]


def query_params(engine: EmbeddedCypher) -> dict[str, Any]:
    """Parameters that give every example query rows on this graph."""

    def first(statement: str) -> Any:
        return engine.cypher(statement)[0]["v"]

    return {
        "slot": "technique",
        "limit": 10,
        "atom": first(
            "MATCH (a:Atom {slot: 'technique', level: 0}) "
            "RETURN a.id AS v ORDER BY a.frequency DESC, v LIMIT 1"
        ),
        "domain": "algorithm",
        "source": first(
            "MATCH (s:Seed {domain: 'algorithm'}) RETURN s.source AS v ORDER BY v LIMIT 1"
        ),
        "min": 0.85,
        "area": first(
            "MATCH (:Atom {slot: 'technique', level: 1})-[:IS_A]->(a:Atom {level: 2}) "
            "RETURN a.name AS v ORDER BY v LIMIT 1"
        ),
        "capability": first(
            "MATCH (:Atom {slot: 'tool'})-[:IS_A]->(:Atom)-[:IS_A]->(c:Atom {level: 2}) "
            "RETURN c.name AS v, count(*) AS n ORDER BY n DESC, v LIMIT 1"
        ),
    }


def used(statement: str, params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if f"${k}" in statement}


def timed_queries(run: Any, params: dict[str, Any], repeat: int) -> dict[str, dict[str, Any]]:
    """Median latency (ms) and rows of each example query through ``run(statement, params)``."""
    out: dict[str, dict[str, Any]] = {}
    for title, statement in example_queries().items():
        times, rows = [], []
        try:
            for _ in range(repeat):
                started = time.perf_counter()
                rows = run(statement, used(statement, params))
                times.append(time.perf_counter() - started)
        except Exception as exc:  # an engine that cannot run a README query: say which
            out[title] = {"error": " ".join(str(exc).split())[:200], "rows": []}
            continue
        out[title] = {"ms": round(statistics.median(times) * 1000, 2), "rows": rows}
    return out


def install_mb(engine: str) -> float:
    spec = importlib.util.find_spec(engine)
    assert spec is not None and spec.origin is not None
    folder = Path(spec.origin).parent
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def engine_in_child(store: Path, engine: str, repeat: int) -> dict[str, Any]:
    """Engines built on the same C++ core clash in one process: each runs in its own."""
    argv = [sys.executable, __file__, "--store", str(store), "--repeat", str(repeat)]
    done = subprocess.run([*argv, "--child", engine], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_engine(store: Path, engine: str, repeat: int) -> dict[str, Any]:
    """One engine, in a process of its own (:func:`engine_in_child`): the build first, so
    that the peak RSS read right after it is the build's."""
    report: dict[str, Any] = {"install_mb": install_mb(engine)}
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        EmbeddedCypher(store, cache=Path(cache), engine=engine).database_path()  # build
        report["build_s"] = round(time.perf_counter() - started, 2)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        report["build_peak_rss_mb"] = round(peak, 1)
        started = time.perf_counter()
        with EmbeddedCypher(store, cache=Path(cache), engine=engine) as warm:
            warm.cypher("MATCH (a:Atom) RETURN count(a) AS n")
            report["warm_open_first_query_s"] = round(time.perf_counter() - started, 3)
            params = query_params(warm)
            report["queries"] = timed_queries(warm.cypher, params, repeat)
    return report | {"params": params}


def warm_cli_s(store: Path) -> float:
    """A whole `adr-graph query` process on the cached database (best of 3)."""
    exe = Path(sys.executable).parent / "adr-graph"
    argv = [
        str(exe),
        "query",
        "MATCH (a:Atom) RETURN count(a) AS n",
        "--store",
        str(store),
        "--json",
    ]
    subprocess.run(argv, capture_output=True, check=True)  # builds the cache if missing
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return round(min(times), 3)


def measure_bolt(
    store: Path, uri: str | None, params: dict[str, Any], repeat: int
) -> dict[str, Any]:
    from adr_graph.stages import copy_store
    from adr_graph.store import BoltSettings
    from adr_graph.store.bolt import Neo4jStore

    def run(settings: BoltSettings) -> dict[str, Any]:
        target = Neo4jStore(settings)
        try:
            target.clear()
            started = time.perf_counter()
            copy_store(EmbeddedStore(store), target, "benchmark")
            load = time.perf_counter() - started
            queries = timed_queries(target.cypher, params, repeat)
        finally:
            target.close()
        return {"server": settings.uri, "import_s": round(load, 2), "queries": queries}

    if uri:
        return run(BoltSettings(uri=uri))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from load_bolt import arcadedb

    with arcadedb() as settings:
        return run(settings)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path(".adr-graph/store"))
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--uri", default=None, help="a Bolt server (default: start ArcadeDB)")
    parser.add_argument("--no-bolt", action="store_true")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child = measure_engine(args.store, args.child, args.repeat)
        print(json.dumps(child, default=str))
        return child
    started = time.perf_counter()
    EmbeddedStore(args.store)
    report: dict[str, Any] = {
        "benchmark": "query_latency",
        "store": str(args.store),
        "python_api_load_s": round(time.perf_counter() - started, 2),
        "engines": {},
        "not_installed": [],
    }
    for engine in args.engines.split(","):
        if importlib.util.find_spec(engine) is None:
            report["not_installed"].append(engine)
            continue
        report["engines"][engine] = engine_in_child(args.store, engine, args.repeat)
    default = next(iter(report["engines"].values()))
    report["warm_cli_s"] = warm_cli_s(args.store)
    if not args.no_bolt:
        bolt = measure_bolt(args.store, args.uri, default["params"], args.repeat)
        for result in report["engines"].values():
            for title, timing in result["queries"].items():
                timing["same_rows_as_bolt"] = "error" not in timing and comparable_rows(
                    timing["rows"]
                ) == comparable_rows(bolt["queries"][title]["rows"])
        report["baseline_bolt"] = bolt
    for result in [*report["engines"].values(), report.get("baseline_bolt", {})]:
        for timing in result.get("queries", {}).values():
            timing["rows"] = len(timing.pop("rows"))
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
