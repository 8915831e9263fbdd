"""Removing what a run leaves on the host, whatever shape it took.

A program can build a directory tree deeper than Python's recursion limit, which makes
``shutil.rmtree`` raise ``RecursionError`` (not an ``OSError``, so ``ignore_errors`` does
not catch it). :func:`remove_tree` falls back to ``rm -rf``, which walks iteratively.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

__all__ = ["remove_tree"]

log = logging.getLogger(__name__)


def remove_tree(path: str) -> bool:
    """Remove ``path`` and everything under it; True when it is gone.

    >>> import tempfile; d = tempfile.mkdtemp(); remove_tree(d), os.path.exists(d)
    (True, False)
    """
    try:
        shutil.rmtree(path, ignore_errors=True)
    except RecursionError:
        rm = shutil.which("rm") or "/bin/rm"
        subprocess.run([rm, "-rf", "--one-file-system", "--", path], check=False, timeout=120)
    if os.path.lexists(path):
        log.warning("sandbox directory %s could not be removed", path)
        return False
    return True
