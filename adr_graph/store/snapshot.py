"""On-disk snapshots of the embedded store, switched atomically.

A store directory holds ``snapshots/<number>/`` folders and a ``CURRENT`` file naming
the live one. A commit writes a complete new snapshot (files fsynced, with a
manifest of sha256 sums), then replaces ``CURRENT`` by rename. A crash at any point
leaves ``CURRENT`` naming a complete snapshot, so the previous state stays readable.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from pydantic import BaseModel, ValidationError

from .._io import atomic_write_text, fsync_dir
from ..errors import StoreError

__all__ = ["FORMAT_VERSION", "current_snapshot", "read_snapshot", "store_lock", "write_snapshot"]

FORMAT_VERSION = 1
_CURRENT = "CURRENT"
_SNAPSHOTS = "snapshots"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def store_lock(root: Path) -> Iterator[None]:
    """Exclusive advisory lock so two processes never commit at once."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_snapshot(root: Path) -> Path | None:
    """The live snapshot folder, or ``None`` for a new (empty) store."""
    pointer = root / _CURRENT
    if not pointer.is_file():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    folder = root / _SNAPSHOTS / name
    if not name or not folder.is_dir():
        raise StoreError(
            f"{pointer}: names snapshot {name!r} which does not exist; the store is damaged. "
            "Restore the folder from a backup or re-run ingest into a new --store."
        )
    return folder


def _next_name(root: Path) -> str:
    numbers = [int(p.name) for p in (root / _SNAPSHOTS).glob("[0-9]*") if p.name.isdigit()]
    return f"{max(numbers, default=0) + 1:06d}"


def _write_jsonl(path: Path, rows: Iterable[BaseModel]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(row.model_dump_json())
            handle.write("\n")
            count += 1
        handle.flush()
        os.fsync(handle.fileno())
    return count


def write_snapshot(root: Path, tables: Mapping[str, Iterable[BaseModel]]) -> Path:
    """Write ``tables`` (file stem -> rows) as a new snapshot and make it current."""
    with store_lock(root):
        snapshots = root / _SNAPSHOTS
        snapshots.mkdir(parents=True, exist_ok=True)
        name = _next_name(root)
        staging = snapshots / f".{name}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        try:
            counts = {
                stem: _write_jsonl(staging / f"{stem}.jsonl", rows) for stem, rows in tables.items()
            }
            manifest = {
                "format_version": FORMAT_VERSION,
                "counts": counts,
                "sha256": {f"{s}.jsonl": _sha256(staging / f"{s}.jsonl") for s in tables},
            }
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
            fsync_dir(staging)
            final = snapshots / name
            os.replace(staging, final)
            fsync_dir(snapshots)
            atomic_write_text(root / _CURRENT, name + "\n")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _prune(snapshots, keep={name})
        return final


def _prune(snapshots: Path, keep: set[str]) -> None:
    """Remove older snapshots and leftovers of interrupted commits."""
    for folder in snapshots.iterdir():
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def read_snapshot(
    folder: Path, models: dict[str, type[BaseModel]], optional: frozenset[str] = frozenset()
) -> dict[str, list[BaseModel]]:
    """Read and check a snapshot; every table named in ``models`` must be present, except
    ``optional`` ones absent from the manifest (tables added by later versions)."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(
            f"{folder}: unreadable manifest.json ({exc}); the store is damaged"
        ) from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StoreError(
            f"{folder}: store format {manifest.get('format_version')} is not {FORMAT_VERSION}; "
            "re-run ingest with this version of adr-graph into a new --store"
        )
    tables: dict[str, list[BaseModel]] = {}
    for stem, model in models.items():
        path = folder / f"{stem}.jsonl"
        expected = manifest.get("sha256", {}).get(path.name)
        if stem in optional and expected is None and not path.exists():
            tables[stem] = []
            continue
        if not path.is_file() or expected != _sha256(path):
            raise StoreError(
                f"{path}: missing or does not match its checksum; the store is damaged"
            )
        tables[stem] = list(_read_jsonl(path, model))
    return tables


def _read_jsonl(path: Path, model: type[BaseModel]) -> Iterator[BaseModel]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                yield model.model_validate_json(line)
            except ValidationError as exc:
                raise StoreError(
                    f"{path}:{number}: invalid record: {exc.errors()[0]['msg']}"
                ) from exc
