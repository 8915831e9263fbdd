"""Turn atom sets into candidate tasks with three LLM calls, resumably.

For each :class:`~adr_graph.records.AtomSet`: a ``task-v3`` call (``task-stdin-v1`` for
a set with the stdin/stdout atom) writes the statement and reference solution; an
``inputs-v1`` call writes the input generator and validator; a separate ``second-v2``
call, which sees only the statement and signature, writes a second solution. Results
are appended to a JSONL checkpoint as they finish (one fsynced line each); a rerun skips
every set already in it, and a truncated last line (from ``kill -9``) is dropped on
load. Replies are cached on disk by the chat layer.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._io import JsonlCheckpoint
from ..chat import CachedChat
from ..errors import EmptyReplyError, LlmCallError, TaskReplyError
from ..records import Atom, AtomSet, GenerationFailure, Task, TaskProvenance
from .near_miss import NEAR_MISS_PROMPT_VERSION, SEPARATE_PROMPT_VERSION
from .parse import (
    InputsSpec,
    TaskDraft,
    parse_inputs_reply,
    parse_second_reply,
    parse_task_reply,
)
from .prompts import (
    PROMPTS,
    STDIN_PROMPTS,
    STOP,
    TASK_PROMPT_VERSION,
    TOOLS_PROMPTS,
    build_inputs_messages,
    build_second_messages,
    build_task_messages,
    prompts_for,
)
from .prompts_repair import (
    INPUTS_REPAIR_PROMPT_VERSION,
    REPAIR_PROMPT_VERSION,
    REPAIR_STDIN_PROMPT_VERSION,
)
from .prompts_stdin import STDIN
from .tools import ToolSpec, parse_tools_section

__all__ = [
    "PROMPT_VERSIONS",
    "STDIN_PROMPT_VERSIONS",
    "TaskGenerator",
    "task_id",
]

log = logging.getLogger(__name__)


def task_id(atom_set: AtomSet, model: str) -> str:
    """Stable id of the task generated from ``atom_set`` by ``model`` (current prompt)."""
    key = json.dumps(
        [atom_set.domain, sorted(a.id for a in atom_set.atoms), TASK_PROMPT_VERSION, model]
    )
    return "task-" + hashlib.sha256(key.encode()).hexdigest()[:16]


#: Prompts of the helpers that share the generator's endpoint: repair and near misses.
HELPER_PROMPTS = (
    REPAIR_PROMPT_VERSION,
    INPUTS_REPAIR_PROMPT_VERSION,
    REPAIR_STDIN_PROMPT_VERSION,
    NEAR_MISS_PROMPT_VERSION,
    SEPARATE_PROMPT_VERSION,
)

#: Recorded on every task: the versions of the three prompts that made it
#: (``"+".join(prompts_for(atom_set))``; these two for function and stdin/stdout tasks).
PROMPT_VERSIONS = "+".join(PROMPTS)
STDIN_PROMPT_VERSIONS = "+".join(STDIN_PROMPTS)


def with_tools(statement: str, tools: list[ToolSpec]) -> str:
    """The statement followed by the declared tools (what solvers and exports see)."""
    listed = json.dumps([t.model_dump() for t in tools], indent=1)
    return f"{statement}\n\nTools (JSON schemas; every call must fit them):\n{listed}"


class TaskGenerator:
    """Three cached chats over one endpoint: task writer, input writer, independent
    solver (which never sees the reference)."""

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        cache_dir: Path | None,
        max_concurrency: int = 2,
        max_tokens: int = 2048,
        **chat: Any,
    ) -> None:
        self.model = model
        self.max_concurrency = max_concurrency

        def chat_for(version: str) -> CachedChat:
            return CachedChat(
                client,
                model,
                cache_dir=cache_dir,
                prompt_version=version,
                max_tokens=max_tokens,
                stop=STOP,
                **chat,
            )

        versions = {*PROMPTS, *STDIN_PROMPTS, *TOOLS_PROMPTS, *HELPER_PROMPTS}
        self._chats = {v: chat_for(v) for v in versions}

    @property
    def http_calls(self) -> int:
        return sum(chat.http_calls for chat in self._chats.values())

    @property
    def tokens(self) -> int:
        """Prompt and completion tokens of the calls made (cache hits cost none)."""
        return sum(c.prompt_tokens + c.completion_tokens for c in self._chats.values())

    def chat(self, version: str) -> CachedChat:
        """The cached chat of one prompt version (e.g. ``repair-v2``)."""
        return self._chats[version]

    def inputs_for(self, draft: TaskDraft, versions: Sequence[str]) -> InputsSpec:
        """The input generator and validator of ``draft`` (inputs prompt of ``versions``)."""
        reply, _ = self._chats[versions[1]].reply(build_inputs_messages(draft))
        return parse_inputs_reply(reply)

    def second_for(self, draft: TaskDraft, versions: Sequence[str]) -> str:
        """An independent solution from ``draft``'s statement alone (second prompt)."""
        reply, _ = self._chats[versions[2]].reply(build_second_messages(draft))
        return parse_second_reply(reply, draft.entry_point).solution

    def generate(
        self,
        atom_set: AtomSet,
        atoms: Mapping[str, Atom],
        examples: Mapping[str, Sequence[tuple[str, str]]],
    ) -> Task | GenerationFailure:
        """One task (unverified) or the reason there is none.

        ``examples`` maps atom ids to ``(seed_id, statement)`` pairs shown to the model.
        """
        ident = task_id(atom_set, self.model)
        atom_ids = [a.id for a in atom_set.atoms]
        shown = [ex for a in atom_ids for ex in examples.get(a, [])[:1]][:3]
        versions = prompts_for(atom_set)
        stdin, tools = versions == STDIN_PROMPTS, None
        writer = self._chats[versions[0]]
        stage = "task"
        try:
            reply, _ = writer.reply(
                build_task_messages(atom_set, dict(atoms), [s for _, s in shown])
            )
            draft = parse_task_reply(reply, stdin=stdin)
            if versions == TOOLS_PROMPTS:
                tools = parse_tools_section(reply)
                draft = draft.model_copy(update={"statement": with_tools(draft.statement, tools)})
            stage = "inputs"
            inputs = self.inputs_for(draft, versions)
            stage = "second"
            solution = self.second_for(draft, versions)
        except (TaskReplyError, LlmCallError, EmptyReplyError) as exc:
            return GenerationFailure(id=ident, atom_ids=atom_ids, stage=stage, reason=str(exc))
        provenance = TaskProvenance(
            atom_ids=atom_ids,
            seed_ids=[sid for sid, _ in shown],
            prompt_version="+".join(versions),
            model=self.model,
            sampler={
                "strategy": atom_set.strategy,
                "rng_seed": atom_set.rng_seed,
                "score": atom_set.score.total,
            },
        )
        return Task(
            id=ident,
            domain=atom_set.domain,
            title=draft.title,
            statement=draft.statement,
            signature=draft.signature,
            entry_point=draft.entry_point,
            io_format=STDIN if stdin else None,
            tools=[t.model_dump() for t in tools] if tools else None,
            reference_solution=draft.reference_solution,
            input_generator=inputs.input_generator,
            input_validator=inputs.input_validator,
            second_solution=solution,
            provenance=provenance,
        )

    def generate_many(
        self,
        atom_sets: Iterable[AtomSet],
        atoms: Mapping[str, Atom],
        examples: Mapping[str, Sequence[tuple[str, str]]],
        tasks: JsonlCheckpoint,
        failures: JsonlCheckpoint,
        on_done: Callable[[Task | GenerationFailure], None] | None = None,
        retry_failed: bool = False,
    ) -> tuple[int, int, int]:
        """Generate every set not yet in either checkpoint; returns (new, failed, skipped).

        ``retry_failed`` also retries sets recorded as failures (cached replies are
        re-parsed for free; a newer failure record supersedes the older one).
        """
        todo: list[AtomSet] = []
        queued: set[str] = set()
        skipped = 0
        for atom_set in atom_sets:
            ident = task_id(atom_set, self.model)
            failed_before = ident in failures and not retry_failed
            if ident in tasks or failed_before or ident in queued:
                skipped += 1
            else:
                todo.append(atom_set)
                queued.add(ident)
        counts = {"new": 0, "failed": 0}

        def run(atom_set: AtomSet) -> None:
            result = self.generate(atom_set, atoms, examples)
            if isinstance(result, Task):
                tasks.append(result)
                counts["new"] += 1
            else:
                failures.append(result)
                counts["failed"] += 1
            if on_done is not None:
                on_done(result)

        with ThreadPoolExecutor(max_workers=self.max_concurrency) as pool:
            list(pool.map(run, todo))
        return counts["new"], counts["failed"], skipped
