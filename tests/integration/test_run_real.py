"""`adr-graph run` on the real corpora, as a user runs it (installed console script)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.network, pytest.mark.slow]


def run_json(cwd: Path) -> tuple[dict, str]:
    """Run the installed ``adr-graph run --json`` in ``cwd``; return its JSON and stderr."""
    exe = shutil.which("adr-graph", path=str(Path(sys.executable).parent))
    assert exe, "the adr-graph console script is not installed in this environment"
    done = subprocess.run(
        [exe, "run", "--json"], cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), done.stderr


def test_run_builds_the_real_graph(tmp_path: Path) -> None:
    doc, stderr = run_json(tmp_path)
    stats, canon = doc["stats"], doc["ingest"]["canonical"]
    assert doc["ingest"]["extractor"] == "static"
    # all trainable seeds: 164 + 3002 + 1405 + 709 (DataFrameBench train) + 3556
    assert stats["seeds"] == 8836
    assert stats["sources"]["dataframebench==0.1.1"] == 709
    schemas = {
        p.stem: json.loads(p.read_text())
        for p in (Path(__file__).resolve().parents[2] / "schema").glob("*.json")
    }
    for domain, schema in schemas.items():
        slots = stats["domains"][domain]["slots"]
        for slot in schema["slots"]:
            if slot["required"]:
                # every required slot has atoms, and nearly every seed fills it
                assert slots[slot["name"]]["atoms"] > 0, (domain, slot["name"])
                assert (
                    slots[slot["name"]]["memberships"] >= 0.95 * stats["domains"][domain]["seeds"]
                )
    assert stats["cooccurrence_edges"] > 10_000
    assert "co-occurrence edges" in stderr
    # canonical atoms: all embedded with MiniLM, a few true duplicates merged, SIMILAR edges
    assert stats["embedded_atoms"] == stats["atoms"] == canon["atoms_after"]
    assert 0 < len(canon["merged"]) == stats["merged_atoms"] < 0.05 * canon["atoms_before"]
    assert all(m["method"] == "cosine:all-MiniLM-L6-v2" for m in canon["merged"])
    assert all(m["score"] >= 0.6 for m in canon["merged"])
    assert stats["edges"]["SIMILAR"] == canon["similar_edges"] > 1000
    assert canon["embedding_cache_misses"] >= canon["atoms_before"]
    # a second run reuses the wheels and every embedding, and leaves the graph identical
    again = run_json(tmp_path)[0]
    assert again["stats"] == stats
    assert again["ingest"]["canonical"]["embedding_cache_misses"] == 0
    assert again["ingest"]["canonical"]["embedding_cache_hit_rate"] == 1.0
    assert again["ingest"]["canonical"]["merged"] == []
