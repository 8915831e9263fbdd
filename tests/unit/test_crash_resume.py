"""kill -9 at random moments during ingest, sample, generate and verify; after restarts
the final outputs equal an uninterrupted run: nothing lost, nothing duplicated.

Each scenario runs the installed ``adr-graph`` console script twice over: once straight
through (the reference, which also times the command), and once killed with SIGKILL at
random points inside that time, several times in a row, then let finish.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adr_graph.records import Seed, Task
from adr_graph.store import EmbeddedStore
from tests.support.fake_openai import FakeOpenAI, Scripted
from tests.unit.test_generate import responder
from tests.unit.test_sampler import planted_store

pytestmark = pytest.mark.slow

EXE = shutil.which("adr-graph", path=str(Path(sys.executable).parent))
KILLS = 4


def cli(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run to completion; the wall time it took."""
    assert EXE, "the adr-graph console script is not installed in this environment"
    started = time.monotonic()
    done = subprocess.run([EXE, *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return time.monotonic() - started


def kill_then_finish(
    args: list[str],
    cwd: Path,
    env: dict[str, str],
    seconds: float,
    rng: random.Random,
    left: Callable[[], float] = lambda: 1.0,
) -> int:
    """SIGKILL ``KILLS`` runs at random moments within ``seconds`` (scaled by ``left()``, the
    share of the work a resumed run still has to do); then one to the end.

    Returns how many runs were killed while still working.
    """
    assert EXE
    killed = 0
    for _ in range(KILLS):
        span = seconds * max(left(), 0.25)
        proc = subprocess.Popen(
            [EXE, *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.2 * span, 0.95 * span))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
    cli(args, cwd, env)
    return killed


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "ADR_GRAPH_"))}
    return {**clean, "ADR_GRAPH_CACHE": str(tmp_path / "cache")}


def synthetic_seeds(path: Path, n: int, seed: int = 7) -> Path:
    """``n`` algorithm seeds whose statements name a few techniques and structures."""
    rng = random.Random(seed)
    words = [
        "binary search",
        "dynamic programming",
        "a heap",
        "a hash map",
        "bfs on a graph",
        "a stack",
        "sorting",
        "two pointers",
        "prefix sums",
        "a trie",
        "union find",
        "bit manipulation",
        "a linked list",
        "recursion",
        "greedy choice",
        "a matrix",
    ]
    with path.open("w") as handle:
        for k in range(n):
            picked = rng.sample(words, 3)
            statement = f"Task {k}: use {', '.join(picked)} to answer queries on an array."
            seed_record = Seed(
                id=f"syn-{k}",
                domain="algorithm",
                statement=statement,
                source="syn",
                license="MIT",
                solution="def f(xs):\n    return sorted(xs)\n",
            )
            handle.write(seed_record.model_dump_json() + "\n")
    return path


def store_state(path: Path) -> tuple[dict[str, Any], list[Any]]:
    store = EmbeddedStore(path)
    stats = store.stats().model_dump(exclude={"store"})
    rows = sorted((m.seed_id, sorted(m.atom_ids)) for m in store.iter_memberships())
    return stats, rows


def test_ingest_killed_at_random_resumes_to_the_same_graph(
    tmp_path: Path, env: dict[str, str]
) -> None:
    seeds = synthetic_seeds(tmp_path / "seeds.jsonl", 3000)
    args = ["ingest", str(seeds), "--embedder", "hashing", "--store"]
    seconds = cli([*args, str(tmp_path / "ref")], tmp_path, env)
    killed = kill_then_finish(
        [*args, str(tmp_path / "crash")], tmp_path, env, seconds, random.Random(1)
    )
    assert killed >= 2
    assert store_state(tmp_path / "crash") == store_state(tmp_path / "ref")


def test_sample_killed_at_random_writes_whole_files_only(
    tmp_path: Path, env: dict[str, str]
) -> None:
    planted_store(tmp_path / "store", n_seeds=200).commit()
    base = [
        "sample",
        "-n",
        "400",
        "--seed",
        "3",
        "--domain",
        "algorithm",
        "--store",
        str(tmp_path / "store"),
        "--out",
    ]
    seconds = cli([*base, str(tmp_path / "ref.jsonl")], tmp_path, env)
    out = tmp_path / "crash.jsonl"
    rng = random.Random(2)
    for _ in range(KILLS):  # after every kill the file is absent or whole
        proc = subprocess.Popen(
            [EXE or "", *base, str(out)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.2 * seconds, 1.0 * seconds))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not out.exists() or out.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()
        assert not list(tmp_path.glob("crash.jsonl?*"))  # no temp files left next to it
    cli([*base, str(out)], tmp_path, env)
    assert out.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()


@pytest.fixture
def slow_llm() -> Iterator[str]:
    """The scripted model, slowed so that a kill lands between replies."""

    def reply(body: dict[str, Any]) -> Scripted:
        answer = responder(body)
        return Scripted(answer.content, delay=0.03)

    with FakeOpenAI(reply) as server:
        yield server.base_url


def records(path: Path) -> dict[str, Any]:
    lines = path.read_text().splitlines()
    tasks = [Task.model_validate_json(line) for line in lines]
    assert len({t.id for t in tasks}) == len(lines), "duplicated records"
    return {t.id: t.model_dump() for t in tasks}


def test_generate_and_verify_killed_at_random_lose_and_repeat_nothing(
    tmp_path: Path, env: dict[str, str], slow_llm: str
) -> None:
    store = tmp_path / "store"
    planted_store(store, per_slot=24, n_seeds=300).commit()
    sets = tmp_path / "sets.jsonl"
    cli(
        ["sample", "-n", "40", "--domain", "algorithm", "--store", str(store), "--out", str(sets)],
        tmp_path,
        env,
    )
    llm = ["--llm-base-url", slow_llm, "--model", "m", "--store", str(store)]

    def generate(name: str) -> list[str]:
        return [
            "generate",
            str(sets),
            "--out",
            str(tmp_path / name),
            "--cache",
            str(tmp_path / f"cache-{name}"),
            *llm,
        ]

    def left(name: str) -> Callable[[], float]:
        path = tmp_path / name
        return lambda: 1 - (len(path.read_text().splitlines()) if path.exists() else 0) / 40

    seconds = cli(generate("ref.jsonl"), tmp_path, env)
    crashed = kill_then_finish(
        generate("crash.jsonl"), tmp_path, env, seconds, random.Random(3), left("crash.jsonl")
    )
    assert crashed >= 2
    reference = records(tmp_path / "ref.jsonl")
    assert len(reference) == 40 and records(tmp_path / "crash.jsonl") == reference

    def verify(name: str) -> list[str]:
        return [
            "verify",
            str(tmp_path / "ref.jsonl"),
            "--out",
            str(tmp_path / name),
            "--inputs",
            "8",
            "--mutants",
            "2",
            "--min-fidelity",  # the scripted tasks do not carry their atoms; gates tested apart
            "0",
            "--min-reference-nodes",
            "0",
            "--store",
            str(store),
        ]

    seconds = cli(verify("vref.jsonl"), tmp_path, env)
    crashed = kill_then_finish(
        verify("vcrash.jsonl"), tmp_path, env, seconds, random.Random(4), left("vcrash.jsonl")
    )
    assert crashed >= 2
    verified = records(tmp_path / "vref.jsonl")
    assert len(verified) == 40 and records(tmp_path / "vcrash.jsonl") == verified
    assert all(t["verification"]["verified"] for t in verified.values())
    outcomes = list(EmbeddedStore(store).iter_outcomes())
    assert sorted(o.task_id for o in outcomes) == sorted(verified)  # each once, both runs
