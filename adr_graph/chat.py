"""A cached, retrying chat call over any OpenAI-compatible endpoint.

Shared by the LLM extractor and the task generator. Replies are cached on disk, one
JSON file per request key (model, prompt version, settings and messages), so a rerun
makes no HTTP calls. Transient errors (connection, timeout, 429, 5xx) are retried with
bounded exponential backoff; other HTTP errors fail at once. Nothing here reads the
environment: the caller makes the client (:func:`make_client`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ._io import atomic_write_text
from .errors import AdrGraphError, EmptyReplyError, InputError, LlmCallError, MissingExtraError

__all__ = ["CachedChat", "EmptyReplyError", "LlmCallError", "make_client"]

log = logging.getLogger(__name__)


def _openai() -> ModuleType:
    try:
        import openai
    except ImportError as exc:
        raise MissingExtraError("openai", "llm") from exc
    return openai


@dataclass(frozen=True)
class RetryPolicy:
    """Retries after transient endpoint errors, with exponential backoff.

    ``max_retries + 1`` attempts at most; the n-th retry waits ``backoff * 2**n`` seconds,
    capped at ``max_backoff``; ``sleep`` is injectable for tests.

    >>> [RetryPolicy(backoff=0.5, max_backoff=1.5).delay(n) for n in range(4)]
    [0.5, 1.0, 1.5, 1.5]
    """

    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt + 1``."""
        return min(self.max_backoff, self.backoff * 2**attempt)


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class LlmOptions:
    """Where and how to reach an OpenAI-compatible endpoint (values, never the env)."""

    base_url: str | None = None
    api_key: str | None = None
    model: str | None = None
    concurrency: int = 2
    timeout: float = 120.0
    json_mode: bool = False
    #: send a reply's JSON Schema (``response_format: json_schema``) where the caller has one
    json_schema: bool = True


def _first_model(client: Any, opts: LlmOptions) -> str:
    if opts.model:
        return opts.model
    try:
        models = [m.id for m in client.models.list()]
    except Exception as exc:  # the openai client raises its own hierarchy
        raise AdrGraphError(
            f"{opts.base_url}: could not list models ({exc}); is the server up? "
            "Set --model / ADR_GRAPH_MODEL to skip this lookup"
        ) from exc
    if not models:
        raise AdrGraphError(f"{opts.base_url}: the endpoint lists no models; set --model")
    return str(models[0])


def llm_client(opts: LlmOptions) -> tuple[Any, str]:
    """An OpenAI-compatible client for ``opts`` and the model to use (the first one the
    endpoint lists when ``opts.model`` is unset)."""
    if not opts.base_url:
        raise InputError(
            "this needs an LLM endpoint: set --llm-base-url or OPENAI_BASE_URL "
            "(e.g. http://127.0.0.1:8765/v1 from scripts/llm-server.sh start)",
            field="--llm-base-url",
        )
    client = make_client(opts.base_url, opts.api_key or "unused", timeout=opts.timeout)
    return client, _first_model(client, opts)


def make_client(base_url: str, api_key: str = "unused", timeout: float = 60.0) -> Any:
    """An ``openai.OpenAI`` client with the SDK's own retries off (the extractor retries)."""
    return _openai().OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0)


def _is_transient(exc: Exception) -> bool:
    try:
        openai = _openai()
    except MissingExtraError:
        return False
    if isinstance(exc, openai.APIConnectionError | openai.RateLimitError):
        return True  # APITimeoutError is an APIConnectionError
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def _rejects(exc: Exception) -> bool:
    """Whether the endpoint refused the request's reply format. OpenAI answers 400;
    llama-cpp-python 0.3 answers 500 with its validation error naming ``json_schema``."""
    status = getattr(exc, "status_code", None)
    text = (str(exc) + str(getattr(exc, "body", ""))).lower()
    return status in (400, 422, 500) and "json_schema" in text and "response_format" in text


class CachedChat:
    """One model behind a reply cache and bounded retries.

    Parameters
    ----------
    client : object
        An ``openai.OpenAI``-compatible client (``client.chat.completions.create``).
    model : str
        Model name sent to the endpoint.
    cache_dir : Path or None
        Folder for cached replies; ``None`` disables the cache.
    prompt_version : str
        Part of every cache key, so a new prompt version never reuses old replies.
    retry : RetryPolicy
        Retries after transient errors and their backoff.
    temperature, max_tokens : float, int
        Sampling settings sent with every request.
    json_mode : bool
        Send ``response_format={"type": "json_object"}``.
    """

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        cache_dir: Path | None,
        prompt_version: str,
        retry: RetryPolicy = DEFAULT_RETRY,
        temperature: float = 0.0,
        max_tokens: int = 512,
        json_mode: bool = False,
        stop: Sequence[str] = (),
    ) -> None:
        self.client = client
        self.model = model
        self.cache_dir = cache_dir
        self.prompt_version = prompt_version
        self.retry = retry
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.json_mode = json_mode
        self.stop = list(stop)
        #: how a JSON Schema is sent: OpenAI's ``json_schema`` until the server refuses it
        self._schema_style = "json_schema"
        self._lock = threading.Lock()
        self.http_calls = 0
        #: tokens the endpoint reported for the calls this chat made (cache hits cost none)
        self.prompt_tokens = 0
        self.completion_tokens = 0

    # -- cache -------------------------------------------------------------------------

    def cache_key(
        self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None
    ) -> str:
        """sha256 over model, prompt version, request settings, messages and reply schema."""
        material = {
            "model": self.model,
            "prompt_version": self.prompt_version,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "json_mode": self.json_mode,
            "messages": messages,
            **({"stop": self.stop} if self.stop else {}),
            **({"schema": schema} if schema is not None else {}),
        }
        blob = json.dumps(material, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _cache_path(self, key: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"{key}.json"

    def _cache_get(self, key: str) -> str | None:
        path = self._cache_path(key)
        if path is None or not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            reply = entry["reply"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable llm cache entry %s: %s", path, exc)
            return None
        return reply if isinstance(reply, str) else None

    def _cache_put(self, key: str, reply: str) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        entry = {
            "key": key,
            "model": self.model,
            "prompt_version": self.prompt_version,
            "reply": reply,
        }
        atomic_write_text(path, json.dumps(entry, ensure_ascii=False, indent=1) + "\n")

    # -- HTTP --------------------------------------------------------------------------

    def reply(
        self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None
    ) -> tuple[str, bool]:
        """The reply to ``messages`` and whether it came from the cache.

        ``schema`` (a JSON Schema) asks the endpoint to constrain the reply to it; the
        server turns it into a grammar, so the reply always parses. It is part of the key.
        """
        key = self.cache_key(messages, schema)
        cached = self._cache_get(key)
        if cached is not None:
            return cached, True
        reply = self._call_with_retries(messages, schema)
        self._cache_put(key, reply)
        return reply, False

    def _response_format(self, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is not None and self._schema_style == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema, "strict": True},
            }
        if schema is not None:  # llama-cpp-python's form: a schema inside json_object
            return {"type": "json_object", "schema": schema}
        return {"type": "json_object"} if self.json_mode else None

    def _call_with_retries(
        self, messages: list[dict[str, str]], schema: dict[str, Any] | None = None
    ) -> str:
        attempt = 0
        while True:
            try:
                return self._call(messages, self._response_format(schema))
            except EmptyReplyError:
                raise
            except Exception as exc:
                if schema is not None and self._schema_style == "json_schema" and _rejects(exc):
                    log.info(
                        "%s refuses response_format json_schema (%s); sending the schema "
                        "inside json_object",
                        self.model,
                        exc,
                    )
                    self._schema_style = "json_object"
                    continue
                if not _is_transient(exc):
                    raise LlmCallError(f"request to {self.model} failed: {exc}") from exc
                if attempt >= self.retry.max_retries:
                    raise LlmCallError(
                        f"request to {self.model} failed after {attempt + 1} attempts: {exc}"
                    ) from exc
                delay = self.retry.delay(attempt)
                log.info("transient llm error (%s); retry %d in %.1fs", exc, attempt + 1, delay)
                self.retry.sleep(delay)
                attempt += 1

    def _call(
        self, messages: list[dict[str, str]], response_format: dict[str, Any] | None = None
    ) -> str:
        with self._lock:
            self.http_calls += 1
        extra: dict[str, Any] = {}
        if response_format is not None:
            extra["response_format"] = response_format
        if self.stop:
            extra["stop"] = self.stop
        response = self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            **extra,
        )
        usage = getattr(response, "usage", None)
        with self._lock:
            self.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
        choices = getattr(response, "choices", None) or []
        content = choices[0].message.content if choices else None
        if not content:
            raise EmptyReplyError("empty reply (no choices or no content)")
        return str(content)
