"""Run untrusted Python programs as contained subprocesses of this host.

What contains a run (each is probed once, in :class:`LocalSandbox`'s constructor):

* ``isolation="bwrap"`` (root with bubblewrap, :mod:`._bwrap`): fresh PID, network, IPC,
  UTS and cgroup namespaces on a private read-only root holding only ``/usr``, the
  interpreter and the run's own directory; the run is uid/gid 65534 with no capabilities
  and ``no_new_privs``. Runs are forked from a warm zygote per worker (:mod:`._zygote`)
  unless ``zygote=False``;
* ``isolation="unshare"`` (the fallback): ``unshare --net --pid --mount-proc`` where the
  host allows it, every mount but the run's directory remounted read-only, the host's uid;
* in both, a PID namespace whose ``/proc`` shows only the run's own processes and whose
  init is a tiny supervisor (or the zygote): when the program ends every process left
  there is killed, ``setsid`` escapees included;
* a fresh private directory (0700) as cwd and HOME, removed afterwards, and an
  environment built from a short allow-list, nothing inherited from the host;
* rlimits CPU, AS, NPROC, FSIZE and CORE=0 set in the child before the program starts;
* a ``pids`` cgroup where one can be made (per run, or per zygote): RLIMIT_NPROC counts
  all processes of the uid and never binds root, the cgroup's ``pids.max`` does;
* a wall clock: on expiry the whole process group (and cgroup) is SIGKILLed.

Not contained in the fallback: reading. The program runs as the host's uid and can read
whatever that uid can (and, without namespaces, write it too). Keep secrets out of files
this uid can read, or run hostile code at scale in a container or a
:class:`~adr_graph.sandbox.remote.RemoteSandbox`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from adr_graph.errors import SandboxError
from adr_graph.sandbox._bwrap import SANDBOX_UID, bwrap_prefix, probe_bwrap
from adr_graph.sandbox._cgroup import RunCgroup, probe_base
from adr_graph.sandbox._files import remove_tree
from adr_graph.sandbox._init import INIT_SOURCE, format_limits
from adr_graph.sandbox._pump import Pipes
from adr_graph.sandbox._zygote import Zygote, ZygotePool, ZygoteSettings
from adr_graph.sandbox.records import RunRequest, RunResult, classify_exit

__all__ = ["LocalSandbox", "probe_isolation", "sandbox_env"]

log = logging.getLogger(__name__)

_ISOLATION_FLAGS = ("--net", "--pid", "--fork", "--mount-proc", "--kill-child")
_KILL_GRACE = 1.0


def sandbox_env(home: str) -> dict[str, str]:
    """The whole environment a sandboxed program sees.

    >>> sorted(sandbox_env("/tmp/x"))[:3]
    ['HOME', 'LANG', 'LC_ALL']
    """
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
    }


def probe_isolation() -> list[str]:
    """Return the ``unshare`` prefix that works here, or ``[]`` when none does."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return []
    # setpriv makes unshare die with the host; unshare --kill-child then takes the
    # namespace's init, and the kernel every process left in the namespace
    setpriv = shutil.which("setpriv")
    deathsig = [[setpriv, "--pdeathsig", "KILL"]] if setpriv else []
    for first, extra in itertools.product([*deathsig, []], ([], ["--map-root-user"])):
        prefix = [*first, unshare, *extra, *_ISOLATION_FLAGS]
        try:
            done = subprocess.run(
                [*prefix, "true"], capture_output=True, timeout=10, env=sandbox_env("/")
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            return prefix
    return []


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _read_status(fd: int) -> tuple[int, float] | None:
    """Parse the supervisor's ``"<wait status> <cpu>"`` line, if it wrote one."""
    os.set_blocking(fd, False)
    data = b""
    with contextlib.suppress(BlockingIOError, OSError):
        while chunk := os.read(fd, 256):
            data += chunk
    try:
        raw, cpu = data.split()
        return os.waitstatus_to_exitcode(int(raw)), float(cpu)
    except ValueError:
        return None


class LocalSandbox:
    """Run programs with the host's interpreter inside the containment described above.

    Parameters
    ----------
    python
        Interpreter for the programs; defaults to ``sys.executable`` so the venv's
        site-packages (numpy, pandas) stay importable.
    isolate
        Try namespaces (probed once; off with a warning where unavailable).
    use_cgroup
        Try a ``pids`` cgroup (probed once; silently off where unavailable).
    bwrap
        Prefer bubblewrap's least-privilege mode to ``unshare`` (probed once; root only).
    zygote
        In bubblewrap mode, fork runs from warm zygotes instead of starting them cold.
    workers
        How many zygotes at most (default: the CPU count); more runs at once wait.
    max_runs, max_rss_mb
        A zygote is replaced after this many runs, or above this resident size.
    """

    def __init__(
        self,
        python: str | None = None,
        *,
        isolate: bool = True,
        use_cgroup: bool = True,
        bwrap: bool = True,
        zygote: bool = True,
        workers: int | None = None,
        max_runs: int = 1000,
        max_rss_mb: int = 1024,
    ) -> None:
        self.python = python or sys.executable
        self._bwrap = probe_bwrap(self.python) if isolate and bwrap else None
        self._prefix = [] if self._bwrap or not isolate else probe_isolation()
        #: ``bwrap`` (least privilege), ``unshare`` (namespaces, host uid) or ``none``.
        self.isolation = "bwrap" if self._bwrap else "unshare" if self._prefix else "none"
        self.network_isolation = self.isolation != "none"
        self._cgroup_base = probe_base() if use_cgroup else None
        self.cgroup_isolation = self._cgroup_base is not None
        self._read_only_fs = self.network_isolation
        self._zygotes: ZygotePool | None = None
        self.fs_isolation = self._read_only_fs and self._probe_read_only()
        self._read_only_fs = self.fs_isolation
        if zygote and self._bwrap and self.fs_isolation:
            settings = ZygoteSettings(
                self._bwrap, self.python, max_runs=max_runs, max_rss_mb=max_rss_mb
            )
            size = workers or os.cpu_count() or 1
            self._zygotes = ZygotePool(settings, sandbox_env("/"), size, self._cgroup_base)
            weakref.finalize(self, self._zygotes.close)
        if isolate and bwrap and not self._bwrap:
            log.warning(
                "bubblewrap is not usable here (install the Debian package `bubblewrap`; it "
                "needs root): sandboxed programs run as this host's uid (isolation=%s)",
                self.isolation,
            )
        if not self.network_isolation:
            log.warning(
                "unshare --net --pid is not available here: sandboxed programs keep the "
                "host network and can see host processes (network_isolated=False)"
            )
        elif not self.fs_isolation:
            log.warning(
                "read-only mounts are not available here: sandboxed programs can write "
                "wherever this uid can (fs_isolated=False)"
            )

    @property
    def mode(self) -> str:
        """How runs start: ``zygote`` (forked from a warm sandboxed interpreter) or ``cold``."""
        return "zygote" if self._zygotes is not None else "cold"

    def close(self) -> None:
        """Stop the warm zygotes now (they also stop when this process ends)."""
        if self._zygotes is not None:
            self._zygotes.close()

    def __enter__(self) -> LocalSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _probe_read_only(self) -> bool:
        """Whether a run can write outside its own directory (tried on a host temp dir)."""
        with tempfile.TemporaryDirectory(prefix="adr-sbx-probe-") as outside:
            target = Path(outside) / "escaped"
            code = (
                "import sys\ntry:\n    open(sys.argv[1], 'w').write('x')\nexcept OSError:\n    pass"
            )
            result = self.run(RunRequest(code=code, argv=[str(target)]))
            return result.status == "ok" and not target.exists()

    def run(self, request: RunRequest) -> RunResult:
        """Run one program; never raises for anything the program does."""
        started = time.monotonic()
        if self._zygotes is not None:
            with contextlib.suppress(SandboxError):
                return self._run_zygote(request, started)
        tmp = ""
        try:
            tmp = tempfile.mkdtemp(prefix="adr-sbx-")
            return self._run_in(request, Path(tmp), started)
        except (OSError, SandboxError, subprocess.SubprocessError) as exc:
            log.error("sandbox failed to run a program: %s", exc)
            return RunResult(
                status="sandbox_error",
                stderr=f"sandbox error: {exc}",
                wall_seconds=time.monotonic() - started,
                network_isolated=self.network_isolation,
            )
        finally:
            if tmp:
                remove_tree(tmp)  # also a tree deeper than Python's recursion limit

    def run_many(
        self, requests: Sequence[RunRequest], max_workers: int | None = None
    ) -> list[RunResult]:
        """Run ``requests`` on a thread pool; results keep the order of ``requests``."""
        workers = max(1, max_workers or os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox") as pool:
            return list(pool.map(self.run, requests))

    def _write_files(self, request: RunRequest, tmp: Path) -> Path:
        os.chmod(tmp, 0o700)
        for name, text in request.files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        main = tmp / "main.py"
        main.write_text(request.code, encoding="utf-8")
        return main

    def _command(self, request: RunRequest, main: Path, status_fd: int, cg: str) -> list[str]:
        lim = request.limits
        limits = format_limits(lim.cpu_seconds, lim.memory_mb, lim.max_processes, lim.file_size_mb)
        program = [self.python, "-s", "-P", str(main), *request.argv]
        run_dir = os.path.realpath(main.parent)
        if self._bwrap:  # a private root: nothing to remount, and a uid to become
            prefix = bwrap_prefix(self._bwrap, self.python, [run_dir])
            writable, parent, uid = run_dir, "-", str(SANDBOX_UID)
        else:
            prefix = self._prefix
            writable = run_dir if self._read_only_fs else "-"
            parent = "-" if self._prefix else str(os.getpid())  # under unshare: not the host
            uid = "-"
        supervisor = [
            *(self.python, "-I", "-S", "-c", INIT_SOURCE),
            *(str(status_fd), cg, limits, writable, parent, uid),
        ]
        return [*prefix, *(["--"] if self._bwrap else []), *supervisor, "--", *program]

    def _run_in(self, request: RunRequest, tmp: Path, started: float) -> RunResult:
        main = self._write_files(request, tmp)
        lim = request.limits
        cgroup = RunCgroup(self._cgroup_base, lim.max_processes + 1) if self._cgroup_base else None
        if self._bwrap:
            os.chown(tmp, SANDBOX_UID, SANDBOX_UID)
        status_r, status_w = os.pipe()
        cg_fd = os.open(cgroup.procs_file, os.O_WRONLY) if cgroup else -1
        try:
            cmd = self._command(request, main, status_w, str(cg_fd) if cgroup else "-")
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=tmp,
                env=sandbox_env(str(tmp)),
                start_new_session=True,
                pass_fds=(status_w,) if cg_fd < 0 else (status_w, cg_fd),
            )
            os.close(status_w)
            status_w = -1
            pipes = Pipes(proc, request.stdin.encode("utf-8"), lim.output_bytes)
            finished = pipes.pump_until_exit(proc.pid, started + lim.wall_seconds)
            _kill_group(proc.pid)
            if cgroup is not None:
                cgroup.kill_all()
            pipes.drain(_KILL_GRACE)
            proc.wait()
            status = _read_status(status_r)
        finally:
            os.close(status_r)
            for fd in (status_w, cg_fd):
                if fd >= 0:
                    os.close(fd)
            if cgroup is not None:
                cgroup.remove()
        return self._result(
            proc, pipes, status, timed_out=not finished, started=started, cpu_limit=lim.cpu_seconds
        )

    def _run_zygote(self, request: RunRequest, started: float) -> RunResult:
        """One run forked from a warm zygote; a zygote that cannot start turns the pool
        off (logged) and raises, so the run goes the cold way."""
        assert self._zygotes is not None
        lim = request.limits
        zygote = self._zygotes.take()
        try:
            done = zygote.run(request)
        except SandboxError as exc:
            log.error("%s; running programs cold from now on", exc)
            self._zygotes = None
            raise
        finally:
            self._zygotes_give(zygote)
        done.pipes.drain(_KILL_GRACE)
        if done.status is None and not done.timed_out:
            stderr = done.pipes.text(done.pipes.stderr_fd)
            return RunResult(
                status="sandbox_error",
                stderr=f"sandbox error: the zygote gave no status (restarted)\n{stderr[-500:]}",
                wall_seconds=round(time.monotonic() - started, 4),
                network_isolated=True,
            )
        code = -signal.SIGKILL if done.timed_out else os.waitstatus_to_exitcode(done.status or 0)
        return self._classified(
            code, done.cpu, done.pipes, done.timed_out, started, lim.cpu_seconds
        )

    def _zygotes_give(self, zygote: Zygote) -> None:
        pool = self._zygotes
        if pool is not None:
            pool.give(zygote)
        else:
            zygote.stop()

    def _result(
        self,
        proc: subprocess.Popen[bytes],
        pipes: Pipes,
        status: tuple[int, float] | None,
        *,
        timed_out: bool,
        started: float,
        cpu_limit: float,
    ) -> RunResult:
        stderr = pipes.text(pipes.stderr_fd)
        if status is None and not timed_out and proc.returncode >= 0:
            raise SandboxError(f"sandbox supervisor exited {proc.returncode}: {stderr[-500:]}")
        # No status with a signal: the program killed its supervisor (no PID namespace).
        code, cpu = status if status is not None else (min(proc.returncode, -1), 0.0)
        if timed_out:
            code = -signal.SIGKILL
        return self._classified(code, cpu, pipes, timed_out, started, cpu_limit)

    def _classified(
        self, code: int, cpu: float, pipes: Pipes, timed_out: bool, started: float, cpu_limit: float
    ) -> RunResult:
        stderr = pipes.text(pipes.stderr_fd)
        kind, sig = classify_exit(
            code, stderr, timed_out=timed_out, cpu_used=cpu, cpu_limit=cpu_limit
        )
        return RunResult(
            status=kind,
            exit_code=None if timed_out or code < 0 else code,
            signal=sig,
            stdout=pipes.text(pipes.stdout_fd),
            stderr=stderr,
            truncated=pipes.truncated,
            wall_seconds=round(time.monotonic() - started, 4),
            network_isolated=self.network_isolation,
        )
