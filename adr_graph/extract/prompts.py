"""Versioned prompt and reply parser for LLM atom extraction.

The prompt lists the domain's slots (name and definition) and the seed's statement and
solution, cut to a character budget. The model answers with one JSON object::

    {"atoms": [{"slot": "...", "name": "...", "description": "..."}]}

:func:`parse_reply` accepts that object inside code fences or after leading prose, and
raises :class:`LlmReplyError` on anything else.

>>> from adr_graph.schema import load_schemas
>>> schema = load_schemas()["algorithm"]
>>> text = 'Sure!\\n```json\\n{"atoms": [{"slot": "technique", "name": "binary search"}]}\\n```'
>>> [(c.slot, c.name, c.extractor) for c in parse_reply(text, schema)]
[('technique', 'binary search', 'llm')]
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from adr_graph.errors import LlmReplyError
from adr_graph.records import AtomCandidate, ElementSchema, Seed, slugify

__all__ = [
    "EXTRACT_PROMPT_VERSION",
    "NO_ATOM",
    "AtomReply",
    "ExtractReply",
    "LlmReplyError",
    "build_messages",
    "parse_reply",
    "reply_schema",
]

#: Bump whenever the wording of the prompt or the reply format changes (it keys the cache).
EXTRACT_PROMPT_VERSION = "extract-v1"

_STATEMENT_CHARS = 2000
_SOLUTION_CHARS = 1500
_DESCRIPTION_LIMIT = 200
_FENCE_RE = re.compile(r"```[A-Za-z0-9_-]*\s*\n?(.*?)(?:```|$)", re.DOTALL)

_SYSTEM = (
    "You decompose programming tasks into typed elements (atoms). "
    "Answer with one JSON object and nothing else."
)


class AtomReply(BaseModel):
    """One atom as the model reports it."""

    model_config = ConfigDict(extra="ignore")

    slot: str
    name: str
    description: str = ""


class ExtractReply(BaseModel):
    """The whole reply: a list of atoms."""

    model_config = ConfigDict(extra="ignore")

    atoms: list[AtomReply] = Field(default_factory=list)


def _atom_shape(slots: dict[str, Any], name: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "slot": slots,
            "name": name,
            "description": {"type": "string", "maxLength": _DESCRIPTION_LIMIT},
        },
        "required": ["slot", "name", "description"],
        "additionalProperties": False,
    }


def reply_schema(
    schema: ElementSchema,
    *,
    max_atoms: int = 12,
    names: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The JSON Schema of a reply for ``schema``'s domain: slots as an enum, so a
    grammar-constrained server cannot invent a slot or break the JSON.

    With ``names`` (slot -> known names), a slot that has names takes only those (a
    closed vocabulary); the other slots stay open.

    >>> from adr_graph.schema import load_schemas
    >>> s = reply_schema(load_schemas()["algorithm"])
    >>> s["properties"]["atoms"]["items"]["properties"]["slot"]["enum"][:2]
    ['technique', 'data_structure']
    >>> closed = reply_schema(load_schemas()["algorithm"], names={"technique": ["bfs", "dfs"]})
    >>> closed["properties"]["atoms"]["items"]["anyOf"][0]["properties"]["name"]
    {'type': 'string', 'enum': ['bfs', 'dfs']}
    """
    free = {"type": "string", "minLength": 1, "maxLength": 60}
    slots = [slot.name for slot in schema.slots]
    atom = _atom_shape({"type": "string", "enum": slots}, free)
    if names:
        closed = [s for s in slots if names.get(s)]
        open_slots = [s for s in slots if not names.get(s)]
        shapes = [
            _atom_shape({"type": "string", "enum": [s]}, {"type": "string", "enum": list(names[s])})
            for s in closed
        ]
        if open_slots:
            shapes.append(_atom_shape({"type": "string", "enum": open_slots}, free))
        atom = {"anyOf": shapes}
    return {
        "type": "object",
        "properties": {"atoms": {"type": "array", "items": atom, "maxItems": max_atoms}},
        "required": ["atoms"],
        "additionalProperties": False,
    }


def _truncate(text: str | None, budget: int) -> str:
    text = (text or "").strip()
    if len(text) <= budget:
        return text
    return text[:budget].rstrip() + "\n[... truncated]"


def build_messages(
    seed: Seed,
    schema: ElementSchema,
    *,
    statement_chars: int = _STATEMENT_CHARS,
    solution_chars: int = _SOLUTION_CHARS,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, str]]:
    """Chat messages asking for the atoms of one seed.

    Parameters
    ----------
    seed : Seed
        The task to decompose.
    schema : ElementSchema
        The seed's domain schema; its slots are the only allowed ``slot`` values.
    statement_chars, solution_chars : int
        Character budgets for the statement and the reference solution.
    names : mapping of str to sequence of str, optional
        Known names per slot, listed so the model picks among them (closed vocabulary).

    Returns
    -------
    list of dict
        ``[{"role": "system", ...}, {"role": "user", ...}]``.
    """
    slots = "\n".join(f"- {s.name}: {s.definition}" for s in schema.slots)
    parts = [f"Domain: {schema.domain}. Allowed slots:\n{slots}"]
    if names:
        listed = "\n".join(f"- {slot}: {', '.join(n)}" for slot, n in names.items() if n)
        parts.append(f"For these slots, use only these names:\n{listed}")
    parts.append(f"Task statement:\n{_truncate(seed.statement, statement_chars)}")
    if seed.solution:
        parts.append(f"Reference solution:\n{_truncate(seed.solution, solution_chars)}")
    parts.append(
        'Reply with JSON: {"atoms": [{"slot": "<one allowed slot>", "name": "<short name>", '
        '"description": "<one sentence>"}]}. Give one to three atoms per slot that applies.'
    )
    return [
        {"role": "system", "content": _SYSTEM},
        {"role": "user", "content": "\n\n".join(parts)},
    ]


def _decode(body: str, text: str) -> Any:
    starts = [i for i in (body.find("{"), body.find("[")) if i >= 0]
    if not starts:
        raise LlmReplyError("no JSON object found", text)
    try:
        value, _ = json.JSONDecoder().raw_decode(body[min(starts) :])
    except json.JSONDecodeError as exc:
        raise LlmReplyError(f"invalid or truncated JSON ({exc.msg})", text) from exc
    return {"atoms": value} if isinstance(value, list) else value


def _json_payload(text: str) -> Any:
    """The first decodable JSON value: inside a code fence first, else in the whole text."""
    bodies = [m.group(1) for m in _FENCE_RE.finditer(text)] + [text]
    error: LlmReplyError | None = None
    for body in bodies:
        try:
            return _decode(body, text)
        except LlmReplyError as exc:
            error = error or exc
    assert error is not None
    raise error


def _validated(payload: Any, text: str) -> ExtractReply:
    if not isinstance(payload, dict) or "atoms" not in payload:
        raise LlmReplyError("JSON has no 'atoms' list", text)
    try:
        return ExtractReply.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LlmReplyError(f"field {where!r}: {first['msg']}", text) from exc


#: Slugs a model writes for "this slot has nothing": the slot is left empty, no atom is made.
NO_ATOM = frozenset(
    {"none", "na", "n-a", "null", "nil", "nothing", "unknown", "not-applicable", "not-specified"}
)


def parse_reply(text: str, schema: ElementSchema, *, extractor: str = "llm") -> list[AtomCandidate]:
    """Turn a model reply into candidates, validating slots against ``schema``.

    Parameters
    ----------
    text : str
        The raw reply (may hold code fences or prose around the JSON).
    schema : ElementSchema
        The domain schema the slots must belong to.
    extractor : str
        Value for ``AtomCandidate.extractor``.

    Returns
    -------
    list of AtomCandidate
        In reply order, duplicates (same slot and slug) removed.

    Raises
    ------
    LlmReplyError
        Non-JSON, truncated JSON, missing fields, an unknown slot or an empty name.
    """
    reply = _validated(_json_payload(text), text)
    allowed = {s.name for s in schema.slots}
    seen: set[tuple[str, str]] = set()
    out: list[AtomCandidate] = []
    for atom in reply.atoms:
        slot = atom.slot.strip().lower()
        name = " ".join(atom.name.split())
        if slot not in allowed:
            raise LlmReplyError(f"unknown slot {atom.slot!r} for domain {schema.domain}", text)
        if not name:
            raise LlmReplyError(f"empty name in slot {slot!r}", text)
        key = (slot, slugify(name))
        if key in seen or key[1] in NO_ATOM:
            continue
        seen.add(key)
        description = " ".join(atom.description.split())[:_DESCRIPTION_LIMIT]
        out.append(
            AtomCandidate(slot=slot, name=name, description=description, extractor=extractor)
        )
    return out
