"""The tiny supervisor that runs first inside the sandbox (source text, never imported).

It is started as ``python -I -S -c INIT_SOURCE FD CGROUP LIMITS WRITABLE PARENT UID -- CMD...``
(CGROUP: an open fd of the run cgroup's ``cgroup.procs``, or ``-``; PARENT: the host's pid
when it is the direct parent, else ``-``; UID: the uid to become, or ``-``). It is PID 1 of
its namespace (``unshare --fork``, ``bwrap --as-pid-1``): signals from the program cannot
reach it, and when it exits the kernel kills every process left in the namespace. It joins
the run's cgroup (if any), makes every mount but WRITABLE (the run's directory) read-only in
its private mount namespace (unless WRITABLE is ``-``; under bubblewrap, with UID, it only
changes into it), drops to UID with no capabilities and ``no_new_privs``
(:data:`DROP_SOURCE`), forks, sets the resource limits in the child, execs the program,
waits for it and writes ``"<raw wait status> <cpu seconds>"`` to the status pipe FD. The
program asks for SIGKILL when the supervisor dies, and the supervisor kills the program and
exits when the host's end of the status pipe closes, so a run never outlives a killed host
(nobody would be left to enforce its wall timeout).
"""

from __future__ import annotations

__all__ = ["DROP_SOURCE", "INIT_SOURCE", "format_limits"]

#: Defines ``_drop(uid)``: empty the capability bounding set, become ``uid``/``uid`` with
#: no supplementary groups, clear every capability set and set ``no_new_privs``. Needs
#: CAP_SETUID, CAP_SETGID and CAP_SETPCAP (bubblewrap keeps exactly these for it).
DROP_SOURCE = r"""
import ctypes as _ct, os as _os
def _drop(uid):
    lib = _ct.CDLL(None, use_errno=True)
    for cap in range(64):
        lib.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (EINVAL past the last cap)
    _os.setgroups([])
    _os.setresgid(uid, uid, uid)
    _os.setresuid(uid, uid, uid)
    head, data = (_ct.c_uint32 * 2)(0x20080522, 0), (_ct.c_uint32 * 6)()
    if lib.capset(head, data) != 0 or lib.prctl(38, 1, 0, 0, 0) != 0:  # NO_NEW_PRIVS
        raise OSError(_ct.get_errno(), "could not drop privileges")
"""

INIT_SOURCE = (
    DROP_SOURCE
    + r"""
import ctypes, os, resource as R, signal, sys
fd, cg, lim, rw, parent, uid = int(sys.argv[1]), *sys.argv[2:7]
cmd = sys.argv[8:]
libc = ctypes.CDLL(None, use_errno=True)
PDEATHSIG = 1  # prctl(PR_SET_PDEATHSIG): die with whoever started us (survives exec)
libc.prctl(PDEATHSIG, signal.SIGKILL, 0, 0, 0)
if parent != "-" and os.getppid() != int(parent):
    os._exit(1)  # the host died before the line above took effect
if cg != "-":
    os.write(int(cg), b"0")
    os.close(int(cg))
if rw != "-" and uid == "-":
    # Private mount namespace (unshare --mount-proc): keep the run's dir writable as its
    # own bind mount, then remount every other mount read-only (keeping the flags a user
    # namespace locks). A failure leaves that mount as it was; the host probes the result.
    BIND, REMOUNT, RDONLY = 4096, 32, 1
    KEEP = {"nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1024, "nodiratime": 2048,
            "relatime": 1 << 21}
    libc.mount(rw.encode(), rw.encode(), None, BIND, None)
    with open("/proc/self/mountinfo") as f:
        rows = [line.split() for line in f]
    for row in rows:
        point = row[4].encode().decode("unicode_escape").encode("latin-1")
        if point == rw.encode() or row[4].startswith("/proc"):
            continue
        flags = REMOUNT | BIND | RDONLY
        for opt in row[5].split(","):
            flags |= KEEP.get(opt, 0)
        libc.mount(None, point, None, flags, None)
    os.chdir(rw)  # the old cwd still points below the new mount, at the read-only one
if uid != "-":
    _drop(int(uid))  # bubblewrap built the root: only the run's dir is writable
    libc.prctl(PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # a uid change cleared it
    if rw != "-":
        os.chdir(rw)  # as the new uid: the run's dir is 0700, owned by it
me = os.getpid()
pid = os.fork()
if pid == 0:
    try:
        os.close(fd)
        libc.prctl(PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != me:
            os._exit(127)  # the supervisor died before the line above took effect
        cpu, mem, nproc, fsize = (int(v) for v in lim.split(","))
        R.setrlimit(R.RLIMIT_CORE, (0, 0))
        R.setrlimit(R.RLIMIT_CPU, (cpu, cpu + 1))
        R.setrlimit(R.RLIMIT_AS, (mem, mem))
        R.setrlimit(R.RLIMIT_NPROC, (nproc, nproc))
        R.setrlimit(R.RLIMIT_FSIZE, (fsize, fsize))
        for s in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(s, signal.SIG_DFL)
        os.execv(cmd[0], cmd)
    except BaseException as exc:
        os.write(2, ("sandbox init: " + repr(exc) + "\n").encode())
    os._exit(127)
# Wait for the program, or for the host to die: its read end of the status pipe closes,
# which polls as POLLERR here (PDEATHSIG alone misses it once the uid changed: the kernel
# checks the dying parent's right to signal us).
import select
watch = select.poll()
watch.register(os.pidfd_open(pid), select.POLLIN)
watch.register(fd, 0)
if any(f == fd for f, _ in watch.poll()):
    os.kill(pid, signal.SIGKILL)
    os._exit(1)
_, status, ru = os.wait4(pid, 0)
os.write(fd, ("%d %.6f\n" % (status, ru.ru_utime + ru.ru_stime)).encode())
"""
)


def format_limits(cpu_seconds: float, memory_mb: int, max_processes: int, file_mb: int) -> str:
    """Encode limits as the init's ``cpu,as_bytes,nproc,fsize_bytes`` argument.

    >>> format_limits(1.5, 256, 64, 1)
    '2,268435456,64,1048576'
    """
    cpu = max(1, int(-(-cpu_seconds // 1)))
    return f"{cpu},{memory_mb << 20},{max_processes},{file_mb << 20}"
