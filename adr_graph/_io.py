"""Crash-safe files: atomic replace (temp file, fsync, rename), and JSONL record files.

``JsonlCheckpoint`` is an append-only output that a rerun resumes; ``read_jsonl`` reads
such a file (or any JSONL of records) without touching it, reporting bad lines.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from .errors import InputError

__all__ = [
    "JsonlCheckpoint",
    "JsonlRecords",
    "atomic_write_text",
    "atomic_writer",
    "fsync_dir",
    "json_line",
    "parse_record",
    "read_jsonl",
]

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


def fsync_dir(folder: Path) -> None:
    """Flush a directory entry so a rename inside it survives a power cut."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


#: Read once at import (os.umask is process-wide, so never flip it while threads write).
_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_writer(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temp file next to ``path``; on success rename it over ``path``.

    On any exception (or Ctrl-C) the temp file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        encoding = None if "b" in mode else "utf-8"
        with os.fdopen(fd, mode, encoding=encoding) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs get the usual mode
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically."""
    with atomic_writer(path) as handle:
        handle.write(text)


@dataclass
class JsonlRecords(Generic[M]):
    """Records of a JSONL file keyed by ``id`` (a later line wins), and its bad lines.

    ``bad_lines`` holds one :class:`InputError` per unreadable line (file, line, field);
    ``torn_tail`` is true when the last line has no newline (a write cut short).
    """

    path: Path
    records: dict[str, M] = field(default_factory=dict)
    bad_lines: list[InputError] = field(default_factory=list)
    torn_tail: bool = False

    def raise_if_bad(self) -> None:
        """Raise the first bad line's error, saying how many more there are."""
        if self.bad_lines:
            first = self.bad_lines[0]
            more = len(self.bad_lines) - 1
            suffix = f" (and {more} more bad line(s))" if more else ""
            raise InputError(
                first.reason + suffix, path=first.path, line=first.line, field=first.field
            )


def json_line(line: str | bytes, path: Path | str, number: int) -> Any:
    """One JSONL line parsed; an :class:`InputError` names the file, line and column.

    >>> json_line('{"a": 1}', "x.jsonl", 1)
    {'a': 1}
    """
    try:
        return json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", path=str(path), line=number
        ) from None
    except UnicodeDecodeError:
        raise InputError("line is not valid UTF-8", path=str(path), line=number) from None


def parse_record(line: str | bytes, model: type[M], path: Path | str, number: int) -> M:
    """One JSONL line as a ``model`` record; errors name the file, line, column or field.

    >>> class R(BaseModel):
    ...     id: str
    >>> parse_record('{"id": 1', R, "r.jsonl", 7)
    Traceback (most recent call last):
    adr_graph.errors.InputError: r.jsonl:7: invalid JSON: Expecting ',' delimiter (column 9)
    """
    data = json_line(line, path, number)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or None
        raise InputError(first["msg"], path=str(path), line=number, field=where) from None


def read_jsonl(path: Path, model: type[M]) -> JsonlRecords[M]:
    """Read ``path`` as JSONL records of ``model``; never writes to it.

    >>> import tempfile
    >>> class R(BaseModel):
    ...     id: str
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "r.jsonl").write_text('{"id": "a"}\\n{"id": 3}\\n{"id": "b"}\\n')
    >>> got = read_jsonl(folder / "r.jsonl", R)
    >>> sorted(got.records), [str(e) for e in got.bad_lines]  # doctest: +ELLIPSIS
    (['a', 'b'], ["...r.jsonl:2: field 'id': Input should be a valid string"])
    """
    out: JsonlRecords[M] = JsonlRecords(path=path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path=str(path)) from exc
    for number, line in enumerate(raw.splitlines(keepends=True), start=1):
        if not line.strip():
            continue
        if not line.endswith(b"\n"):  # a write cut short: never a record
            out.torn_tail = True
            break
        try:
            record = parse_record(line, model, path, number)
        except InputError as exc:
            out.bad_lines.append(exc)
            continue
        out.records[record.id] = record  # type: ignore[attr-defined]
    return out


class JsonlCheckpoint:
    """Append-only JSONL of records keyed by ``id``; safe against crashes mid-write.

    On open, a last line cut short by a crash (no newline) is cut off, so that appends
    start on a fresh line; any other unreadable line is logged, kept in the file and
    left out of ``records`` (nothing after it is lost).
    """

    def __init__(self, path: Path, model: type[BaseModel]) -> None:
        self.path = path
        self.model = model
        self._lock = threading.Lock()
        read = read_jsonl(path, model)
        self.records: dict[str, Any] = dict(read.records)
        self.bad_lines = read.bad_lines
        for problem in read.bad_lines:
            log.warning("skipping an unreadable line: %s", problem)
        if read.torn_tail:
            self._cut_torn_tail()

    def _cut_torn_tail(self) -> None:
        raw = self.path.read_bytes()
        keep = raw.rfind(b"\n") + 1
        log.warning("%s: dropping a line cut short at byte %d", self.path, keep)
        with self.path.open("r+b") as handle:
            handle.truncate(keep)

    def __contains__(self, key: str) -> bool:
        return key in self.records

    def append(self, record: BaseModel) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())
            self.records[record.id] = record  # type: ignore[attr-defined]
