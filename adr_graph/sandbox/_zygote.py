"""Host side of the warm zygote: start it in bubblewrap, hand it runs, restart it.

A :class:`Zygote` is one long-lived sandboxed interpreter (:mod:`._fork_server`) with the
usual modules imported; each run is a fork of it, so a run pays neither the interpreter
start nor the imports. The host keeps what the cold path keeps: it creates the run's pipes
and pumps the output with the same caps. The zygote lives in a ``pids`` cgroup of its own
(joined once: a migration costs about 10 ms on cgroup v1), whose ``pids.max`` is set before
each run to the run's process cap plus the zygote; a run that leaves a process there after
the zygote's clean-up gets its zygote killed with the whole cgroup. The zygote enforces the
wall clock; the host waits :data:`_REPLY_GRACE` more, then kills the zygote. A zygote that
crashed, hung, retired (``max_runs``, ``max_rss_mb``) or failed to start is replaced on the
next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adr_graph.errors import SandboxError
from adr_graph.sandbox._bwrap import SANDBOX_UID, bwrap_prefix
from adr_graph.sandbox._cgroup import RunCgroup
from adr_graph.sandbox._files import remove_tree
from adr_graph.sandbox._fork_server import ZYGOTE_SOURCE
from adr_graph.sandbox._init import format_limits
from adr_graph.sandbox._pump import Pipes
from adr_graph.sandbox.records import RunRequest

__all__ = ["DEFAULT_PRELOAD", "Zygote", "ZygotePool", "ZygoteRun", "ZygoteSettings"]

#: Modules a zygote imports before its first fork (those missing here are skipped). Not
#: pandas: its image makes every fork cost about 15 ms here, against 2.3 ms with numpy alone
#: (a pandas task pays its import as it would cold).
DEFAULT_PRELOAD = (
    "collections,itertools,functools,heapq,bisect,math,re,json,string,random,typing,"
    "dataclasses,fractions,decimal,statistics,numpy,numpy.random"
)
_READY_SECONDS = 120.0  # importing pandas on a busy 2-core host
_REPLY_GRACE = 3.0
_HEAD = struct.Struct(">Q")


@dataclass(frozen=True)
class ZygoteSettings:
    """How zygotes are started and when they are replaced."""

    bwrap: str
    python: str
    preload: str = DEFAULT_PRELOAD
    max_runs: int = 1000
    max_rss_mb: int = 1024


@dataclass
class ZygoteRun:
    """What one run through a zygote gave: the raw wait status (``None`` when the zygote
    gave none), CPU seconds, whether the wall clock ran out, and the captured pipes."""

    status: int | None
    cpu: float
    timed_out: bool
    pipes: Pipes


def _send(sock: socket.socket, obj: dict[str, Any], fds: list[int]) -> None:
    data = json.dumps(obj).encode()
    socket.send_fds(sock, [_HEAD.pack(len(data))], fds)
    sock.sendall(data)


def _recv(sock: socket.socket, timeout: float) -> dict[str, Any] | None:
    """One reply frame, or ``None`` on EOF or timeout."""
    sock.settimeout(timeout)
    try:
        head = _exact(sock, _HEAD.size)
        body = head and _exact(sock, _HEAD.unpack(head)[0])
    except (OSError, TimeoutError):
        return None
    finally:
        sock.settimeout(None)
    return json.loads(body) if body else None


def _exact(sock: socket.socket, size: int) -> bytes | None:
    buf = b""
    while len(buf) < size:
        chunk = sock.recv(size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class Zygote:
    """One warm sandboxed interpreter; :meth:`run` forks a run from it."""

    def __init__(
        self, settings: ZygoteSettings, env: dict[str, str], cgroup_base: Path | None = None
    ) -> None:
        self.settings = settings
        self.env = env
        self._cgroup_base = cgroup_base
        self._cgroup: RunCgroup | None = None
        self.runs = 0
        self.starts = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._dir: str | None = None

    @property
    def pid(self) -> int | None:
        """The host pid of the running zygote (its bubblewrap), if one runs."""
        return self._proc.pid if self.alive and self._proc is not None else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the zygote and wait until its modules are imported."""
        self.stop()
        s = self.settings
        self._dir = tempfile.mkdtemp(prefix="adr-zygote-")
        work = os.path.join(self._dir, "runs")
        os.mkdir(work, 0o700)
        os.chown(work, SANDBOX_UID, SANDBOX_UID)
        host_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        passed = [child_end.fileno()]
        if self._cgroup_base is not None:
            self._cgroup = RunCgroup(self._cgroup_base, 64)
            passed.append(os.open(self._cgroup.procs_file, os.O_WRONLY))
        args = [str(passed[0]), str(SANDBOX_UID), work, s.preload, str(s.max_runs)]
        args += [str(s.max_rss_mb), str(passed[1]) if len(passed) > 1 else "-"]
        program = [s.python, "-s", "-P", "-c", ZYGOTE_SOURCE, *args]
        prefix = bwrap_prefix(s.bwrap, s.python, [work], die_with_parent=False)
        try:
            with open(os.path.join(self._dir, "stderr"), "wb") as log:
                self._proc = subprocess.Popen(
                    [*prefix, "--", *program],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    env={**self.env, "HOME": work, "TMPDIR": work},
                    start_new_session=True,
                    pass_fds=tuple(passed),
                )
        finally:
            child_end.close()
            for fd in passed[1:]:
                os.close(fd)
        self._sock = host_end
        self.starts += 1
        if _recv(host_end, _READY_SECONDS) is None:
            reason = self._stderr()
            self.stop()
            raise SandboxError(f"the sandbox zygote did not start: {reason or 'no answer'}")

    def _stderr(self) -> str:
        if self._dir is not None:
            with contextlib.suppress(OSError):
                return Path(self._dir, "stderr").read_text(errors="replace")[-500:]
        return ""

    def stop(self) -> None:
        """Kill the zygote (and so its runs) and remove its directory."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self._proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._proc.pid, 9)
            self._proc.wait()
            self._proc = None
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        if self._dir is not None:
            remove_tree(self._dir)
            self._dir = None

    def _hand_over(self, header: dict[str, Any], fds: list[int], max_tasks: int) -> None:
        """Send one run, starting the zygote first if needed and once more if the one
        there had died (crashed, retired, killed) since the last run."""
        for attempt in (1, 2):
            if not self.alive or self._sock is None:
                self.start()
            assert self._sock is not None
            try:
                if self._cgroup is not None:  # the run's cap, plus the zygote itself
                    self._cgroup.set_max(max_tasks + 1)
                _send(self._sock, header, fds)
                return
            except OSError as exc:
                self.stop()
                if attempt == 2:
                    raise SandboxError(f"the sandbox zygote went away: {exc}") from exc

    def run(self, request: RunRequest) -> ZygoteRun:
        """One run; the zygote is stopped (and replaced next time) when it misbehaves."""
        lim = request.limits
        limits = format_limits(lim.cpu_seconds, lim.memory_mb, lim.max_processes, lim.file_size_mb)
        header = {
            "code": request.code,
            "files": request.files,
            "argv": request.argv,
            "limits": [int(v) for v in limits.split(",")],
            "wall": lim.wall_seconds,  # from the hand-over: a zygote's start is not the run's
            "env": self.env,
        }
        ends = [os.pipe() for _ in range(3)]  # stdin, stdout, stderr
        theirs = [ends[0][0], ends[1][1], ends[2][1]]
        ours = [ends[0][1], ends[1][0], ends[2][0]]
        try:
            self._hand_over(header, theirs, lim.max_processes + 1)
        except BaseException:
            for fd in ours:
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        data = request.stdin.encode()
        pipes = Pipes.from_fds(ours[0], ours[1], ours[2], data, lim.output_bytes)
        deadline = time.monotonic() + lim.wall_seconds + _REPLY_GRACE
        assert self._sock is not None
        answered = pipes.pump_until_readable(self._sock.fileno(), deadline)
        reply = _recv(self._sock, max(0.1, deadline - time.monotonic())) if answered else None
        self.runs += 1
        stray = self._cgroup is not None and len(self._cgroup.members()) > 1
        if reply is None or reply.get("retire") or stray:
            self.stop()  # with its cgroup: whatever a run left there dies too
        if reply is None:
            return ZygoteRun(None, 0.0, not answered, pipes)
        return ZygoteRun(int(reply["status"]), float(reply["cpu"]), bool(reply["timed_out"]), pipes)


class ZygotePool:
    """Up to ``size`` zygotes, started on demand; a run takes one and gives it back."""

    def __init__(
        self,
        settings: ZygoteSettings,
        env: dict[str, str],
        size: int,
        cgroup_base: Path | None = None,
    ) -> None:
        self.settings = settings
        self.env = env
        self.cgroup_base = cgroup_base
        self.size = max(1, size)
        self._idle: queue.LifoQueue[Zygote] = queue.LifoQueue()
        self._made: list[Zygote] = []
        self._lock = threading.Lock()

    def take(self) -> Zygote:
        """An idle zygote, a new one while fewer than ``size`` exist, else wait for one."""
        with contextlib.suppress(queue.Empty):
            return self._idle.get_nowait()
        with self._lock:
            if len(self._made) < self.size:
                self._made.append(Zygote(self.settings, self.env, self.cgroup_base))
                return self._made[-1]
        return self._idle.get()

    def give(self, zygote: Zygote) -> None:
        self._idle.put(zygote)

    def close(self) -> None:
        """Stop every zygote (each also exits by itself when this process ends)."""
        with self._lock:
            for zygote in self._made:
                zygote.stop()
