"""Faults on the Bolt path, against real ArcadeDB servers: an ingest killed with SIGKILL
and re-run counts co-occurrence once; a server restarted mid-load makes the load fail
cleanly (one line naming the server, no traceback), and the re-run completes it."""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from adr_graph.store import BoltSettings, EmbeddedStore
from adr_graph.store.bolt import Neo4jStore
from tests.support.arcadedb import start_arcadedb
from tests.unit.test_crash_resume import EXE, cli, kill_then_finish, synthetic_seeds
from tests.unit.test_sampler import planted_store

pytestmark = pytest.mark.slow


def bolt_env(settings: BoltSettings, tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ADR_GRAPH_"))}
    return {
        **clean,
        "ADR_GRAPH_CACHE": str(tmp_path / "cache"),
        "NEO4J_USER": settings.user,
        "NEO4J_PASSWORD": settings.password,
        "NEO4J_DATABASE": settings.database or "",
    }


def graph_state(store: Any) -> tuple[dict[str, Any], list[Any]]:
    stats = store.stats().model_dump(exclude={"store"})
    rows = sorted((m.seed_id, sorted(m.atom_ids)) for m in store.iter_memberships())
    pairs = sorted(
        (c.a, c.b, c.count)
        for a in sorted({a for _, ids in rows for a in ids})
        for c in store.neighbours(a, limit=1000)
    )
    return {**stats, "pairs": pairs}, rows


def test_bolt_ingest_killed_and_rerun_counts_once(
    bolt_settings: BoltSettings, tmp_path: Path
) -> None:
    with Neo4jStore(bolt_settings) as store:
        store.clear()
    env = bolt_env(bolt_settings, tmp_path)
    seeds = synthetic_seeds(tmp_path / "seeds.jsonl", 1500)
    args = ["ingest", str(seeds), "--embedder", "hashing", "--store"]
    cli([*args, str(tmp_path / "ref")], tmp_path, env)
    times = []
    for _ in range(2):  # the faster of two whole Bolt ingests: the first also makes the
        times.append(cli([*args, bolt_settings.uri], tmp_path, env))  # server's types
        with Neo4jStore(bolt_settings) as store:
            store.clear()
    seconds = min(times)
    killed = kill_then_finish([*args, bolt_settings.uri], tmp_path, env, seconds, random.Random(5))
    assert killed >= 2
    with Neo4jStore(bolt_settings) as store:
        assert graph_state(store) == graph_state(EmbeddedStore(tmp_path / "ref"))


def test_server_restart_mid_load_fails_cleanly_then_reruns(tmp_path: Path) -> None:
    server = start_arcadedb(tmp_path / "arcadedb")
    try:
        settings = BoltSettings(
            server.uri, server.user, server.password, server.database, retry_time=2.0
        )
        env = bolt_env(settings, tmp_path)
        source = planted_store(tmp_path / "src", per_slot=40, n_seeds=6000)
        source.commit()
        load = [EXE or "", "import", str(tmp_path / "src"), "--store", server.uri, "--replace"]
        proc = subprocess.Popen(
            load, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(3.0)
        assert proc.poll() is None, "the load finished before the restart; make it bigger"
        server.stop()
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 1, stderr
        assert "Traceback" not in stderr and server.uri.split("//")[1] in stderr
        restarted = server._script("start", timeout=600)
        assert restarted.returncode == 0, restarted.stderr
        cli(load[1:], tmp_path, env)
        with Neo4jStore(settings) as store:
            assert graph_state(store) == graph_state(source)
    finally:
        server.stop()
