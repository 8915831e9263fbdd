"""Soak tests (bounded in time): 10k sandbox executions and a 1M-edge store build,
with the resources they leave behind measured against stated bounds. Each prints one
JSON line with its figures (shown with ``pytest -s`` and in CI logs on failure)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from adr_graph.sandbox import Limits, LocalSandbox, RunRequest

pytestmark = [pytest.mark.soak, pytest.mark.slow]

EXECUTIONS = int(os.environ.get("ADR_GRAPH_SOAK_EXECUTIONS", "10000"))
RSS_GROWTH_MB = 64  # stated bound on host memory growth over the whole soak
BUILD_PEAK_MB = 3072  # stated bound on peak memory of the 1M-edge build


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def leftovers() -> int:
    """Run and zygote directories left in the temp dir."""
    temp = Path(tempfile.gettempdir())
    return len([*temp.glob("adr-sbx-*"), *temp.glob("adr-zygote-*")])


def test_ten_thousand_sandbox_runs_leak_nothing() -> None:
    """Through the warm zygotes where bubblewrap is there (the default), else cold."""
    sandbox = LocalSandbox(workers=2)
    if os.environ.get("ADR_GRAPH_REQUIRE_BWRAP") == "1":
        assert sandbox.mode == "zygote", "make test installs bubblewrap: the soak uses zygotes"
    programs = [
        "print(sum(range(1000)))",
        "import sys\nsys.stderr.write('e' * 5000)\nraise SystemExit(3)",
        "import json\nprint(json.dumps(sorted(range(500, 0, -1))))",
    ]
    limits = Limits(wall_seconds=10)
    warm = sandbox.run_many([RunRequest(code=programs[0], limits=limits)] * 50, max_workers=2)
    assert all(r.status == "ok" for r in warm)
    fds, temp, rss = len(os.listdir("/proc/self/fd")), leftovers(), rss_mb()
    started, statuses = time.monotonic(), {"ok": 0, "error": 0}
    batch = 500
    for first in range(0, EXECUTIONS, batch):
        requests = [
            RunRequest(code=programs[k % len(programs)], limits=limits)
            for k in range(first, min(first + batch, EXECUTIONS))
        ]
        for result in sandbox.run_many(requests, max_workers=2):
            statuses[result.status] = statuses.get(result.status, 0) + 1
    seconds = time.monotonic() - started
    rss_after, fds_after = rss_mb(), len(os.listdir("/proc/self/fd"))
    sandbox.close()
    figures = {
        "mode": sandbox.mode,
        "isolation": sandbox.isolation,
        "executions": EXECUTIONS,
        "seconds": round(seconds, 1),
        "executions_per_s": round(EXECUTIONS / seconds, 1),
        "statuses": statuses,
        "rss_growth_mb": round(rss_after - rss, 1),
        "rss_bound_mb": RSS_GROWTH_MB,
        "open_fds_delta": fds_after - fds,
        "temp_dirs_left": leftovers() - temp,
    }
    print(json.dumps(figures))
    errors = len(range(1, EXECUTIONS, len(programs)))  # the program that exits 3
    assert statuses == {"ok": EXECUTIONS - errors, "error": errors}
    assert figures["rss_growth_mb"] < RSS_GROWTH_MB
    assert figures["open_fds_delta"] <= 0 and figures["temp_dirs_left"] <= 0


BUILD = textwrap.dedent(
    """
    import json, resource, sys, time
    import numpy as np
    from adr_graph.records import Atom
    from adr_graph.store import EmbeddedStore, SeedAtoms
    path, n_seeds, n_atoms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(0)
    weights = 1.0 / np.arange(1, n_atoms + 1) ** 0.8
    weights /= weights.sum()
    start = time.perf_counter()
    store = EmbeddedStore(path)
    store.upsert_atoms(Atom(id=f"algorithm/technique/a{i}", domain="algorithm",
                            slot="technique", name=f"a{i}") for i in range(n_atoms))
    for first in range(0, n_seeds, 20_000):
        picks = rng.choice(n_atoms, size=(20_000, 16), p=weights)
        store.set_memberships(
            SeedAtoms(seed_id=f"s{first + k}", domain="algorithm", source="soak",
                      atom_ids=[f"algorithm/technique/a{i}"
                                for i in list(dict.fromkeys(row.tolist()))[:8]])
            for k, row in enumerate(picks))
    store.commit()
    stats = EmbeddedStore(path).stats()
    print(json.dumps({"seeds": stats.seeds, "atoms": stats.atoms,
                      "cooccurrence_edges": stats.cooccurrence_edges,
                      "seconds": round(time.perf_counter() - start, 1),
                      "peak_rss_mb": round(
                          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
    """
)


def test_million_edge_store_build_stays_within_memory(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(tmp_path / "store"), "100000", "20000"],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = {**json.loads(done.stdout.splitlines()[-1]), "peak_bound_mb": BUILD_PEAK_MB}
    print(json.dumps(figures))
    assert figures["cooccurrence_edges"] >= 1_000_000 and figures["seeds"] == 100_000
    assert figures["peak_rss_mb"] < BUILD_PEAK_MB
