"""`adr-graph run` on the real corpora, as a user runs it (installed console script)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adr_graph.reports.graph import example_queries
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
    # canonical atoms: all embedded with MiniLM, a few true duplicates merged, SIMILAR edges;
    # then the hierarchy keeps a few unplaced one-seed tools as seed details, not atoms
    details = sum(d["seed_details"] for d in doc["ingest"]["hierarchy"]["domains"].values())
    assert 0 < details == sum(d["seed_details"] for d in stats["domains"].values()) < 50
    assert stats["embedded_atoms"] == stats["atoms"] == canon["atoms_after"] - details
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


@pytest.fixture(scope="module")
def bolt_graph(
    real_run: tuple[Path, dict, str], bolt_settings: BoltSettings
) -> tuple[str, dict[str, str]]:
    """The real-corpus graph imported into the CI Bolt server: (uri, environment)."""
    cwd, doc, _ = real_run
    env = {
        **os.environ,
        "NEO4J_URI": bolt_settings.uri,
        "NEO4J_USER": bolt_settings.user,
        "NEO4J_PASSWORD": bolt_settings.password,
        "NEO4J_DATABASE": bolt_settings.database or "",
    }
    uri = bolt_settings.uri
    imported, _ = cli_json(cwd, "import", ".adr-graph/store", "--store", uri, "--replace", env=env)
    assert imported["atoms"] == doc["stats"]["atoms"] and imported["seeds"] == doc["stats"]["seeds"]
    assert imported["groups"] == sum(d["groups"] for d in doc["stats"]["domains"].values()) > 0
    return uri, env


def assert_coverage_matches(rows: list[dict], stats: dict) -> None:
    """The "Coverage by slot" query's rows agree with `stats` in every domain and slot."""
    by_slot = {(r["domain"], r["slot"]): r for r in rows}
    for domain, dom in stats["domains"].items():
        for slot, counts in dom["slots"].items():
            assert by_slot[(domain, slot)]["atoms"] == counts["atoms"]
            assert by_slot[(domain, slot)]["memberships"] == counts["memberships"]


def test_real_graph_moves_to_bolt_and_answers_cypher(
    real_run: tuple[Path, dict, str], bolt_graph: tuple[str, dict[str, str]]
) -> None:
    """A user's path: build on the embedded store, import into a Bolt server, query it."""
    cwd, doc, _ = real_run
    uri, env = bolt_graph
    stats = doc["stats"]
    bolt_stats, _ = cli_json(cwd, "stats", "--store", uri, env=env)
    assert {k: v for k, v in bolt_stats.items() if k != "store"} == {
        k: v for k, v in stats.items() if k != "store"
    }
    coverage = example_queries()["Coverage by slot"]
    rows, _ = cli_json(cwd, "query", coverage, "--store", uri, env=env)
    assert_coverage_matches(rows["rows"], stats)
    rarest, _ = cli_json(
        cwd,
        "query",
        example_queries()["Rarest compatible pairs of a slot"],
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


def test_real_graph_answers_cypher_in_process_on_the_embedded_store(
    real_run: tuple[Path, dict, str],
) -> None:
    """`adr-graph query` on the store `adr-graph run` built, with no server: the example
    queries agree with `stats`, and a second query reuses the cached database."""
    cwd, doc, _ = real_run
    stats = doc["stats"]
    coverage = example_queries()["Coverage by slot"]
    rows, _ = cli_json(cwd, "query", coverage)
    assert rows["engine"] == "real_ladybug" and rows["rebuilt"] is True
    assert_coverage_matches(rows["rows"], stats)
    rarest, _ = cli_json(
        cwd, "query", example_queries()["Rarest compatible pairs of a slot"],
        "-p", "slot=technique", "-p", "limit=5",
    )  # fmt: skip
    assert rarest["rebuilt"] is False and len(rarest["rows"]) == 5
    assert [r["seeds"] for r in rarest["rows"]] == sorted(r["seeds"] for r in rarest["rows"])


NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TASKS = Path(__file__).resolve().parents[1] / "data" / "tasks"


def execute_notebook(name: str, env: dict[str, str]) -> tuple[int, str]:
    """Run ``notebooks/NAME`` headless with ``env``; (figures drawn, text shown).

    Fails on any cell error, and if the committed notebook carries outputs.
    """
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
    saved = dict(os.environ)
    os.environ.update(env)  # the kernel inherits this process's environment
    try:
        nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    figures = sum("image/png" in o.get("data", {}) for o in outputs)
    text = "".join(
        str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    return figures, text


def test_sampler_notebook_runs_on_the_real_graph(real_run: tuple[Path, dict, str]) -> None:
    """notebooks/02 executes headless against the real store and draws its figures."""
    cwd, doc, _ = real_run
    env = {"ADR_GRAPH_STORE": str(cwd / ".adr-graph" / "store"), "ADR_GRAPH_NOTEBOOK_SETS": "60"}
    figures, text = execute_notebook("02_sampler_coverage.ipynb", env)
    assert figures == 3
    assert f"{doc['stats']['atoms']} atoms" in text and "8836 seeds" in text


def test_atom_graph_notebook_runs_on_the_real_graph(real_run: tuple[Path, dict, str]) -> None:
    cwd, doc, _ = real_run
    env = {"ADR_GRAPH_STORE": str(cwd / ".adr-graph" / "store")}
    figures, text = execute_notebook("01_atom_graph.ipynb", env)
    assert figures == 3
    assert f"{doc['stats']['atoms']} atoms, {doc['stats']['seeds']} seeds" in text
    assert f"{doc['stats']['cooccurrence_edges']} co-occurring pairs" in text
    assert "library_api" in text and "singletons" in text


def test_tasks_notebook_runs_on_real_model_output(real_run: tuple[Path, dict, str]) -> None:
    """notebooks/03 on tasks a real local model generated (committed: generation takes
    tens of minutes on a CPU), against the real seed corpus."""
    cwd, _, _ = real_run
    env = {
        "ADR_GRAPH_TASKS": str(TASKS / "verified.jsonl"),
        "ADR_GRAPH_TASK_FAILURES": str(TASKS / "tasks.jsonl.failures.jsonl"),
        "ADR_GRAPH_SEEDS": str(cwd / ".adr-graph" / "cache" / "seeds" / "seeds.jsonl"),
    }
    figures, text = execute_notebook("03_tasks.ipynb", env)
    assert figures == 4
    assert "model(s): qwen" in text and "8952 seeds" in text
    assert "near misses nothing told from the reference: 0" in text


def test_cypher_notebook_runs_on_the_embedded_store(real_run: tuple[Path, dict, str]) -> None:
    cwd, doc, _ = real_run
    env = {"ADR_GRAPH_STORE": str(cwd / ".adr-graph" / "store"), "NEO4J_URI": ""}
    figures, text = execute_notebook("04_cypher.ipynb", env)
    assert figures == 1
    assert f"EmbeddedCypher: {doc['stats']['atoms']} atoms, 8836 seeds" in text
    assert "algorithm/technique/" in text


def test_cypher_notebook_runs_against_the_bolt_server(
    real_run: tuple[Path, dict, str], bolt_graph: tuple[str, dict[str, str]]
) -> None:
    _, doc, _ = real_run
    _, env = bolt_graph
    figures, text = execute_notebook("04_cypher.ipynb", env)
    assert figures == 1
    assert f"{doc['stats']['atoms']} atoms, 8836 seeds" in text and "algorithm/technique/" in text
