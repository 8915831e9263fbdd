"""Element schemas: one JSON file per domain, loaded and validated at run time.

>>> schemas = load_schemas()
>>> sorted(schemas)
['algorithm', 'data_science', 'tool_usage']
>>> schemas["algorithm"].required_slots[:2]
['technique', 'data_structure']
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import SchemaError
from .records import ElementSchema

__all__ = ["default_schema_dir", "load_schema_file", "load_schemas", "read_data_file"]

M = TypeVar("M", bound=BaseModel)


def default_schema_dir() -> Path:
    """The ``schema/`` folder shipped with the package (wheel) or the checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_schema", here.parent / "schema"):
        if (candidate / "algorithm.json").is_file():
            return candidate
    raise SchemaError(
        f"no element schemas found next to {here}; reinstall adr-graph or set ADR_GRAPH_SCHEMA_DIR"
    )


def read_data_file(path: Path, model: type[M]) -> M:
    """A ``.json`` or ``.toml`` data file validated as ``model``; a :class:`SchemaError`
    names the file and the line or field on any problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{path}: invalid TOML: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise SchemaError(f"{path}: field {where!r}: {first['msg']}") from exc


def load_schema_file(path: Path) -> ElementSchema:
    """Read and validate one domain schema, naming the file and field on error."""
    schema = read_data_file(path, ElementSchema)
    if schema.domain != path.stem:
        raise SchemaError(
            f"{path}: field 'domain': is {schema.domain!r} but the file is named "
            f"{path.name}; rename the file to {schema.domain}.json"
        )
    return schema


def load_schemas(schema_dir: Path | None = None) -> dict[str, ElementSchema]:
    """Load every ``*.json`` domain schema in ``schema_dir`` keyed by domain."""
    folder = schema_dir or default_schema_dir()
    files = sorted(p for p in folder.glob("*.json") if not p.name.startswith("_"))
    if not files:
        raise SchemaError(f"{folder}: no domain schema files (*.json) found")
    return {schema.domain: schema for schema in map(load_schema_file, files)}
