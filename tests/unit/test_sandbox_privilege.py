"""Least privilege and the warm zygote: the README's security rows, each a test run on
every sandbox mode the host gives (zygote, bwrap, unshare, none), plus the zygote's own
life cycle (no state between runs, restart after a crash, retirement)."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from adr_graph.sandbox import Limits, LocalSandbox, RunRequest
from tests.support.sandboxes import MODES, make_sandbox

LEAST_PRIVILEGE = ("zygote", "bwrap")  # the modes that drop to an unprivileged uid

READ = (
    "import json, os, sys\nout = {}\n"
    "for p in sys.argv[1:]:\n"
    "    try:\n"
    "        out[p] = 'listed' if os.path.isdir(p) and os.listdir(p) else "
    "open(p, 'rb').read()[:40].decode('latin-1')\n"
    "    except OSError as e:\n        out[p] = 'refused: ' + os.strerror(e.errno)\n"
    "print(json.dumps(out))"
)


@pytest.fixture(scope="module", params=list(MODES))
def sandbox(request: pytest.FixtureRequest) -> Iterator[LocalSandbox]:
    with make_sandbox(request.param) as box:
        yield box


@pytest.fixture()
def secrets(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """Files a run must not read: a store file, a home secret, the project's README."""
    store = tmp_path / "store"
    store.mkdir()
    (store / "CURRENT").write_text("snapshot-secret")
    home = Path.home() / f".adr-graph-sandbox-probe-{uuid.uuid4().hex}"
    home.write_text("home-secret")
    try:
        yield {
            "store": store / "CURRENT",
            "home": home,
            "project": Path(__file__).resolve().parents[2] / "README.md",
            "shadow": Path("/etc/shadow"),
        }
    finally:
        home.unlink()


def _mode(box: LocalSandbox) -> str:
    return "zygote" if box.mode == "zygote" else box.isolation


def test_runs_as_an_unprivileged_uid_with_no_capabilities(sandbox: LocalSandbox) -> None:
    code = (
        "import os\nstatus = open('/proc/self/status').read().splitlines()\n"
        "caps = [l.split()[1] for l in status if l.startswith(('CapEff', 'CapPrm', 'CapBnd'))]\n"
        "nnp = [l.split()[1] for l in status if l.startswith('NoNewPrivs')]\n"
        "print(os.getuid(), os.getgid(), os.getgroups(), caps, nnp)"
    )
    result = sandbox.run(RunRequest(code=code))
    assert result.status == "ok", result.stderr
    if _mode(sandbox) in LEAST_PRIVILEGE:
        zero = "0000000000000000"
        assert result.stdout == f"65534 65534 [] {[zero] * 3} ['1']\n"
    else:
        assert result.stdout.startswith(f"{os.getuid()} ")  # the host's uid (documented)


def test_host_files_are_out_of_sight(sandbox: LocalSandbox, secrets: dict[str, Path]) -> None:
    result = sandbox.run(RunRequest(code=READ, argv=[str(p) for p in secrets.values()]))
    seen = json.loads(result.stdout)
    if _mode(sandbox) not in LEAST_PRIVILEGE:
        pytest.skip(f"{_mode(sandbox)}: reading what the host uid can read is not contained")
    assert all(v.startswith("refused: ") for v in seen.values()), seen
    assert "secret" not in result.stdout


def test_home_and_host_proc_are_not_listed(sandbox: LocalSandbox) -> None:
    home = str(Path.home())
    code = (
        "import json, os, sys\n"
        "def ls(p):\n    try:\n        return sorted(os.listdir(p))\n"
        "    except OSError as e:\n        return os.strerror(e.errno)\n"
        "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
        "print(json.dumps({'home': ls(sys.argv[1]), 'etc': ls('/etc'), 'pids': len(pids)}))"
    )
    seen = json.loads(sandbox.run(RunRequest(code=code, argv=[home])).stdout)
    if _mode(sandbox) not in LEAST_PRIVILEGE:
        pytest.skip(f"{_mode(sandbox)}: the host's file system is visible (documented)")
    # at most the directories leading to the interpreter (here /root/.pyenv)
    assert all(name == ".pyenv" for name in seen["home"]) or isinstance(seen["home"], str)
    assert seen["etc"] == "No such file or directory"
    assert seen["pids"] <= 3  # init, the run, maybe its supervisor: no host process


def test_writing_into_the_store_is_refused(sandbox: LocalSandbox, secrets: dict[str, Path]) -> None:
    if not sandbox.fs_isolation:
        pytest.skip("this sandbox has no read-only mounts (fs_isolation=False)")
    target = secrets["store"]
    code = (
        "import sys\ntry:\n    open(sys.argv[1], 'w').write('x')\n"
        "except OSError as e:\n    print(e.errno)"
    )
    result = sandbox.run(RunRequest(code=code, argv=[str(target)]))
    assert result.stdout.strip() and target.read_text() == "snapshot-secret"


def test_ptrace_of_the_parent_is_refused(sandbox: LocalSandbox) -> None:
    code = (
        "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "ok = libc.ptrace(16, os.getppid(), 0, 0)  # PTRACE_ATTACH\n"
        "print(ok, ctypes.get_errno())"
    )
    result = sandbox.run(RunRequest(code=code))
    if _mode(sandbox) not in LEAST_PRIVILEGE:
        pytest.skip(f"{_mode(sandbox)}: runs as the host's uid, which may trace its parent")
    assert result.stdout.split()[0] == "-1", result.stdout


def test_fork_then_exit_with_a_writing_child(sandbox: LocalSandbox) -> None:
    """The program exits at once; its child keeps writing. The run ends with the program
    (not at the wall clock), the output is capped and nothing survives."""
    token = f"w{uuid.uuid4().hex}"
    code = (
        "import os, sys, time\nif os.fork() == 0:\n"
        "    while True:\n        print(sys.argv[1] * 10, flush=True)\n        time.sleep(0.001)\n"
        "print('parent done', flush=True)"
    )
    started = time.monotonic()
    result = sandbox.run(RunRequest(code=code, argv=[token], limits=Limits(wall_seconds=20)))
    assert result.status == "ok" and "parent done" in result.stdout
    assert time.monotonic() - started < 10
    if sandbox.network_isolation or sandbox.cgroup_isolation:
        after = sandbox.run(RunRequest(code="print('next')"))
        assert after.stdout == "next\n" and token not in after.stdout


# --- the zygote's own life --------------------------------------------------------------


@pytest.fixture()
def zygote() -> Iterator[LocalSandbox]:
    with make_sandbox("zygote") as box:
        yield box


LEAVE_STATE = """
import builtins, sys, threading, time, os
builtins.print_ = 'patched'
sys.modules['planted'] = type(sys)('planted')
sys.path.insert(0, '/planted')
os.environ['PLANTED'] = '1'
open('left.txt', 'w').write('x')
def beat():
    while True:
        open('/dev/null', 'w').write('beat')
        time.sleep(0.01)
threading.Thread(target=beat, daemon=True).start()
print(os.getcwd())
builtins.len = lambda x: -1
"""

CHECK_STATE = """
import builtins, json, os, sys, threading
print(json.dumps({
    'patched': hasattr(builtins, 'print_'), 'len': len([1, 2]),
    'planted': 'planted' in sys.modules, 'path': '/planted' in sys.path,
    'env': 'PLANTED' in os.environ, 'threads': threading.active_count(),
    'files': os.listdir('.'), 'previous': os.path.exists(sys.argv[1]),
}))
"""


def test_no_state_passes_between_zygote_runs(zygote: LocalSandbox) -> None:
    zygote.close()  # one zygote, so both runs fork from the same one
    box = LocalSandbox(workers=1)
    with box:
        first = box.run(RunRequest(code=LEAVE_STATE))
        assert first.status == "ok", first.stderr
        second = box.run(RunRequest(code=CHECK_STATE, argv=[first.stdout.strip()]))
    seen = json.loads(second.stdout)
    assert seen == {
        "patched": False,
        "len": 2,
        "planted": False,
        "path": False,
        "env": False,
        "threads": 1,
        "files": ["main.py"],
        "previous": False,
    }


def test_zygote_is_replaced_after_a_crash(zygote: LocalSandbox) -> None:
    pid = "import os\nprint(os.getppid())"
    assert zygote.run(RunRequest(code=pid)).status == "ok"
    for z in zygote._zygotes._made if zygote._zygotes else []:  # kill every zygote
        if z.pid is not None:
            os.kill(z.pid, 9)
    again = zygote.run(RunRequest(code="print('again')"))
    assert (again.status, again.stdout) in {("ok", "again\n"), ("sandbox_error", "")}
    assert zygote.run(RunRequest(code="print('fine')")).stdout == "fine\n"


def test_zygote_retires_after_max_runs_and_random_is_fresh() -> None:
    box = LocalSandbox(workers=1, max_runs=3)
    code = "import os, random\nprint(os.getpid(), random.random())"
    with box:
        if box.mode != "zygote":
            pytest.skip("no zygote on this host")
        outs = [box.run(RunRequest(code=code)).stdout.split() for _ in range(7)]
        starts = [z.starts for z in box._zygotes._made] if box._zygotes else []
    assert len({o[1] for o in outs}) == 7  # each run reseeds: no repeated random stream
    assert starts == [3]  # 7 runs at 3 per zygote: started, replaced twice


PLANT_BESIDE = """
import os, signal
open('../planted.txt', 'w').write('left for the next run')
os.mkdir('../locked')
open('../locked/inside.txt', 'w').write('x')
os.chmod('../locked', 0)
os.kill(1, signal.SIGINT)  # the zygote is init here: only handled signals reach it
print(sorted(os.listdir('..')))
"""


def test_files_beside_the_run_dir_do_not_reach_the_next_run() -> None:
    with LocalSandbox(workers=1) as box:
        if box.mode != "zygote":
            pytest.skip("no zygote on this host")
        first = box.run(RunRequest(code=PLANT_BESIDE))
        assert first.status == "ok" and "planted.txt" in first.stdout, first.stderr
        second = box.run(RunRequest(code="import os\nprint(sorted(os.listdir('..')))"))
        starts = [z.starts for z in box._zygotes._made] if box._zygotes else []
    assert second.status == "ok" and "planted" not in second.stdout
    assert "locked" not in second.stdout and second.stdout.count("run-") == 1
    assert starts == [1]  # the same zygote served both: SIGINT did not reach it


def test_a_work_dir_it_cannot_empty_retires_the_zygote() -> None:
    # deeper than the zygote's recursion limit lets it walk
    deep = (
        "import os\nos.chdir('..')\n"
        "for _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')\nprint('deep')"
    )
    with LocalSandbox(workers=1) as box:
        if box.mode != "zygote":
            pytest.skip("no zygote on this host")
        assert box.run(RunRequest(code=deep)).stdout == "deep\n"
        second = box.run(RunRequest(code="import os\nprint(sorted(os.listdir('..')))"))
        starts = [z.starts for z in box._zygotes._made] if box._zygotes else []
    assert second.status == "ok" and "'d'" not in second.stdout
    assert starts == [2]  # retired after the deep tree; a fresh zygote, with a fresh WORK


def test_a_deep_tree_in_the_run_dir_is_removed(sandbox: LocalSandbox) -> None:
    """Deeper than Python's recursion limit: shutil.rmtree raises RecursionError there."""
    code = (
        "import os\nprint(os.getcwd(), flush=True)\n"
        "for _ in range(1500):\n    os.mkdir('d')\n    os.chdir('d')"
    )
    result = sandbox.run(RunRequest(code=code))
    assert result.status == "ok", result.stderr
    gone = time.monotonic() + 5
    while Path(result.stdout.strip()).exists() and time.monotonic() < gone:
        time.sleep(0.05)
    assert not Path(result.stdout.strip()).exists()
    assert sandbox.run(RunRequest(code="print('next')")).stdout == "next\n"


def test_zygote_above_its_rss_bound_is_replaced() -> None:
    with LocalSandbox(workers=1, max_rss_mb=1) as box:  # every zygote is above 1 MB
        if box.mode != "zygote":
            pytest.skip("no zygote on this host")
        outs = [box.run(RunRequest(code="print('x')")).stdout for _ in range(3)]
        starts = [z.starts for z in box._zygotes._made] if box._zygotes else []
    assert outs == ["x\n"] * 3 and starts == [3]


def test_a_zygote_that_cannot_start_falls_back_cold_without_leaks() -> None:
    from dataclasses import replace

    with LocalSandbox(workers=1) as box:
        if box.mode != "zygote" or box._zygotes is None:
            pytest.skip("no zygote on this host")
        box._zygotes.settings = replace(box._zygotes.settings, python="/nonexistent/python")
        fds = len(os.listdir("/proc/self/fd"))
        result = box.run(RunRequest(code="print('cold')"))
        assert (result.status, result.stdout) == ("ok", "cold\n")
        assert box.mode == "cold"  # said once in the log, then every run goes cold
        assert len(os.listdir("/proc/self/fd")) == fds
