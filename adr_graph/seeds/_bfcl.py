"""Read BFCL v4 questions with ground truth out of a ``bfcl-eval`` wheel.

Question files are ``bfcl_eval/data/BFCL_v4_<category>.json`` (one JSON object a
line); ground truth for the same ids is in ``possible_answer/`` under the same
file name. Categories without an answer file (irrelevance, relevance) and
questions without an answer are skipped. Multi-turn and agentic questions name
``involved_classes`` instead of carrying function specs; their specs come from
``multi_turn_func_doc/``.
"""

from __future__ import annotations

import json
import logging
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from adr_graph.errors import FetchError

__all__ = ["FUNC_DOC_FILES", "read_bfcl_questions"]

log = logging.getLogger(__name__)

_DATA = "bfcl_eval/data/"
_QUESTION_FILE = re.compile(r"^bfcl_eval/data/BFCL_v4_([A-Za-z0-9_]+)\.json$")

#: Class name -> function-doc file, as bfcl-eval maps them. The raw memory
#: questions say only ``MemoryAPI``; the key-value backend stands in for it.
FUNC_DOC_FILES: dict[str, str] = {
    "GorillaFileSystem": "gorilla_file_system.json",
    "MathAPI": "math_api.json",
    "MessageAPI": "message_api.json",
    "TwitterAPI": "posting_api.json",
    "TicketAPI": "ticket_api.json",
    "TradingBot": "trading_bot.json",
    "TravelAPI": "travel_booking.json",
    "VehicleControlAPI": "vehicle_control.json",
    "WebSearchAPI": "web_search.json",
    "MemoryAPI": "memory_kv.json",
    "MemoryAPI_kv": "memory_kv.json",
    "MemoryAPI_vector": "memory_vector.json",
    "MemoryAPI_rec_sum": "memory_rec_sum.json",
}


def _lines(wheel: zipfile.ZipFile, member: str) -> Iterator[dict[str, Any]]:
    text = wheel.read(member).decode("utf-8")
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FetchError(f"{member}:{lineno}: invalid JSON ({exc.msg})") from None
        if isinstance(record, dict):
            yield record


def _spec(func: dict[str, Any]) -> dict[str, Any]:
    return {key: func.get(key) for key in ("name", "description", "parameters")}


class _FuncDocs:
    """Loads and caches ``multi_turn_func_doc`` files from the wheel."""

    def __init__(self, wheel: zipfile.ZipFile) -> None:
        self._wheel = wheel
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def for_class(self, name: str) -> list[dict[str, Any]]:
        file_name = FUNC_DOC_FILES.get(name)
        if file_name is None:
            log.warning("bfcl: no function docs known for class %r", name)
            return []
        if file_name not in self._cache:
            member = f"{_DATA}multi_turn_func_doc/{file_name}"
            if member not in self._wheel.namelist():
                raise FetchError(f"bfcl wheel has no {member}; is it the pinned version?")
            self._cache[file_name] = [_spec(f) for f in _lines(self._wheel, member)]
        return self._cache[file_name]


def _user_texts(question: list[Any]) -> tuple[list[str], int]:
    texts: list[str] = []
    turns = 0
    for turn in question:
        messages = turn if isinstance(turn, list) else [turn]
        user = [
            str(m.get("content", ""))
            for m in messages
            if isinstance(m, dict) and m.get("role") == "user"
        ]
        turns += bool(user)
        texts += [t for t in user if t.strip()]
    return texts, turns


def _functions(record: dict[str, Any], docs: _FuncDocs) -> list[dict[str, Any]]:
    if "function" in record:
        return [_spec(f) for f in record["function"]]
    funcs = [f for cls in record.get("involved_classes", []) for f in docs.for_class(cls)]
    missed = {n for names in (record.get("missed_function") or {}).values() for n in names}
    return [f for f in funcs if f["name"] not in missed]


_EXTRA_QUESTION_KEYS = (
    "involved_classes",
    "initial_config",
    "path",
    "excluded_function",
    "missed_function",
    "scenario",
)
_EXTRA_ANSWER_KEYS = {"source": "answer_source", "num_hops": "num_hops"}


def _fields(
    category: str, record: dict[str, Any], answer: dict[str, Any], docs: _FuncDocs
) -> dict[str, Any] | None:
    texts, turns = _user_texts(record.get("question", []))
    if not texts:
        log.warning("bfcl %s: no user text; skipped", record.get("id"))
        return None
    truth = answer["ground_truth"]
    metadata: dict[str, Any] = {
        "category": category,
        "functions": _functions(record, docs),
        "turns": turns,
    }
    metadata.update({k: record[k] for k in _EXTRA_QUESTION_KEYS if k in record})
    metadata.update({new: answer[old] for old, new in _EXTRA_ANSWER_KEYS.items() if old in answer})
    metadata["ground_truth"] = truth
    return {"statement": "\n\n".join(texts), "tests": json.dumps(truth), "metadata": metadata}


def read_bfcl_questions(wheel: zipfile.ZipFile) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield ``(original_id, seed_fields)`` for each question with ground truth."""
    names = set(wheel.namelist())
    docs = _FuncDocs(wheel)
    question_files = sorted(n for n in names if _QUESTION_FILE.match(n))
    if not question_files:
        raise FetchError(
            "bfcl wheel has no bfcl_eval/data/BFCL_v4_*.json; is it the pinned version?"
        )
    for member in question_files:
        category = _QUESTION_FILE.match(member).group(1)  # type: ignore[union-attr]
        answer_member = f"{_DATA}possible_answer/{member.rsplit('/', 1)[-1]}"
        if answer_member not in names:
            log.debug("bfcl %s: no ground truth file; skipped", category)
            continue
        answers = {a["id"]: a for a in _lines(wheel, answer_member) if "ground_truth" in a}
        for record in _lines(wheel, member):
            answer = answers.get(record.get("id", ""))
            if answer is None:
                continue
            fields = _fields(category, record, answer, docs)
            if fields is not None:
                yield str(record["id"]), fields
