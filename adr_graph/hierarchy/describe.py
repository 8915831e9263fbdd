"""What an atom is, in one sentence: curated text, a group template, or an API docstring.

Descriptions come from data first (``schema/hierarchy``); a ``library_api`` atom of a
package the file lists is described by the first sentence of the object's own docstring
(the package is imported by its listed name, never by a name read from a seed).

>>> describe_atom("algorithm", "technique", "two pointers", "detected in the code")
'Move two indices through a sequence, usually from both ends or at two speeds.'
>>> describe_atom("data_science", "library_api", "statistics.median", "called")
'Return the median (middle value) of numeric data.'
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from functools import cache

from .spec import hierarchy_spec

__all__ = ["api_docstring", "describe_atom"]

log = logging.getLogger(__name__)


def _attribute(obj: object, part: str) -> object | None:
    """``obj``'s attribute whose name matches a slug part (case, ``-``/``_`` ignored)."""
    wanted = part.replace("-", "_").lower()
    for name in dir(obj):
        if name.lower() == wanted:
            try:
                return getattr(obj, name)
            except Exception:
                return None
    return None


def _first_sentence(doc: str) -> str:
    for paragraph in re.split(r"\n\s*\n", doc.strip()):
        text = " ".join(paragraph.split())
        if text and not re.match(r"^[\w.]+\(.*\)$", text):  # skip a bare signature line
            sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
            return sentence[:200]
    return ""


@cache
def api_docstring(name: str, packages: tuple[str, ...]) -> str | None:
    """First sentence of the docstring of a dotted, slugged API name, or ``None``."""
    parts = name.split(".")
    if parts[0] not in packages:
        return None
    try:
        obj: object | None = importlib.import_module(parts[0])
    except Exception:
        return None
    for depth, part in enumerate(parts[1:], start=1):
        found = _attribute(obj, part)
        if found is None:
            module = ".".join([parts[0], *(p.replace("-", "_") for p in parts[1 : depth + 1])])
            try:
                found = importlib.import_module(module)
            except Exception:
                return None
        obj = found
    doc = getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    text = _first_sentence(doc)
    if len(parts) > 2 and not isinstance(obj, type) and not inspect.ismodule(obj):
        return f"{parts[-2]}.{parts[-1]}: {text}"  # a method: name its owner
    return text


def describe_atom(domain: str, slot: str, name: str, fallback: str) -> str:
    """The best description the data gives for an atom, else ``fallback``."""
    try:
        spec = hierarchy_spec(domain)
    except KeyError:
        return fallback
    slot_spec = spec.slots.get(slot)
    if slot_spec is None:
        return fallback
    if slot_spec.docstrings:  # an API's own docstring before any template
        doc = slot_spec.curated(name) or api_docstring(name.lower(), slot_spec.docstrings)
        if doc:
            return doc
    return slot_spec.description_of(name) or fallback
