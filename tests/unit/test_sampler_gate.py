"""The sampler emits only sets it can stand behind (issue 14, part 3): distinct sets,
never one below the compatibility threshold, never an atom the sandbox cannot run, and an
under-filled batch that says why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adr_graph.records import ElementSchema, NotSandboxable
from adr_graph.sample import STRATEGIES, PairModel, SampleStats, model_from_store, sample_sets
from adr_graph.schema import load_schemas
from tests.unit.test_cli import run_cli
from tests.unit.test_sampler import planted_store

ALGORITHM = load_schemas()["algorithm"]


@pytest.fixture(scope="module")
def model() -> PairModel:
    return model_from_store(planted_store(n_seeds=120))


def _keys(sets: list) -> list[frozenset[str]]:
    return [frozenset(a.id for a in s.atoms) for s in sets]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_no_set_repeats_within_a_batch(model: PairModel, strategy: str) -> None:
    tiny = model_from_store(planted_store(per_slot=2, n_seeds=40))
    stats = SampleStats()
    sets = sample_sets(tiny, ALGORITHM, 64, strategy=strategy, seed=1, stats=stats)
    keys = _keys(sets)
    assert len(keys) == len(set(keys)) and len(sets) < 64  # 2**5 = 32 sets exist at most
    assert stats.shortfall == 64 - len(sets) and stats.duplicates > 0
    assert "repeated a set already made or in the history" in stats.why_short()


def test_no_set_repeats_one_of_the_history(model: PairModel) -> None:
    first = sample_sets(model, ALGORITHM, 20, seed=3)
    again = sample_sets(model, ALGORITHM, 20, seed=3, exclude=first)
    assert not set(_keys(first)) & set(_keys(again))


@pytest.mark.parametrize("kind", ["learned", "hand"])
def test_novelty_never_emits_a_pair_below_the_threshold(kind: str) -> None:
    model = model_from_store(planted_store(n_seeds=120), compatibility=kind)
    assert (model.learned is not None) == (kind == "learned")
    stats = SampleStats()
    sets = sample_sets(model, ALGORITHM, 60, strategy="novelty", seed=5, stats=stats)
    assert sets
    threshold = model.weights.threshold
    for atom_set in sets:
        assert atom_set.score.min_compatibility >= threshold
        ids = np.array([model.index[a.id] for a in atom_set.atoms])
        a, b = np.triu_indices(len(ids), 1)
        assert model.compatibility(ids[a], ids[b]).min() >= threshold
    # the planted graph has two communities: many pairs mixing them are below the threshold,
    # so the gate has something to stop (the walk avoids them or the set is dropped)
    i, j = np.triu_indices(len(model.atom_ids), 1)
    comp = model.compatibility(i, j)
    cross_slot = model.slots[i] != model.slots[j]
    assert (comp[cross_slot] < threshold).mean() > 0.2


def test_atoms_the_sandbox_cannot_run_are_never_drawn(model: PairModel) -> None:
    rule = NotSandboxable(slot="technique", pattern=r"^tec0[0-3]$", why="needs the network")
    schema = ElementSchema.model_validate(
        {**ALGORITHM.model_dump(), "not_sandboxable": [rule.model_dump()]}
    )
    stats = SampleStats()
    sets = sample_sets(model, schema, 30, strategy="random", seed=2, stats=stats)
    names = {a.name for s in sets for a in s.atoms if a.slot == "technique"}
    assert names and not names & {"tec00", "tec01", "tec02", "tec03"}
    assert stats.not_sandboxable_atoms == 4


def test_the_shipped_schema_marks_web_atoms_not_sandboxable() -> None:
    ds = load_schemas()["data_science"]
    assert not ds.sandboxable("library_api", "requests.get")
    assert not ds.sandboxable("library_api", "urllib.request.urlopen")
    assert not ds.sandboxable("data_schema", "web-content")
    assert ds.sandboxable("library_api", "pandas.read_csv")


def test_a_rule_naming_an_unknown_slot_is_a_schema_error() -> None:
    with pytest.raises(ValueError, match="unknown slot"):
        ElementSchema.model_validate(
            {
                **ALGORITHM.model_dump(),
                "not_sandboxable": [{"slot": "x", "pattern": "a", "why": "w"}],
            }
        )


def test_an_under_filled_batch_says_how_many_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "store"
    planted_store(store, per_slot=2, n_seeds=40).commit()
    args = ["sample", "-n", "50", "--domain", "algorithm", "--store", str(store), "--json"]
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["requested"] == 50 and doc["count"] < 50
    assert doc["shortfall"]["algorithm"].startswith(f"made {doc['count']} of 50 sets")
    assert f"made {doc['count']} of 50 atom sets" in err
