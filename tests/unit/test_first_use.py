"""The defects a new user hit first, each pinned by a test (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adr_graph.export import verl_row
from adr_graph.records import Task, TaskProvenance, Verdict, VerificationRecord
from adr_graph.store import EmbeddedStore
from tests.support.fake_openai import FakeOpenAI
from tests.unit.test_cli import _llm_reply, run_cli

ALGO = [
    {"id": f"a{i}", "domain": "algorithm", "statement": text}
    for i, text in enumerate(
        [
            "Sort the list of integers with a heap and return the k smallest.",
            "Use breadth-first search on a grid to find the shortest path.",
            "Count pairs with a hash map in O(n) time; n <= 10^5.",
            "Binary search the sorted array for the target index.",
            "Dynamic programming over a string: longest palindromic substring.",
            "Read n from stdin and print the sum of a list of numbers.",
        ]
    )
]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def algo_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store holding one domain only, from minimal seeds (no source, no license)."""
    seeds = _write(tmp_path / "mine.jsonl", ALGO)
    store = tmp_path / "store"
    code, _, err = run_cli(capsys, "ingest", str(seeds), "--store", str(store))
    assert code == 0, err
    return store


@pytest.mark.parametrize("strategy", ["novelty", "random", "cooccur-walk"])
def test_sample_splits_over_the_domains_the_store_holds(
    algo_store: Path, strategy: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["sample", "-n", "4", "--strategy", strategy, "--store", str(algo_store), "--json"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["count"] == 4 and {s["domain"] for s in doc["sets"]} == {"algorithm"}
    reasons = [r for s in doc["sets"] for p in s["score"]["pairs"] for r in p["reasons"]]
    assert reasons and not [r for r in reasons if r.endswith(" 1 seeds")]
    if strategy == "cooccur-walk":  # pairs of one seed: the singular
        assert "seen together in 1 seed" in reasons


def test_minimal_seeds_get_documented_defaults(algo_store: Path) -> None:
    rows = {r.seed_id: r for r in EmbeddedStore(algo_store).iter_memberships()}
    assert rows["a0"].source == "mine.jsonl" and rows["a0"].license == "unknown"


def test_a_seed_error_lists_every_missing_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = _write(tmp_path / "s.jsonl", [{"domain": "algorithm"}])
    code, _, err = run_cli(capsys, "ingest", str(seeds), "--store", str(tmp_path / "st"))
    assert code == 2
    assert "s.jsonl:1: missing field(s) 'id', 'statement'" in err
    assert not (tmp_path / "st").exists()


@pytest.mark.parametrize("domain", ["Algorithm", "robotics", "ALGORITHM"])
def test_an_unknown_domain_names_the_choices(
    domain: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = _write(tmp_path / "s.jsonl", [{"id": "x", "domain": domain, "statement": "s"}])
    code, _, err = run_cli(capsys, "ingest", str(seeds), "--store", str(tmp_path / "st"))
    assert code == 2
    assert f"field 'domain': unknown domain '{domain}'; use one of algorithm, data_science" in err
    assert "pattern" not in err


def test_invalid_json_names_its_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeds = tmp_path / "s.jsonl"
    seeds.write_text(json.dumps(ALGO[0]) + "\n" + '{"id": "b", "domain": "algorithm" "x": 1}\n')
    code, _, err = run_cli(capsys, "ingest", str(seeds), "--store", str(tmp_path / "st"))
    assert code == 2 and "s.jsonl:2: invalid JSON: Expecting ',' delimiter (column 35)" in err
    sets = tmp_path / "sets.jsonl"
    sets.write_text('{"domain": "algorithm",, "atoms": []}\n')
    code, _, err = run_cli(capsys, "coverage", "--sets", str(sets), "--store", str(tmp_path / "x"))
    assert code == 2 and "sets.jsonl:1: invalid JSON" in err and "(column 24)" in err


def test_an_empty_seed_file_is_an_error_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty.jsonl").write_text("\n")
    store = tmp_path / "st"
    code, _, err = run_cli(capsys, "ingest", str(tmp_path / "empty.jsonl"), "--store", str(store))
    assert code == 2 and "empty.jsonl: no seeds in the file" in err
    assert "loading embedding model" not in err and not store.exists()


def test_another_embedder_is_refused_unless_asked_to_reembed(
    algo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    atoms = list(EmbeddedStore(algo_store).iter_atoms())
    assert atoms and {a.embedder for a in atoms} == {"hashing-256"}
    seeds = _write(tmp_path / "more.jsonl", [{**ALGO[0], "id": "b0"}])
    args = ["ingest", str(seeds), "--store", str(algo_store), "--embedder", "minilm"]
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert "embedded with hashing-256, not all-MiniLM-L6-v2" in err and "--reembed" in err
    assert EmbeddedStore(algo_store).seed_atoms("b0") == []  # nothing written
    code, _, err = run_cli(capsys, "ingest", str(seeds), "--store", str(algo_store))
    assert code == 0, err  # the store's own embedder is fine


def test_an_inverted_keep_band_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = tmp_path / "t.jsonl"
    tasks.write_text("")
    for band in ("0.8,0.2", "0.2,1.5", "x"):
        args = ["export", str(tasks), "--out", str(tmp_path / "o.jsonl"), "--keep-band", band]
        code, out, err = run_cli(capsys, *args)
        assert code == 2 and out == "" and "--keep-band" in err, (band, err)
    assert not (tmp_path / "o.jsonl").exists()


def test_import_of_a_missing_dump_names_it_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    code, _, err = run_cli(capsys, "import", str(missing), "--store", str(tmp_path / "st"))
    assert code == 2 and err.count(str(missing)) == 1


def test_help_shows_clean_options(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run_cli(capsys, "sample", "--help")
    assert "--n " not in out and "<bool>" not in out and "-n" in out
    _, out, _ = run_cli(capsys, "seeds", "fetch", "--help")
    assert "[default: all]" in " ".join(out.split())


def _verified_task(seed_ids: list[str]) -> Task:
    return Task(
        id="t1",
        domain="algorithm",
        statement="Add.",
        entry_point="add",
        signature="def add(a, b)",
        reference_solution="def add(a, b): return a + b",
        tests=[{"input": [1, 2], "output": 3}],
        verification=VerificationRecord(
            verified=True, verdicts=[Verdict(step="agree", ok=True, detail="")]
        ),
        provenance=TaskProvenance(
            atom_ids=["algorithm/technique/sorting"],
            seed_ids=seed_ids,
            prompt_version="v",
            model="m",
        ),
    )


def test_exported_tasks_carry_their_seeds_licenses(
    algo_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tasks = tmp_path / "verified.jsonl"
    tasks.write_text(_verified_task(["a0", "a1"]).model_dump_json() + "\n")
    out = tmp_path / "train.jsonl"
    args = ["export", str(tasks), "--out", str(out), "--store", str(algo_store), "--json"]
    code, doc, err = run_cli(capsys, *args)
    assert code == 0, err
    assert json.loads(doc)["licenses"] == ["unknown"]
    exported = Task.model_validate_json(out.read_text().splitlines()[0])
    assert exported.provenance.sources == ["mine.jsonl"]
    assert exported.provenance.licenses == ["unknown"]
    row = verl_row(exported, 0)
    assert (
        row["extra_info"]["license"] == "unknown" and row["extra_info"]["sources"] == "mine.jsonl"
    )


def test_llm_ingest_with_eval_splits_sends_them_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")
    rows = [
        {**ALGO[0], "metadata": {"trainable": False}},
        {**ALGO[1], "metadata": {"trainable": True}},
    ]
    seeds = _write(tmp_path / "s.jsonl", rows)
    store = tmp_path / "st"
    with FakeOpenAI(_llm_reply) as server:
        args = ["ingest", str(seeds), "--store", str(store), "--extractor", "llm"]
        args += ["--include-eval-splits", "--llm-base-url", server.base_url, "--json"]
        code, out, err = run_cli(capsys, *args)
        calls = len(server.requests)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["seeds"] == 2 and doc["skipped_eval_split"] == 0 and calls == 2  # one per seed
    assert EmbeddedStore(store).seed_atoms("a0")


def test_run_without_an_endpoint_samples_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cache: Path
) -> None:
    out_dir = tmp_path / "out"
    args = ["run", "--store", str(tmp_path / "st"), "--cache", str(cache)]
    code, out, err = run_cli(capsys, *args, "--out-dir", str(out_dir), "--sets", "6", "--json")
    assert code == 0, err
    doc = json.loads(out)
    lines = (out_dir / "sets.jsonl").read_text().splitlines()
    assert doc["tasks"] is None and 0 < doc["sets_count"] == len(lines) <= 6
    assert doc["sets_count"] == 6 or doc["sets_shortfall"]  # a short batch says why
    assert set(doc["sets_by_domain"]) == {json.loads(x)["domain"] for x in lines}
    html = (out_dir / "coverage.html").read_text()
    assert html.count("data:image/png;base64,") >= 3
    assert "adr-graph run" in err and str(out_dir / "sets.jsonl") in " ".join(err.split())


def test_run_names_a_domain_it_skipped_in_its_shortfall(tmp_path: Path) -> None:
    """A domain whose atoms leave a required slot empty makes no sets, and says why."""
    from adr_graph.records import Cardinality, Seed, SlotSpec
    from adr_graph.schema import load_schemas
    from adr_graph.stages import run_pipeline

    schemas = load_schemas()
    unfillable = SlotSpec(
        name="never_filled", definition="no extractor fills it", required=True,
        cardinality=Cardinality(min=1, max=1),
    )  # fmt: skip
    ds = schemas["data_science"]
    schemas["data_science"] = ds.model_copy(update={"slots": [*ds.slots, unfillable]})
    statement = "Group the pandas DataFrame by city and return the mean price per city."
    seeds = [Seed(id=r["id"], domain="algorithm", statement=r["statement"], source="t",
                  license="MIT") for r in ALGO]  # fmt: skip
    seeds.append(Seed(id="d0", domain="data_science", statement=statement, source="t",
                      license="MIT"))  # fmt: skip
    store = EmbeddedStore(tmp_path / "st")
    report = run_pipeline(store, seeds, schemas, tmp_path / "out", embedder=None, n_sets=4)
    assert set(report.sets_by_domain) == {"algorithm"}
    assert "never_filled" in report.sets_shortfall["data_science"], report.sets_shortfall
