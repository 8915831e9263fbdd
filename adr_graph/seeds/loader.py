"""Read and write users' own seed files: JSON Lines, one :class:`Seed` object a line.

Every problem is reported as an :class:`~adr_graph.errors.InputError` carrying
the file, the 1-based line and the offending field.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> seed = Seed(id="mine/1", domain="algorithm", statement="Sort a list.",
...             source="me", license="MIT")
>>> write_seeds([seed], folder / "seeds.jsonl")
1
>>> [s.id for s in load_seeds(folder / "seeds.jsonl").seeds]
['mine/1']
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError

from adr_graph._io import atomic_writer, json_line
from adr_graph.errors import InputError
from adr_graph.records import Seed

__all__ = ["SeedLoadResult", "iter_seeds", "load_seeds", "write_seeds"]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


@dataclass
class SeedLoadResult:
    """Seeds read from a file, and the errors of the lines that were skipped."""

    seeds: list[Seed] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)


def _validation_error(exc: ValidationError, where: str, line: int) -> InputError:
    """Every problem of the line in one message: missing fields together, then the rest."""
    problems = exc.errors()
    if len(problems) == 1:
        only = problems[0]
        loc = ".".join(map(str, only["loc"])) or None
        return InputError(only["msg"], path=where, line=line, field=loc)
    missing = [".".join(map(str, e["loc"])) for e in problems if e["type"] == "missing"]
    others = [e for e in problems if e["type"] != "missing"]
    parts = [f"missing field(s) {', '.join(repr(m) for m in missing)}"] if missing else []
    parts += [f"field {'.'.join(map(str, e['loc']))!r}: {e['msg']}" for e in others]
    return InputError("; ".join(parts), path=where, line=line)


def _parse_line(
    raw: bytes,
    where: str,
    line: int,
    allowed: set[str] | None,
    seen: dict[str, int],
) -> Seed:
    data = json_line(raw, where, line)
    if not isinstance(data, dict):
        raise InputError(
            f"expected a JSON object, got {type(data).__name__}", path=where, line=line
        )
    domain = data.get("domain")
    if allowed is not None and isinstance(domain, str) and domain not in allowed:
        raise InputError(
            f"unknown domain {domain!r}; use one of {', '.join(sorted(allowed))}",
            path=where,
            line=line,
            field="domain",
        )
    data.setdefault("source", Path(where).name)  # documented defaults of a minimal seed
    data.setdefault("license", "unknown")
    try:
        seed = Seed.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, where, line) from None
    if allowed is not None and seed.domain not in allowed:
        raise InputError(
            f"unknown domain {seed.domain!r}; use one of {', '.join(sorted(allowed))}",
            path=where,
            line=line,
            field="domain",
        )
    if seed.id in seen:
        raise InputError(
            f"duplicate id {seed.id!r}; first used on line {seen[seed.id]}",
            path=where,
            line=line,
            field="id",
        )
    return seed


def _open(path: PathLike) -> BinaryIO:
    try:
        return Path(path).open("rb")
    except FileNotFoundError:
        raise InputError("seed file not found; check the path", path=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read seed file: {exc.strerror or exc}", path=str(path)) from None


def iter_seeds(
    path: PathLike,
    *,
    domains: Collection[str] | None = None,
    skip_bad: bool = False,
    errors: list[InputError] | None = None,
) -> Iterator[Seed]:
    """Yield the seeds of a JSONL file, validating each line.

    Blank lines are ignored. With ``skip_bad`` a bad line is logged, appended to
    ``errors`` (when given) and skipped; otherwise its ``InputError`` is raised.
    """
    where = str(path)
    allowed = None if domains is None else set(domains)
    seen: dict[str, int] = {}
    with _open(path) as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                seed = _parse_line(raw, where, line, allowed, seen)
            except InputError as err:
                if not skip_bad:
                    raise
                log.warning("skipping %s", err)
                if errors is not None:
                    errors.append(err)
                continue
            seen[seed.id] = line
            yield seed


def load_seeds(
    path: PathLike,
    *,
    domains: Collection[str] | None = None,
    skip_bad: bool = False,
) -> SeedLoadResult:
    """Read a whole seed file; see :func:`iter_seeds` for the checks."""
    result = SeedLoadResult()
    result.seeds = list(iter_seeds(path, domains=domains, skip_bad=skip_bad, errors=result.errors))
    return result


def write_seeds(seeds: Iterable[Seed], path: PathLike) -> int:
    """Write seeds as JSONL atomically; return how many were written."""
    count = 0
    with atomic_writer(Path(path)) as handle:
        for seed in seeds:
            handle.write(seed.model_dump_json() + "\n")
            count += 1
    return count
