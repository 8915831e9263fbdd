"""Bad input, fuzzed: seeds JSONL, schema files, LLM replies, Cypher names and parameters,
CLI arguments. Every case ends in the documented error type (a clear message) or a
valid result; never another exception, a traceback, or a half-written file."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adr_graph.cli import main
from adr_graph.cli.query import parse_params
from adr_graph.errors import AdrGraphError, InputError, SchemaError
from adr_graph.extract.prompts import LlmReplyError, parse_reply
from adr_graph.generate.parse import (
    TaskReplyError,
    parse_inputs_reply,
    parse_second_reply,
    parse_task_reply,
)
from adr_graph.schema import load_schema_file, load_schemas
from adr_graph.seeds.loader import iter_seeds
from adr_graph.store.cypher import label, prop, rel_type
from tests.unit.test_generate import INPUTS_REPLY, SECOND, TASK_REPLY

FUZZ = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
SEED_FIELDS = ["id", "domain", "statement", "solution", "tests", "source", "license", "metadata"]
seed_like = st.dictionaries(st.sampled_from(SEED_FIELDS) | st.text(max_size=8), json_values)
lines = st.one_of(
    st.text(max_size=200),
    seed_like.map(json.dumps),
    seed_like.map(lambda d: json.dumps(d)[: len(json.dumps(d)) // 2]),  # cut short
)


@FUZZ
@given(st.lists(lines, min_size=1, max_size=5))
def test_seed_files_give_seeds_or_an_input_error(tmp_path_factory: Any, rows: list[str]) -> None:
    path = tmp_path_factory.mktemp("seeds") / "seeds.jsonl"
    path.write_text("\n".join(rows), encoding="utf-8")
    try:
        seeds = list(iter_seeds(path))
    except InputError as exc:
        assert re.match(rf"{re.escape(str(path))}:\d+: \S", str(exc)), str(exc)
    else:
        assert all(s.id and s.statement for s in seeds)


@FUZZ
@given(json_values | st.text(max_size=100))
def test_schema_files_give_a_schema_or_a_schema_error(tmp_path_factory: Any, raw: Any) -> None:
    path = tmp_path_factory.mktemp("schema") / "algorithm.json"
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw), encoding="utf-8")
    try:
        schema = load_schema_file(path)
    except SchemaError as exc:
        assert str(path) in str(exc)
    else:
        assert schema.slots


def _mangle(text: str, data: st.DataObject) -> str:
    how = data.draw(st.sampled_from(["cut", "fence", "drop", "noise", "giant", "as-is"]))
    if how == "cut":
        return text[: data.draw(st.integers(0, len(text)))]
    if how == "fence":
        return text.replace("```python", data.draw(st.sampled_from(["```", "~~~", "```py", ""])))
    if how == "drop":
        line = data.draw(st.sampled_from(text.splitlines() or [""]))
        return text.replace(line, "", 1)
    if how == "noise":
        at = data.draw(st.integers(0, len(text)))
        return text[:at] + data.draw(st.text(max_size=30)) + text[at:]
    if how == "giant":
        at = max(text.rfind("```"), 0)  # inside the last code block where there is one
        return text[:at] + "x = 1\n" * 50_000 + text[at:]  # ~300 kB
    return text


@FUZZ
@given(st.data())
def test_model_replies_parse_or_say_why(data: st.DataObject) -> None:
    pick = data.draw(st.sampled_from(["task", "inputs", "second", "text"]))
    base = {"task": TASK_REPLY, "inputs": INPUTS_REPLY, "second": SECOND["solution"]}
    text = data.draw(st.text(max_size=300)) if pick == "text" else _mangle(base[pick], data)
    started = time.monotonic()
    for parser in (parse_task_reply, parse_inputs_reply, parse_second_reply):
        try:
            parser(text)
        except TaskReplyError as exc:
            assert exc.reason and exc.reply == text
    assert time.monotonic() - started < 20  # a giant reply is read in bounded time


@FUZZ
@given(st.text(max_size=300) | json_values.map(json.dumps))
def test_extraction_replies_parse_or_say_why(text: str) -> None:
    schema = load_schemas()["algorithm"]
    try:
        candidates = parse_reply(text, schema)
    except LlmReplyError as exc:
        assert str(exc)
    else:
        assert {c.slot for c in candidates} <= {s.name for s in schema.slots}


@FUZZ
@given(st.text(max_size=40))
def test_cypher_names_are_allow_listed(name: str) -> None:
    for check in (label, rel_type, prop):
        try:
            assert check(name) == name
        except InputError as exc:
            assert exc.field in ("label", "relationship type", "property")
            assert repr(name) in str(exc)


@FUZZ
@given(st.lists(st.text(max_size=30), max_size=4))
def test_query_parameters_parse_or_say_which(items: list[str]) -> None:
    try:
        params = parse_params(items)
    except InputError as exc:
        assert exc.field == "--param"
    else:
        assert all(k.isidentifier() for k in params)


CLI_CASES = st.one_of(
    st.tuples(st.just("sample"), st.just("-n"), st.text(max_size=12)),
    st.tuples(st.just("sample"), st.just("--strategy"), st.text(max_size=12)),
    st.tuples(st.just("sample"), st.just("--domain"), st.text(max_size=12)),
    st.tuples(st.just("coverage"), st.just("--sets"), st.text(max_size=20)),
    st.tuples(st.just("query"), st.text(max_size=30)),
    st.tuples(st.just("verify"), st.text(max_size=20), st.just("--inputs"), st.text(max_size=6)),
    st.tuples(st.just("stats"), st.just("--store"), st.text(max_size=20)),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(CLI_CASES)
def test_cli_arguments_never_end_in_a_traceback(
    tmp_path_factory: Any, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    cwd = tmp_path_factory.mktemp("cli")
    store = str(cwd / "store")
    argv = [*args, "--store", store] if "--store" not in args else list(args)
    if args[0] == "verify":
        argv += ["--out", str(cwd / "v.jsonl"), "--no-feedback"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        patch.setenv("ADR_GRAPH_CACHE", str(cwd / "cache"))
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    _, err = capsys.readouterr()
    assert code in (0, 1, 2), err
    assert "Traceback" not in err
    assert not (cwd / "v.jsonl").exists() or (cwd / "v.jsonl").read_text().endswith("\n")


def test_unexpected_errors_are_still_adr_graph_errors() -> None:
    """The error root the fuzz tests rely on: every specific error is an AdrGraphError."""
    for kind in (InputError, SchemaError, TaskReplyError, LlmReplyError):
        assert issubclass(kind, AdrGraphError)
