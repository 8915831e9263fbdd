"""LlmExtractor through the real openai client against a scripted local server."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from adr_graph.chat import RetryPolicy
from adr_graph.errors import LlmCallError
from adr_graph.extract.llm import LlmExtractor, make_client
from adr_graph.extract.prompts import (
    EXTRACT_PROMPT_VERSION,
    LlmReplyError,
    build_messages,
    parse_reply,
    reply_schema,
)
from adr_graph.records import ElementSchema, Seed
from adr_graph.schema import load_schemas
from tests.support.fake_openai import FakeOpenAI, Scripted

pytest.importorskip("openai", reason="openai is not installed (extra 'llm')")

GOOD = json.dumps(
    {
        "atoms": [
            {"slot": "technique", "name": "binary search", "description": "halve the range"},
            {"slot": "data_structure", "name": "array", "description": "sorted list"},
        ]
    }
)


@pytest.fixture(scope="module")
def schemas() -> dict[str, ElementSchema]:
    return load_schemas()


def _seed(i: int = 0, domain: str = "algorithm") -> Seed:
    return Seed(
        id=f"t/{i}",
        domain=domain,
        statement=f"Find x in a sorted list ({i}).",
        solution="def f(a, x):\n    return a.index(x)",
        source="test",
        license="MIT",
    )


def _extractor(server: FakeOpenAI, cache: Path | None = None, **kw: Any) -> LlmExtractor:
    sleeps: list[float] = []
    ext = LlmExtractor(
        make_client(server.base_url, timeout=10),
        "fake-model",
        cache_dir=cache,
        retry=RetryPolicy(max_retries=kw.pop("max_retries", 3), sleep=sleeps.append),
        **kw,
    )
    ext.sleeps = sleeps  # type: ignore[attr-defined]
    return ext


def test_good_reply_gives_candidates(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([Scripted(GOOD)]) as server:
        found = _extractor(server).extract(_seed(), schemas["algorithm"])
    assert [(c.slot, c.name) for c in found] == [
        ("technique", "binary search"),
        ("data_structure", "array"),
    ]
    assert {c.extractor for c in found} == {"llm:fake-model"}
    body = server.requests[0]
    assert body["model"] == "fake-model" and body["temperature"] == 0.0
    assert body["max_tokens"] == 512
    assert "technique" in body["messages"][1]["content"]


def test_fenced_json_with_prose(schemas: dict[str, ElementSchema]) -> None:
    reply = f"Here are the atoms:\n```json\n{GOOD}\n```\nHope this helps."
    with FakeOpenAI([Scripted(reply)]) as server:
        found = _extractor(server).extract(_seed(), schemas["algorithm"])
    assert len(found) == 2


@pytest.mark.parametrize(
    ("reply", "needle"),
    [
        ("I cannot help with that.", "no JSON"),
        ('{"atoms": [{"slot": "technique", "name": "bin', "truncated"),
        ('{"atoms": [{"slot": "flavour", "name": "vanilla"}]}', "unknown slot"),
        ('{"atoms": [{"slot": "technique", "name": "   "}]}', "empty name"),
        ('{"atoms": [{"slot": "technique"}]}', "name"),
        ('{"items": []}', "atoms"),
    ],
)
def test_malformed_reply_is_recorded_failure(
    schemas: dict[str, ElementSchema], reply: str, needle: str
) -> None:
    with FakeOpenAI([Scripted(reply)]) as server:
        batch = _extractor(server).extract_many([_seed()], schemas)
    [result] = batch.results
    assert result.candidates == [] and result.failure is not None
    assert result.failure.kind == "reply" and result.failure.seed_id == "t/0"
    assert needle in result.failure.reason
    with pytest.raises(LlmReplyError):
        parse_reply(reply, schemas["algorithm"])


def test_500_then_success_is_retried(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([Scripted("boom", 500), Scripted("boom", 503), Scripted(GOOD)]) as server:
        ext = _extractor(server)
        assert len(ext.extract(_seed(), schemas["algorithm"])) == 2
    assert len(server.requests) == 3 and ext.http_calls == 3
    assert ext.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


def test_429_is_retried(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([Scripted("slow down", 429), Scripted(GOOD)]) as server:
        ext = _extractor(server)
        assert len(ext.extract(_seed(), schemas["algorithm"])) == 2
    assert len(server.requests) == 2


def test_400_fails_at_once(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([Scripted("bad request", 400), Scripted(GOOD)]) as server:
        ext = _extractor(server)
        batch = ext.extract_many([_seed()], schemas)
    assert len(server.requests) == 1 and ext.sleeps == []  # type: ignore[attr-defined]
    failure = batch.results[0].failure
    assert failure is not None and failure.kind == "call" and "400" in failure.reason


def test_400_raises_from_extract(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([Scripted("bad request", 400)]) as server, pytest.raises(LlmCallError):
        _extractor(server).extract(_seed(), schemas["algorithm"])


def test_retries_are_bounded(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI(lambda body: Scripted("down", 502)) as server:
        ext = _extractor(server, max_retries=2)
        with pytest.raises(LlmCallError, match="3 attempts"):
            ext.extract(_seed(), schemas["algorithm"])
    assert len(server.requests) == 3 and ext.sleeps == [0.5, 1.0]  # type: ignore[attr-defined]


def test_cache_makes_rerun_free(schemas: dict[str, ElementSchema], tmp_path: Path) -> None:
    seeds = [_seed(i) for i in range(3)] + [_seed(9, "data_science")]

    def reply(body: dict[str, Any]) -> Scripted:
        ds = "data_science" in body["messages"][1]["content"]
        return Scripted('{"atoms": [{"slot": "task_goal", "name": "mean"}]}' if ds else GOOD)

    with FakeOpenAI(reply) as server:
        first = _extractor(server, tmp_path).extract_many(seeds, schemas)
        assert len(server.requests) == 4
        again = _extractor(server, tmp_path)
        second = again.extract_many(seeds, schemas)
        assert len(server.requests) == 4 and again.http_calls == 0
    assert first.candidates == second.candidates and not first.failures
    assert all(r.cached for r in second.results) and not any(r.cached for r in first.results)
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 4
    entry = json.loads(files[0].read_text())
    assert entry["prompt_version"] == EXTRACT_PROMPT_VERSION and entry["model"] == "fake-model"


def test_malformed_reply_cached_still_recorded(
    schemas: dict[str, ElementSchema], tmp_path: Path
) -> None:
    with FakeOpenAI([Scripted("nope")]) as server:
        _extractor(server, tmp_path).extract_many([_seed()], schemas)
        batch = _extractor(server, tmp_path).extract_many([_seed()], schemas)
    assert len(server.requests) == 1 and batch.results[0].failure is not None


def test_concurrency_limit_respected(schemas: dict[str, ElementSchema]) -> None:
    seeds = [_seed(i) for i in range(10)]
    done: list[str] = []
    lock = threading.Lock()

    def on_done(result: Any) -> None:
        with lock:
            done.append(result.seed_id)

    with FakeOpenAI(lambda body: Scripted(GOOD, delay=0.1)) as server:
        batch = _extractor(server, max_concurrency=3).extract_many(seeds, schemas, on_done)
    assert server.max_in_flight == 3
    assert [r.seed_id for r in batch.results] == [s.id for s in seeds]
    assert sorted(done) == sorted(s.id for s in seeds) and not batch.failures


def test_prompt_version_recorded(schemas: dict[str, ElementSchema]) -> None:
    assert EXTRACT_PROMPT_VERSION == "extract-v1"
    with FakeOpenAI([Scripted(GOOD)]) as server:
        ext = _extractor(server)
        batch = ext.extract_many([_seed()], schemas)
    assert batch.prompt_version == ext.prompt_version == EXTRACT_PROMPT_VERSION
    assert batch.model == "fake-model"


def test_unknown_domain_is_recorded(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([]) as server:
        batch = _extractor(server).extract_many([_seed(0, "chemistry")], schemas)
    failure = batch.results[0].failure
    assert failure is not None and failure.kind == "schema" and not server.requests


def test_prompt_truncates_long_statement(schemas: dict[str, ElementSchema]) -> None:
    seed = _seed().model_copy(update={"statement": "x" * 10_000, "solution": "y" * 10_000})
    user = build_messages(seed, schemas["algorithm"], statement_chars=100, solution_chars=50)[1][
        "content"
    ]
    assert "x" * 100 in user and "x" * 101 not in user and "y" * 51 not in user
    assert all(s.name in user for s in schemas["algorithm"].slots)


def test_parse_skips_non_json_fence(schemas: dict[str, ElementSchema]) -> None:
    text = f"```python\nprint('hi')\n```\nAnswer:\n```json\n{GOOD}\n```"
    assert len(parse_reply(text, schemas["algorithm"])) == 2
    unterminated = f"```json\n{GOOD}"
    assert len(parse_reply(unterminated, schemas["algorithm"])) == 2
    bare_list = json.dumps([{"slot": "technique", "name": "dp"}])
    assert [c.name for c in parse_reply(bare_list, schemas["algorithm"])] == ["dp"]


def test_json_mode_sends_response_format(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([Scripted(GOOD), Scripted(GOOD)]) as server:
        plain = _extractor(server, json_schema=False)
        strict = _extractor(server, json_mode=True, json_schema=False)
        plain.extract(_seed(), schemas["algorithm"])
        strict.extract(_seed(), schemas["algorithm"])
    assert "response_format" not in server.requests[0]
    assert server.requests[1]["response_format"] == {"type": "json_object"}
    messages = build_messages(_seed(), schemas["algorithm"])
    assert plain.cache_key(messages) != strict.cache_key(messages)


def test_json_schema_is_sent_by_default(schemas: dict[str, ElementSchema]) -> None:
    with FakeOpenAI([Scripted(GOOD)]) as server:
        ext = _extractor(server)
        ext.extract(_seed(), schemas["algorithm"])
    sent = server.requests[0]["response_format"]
    assert sent["type"] == "json_schema"
    shape = sent["json_schema"]["schema"]
    assert shape == reply_schema(schemas["algorithm"])
    slots = shape["properties"]["atoms"]["items"]["properties"]["slot"]["enum"]
    assert slots == [s.name for s in schemas["algorithm"].slots]
    messages = build_messages(_seed(), schemas["algorithm"])
    assert ext.cache_key(messages, schemas["algorithm"]) != ext.cache_key(messages)


def test_server_refusing_json_schema_gets_the_schema_inside_json_object(
    schemas: dict[str, ElementSchema],
) -> None:
    refusal = Scripted(
        '{"detail": "response_format.type: input should be json_object; got json_schema"}',
        status=422,
    )
    with FakeOpenAI([refusal, Scripted(GOOD), Scripted(GOOD)]) as server:
        ext = _extractor(server)
        assert len(ext.extract(_seed(), schemas["algorithm"])) == 2
        ext.extract(_seed(1), schemas["algorithm"])  # the fallback is remembered
    formats = [r["response_format"] for r in server.requests]
    assert formats[0]["type"] == "json_schema"
    assert formats[1] == {"type": "json_object", "schema": reply_schema(schemas["algorithm"])}
    assert formats[2]["type"] == "json_object" and len(server.requests) == 3


def test_closed_vocabulary_lists_the_names_and_admits_only_them(
    schemas: dict[str, ElementSchema],
) -> None:
    vocab = {("algorithm", "technique"): ["binary search", "two pointers"]}
    with FakeOpenAI([Scripted(GOOD), Scripted(GOOD)]) as server:
        closed = _extractor(server, vocabulary=vocab)
        open_ = _extractor(server)
        closed.extract(_seed(), schemas["algorithm"])
        open_.extract(_seed(), schemas["algorithm"])
    prompt = server.requests[0]["messages"][1]["content"]
    assert "use only these names:\n- technique: binary search, two pointers" in prompt
    assert "use only these names" not in server.requests[1]["messages"][1]["content"]
    shapes = server.requests[0]["response_format"]["json_schema"]["schema"]["properties"]
    technique, rest = shapes["atoms"]["items"]["anyOf"]
    assert technique["properties"]["slot"]["enum"] == ["technique"]
    assert technique["properties"]["name"]["enum"] == ["binary search", "two pointers"]
    assert "technique" not in rest["properties"]["slot"]["enum"]
    assert "enum" not in rest["properties"]["name"]  # the other slots stay open
    seed, schema = _seed(), schemas["algorithm"]
    assert closed.cache_key(closed.messages(seed, schema), schema) != open_.cache_key(
        open_.messages(seed, schema), schema
    )


def test_a_name_that_says_nothing_makes_no_atom(schemas: dict[str, ElementSchema]) -> None:
    """The 1.5B model writes ``none`` into slots it has nothing for (held-out gold)."""
    atoms = [{"slot": "constraint", "name": "None"}, {"slot": "data_structure", "name": "N/A"},
             {"slot": "technique", "name": "dp"}]  # fmt: skip
    assert [c.name for c in parse_reply(json.dumps(atoms), schemas["algorithm"])] == ["dp"]
