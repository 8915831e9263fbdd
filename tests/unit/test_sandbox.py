"""Containment tests for adr_graph.sandbox: each fails if a wall of the sandbox breaks.

Processes started inside a run carry a unique token on their command line, so the
tests can look for survivors in the host's /proc whatever PID namespace they ran in.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import resource
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from adr_graph.sandbox import (
    Limits,
    LocalSandbox,
    RemoteSandbox,
    RunRequest,
    Sandbox,
    SandboxError,
)
from tests.support.sandboxes import MODES, make_sandbox


@pytest.fixture(scope="module", params=list(MODES))
def sandbox(request: pytest.FixtureRequest) -> Iterator[LocalSandbox]:
    """Every containment mode in turn."""
    with make_sandbox(request.param) as box:
        yield box


def _token() -> str:
    """A unique number usable both as an argv marker and as a `sleep` duration."""
    return f"30.{uuid.uuid4().int % 10**9:09d}1"


def _survivors(token: str, settle: float = 1.0) -> list[int]:
    """Host pids whose command line contains ``token``, after up to ``settle`` s."""
    until = time.monotonic() + settle
    while True:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline:
                found.append(int(entry))
        if not found or time.monotonic() > until:
            return found
        time.sleep(0.05)


def test_protocol_and_stdin_stdout(sandbox: LocalSandbox) -> None:
    assert isinstance(sandbox, Sandbox)
    code = "import sys\nnums = list(map(int, sys.stdin.read().split()))\nprint(sum(nums))"
    result = sandbox.run(RunRequest(code=code, stdin="1 2 3\n4"))
    assert (result.status, result.exit_code, result.stdout) == ("ok", 0, "10\n")
    assert result.signal is None and not result.truncated


def test_argv_and_files(sandbox: LocalSandbox) -> None:
    code = "import sys\nprint(sys.argv[1:], open('data/in.txt').read())"
    req = RunRequest(code=code, argv=["a", "b"], files={"data/in.txt": "hello"})
    assert sandbox.run(req).stdout == "['a', 'b'] hello\n"
    with pytest.raises(ValueError):
        RunRequest(code="", files={"../escape.txt": "x"})


def test_nonzero_exit_and_syntax_error(sandbox: LocalSandbox) -> None:
    failed = sandbox.run(RunRequest(code="import sys\nprint('x')\nsys.exit(3)"))
    assert (failed.status, failed.exit_code, failed.stdout) == ("error", 3, "x\n")
    broken = sandbox.run(RunRequest(code="def f(:\n  pass"))
    assert broken.status == "error" and "SyntaxError" in broken.stderr


def test_self_kill_is_reported(sandbox: LocalSandbox) -> None:
    result = sandbox.run(RunRequest(code="import os, signal\nos.kill(os.getpid(), 9)"))
    assert (result.status, result.signal, result.exit_code) == ("killed", "SIGKILL", None)


def test_infinite_loop_times_out_and_leaves_nothing(sandbox: LocalSandbox) -> None:
    token = _token()
    code = "import subprocess, sys\nsubprocess.Popen(['sleep', sys.argv[1]])\nwhile 1: pass"
    started = time.monotonic()
    result = sandbox.run(RunRequest(code=code, argv=[token], limits=Limits(wall_seconds=1)))
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and result.exit_code is None
    assert 1.0 <= result.wall_seconds < 3.0 and elapsed < 4.0
    assert _survivors(token) == []


def test_cpu_burner_hits_cpu_limit(sandbox: LocalSandbox) -> None:
    limits = Limits(cpu_seconds=1, wall_seconds=10)
    result = sandbox.run(RunRequest(code="while True:\n    pass", limits=limits))
    assert result.status == "cpu_limit"
    assert result.wall_seconds < 5.0


def test_memory_hog_is_stopped(sandbox: LocalSandbox) -> None:
    host_limit = resource.getrlimit(resource.RLIMIT_AS)
    code = "block = bytearray(4 * 1024**3)\nprint(len(block))"
    result = sandbox.run(RunRequest(code=code, limits=Limits(memory_mb=256)))
    assert result.status == "memory" and "MemoryError" in result.stderr
    assert result.stdout == ""
    assert resource.getrlimit(resource.RLIMIT_AS) == host_limit
    assert sandbox.run(RunRequest(code="print('still fine')")).stdout == "still fine\n"


def test_bounded_fork_bomb_is_contained(sandbox: LocalSandbox) -> None:
    token = _token()
    code = (
        "import subprocess, sys, time\nkids = []\n"
        "for _ in range(200):\n"
        "    try:\n        kids.append(subprocess.Popen(['sleep', sys.argv[1]]))\n"
        "    except OSError:\n        break\n"
        "print(len(kids), flush=True)\ntime.sleep(60)\n"
    )
    limits = Limits(wall_seconds=3, max_processes=32)
    result = sandbox.run(RunRequest(code=code, argv=[token], limits=limits))
    assert result.status == "timeout"
    spawned = int(result.stdout.split()[0])
    if sandbox.cgroup_isolation:
        assert spawned < 32  # pids.max (program + children <= 32) bit, even for root
    assert _survivors(token) == []


def test_orphaned_children_die_with_the_run(sandbox: LocalSandbox) -> None:
    token = _token()
    code = "import subprocess, sys\nsubprocess.Popen(['sleep', sys.argv[1]])\nprint('bye')"
    result = sandbox.run(RunRequest(code=code, argv=[token]))
    assert (result.status, result.stdout) == ("ok", "bye\n")
    assert _survivors(token) == []


def test_setsid_escapee_dies_with_the_run(sandbox: LocalSandbox) -> None:
    if not (sandbox.network_isolation or sandbox.cgroup_isolation):
        pytest.skip("this sandbox has no PID namespace or cgroup: a setsid child escapes")
    token = _token()
    code = (
        "import subprocess, sys\n"
        "subprocess.Popen(['sleep', sys.argv[1]], start_new_session=True,\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    )
    assert sandbox.run(RunRequest(code=code, argv=[token])).status == "ok"
    assert _survivors(token) == []


_HOST_SCRIPT = """
import json, sys
from adr_graph.sandbox import Limits, LocalSandbox, RunRequest
box = LocalSandbox(**json.loads(sys.argv[1]))
code = "import os, sys\\nos.execvp('sleep', ['sleep', sys.argv[1]])"
token = sys.stdin.readline().strip()  # not on this process's own command line
box.run(RunRequest(code=code, argv=[token], limits=Limits(wall_seconds=60)))
"""


def _program_started(token: str) -> bool:
    """Whether the program itself (``sleep TOKEN``) runs, not only its launchers."""
    for pid in _survivors(token, settle=0):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sleep\0"):
                return True
    return False


@pytest.mark.parametrize("mode", list(MODES))
def test_run_dies_with_a_killed_host(mode: str) -> None:
    """kill -9 of the host process mid-run: the sandboxed program must not outlive it
    (nobody is left to enforce the wall timeout)."""
    import subprocess
    import sys

    token = _token()
    make_sandbox(mode).close()  # skips where this host cannot give the mode
    args = json.dumps(MODES[mode])
    host = subprocess.Popen([sys.executable, "-c", _HOST_SCRIPT, args], stdin=subprocess.PIPE)
    try:
        assert host.stdin is not None
        host.stdin.write(f"{token}\n".encode())
        host.stdin.close()
        deadline = time.monotonic() + 30
        while not _program_started(token) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _program_started(token), "the sandboxed program never started"
    finally:
        host.kill()
        host.wait()
    assert _survivors(token, settle=5.0) == []


def test_file_size_limit(sandbox: LocalSandbox) -> None:
    code = "with open('big.bin', 'wb') as f:\n    f.write(b'x' * (100 * 1024 * 1024))"
    result = sandbox.run(RunRequest(code=code, limits=Limits(file_size_mb=1)))
    assert result.status in ("error", "killed")
    assert "File too large" in result.stderr or result.signal == "SIGXFSZ"


def test_environment_is_scrubbed(sandbox: LocalSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("NEO4J_PASSWORD", "pw-test-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "gh-test-secret")
    code = "import json, os\nprint(json.dumps({'env': dict(os.environ), 'cwd': os.getcwd()}))"
    result = sandbox.run(RunRequest(code=code))
    seen = json.loads(result.stdout)
    assert "secret" not in result.stdout
    assert not {"OPENAI_API_KEY", "NEO4J_PASSWORD", "GITHUB_TOKEN"} & set(seen["env"])
    assert seen["env"]["HOME"] == seen["cwd"]
    assert Path(seen["cwd"]).is_relative_to(tempfile.gettempdir())
    gone = time.monotonic() + 2  # a zygote removes the directory just after its reply
    while Path(seen["cwd"]).exists() and time.monotonic() < gone:
        time.sleep(0.01)
    assert not Path(seen["cwd"]).exists()


def test_host_process_environ_is_hidden(
    sandbox: LocalSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not sandbox.network_isolation:
        pytest.skip("this sandbox has no PID namespace: host /proc/<pid>/environ is readable")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    code = (
        "import os\nhits = 0\n"
        "for p in os.listdir('/proc'):\n"
        "    try:\n        hits += b'sk-test-secret' in open(f'/proc/{p}/environ', 'rb').read()\n"
        "    except OSError:\n        pass\nprint(hits)"
    )
    # The host's own pid is outside the namespace, so the secret must not be found.
    assert sandbox.run(RunRequest(code=code)).stdout == "0\n"


def test_network_is_cut(sandbox: LocalSandbox) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    code = (
        "import socket, sys\n"
        "try:\n    socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2)\n"
        "    print('connected')\nexcept OSError:\n    print('blocked')"
    )
    try:
        result = sandbox.run(RunRequest(code=code, argv=[str(port)]))
    finally:
        server.close()
    if not sandbox.network_isolation:
        assert result.network_isolated is False
        pytest.skip("this sandbox has no network namespace (network_isolated=False)")
    assert result.network_isolated is True
    assert result.stdout == "blocked\n"


def test_output_is_capped(sandbox: LocalSandbox) -> None:
    code = "import sys\nsys.stdout.write('x' * 5_000_000)\nsys.stderr.write('e' * 10)"
    result = sandbox.run(RunRequest(code=code, limits=Limits(output_bytes=1000)))
    assert result.status == "ok" and result.truncated
    assert result.stdout == "x" * 1000 and result.stderr == "e" * 10


def test_stderr_flood_is_capped(sandbox: LocalSandbox) -> None:
    code = "import sys\nfor _ in range(2000):\n    sys.stderr.write('e' * 10_000)\nprint('done')"
    result = sandbox.run(RunRequest(code=code, limits=Limits(output_bytes=4096)))
    assert result.status == "ok" and result.truncated and result.stdout == "done\n"
    assert len(result.stderr) == 4096


def test_writing_outside_the_run_dir_is_refused(sandbox: LocalSandbox, tmp_path: Path) -> None:
    if not sandbox.fs_isolation:
        pytest.skip("this sandbox has no read-only mounts (fs_isolation=False)")
    targets = [tmp_path / "escaped.txt", Path.cwd() / "escaped.txt", Path("/dev/shm/escaped")]
    code = (
        "import json, os, sys\nout = {}\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n        open(p, 'w').write('x')\n        out[p] = 'written'\n"
        "    except OSError as e:\n        out[p] = os.strerror(e.errno)\n"
        "open('mine.txt', 'w').write('ok')\nout['own'] = open('mine.txt').read()\n"
        "print(json.dumps(out))"
    )
    result = sandbox.run(RunRequest(code=code, argv=[str(t) for t in targets]))
    seen = json.loads(result.stdout)
    assert seen.pop("own") == "ok"  # its own directory stays writable
    refusals = {"Read-only file system", "No such file or directory", "Permission denied"}
    assert set(seen.values()) <= refusals, seen
    assert not any(t.exists() for t in targets)


def test_killing_its_parent_does_not_reach_the_host(sandbox: LocalSandbox) -> None:
    code = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nprint('after')"
    result = sandbox.run(RunRequest(code=code))
    if sandbox.network_isolation:  # the parent is the namespace's init: immune to it
        assert result.status == "ok" and result.stdout == "after\n"
    else:  # the supervisor dies and the run is reported, never the host
        assert result.status in ("ok", "killed")
    assert sandbox.run(RunRequest(code="print('host fine')")).stdout == "host fine\n"


def test_deep_recursion_is_an_error_not_a_crash(sandbox: LocalSandbox) -> None:
    code = "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)"
    result = sandbox.run(RunRequest(code=code, limits=Limits(memory_mb=256)))
    assert result.status in ("error", "killed", "memory")
    assert result.exit_code != 0


def test_os_exit_and_segfault_are_reported(sandbox: LocalSandbox) -> None:
    quiet = sandbox.run(RunRequest(code="import os\nprint('x', flush=True)\nos._exit(0)"))
    assert (quiet.status, quiet.stdout) == ("ok", "x\n")  # a clean exit, output kept
    code3 = sandbox.run(RunRequest(code="import os\nos._exit(3)"))
    assert (code3.status, code3.exit_code) == ("error", 3)
    crash = sandbox.run(RunRequest(code="import ctypes\nctypes.string_at(0)"))
    assert (crash.status, crash.signal) == ("killed", "SIGSEGV")


def test_hash_seed_is_fixed(sandbox: LocalSandbox) -> None:
    req = RunRequest(code="print(hash('adr'), list({'a', 'b', 'c', 'd'}))")
    assert sandbox.run(req).stdout == sandbox.run(req).stdout


def test_run_many_keeps_order_and_overlaps(sandbox: LocalSandbox) -> None:
    reqs = [RunRequest(code=f"import time\ntime.sleep(1)\nprint({i})") for i in range(4)]
    started = time.monotonic()
    results = sandbox.run_many(reqs, max_workers=4)
    elapsed = time.monotonic() - started
    assert [r.stdout for r in results] == ["0\n", "1\n", "2\n", "3\n"]
    assert elapsed < 3.5


class _FakeFusion(BaseHTTPRequestHandler):
    """Answers /run_code like SandboxFusion, keyed on the code it receives."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"path": self.path, **body})
        code = body["code"]
        if code == "boom":
            answer: dict[str, Any] = {"status": "SandboxError", "message": "pod died"}
        elif code == "loop":
            answer = {
                "status": "Failed",
                "message": "",
                "run_result": {
                    "status": "TimeLimitExceeded",
                    "return_code": None,
                    "stdout": "",
                    "stderr": "",
                },
            }
        else:
            answer = {
                "status": "Success",
                "message": "",
                "run_result": {
                    "status": "Finished",
                    "return_code": 0,
                    "execution_time": 0.01,
                    "stdout": body["stdin"].upper(),
                    "stderr": "",
                },
            }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture()
def fusion_url() -> Iterator[str]:
    _FakeFusion.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeFusion)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_remote_sandbox_against_fake_server(fusion_url: str) -> None:
    remote = RemoteSandbox(fusion_url)
    assert isinstance(remote, Sandbox)
    req = RunRequest(
        code="print(input())",
        stdin="abc",
        files={"a.txt": "hi"},
        limits=Limits(wall_seconds=3, memory_mb=512),
    )
    ok, loop, boom = remote.run_many([req, RunRequest(code="loop"), RunRequest(code="boom")])
    assert (ok.status, ok.stdout, ok.exit_code) == ("ok", "ABC", 0)
    assert loop.status == "timeout"
    assert boom.status == "sandbox_error" and "pod died" in boom.stderr
    sent = next(r for r in _FakeFusion.received if r["stdin"] == "abc")
    assert sent["path"] == "/run_code" and sent["language"] == "python"
    assert (sent["run_timeout"], sent["memory_limit_MB"]) == (3.0, 512)
    assert base64.b64decode(sent["files"]["a.txt"]) == b"hi"


def test_remote_sandbox_unreachable_and_bad_url() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    result = RemoteSandbox(f"http://127.0.0.1:{port}").run(RunRequest(code="print(1)"))
    assert result.status == "sandbox_error"
    with pytest.raises(SandboxError):
        RemoteSandbox("file:///etc/passwd")
