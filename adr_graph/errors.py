"""Error hierarchy: one root, a few specific subclasses.

Every message says what failed and what to do next.
"""

from __future__ import annotations

__all__ = [
    "AdrGraphError",
    "EmptyReplyError",
    "FetchError",
    "HarnessError",
    "InputError",
    "LlmCallError",
    "LlmReplyError",
    "MissingExtraError",
    "ReplyError",
    "SandboxError",
    "SchemaError",
    "StoreError",
    "TaskReplyError",
]


class AdrGraphError(Exception):
    """Root of every error adr_graph raises on purpose."""


class InputError(AdrGraphError):
    """Bad user input, located by file, line and field where known.

    >>> print(InputError("must be one of algorithm, data_science, tool_usage",
    ...                  path="seeds.jsonl", line=3, field="domain"))
    seeds.jsonl:3: field 'domain': must be one of algorithm, data_science, tool_usage
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        if field:
            where += f"field {field!r}: "
        super().__init__(f"{where}{message}")


class SchemaError(AdrGraphError):
    """An element schema file is missing or invalid."""


class StoreError(AdrGraphError):
    """The graph store cannot be opened, read or written."""


class FetchError(AdrGraphError):
    """A seed corpus could not be downloaded or read."""


class MissingExtraError(AdrGraphError, ImportError):
    """An optional dependency is not installed; the message names the extra."""

    def __init__(self, module: str, extra: str) -> None:
        super().__init__(
            f"optional dependency {module!r} is not installed; "
            f"run: pip install 'adr-graph[{extra}]'"
        )


class SandboxError(AdrGraphError):
    """The sandbox itself failed (not the program inside it); check the host setup."""


class HarnessError(AdrGraphError):
    """A sandboxed run did not print the driver's result."""


class LlmCallError(AdrGraphError):
    """The endpoint could not be reached or refused the request (after any retries)."""


class EmptyReplyError(AdrGraphError):
    """The endpoint answered without any content."""


class ReplyError(AdrGraphError):
    """A model reply does not have the layout or content its prompt asks for.

    Parameters
    ----------
    reason : str
        What is wrong with the reply.
    reply : str
        The raw reply text (kept for logs and failure records).
    """

    prefix = ""

    def __init__(self, reason: str, reply: str = "") -> None:
        self.reason = reason
        self.reply = reply
        super().__init__(f"{self.prefix}{reason}")


class LlmReplyError(ReplyError):
    """An extraction reply is not the JSON the extraction prompt asks for.

    >>> str(LlmReplyError("no JSON object"))
    'malformed model reply: no JSON object'
    """

    prefix = "malformed model reply: "


class TaskReplyError(ReplyError):
    """A task-generation reply lacks a section, or its code does not parse."""
