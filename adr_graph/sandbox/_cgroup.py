"""A per-run ``pids`` cgroup: an exact process cap that also binds root, and a kill-all.

RLIMIT_NPROC counts every process of the user and never binds uid 0, so where the
host lets us create a ``pids`` cgroup (root with cgroup v1 ``pids`` or a delegated v2
tree) each run gets its own group with ``pids.max``; at the end every task still in
it is SIGKILLed, including ones that escaped the process group with ``setsid``.
Where no cgroup can be made, :func:`probe_base` returns ``None`` and callers fall
back to process-group kills only.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
import uuid
from pathlib import Path

__all__ = ["RunCgroup", "probe_base"]

log = logging.getLogger(__name__)

_PARENT = "adr_graph_sandbox"
_CANDIDATES = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


def _enable_pids(directory: Path) -> None:
    """On cgroup v2 ask ``directory`` to hand the pids controller to its children."""
    control = directory / "cgroup.subtree_control"
    if control.exists():
        with contextlib.suppress(OSError):
            control.write_text("+pids")


def probe_base() -> Path | None:
    """Return a writable parent cgroup whose children get ``pids.max``, else None."""
    for root in _CANDIDATES:
        if not (root / "cgroup.procs").exists():
            continue
        base = root / _PARENT
        try:
            _enable_pids(root)
            base.mkdir(exist_ok=True)
            _enable_pids(base)
            probe = base / f"probe-{uuid.uuid4().hex}"
            probe.mkdir()
            try:
                if (probe / "pids.max").exists():
                    return base
            finally:
                probe.rmdir()
        except OSError as exc:
            log.debug("no pids cgroup under %s: %s", root, exc)
    return None


class RunCgroup:
    """One run's cgroup: create, let the child join, kill everything, remove."""

    def __init__(self, base: Path, max_tasks: int) -> None:
        self.path = base / f"run-{uuid.uuid4().hex}"
        self.path.mkdir()
        (self.path / "pids.max").write_text(str(max_tasks))
        self.procs_file = str(self.path / "cgroup.procs")

    def set_max(self, max_tasks: int) -> None:
        """Change the group's ``pids.max``."""
        (self.path / "pids.max").write_text(str(max_tasks))

    def members(self) -> list[int]:
        """Pids currently in the group."""
        try:
            text = (self.path / "cgroup.procs").read_text()
        except OSError:
            return []
        return [int(tok) for tok in text.split()]

    def kill_all(self, grace: float = 2.0) -> bool:
        """SIGKILL every member until the group is empty; True when it emptied."""
        kill_file = self.path / "cgroup.kill"
        deadline = time.monotonic() + grace
        while True:
            pids = self.members()
            if not pids:
                return True
            if time.monotonic() > deadline:
                log.warning("sandbox cgroup %s still holds %d tasks", self.path, len(pids))
                return False
            if kill_file.exists():
                with contextlib.suppress(OSError):
                    kill_file.write_text("1")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def remove(self) -> None:
        """Kill what is left and delete the group directory."""
        self.kill_all()
        for attempt in range(200):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # EBUSY until the killed tasks have fully exited
                time.sleep(0.0005 * min(attempt + 1, 20))
        log.warning("could not remove sandbox cgroup %s", self.path)
