"""LLM atom extractor over any OpenAI-compatible chat endpoint.

The client is made by the caller (see :func:`make_client`); nothing here reads the
environment. Replies are cached on disk, one JSON file per request key, so a rerun
makes no HTTP calls. Transient errors (connection, timeout, 429, 5xx) are retried
with bounded exponential backoff; other HTTP errors fail at once. In a batch, every
failure is recorded against its seed, never raised and never dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, Field

from adr_graph._io import atomic_write_text
from adr_graph.errors import AdrGraphError, MissingExtraError
from adr_graph.extract.prompts import (
    EXTRACT_PROMPT_VERSION,
    LlmReplyError,
    build_messages,
    parse_reply,
)
from adr_graph.records import AtomCandidate, ElementSchema, Seed

__all__ = [
    "LlmBatchResult",
    "LlmCallError",
    "LlmExtractor",
    "LlmFailure",
    "LlmSeedResult",
    "make_client",
]

log = logging.getLogger(__name__)


class LlmCallError(AdrGraphError):
    """The endpoint could not be reached or refused the request (after any retries)."""


class LlmFailure(BaseModel):
    """Why one seed has no candidates."""

    seed_id: str
    kind: str  # "reply" (malformed answer), "call" (HTTP/transport), "schema"
    reason: str


class LlmSeedResult(BaseModel):
    """Outcome for one seed: candidates, or a failure."""

    seed_id: str
    candidates: list[AtomCandidate] = Field(default_factory=list)
    failure: LlmFailure | None = None
    cached: bool = False
    seconds: float = 0.0


class LlmBatchResult(BaseModel):
    """Outcome of :meth:`LlmExtractor.extract_many`, in input order."""

    model: str
    prompt_version: str
    results: list[LlmSeedResult]

    @property
    def failures(self) -> list[LlmFailure]:
        return [r.failure for r in self.results if r.failure is not None]

    @property
    def candidates(self) -> dict[str, list[AtomCandidate]]:
        return {r.seed_id: r.candidates for r in self.results if r.failure is None}


def _openai() -> ModuleType:
    try:
        import openai
    except ImportError as exc:
        raise MissingExtraError("openai", "llm") from exc
    return openai


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


class LlmExtractor:
    """Extract atom candidates from seeds with a chat model.

    Parameters
    ----------
    client : object
        An ``openai.OpenAI``-compatible client (``client.chat.completions.create``).
    model : str
        Model name sent to the endpoint; the extractor is named ``llm:<model>``.
    cache_dir : Path or None
        Folder for cached replies; ``None`` disables the cache.
    max_concurrency : int
        Most requests in flight at once in :meth:`extract_many`.
    max_retries : int
        Retries after a transient error (so ``max_retries + 1`` attempts at most).
    temperature, max_tokens : float, int
        Sampling settings sent with every request.
    json_mode : bool
        Send ``response_format={"type": "json_object"}`` (grammar-constrained JSON on
        llama.cpp and most hosted endpoints); off by default since not every server has it.
    sleep : callable
        Used for backoff; inject a no-op in tests.
    backoff, max_backoff : float
        First backoff delay in seconds, doubled per retry, capped at ``max_backoff``.
    """

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        cache_dir: Path | None,
        max_concurrency: int = 4,
        max_retries: int = 3,
        temperature: float = 0.0,
        max_tokens: int = 512,
        json_mode: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        if max_concurrency < 1 or max_retries < 0:
            raise ValueError("max_concurrency must be >= 1 and max_retries >= 0")
        self.client = client
        self.model = model
        self.cache_dir = cache_dir
        self.max_concurrency = max_concurrency
        self.max_retries = max_retries
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.json_mode = json_mode
        self.prompt_version = EXTRACT_PROMPT_VERSION
        self._sleep = sleep
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._lock = threading.Lock()
        self.http_calls = 0

    @property
    def name(self) -> str:
        """Value of ``AtomCandidate.extractor`` for this extractor."""
        return f"llm:{self.model}"

    def extract(self, seed: Seed, schema: ElementSchema) -> list[AtomCandidate]:
        """Candidates for one seed.

        Raises
        ------
        LlmReplyError
            The reply is malformed.
        LlmCallError
            The endpoint failed (after retries for transient errors).
        """
        reply, _ = self._reply(build_messages(seed, schema))
        return parse_reply(reply, schema, extractor=self.name)

    def extract_many(
        self,
        seeds: Sequence[Seed],
        schemas: Mapping[str, ElementSchema],
        on_done: Callable[[LlmSeedResult], None] | None = None,
    ) -> LlmBatchResult:
        """Extract from many seeds with at most ``max_concurrency`` requests in flight.

        Parameters
        ----------
        seeds : sequence of Seed
        schemas : mapping of str to ElementSchema
            Schemas keyed by domain.
        on_done : callable, optional
            Called with each seed's result as it finishes (from worker threads).

        Returns
        -------
        LlmBatchResult
            One result per seed in input order; failures are recorded, not raised.
        """

        def run(seed: Seed) -> LlmSeedResult:
            result = self._one(seed, schemas.get(seed.domain))
            if on_done is not None:
                on_done(result)
            return result

        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            results = list(pool.map(run, seeds))
        return LlmBatchResult(model=self.model, prompt_version=self.prompt_version, results=results)

    def _one(self, seed: Seed, schema: ElementSchema | None) -> LlmSeedResult:
        start = time.perf_counter()
        if schema is None:
            failure = LlmFailure(
                seed_id=seed.id, kind="schema", reason=f"no schema for domain {seed.domain!r}"
            )
            return LlmSeedResult(seed_id=seed.id, failure=failure)
        cached = False
        try:
            reply, cached = self._reply(build_messages(seed, schema))
            found = parse_reply(reply, schema, extractor=self.name)
        except (LlmReplyError, LlmCallError) as exc:
            kind = "reply" if isinstance(exc, LlmReplyError) else "call"
            log.warning("llm extraction failed for %s: %s", seed.id, exc)
            return LlmSeedResult(
                seed_id=seed.id,
                cached=cached,
                seconds=time.perf_counter() - start,
                failure=LlmFailure(seed_id=seed.id, kind=kind, reason=str(exc)),
            )
        return LlmSeedResult(
            seed_id=seed.id, candidates=found, cached=cached, seconds=time.perf_counter() - start
        )

    # -- cache -------------------------------------------------------------------------

    def cache_key(self, messages: list[dict[str, str]]) -> str:
        """sha256 over model, prompt version, request settings and messages."""
        material = {
            "model": self.model,
            "prompt_version": self.prompt_version,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "json_mode": self.json_mode,
            "messages": messages,
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

    def _reply(self, messages: list[dict[str, str]]) -> tuple[str, bool]:
        key = self.cache_key(messages)
        cached = self._cache_get(key)
        if cached is not None:
            return cached, True
        reply = self._call_with_retries(messages)
        self._cache_put(key, reply)
        return reply, False

    def _call_with_retries(self, messages: list[dict[str, str]]) -> str:
        attempt = 0
        while True:
            try:
                return self._call(messages)
            except LlmReplyError:
                raise
            except Exception as exc:
                if not _is_transient(exc):
                    raise LlmCallError(f"request to {self.model} failed: {exc}") from exc
                if attempt >= self.max_retries:
                    raise LlmCallError(
                        f"request to {self.model} failed after {attempt + 1} attempts: {exc}"
                    ) from exc
                delay = min(self._max_backoff, self._backoff * 2**attempt)
                log.info("transient llm error (%s); retry %d in %.1fs", exc, attempt + 1, delay)
                self._sleep(delay)
                attempt += 1

    def _call(self, messages: list[dict[str, str]]) -> str:
        with self._lock:
            self.http_calls += 1
        extra: dict[str, Any] = {}
        if self.json_mode:
            extra["response_format"] = {"type": "json_object"}
        response = self.client.chat.completions.create(
            model=self.model,
            messages=messages,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            **extra,
        )
        choices = getattr(response, "choices", None) or []
        content = choices[0].message.content if choices else None
        if not content:
            raise LlmReplyError("empty reply (no choices or no content)")
        return str(content)
