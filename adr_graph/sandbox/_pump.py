"""Feed stdin and collect capped stdout/stderr of a child without blocking on it.

The host never buffers more than ``cap`` bytes per stream: the rest is read and
dropped (so the child cannot stall on a full pipe) and the capture is flagged.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import time

__all__ = ["Pipes"]

_CHUNK = 65536


def _exited(pid: int) -> bool:
    """True when ``pid`` has terminated (without reaping it: WNOWAIT)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def _open_pidfd(pid: int) -> int | None:
    with contextlib.suppress(AttributeError, OSError):
        return os.pidfd_open(pid)
    return None


class Pipes:
    """The three standard pipes of one child, multiplexed with a selector.

    >>> p = Pipes.__new__(Pipes); p.cap = 3; p.out = {1: bytearray()}; p.truncated = False
    >>> p._keep(1, b"hello"); (bytes(p.out[1]), p.truncated)
    (b'hel', True)
    """

    def __init__(self, proc: subprocess.Popen[bytes], stdin: bytes, cap: int) -> None:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        in_fd, out_fd, err_fd = (os.dup(f.fileno()) for f in (proc.stdin, proc.stdout, proc.stderr))
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
        self._setup(in_fd, out_fd, err_fd, stdin, cap)

    @classmethod
    def from_fds(
        cls, stdin_fd: int, stdout_fd: int, stderr_fd: int, data: bytes, cap: int
    ) -> Pipes:
        """Pipes over the host's ends of three pipes (owned from now on)."""
        pipes = cls.__new__(cls)
        pipes._setup(stdin_fd, stdout_fd, stderr_fd, data, cap)
        return pipes

    def _setup(self, in_fd: int, out_fd: int, err_fd: int, stdin: bytes, cap: int) -> None:
        self.cap = cap
        self.truncated = False
        self.sel = selectors.DefaultSelector()
        self.pending: dict[int, memoryview] = {}
        self.out: dict[int, bytearray] = {}
        if stdin:
            os.set_blocking(in_fd, False)
            self.pending[in_fd] = memoryview(stdin)
            self.sel.register(in_fd, selectors.EVENT_WRITE)
        else:
            os.close(in_fd)
        self.stdout_fd, self.stderr_fd = out_fd, err_fd
        for fd in (self.stdout_fd, self.stderr_fd):
            self.out[fd] = bytearray()
            self.sel.register(fd, selectors.EVENT_READ)

    def _keep(self, fd: int, data: bytes) -> None:
        buf = self.out[fd]
        room = self.cap - len(buf)
        if len(data) > room:
            self.truncated = True
            data = data[: max(room, 0)]
        buf += data

    def _close(self, fd: int) -> None:
        self.sel.unregister(fd)
        self.pending.pop(fd, None)
        os.close(fd)

    def _service(self, fd: int) -> None:
        if fd in self.pending:
            view = self.pending[fd]
            try:
                sent = os.write(fd, view[:_CHUNK])
            except OSError:  # BrokenPipe: the child stopped reading
                sent = len(view)
            if sent >= len(view):
                self._close(fd)
            else:
                self.pending[fd] = view[sent:]
            return
        try:
            data = os.read(fd, _CHUNK)
        except OSError:
            data = b""
        if data:
            self._keep(fd, data)
        else:
            self._close(fd)

    def pump_until_exit(self, pid: int, deadline: float) -> bool:
        """Move data until ``pid`` exits (True) or ``deadline`` passes (False)."""
        pidfd = _open_pidfd(pid)
        if pidfd is not None:
            self.sel.register(pidfd, selectors.EVENT_READ)
        try:
            while not _exited(pid):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                wait = remaining if pidfd is not None else min(remaining, 0.02)
                for key, _ in self.sel.select(wait):
                    if key.fd != pidfd:
                        self._service(key.fd)
            return True
        finally:
            if pidfd is not None:
                self.sel.unregister(pidfd)
                os.close(pidfd)

    def pump_until_readable(self, fd: int, deadline: float) -> bool:
        """Move data until ``fd`` is readable (True) or ``deadline`` passes (False)."""
        self.sel.register(fd, selectors.EVENT_READ)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                for key, _ in self.sel.select(remaining):
                    if key.fd == fd:
                        return True
                    self._service(key.fd)
        finally:
            self.sel.unregister(fd)

    def drain(self, grace: float) -> None:
        """Read what is left until every pipe hits EOF or ``grace`` passes; close all."""
        until = time.monotonic() + grace
        try:
            while self.sel.get_map():
                remaining = until - time.monotonic()
                if remaining <= 0:
                    break
                for key, _ in self.sel.select(remaining):
                    self._service(key.fd)
        finally:
            for key in list(self.sel.get_map().values()):
                self._close(key.fd)
            self.sel.close()

    def text(self, fd: int) -> str:
        """Captured text of one stream, invalid UTF-8 replaced."""
        return bytes(self.out[fd]).decode("utf-8", errors="replace")
