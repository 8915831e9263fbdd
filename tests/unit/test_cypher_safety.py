"""Identifiers from user input never reach Cypher text; values always travel as parameters."""

from __future__ import annotations

import re

import pytest

from adr_graph.cli.query import parse_params
from adr_graph.errors import InputError
from adr_graph.store import cypher as q

INJECTIONS = [
    "SIMILAR]->() DETACH DELETE n //",
    "Atom) DETACH DELETE a //",
    "id} ) MATCH (n) DETACH DELETE n //",
    "SIMILAR`]->() MATCH (n) DELETE n //",
    "similar",  # case matters: not on the list
    "",
]


@pytest.mark.parametrize("name", INJECTIONS)
def test_identifiers_outside_the_allow_lists_are_refused(name: str) -> None:
    for check in (q.label, q.rel_type, q.prop):
        with pytest.raises(InputError, match="is not allowed"):
            check(name)
    with pytest.raises(InputError):
        q.typed_edge_statements(name)


def test_allowed_identifiers_pass_unchanged() -> None:
    assert q.label("Atom") == "Atom" and q.prop("slot") == "slot"
    assert "[e:SIMILAR]" in q.typed_edge_statements("SIMILAR")["write"]


def _module_statements() -> dict[str, str]:
    return {k: v for k, v in vars(q).items() if k.isupper() and isinstance(v, str)}


def test_no_statement_interpolates_values() -> None:
    """Statements are constants: no format fields, values only as $parameters."""
    statements = _module_statements()
    assert len(statements) > 15
    for name, text in statements.items():
        assert "{}" not in text and "%s" not in text, name
        # every quoted literal would be a value baked into the text
        assert not re.search(r"'[^']*'|\"[^\"]*\"", text), name


@pytest.mark.parametrize(
    "item",
    ["x) DETACH DELETE n //=1", "a b=1", "=1", "noequals", "1abc=2", "$a=1"],
)
def test_query_parameter_names_must_be_identifiers(item: str) -> None:
    with pytest.raises(InputError, match="--param"):
        parse_params([item])


def test_query_parameter_values_stay_data() -> None:
    evil = "') DETACH DELETE n //"
    assert parse_params([f"name={evil}"]) == {"name": evil}
