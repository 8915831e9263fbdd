"""LLM atom extractor over any OpenAI-compatible chat endpoint.

The client is made by the caller (see :func:`make_client`); nothing here reads the
environment. Replies are cached on disk, one JSON file per request key, so a rerun
makes no HTTP calls. Transient errors (connection, timeout, 429, 5xx) are retried
with bounded exponential backoff; other HTTP errors fail at once. In a batch, every
failure is recorded against its seed, never raised and never dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from adr_graph.chat import DEFAULT_RETRY, CachedChat, RetryPolicy, make_client
from adr_graph.errors import EmptyReplyError, LlmCallError
from adr_graph.extract.prompts import (
    EXTRACT_PROMPT_VERSION,
    LlmReplyError,
    build_messages,
    parse_reply,
    reply_schema,
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
    retry : RetryPolicy
        Retries after transient errors and their backoff.
    temperature, max_tokens : float, int
        Sampling settings sent with every request.
    json_mode : bool
        Send ``response_format={"type": "json_object"}`` (grammar-constrained JSON on
        llama.cpp and most hosted endpoints); off by default since not every server has it.
    json_schema : bool
        Send the domain's reply shape as a JSON Schema (:func:`reply_schema`), as
        ``response_format: json_schema``, or inside ``json_object`` where the server refuses
        that form (llama-cpp-python); the server's grammar then makes every reply parse.
    max_atoms : int
        Most atoms the reply schema allows (bounds the reply's length).
    vocabulary : mapping, optional
        ``(domain, slot) -> names``: a closed vocabulary. The prompt lists the names and
        the reply schema admits only them for those slots; other slots stay open.
    """

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        cache_dir: Path | None,
        max_concurrency: int = 4,
        retry: RetryPolicy = DEFAULT_RETRY,
        temperature: float = 0.0,
        max_tokens: int = 512,
        json_mode: bool = False,
        json_schema: bool = True,
        max_atoms: int = 12,
        vocabulary: Mapping[tuple[str, str], Sequence[str]] | None = None,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.model = model
        self.max_concurrency = max_concurrency
        self.prompt_version = EXTRACT_PROMPT_VERSION
        self.json_schema = json_schema
        self.max_atoms = max_atoms
        self.vocabulary = vocabulary
        self.chat = CachedChat(
            client,
            model,
            cache_dir=cache_dir,
            prompt_version=EXTRACT_PROMPT_VERSION,
            retry=retry,
            temperature=temperature,
            max_tokens=max_tokens,
            json_mode=json_mode,
        )

    @property
    def http_calls(self) -> int:
        """HTTP requests made so far (cache hits make none)."""
        return self.chat.http_calls

    def cache_key(self, messages: list[dict[str, str]], schema: ElementSchema | None = None) -> str:
        """The reply-cache key of ``messages`` (see :class:`CachedChat`); with ``schema``,
        the key of the schema-constrained request this extractor sends."""
        shape = self._shape(schema) if schema is not None else None
        return self.chat.cache_key(messages, shape)

    def _names(self, schema: ElementSchema) -> dict[str, Sequence[str]] | None:
        """This domain's closed vocabulary, slot -> names (``None`` when open)."""
        if not self.vocabulary:
            return None
        return {
            s.name: self.vocabulary[(schema.domain, s.name)]
            for s in schema.slots
            if self.vocabulary.get((schema.domain, s.name))
        }

    def _shape(self, schema: ElementSchema) -> dict[str, Any] | None:
        if not self.json_schema:
            return None
        return reply_schema(schema, max_atoms=self.max_atoms, names=self._names(schema))

    def messages(self, seed: Seed, schema: ElementSchema) -> list[dict[str, str]]:
        """The chat messages this extractor sends for ``seed``."""
        return build_messages(seed, schema, names=self._names(schema))

    def _reply(self, messages: list[dict[str, str]], schema: ElementSchema) -> tuple[str, bool]:
        shape = self._shape(schema)
        try:
            return self.chat.reply(messages, shape)
        except EmptyReplyError as exc:
            raise LlmReplyError(str(exc)) from exc

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
        reply, _ = self._reply(self.messages(seed, schema), schema)
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
            reply, cached = self._reply(self.messages(seed, schema), schema)
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
