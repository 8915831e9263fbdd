"""How stages report progress: a callback that receives :class:`ProgressEvent` values.

Stages never print. A caller that wants bars (the CLI) or logs passes ``on_progress``;
the default drops every event.

>>> events = []
>>> steps = Steps("demo", events.append)
>>> with steps.task("counting", total=2) as advance:
...     advance(); advance()
>>> steps.note("done")
>>> [e.kind for e in events]
['start', 'advance', 'advance', 'end', 'note']
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["OnProgress", "ProgressEvent", "Steps", "quiet"]


@dataclass(frozen=True)
class ProgressEvent:
    """One thing a stage reports.

    ``start``/``advance``/``end`` bracket a unit of work with an optional ``total``;
    ``note`` is a finished fact worth showing a person (``warning`` marks a problem).
    """

    stage: str
    kind: Literal["start", "advance", "end", "note"]
    message: str
    total: int | None = None
    step: int = 1
    warning: bool = False


OnProgress = Callable[[ProgressEvent], None]


def quiet(_event: ProgressEvent) -> None:
    """The default ``on_progress``: drop the event."""


class Steps:
    """A stage's handle on ``on_progress``: work units and notes, all named ``stage``."""

    def __init__(self, stage: str, on_progress: OnProgress | None) -> None:
        self.stage = stage
        self.emit = on_progress or quiet

    @contextlib.contextmanager
    def task(self, message: str, total: int | None = None) -> Iterator[Callable[..., None]]:
        """Bracket a unit of work; yields ``advance(step=1)``."""
        self.emit(ProgressEvent(self.stage, "start", message, total=total))

        def advance(step: int = 1) -> None:
            self.emit(ProgressEvent(self.stage, "advance", message, total=total, step=step))

        try:
            yield advance
        finally:
            self.emit(ProgressEvent(self.stage, "end", message, total=total))

    def note(self, message: str, *, warning: bool = False) -> None:
        self.emit(ProgressEvent(self.stage, "note", message, warning=warning))
