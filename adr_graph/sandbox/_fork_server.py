"""The zygote's own program (source text, run inside bubblewrap, never imported here).

Started as ``python -s -P -c ZYGOTE_SOURCE SOCK UID WORK PRELOAD MAX_RUNS MAX_RSS_MB CGROUP``,
it joins the zygote's ``pids`` cgroup (CGROUP: an fd of its ``cgroup.procs``, or ``-``; every
run is forked inside it, and there is one run at a time), drops to UID
(:data:`~._init.DROP_SOURCE`), imports the PRELOAD modules once and says ``ready`` on the
socket SOCK. Then, per request frame (a JSON header carrying the code, files, argv, limits
and environment, plus the run's stdin, stdout and stderr pipe ends as fds):

1. it makes a fresh directory under WORK and writes the program and its files there;
2. it forks; the child starts a new session, takes the pipes as 0/1/2, changes into the
   directory, gets the request's environment, reseeds the random
   generators, sets the rlimits (the address-space cap counts from the warm image) and
   runs the program as ``__main__``, as ``python main.py`` would;
3. it waits for the child until the wall clock runs out or the host hangs up, then kills
   the child's group and every other process of its uid in the PID namespace (orphans,
   ``setsid`` escapees) and reaps them all;
4. it replies ``{"status": <raw wait status>, "cpu": <s>, "timed_out": bool, "retire":
   bool}`` once it has emptied WORK (the run may have written beside its directory); a WORK
   it cannot empty retires the zygote, and the host starts a fresh one with a fresh WORK.

It is PID 1 of its namespace, so a run's orphans are its children and no signal from a
run reaches it. The zygote never runs a program itself, so nothing a program does
(patched builtins, ``sys.modules``, threads, files) reaches the next run. It exits when
the host hangs up, and retires (exits after its reply) after MAX_RUNS runs or above
MAX_RSS_MB resident. Frames are an 8-byte big-endian length then that many bytes of JSON;
fds ride on the length.
"""

from __future__ import annotations

from ._init import DROP_SOURCE

__all__ = ["ZYGOTE_SOURCE"]

ZYGOTE_SOURCE = (
    DROP_SOURCE
    + r"""
import ctypes, json, os, select, shutil, signal, socket, struct, sys, time
sock_fd, uid, work, preload, max_runs, max_rss, cgroup = sys.argv[1:8]
if cgroup != "-":  # one migration per zygote (slow on cgroup v1), not one per run
    os.write(int(cgroup), b"0")
    os.close(int(cgroup))
_drop(int(uid))
libc = ctypes.CDLL(None, use_errno=True)
# PID 1 of its namespace (bubblewrap --as-pid-1): a run's orphans come back here, and
# no signal from a run can reach it
for _name in filter(None, preload.split(",")):
    try:
        __import__(_name)
    except Exception:
        pass
sock = socket.socket(fileno=int(sock_fd))
sock.set_inheritable(False)

def send(obj):
    data = json.dumps(obj).encode()
    sock.sendall(struct.pack(">Q", len(data)) + data)

def recv_exact(n, fds):
    buf = b""
    while len(buf) < n:
        chunk, got, _, _ = socket.recv_fds(sock, n - len(buf), 8)
        if not chunk:
            return None
        fds += got
        buf += chunk
    return buf

def recv():
    fds = []
    head = recv_exact(8, fds)
    body = head and recv_exact(struct.unpack(">Q", head)[0], fds)
    if body is None:
        for fd in fds:
            os.close(fd)
        return None, []
    return json.loads(body), fds

def vm_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0

def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return 0

def child(req, fds, run_dir, main):
    import builtins, io, resource as R, types
    try:
        os.setsid()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        if libc.syscall(436, 3, 0xFFFFFFFF, 0) != 0:  # close_range(2): one call
            os.closerange(3, 1 << 16)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # die with the zygote
        os.chdir(run_dir)
        os.environ.clear()
        os.environ.update(req["env"], HOME=run_dir, TMPDIR=run_dir)
        cpu, mem, nproc, fsize = req["limits"]
        R.setrlimit(R.RLIMIT_CORE, (0, 0))
        R.setrlimit(R.RLIMIT_CPU, (cpu, cpu + 1))
        R.setrlimit(R.RLIMIT_AS, (req["vm"] + mem,) * 2)
        R.setrlimit(R.RLIMIT_NPROC, (nproc, nproc))
        R.setrlimit(R.RLIMIT_FSIZE, (fsize, fsize))
        for s in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(s, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        utf8 = dict(encoding="utf-8")
        sys.stdin = sys.__stdin__ = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r")), **utf8)
        sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w")), **utf8)
        sys.stderr = sys.__stderr__ = io.TextIOWrapper(
            io.BufferedWriter(io.FileIO(2, "w")), errors="backslashreplace",
            line_buffering=True, **utf8)
        sys.argv = [main, *req["argv"]]
        module = types.ModuleType("__main__")
        module.__file__, module.__builtins__ = main, builtins
        sys.modules["__main__"] = module
    except BaseException as exc:
        os.write(2, ("sandbox zygote: " + repr(exc) + "\n").encode())
        os._exit(127)
    os._exit(run_main(main, module))

def run_main(main, module):
    import atexit, threading
    code = 0
    try:
        with open(main, "rb") as f:
            exec(compile(f.read(), main, "exec", dont_inherit=True), module.__dict__)
    except SystemExit as exc:
        code = exit_code(exc)
    except BaseException as exc:
        try:  # the interpreter's own printer (C, depth-limited), without this frame
            sys.excepthook(type(exc), exc, exc.__traceback__.tb_next)
        except BaseException:
            pass
        code = 1
    try:
        threading._shutdown()  # wait for non-daemon threads, as the interpreter does
        atexit._run_exitfuncs()
    except SystemExit as exc:
        code = exit_code(exc)
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            code = code or 120
    return code

def exit_code(exc):
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    try:
        print(exc.code, file=sys.stderr)
    except BaseException:
        pass
    return 1

def host_gone():
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True

def wait_run(pid, wall):
    # (timed out, host gone): poll the child's pidfd and the host's socket
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(sock, select.POLLIN | select.POLLHUP)
    deadline = time.monotonic() + wall
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True, False
            for fd, _ in poller.poll(left * 1000):
                if fd == pidfd:
                    return False, False
                if host_gone():
                    return False, True
    finally:
        os.close(pidfd)

def clear_up(pid):
    # the run's group, then every other process of this uid here (never this one)
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(-1, signal.SIGKILL)):
        try:
            kill()
        except OSError:
            pass

def unlock(path):
    # a run may chmod its files 000: as the same uid, give them back (never follow links)
    if os.path.islink(path):
        return
    os.chmod(path, 0o700)
    if os.path.isdir(path):
        for name in os.listdir(path):
            unlock(os.path.join(path, name))

def wipe():
    # Empty WORK: a run may have written beside its own directory. True when empty.
    try:
        unlock(work)
        for name in os.listdir(work):
            path = os.path.join(work, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path)
            else:
                os.unlink(path)
        return not os.listdir(work)
    except Exception:  # too deep, too odd: the host replaces this zygote and its WORK
        return False

def serve(req, fds, number):
    run_dir = os.path.join(work, "run-%d" % number)
    os.mkdir(run_dir, 0o700)
    for name, text in req["files"].items():
        path = os.path.join(run_dir, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    main = os.path.join(run_dir, "main.py")
    with open(main, "w", encoding="utf-8") as f:
        f.write(req["code"])
    req["vm"] = vm_bytes()  # the image the child starts from: its memory cap counts from it
    pid = os.fork()
    if pid == 0:
        child(req, fds, run_dir, main)
    for fd in fds:
        os.close(fd)
    timed_out, gone = wait_run(pid, req["wall"])
    clear_up(pid)
    _, status, usage = os.wait4(pid, 0)
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            break
    cpu = usage.ru_utime + usage.ru_stime
    return {"status": status, "cpu": cpu, "timed_out": timed_out}, gone

signal.signal(signal.SIGINT, signal.SIG_IGN)  # init: only handled signals get in
send({"ready": os.getpid(), "rss_mb": rss_mb()})
number = 0
while True:
    req, fds = recv()
    if req is None:
        break
    number += 1
    reply, gone = serve(req, fds, number)
    clean = wipe()
    if gone:
        break
    reply["retire"] = not clean or number >= int(max_runs) or rss_mb() > int(max_rss)
    send(reply)
    if reply["retire"]:
        break
"""
)
