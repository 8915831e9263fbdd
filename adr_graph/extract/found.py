"""The record every static detector returns before it becomes an ``AtomCandidate``.

>>> Found("technique", "binary search", "bisect call").name
'binary search'
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Found"]


class Found(NamedTuple):
    """One extracted element: slot, canonical name and a short description."""

    slot: str
    name: str
    description: str
