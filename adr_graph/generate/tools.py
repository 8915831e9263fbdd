"""Tool-usage tasks: the tool schemas a task declares, and the check of the calls it makes.

A ``tool_usage`` task's reply (prompt ``task-tools-v1``) has a ``TOOLS:`` section, a
JSON list of tools with typed parameters, before its solution. The reference returns
the calls to make (``[{"name": ..., "arguments": {...}}]``); besides agreeing with the
second solution, every call it returns must fit the declared tools
(:func:`check_tool_calls`, run on plain JSON data, never on code).

>>> tools = parse_tools_section('TOOLS:\\n[{"name": "get_weather", '
...     '"parameters": {"city": "string", "days": "integer"}, "required": ["city"]}]')
>>> check_tool_calls([{"name": "get_weather", "arguments": {"city": "Oslo"}}], tools)
>>> check_tool_calls([{"name": "get_weather", "arguments": {"days": 2}}], tools)
'call 1 (get_weather) lacks required argument city'
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from ..errors import TaskReplyError

__all__ = [
    "TASK_TOOLS_PROMPT_VERSION",
    "TOOLS_LAYOUT",
    "ToolSpec",
    "check_tool_calls",
    "json_type",
    "parse_tools_section",
]

TASK_TOOLS_PROMPT_VERSION = "task-tools-v1"

TOOLS_LAYOUT = """TOOLS:
```json
[{"name": "<tool_name>",
  "parameters": {"<argument>": "<string|integer|number|boolean|array|object>"},
  "required": ["<argument>"]}]
```"""

JsonType = Literal["string", "integer", "number", "boolean", "array", "object"]
_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


_ALIASES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean",
            "list": "array", "dict": "object"}  # fmt: skip
_TYPE_OF = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
            (list, "array"), (dict, "object"))  # fmt: skip


def json_type(declared: Any) -> Any:
    """A declared parameter type as a JSON type name: a type name (``"int"``,
    ``"<string>"``), a JSON-schema ``{"type": ...}``, or else an example value's type
    (small models often write a value where the layout asks for a type).

    >>> json_type("<integer>"), json_type({"type": "str"}), json_type(["Tom", "Ann"])
    ('integer', 'string', 'array')
    """
    if isinstance(declared, dict) and isinstance(declared.get("type"), str):
        declared = declared["type"]
    if isinstance(declared, str):
        name = declared.strip("<> ").lower()
        name = _ALIASES.get(name, name)
        if name in _CHECKS:
            return name
    return next((kind for cls, kind in _TYPE_OF if isinstance(declared, cls)), declared)


class ToolSpec(BaseModel):
    """One declared tool: its name, typed parameters and the required ones."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
    parameters: dict[str, JsonType] = Field(default_factory=dict)
    required: list[str] = Field(default_factory=list)

    @field_validator("parameters", mode="before")
    @classmethod
    def _types(cls, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(value.get("properties"), dict):
            value = value["properties"]  # a JSON-schema object
        if isinstance(value, dict):
            return {name: json_type(kind) for name, kind in value.items()}
        return value


_TOOL_LIST = TypeAdapter(list[ToolSpec])


def parse_tools_section(text: str) -> list[ToolSpec]:
    """The tools of a ``task-tools-v1`` reply's ``TOOLS:`` section (fenced or bare JSON)."""
    match = re.search(r"^\W*TOOLS\W*:\s*(.*?)(?=^\W*SOLUTION\W*:|\Z)", text, re.S | re.M)
    if not match:
        raise TaskReplyError("no TOOLS section in the reply", text)
    body = re.sub(r"```[A-Za-z]*", "", match.group(1)).strip()
    try:
        tools = _TOOL_LIST.validate_python(json.loads(body))
    except ValidationError as exc:
        error = exc.errors()[0]
        index, *field = error["loc"] or ("",)
        where = f"tool {index + 1}" if isinstance(index, int) else "the section"
        where += f" {'.'.join(map(str, field))}" if field else ""
        reason = f"the TOOLS section is not a JSON list of tools: {where}: {error['msg']}"
        raise TaskReplyError(reason, text) from None
    except (json.JSONDecodeError, TypeError) as exc:
        reason = f"the TOOLS section is not a JSON list of tools: {str(exc).splitlines()[0]}"
        raise TaskReplyError(reason, text) from None
    if not tools:
        raise TaskReplyError("the TOOLS section declares no tool", text)
    for tool in tools:
        unknown = set(tool.required) - set(tool.parameters)
        if unknown:
            reason = f"tool {tool.name} requires undeclared argument(s) {sorted(unknown)}"
            raise TaskReplyError(reason, text)
    return tools


def _check_call(number: int, call: Any, by_name: dict[str, ToolSpec]) -> str | None:
    if not isinstance(call, dict) or set(call) != {"name", "arguments"}:
        return f"call {number} is not {{'name': ..., 'arguments': {{...}}}}"
    tool = by_name.get(call["name"]) if isinstance(call["name"], str) else None
    if tool is None:
        return f"call {number} names an undeclared tool {call['name']!r}"
    arguments = call["arguments"]
    if not isinstance(arguments, dict):
        return f"call {number} ({tool.name}) has arguments that are not an object"
    for name in tool.required:
        if name not in arguments:
            return f"call {number} ({tool.name}) lacks required argument {name}"
    for name, value in arguments.items():
        kind = tool.parameters.get(name)
        if kind is None:
            return f"call {number} ({tool.name}) passes undeclared argument {name}"
        if not _CHECKS[kind](value):
            return f"call {number} ({tool.name}) argument {name} is not of type {kind}"
    return None


def check_tool_calls(calls: Any, tools: list[ToolSpec]) -> str | None:
    """``None`` when ``calls`` is a list of calls that fit ``tools``, else the first reason."""
    if not isinstance(calls, list):
        return "the result is not a list of calls"
    by_name = {t.name: t for t in tools}
    for number, call in enumerate(calls, start=1):
        reason = _check_call(number, call, by_name)
        if reason:
            return reason
    return None
