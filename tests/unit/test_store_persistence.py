"""Crash safety of the embedded store: a failed or killed commit keeps the last state."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from adr_graph.errors import StoreError
from adr_graph.records import Atom
from adr_graph.store import EmbeddedStore, SeedAtoms
from adr_graph.store import snapshot as snapshot_mod


def fill(store: EmbeddedStore, generation: int, n_seeds: int) -> None:
    """Generation ``g`` holds atoms a0..a{g} and n_seeds seeds tagged with generation g."""
    atoms = [
        Atom(id=f"algorithm/technique/a{i}", domain="algorithm", slot="technique", name=f"a{i}")
        for i in range(generation + 1)
    ]
    store.upsert_atoms(atoms)
    store.set_memberships(
        SeedAtoms(
            seed_id=f"g{generation}-s{k}",
            domain="algorithm",
            source=f"gen{generation}",
            atom_ids=[atoms[k % len(atoms)].id, atoms[-1].id],
        )
        for k in range(n_seeds)
    )


def test_failure_midway_keeps_previous_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path)
    fill(store, 0, 50)
    store.commit()
    before = store.stats().model_dump()

    real = snapshot_mod._write_jsonl

    def half_then_fail(path: Path, rows):  # type: ignore[no-untyped-def]
        if path.name == "seeds.jsonl":
            rows = iter(rows)
            real(path, [next(rows)])
            raise OSError(28, "No space left on device")
        return real(path, rows)

    monkeypatch.setattr(snapshot_mod, "_write_jsonl", half_then_fail)
    fill(store, 1, 80)
    with pytest.raises(OSError, match="No space"):
        store.commit()
    monkeypatch.undo()

    reopened = EmbeddedStore(tmp_path)
    assert reopened.stats().model_dump() == before
    leftovers = [p.name for p in (tmp_path / "snapshots").iterdir()]
    assert leftovers == [(tmp_path / "CURRENT").read_text().strip()]


def test_keyboard_interrupt_during_commit_keeps_previous_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = EmbeddedStore(tmp_path)
    fill(store, 0, 10)
    store.commit()
    monkeypatch.setattr(
        snapshot_mod, "atomic_write_text", lambda *_a: (_ for _ in ()).throw(KeyboardInterrupt())
    )
    fill(store, 1, 10)
    with pytest.raises(KeyboardInterrupt):
        store.commit()
    monkeypatch.undo()
    assert EmbeddedStore(tmp_path).stats().seeds == 10


WRITER = textwrap.dedent(
    """
    import sys
    from adr_graph.store import EmbeddedStore
    from tests.unit.test_store_persistence import fill
    store = EmbeddedStore(sys.argv[1])
    done = [int(s.removeprefix("gen")) for s in store.stats().sources]
    for generation in range(max(done, default=0) + 1, 10_000):
        fill(store, generation, 3000)
        store.commit()
        print(generation, flush=True)
    """
)


def test_kill_9_during_commits_never_corrupts(tmp_path: Path) -> None:
    """SIGKILL a resuming writer at random moments; every reopen sees whole generations."""
    rng = random.Random(1234)
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    kills, seen = 0, set()
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path)],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        # let this run finish one commit (a slow machine may need longer than any fixed
        # sleep), then kill it at a random moment, usually inside a later commit
        assert proc.stdout is not None
        proc.stdout.readline()
        time.sleep(rng.uniform(0.0, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        kills += proc.returncode == -signal.SIGKILL
        store = EmbeddedStore(tmp_path)
        stats = store.stats()
        if stats.seeds == 0:
            continue
        # seeds of every generation g carry atom a{g}; the newest generation is complete
        newest = max(int(s.removeprefix("gen")) for s in stats.sources)
        assert stats.sources == {f"gen{g}": 3000 for g in range(1, newest + 1)}
        assert stats.atoms == newest + 1
        seen.add(newest)
    assert kills >= 3
    assert len(seen) >= 2, seen


def test_damaged_snapshot_is_reported(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path)
    fill(store, 0, 5)
    store.commit()
    current = tmp_path / "snapshots" / (tmp_path / "CURRENT").read_text().strip()
    with (current / "seeds.jsonl").open("a") as handle:
        handle.write("garbage\n")
    with pytest.raises(StoreError, match="checksum"):
        EmbeddedStore(tmp_path)


def test_dangling_current_is_reported(tmp_path: Path) -> None:
    (tmp_path / "CURRENT").write_text("000042\n")
    with pytest.raises(StoreError, match="000042"):
        EmbeddedStore(tmp_path)


def test_store_path_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "not-a-dir"
    target.write_text("x")
    with pytest.raises(StoreError, match="directory"):
        EmbeddedStore(target)
