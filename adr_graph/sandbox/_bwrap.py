"""The bubblewrap view a run gets: what it may see, listed in one place.

A run started through :func:`bwrap_prefix` lives in fresh IPC, PID, network, UTS and
cgroup namespaces, in a new session, on a private root that holds only:

* the system's ``/usr`` (and the ``/lib``, ``/lib64``, ``/bin``, ``/sbin`` links or
  directories that point into it), read-only;
* the interpreter's installation (its prefix, base prefix and the directory of the real
  executable: the venv with numpy and pandas, and the Python it was made from), read-only;
* a minimal ``/dev`` and a ``/proc`` of its own PID namespace;
* the directories the caller makes writable (the run's own directory).

Everything else (``/root``, ``/home``, ``/etc``, the project, the store, the caches, the
host's ``/proc``) is absent, and the root itself is read-only. Bubblewrap runs as the
host's root without a user namespace, so that it can read the interpreter wherever it
is installed (under ``/root/.pyenv`` here, which uid 65534 cannot traverse); it keeps
only ``CAP_SETUID``, ``CAP_SETGID`` and ``CAP_SETPCAP``, and the run's supervisor
(:mod:`._init`) spends them at once to become :data:`SANDBOX_UID` with an empty
bounding set, no capabilities and ``no_new_privs``. (``--unshare-all --uid`` would
instead map the run's uid onto the host's root.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

__all__ = ["BWRAP_NAMESPACES", "SANDBOX_UID", "bwrap_prefix", "interpreter_roots", "probe_bwrap"]

#: The unprivileged uid and gid a run executes as (``nobody`` on Debian).
SANDBOX_UID = 65534
#: Namespaces every run gets (no user namespace: see the module text).
BWRAP_NAMESPACES = (
    "--unshare-ipc",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-uts",
    "--unshare-cgroup-try",
)
_KEPT_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_SETPCAP")  # spent by the supervisor
_SYSTEM_LINKS = ("/lib", "/lib64", "/bin", "/sbin")


def interpreter_roots(python: str) -> list[str]:
    """The directories that hold ``python``'s installation, outermost first, deduplicated.

    >>> interpreter_roots(sys.executable)[0] == os.path.realpath(sys.base_prefix) or True
    True
    """
    real = Path(os.path.realpath(python))
    found = [real.parent.parent, Path(sys.base_prefix), Path(sys.prefix)]
    found += [Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")]
    roots: list[str] = []
    for path in sorted({os.path.realpath(p) for p in found}, key=len):
        inside = [r for r in ("/usr", *roots) if path == r or path.startswith(r + "/")]
        if path != "/" and not inside:
            roots.append(path)
    return roots


def _dirs_above(paths: Iterable[str]) -> list[str]:
    """Every ancestor of ``paths`` (not ``/``), parents first: created 0755 so the
    unprivileged uid can traverse them (bubblewrap would copy the host's 0700)."""
    above: set[str] = set()
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in ("/", ""):
            above.add(parent)
            parent = os.path.dirname(parent)
    return sorted(above, key=lambda p: (p.count("/"), p))


def _system_args() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _SYSTEM_LINKS:
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    return args


def bwrap_prefix(
    bwrap: str, python: str, writable: Iterable[str], *, die_with_parent: bool = True
) -> list[str]:
    """The bubblewrap command line up to ``--``, for ``python`` with ``writable`` bound.

    ``die_with_parent`` ties the sandbox to the host *thread* that starts it: right for a
    run, wrong for a zygote that outlives the worker thread that started it (a zygote
    exits when the host closes its socket instead).
    """
    writable = [os.path.realpath(p) for p in writable]
    roots = interpreter_roots(python)
    args = [bwrap, *BWRAP_NAMESPACES, *(["--die-with-parent"] if die_with_parent else [])]
    args += ["--new-session", "--as-pid-1"]  # the supervisor or zygote is init
    args += ["--cap-drop", "ALL"]
    for cap in _KEPT_CAPS:
        args += ["--cap-add", cap]
    args += _system_args()
    for directory in _dirs_above([*roots, *writable]):
        args += ["--perms", "0755", "--dir", directory]
    for root in roots:
        args += ["--ro-bind", root, root]
    args += ["--dev", "/dev", "--proc", "/proc"]
    for path in writable:
        args += ["--bind", path, path]
    return [*args, "--remount-ro", "/"]


def probe_bwrap(python: str) -> str | None:
    """The ``bwrap`` binary when it can start ``python`` as :data:`SANDBOX_UID` here."""
    bwrap = shutil.which("bwrap")
    if bwrap is None or os.geteuid() != 0:
        return None
    check = f"import os, sys; sys.exit(0 if os.getuid() == {SANDBOX_UID} else 1)"
    from adr_graph.sandbox._init import DROP_SOURCE

    cmd = [*bwrap_prefix(bwrap, python, []), "--", python, "-I", "-S", "-c"]
    cmd += [f"{DROP_SOURCE}\n_drop({SANDBOX_UID})\n{check}"]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=20, env={"PATH": "/usr/bin"})
    except (OSError, subprocess.SubprocessError):
        return None
    return bwrap if done.returncode == 0 else None
