"""Start, reset and stop a real ArcadeDB server (Bolt endpoint) for tests, via scripts/arcadedb.sh.

Typical use in a fixture: ``server = start_arcadedb(tmp_path / "arcadedb")``, then connect with
``neo4j.GraphDatabase.driver(server.uri, auth=(server.user, server.password))`` and pass
``database_=server.database``; ``reset_database(server)`` between tests; ``server.stop()``.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "ArcadeServer",
    "arcadedb_available",
    "process_alive",
    "reset_database",
    "start_arcadedb",
]

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "arcadedb.sh"
HOST = "127.0.0.1"
USER = "root"
PASSWORD = "adr-graph-test"
DATABASE = "adrgraph"
PORT_TAKEN = 3  # exit status of `arcadedb.sh start` when a port is in use


def arcadedb_available() -> bool:
    """True when the arcadedb-embedded wheel (server jars + Java runtime) is installed."""
    return importlib.util.find_spec("arcadedb_embedded") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie, which still answers kill -0, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():
        return True  # not Linux: kill -0 has to do
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return False  # exited between the two checks
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@dataclass
class ArcadeServer:
    """A server started by :func:`start_arcadedb`; ``stop()`` ends it."""

    uri: str
    http_url: str
    env: dict[str, str] = field(repr=False)
    state_dir: Path = field(default_factory=Path)
    pid: int = 0
    user: str = USER
    password: str = PASSWORD
    database: str = DATABASE

    def _script(self, command: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), command],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def running(self) -> bool:
        """Whether ``scripts/arcadedb.sh status`` sees the server."""
        return self._script("status").returncode == 0

    def stop(self) -> None:
        """Stop the server (TERM, then KILL) and wait until its process is gone."""
        result = self._script("stop")
        if result.returncode != 0:
            raise RuntimeError(f"arcadedb.sh stop failed:\n{result.stderr}")
        if self.pid and process_alive(self.pid):
            raise RuntimeError(f"ArcadeDB pid {self.pid} is still alive after stop")


def start_arcadedb(state_dir: Path, timeout: float = 600, attempts: int = 3) -> ArcadeServer:
    """Start a server on two free loopback ports with everything it writes under ``state_dir``.

    A port picked free can be taken before the server binds it; the start is then retried
    on new ports (at most ``attempts`` times).
    """
    state_dir = Path(state_dir).resolve()
    for attempt in range(1, attempts + 1):
        bolt, http = _free_port(), _free_port()
        env = {
            **os.environ,
            "VENV": sys.prefix,
            "HOST": HOST,
            "STATE_DIR": str(state_dir),
            "BOLT_PORT": str(bolt),
            "HTTP_PORT": str(http),
            "ROOT_PASSWORD": PASSWORD,
            "DATABASE": DATABASE,
        }
        result = subprocess.run(
            ["bash", str(SCRIPT), "start"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode == 0:
            pid = int((state_dir / "server.pid").read_text().strip())
            return ArcadeServer(
                uri=f"bolt://{HOST}:{bolt}",
                http_url=f"http://{HOST}:{http}",
                env=env,
                state_dir=state_dir,
                pid=pid,
            )
        if result.returncode != PORT_TAKEN or attempt == attempts:
            raise RuntimeError(
                f"scripts/arcadedb.sh start failed (exit {result.returncode}):\n"
                f"{result.stderr}{result.stdout}"
            )
    raise AssertionError("unreachable")


def _http(server: ArcadeServer, path: str, body: dict[str, Any] | None = None) -> Any:
    token = base64.b64encode(f"{server.user}:{server.password}".encode()).decode()
    request = urllib.request.Request(
        server.http_url + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")
        raise RuntimeError(f"ArcadeDB {path} answered {err.code}: {detail}") from err


def reset_database(server: ArcadeServer) -> None:
    """Empty ``server.database``: drop it and create it again over the HTTP API.

    This takes tens of milliseconds whatever the size, and also removes indexes and
    constraints, so the next ``CREATE ... IF NOT EXISTS`` starts from a clean schema. Open
    drivers keep working; a transaction in flight at that moment fails, so call it between
    tests.
    """
    from adr_graph.store.bolt import forget_schema

    forget_schema()
    name = server.database
    if _http(server, f"/api/v1/exists/{name}").get("result") is True:
        _http(server, "/api/v1/server", {"command": f"drop database {name}"})
    _http(server, "/api/v1/server", {"command": f"create database {name}"})
