"""`adr-graph run` on the real corpora, as a user runs it (installed console script)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adr_graph.store import BoltSettings

pytestmark = [pytest.mark.network, pytest.mark.slow]


def cli_json(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[dict, str]:
    """Run the installed ``adr-graph ARGS --json`` in ``cwd``; return its JSON and stderr."""
    exe = shutil.which("adr-graph", path=str(Path(sys.executable).parent))
    assert exe, "the adr-graph console script is not installed in this environment"
    done = subprocess.run(
        [exe, *args, "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), done.stderr


def run_json(cwd: Path) -> tuple[dict, str]:
    return cli_json(cwd, "run")


@pytest.fixture(scope="module")
def real_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    """One `adr-graph run` on the real corpora, shared by the tests of this module."""
    cwd = tmp_path_factory.mktemp("real-run")
    doc, stderr = run_json(cwd)
    return cwd, doc, stderr


def test_run_builds_the_real_graph(real_run: tuple[Path, dict, str]) -> None:
    tmp_path, doc, stderr = real_run
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


def test_real_graph_moves_to_bolt_and_answers_cypher(
    real_run: tuple[Path, dict, str], bolt_settings: BoltSettings
) -> None:
    """A user's path: build on the embedded store, import into a Bolt server, query it."""
    cwd, doc, _ = real_run
    env = {
        **os.environ,
        "NEO4J_USER": bolt_settings.user,
        "NEO4J_PASSWORD": bolt_settings.password,
        "NEO4J_DATABASE": bolt_settings.database or "",
    }
    uri = bolt_settings.uri
    imported, _ = cli_json(cwd, "import", ".adr-graph/store", "--store", uri, "--replace", env=env)
    stats = doc["stats"]
    assert imported["atoms"] == stats["atoms"] and imported["seeds"] == stats["seeds"]
    bolt_stats, _ = cli_json(cwd, "stats", "--store", uri, env=env)
    assert {k: v for k, v in bolt_stats.items() if k != "store"} == {
        k: v for k, v in stats.items() if k != "store"
    }
    coverage = schema_query("Coverage by slot")
    rows, _ = cli_json(cwd, "query", coverage, "--store", uri, env=env)
    by_slot = {(r["domain"], r["slot"]): r for r in rows["rows"]}
    for domain, dom in stats["domains"].items():
        for slot, counts in dom["slots"].items():
            assert by_slot[(domain, slot)]["atoms"] == counts["atoms"]
            assert by_slot[(domain, slot)]["memberships"] == counts["memberships"]
    rarest, _ = cli_json(
        cwd,
        "query",
        schema_query("Rarest compatible pairs"),
        "--store",
        uri,
        "-p",
        "slot=technique",
        "-p",
        "limit=5",
        env=env,
    )
    assert len(rarest["rows"]) == 5 and all(r["seeds"] >= 1 for r in rarest["rows"])
    assert [r["seeds"] for r in rarest["rows"]] == sorted(r["seeds"] for r in rarest["rows"])


def schema_query(heading: str) -> str:
    """The first Cypher block after the paragraph starting with ``heading`` in schema/README."""
    text = (Path(__file__).resolve().parents[2] / "schema" / "README.md").read_text()
    after = text.split("\n" + heading, 1)[1]
    return after.split("```cypher\n", 1)[1].split("```", 1)[0]


def test_sampler_notebook_runs_on_the_real_graph(
    real_run: tuple[Path, dict, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """notebooks/02 executes headless against the real store and draws its figures."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    cwd, _, _ = real_run
    monkeypatch.setenv("ADR_GRAPH_STORE", str(cwd / ".adr-graph" / "store"))
    monkeypatch.setenv("ADR_GRAPH_NOTEBOOK_SETS", "60")
    path = Path(__file__).resolve().parents[2] / "notebooks" / "02_sampler_coverage.ipynb"
    notebook = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 3
    text = "".join(str(o.get("text", "")) for o in outputs)
    assert "1933 atoms" in text and "8836 seeds" in text
